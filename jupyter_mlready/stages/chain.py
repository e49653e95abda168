"""The chain: the stages of a check listed once, as data, and the loop that runs them.

Each entry names a stage, says what a person sees while it runs, and gives the step that calls
the stage's verb with the records of earlier stages. Progress lines, per-stage timings in
readiness.json and the widget's stage bars all come from :data:`STAGES`.

A stage that raises stops the stages after it, except those marked ``always`` (the gate, the
report and the hand-off): the run still ends with a verdict ("error"), a written document and a
version tagged with what happened. Nothing is lost, and the alias never moves on an error.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import readiness as rd
from ..checks import CheckContext
from ..errors import DiscoveryError
from ..policy import Policy, load_policy
from ..records import CheckResult

Progress = Callable[[str, str, float], None]  # (stage, step description, fraction of stage done)


@dataclass(frozen=True)
class Run:
    """The records of one check so far; each stage adds its own."""

    namespace: dict
    options: Any  # pipeline.CheckOptions
    out: Path
    progress: Progress
    started: float = field(default_factory=time.perf_counter)
    timings: dict = field(default_factory=dict)
    error: dict | None = None
    name: str = "model"
    rerun: dict | None = None
    rerun_started: float | None = None
    policy: Policy = field(default_factory=Policy)
    policy_source: str = "defaults"
    subject: Any = None  # records.Subject
    data: dict = field(default_factory=dict)
    kernel: Any = None  # the validation kernel started ahead (KernelAhead)
    registry: Any = None  # the champion looked up ahead (registry.ahead.RegistryAhead)
    contract: Any = None  # records.Contract
    probes: Any = None  # probes.ProbeFiles
    champion: dict = field(default_factory=dict)
    notebook_checks: Any = None  # stages.checks.NotebookChecks
    provenance: dict | None = None
    artifact: Any = None  # registry.artifact.ArtifactRecord
    validation: Any = None  # validation.execute.ValidationOutcome
    gate: Any = None  # stages.gate.Gate
    readiness: rd.Readiness | None = None
    spark_jobs_from: tuple | None = None  # (the notebook's SparkSession, its last job id before)


@dataclass(frozen=True)
class Stage:
    """One stage of the chain: its name (in timings and progress), what a person reads while it
    runs, and the step that runs it on the records so far."""

    name: str
    title: str
    step: Callable[[Run], Run]
    always: bool = False  # runs even after an earlier stage failed
    # called on the run by the loop before ``step``, whose result replaces the loop's own
    # reference (a step cannot drop what its caller still holds)
    before: Callable[[Run], Run] | None = None


def _policy(run: Run) -> Run:
    policy, source = load_policy(run.options.policy_file, run.options.notebook or ".")
    return replace(run, policy=policy, policy_source=source)


def _discover(run: Run) -> Run:
    from ..registry.ahead import open_registry_ahead
    from ..side_columns import attach_side_columns, with_named_sensitive
    from ..validation.warm_kernel import model_modules, start_warm_kernel
    from .discover import discover
    from .report import data_record

    overrides = run.options.overrides
    namespace, spark_frames, run = _spark_edge(run)
    try:
        subject = discover(namespace, overrides)
    except DiscoveryError as exc:
        if run.spark_jobs_from is None:  # no Spark frame in the notebook
            raise
        from ..spark.inputs import with_spark_hint

        raise with_spark_hint(exc, run.namespace, spark_frames) from exc
    if spark_frames:
        from ..spark.inputs import attach_spark

        subject = attach_spark(subject, spark_frames, run.policy.seed)
    subject = attach_side_columns(subject, namespace, run.policy, overrides.sensitive)
    run = replace(run, policy=with_named_sensitive(run.policy, subject))
    if run.options.live_reference and run.rerun is not None:  # %mlready: fresh == live?
        from .live import compare_with_live

        live = compare_with_live(subject, run.options.live_reference, run.policy.batch_tolerance)
        run = replace(run, rerun={**run.rerun, "live": live})
        if not live["ok"]:  # the live model is not this one: touch no version, move no alias
            run = replace(run, options=replace(run.options, hand_off=False))
    name = run.options.name or default_name(run.options.notebook, subject)
    # the validation kernel starts now, and the registry is opened in a thread: both overlap
    # with the stages below
    kernel = start_warm_kernel(run.out, extra_modules=model_modules(subject.model.model))
    registry = open_registry_ahead(
        run.options.notebook, name, run.policy.registry_alias, subject.task, subject.model.flavor
    )
    # fingerprints of both frames: computed once, reused by the bundle
    return replace(
        run,
        subject=subject,
        name=name,
        kernel=kernel,
        registry=registry,
        data=data_record(subject),
    )


def _spark_edge(run: Run) -> tuple[dict, dict, Run]:
    """The namespace with Spark frames replaced by seeded samples, those frames (recorded by
    reference), and the run marking where its Spark jobs start: nothing changes, and pyspark is
    not imported, when the notebook has none."""
    import sys

    if "pyspark" not in sys.modules:
        return run.namespace, {}, run
    from ..spark.inputs import sampled_namespace, spark_names
    from ..spark.session import last_job_id

    names = spark_names(run.namespace)
    if names:  # the notebook's session: its jobs from here on are the check's
        session = run.namespace[names[0]].sparkSession
        run = replace(run, spark_jobs_from=(session, last_job_id(session)))
    o = run.options.overrides
    named = {n for pair in (o.train or (), o.holdout or ()) for n in pair}
    namespace, found = sampled_namespace(
        run.namespace,
        named,
        out=run.out,
        staging_dir=run.policy.spark_staging_dir or None,
        sample_rows=run.policy.spark_sample_rows,
        seed=run.policy.seed,
        progress=lambda step: run.progress("discover", step, 0.1),
    )
    return namespace, found, run


def _contract(run: Run) -> Run:
    from .contract import infer

    return replace(run, contract=infer(run.subject, run.policy, run.out))


def _probes(run: Run) -> Run:
    from .probes import write_tests

    probes = write_tests(run.subject, run.contract, run.policy, run.out, run.name)
    return replace(run, probes=probes)


def _checks(run: Run) -> Run:
    from .checks import check_notebook

    s = run.subject
    champion = run.registry.champion()  # looked up while the contract and the tests were written
    context = CheckContext(
        model=s.model,
        task=s.task,
        train=s.train,
        holdout=s.holdout,
        contract=run.contract,
        policy=run.policy,
        where="notebook",
        rerun=run.rerun,
        out=str(run.out),
        namespace=run.namespace,
        champion=champion.get("champion"),
        champion_uri=champion.get("champion_uri"),
        champion_reason=champion.get("champion_reason"),
        cache={
            "fingerprints": {
                r: {"rows": d["rows"], "sha256": d["sha256"]} for r, d in run.data.items()
            }
        },
    )
    done = check_notebook(context, _counting(run.progress, "checks"))
    return replace(run, champion=champion, notebook_checks=done)


def _artifact(run: Run) -> Run:
    from ..provenance import collect_provenance
    from .artifact import log_artifact

    provenance = collect_provenance(run.options.notebook)
    record = log_artifact(
        run.subject,
        run.contract,
        run.policy,
        run.out,
        name=run.name,
        provenance=provenance,
        policy_source=run.policy_source,
        notebook=run.options.notebook,
        namespace=run.namespace,
        champion_uri=run.champion.get("champion_uri"),
        cache=run.notebook_checks.context.cache,  # predictions, row hashes, the profile
        register=run.options.hand_off,
    )
    done = "registered" if record.registered else "logged (no version registered)"
    run.progress("artifact", f"{done} {record.model_uri}", 1.0)
    return replace(run, provenance=provenance, artifact=record)


def _validation(run: Run) -> Run:
    from .validation import validate

    if run.notebook_checks is not None and run.notebook_checks.released:
        from ..memory import return_freed_memory

        t = time.perf_counter()
        return_freed_memory()  # the loop no longer holds the run from before the release
        run.timings["validation_release"] = round(time.perf_counter() - t, 4)
    kernel = run.kernel
    run = replace(run, kernel=None)  # validate shuts it down, whatever happens
    outcome = validate(
        run.artifact,
        run.policy,
        run.out,
        name=run.name,
        champion_reason=run.champion.get("champion_reason"),
        kernel=kernel,
        progress=run.progress,
    )
    for key in ("kernel_start", "artifact_load"):
        run.timings[f"validation_{key}"] = outcome.timings.get(key) or 0.0
    run.timings["validation_sections"] = outcome.timings.get("sections", {})
    return replace(run, validation=outcome, error=run.error or outcome.error)


def _release_notebook_data(run: Run) -> Run:
    from .release import release_notebook_data

    return release_notebook_data(run)


def _gate(run: Run) -> Run:
    from .gate import gate

    if run.kernel is not None:  # the gate never ran: no kernel left behind
        run.kernel.shutdown()
        run = replace(run, kernel=None)
    decided = gate(
        run.notebook_checks,
        run.validation,
        run.artifact,
        run.policy,
        run.error,
        _counting(run.progress, "checks"),
    )
    return replace(run, gate=decided, error=run.error or decided.error)


def _report(run: Run) -> Run:
    from .report import write_document

    # the document is assembled once, with its final timings, and written once
    return replace(run, readiness=write_document(document(run), run.out))


def _hand_off(run: Run) -> Run:
    from .hand_off import hand_off

    if run.artifact is None or run.gate is None or run.readiness is None:
        return run  # nothing was logged: nothing to hand off
    return replace(run, readiness=hand_off(run.artifact, run.gate, run.readiness))


STAGES: tuple[Stage, ...] = (
    Stage("policy", "reading the policy", _policy),
    Stage("discover", "finding the model and its data", _discover),
    Stage("contract", "inferring the data contract", _contract),
    Stage("probes", "writing the readiness tests", _probes),
    Stage("checks", "checking the notebook's own facts", _checks),
    Stage("artifact", "logging the model, bundle and evidence to MLflow", _artifact),
    # the fresh kernel loads its own copy of the data: the CLI's re-run kernel lets go of its own
    Stage(
        "validation",
        "re-checking the artifact in a fresh kernel",
        _validation,
        before=_release_notebook_data,
    ),
    Stage("gate", "deciding the verdict", _gate, always=True),
    Stage("report", "writing readiness.json and the reports", _report, always=True),
    Stage("hand_off", "handing off in the registry", _hand_off, always=True),
)

#: The stage names, in order (the widget's bars, the progress lines, the timings' keys).
SHOWN = tuple(s.name for s in STAGES)


def default_name(notebook: str | None, subject) -> str:
    if notebook:
        return Path(notebook).stem
    return subject.model_var if subject else "model"


def _counting(progress: Progress, stage: str) -> Callable[[CheckResult], None]:
    done: list[CheckResult] = []

    def on_result(r: CheckResult) -> None:
        done.append(r)
        progress(stage, r.id, min(0.99, len(done) / 20))

    return on_result


def document(run: Run) -> dict:
    """The one readiness document of a check, assembled from the run's records, with the total
    time so far (and the CLI's whole time when it re-ran the notebook)."""
    from ..provenance import collect_provenance
    from ..registry.handoff import hand_off_record
    from ..spark.summary import spark_record
    from .report import model_record

    extra: dict = {}
    model = model_record(run.subject, run.name)
    if run.champion.get("tracking_uri"):
        model["tracking_uri"] = run.champion["tracking_uri"]
    if run.validation is not None:
        from ..validation.execute import outcome_record

        extra["validation"] = outcome_record(run.validation)
    results = list(run.gate.results) if run.gate else []
    if run.artifact is not None and run.gate is not None and run.gate.hand_off is not None:
        record = run.artifact
        model.update(
            uri=record.model_uri,
            version=record.version or None,
            run_id=record.run_id,
            tracking_uri=record.store.tracking_uri,
        )
        checks = [r.to_dict() for r in results]
        extra["artifact"] = hand_off_record(record, run.gate.hand_off, checks, run.out)
    spark = spark_record(run.data, [r.to_dict() for r in results], _spark_sessions(run))
    if spark is not None:  # None without Spark inputs
        extra["spark"] = spark
    timings = {**run.timings, "total": time.perf_counter() - run.started}
    if run.rerun_started is not None:  # the CLI's whole run: kernel start, cells, this check
        timings["rerun_total"] = time.time() - run.rerun_started
    return rd.build(
        results,
        model=model,
        data=run.data,
        timings=timings,
        provenance=run.provenance or collect_provenance(run.options.notebook),
        policy={"source": run.policy_source, "values": run.policy.to_dict()},
        discovery=run.subject.discovery if run.subject else {},
        strict=run.policy.strict,
        error=run.error,
        extra=extra,
    )


def _spark_sessions(run: Run) -> dict:
    """The Spark jobs each kernel's session ran for this check (count and seconds)."""
    sessions = {}
    if run.spark_jobs_from is not None:
        from ..spark.session import jobs_after

        session, mark = run.spark_jobs_from
        sessions["notebook"] = jobs_after(session, mark)
    if run.validation is not None and run.validation.timings.get("spark_jobs"):
        sessions["validation"] = run.validation.timings["spark_jobs"]
    return {k: v for k, v in sessions.items() if v}


def run_chain(namespace: dict, options, progress: Progress | None = None) -> rd.Readiness:
    """Run every stage on ``namespace``; never raises for a failing stage (see the module doc).

    Raises:
        OutputError: the results folder cannot be created or readiness.json written (a full
            disk, a path under a file), or another check is writing into the same folder.
    """
    from ..notebooks import hold_out_dir, make_out_dir

    out = make_out_dir(options.out)
    # check_notebook holds the folder for the whole re-run, and runs this chain inside it (its
    # facts carry "started"); any other caller holds it here
    inside_rerun = bool(options.rerun) and "started" in options.rerun
    with contextlib.nullcontext() if inside_rerun else hold_out_dir(out):
        return _run_stages(namespace, options, out, progress)


def _run_stages(namespace: dict, options, out: Path, progress: Progress | None) -> rd.Readiness:
    from .report import error_record

    run = Run(namespace=namespace, options=options, out=out, progress=progress or _noop)
    rerun = dict(options.rerun) if options.rerun else None
    if rerun is not None and "started" in rerun:  # the CLI re-ran the notebook up to this cell
        started = rerun.pop("started")
        rerun["seconds"] = round(time.time() - started, 3)
        run.timings["rerun"] = rerun["seconds"]
        run = replace(run, rerun=rerun, rerun_started=started)
    elif rerun is not None:  # why there was no re-run (%mlready without the notebook's file)
        run = replace(run, rerun=rerun)
    run = replace(run, name=options.name or default_name(options.notebook, None))
    try:
        for stage in STAGES:
            if run.error is not None and not stage.always:
                continue
            run.progress(stage.name, stage.title, 0.0)
            t = time.perf_counter()
            try:
                if stage.before is not None:
                    run = stage.before(run)
                run = stage.step(run)
            except Exception as exc:  # ours (with its fields and remedy), a bug, a broken object
                run = replace(run, error=run.error or error_record(stage.name, exc))
            if stage.name not in ("report", "hand_off"):  # those come after the document
                run.timings[stage.name] = round(time.perf_counter() - t, 4)
    finally:
        if run.kernel is not None:
            run.kernel.shutdown()
    run.progress("report", "done", 1.0)
    if run.readiness is None or (run.error is not None and run.readiness.verdict != "error"):
        # the report or the hand-off stage raised: the document says error, whatever was written
        from .report import write_document

        return write_document(document(run), out)
    return run.readiness


def _noop(stage: str, step: str, fraction: float) -> None:
    pass
