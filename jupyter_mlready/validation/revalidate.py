"""``mlready validate``: re-execute the validation notebook of a registered version (or a
generated validation notebook) and write readiness.json from its results alone.

For ``models:/NAME/VERSION`` (or ``models:/NAME@ALIAS``): find the version's run, download its
``bundle/`` artifacts into ``--out`` (data only: the run's ``tests/`` and notebooks are code and
are not downloaded; the kernel regenerates the test file), regenerate the notebook from the
template shipped with this jupyter_mlready (so a CI run uses the checks of the installed version,
not those frozen at logging time), compare against the version holding the ready alias, execute.
The policy in force is the local one (``--policy FILE``, else mlready.toml / pyproject.toml from
the working directory, else the defaults) tightened, never loosened, by the policy logged with
the artifact (``registry.trust.floor_policy``); what may load is the local policy's call alone.
For a ``validation.ipynb``: re-execute it with the parameters in its ``metadata.mlready``.

Validation does not move the registry alias: that is ``mlready check``'s hand-off. It gates.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from .. import readiness as rd
from ..errors import RegistryError, UsageError
from ..notebooks import RESULTS_DIR
from ..records import CheckResult
from .execute import (
    RESULTS_NAME,
    ValidationOutcome,
    execute_validation,
    outcome_record,
    run_validation,
)

MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[\w-]+))$")


def default_out(target: str) -> Path:
    """``mlready-out/validate-<name>-v<version>/`` (a URI), or ``validate/`` beside the notebook
    (not the notebook's own folder: the check's readiness.json there stays as it was)."""
    m = MODEL_URI.match(target)
    if m:
        tail = f"v{m['version']}" if m["version"] else m["alias"]
        return Path(RESULTS_DIR) / f"validate-{m['name']}-{tail}"
    return Path(target).resolve().parent / "validate"


def validate(
    target: str,
    out: str | Path | None = None,
    policy_file: str | None = None,
    progress=None,
    tracking_uri: str | None = None,
    allow_pickle: bool = False,
    notice: Callable[[str], None] | None = None,
) -> rd.Readiness:
    """Validate ``target`` (a models:/ URI or a validation notebook); always writes readiness.json
    in ``out`` unless the target itself is unusable (UsageError / RegistryError).

    Args:
        allow_pickle: ``--allow-pickle``: pickle-based models load from any registry.
        notice: called with a line for each policy value the artifact's policy tightened or
            could not loosen.
    """
    from ..policy import load_policy

    t0 = time.perf_counter()
    local, _ = load_policy(policy_file, Path.cwd())
    if allow_pickle:
        local = dataclasses.replace(local, allow_pickle=True)
    out = Path(out or default_out(target)).resolve()
    if MODEL_URI.match(target):
        outcome, model = _validate_registered(
            target, out, local, progress, tracking_uri, notice or _quiet
        )
    else:
        outcome, model = _validate_notebook(
            Path(target), out, local if policy_file else None, progress, trust=local
        )
    return _write_readiness(outcome, model, out, policy_file, time.perf_counter() - t0)


def _quiet(line: str) -> None:
    pass


def _validate_registered(
    uri: str, out: Path, local, progress, tracking_uri: str | None = None, notice=_quiet
) -> tuple[ValidationOutcome, dict]:
    from ..registry.store import resolve_store
    from .warm_kernel import start_warm_kernel

    m = MODEL_URI.match(uri)
    store = resolve_store(Path.cwd(), tracking_uri)
    # the fresh kernel starts (and imports) while the bundle downloads
    warm = start_warm_kernel(out)
    try:
        return _validate_version(uri, m, store, out, local, progress, warm, notice)
    finally:
        if warm is not None:
            warm.shutdown()  # no-op when the validation already used and shut it down


def _validate_version(
    uri: str, m, store, out: Path, local, progress, warm, notice=_quiet
) -> tuple[ValidationOutcome, dict]:
    from ..registry.store import client_for, describe_failure, http_limits
    from ..registry.trust import floor_policy
    from ..registry.versions import current_holder, lookup_version

    with http_limits():
        client = client_for(store)
        try:
            mv = lookup_version(client, m["name"], m["version"], m["alias"])
        except Exception as exc:
            raise describe_failure(store, exc, f"looking up {uri}") from None
        version = str(mv.version)
        out.mkdir(parents=True, exist_ok=True)
        bundle = _download(client, store, mv.run_id, "bundle", out)
        if bundle is None:
            raise RegistryError(
                f"The run {mv.run_id} of {uri} has no bundle/ artifacts: it was not "
                "logged by `mlready check`. Re-run `mlready check` on the notebook."
            )
        policy, notes = floor_policy(
            local, _read_json(bundle / "policy.json"), _stored_has_proba(bundle)
        )
        for note in notes:
            notice(f"mlready: policy: {note}")
        alias = policy.registry_alias
        try:
            holder = current_holder(client, m["name"], alias)
        except Exception:  # noqa: BLE001 - no champion is a reason, not a failure
            holder = None
    model_uri = f"models:/{m['name']}/{version}"
    champion = f"models:/{m['name']}/{holder}" if holder and holder != version else None
    reason = (
        f"No version of model '{m['name']}' holds the '{alias}' alias yet."
        if holder is None
        else f"Version {version} itself holds the '{alias}' alias: there is no other champion."
    )
    outcome = run_validation(
        model_uri,
        bundle,
        out,
        policy,
        champion_uri=champion,
        progress=progress,
        name=m["name"],
        tracking_uri=store.tracking_uri,
        champion_reason=reason,
        kernel=warm,
    )
    return outcome, {
        "name": m["name"],
        "uri": model_uri,
        "version": version,
        "run_id": mv.run_id,
        "tracking_uri": store.tracking_uri,
        "champion_uri": champion,
    }


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _stored_has_proba(bundle: Path) -> bool:
    """Whether the logged model has predict_proba (``bundle/subject.json``): the policy floor
    applies the thresholds ``Policy.threshold_for`` would."""
    return bool(_read_json(bundle / "subject.json").get("has_proba", True))


def _download(client, store, run_id: str, path: str, out: Path) -> Path | None:
    """Download the run's ``path`` artifacts into ``out/path``; None when the run has none."""
    import shutil

    target = out / path
    if target.exists():
        shutil.rmtree(target)
    from ..registry.store import describe_failure, quiet_downloads

    try:
        with quiet_downloads():
            if not client.list_artifacts(run_id, path):
                return None
            return Path(client.download_artifacts(run_id, path, str(out)))
    except Exception as exc:  # noqa: BLE001
        raise describe_failure(store, exc, f"downloading {path}/ of run {run_id}") from None


