"""The result of a check as terminal text: what ``mlready check`` prints and a notebook shows
as the result's plain-text rendition."""

from __future__ import annotations

import re
from pathlib import Path

from ..readiness import FILENAME
from ..records import STATUS_ICONS, count_statuses

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
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
    head = f"mlready: {str(doc.get('verdict', 'error')).upper().replace('_', ' ')}"
    if model.get("name"):
        head += f" — {model['name']} ({model.get('task', '?')}, {model.get('flavor', '?')})"
    lines = [head, "  " + ", ".join(f"{n} {s}" for s, n in counts)]
    err = doc.get("error")
    if err:
        lines.append(f"  error in {err.get('stage')}: {err.get('message')}")
        if err.get("remedy"):
            lines.append(f"  remedy: {err['remedy']}")
    for c in checks:
        status = str(c.get("status"))
        if status in ("fail", "error", "warn", "waived"):
            lines.append(f"  {STATUS_ICONS[status]} {status:5} {c.get('id')}: {c.get('summary')}")
            lines += [f"      {line}" for line in waiver_lines(c)]
    lines += [f"  ! {line}" for line in waiver_problems(doc)]
    if out:
        lines.append(f"  results: {Path(out) / FILENAME}")
        for name in ("report.html", "summary.md"):
            if (Path(out) / name).exists():
                lines.append(f"  {name}: {Path(out) / name}")
    return "\n".join(lines)
