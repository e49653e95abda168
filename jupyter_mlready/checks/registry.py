"""The check registry: one registration per check, carrying every facet of it.

A check is a function decorated with :func:`check`, taking a :class:`CheckContext` and returning
a :class:`Finding`. Its docstring's first line is the question it answers. Everything else the
rest of the package needs to know about a check is declared once, in the decorator:

- ``section``: where it is shown (the validation notebook's section, the report's group);
- ``runs_in``: where it runs — the notebook's kernel, the validation notebook, ``mlready monitor``;
- ``needs``: the typed inputs it reads (:class:`Input`); a check whose inputs are missing where
  it runs is not run there;
- ``scores``: the ML Test Score tests it evidences (:class:`Score`);
- ``view``: a function building its report view (generic tables and plot data, see
  :mod:`jupyter_mlready.report.views`);
- ``probe``: for a property test, the probe it runs (the generated pytest file gets one test).

Built-in checks register through the same entry-point group third-party packages use::

    [project.entry-points."jupyter_mlready.checks"]
    "mycompany.fairness" = "mycompany.checks:fairness"

A third-party check written only with ``@check("acme.x")`` gets the defaults: its own section
(titled from its category), run in the validation notebook on the logged artifact, no score.

A check never raises on purpose: the runner turns any exception into status ``error`` (the gate
fails closed).
"""

from __future__ import annotations

import inspect
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import metadata
from typing import Any, Literal

from ..records import STATUSES, CheckResult, is_status

ENTRY_POINT_GROUP = "jupyter_mlready.checks"

Where = Literal["notebook", "validation", "monitor"]
#: How a check reads a Spark input: "exact" (its own Spark path over every row; a result it
#: computed so carries ``evidence["engine"]``, and one without it read the sample, e.g. when only
#: one of train / hold-out is a Spark frame), "sketch" (mergeable per-partition sketches over
#: every row), "sample" (the seeded sample), "none" (it reads no rows). A result read on the
#: sample says so.
OnSpark = Literal["exact", "sketch", "sample", "none"]
Reach = Literal["auto", "partial", "related"]


class Input(StrEnum):
    """What a check may read beyond the policy and the contract."""

    MODEL = "model"  # the model under test (in the gate: the logged artifact, loaded)
    TRAIN = "train"  # training rows (in the gate: the bundle's sample)
    HOLDOUT = "holdout"  # hold-out features
    TARGET = "target"  # hold-out (and training) target
    RERUN = "rerun"  # facts of the notebook's fresh re-execution
    LOAD_FAILURE = "load_failure"  # why the artifact did not load in the gate (None: it loaded)
    REFERENCE_PREDICTIONS = "reference_predictions"  # the notebook model's hold-out predictions
    REFERENCE_PROFILE = "reference_profile"  # per-feature training profile
    TRAIN_ROW_HASHES = "train_row_hashes"  # one hash per training row
    NOTEBOOK_FACTS = "notebook_facts"  # facts only the notebook's objects show (index overlap)
    CHAMPION = "champion"  # the version holding the alias (or why there is none)
    NAMESPACE = "namespace"  # the notebook's variables (a search object, non-feature columns)
    LIVE_BATCH = "live_batch"  # a batch of live data (mlready monitor)
    SERVING = "serving"  # the scoring server started for the logged artifact (in the gate)
    ARTIFACT_FOLDER = "artifact_folder"  # the logged artifact's downloaded folder (in the gate)


@dataclass(frozen=True)
class Section:
    """A group of checks: one section of the validation notebook and one group in the report.

    ``view`` (optional) builds one report view from the section's check results (a table across
    the section's checks); per-check views are declared on the checks themselves.
    """

    name: str
    title: str
    intro: str = ""
    order: int = 50
    view: Callable[[list[dict], dict], Any] | None = None


@dataclass(frozen=True)
class Score:
    """An ML Test Score test (e.g. ``"data-1"``) this check evidences.

    ``reach``: "auto" (the check automates the test), "partial" (it covers part of it), or
    "related" (worth reading for the test, earns no point). ``how``: what the check does of it.
    """

    test: str
    reach: Reach = "auto"
    how: str = ""


@dataclass(frozen=True)
class Probe:
    """A property test: the probe it runs (``jupyter_mlready.probes.Property``) and the name and
    docstring of its test in the generated pytest file."""

    property: str
    test_name: str
    doc: str


@dataclass(frozen=True)
class Finding:
    """What a check found. The runner adds id, category and timing."""

    status: str
    summary: str
    evidence: dict = field(default_factory=dict)
    repro: str | None = None
    remedy: str | None = None


def skip(reason: str, **evidence) -> Finding:
    return Finding("skip", reason, evidence)


