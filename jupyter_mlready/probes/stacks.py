"""Many edge cases in a few predictions: stack them, and isolate only what is not graceful.

A property applies to every column (NaN in each, an extreme value in each numeric one, each
column missing ...): thousands of edge cases on a wide frame. One prediction per edge case costs
a call whose fixed overhead grows with the width (every column is validated), so a frame of
2,000 features took minutes per property. Here the edge cases ("members", ``Recipe``s) share
frames:

- cell edge cases (``CELL_KINDS``): each member keeps its own rows of one stacked frame, with its
  value in its column, so members of many columns and kinds go in one call of up to
  ``max_rows(width)`` rows (about ``MAX_CELLS`` cells). Those the model must handle share a
  frame; each malformed kind (+inf, -inf) gets its own, so a rejected +inf hides nothing else;
- column edge cases (``COLUMN_KINDS``: numbers or categories as text, a missing column): up to
  ``MAX_COLUMNS`` columns change at once in one frame of the members' rows;
- whole-frame edge cases (reordered or extra columns, zero rows): one frame per edge case;
  "one row" examples: a few alone, the other ones' rows stacked (a stack is not one row).

A stack decides its members when the model answers validly (and, where the edge case keeps the
information, the same as for the original rows). Otherwise it is resolved, one call per step:

- an error that names columns (``classify_exception`` read with the member's column) is a clear
  rejection of the members it names; the others are stacked again without them;
- a clear rejection that names no column (a schema error, input validation) holds for every
  member once ``CONFIRM`` of them, spread over the stack, are each rejected alone as well;
- anything else (a crash, invalid or different output, a rejection that a member alone does not
  share) splits the stack in two, between edge cases, down to at most ``KEY_FRAMES`` of them,
  which then get one frame each (what the model does with a frame holding one edge case is the
  outcome of every example in it, as exact as one call per example): a broken edge case is
  isolated in about 2 log2(n) calls, then shrunk by hypothesis (``properties``).

Isolation has a budget (``EXTRA_CALLS``). Members still undecided when it runs out are left
undecided (``None``) if something is already broken — the property fails anyway — and are
otherwise predicted one by one, so a property that passes has decided every edge case. A single
member is always evaluated exactly as the one-by-one test evaluates it (its own ``Case``), and
one edge case of each kind is also sent alone (``one_row_requests``), as a service receives it.
The screen of hypothesis's drawn examples (``isolate=False``) stops at the first broken edge
case: hypothesis then runs the examples one by one and shrinks the failure itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .cases import Case, Recipe
from .mutators import CELL_KINDS, COLUMN_KINDS, Mutation, apply_many
from .outcome import Outcome, classify_exception, run_frame

MAX_CELLS = 2_000_000  # cells per stacked frame of cell edge cases
MIN_ROWS, MAX_ROWS = 64, 4096
MAX_COLUMNS = 256  # columns changed at once by column edge cases
MAX_MISSING = 64  # columns missing at once: the error lists them, and reading it per column costs
CONFIRM = 3  # members of a stack rejected without naming a column, also predicted alone
KEY_FRAMES = 8  # a stack of at most this many edge cases that is not decided: one frame each
EXTRA_CALLS = 64  # calls beyond one per stack, to isolate what a stack did not decide
ONE_ROW_ALONE = 5  # "one row" examples predicted alone before the others are stacked


def max_rows(width: int) -> int:
    """Rows of one stacked frame of cell edge cases for a frame of ``width`` columns."""
    return int(min(MAX_ROWS, max(MIN_ROWS, MAX_CELLS // max(width, 1))))


def max_columns(m: Mutation, width: int) -> int:
    """Columns one stacked frame of column edge cases changes: never more than half of them
    missing (a frame left with no columns at all is another edge case)."""
    return max(1, min(MAX_MISSING, width // 2)) if m.kind == "missing_column" else MAX_COLUMNS


class CountingModel:
    """The model, counting calls to predict / predict_proba and keeping the last exception they
    raised (attributes pass through)."""

    def __init__(self, model: Any):
        self._model = model
        self.calls = 0
        self.error: BaseException | None = None

    def _call(self, method: str, X):
        self.calls += 1
        try:
            return getattr(self._model, method)(X)
        except Exception as exc:
            self.error = exc
            raise

    def predict(self, X):
        return self._call("predict", X)

    def predict_proba(self, X):
        return self._call("predict_proba", X)

    def __getattr__(self, name):
        return getattr(self._model, name)


@dataclass
class Resolved:
    """Each member's outcome (same order; None: left undecided) and the model calls it took."""

    outcomes: list[Outcome | None]
    calls: int


