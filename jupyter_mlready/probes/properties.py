"""Evaluate a property on one case, and run a property with hypothesis (seeded, no database).

``evaluate`` is the single definition of each property; the checks (``run_property``) and the
generated pytest file (``jupyter_mlready.testing``) both call it, so they cannot disagree.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..records import Contract
from .cases import Case, Recipe
from .kinds import Property
from .mutators import MUTATION_CHECKS, mutations_for
from .outcome import Outcome, classify_exception, max_difference, run_frame
from .serving import at_serving_boundary

PROPERTY_CHECKS = (*MUTATION_CHECKS, Property.VALID_OUTPUT, Property.REPEAT, Property.ALONE)


def score(model: Any, frame) -> np.ndarray:
    """The number a declared expectation is about: P(last class) or the regression output."""
    if model.has_proba:
        return np.asarray(model.predict_proba(frame))[:, -1].astype(float)
    return np.asarray(model.predict(frame), dtype=float)


def _mutation(model, case: Case, task: str, tolerance: float) -> Outcome:
    m = case.mutation
    assert m is not None  # evaluate() calls this only for a case that carries a mutation
    outcome, pred, _ = run_frame(model, case.frame, m.column, m.expect, task)
    if outcome.verdict == "ok" and m.same_output:
        base = model.predict(case.base)
        diff = max_difference(pred, base)
        if diff > tolerance and m.kind == "reordered" and _positional(model):
            # fitted on a bare array, or a library that reads columns by position whatever their
            # names (LightGBM, CatBoost): names cannot help it
            return Outcome(
                "rejected",
                f"{_positional(model)}: reordered columns change the answer; the logged "
                "model's signature puts columns in order by name when it is served, a direct "
                "predict call does not: validate column order with the contract at the boundary",
                rule="positional_input",
                extra={"max_difference": diff},
            )
        if diff > tolerance:
            outcome = Outcome(
                "differs",
                f"accepted {m.describe()} but predicted something else than "
                f"for the original frame (max difference {diff:.4g})",
                extra={"max_difference": diff},
            )
    if outcome.broken:
        served = at_serving_boundary(model, m.kind, case.frame, case.base, task, tolerance, outcome)
        return served or outcome
    return outcome


def _positional(model) -> str | None:
    """Why the model reads columns by position, or None when it reads them by name."""
    if getattr(model, "input_kind", "frame") == "array":
        return "positional model (fitted without column names)"
    library = type(getattr(model, "model", None)).__module__.split(".")[0]
    if library in POSITIONAL_LIBRARIES:
        return f"positional model ({library} reads columns by position, not by name)"
    return None


#: libraries whose models take columns by position even when fitted on named columns
POSITIONAL_LIBRARIES = ("lightgbm", "catboost")


def answer(model, frame) -> tuple[Outcome, Any]:
    """Probabilities when the model has them (they show any change), else predictions."""
    try:
        return Outcome("ok", "valid output"), (
            model.predict_proba(frame) if model.has_proba else model.predict(frame)
        )
    except Exception as exc:  # classified like any other crash on valid rows
        return classify_exception(exc, None, "handle"), None


def _twice(model, case: Case, task: str, tolerance: float) -> Outcome:
    first, a = answer(model, case.frame.copy())
    if first.verdict != "ok":
        return first
    _, b = answer(model, case.frame.copy())
    diff = max_difference(a, b)
    if diff > tolerance:
        return Outcome(
            "differs",
            f"the same {len(case.frame)} row(s) predicted twice differ by up "
            f"to {diff:.4g} (tolerance {tolerance:g})",
            extra={"max_difference": diff},
        )
    return first


def _alone(model, case: Case, task: str, tolerance: float) -> Outcome:
    batch, a = answer(model, case.frame)
    if batch.verdict != "ok":
        return batch
    i = case.position
    alone, b = answer(model, case.frame.iloc[[i]])
    if alone.verdict != "ok":
        return Outcome(
            alone.verdict, f"row {i} alone: {alone.detail}", alone.error, alone.raised_in
        )
    diff = max_difference(np.asarray(a)[i : i + 1], b)
    if diff > tolerance:
        return Outcome(
            "differs",
            f"row {i} predicted alone differs from the same row in a batch of "
            f"{len(case.frame)} by {diff:.4g} (tolerance {tolerance:g})",
            extra={"max_difference": diff},
        )
    return batch


def _expectation(model, case: Case, task: str, tolerance: float) -> Outcome:
    try:
        before, after = score(model, case.frame), score(model, case.other)
    except Exception as exc:  # reported as a crash of the expectation probe
        return Outcome("crash", f"{type(exc).__name__}: {exc}", f"{type(exc).__name__}: {exc}")
    if case.mode == "invariant":
        worst = float(np.max(np.abs(after - before)))
        if worst > tolerance:
            return Outcome(
                "differs",
                f"changing {case.feature!r} (declared invariant) moved the "
                f"prediction by up to {worst:.4g}",
                extra={"max_difference": worst},
            )
        return Outcome("ok")
    sign = 1.0 if case.mode == "increasing" else -1.0
    worst = float(np.max(sign * (before - after)))
    if worst > tolerance:
        return Outcome(
            "differs",
            f"raising {case.feature!r} (declared {case.mode}) moved the "
            f"prediction the wrong way by up to {worst:.4g}",
            extra={"max_difference": worst},
        )
    return Outcome("ok")


def evaluate(prop: str, model: Any, case: Case, task: str, tolerance: float = 1e-6) -> Outcome:
    """What the model did on ``case``, for property ``prop`` (never raises for model errors)."""
    if case.mutation is not None:
        return _mutation(model, case, task, tolerance)
    if prop == Property.VALID_OUTPUT:
        return run_frame(model, case.frame, task=task, proba=True)[0]
    if prop == Property.REPEAT:
        return _twice(model, case, task, tolerance)
    if prop == Property.ALONE:
        return _alone(model, case, task, tolerance)
    if case.other is not None:
        return _expectation(model, case, task, tolerance)
    raise KeyError(f"unknown property {prop!r}")


def strategy_for(
    prop: str, contract: Contract, pool, feature: str | None = None, mode: str | None = None
):
    """The hypothesis strategy of cases for a property."""
    from . import strategies

    if prop in MUTATION_CHECKS:
        return strategies.mutation_cases(prop, contract, pool)
    if prop == Property.EXPECTATION:
        # run_property and testing.expectation_cases pass both for a declared expectation
        assert feature is not None and mode is not None
        return strategies.expectation_cases(contract, pool, feature, mode)
    return strategies.batch_cases(prop, pool)


@dataclass
class PropertyRun:
    """The tally of one property run: every outcome by edge case, and the shrunk failure."""

    check: str
    seed: int
    examples_requested: int
    examples: int = 0
    seconds: float = 0.0
    seconds_model: float = 0.0
    tally: dict = field(default_factory=dict)  # key -> {"mutation", "column", counts, first detail}
    failure: tuple[Case, Outcome] | None = None
    flaky: bool = False
    evaluation: str = "one by one"  # or "stacked" (see probes.screen)
    model_calls: int | None = None  # stacked evaluation: predict / predict_proba calls
    columns: tuple[str, ...] = ()  # the frame's columns
    applicable: frozenset[str] = frozenset()  # the columns the property applies to
    exercised: set[str] = field(default_factory=set)  # columns in an edge case the model saw
    undecided: int = 0  # edge cases in a frame that failed, not isolated (the check fails)
    swept: int = 0  # edge cases hypothesis did not draw, each evaluated once (stacked)

    @property
    def seconds_generation(self) -> float:
        return max(self.seconds - self.seconds_model, 0.0)

    def touch(self, mutation) -> None:
        """Columns exercised: the mutated one, or all of them for a whole-frame edge case and
        for the valid-row properties."""
        if mutation is not None and mutation.column is not None:
            self.exercised.add(str(mutation.column))
        else:
            self.exercised.update(self.columns)

    def record(self, case: Case | Recipe, outcome: Outcome) -> None:
        self.touch(case.mutation)
        key = case.mutation.key if case.mutation is not None else (case.feature or self.check)
        entry = self.tally.setdefault(
            key,
            {
                "mutation": case.mutation.kind if case.mutation else None,
                "column": case.mutation.column if case.mutation else case.feature,
                "expect": case.mutation.expect if case.mutation else "handle",
                "describe": case.describe(),
                "counts": {},
                "first": {},
            },
        )
        entry["counts"][outcome.verdict] = entry["counts"].get(outcome.verdict, 0) + 1
        if outcome.verdict not in entry["first"]:
            entry["first"][outcome.verdict] = {
                "detail": outcome.detail[:500],
                "error": outcome.error,
                "raised_in": outcome.raised_in,
                "rule": outcome.rule,
            }


class _Broken(AssertionError):
    pass


def run_property(
    prop: str,
    model: Any,
    contract: Contract,
    pool,
    task: str,
    *,
    seed: int = 0,
    examples: int = 100,
    tolerance: float = 1e-6,
    feature: str | None = None,
    mode: str | None = None,
) -> PropertyRun:
    """Run one property with hypothesis; keep the minimal failing case hypothesis shrank to.

    Deterministic for the same inputs: ``@seed(seed)``, ``database=None``, no deadline. The
    drawn examples are first evaluated stacked (``probes.screen``: a few calls instead of one or
    two per example); only when that finds something broken, or cannot decide, does hypothesis
    run them one by one, which finds the failure again and shrinks it. Edge cases hypothesis did
    not draw are then each tried once, stacked (``_sweep``), so every column appears in the tally.
    """
    from ..threads import one_native_thread

    run = PropertyRun(prop, seed, examples, columns=tuple(str(c) for c in pool.columns))
    run.applicable = _applicable(prop, contract, run.columns, feature)
    state: dict = {"last": None}

    def test(case: Case) -> None:
        run.examples += 1
        t = time.perf_counter()
        outcome = evaluate(prop, model, case, task, tolerance)
        run.seconds_model += time.perf_counter() - t
        run.record(case, outcome)
        if outcome.broken:
            state["last"] = (case, outcome)
            raise _Broken(outcome.detail)

    strategy = strategy_for(prop, contract, pool, feature, mode)
    start = time.perf_counter()
    with one_native_thread():  # tiny frames: thread start-up costs more than it saves
        if not _screened(run, prop, model, contract, pool, task, tolerance):
            _one_by_one(run, strategy, state, test)
        if prop in MUTATION_CHECKS:
            _sweep(run, prop, model, contract, pool, task, tolerance)
    run.seconds = time.perf_counter() - start
    return run


def _screened(
    run: PropertyRun, prop: str, model, contract: Contract, pool, task: str, tolerance: float
) -> bool:
    """Draw the examples as recipes and evaluate them stacked (``probes.screen``); False when
    the screen cannot decide (then hypothesis runs them one by one)."""
    from . import strategies
    from .screen import draw, screen

    if prop in MUTATION_CHECKS:
        recipes = strategies.mutation_recipes(prop, contract, len(pool))
    elif prop in PROPERTY_CHECKS:
        recipes = strategies.batch_recipes(prop, len(pool))
    else:  # declared expectations: opt-in, one by one
        return False
    try:
        drawn = draw(recipes, run.examples_requested, run.seed)
    except Exception:  # noqa: BLE001 - e.g. nothing to draw: the one-by-one run reports it
        return False
    t = time.perf_counter()
    result = screen(prop, model, drawn, pool, task, tolerance, evaluate, answer)
    run.seconds_model += time.perf_counter() - t
    if result is None:
        return False
    for recipe, outcome in zip(drawn, result.outcomes):
        run.record(recipe, outcome)
    run.examples = len(drawn)
    run.evaluation, run.model_calls = "stacked", result.calls
    return True


def _one_by_one(run: PropertyRun, strategy, state: dict, test) -> None:
    """hypothesis calls the model on each example, stops at the first broken one and shrinks it."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    configured = settings(
        max_examples=max(int(run.examples_requested), 1),
        deadline=None,
        database=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    runner = configured(hseed(run.seed)(given(strategy)(test)))
    try:
        with warnings.catch_warnings():  # a wide frame's example is a long repr: expected
            warnings.filterwarnings("ignore", message="Generating overly large repr")
            runner()
    except Exception as exc:
        if state["last"] is None:
            raise
        run.failure = state["last"]
        run.flaky = not isinstance(exc, _Broken)


