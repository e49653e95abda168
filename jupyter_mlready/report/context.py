"""Build the report's view model from a readiness.json document (plain dicts, size-bounded).

Everything the templates show comes from here, already shortened and capped; the templates only
lay it out (and escape it).
"""

from __future__ import annotations

import getpass
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from .formatting import (
    MAX_LIST,
    STATUS_ICONS,
    STATUS_ORDER,
    VERDICT_TEXT,
    anchor,
    evidence_view,
    fmt_number,
    fmt_value,
    raw_json,
    short_hash,
    truncate,
)
from .scorecard import build_scorecard

CATEGORY_TITLES = {
    "reproducibility": "Reproducibility",
    "contract": "Data contract",
    "robustness": "Robustness",
    "output": "Output contract",
    "determinism": "Determinism",
    "batch_invariance": "Batch invariance",
    "leakage": "Leakage",
    "performance": "Performance",
    "drift": "Drift",
    "latency": "Latency",
    "properties": "Output properties",
}
#: categories shown together (one small group instead of three one-check groups)
GROUP_OF = {"output": "properties", "determinism": "properties", "batch_invariance": "properties"}
#: evidence keys a dedicated section shows in full: (section anchor, label)
SECTION_KEYS = {
    "drift.train_holdout": {"features": ("drift", "per-feature table in the Drift section")},
    "latency": {
        "per_row": ("latency", "percentiles and distribution in the Latency section"),
        "batch": ("latency", "in the Latency section"),
    },
}
PROPERTY_IDS = ("output.contract", "determinism", "batch_invariance")
MAX_DRIFT_FEATURES = 50
MAX_CONTRACT_COLUMNS = 300
MAX_CATEGORIES_SHOWN = 12
CHART_WIDTH = 240


def _checks(doc: dict) -> list[dict]:
    return [c for c in doc.get("checks") or [] if isinstance(c, dict)]


def check_view(c: dict) -> dict:
    status = str(c.get("status", "error"))
    cid = str(c.get("id", "?"))
    evidence = c.get("evidence") or {}
    moved = SECTION_KEYS.get(cid, {})
    items = evidence_view(evidence, skip_keys=("traceback", *moved)) if evidence else []
    items += [
        {"kind": "link", "key": key.replace("_", " "), "href": "#" + target, "text": label}
        for key, (target, label) in moved.items()
        if isinstance(evidence, dict) and evidence.get(key)
    ]
    seconds = float(c.get("seconds") or 0.0) if isinstance(c.get("seconds"), (int, float)) else 0.0
    return {
        "id": truncate(cid, 120),
        "anchor": anchor(cid),
        "status": status,
        "icon": STATUS_ICONS.get(status, "?"),
        "category": str(c.get("category") or cid.split(".")[0]),
        "summary": truncate(c.get("summary") or "", 600),
        "remedy": truncate(c.get("remedy"), 800) if c.get("remedy") else None,
        "repro": truncate(c.get("repro"), 4000) if c.get("repro") else None,
        "evidence": items,
        "traceback": truncate(evidence.get("traceback"), 4000)
        if isinstance(evidence, dict) and evidence.get("traceback")
        else None,
        "raw": raw_json(evidence) if evidence else None,
        "seconds": fmt_number(seconds) if seconds >= 0.001 else None,
        "open": status in ("fail", "error"),
        "raw_omitted": False,
    }


DETAIL_BUDGET = 300_000  # characters of per-check detail (raw JSON, repro, long texts, tables)


def _detail_size(v: dict) -> int:
    n = sum(len(v[k] or "") for k in ("raw", "repro", "traceback"))
    for item in v["evidence"]:
        n += len(item.get("text") or "") + sum(
            len(c) + 10 for row in item.get("rows", []) for c in row
        )
    return n


