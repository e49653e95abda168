"""The hand-off stage: the version tagged with its verdict, the results logged into its run,
and the alias moved last (``jupyter_mlready.registry.handoff``). A failure here turns the
written document into an error, rewritten on disk and, as far as the registry allows, in the
run; the alias is left untouched or restored."""

from __future__ import annotations

from .. import readiness as rd
from ..registry.artifact import ArtifactRecord
from ..registry.handoff import deliver, relog_results
from .gate import Gate
from .report import write_document


def hand_off(record: ArtifactRecord, gate: Gate, readiness: rd.Readiness) -> rd.Readiness:
    """Deliver ``readiness`` (already written) to the registry; the final document."""
    if gate.hand_off is None or readiness.out is None:
        raise ValueError(
            "nothing to hand off: the gate made no plan or the document was not written"
        )
    doc = readiness.data
    failed = deliver(record, gate.hand_off, doc["verdict"], doc["checks"], readiness.out)
    if failed is None:
        return readiness
    hand = {**doc["artifact"]["hand_off"], "moved": False, "why": failed["message"]}
    doc = {
        **doc,
        "verdict": "error",
        # an earlier error is the cause (the hand-off only tried to record it): it stays, and the
        # hand-off's own failure is the hand-off's "why"
        "error": doc.get("error") or failed,
        "artifact": {**doc["artifact"], "hand_off": hand},
    }
    result = write_document(doc, readiness.out)
    relog_results(record, readiness.out)
    return result
