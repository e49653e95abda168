"""The pool of valid rows every property draws its base frames from.

Real rows (a uniform sample of training, when available) come first, then synthetic rows built
column by column from the contract: row 0 of the synthetic part is the "typical" row (midpoint,
first allowed value), then the training minimum and maximum, then uniform draws. hypothesis picks
row indices into the pool, so generating an example costs a handful of integer draws and one
``iloc``, whatever the size of the training data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..records import ColumnSpec, Contract

REAL_ROWS = 200
SYNTHETIC_ROWS = 50


def _numbers(spec: ColumnSpec, n: int, rng: np.random.Generator) -> np.ndarray:
    lo = float(spec.min) if spec.min is not None else 0.0
    hi = float(spec.max) if spec.max is not None else lo
    values = rng.uniform(lo, hi, n) if hi > lo else np.full(n, lo)
    values[:3] = [(lo + hi) / 2, lo, hi][:n]
    if spec.kind == "integer":
        values = np.round(values)
    return values


def _dates(spec: ColumnSpec, n: int, rng: np.random.Generator) -> pd.Series:
    lo = pd.Timestamp(spec.min) if spec.min is not None else pd.Timestamp("2020-01-01")
    hi = pd.Timestamp(spec.max) if spec.max is not None else lo
    span = (hi - lo).total_seconds()
    seconds = rng.uniform(0, span, n) if span > 0 else np.zeros(n)
    seconds[:3] = [span / 2, 0, span][:n]
    return lo + pd.to_timedelta(np.round(seconds), unit="s")


def _choices(spec: ColumnSpec, n: int, rng: np.random.Generator) -> list:
    allowed = list(spec.categories) if spec.categories else [f"text_{i}" for i in range(20)]
    picks = [allowed[int(i)] for i in rng.integers(0, len(allowed), n)]
    picks[: min(n, len(allowed))] = allowed[: min(n, len(allowed))]
    return picks


def synthetic_column(spec: ColumnSpec, n: int, rng: np.random.Generator) -> pd.Series:
    """``n`` valid values of one column, with the training dtype where it can be rebuilt."""
    if spec.kind in ("float", "integer"):
        numbers = _numbers(spec, n, rng)
        dtype = spec.dtype if spec.kind == "float" else _int_dtype(spec.dtype)
        return pd.Series(numbers).astype(dtype)
    if spec.kind == "datetime":
        s = _dates(spec, n, rng)
        try:
            return s.astype(spec.dtype)
        except (TypeError, ValueError):
            return s
    if spec.kind == "boolean":
        values = [bool(v) for v in rng.integers(0, 2, n)]
        values[:2] = [False, True][:n]
        return pd.Series(values, dtype="bool" if spec.dtype == "bool" else "object")
    values = _choices(spec, n, rng)
    if spec.kind == "category":
        return pd.Series(pd.Categorical(values, categories=list(spec.categories or ())))
    return pd.Series(
        values, dtype=spec.dtype if spec.dtype in ("str", "string", "object") else "object"
    )


def _int_dtype(dtype: str) -> str:
    try:
        return dtype if pd.api.types.is_integer_dtype(pd.api.types.pandas_dtype(dtype)) else "int64"
    except TypeError:
        return "int64"


def synthetic_rows(contract: Contract, n: int = SYNTHETIC_ROWS, seed: int = 0) -> pd.DataFrame:
    """``n`` rows that satisfy the contract, built column by column (no training data needed)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c.name: synthetic_column(c, n, rng) for c in contract.columns})


def _align(synth: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Give synthetic columns the dtypes of the real sample so the two concatenate cleanly."""
    out = {}
    for name in real.columns:
        s = synth[name]
        try:
            out[name] = s.astype(real[name].dtype) if s.dtype != real[name].dtype else s
        except (TypeError, ValueError):
            out[name] = s
    return pd.DataFrame(out)


def example_pool(
    contract: Contract,
    real: pd.DataFrame | None = None,
    seed: int = 0,
    real_rows: int = REAL_ROWS,
    synthetic: int = SYNTHETIC_ROWS,
) -> pd.DataFrame:
    """Valid rows: up to ``real_rows`` sampled from ``real`` followed by synthetic contract rows.

    The result has a fresh RangeIndex and the contract's column order. Deterministic for a seed.
    """
    synth = synthetic_rows(contract, synthetic, seed)
    names = [c.name for c in contract.columns]
    if real is None or len(real) == 0 or not set(names) <= {str(c) for c in real.columns}:
        return synth
    real = real.rename(columns=str)[names]
    if len(real) > real_rows:
        picks = np.sort(np.random.default_rng(seed).choice(len(real), real_rows, replace=False))
        real = real.iloc[picks]
    real = real.reset_index(drop=True)
    return pd.concat([real, _align(synth, real)], ignore_index=True)
