"""The validation stage — the gate's evidence: the validation notebook generated for the logged
artifact and executed by papermill in a fresh kernel (``jupyter_mlready.validation``)."""

from __future__ import annotations

from pathlib import Path

from ..policy import Policy
from ..registry.artifact import ArtifactRecord
from ..validation.execute import Progress, ValidationOutcome, run_validation


def validate(
    record: ArtifactRecord,
    policy: Policy,
    out: Path,
    *,
    name: str,
    champion_reason: str | None,
    kernel=None,
    progress: Progress | None = None,
) -> ValidationOutcome:
    """Re-check ``record``'s artifact in a fresh kernel (``kernel``: one started ahead)."""
    return run_validation(
        record.model_uri,
        out / "bundle",
        out,
        policy,
        champion_uri=record.champion_uri,
        progress=progress,
        name=name,
        tracking_uri=record.store.tracking_uri,
        champion_reason=champion_reason,
        kernel=kernel,
    )
