"""hypothesis strategies over the pool of valid rows and the edge-case mutators.

A base frame is a window of consecutive pool rows (1 to ``max_rows`` of them), so hypothesis
shrinks a failure toward one row, and toward pool row 0 (a real, typical training row when one
exists). Robustness and batch properties draw ``Recipe``s (a few integers); a ``Case`` is a
recipe with its frames built, which is what a test receives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from ..records import Contract
from .cases import Case, Recipe, window_indices
from .kinds import Property
from .mutators import Mutation, mutations_for

MAX_ROWS = 6
MAX_BATCH = 20


def frames(pool: pd.DataFrame, min_rows: int = 1, max_rows: int = MAX_ROWS) -> st.SearchStrategy:
    """Frames of ``min_rows``..``max_rows`` valid rows from ``pool`` (fresh RangeIndex)."""
    return windows(len(pool), min_rows, max_rows).map(
        lambda w: pool.iloc[window_indices(*w, len(pool))].reset_index(drop=True)
    )


def windows(pool_rows: int, min_rows: int, max_rows: int) -> st.SearchStrategy[tuple[int, int]]:
    """(start, size): a window of consecutive pool rows, wrapping around (the pool's real rows are
    a random sample, so neighbours are unrelated). Two draws per frame instead of one per row;
    it still shrinks to one row, pool row 0."""
    return st.tuples(st.integers(0, pool_rows - 1), st.integers(min_rows, max_rows))


def row_subsets(rows: int) -> st.SearchStrategy:
    """Non-empty sets of positions in a frame of ``rows`` rows, as one draw (a bit mask);
    shrinks toward position 0 alone."""
    return st.integers(1, 2**rows - 1).map(
        lambda mask: tuple(i for i in range(rows) if mask >> i & 1)
    )


def mutation_recipes(
    prop: str, contract: Contract, pool_rows: int, mutations: list[Mutation] | None = None
) -> st.SearchStrategy:
    """Recipes for a robustness check: a window of valid rows and one of the check's mutations
    (or of ``mutations``: shrinking one edge case the sweep found broken)."""
    mutations = mutations_for(prop, contract) if mutations is None else mutations
    if not mutations:
        return st.nothing()

    @st.composite
    def build(draw):
        mutation = draw(st.sampled_from(mutations))
        start, size = draw(windows(pool_rows, 1, MAX_ROWS))
        return Recipe(prop, start, size, mutation, draw(row_subsets(size)))

    return build()


def batch_recipes(prop: str, pool_rows: int) -> st.SearchStrategy:
    """Recipes of valid rows: a batch of 1..20 rows, and one position in it (predicted alone)."""
    min_rows = 2 if prop == Property.ALONE else 1

    @st.composite
    def build(draw):
        start, size = draw(windows(pool_rows, min_rows, MAX_BATCH))
        return Recipe(prop, start, size, position=draw(st.integers(0, size - 1)))

    return build()


def mutation_cases(
    prop: str, contract: Contract, pool: pd.DataFrame, mutations: list[Mutation] | None = None
) -> st.SearchStrategy:
    """Cases for a robustness check: a base frame with one of the check's mutations applied."""
    return mutation_recipes(prop, contract, len(pool), mutations).map(lambda r: r.case(pool))


def batch_cases(prop: str, pool: pd.DataFrame) -> st.SearchStrategy:
    """Cases of valid rows: a batch of 1..20 rows, and one position in it (predicted alone)."""
    return batch_recipes(prop, len(pool)).map(lambda r: r.case(pool))


def _filled(column: pd.Series, spec) -> pd.Series:
    """The column as numbers, missing values replaced by the middle of the allowed range."""
    lo, hi = float(spec.low), float(spec.high)
    values = column.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(np.where(np.isnan(values), (lo + hi) / 2, values), index=column.index)


def _moved(values: pd.Series, spec, fractions: list[float]) -> pd.Series:
    moved = values + np.asarray(fractions) * (float(spec.high) - float(spec.low))
    return np.round(moved) if spec.kind == "integer" else moved


def expectation_cases(
    contract: Contract, pool: pd.DataFrame, feature: str, mode: str
) -> st.SearchStrategy:
    """Pairs (X, X_moved) for a declared expectation on ``feature``.

    ``mode`` "increasing" / "decreasing": the feature moves up by a drawn fraction of its allowed
    range (the prediction must not go down / up). "invariant": the feature takes the value of
    another pool row (the prediction must not change).
    """
    spec = contract.column(feature)

    @st.composite
    def build(draw):
        base = draw(frames(pool))
        other = base.copy()
        if mode == "invariant":
            donors = draw(
                st.lists(st.integers(0, len(pool) - 1), min_size=len(base), max_size=len(base))
            )
            other[feature] = pool[feature].iloc[donors].to_numpy()
            other[feature] = other[feature].astype(base[feature].dtype)
        else:
            fractions = draw(st.lists(st.floats(0.01, 1.0), min_size=len(base), max_size=len(base)))
            base = base.copy()
            base[feature] = _filled(base[feature], spec)
            other = base.copy()
            other[feature] = _moved(base[feature], spec, fractions)
        return Case(Property.EXPECTATION, base, base, feature=feature, other=other, mode=mode)

    return build()
