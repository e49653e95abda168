"""Compact outputs for the validation notebook: small tables, a text histogram, no frame dumps.

Every output is a small pandas frame (HTML + text renditions) or plain text, so the executed
notebook reads the same in JupyterLab, on GitHub and in ``nbconvert --to markdown``.
"""

from __future__ import annotations

from ..readiness import STATUS_ICONS

MAX_ROWS = 8
BARS = " ▁▂▃▄▅▆▇█"


def _display(obj) -> None:
    try:
        from IPython.display import display

        display(obj)
    except ImportError:  # pragma: no cover - outside IPython
        print(obj)


class Table:
    """A small frame shown without its index, as HTML and as plain text."""

    def __init__(self, frame):
        self.frame = frame

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="")

    def __repr__(self) -> str:
        return self.frame.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="")


def _table(rows: list[dict], columns: list[str] | None = None) -> None:
    import pandas as pd

    if not rows:
        return
    _display(Table(pd.DataFrame(rows[:MAX_ROWS], columns=columns)))
    if len(rows) > MAX_ROWS:
        print(f"… {len(rows) - MAX_ROWS} more rows in the results file")


def _short(text: str, n: int = 140) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def load_facts(facts: dict, bundle) -> None:
    rows = [
        {"": "model URI", "value": facts.get("model_uri")},
        {"": "loaded with", "value": facts.get("loader", "—")},
        {"": "model class", "value": facts.get("model_class", "—")},
        {"": "hold-out rows", "value": f"{bundle.holdout.rows:,}"},
        {"": "load time", "value": f"{facts.get('seconds', 0):.2f} s"},
    ]
    if not facts.get("ok"):
        rows.insert(1, {"": "LOAD FAILED", "value": _short(facts.get("error", ""), 300)})
    _table(rows)


def results_table(results) -> None:
    _table(
        [
            {
                "check": r.id,
                "status": f"{STATUS_ICONS.get(r.status, '?')} {r.status}",
                "summary": _short(r.summary),
                "s": round(r.seconds, 3),
            }
            for r in results
        ]
    )


def sparkline(counts: list[int]) -> str:
    top = max(counts) if counts else 0
    if not top:
        return ""
    return "".join(
        BARS[min(len(BARS) - 1, round(c / top * (len(BARS) - 1)))] if c else BARS[0] for c in counts
    )


def section_results(name: str, results, extra: dict) -> None:
    results_table(results)
    by_id = {r.id: r for r in results}
    if name == "properties" and extra.get("pytest"):
        t = extra["pytest"]
        if t.get("ran"):
            counts = ", ".join(f"{n} {k}" for k, n in sorted(t["outcomes"].items())) or "no tests"
            print(
                f"generated tests {t['path']}: {counts} (pytest exit {t['exit_code']}, {t['seconds']:.1f} s)"
            )
            for f in t.get("failures", [])[:3]:
                print(f"  FAILED {f['test']}")
        else:
            print(f"generated tests: not run ({t.get('reason')})")
    if name == "performance":
        base = by_id.get("performance.baseline")
        rows = (base.evidence.get("comparisons") if base else None) or []
        _table(
            [{"metric": r["metric"], "model": r["model"], "baseline": r["baseline"]} for r in rows]
        )
        champ = by_id.get("performance.champion")
        if champ and champ.evidence.get("comparisons"):
            _table(
                [
                    {"metric": r["metric"], "candidate": r["candidate"], "champion": r["champion"]}
                    for r in champ.evidence["comparisons"]
                ]
            )
    if name == "drift":
        drift = by_id.get("drift.train_holdout")
        rows = (drift.evidence.get("features") if drift else None) or []
        _table(
            [
                {
                    "feature": r["feature"],
                    "kind": r.get("kind"),
                    "PSI": r.get("psi"),
                    "KS": r.get("ks"),
                    "status": r.get("status"),
                }
                for r in rows[:5]
            ]
        )
    if name == "latency":
        lat = by_id.get("latency")
        ev = lat.evidence if lat else {}
        if ev.get("per_row"):
            row, batch = ev["per_row"], ev["batch"]
            _table(
                [
                    {
                        "": "per row",
                        "p50 ms": row["p50_ms"],
                        "p95 ms": row["p95_ms"],
                        "p99 ms": row["p99_ms"],
                        "timed": f"{row['samples']} rows × {row.get('repeats', 1)}",
                    },
                    {
                        "": f"batch of {batch['rows']}",
                        "p50 ms": batch["median_ms"],
                        "p95 ms": None,
                        "p99 ms": None,
                        "timed": f"{batch['repeats']} batches",
                    },
                ]
            )
            h = row["histogram"]
            print(
                f"per-row latency histogram {h['edges_ms'][0]:.2f}–{h['edges_ms'][-1]:.2f} ms: "
                f"{sparkline(h['counts'])}   throughput {ev['throughput_rows_per_s']:,.0f} rows/s; "
                f"budget p95 ≤ {ev['budget_p95_ms']:g} ms"
            )


def verdict(verdict: str, results) -> None:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    print(
        f"VERDICT: {verdict.upper().replace('_', ' ')}  —  "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    )
    bad = [r for r in results if r.status in ("fail", "error", "warn")]
    if bad:
        results_table(bad)
