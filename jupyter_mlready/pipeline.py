"""The one call every front end makes: discover -> contract -> checks -> gate -> report.

``check_namespace`` runs in the kernel that holds the model (the magic's live kernel, or the
fresh kernel the CLI re-executed the notebook in). It never raises for a known failure: errors
become verdict "error" with the stage and message, and whatever was computed is written.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import readiness as rd
from .artifact import champion_extras, run_artifact_stage
from .bundle import write_bundle
from .checks import CheckContext, load_checks, run_checks
from .contract import infer_contract, write_contract
from .discover import Overrides, discover
from .errors import MlreadyError
from .gate import decide
from .handoff import HandOff, deliver, hand_off_record, plan_hand_off, relog_results
from .policy import Policy, load_policy
from .probes import write_probe_tests
from .provenance import collect_provenance, frame_sha256
from .records import CheckResult, Subject

STAGES = ("discover", "contract", "probes", "artifact", "validation", "report")

Progress = Callable[[str, str, float], None]  # (stage, step description, fraction of stage done)


@dataclass(frozen=True)
class CheckOptions:
    """Inputs of a check, as parsed by a front end."""

    out: str
    overrides: Overrides = field(default_factory=Overrides)
    policy_file: str | None = None
    notebook: str | None = None
    name: str | None = None
    rerun: dict | None = None  # set by the CLI: facts about the notebook's re-execution

    def to_json(self) -> str:
        d = {k: getattr(self, k) for k in ("out", "policy_file", "notebook", "name", "rerun")}
        d["overrides"] = {
            k: getattr(self.overrides, k) for k in ("model", "train", "holdout", "target")
        }
        return json.dumps(d)

    @classmethod
    def from_json(cls, text: str) -> CheckOptions:
        d = json.loads(text)
        o = d.pop("overrides", {}) or {}
        for k in ("train", "holdout"):
            if o.get(k):
                o[k] = tuple(o[k])
        return cls(overrides=Overrides(**o), **d)


def _noop(stage: str, step: str, fraction: float) -> None:
    pass


def model_record(subject: Subject | None, name: str | None) -> dict:
    if subject is None:
        return {"name": name} if name else {}
    return {
        "name": name or subject.model_var,
        "var": subject.model_var,
        "task": subject.task,
        "flavor": subject.model.flavor,
        "class": subject.model.class_name,
        "uri": None,
        "classes": list(subject.model.classes) if subject.model.classes is not None else None,
        "target": subject.target_name,
    }


def data_record(subject: Subject | None) -> dict:
    if subject is None:
        return {}
    out = {}
    for role, ds in (("train", subject.train), ("holdout", subject.holdout)):
        out[role] = {
            "rows": ds.rows,
            "columns": int(ds.X.shape[1]),
            "sha256": frame_sha256(ds.X, ds.y),
            "x": ds.x_var,
            "y": ds.y_var,
        }
    return out


def default_name(notebook: str | None, subject: Subject | None) -> str:
    if notebook:
        return Path(notebook).stem
    return subject.model_var if subject else "model"


def split_checks(specs: list) -> tuple[list, list]:
    """(checks the notebook kernel runs, checks left to the gate). The gate (the validation
    notebook) runs every check registered to run there, on the logged artifact; the notebook
    kernel runs the checks registered to run in it (facts about the notebook itself). The gate's
    checks run here only when the gate cannot run (the artifact could not be logged), so their
    findings are not lost."""
    return (
        [s for s in specs if s.runs("notebook")],
        [s for s in specs if s.runs("validation") and not s.runs("notebook")],
    )


def _counting(progress: Progress, stage: str, total: int) -> Callable[[CheckResult], None]:
    done = []

    def on_result(r: CheckResult) -> None:
        done.append(r)
        progress(stage, r.id, len(done) / max(total, 1))

    return on_result


def _start_validation_kernel(out: Path, subject: Subject):
    """The validation notebook's kernel, started now with its imports queued (or None)."""
    from .validation.warm_kernel import model_modules, start_warm_kernel

    return start_warm_kernel(out, extra_modules=model_modules(subject.model.model))