@dataclass(frozen=True)
class CheckSpec:
    """One registered check with all its facets."""

    id: str
    category: str
    question: str
    func: Callable[[Any], Finding]
    section: Section = None  # type: ignore[assignment]  # default: one titled from the category
    runs_in: frozenset[str] = frozenset({"validation"})
    needs: frozenset[Input] = frozenset({Input.MODEL})
    scores: tuple[Score, ...] = ()
    view: Callable[[dict, dict], Any] | None = None
    probe: Probe | None = None
    order: int = 0  # position within the section
    waivable: bool = True  # False: the hand-off depends on it (a fresh re-run): never waived
    on_spark: str = "sample"  # OnSpark: how it reads a Spark input

    def __post_init__(self) -> None:
        if self.section is None:
            object.__setattr__(self, "section", _default_section(self.category))

    def runs(self, where: str) -> bool:
        return where in self.runs_in


def _question(doc: str | None) -> str:
    """A check's question: the first paragraph of its docstring, as one line."""
    first = inspect.cleandoc(doc or "").split("\n\n")[0]
    return " ".join(line.strip() for line in first.splitlines())


def _default_section(category: str) -> Section:
    return Section(category, category.replace("_", " ").capitalize(), order=80)


def check(
    id: str,
    category: str | None = None,
    *,
    section: Section | None = None,
    runs_in: Iterable[str] = ("validation",),
    needs: Iterable[Input] = (Input.MODEL,),
    scores: Iterable[Score] = (),
    view: Callable[[dict, dict], Any] | None = None,
    probe: Probe | None = None,
    waivable: bool = True,
    on_spark: OnSpark = "sample",
) -> Callable:
    """Register a function as a check with a stable ``id``; the docstring states its question.
    ``waivable=False``: a policy waiver never accepts its warn or fail. ``on_spark``: how it
    reads a Spark input (a check reading the seeded sample says so in its result)."""

    def decorate(func: Callable) -> Callable:
        question = _question(func.__doc__) or id
        cat = category or id.split(".")[0]
        # a function attribute (set through the function's __dict__, which the type of a
        # Callable does not declare as writable attributes): what load_checks looks for
        func.__dict__["__mlready_check__"] = CheckSpec(
            id,
            cat,
            question,
            func,
            section or _default_section(cat),
            frozenset(runs_in),
            frozenset(Input(n) for n in needs),
            tuple(scores),
            view,
            probe,
            order=func.__code__.co_firstlineno,
            waivable=waivable,
            on_spark=on_spark,
        )
        return func

    return decorate


@dataclass
class CheckContext:
    """Everything a check may read, typed. Built in the notebook kernel, in the validation
    notebook or in ``mlready monitor``; an input that is not there is None.

    Attributes:
        model: a ModelAdapter (predict / predict_proba); None when the artifact did not load.
        task: "classification" or "regression".
        train, holdout: Dataset records (train may be a sample in the validation notebook).
        contract: the Contract; policy: the Policy.
        where: "notebook", "validation" or "monitor".
        model_uri: the logged artifact's URI (in the gate); out: the results folder.
        rerun: facts of the notebook's fresh re-execution (``mlready check``).
        load_failure: the finding for an artifact that did not load in the gate.
        reference_predictions: the notebook model's hold-out predictions ("predict",
            "predict_proba").
        reference_profile: the per-feature training profile; train_row_hashes: one per row.
        notebook_facts: facts only the notebook's objects show (e.g. "index_overlap_rate").
        champion: the version holding the alias, as a ModelAdapter; champion_uri; champion_reason
            (why there is none); champion_error (there is one, and it could not be loaded).
        namespace: the notebook's variables (only in the notebook's kernel).
        live_batch: a batch of live data (``mlready monitor``).
        serving: the scoring server started for the logged artifact in the validation kernel
            (a ``jupyter_mlready.serving.PendingServer``; None elsewhere).
        artifact_folder: the logged artifact's folder as downloaded in the validation kernel
            (MLmodel, requirements.txt, python_env.yaml); None elsewhere.
        reference_metrics: the gate's hold-out metrics with their intervals, by metric
            (``mlready monitor``, from the version's readiness.json).
    """

    model: Any
    task: str
    train: Any
    holdout: Any
    contract: Any
    policy: Any
    where: str = "notebook"
    model_uri: str | None = None
    out: str | None = None
    rerun: dict | None = None
    load_failure: dict | None = None
    reference_predictions: dict | None = None
    reference_profile: dict | None = None
    train_row_hashes: Any = None
    notebook_facts: dict = field(default_factory=dict)
    champion: Any = None
    champion_uri: str | None = None
    champion_reason: str | None = None
    champion_error: str | None = None  # there is a champion and it could not be loaded
    namespace: dict | None = None
    live_batch: Any = None
    reference_metrics: dict | None = None
    serving: Any = None
    artifact_folder: str | None = None
    cache: dict = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per run (e.g. hold-out predictions shared by several checks)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def holdout_predictions(self):
        return self.cached("holdout_predict", lambda: self.model.predict(self.holdout.X))

    def holdout_proba(self):
        return self.cached("holdout_proba", lambda: self.model.predict_proba(self.holdout.X))

    def has(self, need: Input) -> bool:
        """Whether an input a check needs is here (the champion counts with its reason)."""
        if need == Input.CHAMPION:
            return self.champion is not None or bool(self.champion_reason)
        if need == Input.LOAD_FAILURE:
            return True
        if need == Input.TARGET:
            return self.holdout is not None and self.holdout.y is not None
        value = getattr(self, need.value, None)
        return value is not None


