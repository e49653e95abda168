"""The result of a check as terminal text: what ``mlready check`` prints and a notebook shows
as the result's plain-text rendition."""

from __future__ import annotations

import re
from pathlib import Path

from ..readiness import FILENAME
from ..records import STATUS_ICONS, count_statuses

#: control characters (terminal escape sequences, newlines) and the bidirectional marks and
#: overrides that reorder what a terminal shows (U+200E/F, U+202A-E, U+2066-9)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: policy waiver states the reports point out (the waiver applies to nothing)
WAIVER_PROBLEMS = ("unknown_check", "invalid")


def plain(value, limit: int = 300) -> str:
    """Text from data on one line, without control characters (no terminal escape sequences)."""
    text = " ".join(_CONTROL.sub(" ", "" if value is None else str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_waiver(w: dict) -> str:
    """``column 'age': <reason> (owner ana@example.com, until 2027-03-31)``."""
    where = f"column '{plain(w.get('column'), 80)}': " if w.get("column") else ""
    return (
        f"{where}{plain(w.get('reason'))} (owner {plain(w.get('owner'), 120)}, "
        f"until {plain(w.get('expires'), 30)})"
    )


def waiver_lines(check: dict) -> list[str]:
    """What a check's waiver record says, one line each: waived (and the waivers), expired, or
    not applied. Empty without a record."""
    record = check.get("waiver")
    if not isinstance(record, dict):
        return []
    waivers = [w for w in record.get("waivers") or [] if isinstance(w, dict)]
    state = record.get("state")
    if state == "applied":
        head = f"waived (was {plain(record.get('status'), 10)})"
    elif state == "expired":
        head = "waiver expired"
    else:
        head = "waiver not applied"
    lines = [f"{head}: {plain(record.get('note'))}"]
    lines += [f"  {describe_waiver(w)}" for w in waivers[:5]]
    return lines


def waiver_problems(doc: dict) -> list[str]:
    """The policy's waivers that apply to nothing (an unknown check id, an invalid entry)."""
    report = doc.get("waivers")
    items = report.get("items") if isinstance(report, dict) else None
    return [
        f"waiver for '{plain(i.get('check'), 120)}': {plain(i.get('note'))}"
        for i in items or []
        if isinstance(i, dict) and i.get("state") in WAIVER_PROBLEMS
    ]


def summary_text(doc: dict, out: Path | None = None) -> str:
    """Verdict, counts (waived apart), the error with its remedy, every non-pass check in one line
    each (with its waiver: who accepted it, why, until when; or that it expired), and the
    policy's waivers that apply to nothing."""
    checks = [c for c in doc.get("checks") or [] if isinstance(c, dict)]
    counts = count_statuses(str(c.get("status")) for c in checks)
    model = doc.get("model") or {}
    # every value from the document is data (column, model and file names, messages): one line
    # each, without terminal escapes or bidirectional overrides
    head = f"mlready: {plain(doc.get('verdict', 'error'), 20).upper().replace('_', ' ')}"
    if model.get("name"):
        head += (
            f" — {plain(model['name'], 120)} ({plain(model.get('task', '?'), 30)}, "
            f"{plain(model.get('flavor', '?'), 30)})"
        )
    lines = [head, "  " + ", ".join(f"{n} {s}" for s, n in counts)]
    err = doc.get("error")
    if isinstance(err, dict):
        lines.append(f"  error in {plain(err.get('stage'), 40)}: {plain(err.get('message'), 2000)}")
        if err.get("remedy"):
            lines.append(f"  remedy: {plain(err['remedy'], 1000)}")
    for c in checks:
        status = str(c.get("status"))
        if status in ("fail", "error", "warn", "waived"):
            lines.append(
                f"  {STATUS_ICONS[status]} {status:5} {plain(c.get('id'), 120)}: "
                f"{plain(c.get('summary'), 1000)}"
            )
            lines += [f"      {line}" for line in waiver_lines(c)]
    lines += [f"  ! {line}" for line in waiver_problems(doc)]
    if doc.get("report_error"):
        lines.append(
            f"  ! report.html / summary.md could not be written: {plain(doc['report_error'])}"
        )
    if out:
        name = "monitor.json" if doc.get("kind") == "monitor" else FILENAME
        lines.append(f"  results: {Path(out) / name}")
        for name in ("report.html", "summary.md"):
            if (Path(out) / name).exists() and not doc.get("report_error"):
                lines.append(f"  {name}: {Path(out) / name}")
    return "\n".join(lines)