def check_namespace(
    namespace: dict, options: CheckOptions, progress: Progress | None = None
) -> rd.Readiness:
    """Run the whole check on a namespace and write results to ``options.out``."""
    progress = progress or _noop
    out = Path(options.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t_total = time.perf_counter()
    subject = contract = None
    policy, policy_source = Policy(), "defaults"
    results: list[CheckResult] = []
    error = None
    record = provenance = None  # the artifact stage's ArtifactRecord (None until logged)
    warm = ctx = None  # the validation kernel started ahead; the in-kernel checks' context
    deferred: list = []
    validation = None  # the validation stage's ValidationOutcome
    champion: dict = {}
    name = options.name or default_name(options.notebook, None)  # refined once the model is found
    data: dict = {}
    stage = "policy"
    rerun = dict(options.rerun) if options.rerun else None
    rerun_started = rerun.pop("started", None) if rerun else None
    if rerun_started is not None:  # the CLI re-ran the notebook: everything up to this cell
        rerun["seconds"] = round(time.time() - rerun_started, 3)
        timings["rerun"] = rerun["seconds"]
    try:
        start = options.notebook or "."
        policy, policy_source = load_policy(options.policy_file, start)
        stage = "discover"
        progress(stage, "finding the model and its data", 0.0)
        t = time.perf_counter()
        subject = discover(namespace, options.overrides)
        timings["discover"] = time.perf_counter() - t
        name = options.name or default_name(options.notebook, subject)
        warm = _start_validation_kernel(out, subject)  # its start-up overlaps with the stages below
        data = data_record(subject)  # sha256 of both frames: computed once, reused by the bundle
        stage = "contract"
        progress(stage, "inferring the data contract", 0.0)
        t = time.perf_counter()
        contract = infer_contract(subject, policy)
        write_contract(contract, out)
        timings["contract"] = time.perf_counter() - t
        stage = "probes"
        progress(stage, "writing the readiness tests", 0.0)
        t = time.perf_counter()
        write_probe_tests(subject, contract, policy, out, name)
        timings["probes"] = time.perf_counter() - t
        champion = champion_extras(options.notebook, name, policy.registry_alias, subject.task)
        stage = "checks"
        ctx = CheckContext(
            model=subject.model,
            task=subject.task,
            train=subject.train,
            holdout=subject.holdout,
            contract=contract,
            policy=policy,
            where="notebook",
            rerun=rerun,
            out=str(out),
            champion=champion.get("champion"),
            champion_uri=champion.get("champion_uri"),
            champion_reason=champion.get("champion_reason"),
            cache={
                "fingerprints": {
                    r: {"rows": d["rows"], "sha256": d["sha256"]} for r, d in data.items()
                }
            },
        )
        specs, deferred = split_checks(load_checks())
        t = time.perf_counter()
        results = run_checks(ctx, specs, _counting(progress, "checks", len(specs)))
        timings["checks"] = time.perf_counter() - t
        stage = "artifact"
        progress(stage, "logging the model, bundle and evidence to MLflow", 0.0)
        t = time.perf_counter()
        provenance = collect_provenance(options.notebook)
        record = run_artifact_stage(
            subject,
            contract,
            policy,
            out,
            name=name,
            provenance=provenance,
            policy_source=policy_source,
            namespace=namespace,
            notebook=options.notebook,
            champion_uri=champion.get("champion_uri"),
            # the checks already computed predictions, row hashes and the profile
            bundle=write_bundle(subject, contract, policy, out, cache=ctx.cache),
        )
        timings["artifact"] = time.perf_counter() - t
        progress(stage, f"registered {record.model_uri}", 1.0)
        stage = "validation"  # the gate: the artifact re-checked in a fresh kernel (issue 5)
        from .validation.execute import merge_results, run_validation

        t = time.perf_counter()
        validation = run_validation(
            record.model_uri,
            out / "bundle",
            out,
            policy,
            champion_uri=record.champion_uri or champion.get("champion_uri"),
            progress=progress,
            name=name,
            tracking_uri=record.store.tracking_uri,
            champion_reason=champion.get("champion_reason"),
            kernel=warm,
        )
        warm = None  # run_validation shut it down
        results = merge_results(results, validation)  # the gate's results, plus the re-run
        timings["validation"] = time.perf_counter() - t
        for k in ("kernel_start", "artifact_load"):
            timings[f"validation_{k}"] = validation.timings.get(k) or 0.0
        if validation.error:
            error = validation.error
    except Exception as exc:  # ours (with its fields and remedy), a bug, or a broken object
        error = error_record(stage, exc)
    if warm is not None:  # the gate never ran: no kernel left behind
        warm.shutdown()
    if validation is None and ctx is not None and deferred:
        # No gate (the artifact stage failed): the checks run here, so their findings are not
        # lost; the verdict stays "error" because of the failed stage.
        results = results + run_checks(ctx, deferred, _counting(progress, "checks", len(deferred)))
    if error and not results:
        results = [
            CheckResult(
                s.id, "skip", f"Not run: the {error['stage']} stage failed.", category=s.category
            )
            for s in load_checks()
        ]
    plan = None
    if record is not None:  # what the hand-off will do, decided before writing
        if not error:
            try:
                plan = plan_hand_off(record, decide(results, policy.strict), policy.registry_alias)
            except Exception as exc:  # the registry, or an alias that moved since the comparison
                error = error_record("hand_off", exc)
        if plan is None:  # the version is still tagged and its evidence logged; no alias moves
            why = f"verdict is error: {error['message'] if error else 'no hand-off'}"
            plan = HandOff(policy.registry_alias, False, None, why)
    stage = "report"
    progress(stage, "writing readiness.json and the reports", 0.0)
    t = time.perf_counter()
    doc = _document(
        options,
        results,
        subject,
        name,
        data,
        timings,
        provenance,
        policy,
        policy_source,
        error,
        champion,
        validation,
        record,
        plan,
        out,
    )
    timings_doc = doc["timings"]
    timings_doc["report"] = round(time.perf_counter() - t, 4)
    timings_doc["total"] = round(time.perf_counter() - t_total, 4)
    if rerun_started is not None:  # the CLI's whole run: kernel start, cells, this check
        timings_doc["rerun_total"] = round(time.time() - rerun_started, 4)
    write_document(doc, out)  # readiness.json and the reports, once
    if record is not None and plan is not None:  # tag, log everything, move the alias last
        progress(stage, "handing off in the registry", 0.5)
        failed = deliver(record, plan, doc["verdict"], doc["checks"], out)
        if failed is not None:  # the alias is untouched (or restored): say so everywhere
            doc = {**doc, "verdict": "error", "error": failed}
            doc["artifact"] = {
                **doc["artifact"],
                "hand_off": {
                    **doc["artifact"]["hand_off"],
                    "moved": False,
                    "why": failed["message"],
                },
            }
            write_document(doc, out)
            relog_results(record, out)
    progress(stage, "done", 1.0)
    return rd.Readiness(doc, out)


def write_document(doc: dict, out: Path) -> None:
    """readiness.json, then report.html and summary.md rendered from it."""
    from .report import write_reports_safely  # never raises: a failure lands in doc["report_error"]

    rd.write(doc, out)
    write_reports_safely(doc, out)
    if doc.get("report_error"):
        rd.write(doc, out)


def error_record(stage: str, exc: BaseException) -> dict:
    """readiness.json's ``error``: the stage, the exception's type and message, the remedy and
    the fields an error of ours carries (role, candidates, flag, cell index, ...)."""
    record = {"stage": stage, "type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, MlreadyError):
        record["remedy"] = exc.remedy
        record["fields"] = exc.fields()
    else:  # a bug of ours or a broken object: the traceback helps
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        record["traceback"] = "".join(tb)[-4000:]
    return record


def _document(
    options,
    results,
    subject,
    name,
    data,
    timings,
    provenance,
    policy,
    policy_source,
    error,
    champion,
    validation,
    record,
    plan,
    out,
) -> dict:
    """The one readiness document of a check, assembled from the run's records."""
    extra: dict = {}
    model = model_record(subject, name)
    if champion.get("tracking_uri"):
        model["tracking_uri"] = champion["tracking_uri"]
    if validation is not None:
        from .validation.execute import outcome_record

        extra["validation"] = outcome_record(validation)
        timings = {**timings, "validation_sections": validation.timings.get("sections", {})}
    if record is not None:
        model.update(
            uri=record.model_uri,
            version=record.version,
            run_id=record.run_id,
            tracking_uri=record.store.tracking_uri,
        )
        checks = [r.to_dict() for r in results]
        extra["artifact"] = hand_off_record(record, plan, checks, out)
    return rd.build(
        results,
        model=model,
        data=data,
        timings=timings,
        provenance=provenance or collect_provenance(options.notebook),
        policy={"source": policy_source, "values": policy.to_dict()},
        discovery=subject.discovery if subject else {},
        strict=policy.strict,
        error=error,
        extra=extra,
    )


def check_in_kernel(namespace: dict, options_json: str) -> None:
    """Entry point of the cell the CLI appends to the notebook it re-executes."""
    result = check_namespace(namespace, CheckOptions.from_json(options_json))
    print(result.summary_text())