class _GiveUp(Exception):
    """Screen mode: a stack is not graceful; one-by-one evaluation decides the property."""


def edge_case(recipe: Recipe) -> Mutation:
    """A member's mutation (members are recipes of a robustness property: they all carry one)."""
    assert recipe.mutation is not None
    return recipe.mutation


def group_of(m: Mutation) -> tuple[str, str]:
    """Which members may share a frame, and how (``cells``, ``columns``, ``frame``, ``one_row``)."""
    if m.kind in CELL_KINDS:
        return ("cells", "handle" if m.expect == "handle" else m.kind)
    if m.kind in COLUMN_KINDS:
        return ("columns", m.kind)
    if m.kind == "one_row":
        return ("one_row", "")
    return ("frame", m.key)


def _chunks(how: str, members: list[int], recipes: list[Recipe], width: int) -> list[list[int]]:
    if how in ("frame", "one_row"):
        return [members]
    if how == "columns":  # the members of one column together: fewer columns per frame
        columns = [edge_case(recipes[i]).column for i in members]
        order = {c: k for k, c in enumerate(dict.fromkeys(columns))}
        members = sorted(members, key=lambda i: order[edge_case(recipes[i]).column])
    out: list[list[int]] = [[]]
    size = 0
    seen: set = set()
    for i in members:
        r = recipes[i]
        if how == "cells":
            grow, limit = r.size, max_rows(width)
        else:
            grow, limit = int(edge_case(r).column not in seen), max_columns(edge_case(r), width)
        if out[-1] and size + grow > limit:
            out.append([])
            size, seen = 0, set()
        out[-1].append(i)
        size += grow
        seen.add(edge_case(r).column)
    return out


def _spread(members: list[int], k: int) -> list[int]:
    """``k`` members spread over the stack: first, last, and evenly between."""
    if len(members) <= k:
        return list(members)
    step = (len(members) - 1) / (k - 1)
    return sorted({members[round(j * step)] for j in range(k)})


def stacked_rows(pool: pd.DataFrame, recipes: list[Recipe]) -> tuple[pd.DataFrame, list[int]]:
    """The valid rows of every recipe, one after the other (one ``iloc``), and each one's offset."""
    indices: list[int] = []
    offsets: list[int] = []
    for r in recipes:
        offsets.append(len(indices))
        indices += r.indices(len(pool))
    return pool.iloc[indices].reset_index(drop=True), offsets


def stacked_case(prop: str, how: str, recipes: list[Recipe], pool: pd.DataFrame) -> Case:
    """One Case for several members. Its mutation stands for all of them: their kind, what they
    expect, no column (so an error is read as naming none), except for one whole-frame edge case
    (members of one key)."""
    first = edge_case(recipes[0])
    if how == "columns":  # every member's column changes over the rows of all members
        indices = list(dict.fromkeys(i for r in recipes for i in r.indices(len(pool))))
        base = pool.iloc[indices].reset_index(drop=True)
        changes = list({edge_case(r).key: edge_case(r) for r in recipes}.values())
        frame = apply_many(base, [(m, ()) for m in changes])
        rows: tuple[int, ...] = ()
    else:
        base, offsets = stacked_rows(pool, recipes)
        rows = tuple(o + k for r, o in zip(recipes, offsets) for k in r.rows)
        if how == "cells":
            edits = [(edge_case(r), tuple(o + k for k in r.rows)) for r, o in zip(recipes, offsets)]
            frame = apply_many(base, edits)
        else:
            frame = first.apply(base, rows)
    one_key = len({edge_case(r).key for r in recipes}) == 1
    stand_in = first if one_key else Mutation(first.kind, None, first.expect, first.same_output)
    return Case(recipes[0].check, base, frame, stand_in, rows)


