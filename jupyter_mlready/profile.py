"""Training reference profile: per-feature bins and samples, enough to measure drift later
without keeping the training data. JSON-serializable; logged with the artifact."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .contract import column_kind

BINS = 10
KS_SAMPLE = 20_000  # most reference points a feature keeps for the KS test
KS_BUDGET = 1_000_000  # reference points over all features (a wide frame keeps fewer per feature)
KS_MIN_POINTS = 201  # but never fewer than this: KS D within 1/200 of the exact value
MAX_CATEGORIES = 200


def datetime_seconds(s: pd.Series) -> np.ndarray:
    """Seconds since 1970 as floats (NaT -> NaN), the same for any resolution (s, ms, us, ns) or
    time zone: the integers behind datetime64 depend on the unit, which a parquet round trip or
    pandas 2 vs 3 changes, and would otherwise read as drift."""
    epoch = pd.Timestamp(0, tz=s.dt.tz) if s.dt.tz is not None else pd.Timestamp(0)
    return np.asarray((s - epoch) / pd.Timedelta(seconds=1), dtype=float)


def _numeric(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return datetime_seconds(s)
    return np.array(pd.to_numeric(s, errors="coerce"), dtype=float)


def ks_points(features: int) -> int:
    """Reference points per feature for the KS test: ``KS_SAMPLE``, fewer on a wide frame so the
    profile stays about ``KS_BUDGET`` numbers in all (it is logged with every version)."""
    return int(min(KS_SAMPLE, max(KS_MIN_POINTS, KS_BUDGET // max(features, 1))))


def ks_reference(finite: np.ndarray, points: int) -> np.ndarray:
    """The sorted values when there are at most ``points`` of them (the exact empirical CDF),
    else the values at ``points`` evenly spaced quantiles (first and last included): an
    empirical CDF within 1 / (points - 1) of the exact one everywhere, from all the values (a
    random sample of the same size would be off by about 1 / sqrt(points))."""
    ordered = np.sort(finite)
    return ordered if len(ordered) <= points else ordered[_quantile_positions(len(ordered), points)]


def _quantile_positions(n: int, points: int) -> np.ndarray:
    """Positions in ``n`` sorted values of the quantiles j / (points - 1), j = 0 .. points - 1:
    the smallest value whose empirical CDF reaches j / (points - 1) (integer arithmetic; one
    sort then an index is much faster than ``np.quantile`` at thousands of levels)."""
    j = np.arange(points, dtype=np.int64)
    return np.maximum((n * j + points - 2) // (points - 1) - 1, 0)


def _numeric_entry(entry: dict, v: np.ndarray, points: int) -> dict:
    finite = v[np.isfinite(v)]
    if len(finite):
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, BINS + 1)[1:-1]))
        counts = np.bincount(np.searchsorted(edges, finite, side="right"), minlength=len(edges) + 1)
        entry.update(
            edges=edges.tolist(),
            shares=(counts / len(finite)).tolist(),
            sample=ks_reference(finite, points).tolist(),
            ks_n=int(len(finite)),
            mean=float(finite.mean()),
            std=float(finite.std()),
        )
    return entry


def _plain_numeric(X: pd.DataFrame) -> list:
    """Columns of a numpy integer or float dtype (profiled together, as one block)."""
    return [c for c, d in X.dtypes.items() if isinstance(d, np.dtype) and d.kind in "iuf"]


BLOCK_CELLS = 4_000_000  # numbers profiled at once (about 32 MB)


def _numeric_block(X: pd.DataFrame, columns: list, points: int) -> dict:
    """The entries of plain numeric columns, computed a block of columns at a time: the quantiles
    of every column without missing or infinite values in one call; the others one by one."""
    rows = len(X)
    step = max(1, BLOCK_CELLS // max(rows, 1))
    out: dict = {}
    for start in range(0, len(columns), step):
        names = columns[start : start + step]
        out.update(_numeric_columns(X, names, X[names].to_numpy(dtype="float64"), points))
    return out


def _numeric_columns(X: pd.DataFrame, columns: list, block: np.ndarray, points: int) -> dict:
    rows = len(block)
    whole = np.isfinite(block).all(axis=0)
    # one sorted row per column: the quantiles below then read sorted data (fast), and the bin
    # counts are positions in it
    ordered = np.sort(block[:, whole].T, axis=1)
    if rows and len(ordered):
        inner = np.quantile(ordered, np.linspace(0, 1, BINS + 1)[1:-1], axis=1)
        reference = ordered if rows <= points else ordered[:, _quantile_positions(rows, points)]
        means, stds = ordered.mean(axis=1), ordered.std(axis=1)
    out: dict = {}
    k = 0
    for j, col in enumerate(columns):
        v = block[:, j]
        entry: dict = {
            "kind": "integer" if X.dtypes[col].kind in "iu" else "float",
            "rows": rows,
            "null_share": float(np.isnan(v).mean()) if rows else 0.0,
        }
        if not (whole[j] and rows):
            out[col] = _numeric_entry(entry, v, points)
            continue
        edges = np.unique(inner[:, k])
        # values below each edge; bin i holds edges[i-1] <= v < edges[i] (as searchsorted right)
        below = np.searchsorted(ordered[k], edges, side="left")
        counts = np.diff(np.concatenate(([0], below, [rows])))
        entry.update(
            edges=edges.tolist(),
            shares=(counts / rows).tolist(),
            sample=reference[k].tolist(),
            ks_n=rows,
            mean=float(means[k]),
            std=float(stds[k]),
        )
        out[col] = entry
        k += 1
    return out


def build_profile(X: pd.DataFrame, seed: int = 0, sample_rows: int = 200_000) -> dict:
    """Per-feature reference: quantile bin edges + proportions and the reference points of the
    KS test (numeric), category shares (text)."""
    rng = np.random.default_rng(seed)
    if len(X) > sample_rows:
        X = X.iloc[np.sort(rng.choice(len(X), sample_rows, replace=False))]
    points = ks_points(len(X.columns))
    numeric = _plain_numeric(X)
    block = _numeric_block(X, numeric, points) if numeric else {}
    features = {}
    for col in X.columns:
        if col in block:
            features[str(col)] = block[col]
            continue
        s = X[col]
        kind = column_kind(s)
        entry: dict = {
            "kind": kind,
            "rows": int(len(s)),
            "null_share": float(s.isna().mean()) if len(s) else 0.0,
        }
        if kind in ("float", "integer", "datetime"):
            _numeric_entry(entry, _numeric(s), points)
        else:
            shares = s.dropna().astype(str).value_counts(normalize=True)
            entry["categories"] = {str(k): float(v) for k, v in shares.head(MAX_CATEGORIES).items()}
        features[str(col)] = entry
    return {"rows": int(len(X)), "features": features}


def dataset_profile(ds, seed: int = 0, sample_rows: int = 200_000) -> dict:
    """The reference profile of a Dataset's features: for a Spark input, from every row of its
    frame (``spark.profile.spark_profile``; the row count must be the input's), else
    :func:`build_profile` of ``ds.X``."""
    spark = ds.spark
    if spark is None:
        return build_profile(ds.X, seed, sample_rows)
    from .spark.inputs import require_all_rows
    from .spark.profile import spark_profile

    kinds = {c: column_kind(ds.X[c]) for c in spark.features if c in ds.X.columns}
    profile = spark_profile(spark.frame, list(kinds), kinds, seed=seed)
    require_all_rows(profile["rows"], spark.rows, "the training profile")
    return profile


def psi(
    expected: npt.ArrayLike,
    actual: npt.ArrayLike,
    n_expected: int | None = None,
    n_actual: int | None = None,
    eps: float = 1e-4,
) -> float:
    """Population stability index between two share vectors.

    With sample sizes, shares are Laplace-smoothed ((count + 0.5) / (n + 0.5 * bins)) so that a bin
    left empty by a small sample does not dominate the index through log(0)."""
    e = np.asarray(expected, float)
    a = np.asarray(actual, float)
    bins = len(e)
    if n_expected:
        e = (e * n_expected + 0.5) / (n_expected + 0.5 * bins)
    if n_actual:
        a = (a * n_actual + 0.5) / (n_actual + 0.5 * bins)
    e, a = np.clip(e, eps, None), np.clip(a, eps, None)
    return float(np.sum((a - e) * np.log(a / e)))


def ks_statistic(sorted_ref: np.ndarray, values: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov D (vectorized, no p-value)."""
    values = np.sort(values)
    grid = np.concatenate([sorted_ref, values])
    cdf_ref = np.searchsorted(sorted_ref, grid, side="right") / len(sorted_ref)
    cdf_new = np.searchsorted(values, grid, side="right") / len(values)
    return float(np.max(np.abs(cdf_ref - cdf_new)))


def ks_critical(n: int, m: int, alpha: float = 0.001) -> float:
    """D above which a KS difference is statistically real at level ``alpha`` for sizes n, m."""
    c = np.sqrt(-np.log(alpha / 2) / 2)
    return float(c * np.sqrt((n + m) / (n * m)))


NULL_ALPHA = 0.001  # one-sided level at which a rise in the null share counts as real


def null_share_rise(share: float, rows: int, new_share: float, new_rows: int) -> tuple[float, bool]:
    """How much a column's share of missing values rose from ``share`` (over ``rows``) to
    ``new_share`` (over ``new_rows``), and whether the rise is statistically real (one-sided
    two-proportion z-test at ``NULL_ALPHA``; a training share known without noise when ``rows``
    is 0). A change in the null share is drift: a source going quiet shows up here first."""
    rise = float(new_share - share)
    if rise <= 0 or new_rows <= 0:
        return rise, False
    if rows > 0:
        pooled = (share * rows + new_share * new_rows) / (rows + new_rows)
        se = float(np.sqrt(pooled * (1 - pooled) * (1 / rows + 1 / new_rows)))
    else:
        se = float(np.sqrt(share * (1 - share) / new_rows))
    if se == 0.0:  # no missing value ever seen before: any rise is real
        return rise, True
    return rise, bool(rise / se > _null_z())


@functools.cache
def _null_z() -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - NULL_ALPHA))