def _applicable(prop: str, contract: Contract, columns: tuple[str, ...], feature) -> frozenset:
    """The columns a property exercises: those its edge cases change, every column when one of
    them changes the whole frame or when it runs on valid rows, the declared feature."""
    if prop == Property.EXPECTATION:
        return frozenset({str(feature)})
    if prop not in MUTATION_CHECKS:
        return frozenset(columns)
    mutations = mutations_for(prop, contract)
    if any(m.column is None for m in mutations):
        return frozenset(columns)
    return frozenset(str(m.column) for m in mutations)


def _sweep(
    run: PropertyRun, prop: str, model, contract: Contract, pool, task: str, tolerance: float
) -> None:
    """Each edge case hypothesis did not draw, once, in stacked frames (``probes.stacks``): a
    property exercises every column it applies to in about one call per thousand cells, not
    one call per edge case (``_sweep_row``: where each goes). A broken edge case is
    isolated by the stacks and then shrunk by hypothesis (``_shrink``)."""
    from .stacks import resolve

    undrawn = [m for m in mutations_for(prop, contract) if m.key not in run.tally]
    if not undrawn:
        return
    todo = [Recipe(prop, _sweep_row(j, m, len(pool)), 1, m, (0,)) for j, m in enumerate(undrawn)]
    t = time.perf_counter()
    resolved = resolve(prop, model, todo, pool, task, tolerance, evaluate)
    run.seconds_model += time.perf_counter() - t
    assert resolved is not None  # isolating: never gives up
    run.swept = len(todo)
    if run.model_calls is not None:
        run.model_calls += resolved.calls
    first_broken = None
    for recipe, outcome in zip(todo, resolved.outcomes):
        if outcome is None:  # in a frame the model saw, not isolated: something else is broken
            run.touch(recipe.mutation)
            run.undecided += 1
            continue
        run.record(recipe, outcome)
        if outcome.broken and first_broken is None:
            first_broken = (recipe, outcome)
    if first_broken is not None and run.failure is None:
        _shrink(run, prop, model, contract, pool, task, tolerance, *first_broken)


