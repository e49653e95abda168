"""``mlready monitor``: one live batch against a registered version, from the registry alone.

    read the batch → resolve the version, download its monitoring files, load the model
    → run the monitor checks (contract, drift, predictions, performance) → monitor.json,
    report.html, summary.md → one MLflow run for the batch under the model's experiment

The verdict is ``ok`` (exit 0), ``alert`` (exit 1: a check failed — bad data is an alert, even
when the model cannot score the batch) or ``error`` (exit 2: what the tool could not do — an
unreadable file, the registry down, a check that crashed). The document has readiness.json's
shape, so the same renderers draw it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import readiness as rd
from ..errors import UsageError
from ..notebooks import RESULTS_DIR
from ..records import CheckResult

FILENAME = "monitor.json"
#: readiness verdicts as a monitor says them
VERDICTS = {"ready": "ok", "not_ready": "alert", "error": "error"}


def default_out(name: str, version: str | None, when: dt.datetime) -> Path:
    """``mlready-out/monitor-NAME-vVERSION-<UTC time>/`` in the working directory."""
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    return Path(RESULTS_DIR) / f"monitor-{name}-v{version or 'unknown'}-{stamp}"


def _quiet(stage: str, step: str, fraction: float) -> None:
    pass


def monitor(
    model_uri: str,
    data: Any,
    *,
    target: str | None = None,
    out: str | Path | None = None,
    policy_file: str | None = None,
    tracking_uri: str | None = None,
    allow_pickle: bool = False,
    data_name: str | None = None,
    log_run: bool = True,
    progress: Callable[[str, str, float], None] | None = None,
    notice: Callable[[str], None] | None = None,
    engine: str | None = None,
) -> rd.Readiness:
    """Check one live batch against ``model_uri``; always writes monitor.json (and the reports)
    in ``out`` once the version is known, and logs one MLflow run for the batch.

    Args:
        data: a DataFrame (pandas, polars) or the path of a parquet file / folder or CSV file.
        target: the batch's target column (default: a column named like the training target).
        log_run: log the batch's run (metrics, documents) under the model's experiment.
        progress: the pipeline's ``progress(stage, step, fraction)`` (stages "reference",
            "batch", "checks", "log"); notice: called with each policy note.
        engine: "spark" reads a parquet / ORC path with Spark (a Spark DataFrame and
            ``spark:TABLE`` always are): the checks then run on Spark over every row.

    Raises:
        UsageError: a bad model URI or ``--target``; nothing is written.
    """
    from ..checks.registry import CheckContext, load_checks, run_checks
    from ..policy import load_policy
    from ..registry.store import client_for, http_limits, quiet_downloads, resolve_store
    from .batch import read_batch, split_batch
    from .reference import load_reference, parse_model_uri, resolve_version

    say = progress or _quiet
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    m = parse_model_uri(model_uri)
    timings: dict[str, float] = {}
    local, source = load_policy(policy_file, Path.cwd())
    if allow_pickle:
        import dataclasses

        local = dataclasses.replace(local, allow_pickle=True)
    store = resolve_store(Path.cwd(), tracking_uri)
    out_dir = Path(out) if out else default_out(m["name"], m["version"] or m["alias"], started)
    out_dir = out_dir.resolve()
    model: dict = {"name": m["name"], "uri": model_uri, "tracking_uri": store.tracking_uri}
    data_record: dict = {}
    reference = None
    batch_ds = None
    facts: dict = {}
    checks: list[CheckResult] = []
    error: dict | None = None
    stage = "reference"
    with http_limits(), quiet_downloads():
        try:
            stage = "reference"
            say("reference", f"loading {model_uri}", 0.0)
            start = time.perf_counter()
            client = client_for(store)
            version = resolve_version(model_uri, store, client)
            if out is None:  # named by the version (an alias resolved)
                out_dir = default_out(version.name, version.version, started).resolve()
            reference = load_reference(version, client, out_dir, local, notice)
            timings["reference"] = time.perf_counter() - start
            meta = reference.bundle.meta
            model.update(
                uri=version.uri,
                version=version.version,
                run_id=version.run_id,
                task=meta.get("task"),
                flavor=meta.get("flavor"),
                **{"class": meta.get("model_class")},
                classes=meta.get("classes"),
                target=meta.get("target"),
                loader=reference.loader,
            )
            stage = "batch"
            say("batch", "reading the batch", 0.0)
            start = time.perf_counter()
            contract = reference.bundle.contract
            batch = read_batch(
                data,
                data_name,
                {c.name: c.kind for c in contract.columns},
                _spark_options(engine, reference.policy, out_dir),
            )
            timings["batch"] = time.perf_counter() - start
            data_record["batch"] = {
                "rows": batch.rows,
                "columns": int(batch.frame.shape[1]),
                "source": batch.source,
                "format": batch.format,
            }
            features = [c.name for c in contract.columns]
            batch_ds, facts = split_batch(batch, features, target, meta.get("target"))
            data_record["batch"].update(_batch_facts(batch_ds))
            data_record["batch"].update(facts)
            stage = "checks"
            say("checks", "checking the batch", 0.0)
            start = time.perf_counter()
            ctx = CheckContext(
                model=reference.model,
                task=reference.bundle.task,
                train=None,
                holdout=None,
                contract=reference.bundle.contract,
                policy=reference.policy,
                where="monitor",
                model_uri=version.uri,
                out=str(out_dir),
                reference_predictions=reference.bundle.reference_predictions,
                reference_profile=reference.bundle.reference_profile,
                live_batch=batch_ds,
                reference_metrics=reference.holdout_metrics,
            )
            checks = run_checks(ctx, load_checks(where=("monitor",)))
            timings["checks"] = time.perf_counter() - start
            for r in checks:
                timings[r.id] = r.seconds
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001 - a crash is exit 2 (error), never 1 (alert)
            from ..stages.report import error_record

            error = error_record(stage, exc)
        timings["total"] = time.perf_counter() - t0
        policy = reference.policy if reference is not None else local
        doc = rd.build(
            checks,
            model=model,
            data=data_record,
            timings=timings,
            provenance=_provenance(started),
            policy={"source": source, "values": policy.to_dict()},  # type: ignore[attr-defined]
            discovery={"target": facts.get("target"), "target_how": facts.get("target_how")},
            strict=bool(getattr(policy, "strict", False)),
            error=error,
            extra={
                "command": "monitor",
                "kind": "monitor",
                "scoring": _scoring(checks),
                "policy_notes": list(reference.policy_notes) if reference else [],
            },
        )
        doc["verdict"] = VERDICTS[doc["verdict"]]
        result = write_monitor_document(doc, out_dir)
        if log_run and reference is not None:
            say("log", "logging the batch's run", 0.0)
            start = time.perf_counter()
            try:
                run_id = _log(client, reference, result.data, out_dir)
                result.data["timings"]["log"] = round(time.perf_counter() - start, 4)
                result.data["monitor_run"] = {
                    "run_id": run_id,
                    "experiment_id": reference.version.experiment_id,
                }
                rd.write(result.data, out_dir, FILENAME)
            except Exception as exc:  # noqa: BLE001 - the batch was checked; say logging failed
                from ..registry.store import describe_failure

                failure = describe_failure(store, exc, "logging the batch's run")
                result.data["monitor_run"] = {"error": str(failure)}
                if result.data["verdict"] == "ok":  # an unrecorded batch is not silently ok
                    result.data["verdict"] = "error"
                    result.data["error"] = {
                        "stage": "log",
                        "type": "RegistryError",
                        "message": str(failure),
                    }
                rd.write(result.data, out_dir, FILENAME)
    return rd.Readiness(result.data, out_dir)


def _spark_options(engine: str | None, policy: Any, out: Path):
    from ..spark.reference import staging_folder
    from .batch import SparkOptions

    return SparkOptions(
        engine=engine,
        staging=staging_folder(out, getattr(policy, "spark_staging_dir", None) or None),
        sample_rows=int(getattr(policy, "spark_sample_rows", 50_000)),
        seed=int(getattr(policy, "seed", 0)),
    )


def _batch_facts(batch) -> dict:
    """monitor.json's ``data.batch`` digest: the content's sha256 (pandas), or the Spark
    fingerprint's with the reference and the sample the sampled parts read."""
    if batch.spark is not None:
        from ..spark.inputs import data_facts

        facts = data_facts(batch)
        facts.pop("columns", None)
        return facts
    from ..provenance import frame_sha256

    return {"sha256": frame_sha256(batch.X, batch.y)}


def _log(client, reference, doc: dict, out: Path) -> str:
    from .tracking import log_batch_run

    columns = [c.name for c in reference.bundle.contract.columns]
    return log_batch_run(client, reference.version, doc, out, columns)


def _scoring(checks: list[CheckResult]) -> dict | None:
    for r in checks:
        if r.id == "monitor.predictions" and isinstance(r.evidence, dict):
            return r.evidence.get("scoring")
    return None


def _provenance(started: dt.datetime) -> dict:
    import getpass
    import platform

    from ..provenance import package_versions

    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        user = None
    return {
        "created_at": started.isoformat(timespec="seconds"),
        "user": user,
        "python": platform.python_version(),
        "packages": package_versions(),
    }


def write_monitor_document(doc: dict, out: Path) -> rd.Readiness:
    """monitor.json, then report.html and summary.md rendered from it."""
    from ..report import write_reports_safely

    rd.write(doc, out, FILENAME)
    failed = write_reports_safely(doc, out)
    if failed:
        doc = {**doc, "report_error": failed}
        rd.write(doc, out, FILENAME)
    return rd.Readiness(doc, out)