@dataclass(frozen=True)
class ColumnCounts:
    """What drift needs to know of one new column, whichever engine counted it (pandas here,
    Spark in :mod:`jupyter_mlready.spark.profile`): :func:`compare_counts` turns it into the
    comparison with the column's reference.

    Attributes:
        rows: values (rows) of the column; missing: of them, missing (null, NaN).
        finite: numeric columns: the finite values (after the numeric conversion).
        bins: numeric: how many finite values fall in each reference bin
            (``searchsorted(edges, v, side="right")``).
        mean: numeric: the mean of the finite values.
        ks, ks_m: numeric: the KS D against the reference points, and how many new values it
            was computed on.
        shares: text: each reference category's share of the present values (0 when absent).
        unseen_share, unseen_examples: text: the share of present values outside the reference
            categories, and the most frequent of them.
    """

    rows: int
    missing: int
    finite: int = 0
    bins: Any = None  # np.ndarray of counts
    mean: float | None = None
    ks: float | None = None
    ks_m: int = 0
    shares: dict[str, float] | None = None
    unseen_share: float = 0.0
    unseen_examples: tuple[str, ...] = ()

    @property
    def present(self) -> int:
        return self.rows - self.missing


def compare_feature(ref: dict, s: pd.Series) -> dict:
    """Drift of one column against its reference: PSI (noise-corrected), KS D, null share change."""
    return compare_counts(ref, series_counts(ref, s))


