"""The artifact stage: the evidence bundle, then one MLflow run, the logged model and a new
registered version (``jupyter_mlready.registry``)."""

from __future__ import annotations

from pathlib import Path

from ..policy import Policy
from ..records import Contract, Subject
from ..registry.artifact import ArtifactRecord, log_check
from ..registry.bundle import write_bundle
from ..registry.store import http_limits, resolve_store


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
    cache: dict | None = None,
    register: bool = True,
) -> ArtifactRecord:
    """Write ``<out>/bundle`` (reusing what the checks computed: predictions, row hashes, the
    profile, in ``cache``) and log it with the model as a new version of ``name``."""
    bundle = write_bundle(subject, contract, policy, out, cache=cache)
    store = resolve_store(notebook or ".")
    with http_limits():
        return log_check(
            subject,
            bundle,
            out,
            name=name,
            store=store,
            provenance=provenance,
            policy_source=policy_source,
            namespace=namespace,
            notebook=notebook,
            champion_uri=champion_uri,
            register=register,
        )
