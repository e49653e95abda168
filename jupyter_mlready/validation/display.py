"""Compact outputs for the validation notebook: small tables, a text histogram, no frame dumps.

Every output is a small pandas frame (HTML + text renditions) or plain text, so the executed
notebook reads the same in JupyterLab, on GitHub and in ``nbconvert --to markdown``.
"""

from __future__ import annotations

from ..records import STATUS_ICONS, count_statuses

MAX_ROWS = 8


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


def section_results(specs, results, extra: dict, earlier: list[dict]) -> None:
    """A section's results table, the generated tests' run, then the report views the section's
    checks register (the same views report.html shows)."""
    results_table(results)
    if extra.get("pytest"):
        t = extra["pytest"]
        if t.get("ran"):
            counts = ", ".join(f"{n} {k}" for k, n in sorted(t["outcomes"].items())) or "no tests"
            print(
                f"generated tests {t['path']}: {counts} (pytest exit {t['exit_code']}, "
                f"{t['seconds']:.1f} s)"
            )
            for f in t.get("failures", [])[:3]:
                print(f"  FAILED {f['test']}")
        else:
            print(f"generated tests: not run ({t.get('reason')})")
    doc = {"checks": earlier + [r.to_dict() for r in results]}
    by_id = {c["id"]: c for c in doc["checks"]}
    builders = []
    if specs and specs[0].section.view is not None:
        builders.append((specs[0].section.view, [by_id[s.id] for s in specs if s.id in by_id]))
    builders += [(s.view, by_id[s.id]) for s in specs if s.view is not None and s.id in by_id]
    for build, arg in builders:
        try:
            view = build(arg, doc)
        except Exception as exc:  # noqa: BLE001 - a view is a courtesy here; the results stand
            print(f"(view not shown: {type(exc).__name__}: {exc})")
            continue
        if view is not None:
            _display(ViewOutput(view))


class ViewOutput:
    """A report view shown in the notebook: the report's HTML, plain text elsewhere."""

    def __init__(self, view):
        self.view = view

    def _repr_html_(self) -> str:
        from ..report.render import render_view_html

        return render_view_html(self.view)

    def __repr__(self) -> str:
        from ..report.render import render_view_text

        return render_view_text(self.view)


def verdict(verdict: str, results) -> None:
    counts = count_statuses(r.status for r in results)
    print(
        f"VERDICT: {verdict.upper().replace('_', ' ')}  —  "
        + ", ".join(f"{n} {s}" for s, n in counts)
    )
    bad = [r for r in results if r.status in ("fail", "error", "warn")]
    if bad:
        results_table(bad)
