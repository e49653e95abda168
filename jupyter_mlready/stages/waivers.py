"""Waivers: findings accepted on purpose in the policy (``waive``), applied before the verdict.

The gate applies the policy's waivers before deciding (``apply_waivers``): a ``warn`` or
``fail`` accepted on purpose becomes ``waived`` (the record's ``waiver`` keeps the original
status, the reason, the owner and the expiry) and no longer blocks, under a strict policy too.
An expired waiver no longer applies: the finding counts again and its record says so. An
``error`` is never waived. A waiver with a ``column`` applies only when the check names the
columns behind its finding and every one of them is waived (``flagged_columns``).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..records import CheckResult

if TYPE_CHECKING:
    from ..policy import Waiver

WAIVABLE = ("warn", "fail")


def _named(rows: object, key: str, flagged: Callable[[dict], bool]) -> frozenset[str] | None:
    """The ``key`` column of the flagged rows of an evidence table; None when a flagged row does
    not name its column (then a column waiver cannot be matched against it)."""
    if not isinstance(rows, list):
        return None
    found: set[str] = set()
    for row in rows:
        if not isinstance(row, dict) or not flagged(row):
            continue
        name = row.get(key)
        if not isinstance(name, str) or not name:
            return None
        found.add(name)
    return frozenset(found) or None


def _above_warn_bound(ev: dict) -> Callable[[dict], bool]:
    warn_at = ev.get("warn_at")
    if not isinstance(warn_at, (int, float)):
        return lambda row: True  # no bound to judge by: every row counts
    return lambda row: not isinstance(row.get("score"), (int, float)) or row["score"] >= warn_at


@dataclass(frozen=True)
class ColumnTable:
    """An evidence table through which a check names the columns behind its warn or fail."""

    key: str  # the evidence key holding the rows
    column: str  # the row key naming the column
    flagged: Callable[[dict], Callable[[dict], bool]]  # evidence -> is this row behind it?
    cap: int | None = None  # the writer keeps at most this many rows: a full table may be cut


#: Evidence shapes, by key (never by check id: a plugin with the same shape is read the same way).
#: The first table present decides.
COLUMN_TABLES = (
    # per-feature results with their own status (drift between training and hold-out)
    ColumnTable("features", "feature", lambda ev: lambda row: row.get("status") in WAIVABLE),
    # edge cases sent to the model: broken, or rejected (robustness)
    ColumnTable(
        "cases",
        "column",
        lambda ev: lambda row: not row.get("graceful", True) or row.get("result") == "rejected",
    ),
    # violations, every one behind the finding; the contract check keeps the first 50
    ColumnTable("failures", "column", lambda ev: lambda row: True, cap=50),
    # single-feature scores against the evidence's warn bound (a target proxy)
    ColumnTable("top_features", "feature", _above_warn_bound),
)


def flagged_columns(result: CheckResult) -> frozenset[str] | None:
    """The columns behind a check's warn or fail, or None when its evidence does not say.

    A check (a plugin too) may list them in ``evidence["flagged_columns"]``; otherwise they are
    read from the first evidence table of a known shape (``COLUMN_TABLES``). None, and so no
    column waiver applies, when a row behind the finding names no column, when no row is
    behind it (the finding is about something else), or when the table may have been cut."""
    ev = result.evidence if isinstance(result.evidence, dict) else {}
    listed = ev.get("flagged_columns")
    if isinstance(listed, list):
        names = [c for c in listed if isinstance(c, str) and c]
        return frozenset(names) if names and len(names) == len(listed) else None
    for table in COLUMN_TABLES:
        rows = ev.get(table.key)
        if not isinstance(rows, list):
            continue
        if table.cap is not None and len(rows) >= table.cap:
            return None
        return _named(rows, table.column, table.flagged(ev))
    return None


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in sorted(names))


def _record(state: str, status: str, note: str, waivers: Iterable[Waiver]) -> dict:
    return {
        "state": state,
        "status": status,
        "note": note,
        "waivers": [w.to_dict() for w in waivers],
    }


def _cover(r: CheckResult, active: list[Waiver]) -> tuple[list[Waiver], str]:
    """The active waivers that accept the whole finding (empty when they do not), and why not."""
    whole = [w for w in active if w.column is None]
    if whole:
        return whole, ""
    if not active:
        return [], ""
    waived = {w.column for w in active if w.column}
    flagged = flagged_columns(r)
    if flagged is None:
        return [], (
            f"The waiver names column(s) {_quoted(waived)}, but {r.id} does not say which "
            f"columns its {r.status} concerns. Waive the whole check (no column) to accept it."
        )
    missing = flagged - waived
    if missing:
        return [], (
            f"The {r.status} also concerns column(s) {_quoted(missing)}, which no waiver covers "
            f"(waived: {_quoted(waived)}). Every column behind the finding must be waived."
        )
    return [w for w in active if w.column in flagged], ""


def _unwaivable() -> frozenset[str]:
    """Ids of the checks that declare ``waivable=False``."""
    from ..checks import load_checks

    return frozenset(spec.id for spec in load_checks() if not spec.waivable)


def _waive(r: CheckResult, matching: list[Waiver], today: dt.date) -> CheckResult:
    if r.waiver is not None:  # decided already (the gate, then the document: the same answer)
        return r
    if r.status == "waived":  # no waiver record: a check cannot waive itself
        return replace(
            r,
            status="error",
            summary=f"The check reported 'waived' itself: {r.summary}",
            remedy="Only a policy waiver waives a finding; a check returns pass, warn, fail, "
            "error or skip.",
        )
    if not matching or r.status not in (*WAIVABLE, "error"):
        return r
    if r.status == "error":
        note = "Errors cannot be waived: the check could not decide. Fix what stopped it."
        return replace(r, waiver=_record("not_applied", "error", note, matching))
    if r.id in _unwaivable():
        note = f"{r.id} cannot be waived: the hand-off depends on it."
        return replace(r, waiver=_record("not_applied", r.status, note, matching))
    active = [w for w in matching if not w.expired(today)]
    expired = [w for w in matching if w.expired(today)]
    used, why = _cover(r, active)
    if used:
        until = min(w.expires for w in used).isoformat()
        cols = sorted(w.column for w in used if w.column)
        what = f" for column(s) {_quoted(cols)}" if cols else ""
        note = f"The policy accepts this {r.status}{what} until {until}."
        return replace(r, status="waived", waiver=_record("applied", r.status, note, used))
    if expired:
        ended = max(w.expires for w in expired).isoformat()
        note = f"Expired on {ended}: the finding counts again."
        return replace(
            r,
            waiver=_record(
                "expired",
                r.status,
                f"{note} {why}".strip(),
                [*expired, *active] if why else expired,
            ),
        )
    return replace(r, waiver=_record("not_applied", r.status, why, active))


def apply_waivers(
    results: Iterable[CheckResult], waivers: Iterable[Waiver], today: dt.date | None = None
) -> tuple[CheckResult, ...]:
    """``results`` with the policy's waivers applied (see the module docstring). A result that
    already carries a waiver record is left as it is, so applying twice changes nothing."""
    today = today or dt.date.today()
    waivers = tuple(waivers)
    return tuple(_waive(r, [w for w in waivers if w.check == r.id], today) for r in results)


def waiver_report(
    results: Sequence[CheckResult],
    waivers: Iterable[Waiver],
    today: dt.date,
    known: Iterable[str] = (),
) -> list[dict]:
    """What became of each policy waiver in this run: ``state`` is applied, expired,
    not_applied, unused (nothing to waive) or unknown_check (no check has that id: the waiver
    applies to nothing, and the reports say so), with a ``note``."""
    by_id = {r.id: r for r in results}
    ids = set(known) | set(by_id)
    items = []
    for w in waivers:
        r = by_id.get(w.check)
        record = (r.waiver if r is not None else None) or {}
        involved = w.to_dict() in (record.get("waivers") or [])
        if w.check not in ids:
            near = difflib.get_close_matches(w.check, sorted(ids), n=1)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            state, note = (
                "unknown_check",
                f"No check has the id '{w.check}': it waives nothing.{hint}",
            )
        elif w.expired(today):
            tail = " The finding counts again." if r is not None and r.status in WAIVABLE else ""
            state, note = "expired", f"Expired on {w.expires.isoformat()}: no longer applies.{tail}"
        elif involved and r is not None and r.status == "waived":
            state, note = "applied", str(record.get("note") or "")
        elif involved:
            state, note = "not_applied", str(record.get("note") or "")
        elif r is None:
            state, note = "unused", f"{w.check} did not run here: nothing to waive."
        elif r.status == "waived":
            state, note = "unused", "Not needed: the other waivers of this check accept it."
        else:
            state, note = "unused", f"Nothing to waive: {w.check} is {r.status}."
        items.append({**w.to_dict(), "state": state, "note": note})
    return items