def fit_budget(views: list[dict], budget: int = DETAIL_BUDGET) -> list[dict]:
    """Shrink per-check detail evenly when the checks together would make the report too big:
    many plugin checks with large evidence still give a page under 1 MB."""
    total = sum(_detail_size(v) for v in views)
    if total <= budget or not views:
        return views
    share = max(300, budget // len(views))
    for v in views:
        if _detail_size(v) <= share:
            continue
        v["raw"] = truncate(v["raw"], share // 2) if v["raw"] and share >= 2000 else None
        v["raw_omitted"] = v["raw"] is None
        for key in ("repro", "traceback"):
            if v[key]:
                v[key] = truncate(v[key], max(200, share // 4))
        for item in v["evidence"]:
            if item.get("text"):
                item["text"] = truncate(item["text"], max(120, share // 8))
            if item.get("rows"):
                item["more"] += max(0, len(item["rows"]) - 3)
                item["rows"] = item["rows"][:3]
    return views


def group_checks(views: list[dict]) -> list[dict]:
    """Checks grouped by category, in first-seen order, each group with its worst status."""
    groups: dict[str, dict] = {}
    for v in views:
        key = GROUP_OF.get(v["category"], v["category"])
        title = CATEGORY_TITLES.get(key, truncate(key.replace("_", " ").capitalize(), 80))
        g = groups.setdefault(key, {"category": key, "title": title, "checks": []})
        g["checks"].append(v)
    for g in groups.values():
        g["worst"] = min((c["status"] for c in g["checks"]), key=lambda s: STATUS_ORDER.get(s, 0))
        g["counts"] = _counts(g["checks"])
    return list(groups.values())


def _counts(views: list[dict]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for v in views:
        counts[v["status"]] = counts.get(v["status"], 0) + 1
    return sorted(counts.items(), key=lambda kv: STATUS_ORDER.get(kv[0], 0))


def header(doc: dict, source: Path | None) -> dict:
    model = doc.get("model") or {}
    prov = doc.get("provenance") or {}
    verdict = str(doc.get("verdict", "error"))
    when = doc.get("created_at") or prov.get("created_at")
    if not when and source is not None and source.exists():
        when = datetime.fromtimestamp(source.stat().st_mtime, UTC).isoformat(timespec="seconds")
    try:
        renderer = getpass.getuser()
    except Exception:  # no user name on some containers
        renderer = None
    facts = []
    for key, label in (
        ("name", "model"),
        ("uri", "URI"),
        ("task", "task"),
        ("flavor", "flavor"),
        ("class", "class"),
        ("target", "target"),
        ("version", "version"),
    ):
        if model.get(key) not in (None, ""):
            facts.append((label, truncate(model[key], 200)))
    data = []
    for role, d in (doc.get("data") or {}).items():
        if isinstance(d, dict):
            rows, cols = d.get("rows"), d.get("columns")
            shape = (
                f"{fmt_number(rows)} rows × {fmt_number(cols)} columns" if rows is not None else "—"
            )
            data.append(
                {
                    "role": truncate(role, 40),
                    "shape": shape,
                    "sha": short_hash(d.get("sha256")),
                    "sha_full": truncate(d.get("sha256") or "", 80),
                    "vars": ", ".join(truncate(d[k], 60) for k in ("x", "y") if d.get(k)),
                }
            )
    policy = doc.get("policy") or {}
    return {
        "verdict": verdict,
        "verdict_text": VERDICT_TEXT.get(verdict, truncate(verdict, 30).upper()),
        "model_name": truncate(model.get("name") or "unnamed model", 120),
        "facts": facts,
        "data": data,
        "when": truncate(when, 60) if when else None,
        "who": truncate(prov.get("user") or "", 80) or None,
        "renderer": renderer,
        "rendered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "policy_source": truncate(policy.get("source") or "defaults", 300),
        "error": {
            k: truncate(v, 1500) for k, v in (doc.get("error") or {}).items() if k != "traceback"
        }
        or None,
        "error_traceback": truncate((doc.get("error") or {}).get("traceback"), 4000) or None,
        "report_error": truncate(doc.get("report_error"), 1000)
        if doc.get("report_error")
        else None,
    }


def contract_view(out: Path | None) -> dict | None:
    """The contract table from contract.json beside readiness.json, when present."""
    if out is None or not (out / "contract.json").is_file():
        return None
    try:
        data = json.loads((out / "contract.json").read_text())
    except (OSError, ValueError) as exc:
        return {
            "error": truncate(f"contract.json could not be read: {exc}", 300),
            "rows": [],
            "more": 0,
            "range_margin": None,
        }
    cols = data.get("columns") or []
    rows = []
    for c in cols[:MAX_CONTRACT_COLUMNS]:
        if not isinstance(c, dict):
            continue
        lo, hi = c.get("low"), c.get("high")
        rng = (
            f"{fmt_value(lo, '', 40)} … {fmt_value(hi, '', 40)}"
            if lo is not None or hi is not None
            else "—"
        )
        seen = (
            f"{fmt_value(c.get('min'), '', 40)} … {fmt_value(c.get('max'), '', 40)}"
            if c.get("min") is not None
            else ""
        )
        cats = c.get("categories")
        allowed = None
        if isinstance(cats, list):
            allowed = [truncate(x, 40) for x in cats[:MAX_CATEGORIES_SHOWN]]
            if len(cats) > MAX_CATEGORIES_SHOWN:
                allowed.append(f"+{len(cats) - MAX_CATEGORIES_SHOWN:,} more")
        rows.append(
            {
                "name": truncate(c.get("name"), 120),
                "kind": truncate(c.get("kind"), 20),
                "dtype": truncate(c.get("dtype"), 40),
                "nullable": bool(c.get("nullable")),
                "null_fraction": fmt_number(float(c.get("null_fraction") or 0.0), "fraction"),
                "range": rng,
                "seen": seen,
                "allowed": allowed,
            }
        )
    return {
        "rows": rows,
        "more": max(0, len(cols) - MAX_CONTRACT_COLUMNS),
        "error": None,
        "range_margin": fmt_number(data.get("range_margin"), "fraction")
        if data.get("range_margin") is not None
        else None,
    }


def metrics_view(by_id: dict[str, dict]) -> dict | None:
    """One row per metric: model value, policy bound, baseline, champion (from performance.*)."""
    thr = (by_id.get("performance.thresholds") or {}).get("evidence") or {}
    base = (by_id.get("performance.baseline") or {}).get("evidence") or {}
    champ = (by_id.get("performance.champion") or {}).get("evidence") or {}
    model_metrics = dict(base.get("model_metrics") or {}) | dict(thr.get("model_metrics") or {})
    bounds = {r.get("metric"): r for r in thr.get("thresholds") or [] if isinstance(r, dict)}
    base_metrics = base.get("baseline_metrics") or {}
    compared = {r.get("metric") for r in base.get("comparisons") or [] if isinstance(r, dict)}
    champions = {r.get("metric"): r for r in champ.get("comparisons") or [] if isinstance(r, dict)}
    names = list(model_metrics) + [m for m in bounds if m not in model_metrics]
    if not names:
        return None
    rows = []
    for m in names[:MAX_LIST]:
        b = bounds.get(m)
        bound = None
        if b:
            bound = f"{'≤' if b.get('direction') == 'max' else '≥'} {fmt_number(b.get('bound'))}"
        c = champions.get(m)
        rows.append(
            {
                "metric": truncate(m, 60),
                "model": fmt_value(model_metrics.get(m), m),
                "bound": bound,
                "ok": b.get("ok") if b else None,
                "baseline": fmt_value(base_metrics.get(m), m) if m in base_metrics else None,
                "decides": m in compared or m in bounds,
                "champion": fmt_value(c.get("champion"), m) if c else None,
                "change": fmt_value(c.get("change"), m) if c else None,
            }
        )
    return {
        "rows": rows,
        "baseline_name": truncate(base.get("baseline"), 80) if base.get("baseline") else None,
        "champion_uri": truncate(champ.get("champion"), 200) if champ.get("champion") else None,
        "note": truncate(base.get("note"), 300) if base.get("note") else None,
    }


def drift_view(check: dict | None) -> dict | None:
    """Top drift features (by PSI) with bar geometry for the inline SVG chart."""
    if not check:
        return None
    ev = check.get("evidence") or {}
    feats = [f for f in ev.get("features") or [] if isinstance(f, dict)]
    if not feats:
        return {"rows": [], "more": 0, "total": 0, "summary": truncate(check.get("summary"), 400)}

    def num(v):
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    thresholds = ev.get("thresholds") or {}
    psi_fail = num(thresholds.get("psi_fail")) or 0.25
    psi_warn = num(thresholds.get("psi_warn")) or 0.10
    feats = sorted(feats, key=lambda f: -(num(f.get("psi")) or 0.0))
    shown = feats[:MAX_DRIFT_FEATURES]
    top = max([num(f.get("psi")) or 0.0 for f in shown] + [psi_fail * 1.2])
    rows = []
    for i, f in enumerate(shown):
        psi = num(f.get("psi"))
        ks = num(f.get("ks"))
        rows.append(
            {
                "feature": truncate(f.get("feature"), 80),
                "kind": truncate(f.get("kind"), 20),
                "status": str(f.get("status") or "pass"),
                "psi": fmt_number(psi) if psi is not None else "—",
                "ks": fmt_number(ks) if ks is not None else "—",
                "mean": (
                    f"{fmt_number(num(f.get('mean_train')))} → {fmt_number(num(f.get('mean_holdout')))}"
                    if num(f.get("mean_train")) is not None
                    and num(f.get("mean_holdout")) is not None
                    and f.get("kind") != "datetime"
                    else ""
                ),
                "nulls": (
                    f"{fmt_number(num(f.get('null_share_train')) or 0.0, 'share')} → "
                    f"{fmt_number(num(f.get('null_share_holdout')) or 0.0, 'share')}"
                ),
                "unseen": fmt_number(num(f.get("unseen_share")), "share")
                if num(f.get("unseen_share"))
                else "",
                "y": 4 + i * 18,
                "width": round(CHART_WIDTH * (psi or 0.0) / top, 1),
            }
        )
    return {
        "rows": rows,
        "more": max(0, len(feats) - len(shown)),
        "total": len(feats),
        "summary": truncate(check.get("summary"), 400),
        "chart_width": CHART_WIDTH,
        "chart_height": 8 + 18 * len(rows),
        "warn_x": round(CHART_WIDTH * psi_warn / top, 1),
        "fail_x": round(CHART_WIDTH * psi_fail / top, 1),
        "psi_warn": fmt_number(psi_warn),
        "psi_fail": fmt_number(psi_fail),
        "ks_warn": fmt_number(num(thresholds.get("ks_warn")))
        if num(thresholds.get("ks_warn"))
        else None,
        "ks_fail": fmt_number(num(thresholds.get("ks_fail")))
        if num(thresholds.get("ks_fail"))
        else None,
    }


_PCTL = re.compile(r"^p(\d{1,2}(?:\.\d+)?)(?:_(ms|s|us))?$")


def latency_view(check: dict | None) -> dict | None:
    """Whatever the latency check measured: percentile bars when keys look like p50/p95_ms."""
    if not check:
        return None
    ev = check.get("evidence") or {}
    groups = []
    flat = {k: v for k, v in ev.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if any(_PCTL.match(str(k)) for k in flat):
        groups.append(("", flat))
        flat = {}
    for k, v in ev.items():
        if isinstance(v, dict) and any(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values()
        ):
            groups.append(
                (
                    str(k),
                    {
                        kk: vv
                        for kk, vv in v.items()
                        if isinstance(vv, (int, float)) and not isinstance(vv, bool)
                    },
                )
            )
    series = []
    for name, values in groups[:8]:
        bars = [(k, float(v)) for k, v in values.items() if _PCTL.match(str(k))]
        peak = max([v for _, v in bars] + [1e-12])
        source = ev.get(name) if name else ev
        series.append(
            {
                "histogram": histogram_view(
                    (source or {}).get("histogram") if isinstance(source, dict) else None
                ),
                "name": truncate(name.replace("_", " "), 60),
                "values": [
                    (truncate(str(k).replace("_", " "), 60), fmt_value(v, str(k)))
                    for k, v in list(values.items())[:20]
                    if not _PCTL.match(str(k))
                ],
                "bars": [
                    {
                        "label": truncate(k, 20),
                        "value": fmt_number(v),
                        "y": 4 + i * 18,
                        "width": round(CHART_WIDTH * v / peak, 1),
                    }
                    for i, (k, v) in enumerate(bars[:10])
                ],
                "height": 8 + 18 * min(len(bars), 10),
            }
        )
    others = evidence_view(
        {
            k: v
            for k, v in ev.items()
            if not isinstance(v, dict) and (k in flat or not isinstance(v, (int, float)))
        }
    )
    return {
        "status": str(check.get("status")),
        "summary": truncate(check.get("summary"), 400),
        "series": series,
        "others": others,
        "anchor": anchor(str(check.get("id"))),
    }


HIST_WIDTH, HIST_HEIGHT = 320, 60


def histogram_view(h) -> dict | None:
    """Column geometry for {"counts": [...], "edges_ms": [...]} (or "edges"), when well-formed."""
    if not isinstance(h, dict):
        return None
    counts = h.get("counts")
    edges = h.get("edges_ms", h.get("edges"))
    ok = (
        isinstance(counts, list)
        and isinstance(edges, list)
        and 0 < len(counts) <= 200
        and len(edges) == len(counts) + 1
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in counts + edges)
    )
    if not ok:
        return None
    peak = max(max(counts), 1)
    w = HIST_WIDTH / len(counts)
    cols = [
        {
            "x": round(i * w, 1),
            "w": round(max(w - 1, 0.5), 1),
            "h": round(HIST_HEIGHT * n / peak, 1),
            "y": round(HIST_HEIGHT - HIST_HEIGHT * n / peak, 1),
            "title": f"{fmt_number(float(edges[i]))}–{fmt_number(float(edges[i + 1]))}: {n}",
        }
        for i, n in enumerate(counts)
    ]
    unit = " ms" if "edges_ms" in h else ""
    return {
        "cols": cols,
        "width": HIST_WIDTH,
        "height": HIST_HEIGHT,
        "low": fmt_number(float(edges[0])) + unit,
        "high": fmt_number(float(edges[-1])) + unit,
        "total": fmt_number(int(sum(counts))),
    }


_EXAMPLE_KEY = re.compile(r"(shrunk|falsif|example|counterexample|minimal)", re.I)
_NOISE_KEY = re.compile(r"(seed|second|per_second|requested)", re.I)
_OK_RESULTS = frozenset({"ok", "pass", "passed", "valid"})


def _example_text(v) -> str:
    return (
        v
        if isinstance(v, str)
        else json.dumps(_capped(v), indent=1, ensure_ascii=False, default=str)
    )


def property_view(checks: list[dict]) -> list[dict]:
    """Robustness / output property checks: how many examples, how the edge cases ended, and the
    cases that did not pass (with their shrunk example when the check recorded one)."""
    out = []
    for c in checks:
        cid = str(c.get("id", ""))
        if not (cid.startswith("robustness.") or cid in PROPERTY_IDS):
            continue
        ev = c.get("evidence") if isinstance(c.get("evidence"), dict) else {}
        counts, examples, tally, notable = [], [], {}, []
        for k, v in ev.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if not _NOISE_KEY.search(str(k)):
                    counts.append((truncate(str(k).replace("_", " "), 60), fmt_number(v, str(k))))
            elif _EXAMPLE_KEY.search(str(k)) and v not in (None, "", [], {}):
                examples.append(
                    (truncate(str(k).replace("_", " "), 60), truncate(_example_text(v), 1500))
                )
        cases = (
            [x for x in ev.get("cases") or [] if isinstance(x, dict)]
            if isinstance(ev.get("cases"), list)
            else []
        )
        graceful = []
        for case in cases:
            result = str(case.get("result", case.get("status", "?")))
            tally[result] = tally.get(result, 0) + 1
            if result not in _OK_RESULTS and case.get("graceful") is True:
                graceful.append(truncate(case.get("edge_case") or case.get("name") or result, 80))
            elif result not in _OK_RESULTS:
                example = next(
                    (
                        case[k]
                        for k in case
                        if _EXAMPLE_KEY.search(str(k)) and case[k] not in (None, "", [], {})
                    ),
                    None,
                )
                notable.append(
                    {
                        "case": truncate(case.get("edge_case") or case.get("name") or "", 160),
                        "result": truncate(result, 30),
                        "detail": truncate(case.get("detail") or "", 300),
                        "example": truncate(_example_text(example), 1000)
                        if example is not None
                        else None,
                    }
                )
        out.append(
            {
                "id": truncate(cid, 120),
                "anchor": anchor(cid),
                "status": str(c.get("status")),
                "icon": STATUS_ICONS.get(str(c.get("status")), "?"),
                "summary": truncate(c.get("summary"), 300),
                "counts": counts[:8],
                "cases": len(cases),
                "tally": sorted(tally.items(), key=lambda kv: -kv[1])[:8],
                "notable": notable[:8],
                "notable_more": max(0, len(notable) - 8),
                "graceful": graceful[:6],
                "graceful_count": len(graceful),
                "examples": examples[:5],
            }
        )
    return out


def _capped(v):
    from .formatting import cap

    return cap(v)


def provenance_view(doc: dict) -> dict:
    prov = doc.get("provenance") or {}
    packages = prov.get("packages") or {}
    timings = doc.get("timings") or {}
    facts = []
    for key, label in (
        ("notebook", "notebook"),
        ("notebook_sha256", "notebook sha256"),
        ("git_commit", "git commit"),
        ("git_dirty", "uncommitted changes"),
        ("python", "python"),
        ("platform", "platform"),
    ):
        if prov.get(key) is not None:
            facts.append((label, fmt_value(prov[key], "", 300)))
    return {
        "facts": facts,
        "packages": [
            (truncate(k, 60), truncate(v, 60)) for k, v in list(packages.items())[:MAX_LIST]
        ],
        "timings": [
            (truncate(k, 40), fmt_number(v) + " s" if isinstance(v, (int, float)) else fmt_value(v))
            for k, v in list(timings.items())[:40]
        ],
        "discovery": [
            (truncate(k, 40), fmt_value(v, "", 200))
            for k, v in list((doc.get("discovery") or {}).items())[:20]
        ],
    }


def policy_view(doc: dict) -> list[tuple[str, str, bool]]:
    """(key, value, differs from default) for every policy value in force."""
    values = (doc.get("policy") or {}).get("values") or {}
    try:
        from ..policy import Policy

        defaults = Policy().to_dict()
    except Exception:  # pragma: no cover - rendering must not depend on it
        defaults = {}
    return [
        (truncate(k, 60), fmt_value(v, "", 300), k in defaults and defaults[k] != v)
        for k, v in list(values.items())[:80]
    ]


def build_context(doc: dict, out: Path | None = None, report_url: str | None = None) -> dict:
    """The whole view model of one report."""
    if not isinstance(doc, dict):
        raise TypeError("readiness document must be a JSON object")
    checks = _checks(doc)
    views = fit_budget([check_view(c) for c in checks])
    by_id = {str(c.get("id")): c for c in checks}
    failing = sorted(
        (v for v in views if v["status"] in ("fail", "error")),
        key=lambda v: STATUS_ORDER.get(v["status"], 0),
    )
    source = out / "readiness.json" if out is not None else None
    return {
        "head": header(doc, source),
        "counts": _counts(views),
        "checks": views,
        "groups": group_checks(views),
        "failing": failing,
        "warnings": [v for v in views if v["status"] == "warn"],
        "contract": contract_view(out),
        "metrics": metrics_view(by_id),
        "drift": drift_view(by_id.get("drift.train_holdout")),
        "latency": latency_view(by_id.get("latency")),
        "properties": property_view(checks),
        "scorecard": build_scorecard(doc),
        "provenance": provenance_view(doc),
        "policy": policy_view(doc),
        "anchors": {v["id"]: v["anchor"] for v in views},
        "report_url": report_url or "report.html",
        "schema_version": doc.get("schema_version"),
    }