def _spec_of(obj: Any, name: str) -> CheckSpec:
    spec = getattr(obj, "__mlready_check__", None)
    if spec is None:
        raise TypeError(f"entry point {name!r} does not point to a function decorated with @check")
    return spec


def _order(specs: Iterable[CheckSpec]) -> list[CheckSpec]:
    """Report order: sections by their order, checks by their place in their module."""
    return sorted(
        specs, key=lambda s: (s.section.order, s.section.name, s.func.__module__, s.order, s.id)
    )


#: where the gate's checks run: the notebook's kernel and the validation notebook
GATE: tuple[Where, ...] = ("notebook", "validation")
EVERYWHERE: tuple[Where, ...] = ("notebook", "validation", "monitor")


def load_checks(
    select: tuple[str, ...] | None = None, where: tuple[Where, ...] = GATE
) -> list[CheckSpec]:
    """The registered checks that run in any place of ``where`` (by default the gate's, not
    ``mlready monitor``'s): built-ins, then third-party ones, in report order. A plugin that
    failed to load is always listed (as a check that errors)."""
    specs: dict[str, CheckSpec] = {}
    broken: list[CheckSpec] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = _spec_of(ep.load(), ep.name)
        except Exception as exc:  # a broken plugin is reported as an error result, never dropped
            message = f"{type(exc).__name__}: {exc}"
            cat = ep.name.split(".")[0]
            broken.append(
                CheckSpec(
                    ep.name, cat, "plugin failed to load", _failing(message), _default_section(cat)
                )
            )
            continue
        specs.setdefault(spec.id, spec)
    if not any(s.func.__module__.startswith(__package__) for s in specs.values()):
        for spec in _builtin_specs():  # running from a source tree without install
            specs.setdefault(spec.id, spec)
    ordered = [s for s in _order(specs.values()) if s.runs_in & set(where)] + broken
    if select:
        ordered = [s for s in ordered if s.id in select]
    return ordered


def builtin_ids(where: tuple[Where, ...] = GATE) -> tuple[str, ...]:
    """The ids of the checks this package ships that run in ``where``, in report order."""
    return tuple(s.id for s in _order(_builtin_specs()) if s.runs_in & set(where))


def _failing(message: str) -> Callable:
    def run(ctx):
        raise RuntimeError(message)

    return run


def _builtin_specs() -> list[CheckSpec]:
    import importlib
    import pkgutil

    from .. import checks as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found += [
            v.__mlready_check__ for v in vars(module).values() if hasattr(v, "__mlready_check__")
        ]
    return found


def by_section(specs: Iterable[CheckSpec]) -> list[tuple[Section, list[CheckSpec]]]:
    """The sections of ``specs`` in report order, each with its checks."""
    grouped: dict[str, tuple[Section, list[CheckSpec]]] = {}
    for spec in _order(specs):
        grouped.setdefault(spec.section.name, (spec.section, []))[1].append(spec)
    return list(grouped.values())


