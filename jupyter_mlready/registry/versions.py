"""Reading the registry: the champion, rollback of the alias, and the diff of two versions.

mlflow is imported inside functions; every call goes through an explicit client for the store.
Failures become RegistryError with what was being done and what to do.
"""

from __future__ import annotations

import getpass
import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import RegistryError
from ..model import ModelAdapter
from .store import Store, client_for, describe_failure

TAG = "mlready."  # prefix of our tags on runs, versions and registered models


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def lookup_version(client, name: str, version: str | None, alias: str | None):
    """The ModelVersion ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS`` names (an alias
    resolved now); MLflow's exception when there is none."""
    if alias:
        return client.get_model_version_by_alias(name, alias)
    return client.get_model_version(name, version)


def current_holder(client, name: str, alias: str) -> str | None:
    """The version holding ``alias``, or None (no alias, or no such registered model)."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(exc.error_code) or "not found" in str(exc).lower():
            return None
        raise


@dataclass(frozen=True)
class Champion:
    """The version holding the alias, loaded as a ModelAdapter (or why there is none)."""

    adapter: ModelAdapter | None
    uri: str | None  # models:/<name>/<version>
    version: str | None
    reason: str | None  # set when adapter is None


def load_model_version(
    store: Store,
    name: str,
    version: str,
    task: str | None = None,
    *,
    trusted_registries=(),
    allow_pickle: bool = False,
) -> ModelAdapter:
    """Download ``models:/name/version`` and load the native model (sklearn, or our pyfunc's
    inner object), as ``registry.trust`` allows for ``store`` under the local policy's
    ``trusted_registries`` / ``allow_pickle``.

    Raises:
        UntrustedArtifactError: loading it would run code from a registry the local policy does
            not trust (the message says what, and how to allow it).
    """
    import mlflow.artifacts

    # Not artifact_uri="models:/name/version": MLflow resolves that through the global registry
    # URI, whatever is passed here. The version's download URI comes from our own client.
    source = client_for(store).get_model_version_download_uri(name, str(version))
    with tempfile.TemporaryDirectory(prefix="mlready-champion-") as tmp:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=source, dst_path=tmp, tracking_uri=store.tracking_uri
        )
        model = load_native(
            local,
            f"models:/{name}/{version}",
            store.tracking_uri,
            trusted_registries=trusted_registries,
            allow_pickle=allow_pickle,
        )
        return ModelAdapter.wrap(model, task)


def load_native(
    local_path: str,
    uri: str | None = None,
    source: str | None = None,
    *,
    trusted_registries=(),
    allow_pickle: bool = False,
):
    """The model object inside a local MLflow model folder, with all its methods; ``source`` is
    the registry it was downloaded from (None: the folder is local, and trusted as such)."""
    from .packaging import quiet_mlflow
    from .trust import inspect_folder, load_folder

    fmt, trust = inspect_folder(
        local_path,
        uri or local_path,
        source or str(Path(local_path).resolve()),
        trusted_registries=trusted_registries,
        allow_pickle=allow_pickle,
    )
    with quiet_mlflow():
        loaded, how = load_folder(local_path, fmt, trust)
    if how != "mlflow.pyfunc.load_model":
        return loaded
    try:
        inner = loaded.unwrap_python_model()
        return getattr(inner, "model", inner)
    except Exception:
        return loaded


def find_champion(
    store: Store,
    name: str,
    alias: str,
    task: str | None = None,
    load: bool = True,
    policy=None,
) -> Champion:
    """The version holding ``alias`` (and its model, when ``load``, as the local ``policy``'s
    trust allows); never raises (a failure, a refusal included, becomes the reason)."""
    try:
        client = client_for(store)
        version = current_holder(client, name, alias)
    except Exception as exc:
        return Champion(
            None,
            None,
            None,
            f"The registry could not be read, so there is no champion to "
            f"compare against: {describe_failure(store, exc, 'looking up the champion')}",
        )
    if version is None:
        return Champion(
            None,
            None,
            None,
            f"No version of model '{name}' holds the '{alias}' alias yet "
            f"(registry {store.tracking_uri}): this is the first candidate.",
        )
    uri = f"models:/{name}/{version}"
    if not load:
        return Champion(
            None,
            uri,
            version,
            f"The champion {uri} is loaded and compared by the validation "
            "notebook, not in the notebook kernel.",
        )
    from .trust import UntrustedArtifactError, allow_pickle_from_env

    try:
        adapter = load_model_version(
            store,
            name,
            version,
            task,
            trusted_registries=tuple(getattr(policy, "trusted_registries", ())),
            allow_pickle=bool(getattr(policy, "allow_pickle", False)) or allow_pickle_from_env(),
        )
        return Champion(adapter, uri, version, None)
    except UntrustedArtifactError as exc:
        return Champion(None, uri, version, f"The champion {uri} was not loaded: {exc}")
    except Exception as exc:
        return Champion(
            None,
            uri,
            version,
            f"The champion {uri} could not be loaded: {type(exc).__name__}: {str(exc)[:300]}",
        )


def _client(store: Store, name: str):
    from mlflow.exceptions import MlflowException

    client = client_for(store)
    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(exc.error_code):
            raise RegistryError(
                f"No registered model named '{name}' in {store.tracking_uri}. "
                "Check the name (it defaults to the notebook's file name) or the store "
                "(MLFLOW_TRACKING_URI / --tracking-uri).",
                tracking_uri=store.tracking_uri,
            ) from None
        raise describe_failure(store, exc, f"reading model '{name}'") from None
    except Exception as exc:
        raise describe_failure(store, exc, f"reading model '{name}'") from None
    return client


def _version(client, store: Store, name: str, version: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, str(version))
    except MlflowException as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(exc.error_code) or "INVALID_PARAMETER" in str(
            exc.error_code
        ):
            raise RegistryError(
                f"Model '{name}' has no version {version}. "
                f"List versions with: mlflow models / the MLflow UI at {store.tracking_uri}.",
                tracking_uri=store.tracking_uri,
            ) from None
        raise describe_failure(store, exc, f"reading version {version} of '{name}'") from None


def rollback(
    store: Store,
    name: str,
    to: str | None = None,
    alias: str = "ready",
    reason: str | None = None,
    user: str | None = None,
) -> dict:
    """Move ``alias`` back: to version ``to``, or to the newest ready version older than the holder.

    Records who, when and why as tags on both versions and on the registered model.
    """
    client = _client(store, name)
    try:
        holder = current_holder(client, name, alias)
        if to is None:
            ready = [
                int(v.version)
                for v in client.search_model_versions(f"name='{name}'")
                if v.tags.get(f"{TAG}verdict") == "ready"
            ]
            older = [v for v in ready if holder is None or v < int(holder)]
            if not older:
                raise RegistryError(
                    f"No ready version of '{name}' older than the current '{alias}' "
                    f"holder ({holder or 'none'}). Pass --to VERSION.",
                    tracking_uri=store.tracking_uri,
                )
            to = str(max(older))
        target = _version(client, store, name, str(to))
        who = user or _user()
        at = now_iso()
        why = reason or "no reason given"
        client.set_registered_model_alias(name, alias, target.version)
        record = {
            "name": name,
            "alias": alias,
            "from": holder,
            "to": str(target.version),
            "by": who,
            "at": at,
            "reason": why,
        }
        for key, value in (
            ("rolled_back_to_at", at),
            ("rolled_back_to_by", who),
            ("rolled_back_to_reason", why),
            ("rolled_back_to_from", holder or ""),
        ):
            client.set_model_version_tag(name, target.version, TAG + key, value)
        if holder is not None and holder != str(target.version):
            client.set_model_version_tag(name, holder, f"{TAG}rolled_back", json.dumps(record))
        client.set_registered_model_tag(name, f"{TAG}last_rollback", json.dumps(record))
        return record
    except RegistryError:
        raise
    except Exception as exc:
        raise describe_failure(store, exc, f"rolling back '{name}'") from None


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _run_json(client, run_id: str, path: str) -> dict | None:
    with tempfile.TemporaryDirectory(prefix="mlready-diff-") as tmp:
        try:
            local = client.download_artifacts(run_id, path, tmp)
        except Exception:
            return None
        return json.loads(Path(local).read_text())


def version_facts(store: Store, name: str, version: str) -> dict:
    """What the diff compares, for one version: verdict, checks, metrics, contract, fingerprints."""
    client = _client(store, name)
    mv = _version(client, store, name, version)
    try:
        run = client.get_run(mv.run_id)
        readiness = _run_json(client, mv.run_id, "readiness.json") or {}
        contract = _run_json(client, mv.run_id, "bundle/contract.json") or {}
        subject = _run_json(client, mv.run_id, "bundle/subject.json") or {}
    except Exception as exc:
        raise describe_failure(store, exc, f"reading version {version} of '{name}'") from None
    metrics = {k.removeprefix("holdout."): v for k, v in run.data.metrics.items()}
    data = readiness.get("data") or subject.get("fingerprints") or {}
    return {
        "version": str(mv.version),
        "run_id": mv.run_id,
        "verdict": mv.tags.get(f"{TAG}verdict", readiness.get("verdict")),
        "aliases": list(getattr(mv, "aliases", []) or []),
        "checks": {c["id"]: c["status"] for c in readiness.get("checks", [])},
        "metrics": metrics,
        "columns": {c["name"]: c for c in contract.get("columns", [])},
        "data": {
            role: {"rows": d.get("rows"), "sha256": d.get("sha256")}
            for role, d in data.items()
            if isinstance(d, dict)
        },
    }


CONTRACT_FIELDS = ("kind", "dtype", "nullable", "low", "high", "categories")


def diff_versions(store: Store, name: str, v1: str, v2: str) -> dict:
    """Side by side: verdicts, check statuses, metrics, contract changes, data fingerprints."""
    a, b = version_facts(store, name, v1), version_facts(store, name, v2)
    checks = [
        {
            "id": i,
            "a": a["checks"].get(i),
            "b": b["checks"].get(i),
            "changed": a["checks"].get(i) != b["checks"].get(i),
        }
        for i in dict.fromkeys([*a["checks"], *b["checks"]])
    ]
    metrics = []
    for m in sorted(set(a["metrics"]) | set(b["metrics"])):
        x, y = a["metrics"].get(m), b["metrics"].get(m)
        metrics.append(
            {
                "metric": m,
                "a": x,
                "b": y,
                "change": (y - x) if x is not None and y is not None else None,
            }
        )
    ca, cb = a["columns"], b["columns"]
    changed = []
    for col in sorted(set(ca) & set(cb)):
        for f in CONTRACT_FIELDS:
            if ca[col].get(f) != cb[col].get(f):
                changed.append(
                    {"column": col, "field": f, "a": ca[col].get(f), "b": cb[col].get(f)}
                )
    data = {
        role: {
            "a": a["data"].get(role),
            "b": b["data"].get(role),
            "same": a["data"].get(role) == b["data"].get(role),
        }
        for role in dict.fromkeys([*a["data"], *b["data"]])
    }
    return {
        "name": name,
        "a": {k: a[k] for k in ("version", "run_id", "verdict", "aliases")},
        "b": {k: b[k] for k in ("version", "run_id", "verdict", "aliases")},
        "checks": checks,
        "metrics": metrics,
        "contract": {
            "added": sorted(set(cb) - set(ca)),
            "removed": sorted(set(ca) - set(cb)),
            "changed": changed,
        },
        "data": data,
    }


def _s(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        text = ", ".join(map(str, v))
        return text if len(text) <= 40 else text[:37] + "..."
    return str(v)


def format_diff(d: dict) -> str:
    """The diff as aligned terminal text."""
    a, b = d["a"], d["b"]

    def head(v):
        return (
            f"v{v['version']} ({v['verdict']}"
            f"{', @' + ', @'.join(v['aliases']) if v['aliases'] else ''})"
        )

    lines = [f"mlready diff {d['name']}: {head(a)}  →  {head(b)}", "", "checks (changed first):"]
    rows = sorted(d["checks"], key=lambda c: not c["changed"])
    width = max([len(c["id"]) for c in rows] + [10])
    for c in rows:
        mark = "*" if c["changed"] else " "
        lines.append(f" {mark} {c['id']:<{width}}  {_s(c['a']):>5}  →  {_s(c['b'])}")
    lines += ["", "metrics (hold-out):"]
    for m in d["metrics"]:
        change = f"{m['change']:+.4g}" if m["change"] is not None else ""
        lines.append(f"   {m['metric']:<{width}}  {_s(m['a']):>8}  →  {_s(m['b']):<8} {change}")
    if not d["metrics"]:
        lines.append("   (none logged)")
    lines += ["", "contract:"]
    con = d["contract"]
    if con["added"]:
        lines.append(f"   added columns:   {', '.join(con['added'])}")
    if con["removed"]:
        lines.append(f"   removed columns: {', '.join(con['removed'])}")
    for ch in con["changed"]:
        lines.append(f"   {ch['column']}.{ch['field']}: {_s(ch['a'])}  →  {_s(ch['b'])}")
    if not (con["added"] or con["removed"] or con["changed"]):
        lines.append("   unchanged")
    lines += ["", "data fingerprints:"]
    for role, v in d["data"].items():
        fa, fb = v["a"] or {}, v["b"] or {}
        same = "same data" if v["same"] else "CHANGED"
        lines.append(
            f"   {role:<8} rows {_s(fa.get('rows'))} → {_s(fb.get('rows'))}, "
            f"sha256 {str(fa.get('sha256'))[:12]} → {str(fb.get('sha256'))[:12]}  ({same})"
        )
    return "\n".join(lines)