def series_counts(ref: dict, s: pd.Series) -> ColumnCounts:
    """:class:`ColumnCounts` of a pandas column, as ``ref`` (numeric or text) reads it; the KS D
    on at most 200,000 of its values (a seeded sample beyond)."""
    rows, missing = int(len(s)), int(s.isna().sum())
    if "edges" in ref:
        v = _numeric(s)
        finite = v[np.isfinite(v)]
        if not len(finite):
            return ColumnCounts(rows, missing)
        edges = np.asarray(ref["edges"])
        counts = np.bincount(np.searchsorted(edges, finite, side="right"), minlength=len(edges) + 1)
        d = ks_statistic(
            np.asarray(ref["sample"]),
            finite
            if len(finite) <= 200_000
            else np.random.default_rng(0).choice(finite, 200_000, replace=False),
        )
        return ColumnCounts(
            rows,
            missing,
            finite=int(len(finite)),
            bins=counts,
            mean=float(finite.mean()),
            ks=d,
            ks_m=min(len(finite), 200_000),
        )
    if "categories" in ref:
        shares = s.dropna().astype(str).value_counts(normalize=True)
        cats = list(ref["categories"])
        unseen = shares[~shares.index.isin(cats)]
        return ColumnCounts(
            rows,
            missing,
            shares={c: float(shares.get(c, 0.0)) for c in cats},
            unseen_share=float(unseen.sum()),
            unseen_examples=tuple(str(x)[:60] for x in unseen.index[:5]),
        )
    return ColumnCounts(rows, missing)


