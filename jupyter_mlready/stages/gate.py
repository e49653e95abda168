"""The gate: one verdict from every check result and the policy, and what the hand-off will do.

The gate's results are the validation notebook's (run on the logged artifact in a fresh
kernel), plus the notebook kernel's own facts. When the gate could not run (the artifact was
never logged), the checks run on the in-memory model so their findings are not lost, and the
verdict is "error" all the same. A check that crashed is "error": the gate fails closed.

Before deciding, the gate applies the policy's waivers (``stages.waivers``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..records import CheckResult
from .waivers import WAIVABLE, apply_waivers, flagged_columns, waiver_report

__all__ = [  # the waivers' functions, also reached through the gate
    "EXIT_CODES",
    "Gate",
    "apply_waivers",
    "decide",
    "flagged_columns",
    "gate",
    "waiver_report",
]

if TYPE_CHECKING:
    from ..registry.handoff import HandOff

EXIT_CODES = {"ready": 0, "not_ready": 1, "error": 2}


def _effective(r: CheckResult) -> str:
    """The status the verdict sees: "waived" only with an applied waiver of a warn or fail (a
    record that says "waived" without one is an error: only the gate waives)."""
    if r.status != "waived":
        return r.status
    w = r.waiver or {}
    return "waived" if w.get("state") == "applied" and w.get("status") in WAIVABLE else "error"


def decide(results: Sequence[CheckResult], strict: bool = False) -> str:
    """ "error" if any check errored (fail closed), "not_ready" if any failed (or warned under a
    strict policy), else "ready". A waived finding blocks nothing, under a strict policy too. An
    empty result list is an error: nothing was checked."""
    if not results:
        return "error"
    statuses = {_effective(r) for r in results}
    if "error" in statuses:
        return "error"
    if "fail" in statuses or (strict and "warn" in statuses):
        return "not_ready"
    return "ready"


@dataclass(frozen=True)
class Gate:
    """The gate's decision: the results it decided on, the verdict, and the hand-off's plan."""

    results: tuple[CheckResult, ...]
    verdict: str
    hand_off: HandOff | None  # None: nothing was logged, there is nothing to hand off
    error: dict | None = None  # the gate's own failure (registry down, alias moved meanwhile)


def _skipped(error: dict) -> tuple[CheckResult, ...]:
    from ..checks import load_checks

    why = f"Not run: the {error['stage']} stage failed ({error.get('type')})."
    remedy = "Fix the error of that stage (see the run's error), then re-run the check."
    return tuple(
        CheckResult(s.id, "error", why, category=s.category, remedy=remedy) for s in load_checks()
    )


def gate(
    notebook_checks,
    validation,
    record,
    policy,
    error: dict | None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> Gate:
    """Decide. ``notebook_checks``: the checks stage's record (or None); ``validation``: the
    validation stage's outcome (or None); ``record``: the artifact stage's (or None); ``error``:
    the first stage error so far."""
    from ..registry.handoff import HandOff, plan_hand_off
    from ..validation.execute import merge_results

    results: tuple[CheckResult, ...] = notebook_checks.results if notebook_checks else ()
    if validation is not None:
        results = tuple(merge_results(list(results), validation))
    elif notebook_checks is not None and notebook_checks.deferred:
        results = results + notebook_checks.run_deferred(on_result)
    if error and not results:
        results = _skipped(error)
    results = apply_waivers(results, getattr(policy, "waive", ()))
    verdict = "error" if error else decide(list(results), policy.strict)
    if record is None:
        return Gate(results, verdict, None)
    own_error = None
    try:  # also when the verdict is error: a re-checked version holding the alias gives it back
        plan = plan_hand_off(record, verdict, policy.registry_alias)
    except Exception as exc:  # the registry, or an alias that moved since the comparison
        from .report import error_record

        own_error = None if error else error_record("gate", exc)
        verdict = "error"
        why = (error or own_error or {}).get("message", "no hand-off")
        plan = HandOff(policy.registry_alias, False, None, f"verdict is error: {why}")
    return Gate(results, verdict, plan, own_error)
