"""The result of a check as terminal text: what ``mlready check`` prints and a notebook shows
as the result's plain-text rendition."""

from __future__ import annotations

from pathlib import Path

from ..readiness import FILENAME
from ..records import STATUS_ICONS, count_statuses


def summary_text(doc: dict, out: Path | None = None) -> str:
    """Verdict, counts, the error with its remedy, then every non-pass check in one line each."""
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
        if status in ("fail", "error", "warn"):
            lines.append(f"  {STATUS_ICONS[status]} {status:5} {c.get('id')}: {c.get('summary')}")
    if out:
        lines.append(f"  results: {Path(out) / FILENAME}")
        for name in ("report.html", "summary.md"):
            if (Path(out) / name).exists():
                lines.append(f"  {name}: {Path(out) / name}")
    return "\n".join(lines)