def _invalid(finding: Any) -> str | None:
    """What is wrong with a check's return value (None: a well-formed Finding). readiness.json
    promises a status, a sentence, an evidence object and text or null for repro and remedy."""

    def shown(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 200 else text[:199] + "…"

    if not isinstance(finding, Finding):
        return f"it returned {shown(finding)}, not a Finding"
    if not is_status(finding.status):
        return f"its status {shown(finding.status)} is not one of {', '.join(STATUSES)}"
    if not isinstance(finding.summary, str) or not finding.summary.strip():
        return f"its summary is {shown(finding.summary)}, not a sentence"
    if not isinstance(finding.evidence, dict):
        return f"its evidence is of type {type(finding.evidence).__name__}, not a dict"
    for key in ("repro", "remedy"):
        value = getattr(finding, key)
        if value is not None and not isinstance(value, str):
            return f"its {key} is of type {type(value).__name__}, not text or None"
    return None


def run_check(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    """Run one check; an exception or a malformed return becomes status ``error``. The values of
    personal-data columns are masked in whatever it reports (:func:`_scrubbed`)."""
    return _scrubbed(spec, _run_check(spec, ctx), ctx)


def _scrubbed(spec: CheckSpec, result: CheckResult, ctx: Any) -> CheckResult:
    """``result`` (a finding, an invalid return's repr, a crash's traceback) with the values of
    the personal-data columns masked in its summary, evidence, repro and remedy.

    The columns are ``ctx.cache["personal_data"]`` ({column: kind}), read at each call: the
    validation kernel sets it from the bundle before any check runs; in the notebook's kernel the
    privacy check sets it when it runs, so the checks after it are covered. The only check before
    it there is the fresh re-run's (an earlier section), whose facts hold no row values.
    """
    cache = getattr(ctx, "cache", None)
    if not isinstance(cache, dict) or not cache.get("personal_data"):
        return result
    personal = cache["personal_data"]
    try:
        from ..privacy.scrub import context_values, scrub_finding

        def frames() -> list:
            found = [getattr(ctx, "holdout", None), getattr(ctx, "train", None)]
            return [f for d in found if d is not None for f in (d.X, getattr(d, "side", None))]

        return scrub_finding(result, personal, context_values(cache, personal, frames))
    except Exception as exc:  # fail closed: nothing unmasked is reported
        return CheckResult(
            spec.id,
            "error",
            f"The check's result could not be checked for personal data ({type(exc).__name__}); "
            "it is withheld.",
            {"exception": type(exc).__name__},
            None,
            result.seconds,
            spec.category,
            "Report a bug: masking personal data in check results failed.",
        )


def _run_check(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    start = time.perf_counter()
    try:
        finding = spec.func(ctx)
        problem = _invalid(finding)
        if problem is None and is_status(finding.status):
            summary, evidence = _sampled(spec, ctx, finding)
            return CheckResult(
                spec.id,
                finding.status,
                summary,
                evidence,
                finding.repro,
                time.perf_counter() - start,
                spec.category,
                finding.remedy,
            )
        # a plugin returning garbage: fail closed, and say what was wrong with it
        return CheckResult(
            spec.id,
            "error",
            f"The check returned an invalid result: {problem}.",
            {"returned": repr(finding)[:2000]},
            None,
            time.perf_counter() - start,
            spec.category,
            "A check returns Finding(status, summary, evidence={...}, repro=None, "
            f"remedy=None) with a status in {', '.join(STATUSES)}. Fix the check.",
        )
    except Exception as exc:
        elapsed = time.perf_counter() - start
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        summary = f"The check crashed: {type(exc).__name__}: {exc}"
        remedy = (
            "A crashed check blocks the gate. Fix the cause above, or report a bug if it is ours."
        )
        if "pyspark" in sys.modules:  # Spark failed under the check: say so, not "crashed"
            from ..spark.session import crash_reason

            summary, remedy = crash_reason(exc) or (summary, remedy)
        return CheckResult(
            spec.id,
            "error",
            summary,
            {
                "exception": type(exc).__name__,
                "message": str(exc)[:2000],
                "traceback": "".join(tb[-6:])[-4000:],
            },
            None,
            elapsed,
            spec.category,
            remedy,
        )


_DATA_INPUTS = frozenset({Input.TRAIN, Input.HOLDOUT, Input.TARGET})


def _sampled(spec: CheckSpec, ctx: Any, finding: Finding) -> tuple[str, dict]:
    """A finding read on the seeded sample of a Spark input says so: in its summary, and in its
    evidence (``spark_sample``: rows, of how many, seed, per input)."""
    on_sample = spec.on_spark == "sample" or (
        spec.on_spark == "exact" and "engine" not in finding.evidence
    )
    if not on_sample or not (spec.needs & _DATA_INPUTS) or finding.status == "skip":
        return finding.summary, finding.evidence
    if "spark_sample" in finding.evidence:  # the check said so itself
        return finding.summary, finding.evidence
    sampled = {}
    for role in ("train", "holdout"):
        data = getattr(getattr(ctx, role, None), "spark", None)
        if data is not None and data.sample_rows < data.rows:
            sampled[role] = {"rows": data.sample_rows, "of": data.rows, "seed": data.seed}
    if not sampled:
        return finding.summary, finding.evidence
    first = sampled.get("holdout") or sampled["train"]
    note = (
        f" (Spark input: read on a seeded sample of {first['rows']:,} of {first['of']:,} rows, "
        f"seed {first['seed']})"
    )
    summary = finding.summary.rstrip()
    summary = summary[:-1] + note + "." if summary.endswith(".") else summary + note
    return summary, {**finding.evidence, "spark_sample": sampled}


def run_checks(
    ctx: CheckContext,
    specs: list[CheckSpec] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run every check in order; never raises."""
    results = []
    for spec in specs if specs is not None else load_checks():
        result = run_check(spec, ctx)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