SWEEP_COLUMN_ROWS = 8


def _sweep_row(j: int, m, pool_rows: int) -> int:
    """The pool row of the ``j``-th swept edge case: spread over the pool for a cell edge case;
    one of the first ``SWEEP_COLUMN_ROWS`` for one that changes a whole column (it changes every
    row of its frame, so many columns share a frame of a few rows)."""
    from .mutators import COLUMN_KINDS

    return j % min(pool_rows, SWEEP_COLUMN_ROWS) if m.kind in COLUMN_KINDS else j % pool_rows


def _shrink(
    run: PropertyRun,
    prop: str,
    model,
    contract: Contract,
    pool,
    task: str,
    tolerance: float,
    recipe: Recipe,
    outcome: Outcome,
) -> None:
    """hypothesis on frames carrying the one broken edge case the sweep isolated: the smallest
    failing frame it shrinks to (one row, the first pool row that fails) is the failure; the
    isolated row when hypothesis does not see it fail (a failure that depends on the row)."""
    from . import strategies

    assert recipe.mutation is not None
    strategy = strategies.mutation_cases(prop, contract, pool, [recipe.mutation])
    shrinking = PropertyRun(prop, run.seed, run.examples_requested)
    state: dict = {"last": None}

    def test(case: Case) -> None:
        t = time.perf_counter()
        result = evaluate(prop, model, case, task, tolerance)
        run.seconds_model += time.perf_counter() - t
        if result.broken:
            state["last"] = (case, result)
            raise _Broken(result.detail)

    _one_by_one(shrinking, strategy, state, test)
    run.failure = shrinking.failure or (recipe.case(pool), outcome)
    run.flaky = shrinking.flaky
