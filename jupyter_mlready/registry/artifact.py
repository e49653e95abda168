"""The artifact stage: one MLflow run per check, the model in its flavor, a new registry version.

``log_check`` runs after the in-kernel checks: it logs the evidence bundle, the contract, the
generated tests, the policy and provenance into a new run, stores the model (see packaging.py)
as an MLflow logged model, and registers it as a new version of ``name``. The hand-off, once the
verdict is decided, lives in handoff.py.

Run layout (artifacts of the run)::

    bundle/            the evidence bundle (bundle.py): subject.json, policy.json, contract.json,
                       data/ (never <out>/local_data/: frames kept out of the registry)
    contract/          contract.yaml, contract.py, contract.json as written in --out (rewritten
                       from the bundle's redacted contract when a model input holds personal data)
    tests/             the generated property tests (when present)
    readiness.json     the final result (added at hand-off), plus report.html / summary.md / *.ipynb

The model itself is the version's source, ``models:/<name>/<version>``.
Everything talks to the store through an explicit MlflowClient: no global mlflow state changes.
"""

from __future__ import annotations

import numbers
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArtifactError, RegistryError, UsageError
from ..privacy.redact import redact_example
from ..records import Subject
from .bundle import Bundle
from .packaging import Packaging, plan_packaging, save_model_folder, signature_and_example
from .store import (
    Store,
    client_for,
    describe_failure,
    ensure_experiment,
    http_limits,
    project_root,
    resolve_store,
)
from .versions import TAG, find_champion

SEED_NAMES = (
    "SEED",
    "seed",
    "RANDOM_STATE",
    "random_state",
    "RANDOM_SEED",
    "random_seed",
    "SEED_VALUE",
)


@dataclass(frozen=True)
class ArtifactRecord:
    """What the artifact stage stored, and where."""

    name: str
    version: str
    run_id: str
    model_id: str
    experiment_id: str
    store: Store
    packaging: Packaging
    logged: tuple[str, ...]  # run artifact paths
    stored: dict  # what data is stored (from the bundle)
    notes: tuple[str, ...] = ()
    champion_uri: str | None = None  # the version that held the alias when the check ran
    reused: bool = False  # an existing version with the same model and data, re-checked
    location: str | None = None  # the logged model's artifact location

    @property
    def registered(self) -> bool:
        """False for ``--no-hand-off``: the model is logged in its run, no version exists."""
        return bool(self.version)

    @property
    def model_uri(self) -> str:
        if not self.registered:  # the logged model itself: loadable, never an alias target
            return str(self.location)
        return f"models:/{self.name}/{self.version}"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "model_id": self.model_id,
            "model_uri": self.model_uri,
            "experiment_id": self.experiment_id,
            "store": self.store.to_dict(),
            "run_artifacts": list(self.logged),
            "stored_data": self.stored,
            "champion_uri": self.champion_uri,
            "reused": self.reused,
            "registered": self.registered,
            **self.packaging.to_dict(),
            "notes": list(self.packaging.notes) + list(self.notes),
        }


def find_seeds(namespace: dict | None) -> dict:
    """Integer seeds defined in the notebook (SEED, seed, RANDOM_STATE, random_state, ...)."""
    out = {}
    for k in SEED_NAMES:
        v = (namespace or {}).get(k)
        if isinstance(v, numbers.Integral) and not isinstance(v, bool):
            out[k] = int(v)
    return out


def model_random_states(model) -> dict:
    """``random_state`` params of the model's estimators, e.g. {"clf__random_state": 42}."""
    get = getattr(model, "get_params", None)
    if not callable(get):
        return {}
    try:
        params = get(deep=True)
    except Exception:
        return {}
    return {
        k: (v if isinstance(v, (int, type(None))) else repr(v))
        for k, v in params.items()
        if k == "random_state" or k.endswith("__random_state")
    }


def holdout_metrics(checks: list[dict]) -> dict:
    """The model's hold-out metrics, for the run's metrics: the ``model_metrics`` a check
    recorded in its evidence (all checks that record them share one computation)."""
    for c in checks:
        m = (c.get("evidence") or {}).get("model_metrics")
        if isinstance(m, dict) and m:
            return {k: float(v) for k, v in m.items() if isinstance(v, numbers.Real)}
    return {}


