"""Evaluate a property's examples in a few stacked predictions instead of one call each.

One prediction on a tiny frame costs a scikit-learn pipeline 2-10 ms, nearly all of it fixed
overhead (validation, column transformers, thread pools), so 100 examples x 8 properties one by
one take seconds. The screen draws the examples hypothesis would draw (same strategy, same
seed; the model is not called while drawing) and evaluates them with the same ``evaluate`` as
a single example, on frames that stack many examples:

- cell edge cases the model must handle (NaN, an unseen category, a value far outside the
  range, a far date): every example's rows in one frame, each example's edge case at its rows;
- every other edge case: one frame per edge case ("column x missing", "numbers as text in y",
  zero rows ...), so a clear rejection of that frame is the outcome of each of its examples;
  "one row" examples are evaluated one by one (stacking would change them);
- valid-row properties: the output contract and determinism on all examples' rows at once;
  batch invariance compares the stacked batch with the same rows in a second batch and with
  a few rows predicted alone; declared expectations on all moved rows at once.

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

from .cases import Case
from .outcome import Outcome, max_difference

# Cell edge cases that keep the frame's shape: stackable with each other.
CELL_KINDS = frozenset({"missing", "unseen", "recased", "far_above", "far_below", "zero",
                        "negative", "far_future", "far_past", "inf", "-inf"})
ALONE_ROWS = 5  # batch_invariance: rows also predicted alone, one call each


@dataclass
class Screened:
    """Outcomes of the drawn cases (same order), and how many model calls it took."""

    outcomes: list[Outcome]
    calls: int


class _Undecided(Exception):
    """The screen cannot decide: run the property example by example."""


def draw_cases(strategy, examples: int, seed: int) -> list[Case]:
    """The cases hypothesis generates for ``strategy`` (seeded, no database); no model call."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    drawn: list[Case] = []
    configured = settings(max_examples=max(int(examples), 1), deadline=None, database=None,
                          derandomize=False, print_blob=False, phases=[Phase.generate],
                          suppress_health_check=list(HealthCheck))

    def collect(case: Case) -> None:
        drawn.append(case)

    configured(hseed(seed)(given(strategy)(collect)))()
    return drawn


def screen(check_id: str, model: Any, cases: list[Case], task: str, tolerance: float,
           evaluate: Callable, answer: Callable) -> Screened | None:
    """Outcomes of ``cases`` from stacked predictions, or None when the screen cannot decide."""
    if not cases:
        return None
    counter = _Counting(model)
    try:
        if cases[0].mutation is not None:
            outcomes = _mutations(check_id, counter, cases, task, tolerance, evaluate)
        elif check_id == "batch_invariance":
            outcomes = _batch_invariance(counter, cases, tolerance, answer)
        else:
            outcomes = _stacked_valid_rows(check_id, counter, cases, task, tolerance, evaluate)
    except _Undecided:
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


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames with the same columns and dtypes, one after the other; _Undecided otherwise."""
    first = frames[0]
    for f in frames[1:]:
        if list(f.columns) != list(first.columns) or not f.dtypes.equals(first.dtypes):
            raise _Undecided("frames differ in columns or dtypes")
    stacked = pd.concat(frames, ignore_index=True)
    if not stacked.dtypes.equals(first.dtypes):
        raise _Undecided("stacking changed a dtype")
    return stacked


def _graceful(outcome: Outcome) -> Outcome:
    if outcome.broken:
        raise _Undecided(outcome.detail)
    return outcome


def _mutations(check_id: str, model, cases: list[Case], task: str, tolerance: float,
               evaluate: Callable) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(cases)
    # One frame for the cell edge cases the model must handle; malformed ones (+inf, -inf) one
    # frame per kind, so that a rejected +inf does not send the NaN cases to their groups.
    stacks: dict[str, list[int]] = {}
    for i, c in enumerate(cases):
        if c.mutation.kind in CELL_KINDS:
            stacks.setdefault("handle" if c.mutation.expect == "handle" else c.mutation.kind, []).append(i)
    for members in stacks.values():
        if cells_ok(model, [cases[i] for i in members], task):
            for i in members:
                outcomes[i] = Outcome("ok", "valid output")
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(cases):
        if outcomes[i] is None:
            groups.setdefault(c.mutation.key, []).append(i)
    for members in groups.values():
        mutation = cases[members[0]].mutation
        if mutation.kind == "one_row":  # stacking would no longer be one row
            for i in members:
                outcomes[i] = _graceful(evaluate(check_id, model, cases[i], task, tolerance))
            continue
        base = _concat([cases[i].base for i in members])
        frame = _concat([cases[i].frame for i in members])
        stacked = Case(check_id, base, frame, mutation, ())
        outcome = _graceful(evaluate(check_id, model, stacked, task, tolerance))
        for i in members:
            outcomes[i] = outcome
    return outcomes


def cells_ok(model, cells: list[Case], task: str) -> bool:
    """All cell edge cases in one frame: each case's rows carry its edge case. True when the
    model answered validly for every row (anything else: the groups decide one by one)."""
    from .outcome import run_frame

    try:
        frame = _concat([c.base for c in cells])
        offset = 0
        for c in cells:
            frame = c.mutation.apply(frame, tuple(r + offset for r in c.rows))
            offset += len(c.base)
    except _Undecided:
        return False
    outcome, _, _ = run_frame(model, frame, task=task)
    return outcome.verdict == "ok"


def _stacked_valid_rows(check_id: str, model, cases: list[Case], task: str, tolerance: float,
                        evaluate: Callable) -> list[Outcome]:
    first = cases[0]
    frame = _concat([c.frame for c in cases])
    other = _concat([c.other for c in cases]) if first.other is not None else None
    base = _concat([c.base for c in cases]) if first.other is not None else frame
    stacked = Case(first.check, base, frame, feature=first.feature, other=other, mode=first.mode)
    outcome = _graceful(evaluate(check_id, model, stacked, task, tolerance))
    return [outcome] * len(cases)


def _batch_invariance(model, cases: list[Case], tolerance: float, answer: Callable) -> list[Outcome]:
    batch = _concat([c.frame for c in cases])
    ok, in_batch = answer(model, batch)
    _graceful(ok)
    if ok.verdict != "ok":
        raise _Undecided(ok.detail)
    in_batch = np.asarray(in_batch)
    rows, offset = [], 0
    for c in cases:
        rows.append(offset + c.position)
        offset += len(c.frame)
    again, other = answer(model, batch.iloc[rows].reset_index(drop=True))
    if again.verdict != "ok" or max_difference(in_batch[rows], other) > tolerance:
        raise _Undecided("the same rows in another batch differ")
    for r in rows[:ALONE_ROWS]:
        alone_ok, alone = answer(model, batch.iloc[[r]].reset_index(drop=True))
        if alone_ok.verdict != "ok" or max_difference(in_batch[r:r + 1], alone) > tolerance:
            raise _Undecided("a row alone differs")
    return [Outcome("ok", "valid output")] * len(cases)
