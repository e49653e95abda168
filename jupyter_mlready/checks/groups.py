"""Rows grouped by a column's values: what the slice and fairness checks share.

A column (a feature, or a column beside the features such as a sensitive attribute) splits the
hold-out rows into groups: each value of a category, text or boolean column (its most frequent
``MAX_VALUES`` values; the rest are counted, not grouped), each value of a number with at most
``FEW_VALUES`` distinct values, and ``NUMERIC_BINS`` quantile bins of any other number. Missing
values are a group of their own. Nothing here judges a group; the checks do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..formatting import fmt_number
from .registry import Section

SECTION = Section(
    "slices_groups",
    "Slices and groups: is the model as good for every part of the data?",
    "The hold-out metric on each slice of the data (each category value, numeric quantile bins, "
    "slices declared in the policy) against the whole hold-out, corrected for the number of "
    "slices tested; and, across sensitive groups, selection rates and error rates with the "
    "demographic-parity and equalized-odds differences. Slices and groups found by the search "
    "only warn; only those declared in the policy can fail.",
    order=55,
)

#: most frequent values of a category column that become groups (the rest are counted)
MAX_VALUES = 20
#: a number with at most this many distinct values is grouped by value, not binned
FEW_VALUES = 10
#: quantile bins of any other number
NUMERIC_BINS = 4
MISSING = "(missing)"


@dataclass(frozen=True)
class Grouping:
    """The groups of one column over a set of rows.

    ``codes``: the group of each row (-1: not grouped, a value beyond the ``MAX_VALUES`` most
    frequent); ``names``: each group's label; ``kind``: "values" or "quantile bins";
    ``left_out``: distinct values not grouped."""

    column: str
    codes: np.ndarray
    names: tuple[str, ...]
    kind: str
    left_out: int = 0

    def rows(self) -> list[np.ndarray]:
        """The row positions of each group, in ``names`` order."""
        order = np.argsort(self.codes, kind="stable")
        counts = np.bincount(self.codes[self.codes >= 0], minlength=len(self.names))
        start = int(np.sum(self.codes < 0))
        bounds = np.cumsum(np.r_[start, counts])
        return [order[bounds[i] : bounds[i + 1]] for i in range(len(self.names))]


def _label(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return f"{int(v)}"
    if isinstance(v, (float, np.floating)):
        return fmt_number(float(v))
    return str(v)


def is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def group_by_column(
    column: str, values: pd.Series, bins: int = NUMERIC_BINS, top: int = MAX_VALUES
) -> Grouping | None:
    """The groups of ``values`` (None: one group only, or a date/time column: nothing to
    compare)."""
    s = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(s) or isinstance(s.dtype, pd.PeriodDtype):
        return None
    missing = s.isna().to_numpy()
    present = s[~missing]
    if is_number(s) and present.nunique() > FEW_VALUES:
        x = present.to_numpy(dtype=float)
        edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
        if len(edges) < 3 and not missing.any():
            return None
        inner = edges[1:-1]  # bins (a, b], the first one closed: [min, b]
        codes = np.full(len(s), -1, dtype=int)
        codes[~missing] = np.searchsorted(inner, x, side="left")
        ends = [edges[0], *inner, edges[-1]] if len(edges) > 1 else [edges[0], edges[0]]
        shown = [fmt_number(float(e)) for e in ends]
        names = [
            f"{'[' if i == 0 else '('}{shown[i]}, {shown[i + 1]}]" for i in range(len(ends) - 1)
        ]
        if missing.any():
            codes[missing] = len(names)
            names.append(MISSING)
        return Grouping(column, codes, tuple(names), "quantile bins")
    counts = present.value_counts()
    if len(counts) + int(missing.any()) < 2:
        return None
    kept = counts.index[:top]
    codes = np.asarray(pd.Categorical(present, categories=kept).codes, dtype=int)
    all_codes = np.full(len(s), -1, dtype=int)
    all_codes[~missing] = codes
    names = [_label(v) for v in kept]
    if missing.any():
        all_codes[missing] = len(names)
        names.append(MISSING)
    return Grouping(column, all_codes, tuple(names), "values", max(0, len(counts) - top))


def select_value(g: Grouping, value: str) -> int | None:
    """The group of ``g`` whose label is ``value`` (numbers compared as numbers)."""
    if value in g.names:
        return g.names.index(value)
    try:
        wanted = float(value)
    except ValueError:
        return None
    for i, name in enumerate(g.names):
        try:
            if float(name.replace(",", "")) == wanted:
                return i
        except ValueError:
            continue
    return None


def num(v) -> float | None:
    """A float for JSON (None for NaN and infinities)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def bonferroni(level: float, tests: int) -> float:
    """The two-sided level at which each of ``tests`` intervals is computed so that all of them
    hold together at ``level`` (Bonferroni)."""
    return 1 - (1 - level) / max(tests, 1)
