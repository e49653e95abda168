"""The value a property test receives: a base frame, the edge case, and the frame it produced."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

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
        if self.check == "batch_invariance":
            text += f"; row {self.position} predicted alone"
        return text + ")"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis / IPython pretty printers
        printer.text(repr(self))
