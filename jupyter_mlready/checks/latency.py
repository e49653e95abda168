"""latency: per-row and batch prediction latency against the policy budget."""

from __future__ import annotations

from . import CheckContext, Finding, check, skip


@check("latency")
def latency(ctx: CheckContext) -> Finding:
    """What are p50 / p95 / p99 per-row and batch latency, against the policy's budget?"""
    return skip("not implemented yet: latency is measured in the validation notebook (issue 5).")