def compare_counts(ref: dict, c: ColumnCounts) -> dict:
    """Drift of one column, from its counts, against its reference: PSI (noise-corrected), KS D,
    null share change. The same arithmetic for every engine."""
    new_null = c.missing / c.rows if c.rows else 0.0
    rise, real = null_share_rise(ref["null_share"], int(ref.get("rows") or 0), new_null, c.rows)
    out: dict = {
        "kind": ref["kind"],
        "null_share_train": ref["null_share"],
        "null_share_holdout": new_null,
        "null_share_rise": rise,
        "null_share_significant": real,
    }
    n_ref = ref["rows"]
    if "edges" in ref:
        if not c.finite or c.bins is None:
            return out | {"psi": None}
        raw = psi(ref["shares"], np.asarray(c.bins) / c.finite, n_ref, c.finite)
        bins = len(ref["shares"])
        assert c.ks is not None
        # the points stand for all ks_n training values (older profiles: a sample of that size)
        crit = ks_critical(int(ref.get("ks_n") or len(ref["sample"])), c.ks_m)
        out.update(
            ks=c.ks,
            ks_critical=crit,
            ks_significant=bool(c.ks > crit),
            mean_train=ref.get("mean"),
            mean_holdout=c.mean,
        )
    elif "categories" in ref and c.shares is not None:
        cats = list(ref["categories"])
        expected = [ref["categories"][k] for k in cats] + [
            max(0.0, 1 - sum(ref["categories"].values()))
        ]
        actual = [c.shares.get(k, 0.0) for k in cats] + [c.unseen_share]
        raw = psi(expected, actual, n_ref, max(1, c.present))
        bins = len(expected)
        out["unseen_share"] = c.unseen_share
        out["unseen_examples"] = list(c.unseen_examples)
    else:
        return out | {"psi": None}
    # Under no drift, PSI of two samples is about chi-square distributed: mean (bins - 1) * k and
    # standard deviation sqrt(2 (bins - 1)) * k with k = 1/n + 1/m. Subtracting mean + 2 sd keeps
    # small hold-outs from raising false alarms; at large n the floor vanishes.
    n_new = max(1, c.present)
    k = 1 / max(n_ref, 1) + 1 / n_new
    floor = (bins - 1) * k + 2 * np.sqrt(2 * (bins - 1)) * k
    out.update(psi_raw=raw, psi=max(0.0, raw - floor), psi_noise_floor=floor)
    return out
