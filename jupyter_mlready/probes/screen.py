"""Evaluate a property's examples in a few stacked predictions instead of one call each.

One prediction on a tiny frame costs a scikit-learn pipeline 2-10 ms, nearly all of it fixed
overhead (validation, column transformers, thread pools), so 100 examples x 8 properties one by
one take seconds. The screen has hypothesis draw the examples (the same strategy, seeded)
as recipes — a few integers each, no frame built, no model called — then builds the
frames of many examples with one ``iloc`` and evaluates them with the same ``evaluate`` as a
single example:

- cell edge cases the model must handle (NaN, an unseen category, a value far outside the
  range, a far date): every example's rows in one frame, each example's edge case at its rows;
- every other edge case: one frame per edge case ("column x missing", "numbers as text in y",
  zero rows ...), so a clear rejection of that frame is the outcome of each of its examples;
  "one row" examples: a few alone (stacking would change them), the other ones' rows stacked;
- valid-row properties: the output contract and determinism on all examples' rows at once;
  batch invariance compares the stacked batch with the same rows in a second batch and with
  a few rows predicted alone. (Declared expectations run one by one: they are opt-in.)

It relies on rows being predicted independently of each other (``batch_invariance`` checks
exactly that). When everything comes out graceful the tally is final; when anything is broken,
or a stacked frame cannot be built, the screen returns None and the property runs example by
example under hypothesis, which finds the failure again and shrinks it. A broken stack is never
counted as a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .cases import Case, Recipe
from .kinds import Property
from .mutators import Mutation
from .outcome import Outcome, max_difference, run_frame

# Cell edge cases that keep the frame's shape: stackable with each other.
CELL_KINDS = frozenset(
    {
        "missing",
        "unseen",
        "recased",
        "far_above",
        "far_below",
        "zero",
        "negative",
        "far_future",
        "far_past",
        "inf",
        "-inf",
    }
)
ALONE_ROWS = 5  # batch_invariance: rows also predicted alone, one call each
ONE_ROW_ALONE = 5  # the empty-input property: "one row" examples predicted alone, the rest stacked
ONE_ROW_REQUESTS = 3  # every other robustness property: edge cases also sent as one-row requests


@dataclass
class Screened:
    """Outcomes of the drawn recipes (same order), and how many model calls it took."""

    outcomes: list[Outcome]
    calls: int


class _Undecided(Exception):
    """The screen cannot decide: run the property example by example."""


def draw(strategy, examples: int, seed: int) -> list:
    """What hypothesis generates from ``strategy`` (seeded, no database, nothing called)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    drawn: list = []

    def collect(example) -> None:
        drawn.append(example)

    configured = settings(
        max_examples=max(int(examples), 1),
        deadline=None,
        database=None,
        derandomize=False,
        print_blob=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    configured(hseed(seed)(given(strategy)(collect)))()
    return drawn


def screen(
    prop: str,
    model: Any,
    recipes: list[Recipe],
    pool: pd.DataFrame,
    task: str,
    tolerance: float,
    evaluate: Callable,
    answer: Callable,
) -> Screened | None:
    """Outcomes of ``recipes`` from stacked predictions, or None when the screen cannot decide."""
    if not recipes:
        return None
    counter = _Counting(model)
    try:
        if recipes[0].mutation is not None:
            outcomes = _mutations(prop, counter, recipes, pool, task, tolerance, evaluate)
        elif prop == Property.ALONE:
            outcomes = _batch_invariance(counter, recipes, pool, tolerance, answer)
        else:
            frame, _ = stacked_rows(pool, recipes)
            outcome = _graceful(evaluate(prop, counter, Case(prop, frame, frame), task, tolerance))
            outcomes = [outcome] * len(recipes)
    except _Undecided:
        return None
    except Exception:  # noqa: BLE001 - a frame that cannot be stacked: one by one decides
        return None
    return Screened(outcomes, counter.calls)


class _Counting:
    """The model, counting calls to predict / predict_proba (attributes pass through)."""

    def __init__(self, model: Any):
        self._model = model
        self.calls = 0

    def predict(self, X):
        self.calls += 1
        return self._model.predict(X)

    def predict_proba(self, X):
        self.calls += 1
        return self._model.predict_proba(X)

    def __getattr__(self, name):
        return getattr(self._model, name)


def stacked_rows(pool: pd.DataFrame, recipes: list[Recipe]) -> tuple[pd.DataFrame, list[int]]:
    """The valid rows of every recipe, one after the other (one ``iloc``), and each one's offset."""
    indices: list[int] = []
    offsets: list[int] = []
    for r in recipes:
        offsets.append(len(indices))
        indices += r.indices(len(pool))
    return pool.iloc[indices].reset_index(drop=True), offsets


def _edge_case(recipe: Recipe) -> Mutation:
    """The recipe's mutation. The edge-case paths only get recipes of a robustness property
    (``mutation_recipes``, the sweep's), which all carry one."""
    assert recipe.mutation is not None
    return recipe.mutation


def _graceful(outcome: Outcome) -> Outcome:
    if outcome.broken:
        raise _Undecided(outcome.detail)
    return outcome


def _mutations(
    prop: str,
    model,
    recipes: list[Recipe],
    pool: pd.DataFrame,
    task: str,
    tolerance: float,
    evaluate: Callable,
) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(recipes)
    # One frame for the cell edge cases the model must handle; malformed ones (+inf, -inf) one
    # frame per kind, so that a rejected +inf does not send the NaN cases to their groups.
    stacks: dict[str, list[int]] = {}
    for i, r in enumerate(recipes):
        m = _edge_case(r)
        if m.kind in CELL_KINDS:
            stacks.setdefault("handle" if m.expect == "handle" else m.kind, []).append(i)
    for members in stacks.values():
        if cells_ok(model, [recipes[i] for i in members], pool, task):
            for i in members:
                outcomes[i] = Outcome("ok", "valid output")
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(recipes):
        if outcomes[i] is None:
            groups.setdefault(_edge_case(r).key, []).append(i)
    for members in groups.values():
        group = [recipes[i] for i in members]
        if _edge_case(group[0]).kind == "one_row":  # stacked, it would no longer be one row
            _one_rows(prop, model, recipes, members, outcomes, pool, task, tolerance, evaluate)
            continue
        outcome = _graceful(
            evaluate(prop, model, _one_edge_case(prop, group, pool), task, tolerance)
        )
        for i in members:
            outcomes[i] = outcome
    decided = [o for o in outcomes if o is not None]
    assert len(decided) == len(outcomes)  # each recipe is in a stack that passed or in a group
    _one_row_requests(prop, model, recipes, pool, task, tolerance, evaluate)
    return decided


def _one_row_requests(
    prop: str,
    model,
    recipes: list[Recipe],
    pool: pd.DataFrame,
    task: str,
    tolerance: float,
    evaluate: Callable,
) -> None:
    """A few edge cases sent as one-row requests, as a service receives them: stacked, a model
    that fills a missing value from the batch (its mean, its mode) looks fine, and crashes on
    the first single request. Any of them broken leaves the property to one-by-one evaluation,
    which finds and shrinks the failure."""
    seen: set[str] = set()
    for r in recipes:
        m = _edge_case(r)
        if m.kind in ("zero_rows", "one_row") or m.key in seen:
            continue
        seen.add(m.key)
        single = Recipe(r.check, r.start, 1, m, (0,))
        _graceful(evaluate(prop, model, single.case(pool), task, tolerance))
        if len(seen) >= ONE_ROW_REQUESTS:
            return


def _one_rows(
    prop: str,
    model,
    recipes: list[Recipe],
    members: list[int],
    outcomes: list,
    pool: pd.DataFrame,
    task: str,
    tolerance: float,
    evaluate: Callable,
) -> None:
    """ "One row" examples: the first ``ONE_ROW_ALONE`` predicted alone (a model that cannot take
    a single row fails on any of them); when all of those are fine, the other examples' rows in
    one stacked call (their values); anything else, every example alone."""
    for i in members[:ONE_ROW_ALONE]:
        outcomes[i] = _graceful(evaluate(prop, model, recipes[i].case(pool), task, tolerance))
    rest = members[ONE_ROW_ALONE:]
    if not rest:
        return
    first = outcomes[members[0]]
    if all(outcomes[i].verdict == "ok" for i in members[:ONE_ROW_ALONE]):
        n = len(pool)
        rows = pool.iloc[[recipes[i].indices(n)[recipes[i].rows[0]] for i in rest]].reset_index(
            drop=True
        )
        if run_frame(model, rows, task=task)[0].verdict == "ok":
            for i in rest:
                outcomes[i] = first
            return
    for i in rest:
        outcomes[i] = _graceful(evaluate(prop, model, recipes[i].case(pool), task, tolerance))


def _one_edge_case(prop: str, group: list[Recipe], pool: pd.DataFrame) -> Case:
    """Every example of one edge case in one Case: the edge case at each example's rows."""
    base, offsets = stacked_rows(pool, group)
    rows = tuple(o + r for recipe, o in zip(group, offsets) for r in recipe.rows)
    mutation = _edge_case(group[0])
    return Case(prop, base, mutation.apply(base, rows), mutation, rows)


def cells_ok(model, recipes: list[Recipe], pool: pd.DataFrame, task: str) -> bool:
    """Cell edge cases of several kinds and columns in one frame, each example's at its rows.
    True when the model answered validly for every row (anything else: the groups decide)."""
    frame, offsets = stacked_rows(pool, recipes)
    for recipe, offset in zip(recipes, offsets):
        frame = _edge_case(recipe).apply(frame, tuple(offset + r for r in recipe.rows))
    outcome, _, _ = run_frame(model, frame, task=task)
    return outcome.verdict == "ok"


def _batch_invariance(
    model, recipes: list[Recipe], pool: pd.DataFrame, tolerance: float, answer: Callable
) -> list[Outcome]:
    batch, offsets = stacked_rows(pool, recipes)
    ok, in_batch = answer(model, batch)
    if ok.verdict != "ok":
        raise _Undecided(ok.detail)
    in_batch = np.asarray(in_batch)
    rows = [o + r.position for r, o in zip(recipes, offsets)]
    again, other = answer(model, batch.iloc[rows].reset_index(drop=True))
    if again.verdict != "ok" or max_difference(in_batch[rows], other) > tolerance:
        raise _Undecided("the same rows in another batch differ")
    for row in rows[:ALONE_ROWS]:
        alone_ok, alone = answer(model, batch.iloc[[row]].reset_index(drop=True))
        if alone_ok.verdict != "ok" or max_difference(in_batch[row : row + 1], alone) > tolerance:
            raise _Undecided("a row alone differs")
    return [Outcome("ok", "valid output")] * len(recipes)
