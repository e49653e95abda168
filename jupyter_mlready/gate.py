"""The gate: one verdict from all check results and the policy."""

from __future__ import annotations

from .records import CheckResult

EXIT_CODES = {"ready": 0, "not_ready": 1, "error": 2}


def decide(results: list[CheckResult], strict: bool = False) -> str:
    """ "error" if any check errored (fail closed), "not_ready" if any failed (or warned under a
    strict policy), else "ready". An empty result list is an error: nothing was checked."""
    if not results:
        return "error"
    statuses = {r.status for r in results}
    if "error" in statuses:
        return "error"
    if "fail" in statuses or (strict and "warn" in statuses):
        return "not_ready"
    return "ready"