class _Resolver:
    def __init__(
        self,
        prop: str,
        model: Any,
        recipes: list[Recipe],
        pool: pd.DataFrame,
        task: str,
        tolerance: float,
        evaluate: Callable,
        isolate: bool,
    ):
        self.prop, self.recipes, self.pool = prop, recipes, pool
        self.task, self.tolerance, self.evaluate = task, tolerance, evaluate
        self.model = model if isinstance(model, CountingModel) else CountingModel(model)
        self.isolate = isolate
        self.outcomes: list[Outcome | None] = [None] * len(recipes)
        self.extra = 0
        self.read: BaseException | None = None
        self.readings: dict[int, Outcome] = {}

    # -- one call ---------------------------------------------------------------------------

    def alone(self, i: int) -> Outcome:
        """Member ``i`` in its own frame, exactly as the one-by-one test evaluates it."""
        outcome = self.evaluate(
            self.prop, self.model, self.recipes[i].case(self.pool), self.task, self.tolerance
        )
        self.record([i], outcome)
        return outcome

    def record(self, members: list[int], outcome: Outcome) -> None:
        if outcome.broken and not self.isolate:
            raise _GiveUp  # the screen: hypothesis finds it again one by one, and shrinks it
        for i in members:
            self.outcomes[i] = outcome

    def together(self, how: str, members: list[int]) -> tuple[Outcome | None, BaseException | None]:
        """The members in one frame: the outcome read as naming no column, and the exception the
        model raised (None: it answered, or the frame could not be built or evaluated)."""
        self.model.error = None
        try:
            case = stacked_case(self.prop, how, [self.recipes[i] for i in members], self.pool)
            outcome = self.evaluate(self.prop, self.model, case, self.task, self.tolerance)
        except Exception:  # noqa: BLE001 - a frame that cannot be stacked: smaller stacks decide
            return None, None
        return outcome, (self.model.error if outcome.verdict in ("rejected", "crash") else None)

    # -- deciding a stack -------------------------------------------------------------------

    def decide(self, how: str, members: list[int], first: bool = False) -> None:
        peeled = 0
        while members:
            if not first and self.extra >= EXTRA_CALLS:
                return  # left undecided: the budget is spent
            self.extra += 0 if first else 1
            if len(members) == 1:
                self.alone(members[0])
                return
            first = False
            outcome, exc = self.together(how, members)
            one_key = len({edge_case(self.recipes[i]).key for i in members}) == 1
            if outcome is not None and (one_key or outcome.verdict == "ok"):
                # one edge case in every example: what the model did is each one's outcome
                self.record(members, outcome)
                return
            if outcome is not None and outcome.verdict == "rejected":  # names no column
                self.confirm(how, members, exc, outcome)
                return
            named = self.named(members, exc)
            if not named:
                self.split(how, members)
                return
            for i, mine in named.items():
                self.record([i], mine)
            members = [i for i in members if i not in named]
            peeled += 1
            if peeled >= 2 and members:  # an error naming a few columns at a time: confirm
                self.confirm(how, members, None, None)
                return

    def reading(self, i: int, exc: BaseException) -> Outcome | None:
        """The error read with member ``i``'s column (None when the message does not contain the
        column's name: then it cannot name it, and reads as it does with no column)."""
        m = edge_case(self.recipes[i])
        if m.column is None or str(m.column) not in str(exc):
            return None
        if self.read is not exc:  # readings of the latest error only (errors hold frames)
            self.read, self.readings = exc, {}
        if i not in self.readings:
            self.readings[i] = classify_exception(exc, m.column, m.expect)
        return self.readings[i]

    def named(self, members: list[int], exc: BaseException | None) -> dict[int, Outcome]:
        """The members the error rejects clearly once read with their own column."""
        if exc is None:
            return {}
        readings = {i: self.reading(i, exc) for i in members}
        return {i: o for i, o in readings.items() if o is not None and o.verdict == "rejected"}

    def own_reading(self, i: int, exc: BaseException | None, outcome: Outcome) -> Outcome:
        mine = self.reading(i, exc) if exc is not None else None
        return mine if mine is not None and mine.verdict == "rejected" else outcome

    def confirm(
        self,
        how: str,
        members: list[int],
        exc: BaseException | None,
        outcome: Outcome | None,
    ) -> None:
        """A rejection that does not name every member: ``CONFIRM`` members alone; all rejected
        alone too -> rejected, every one (the stack's error read with each member's column, or,
        after peeling, what the members alone said); anything else -> split."""
        picks = _spread(members, CONFIRM)
        alone = {}
        for i in picks:
            if self.extra >= EXTRA_CALLS:
                return
            self.extra += 1
            alone[i] = self.alone(i)
        rest = [i for i in members if i not in alone]
        if not all(o.verdict == "rejected" for o in alone.values()):
            self.split(how, rest)
            return
        example = next(iter(alone.values()))
        like = Outcome(
            "rejected",
            f"{example.detail} (in a stacked frame of {len(members)} edge cases of this kind; "
            f"{len(alone)} of them rejected alone as well)",
            example.error,
            example.raised_in,
            example.rule,
        )
        for i in rest:
            self.record([i], self.own_reading(i, exc, outcome) if outcome is not None else like)

    def split(self, how: str, members: list[int]) -> None:
        """A stack its frame did not decide: a frame per edge case when they are few (as exact
        as one call per example), else two stacks, cut between edge cases."""
        if not members:
            return
        keys: dict[str, list[int]] = {}
        for i in members:
            keys.setdefault(edge_case(self.recipes[i]).key, []).append(i)
        if len(keys) == 1:  # one edge case whose stacked frame could not be built
            for i in members:
                self.decide(how, [i])
            return
        if len(keys) <= KEY_FRAMES:
            for same in keys.values():
                self.decide(how, same)
            return
        halves = list(keys.values())
        half = len(halves) // 2
        self.decide(how, [i for same in halves[:half] for i in same])
        self.decide(how, [i for same in halves[half:] for i in same])

    def one_row_requests(self) -> None:
        """One edge case of each kind also sent alone, as a service receives a request (its own
        frame, one row for the sweep): stacked, a model that fills a value from the batch looks
        fine and fails on the first single request. What it does alone is that edge case's
        outcome."""
        kinds: dict[str, int] = {}
        for i, recipe in enumerate(self.recipes):
            kinds.setdefault(edge_case(recipe).kind, i)
        for kind, i in kinds.items():
            if kind not in ("zero_rows", "one_row") and self.outcomes[i] is not None:
                self.alone(i)

    # -- "one row" examples -----------------------------------------------------------------

    def one_rows(self, members: list[int]) -> None:
        """The first ``ONE_ROW_ALONE`` alone (a model that cannot take a single row fails on any
        of them); when all are fine, the other examples' rows in one stacked call (their
        values); anything else, every example alone."""
        alone = [self.alone(i) for i in members[:ONE_ROW_ALONE]]
        rest = members[ONE_ROW_ALONE:]
        if not rest:
            return
        if all(o.verdict == "ok" for o in alone):
            n = len(self.pool)
            rows = [self.recipes[i].indices(n)[self.recipes[i].rows[0]] for i in rest]
            frame = self.pool.iloc[rows].reset_index(drop=True)
            if run_frame(self.model, frame, task=self.task)[0].verdict == "ok":
                self.record(rest, alone[0])
                return
        for i in rest:
            self.alone(i)


