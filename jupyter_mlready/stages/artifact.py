"""The artifact stage: the evidence bundle, then one MLflow run, the logged model and a new
registered version (``jupyter_mlready.registry``)."""

from __future__ import annotations

from pathlib import Path

from ..policy import Policy
from ..records import Contract, Subject
from ..registry.artifact import ArtifactRecord, run_artifact_stage
from ..registry.bundle import write_bundle


def log_artifact(
    subject: Subject,
    contract: Contract,
    policy: Policy,
    out: Path,
    *,
    name: str,
    provenance: dict,
    policy_source: str,
    notebook: str | None,
    namespace: dict | None,
    champion_uri: str | None,
    cache: dict,
) -> ArtifactRecord:
    """Write ``<out>/bundle`` (reusing what the checks computed: predictions, row hashes, the
    profile, in ``cache``) and log it with the model as a new version of ``name``."""
    bundle = write_bundle(subject, contract, policy, out, cache=cache)
    return run_artifact_stage(
        subject,
        contract,
        policy,
        out,
        name=name,
        provenance=provenance,
        policy_source=policy_source,
        namespace=namespace,
        notebook=notebook,
        champion_uri=champion_uri,
        bundle=bundle,
    )