def _reference_predictions(bundle: Bundle):
    """The notebook model's hold-out predictions, already in the bundle (saves a predict call)."""
    import numpy as np

    try:
        with np.load(bundle.path / "data" / "reference_predictions.npz", allow_pickle=False) as z:
            return z["predict"][:5]
    except (OSError, KeyError, ValueError):
        return None


def input_example(subject: Subject, bundle: Bundle) -> tuple:
    """(signature, input example, notes) of the logged model: a few hold-out rows, with a
    placeholder of the same type for every model input holding personal data (never a value)."""
    signature, example, sig_note = signature_and_example(
        subject.model, subject.holdout.X, predictions=_reference_predictions(bundle)
    )
    notes: tuple[str, ...] = (sig_note,) if sig_note else ()
    if bundle.personal_features and example is not None:
        example = redact_example(example, bundle.personal_features)
        shown = ", ".join(f"'{c}'" for c in bundle.personal_features[:5])
        notes += (
            f"The input example holds a placeholder for {shown} (personal data): no value of "
            "it is logged.",
        )
    return signature, example, notes


def _stage_files(stage: Path, out: Path, bundle: Bundle) -> list[str]:
    """Copy what the run holds into one folder so it is uploaded in one call."""
    shutil.copytree(bundle.path, stage / "bundle")
    logged = ["bundle/"]
    contract = [
        out / n for n in ("contract.yaml", "contract.py", "contract.json") if (out / n).exists()
    ]
    if contract and bundle.personal_features:
        # the contract written in --out holds the personal-data columns' training values: log
        # the bundle's (redacted) contract in its three forms instead
        import json

        from ..contract import contract_from_dict, write_contract

        redacted = contract_from_dict(json.loads((bundle.path / "contract.json").read_text()))
        write_contract(redacted, stage / "contract")
        logged.append("contract/")
    elif contract:
        (stage / "contract").mkdir()
        for p in contract:
            shutil.copy2(p, stage / "contract" / p.name)
        logged.append("contract/")
    if (out / "tests").is_dir():
        shutil.copytree(
            out / "tests",
            stage / "tests",
            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".hypothesis"),
        )
        logged.append("tests/")
    return logged


def _provenance_tags(provenance: dict, name: str) -> dict:
    tags = {f"{TAG}name": name, f"{TAG}kind": "check"}
    pairs = {
        "notebook": "notebook",
        "notebook_sha256": "notebook_sha256",
        "git_dirty": "git_dirty",
        "python": "python",
        "platform": "platform",
    }
    for key, tag in pairs.items():
        if provenance.get(key) is not None:
            tags[TAG + tag] = str(provenance[key])
    if provenance.get("git_commit"):
        tags["mlflow.source.git.commit"] = provenance["git_commit"]
    if provenance.get("notebook"):
        tags["mlflow.source.name"] = str(provenance["notebook"])
    for pkg, version in (provenance.get("packages") or {}).items():
        tags[f"{TAG}package.{pkg}"] = str(version)
    return tags