def _validate_notebook(
    path: Path, out: Path, policy, progress, trust=None
) -> tuple[ValidationOutcome, dict]:
    import nbformat

    from ..notebooks import read_notebook

    nb = read_notebook(path)
    meta = nb.metadata.get("mlready", {})
    if meta.get("kind") != "validation" or "parameters" not in meta:
        raise UsageError(
            f"{path} is not a validation notebook (no metadata.mlready.parameters). Pass the "
            "validation.ipynb that `mlready check` wrote, or a models:/NAME/VERSION URI."
        )
    params = dict(meta["parameters"])
    if not Path(params.get("bundle_dir") or "").joinpath("subject.json").exists():
        raise UsageError(
            f"The evidence bundle {params.get('bundle_dir')} of {path} is gone. Validate the "
            "registered version instead: mlready validate models:/NAME/VERSION."
        )
    params["results_path"] = str(out / RESULTS_NAME)
    from .execute import _policy_overrides, trust_overrides

    if policy is not None:
        params["policy_overrides"] = _policy_overrides(policy, Path(params["bundle_dir"]))
    else:  # the notebook's own values, but what may load is the local policy's call
        params["policy_overrides"] = dict(params.get("policy_overrides") or {}) | trust_overrides(
            trust
        )
    timeout = policy.cell_timeout if policy else _stored_timeout(Path(params["bundle_dir"]))
    if out != path.parent.resolve():
        out.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out / path.name))
    outcome = execute_validation(path, out, params, timeout, progress)
    uri = params.get("model_uri")
    m = MODEL_URI.match(uri or "")
    return outcome, {
        "name": meta.get("name") or (m["name"] if m else None),
        "uri": uri,
        "version": m["version"] if m else None,
        "tracking_uri": params.get("tracking_uri"),
        "champion_uri": params.get("champion_uri"),
    }


def _stored_timeout(bundle_dir: Path) -> int:
    from .execute import _stored_timeout as stored

    return stored(bundle_dir)


def _write_readiness(
    outcome: ValidationOutcome, model: dict, out: Path, policy_file: str | None, seconds: float
) -> rd.Readiness:
    import json

    from ..provenance import collect_provenance

    state = json.loads(outcome.results_path.read_text()) if outcome.results_path.exists() else {}
    bundle_dir = Path(state.get("bundle_dir") or out / "bundle")
    try:
        subject = json.loads((bundle_dir / "subject.json").read_text())
    except (OSError, ValueError):
        subject = {}
    # the policy the validation notebook ran under: the one logged with the artifact, with
    # --policy's differing values on top; rd.build applies its ``waive`` list (as of today, so a
    # waiver that has expired since the check counts no more) before deciding the verdict
    policy_values = state.get("policy") or {}
    from ..checks import load_checks

    notebook_only = [
        CheckResult(
            spec.id,
            "skip",
            "Not part of `mlready validate`: it re-checks the logged artifact; this check is a "
            "fact of the notebook's own kernel (its re-run, its variables, its data before "
            "logging), checked by `mlready check NOTEBOOK.ipynb`.",
            category=spec.category,
        )
        for spec in load_checks()
        if not spec.runs("validation")
    ]
    record = {
        "name": model.get("name"),
        "task": subject.get("task"),
        "flavor": subject.get("flavor"),
        "class": subject.get("model_class"),
        "uri": model.get("uri"),
        "version": model.get("version"),
        "run_id": model.get("run_id"),
        "tracking_uri": model.get("tracking_uri"),
        "classes": subject.get("classes"),
        "target": subject.get("target"),
    }
    timings = {
        "validation": outcome.timings.get("execute", 0.0),
        "validation_kernel_start": outcome.timings.get("kernel_start") or 0.0,
        "validation_artifact_load": outcome.timings.get("artifact_load") or 0.0,
        "total": seconds,
        "validation_sections": outcome.timings.get("sections", {}),
    }
    from ..spark.summary import spark_record

    results = [*notebook_only, *outcome.results]
    data = subject.get("fingerprints") or {}
    extra = {"validation": outcome_record(outcome), "command": "validate"}
    spark = spark_record(data, [r.to_dict() for r in results])  # None without Spark inputs
    if spark is not None:
        extra["spark"] = spark
    doc = rd.build(
        results,
        model=record,
        data=data,
        timings=timings,
        provenance=collect_provenance(None),
        policy={
            "source": policy_file or "the policy logged with the artifact",
            "values": policy_values,
        },
        discovery=subject.get("discovery") or {},
        strict=bool(policy_values.get("strict")),
        error=outcome.error,
        extra=extra,
    )
    from ..stages.report import write_document

    return write_document(doc, out)
