"""Evaluate a property's examples in a few stacked predictions instead of one call each.

One prediction on a tiny frame costs a scikit-learn pipeline 2-10 ms, nearly all of it fixed
overhead (validation, column transformers, thread pools), so 100 examples x 8 properties one by
one take seconds. The screen has hypothesis draw the examples (the same strategy, seeded)
as recipes — a few integers each, no frame built, no model called — then builds the
frames of many examples at once and evaluates them with the same ``evaluate`` as a
single example:

- edge cases (robustness properties): stacked by ``probes.stacks`` — cell edge cases of every
  column in shared frames, column edge cases many columns at a time, whole-frame ones one frame
  per edge case, "one row" examples a few alone and the rest stacked; then a few edge cases are
  also sent as one-row requests;
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
from .outcome import Outcome, max_difference
from .stacks import CountingModel, edge_case, resolve, stacked_rows

ALONE_ROWS = 5  # batch_invariance: rows also predicted alone, one call each
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
    counter = CountingModel(model)
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
    resolved = resolve(prop, model, recipes, pool, task, tolerance, evaluate, isolate=False)
    if resolved is None:
        raise _Undecided("a stacked frame was not graceful")
    _one_row_requests(prop, model, recipes, pool, task, tolerance, evaluate)
    return [o for o in resolved.outcomes if o is not None]


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
        m = edge_case(r)
        if m.kind in ("zero_rows", "one_row") or m.key in seen:
            continue
        seen.add(m.key)
        single = Recipe(r.check, r.start, 1, m, (0,))
        _graceful(evaluate(prop, model, single.case(pool), task, tolerance))
        if len(seen) >= ONE_ROW_REQUESTS:
            return


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
