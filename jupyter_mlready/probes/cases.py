"""The value a property test receives: a base frame, the edge case, and the frame it produced."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .kinds import Property
from .mutators import Mutation
from .repro import frame_literal


@dataclass(frozen=True, eq=False)
class Case:
    """One drawn example. ``frame`` is ``base`` with ``mutation`` applied at ``rows``.

    For determinism / batch properties ``mutation`` is None and ``frame`` is ``base``;
    ``position`` is the row predicted alone (batch invariance). For declared expectations
    ``other`` is the frame after moving the feature and ``feature`` names it.
    """

    check: str
    base: pd.DataFrame
    frame: pd.DataFrame
    mutation: Mutation | None = None
    rows: tuple[int, ...] = ()
    position: int = 0
    feature: str | None = None
    other: pd.DataFrame | None = None
    mode: str | None = None  # "increasing" | "decreasing" | "invariant"

    def describe(self) -> str:
        if self.mutation is not None:
            return self.mutation.describe()
        if self.feature is not None:
            return f"feature {self.feature!r} declared {self.mode}"
        return f"{len(self.frame)} valid row(s)"

    def __repr__(self) -> str:  # what hypothesis prints as the falsifying example
        text = f"Case({self.describe()}; X = {frame_literal(self.frame)}"
        if self.other is not None:
            text += f"; X_moved = {frame_literal(self.other)}"
        if self.check == Property.ALONE:
            text += f"; row {self.position} predicted alone"
        return text + ")"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis / IPython pretty printers
        printer.text(repr(self))


@dataclass(frozen=True)
class Recipe:
    """A drawn example before its frame exists: pool rows ``start``..``start + size - 1`` (wrapping
    around), the edge case and the rows it goes in, the row predicted alone. hypothesis draws
    recipes; ``case(pool)`` builds the frame, and the stacked screen (``probes.screen``) builds
    the frames of many recipes with one ``iloc``: most of the cost of an example is pandas
    building its little frame, not hypothesis drawing it."""

    check: str
    start: int
    size: int
    mutation: Mutation | None = None
    rows: tuple[int, ...] = ()
    position: int = 0
    feature = None  # recipes are never declared expectations (those draw Cases directly)

    def indices(self, pool_rows: int) -> list[int]:
        return window_indices(self.start, self.size, pool_rows)

    def case(self, pool: pd.DataFrame) -> Case:
        base = pool.iloc[self.indices(len(pool))].reset_index(drop=True)
        frame = self.mutation.apply(base, self.rows) if self.mutation is not None else base
        return Case(self.check, base, frame, self.mutation, self.rows, self.position)

    def describe(self) -> str:
        return (
            self.mutation.describe() if self.mutation is not None else f"{self.size} valid row(s)"
        )


def window_indices(start: int, size: int, pool_rows: int) -> list[int]:
    """Positions of ``size`` consecutive pool rows from ``start``, wrapping around."""
    return [(start + k) % pool_rows for k in range(size)]