def log_check(
    subject: Subject,
    bundle: Bundle,
    out: Path,
    *,
    name: str,
    store: Store,
    provenance: dict,
    policy_source: str,
    namespace: dict | None = None,
    notebook: str | None = None,
    champion_uri: str | None = None,
    register: bool = True,
) -> ArtifactRecord:
    """Log one check as a run + logged model and register a new version of ``name``
    (``register=False``, for ``--no-hand-off``: the run and the logged model only).

    Raises:
        ArtifactError: the model cannot be stored (names the object and the reason).
        RegistryError: the store is unreachable or refused a call.
    """
    if register:
        check_model_name(name)  # before anything is logged: no run left behind
    plan = plan_packaging(
        subject.model,
        project_root(notebook or "."),
        subject.model_var,
        check_rows=subject.holdout.X,
    )
    signature, example, notes = input_example(subject, bundle)
    client = None
    doing = "connecting to the tracking store"
    run_id = None
    prints = fingerprints(bundle, out)
    try:
        client = client_for(store)  # a locked or unreadable store fails here already
        exp_id = ensure_experiment(client, store)
        doing = f"looking for a version of '{name}' with the same model and data"
        same = find_same_version(client, name, prints) if register else None
        if same is not None:
            note = (
                f"Version {same.version} holds the same model and data (fingerprints equal): "
                "it is re-checked instead of registering a duplicate."
            )
            return ArtifactRecord(
                name,
                str(same.version),
                same.run_id,
                getattr(same, "model_id", None) or "",
                exp_id,
                store,
                plan,
                (),
                dict(bundle.stored),
                (*notes, note),
                champion_uri,
                reused=True,
            )
        doing = "creating the run"
        tags = _provenance_tags(provenance, name)
        tags[f"{TAG}policy_source"] = policy_source
        tags[f"{TAG}serialization"] = plan.serialization
        if champion_uri:
            tags[f"{TAG}champion_uri"] = champion_uri
        run = client.create_run(
            exp_id, tags=tags, run_name=f"{name}-check-{time.strftime('%Y%m%d-%H%M%S')}"
        )
        run_id = run.info.run_id
        doing = "logging params"
        _log_params(client, run_id, subject, namespace)
        with tempfile.TemporaryDirectory(prefix="mlready-artifact-") as tmp:
            stage = Path(tmp) / "run"
            stage.mkdir()
            logged = _stage_files(stage, out, bundle)
            doing = "uploading the bundle"
            client.log_artifacts(run_id, str(stage))
            doing = "creating the logged model"
            model_id, location = _log_model(
                client,
                exp_id,
                run_id,
                subject,
                plan,
                signature,
                example,
                Path(tmp) / "model",
                bundle,
            )
        doing = f"registering a new version of model '{name}'"
        version = _register(client, name, run_id, model_id, location, prints) if register else ""
    except (RegistryError, ArtifactError):
        _fail_run(client, run_id)
        raise
    except Exception as exc:
        _fail_run(client, run_id)
        raise describe_failure(store, exc, doing, after_check=True) from None
    return ArtifactRecord(
        name,
        version,
        run_id,
        model_id,
        exp_id,
        store,
        plan,
        tuple(logged),
        dict(bundle.stored),
        notes,
        champion_uri,
        location=location,
    )


def check_model_name(name: str) -> None:
    """MLflow's rule for registered model names (not empty, no '/' or ':'), checked up front.

    Raises:
        UsageError: the name breaks it; the message says which flag picks another.
    """
    if name.strip() and name.strip() not in (".", "..") and not any(c in name for c in "/:"):
        return
    error = UsageError(
        f"The model name {name!r} cannot be registered in MLflow: a registered model name "
        "cannot be empty or contain '/' or ':'. Pass --name NAME (the default is the "
        "notebook's file name)."
    )
    error.remedy = "Pass --name NAME with a name that has no '/' or ':'."
    raise error


def _log_params(client, run_id: str, subject: Subject, namespace) -> None:
    from mlflow.entities import Param

    params = {
        "task": subject.task,
        "model_var": subject.model_var,
        "model_class": subject.model.class_name,
        "train_rows": subject.train.rows,
        "holdout_rows": subject.holdout.rows,
    }
    params.update({f"seed.{k}": v for k, v in find_seeds(namespace).items()})
    params.update(
        {f"random_state.{k}": v for k, v in model_random_states(subject.model.model).items()}
    )
    client.log_batch(run_id, params=[Param(k, str(v)[:6000]) for k, v in params.items()])


def _log_model(
    client,
    exp_id: str,
    run_id: str,
    subject: Subject,
    plan: Packaging,
    signature,
    example,
    path: Path,
    bundle: Bundle,
) -> tuple[str, str]:
    """Save the model folder (behind the contract guard for serving) and log it as the run's
    logged model; returns (model id, artifact location)."""
    from mlflow.entities import LoggedModelOutput, LoggedModelStatus
    from mlflow.models import Model

    lm = client.create_logged_model(
        exp_id,
        name="model",
        source_run_id=run_id,
        tags={f"{TAG}serialization": plan.serialization, "mlflow.modelFlavor": plan.flavor},
    )
    mlflow_model = Model(
        artifact_path=lm.artifact_location,
        run_id=run_id,
        model_id=lm.model_id,
        model_uuid=lm.model_id,
    )
    save_model_folder(
        subject.model,
        plan,
        path,
        input_example=example,
        signature=signature,
        mlflow_model=mlflow_model,
        model_var=subject.model_var,
    )
    _guard_for_serving(path, bundle, subject.model)
    client.log_model_artifacts(lm.model_id, str(path))
    client.finalize_logged_model(lm.model_id, LoggedModelStatus.READY)
    client.log_outputs(run_id, [LoggedModelOutput(lm.model_id, step=0)])
    return lm.model_id, lm.artifact_location