def resolve(
    prop: str,
    model: Any,
    recipes: list[Recipe],
    pool: pd.DataFrame,
    task: str,
    tolerance: float,
    evaluate: Callable,
    isolate: bool = True,
) -> Resolved | None:
    """Outcomes of ``recipes`` (all of a robustness property) from stacked frames.

    ``isolate=False`` (the screen of hypothesis's drawn examples): None as soon as an edge case
    is broken, or one is left undecided, since hypothesis then runs the examples one by one and
    shrinks the failure."""
    r = _Resolver(prop, model, recipes, pool, task, tolerance, evaluate, isolate)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, recipe in enumerate(recipes):
        groups.setdefault(group_of(edge_case(recipe)), []).append(i)
    width = len(pool.columns)
    try:
        for (how, _), members in groups.items():
            if how == "one_row":
                r.one_rows(members)
                continue
            for chunk in _chunks(how, members, recipes, width):
                r.decide(how, chunk, first=True)
        if isolate:
            r.one_row_requests()
    except _GiveUp:
        return None
    if not isolate and any(o is None or o.broken for o in r.outcomes):
        return None
    if not any(o is not None and o.broken for o in r.outcomes):
        for i in [i for i, o in enumerate(r.outcomes) if o is None]:  # nothing broken: decide all
            r.alone(i)
    return Resolved(r.outcomes, r.model.calls)
