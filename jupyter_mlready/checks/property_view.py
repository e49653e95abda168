"""The property tests' section and its report view: one table row per property check, with how
many examples ran, how the edge cases ended, and the cases that did not pass (with the shrunk
example when the check recorded one)."""

from __future__ import annotations

import json
import re

from ..formatting import cap, fmt_number, truncate
from ..views import Cell, Table, View
from .registry import Section

_EXAMPLE_KEY = re.compile(r"(shrunk|falsif|example|counterexample|minimal)", re.I)
_NOISE_KEY = re.compile(r"(seed|second|per_second|requested|cases_total)", re.I)
_OK_RESULTS = frozenset({"ok", "pass", "passed", "valid"})


def _example_text(v) -> str:
    return (
        v if isinstance(v, str) else json.dumps(cap(v), indent=1, ensure_ascii=False, default=str)
    )


def _result_cell(c: dict, ev: dict) -> Cell:
    counts = [
        f"{truncate(str(k).replace('_', ' '), 60)} {fmt_number(v, str(k))}"
        for k, v in ev.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not _NOISE_KEY.search(str(k))
    ][:8]
    cases = [x for x in ev.get("cases") or [] if isinstance(x, dict)]
    tally: dict[str, int] = {}
    for case in cases:
        result = str(case.get("result", case.get("status", "?")))
        tally[result] = tally.get(result, 0) + 1
    by_kind = ev.get("cases_by_kind")
    if isinstance(by_kind, dict) and by_kind:  # a wide frame: the cases are not all listed
        tally = {}
        for counts_of_kind in by_kind.values():
            for result, n in (counts_of_kind if isinstance(counts_of_kind, dict) else {}).items():
                if isinstance(n, int):
                    tally[str(result)] = tally.get(str(result), 0) + n
    line = " · ".join(counts)
    if tally:
        ends = ", ".join(f"{n} {r}" for r, n in sorted(tally.items(), key=lambda kv: -kv[1])[:8])
        line += (" · " if line else "") + f"{sum(tally.values())} edge cases: {ends}"
    return Cell(truncate(c.get("summary"), 300), lines=(line,) if line else ())


def _cases_cell(ev: dict) -> Cell:
    cases = [x for x in ev.get("cases") or [] if isinstance(x, dict)]
    lines: list[str] = []
    examples: list[str] = []
    graceful: list[str] = []
    notable = 0
    for case in cases:
        result = str(case.get("result", case.get("status", "?")))
        name = case.get("edge_case") or case.get("name") or result
        if result in _OK_RESULTS:
            continue
        if case.get("graceful") is True:
            graceful.append(truncate(name, 80))
            continue
        notable += 1
        if notable > 8:
            continue
        detail = truncate(case.get("detail") or "", 300)
        lines.append(
            f"{truncate(result, 30)}: {truncate(name, 160)}" + (f" — {detail}" if detail else "")
        )
        example = next(
            (
                case[k]
                for k in case
                if _EXAMPLE_KEY.search(str(k)) and case[k] not in (None, "", [], {})
            ),
            None,
        )
        if example is not None:
            examples.append(truncate(_example_text(example), 1000))
    if notable > 8:
        lines.append(f"+{notable - 8} more in the check's evidence")
    if graceful:
        more = "; …" if len(graceful) > 6 else ""
        lines.append(
            f"{len(graceful)} rejected with a clear error: {'; '.join(graceful[:6])}{more}"
        )
    for k, v in ev.items():
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool)  # counts, not examples
        if numeric or v in (None, "", [], {}) or len(examples) >= 6:
            continue
        if _EXAMPLE_KEY.search(str(k)):
            lines.append(truncate(str(k).replace("_", " "), 60))
            examples.append(truncate(_example_text(v), 1500))
    return Cell("" if lines or examples else "—", lines=tuple(lines), examples=tuple(examples))


def property_table(checks: list[dict], doc: dict) -> View | None:
    """The Property tests section of the report."""
    rows = []
    for c in checks:
        ev = raw if isinstance(raw := c.get("evidence"), dict) else {}
        status = str(c.get("status"))
        cid = str(c.get("id", ""))
        rows.append(
            (
                Cell(truncate(cid, 120), status=status, chip=True, code=True, link=cid),
                _result_cell(c, ev),
                _cases_cell(ev),
            )
        )
    if not rows:
        return None
    columns = ("check", "result", "edge cases that did not pass / shrunk examples")
    return View(
        "properties", "Property tests", (Table(columns, tuple(rows)),), nav="Property tests"
    )


PROPERTIES = Section(
    "properties",
    "Property tests",
    "Edge cases drawn from the contract — missing values, unseen categories, extreme values, "
    "empty input, format drift — must give a valid output or a clear rejection, never a crash "
    "deep inside the model. The generated pytest file, when present, runs here too.",
    order=30,
    view=property_table,
)
