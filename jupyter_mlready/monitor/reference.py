"""What a live batch is checked against: a registered version, read from the registry alone.

``models:/NAME/VERSION`` (or ``models:/NAME@ALIAS``) is resolved to its run; of the run's bundle
only :data:`~jupyter_mlready.registry.bundle.MONITOR_FILES` are downloaded (the contract, the
training profile, the hold-out's predictions, the logged policy: no training or hold-out rows),
plus the gate's readiness.json for the hold-out's metrics. The model loads under the local
policy's trust (``trusted_registries``, ``--allow-pickle``), exactly as in ``mlready validate``.
The notebook, its data and its output folder need not exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import MlreadyError, RegistryError, UsageError
from ..registry.bundle import MONITOR_FILES, MonitorReference, load_monitor_reference
from ..registry.store import Store
from ..validation.revalidate import MODEL_URI


@dataclass(frozen=True)
class Version:
    """A registered version and where it lives."""

    name: str
    version: str
    run_id: str
    experiment_id: str
    store: Store

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@dataclass(frozen=True)
class Reference:
    """A version, its bundle's monitoring files, its loaded model and the hold-out's metrics."""

    version: Version
    bundle: MonitorReference
    model: object  # a ModelAdapter
    loader: str
    holdout_metrics: dict  # metric -> {"value", "low", "high", ...} from the gate
    policy: object  # the Policy in force: the local one, floored by the logged one
    policy_notes: tuple[str, ...]


def parse_model_uri(uri: str):
    m = MODEL_URI.match(uri)
    if m is None:
        raise UsageError(
            f"{uri!r} is not a registered model URI: pass models:/NAME/VERSION or "
            "models:/NAME@ALIAS (e.g. models:/fraud@ready)."
        )
    return m


def resolve_version(uri: str, store: Store, client) -> Version:
    """The version ``uri`` names (an alias resolved now), with its run and experiment."""
    from ..registry.store import describe_failure
    from ..registry.versions import lookup_version

    m = parse_model_uri(uri)
    try:
        mv = lookup_version(client, m["name"], m["version"], m["alias"])
        run = client.get_run(mv.run_id)
    except Exception as exc:  # noqa: BLE001
        raise describe_failure(store, exc, f"looking up {uri}") from None
    return Version(m["name"], str(mv.version), mv.run_id, run.info.experiment_id, store)


def download_reference(client, version: Version, out: Path) -> Path:
    """The version's :data:`MONITOR_FILES` (and readiness.json, when logged) under
    ``out/bundle/``; returns that folder.

    Raises:
        RegistryError: the run has no bundle (not logged by ``mlready check``), or the registry
            failed.
    """
    from ..registry.store import describe_failure, quiet_downloads

    target = out / "bundle"
    try:
        with quiet_downloads():
            listed = {a.path for a in client.list_artifacts(version.run_id, "bundle")}
            if "bundle/subject.json" not in listed:
                raise RegistryError(
                    f"The run {version.run_id} of {version.uri} has no bundle/: it was not "
                    "logged by `mlready check`, so there is no contract or training profile to "
                    "monitor against."
                )
            for rel in MONITOR_FILES:
                folder = (target / rel).parent
                folder.mkdir(parents=True, exist_ok=True)
                client.download_artifacts(version.run_id, f"bundle/{rel}", str(folder))
            if any(a.path == "readiness.json" for a in client.list_artifacts(version.run_id)):
                client.download_artifacts(version.run_id, "readiness.json", str(out))
    except RegistryError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise describe_failure(
            version.store, exc, f"downloading the bundle of {version.uri}"
        ) from None
    return target


def holdout_metrics(readiness: Path) -> dict:
    """The gate's hold-out metrics with intervals, or {} when the version's readiness.json is
    not there or holds none."""
    from ..checks.performance import documented_estimates

    try:
        doc = json.loads(readiness.read_text())
    except (OSError, ValueError):
        return {}
    return documented_estimates(doc) if isinstance(doc, dict) else {}


def load_reference(version: Version, client, out: Path, local_policy, notice=None) -> Reference:
    """Download what monitoring needs of ``version`` into ``out`` and load its model under the
    local policy's trust.

    Raises:
        RegistryError: the registry failed, or the version has no bundle.
        UntrustedArtifactError: the model would run code from an untrusted registry.
    """
    from ..registry.bundle import adapter_for
    from ..registry.trust import floor_policy
    from ..validation.kernel_api import TrustSettings, load_registry_model

    out.mkdir(parents=True, exist_ok=True)
    bundle = load_monitor_reference(download_reference(client, version, out))
    policy, notes = floor_policy(local_policy, bundle.policy, bool(bundle.meta.get("has_proba")))
    for note in notes:
        if notice is not None:
            notice(f"mlready: policy: {note}")
    settings = TrustSettings(
        tuple(local_policy.trusted_registries),
        local_policy.allow_pickle,
        version.store.tracking_uri,
    )
    try:
        loaded = load_registry_model(version.uri, settings)
    except MlreadyError:  # refused by the trust rules: their message says why and what to do
        raise
    except Exception as exc:  # noqa: BLE001
        from ..registry.store import describe_failure

        raise describe_failure(version.store, exc, f"loading the model of {version.uri}") from None
    return Reference(
        version,
        bundle,
        adapter_for(loaded.model, bundle),
        loaded.loader,
        holdout_metrics(out / "readiness.json"),
        policy,
        tuple(notes),
    )