def _guard_for_serving(path: Path, bundle: Bundle, adapter) -> None:
    """Served (``mlflow models serve``, ``mlflow.pyfunc.load_model``), the model checks each
    request against the bundle's contract first and does what the policy's ``on_invalid`` says;
    its native flavor is untouched (``serving.guard``). A statsmodels array-API model gets the
    constant column its design needs, as the notebook added it with ``sm.add_constant``."""
    import json

    from ..contract import contract_from_dict
    from ..serving import add_guard

    constant = None
    if adapter.flavor == "statsmodels":
        from ..flavors.statsmodels import served_constant

        constant = served_constant(adapter.model)
    contract = contract_from_dict(json.loads((bundle.path / "contract.json").read_text()))
    policy = json.loads((bundle.path / "policy.json").read_text())
    add_guard(path, contract, str(policy.get("on_invalid", "reject")), constant)


def _register(
    client, name: str, run_id: str, model_id: str, location: str, prints: dict[str, str]
) -> str:
    """A new version whose source is the logged model's artifact location.

    Not ``models:/<model_id>``: MLflow's SQL registry resolves that through the *global* tracking
    URI, not this client's, and fails (or finds another store) when they differ.
    """
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(
            name,
            description="Registered by jupyter_mlready: one version "
            "per check; the alias moves only to ready versions.",
        )
    except MlflowException as exc:
        if "RESOURCE_ALREADY_EXISTS" not in str(exc.error_code) and "already exists" not in str(
            exc
        ):
            raise
    tags = {f"{TAG}verdict": "pending", **{TAG + k: v for k, v in prints.items()}}
    mv = client.create_model_version(
        name, source=location, run_id=run_id, model_id=model_id, tags=tags
    )
    return str(mv.version)


def fingerprints(bundle: Bundle, out: Path) -> dict[str, str]:
    """The model's and the data's fingerprints, as version tags: the pickled model the probes
    stage wrote (``tests/model.pkl``), the train / hold-out sha256 of the bundle, and what the
    served artifact does (the contract guard's format, contract and ``on_invalid``: a version
    logged without the guard, or with another contract, is not the same). Empty when the model
    could not be pickled: such a version is never matched."""
    import hashlib
    import json

    from ..serving.guard import GUARD_FORMAT

    model = out / "tests" / "model.pkl"
    try:
        data = json.loads((bundle.path / "subject.json").read_text()).get("fingerprints") or {}
        prints = {f"{role}_sha256": str(data[role]["sha256"]) for role in ("train", "holdout")}
        prints["model_sha256"] = hashlib.sha256(model.read_bytes()).hexdigest()
        on_invalid = json.loads((bundle.path / "policy.json").read_text()).get("on_invalid")
        served = (
            f"{GUARD_FORMAT}|{on_invalid}|".encode() + (bundle.path / "contract.json").read_bytes()
        )
        prints["serving_sha256"] = hashlib.sha256(served).hexdigest()
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return prints


def find_same_version(client, name: str, prints: dict[str, str]):
    """The newest version of ``name`` whose fingerprint tags all equal ``prints`` (or None)."""
    from mlflow.exceptions import MlflowException

    if not prints:
        return None
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except MlflowException as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(exc.error_code):
            return None
        raise
    same = [v for v in versions if all(v.tags.get(TAG + k) == val for k, val in prints.items())]
    return max(same, key=lambda v: int(v.version)) if same else None


def _fail_run(client, run_id: str | None) -> None:
    if client is not None and run_id:
        try:
            client.set_terminated(run_id, "FAILED")
        except Exception:
            pass


def champion_extras(notebook: str | None, name: str, alias: str, task: str) -> dict:
    """The champion inputs of the checks: champion, champion_uri, champion_reason (and the
    tracking URI).

    Never raises: an unreachable registry becomes the reason (the artifact stage then fails loudly).
    """
    try:
        store = resolve_store(notebook or ".")
    except RegistryError as exc:
        return {"champion": None, "champion_uri": None, "champion_reason": str(exc)}
    with http_limits():
        champ = find_champion(
            store, name, alias, task, load=False
        )  # the gate loads and compares it
    return {
        "champion": champ.adapter,
        "champion_uri": champ.uri,
        "champion_reason": champ.reason,
        "tracking_uri": store.tracking_uri,
    }
