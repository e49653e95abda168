"""Build the report's view model from a readiness.json document (plain dicts, size-bounded).

Everything the templates show comes from here, already shortened and capped; the templates only
lay it out (and escape it).
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path

from ..formatting import (
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
from ..records import count_statuses
from .scorecard import scorecard_of

MAX_CONTRACT_COLUMNS = 300
MAX_CATEGORIES_SHOWN = 12


def _checks(doc: dict) -> list[dict]:
    return [c for c in doc.get("checks") or [] if isinstance(c, dict)]


WAIVER_FIELDS = ("check", "column", "reason", "owner", "expires")
WAIVER_STATE_TEXT = {
    "applied": "waived",
    "expired": "waiver expired",
    "not_applied": "waiver not applied",
    "unused": "unused",
    "unknown_check": "unknown check",
    "invalid": "invalid",
}


def _waiver_fields(w: dict) -> dict:
    return {k: truncate(w.get(k), 300) if w.get(k) is not None else None for k in WAIVER_FIELDS}


def waiver_view(record: object) -> dict | None:
    """A check's waiver record (readiness.json ``checks[].waiver``) for the templates."""
    if not isinstance(record, dict):
        return None
    state = str(record.get("state") or "")
    return {
        "state": truncate(state, 20),
        "label": WAIVER_STATE_TEXT.get(state, truncate(state, 20)),
        "was": truncate(record.get("status"), 10),
        "note": truncate(record.get("note") or "", 600),
        "waivers": [
            _waiver_fields(w)
            for w in (record.get("waivers") or [])[:MAX_LIST]
            if isinstance(w, dict)
        ],
    }


def waiver_items(doc: dict) -> list[dict]:
    """What became of each policy waiver (readiness.json ``waivers.items``), for the templates."""
    report = doc.get("waivers")
    items = report.get("items") if isinstance(report, dict) else None
    out = []
    for i in (items or [])[:MAX_LIST]:
        if isinstance(i, dict):
            state = str(i.get("state") or "")
            out.append(
                {
                    **_waiver_fields(i),
                    "state": truncate(state, 20),
                    "label": WAIVER_STATE_TEXT.get(state, truncate(state, 20)),
                    "note": truncate(i.get("note") or "", 600),
                    "problem": state in ("unknown_check", "invalid"),
                }
            )
    return out


def check_view(c: dict, moved: dict[str, tuple[str, str]] | None = None) -> dict:
    """One check's entry; ``moved``: evidence keys a report view shows in full -> (anchor,
    label)."""
    status = str(c.get("status", "error"))
    cid = str(c.get("id", "?"))
    evidence = c.get("evidence") or {}
    moved = moved or {}
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
        "waiver": waiver_view(c.get("waiver")),
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


def group_checks(views: list[dict], titles: dict[str, tuple[str, str]]) -> list[dict]:
    """Checks grouped by their registered section (``titles``: check id -> (section, title);
    a check no installed package registers is grouped by its category), in first-seen order,
    each group with its worst status."""
    groups: dict[str, dict] = {}
    for v in views:
        key, title = titles.get(v["id"]) or (
            v["category"],
            truncate(v["category"].replace("_", " ").capitalize(), 80),
        )
        g = groups.setdefault(key, {"category": key, "title": title, "checks": []})
        g["checks"].append(v)
    for g in groups.values():
        g["worst"] = min((c["status"] for c in g["checks"]), key=lambda s: STATUS_ORDER.get(s, 0))
        g["counts"] = _counts(g["checks"])
    return list(groups.values())


def _safe_view(build, *args) -> list:
    """A registered view function's View, or a note that it failed (a plugin's broken view must
    not take the report down)."""
    from ..views import View

    try:
        view = build(*args)
    except Exception as exc:  # noqa: BLE001 - shown in the report instead
        name = getattr(build, "__qualname__", "view")
        return [
            View(
                anchor(f"view-{name}"),
                f"View {name}",
                notes=(truncate(f"The view could not be built: {type(exc).__name__}: {exc}", 400),),
            )
        ]
    return [view] if view is not None else []


def registered_views(checks: list[dict], doc: dict) -> tuple[list, dict, dict]:
    """The report views of the registered checks present in ``doc`` (section views and check
    views, in report order); which evidence keys each view shows in full (check id -> key ->
    (anchor, label)); and each check's (section name, title)."""
    from ..checks import by_section, load_checks
    from ..checks.registry import EVERYWHERE

    by_id = {str(c.get("id")): c for c in checks}
    views: list = []
    moved: dict[str, dict[str, tuple[str, str]]] = {}
    titles: dict[str, tuple[str, str]] = {}
    for section, members in by_section(load_checks(where=EVERYWHERE)):
        present = [s for s in members if s.id in by_id]
        for s in present:
            titles[s.id] = (section.name, section.title)
        if not present:
            continue
        if section.view is not None:
            views += _safe_view(section.view, [by_id[s.id] for s in present], doc)
        for s in present:
            if s.view is None:
                continue
            for view in _safe_view(s.view, by_id[s.id], doc):
                views.append(view)
                label = f"in the {view.nav or view.title} section"
                for key in view.shows:
                    moved.setdefault(s.id, {})[key] = (view.anchor, label)
    return views, moved, titles


def _counts(views: list[dict]) -> list[tuple[str, int]]:
    return count_statuses(v["status"] for v in views)


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
        "kind": "monitor" if doc.get("kind") == "monitor" else "readiness",
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
    report_views, moved, titles = registered_views(checks, doc)
    views = fit_budget([check_view(c, moved.get(str(c.get("id")))) for c in checks])
    failing = sorted(
        (v for v in views if v["status"] in ("fail", "error")),
        key=lambda v: STATUS_ORDER.get(v["status"], 0),
    )
    name = "monitor.json" if doc.get("kind") == "monitor" else "readiness.json"
    source = out / name if out is not None else None
    return {
        "head": header(doc, source),
        "counts": _counts(views),
        "checks": views,
        "groups": group_checks(views, titles),
        "failing": failing,
        "warnings": [v for v in views if v["status"] == "warn"],
        "waived": [v for v in views if v["status"] == "waived"],
        "waiver_items": waiver_items(doc),
        "waivers_date": truncate((doc.get("waivers") or {}).get("date"), 30)
        if isinstance(doc.get("waivers"), dict)
        else None,
        "contract": contract_view(out),
        "views": report_views,
        # a monitored batch is not a readiness review: no scorecard
        "scorecard": None if doc.get("kind") == "monitor" else scorecard_of(doc),
        "provenance": provenance_view(doc),
        "policy": policy_view(doc),
        "anchors": {v["id"]: v["anchor"] for v in views},
        "report_url": report_url or "report.html",
        "schema_version": doc.get("schema_version"),
    }
