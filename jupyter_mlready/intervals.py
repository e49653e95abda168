"""Confidence intervals for the gate's metrics, and decisions made on them.

A metric on a hold-out is an estimate. Every metric the gate computes comes with an interval
(``Estimate``: value, low, high, n) at the policy's ``interval_level``:

- analytic where one exists: DeLong for binary ROC AUC (and for the paired difference of two
  models' AUCs on the same rows), Wilson score intervals for rates (accuracy, per-class recall),
  Student-t intervals for means of per-row losses (MAE, Brier, log loss) and for paired
  differences of them;
- a seeded percentile bootstrap otherwise (average precision, macro F1, multi-class AUC, RMSE,
  R^2). Above ``BOOTSTRAP_ROWS`` rows each resample draws that many rows and the half-widths are
  scaled by sqrt(m / n) (the m-out-of-n bootstrap), so 1M rows cost what 20k rows cost.

DeLong's variance is asymptotic: with a handful of rows of one class it can be zero (perfect
separation of 2 positives and 1 negative). Below ``MIN_CLASS_ROWS`` rows in the minority class
the interval is widened to at least the Wilson interval on the minority count (the
Birnbaum–Klose worst-case variance A(1 − A) / min(n+, n−)): how many rows are enough follows from
the minority class, not the total.

A bound is *met* when the interval's conservative end clears it, *missed* when even the optimistic
end does not, and otherwise *undecided* ("insufficient evidence", a ``fail``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

#: Resamples of the percentile bootstrap, and the most rows one resample draws.
BOOTSTRAP_REPS = 400
BOOTSTRAP_ROWS = 20_000
#: Below this many rows in the minority class, AUC intervals are at least the worst-case interval.
MIN_CLASS_ROWS = 10

Decision = Literal["met", "missed", "undecided"]

#: The range a metric can take: an interval that could not be estimated is the whole range.
RANGES: dict[str, tuple[float, float]] = {
    "accuracy": (0.0, 1.0),
    "balanced_accuracy": (0.0, 1.0),
    "f1_macro": (0.0, 1.0),
    "roc_auc": (0.0, 1.0),
    "average_precision": (0.0, 1.0),
    "brier": (0.0, 1.0),
    "log_loss": (0.0, math.inf),
    "rmse": (0.0, math.inf),
    "mae": (0.0, math.inf),
    "r2": (-math.inf, 1.0),
}


@dataclass(frozen=True)
class Estimate:
    """A metric with its interval, in the readiness.json shape ``{value, low, high, n}``."""

    value: float
    low: float
    high: float
    n: int
    method: str

    def to_dict(self) -> dict:
        return {
            "value": _finite(self.value),
            "low": _finite(self.low),
            "high": _finite(self.high),
            "n": int(self.n),
            "method": self.method,
        }

    def describe(self) -> str:
        return f"{self.value:.4g} [{_fmt_end(self.low)}, {_fmt_end(self.high)}]"


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _fmt_end(v: float) -> str:
    return f"{v:.2f}" if math.isfinite(v) else ("∞" if v > 0 else "−∞")


def z_value(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def t_value(level: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, max(df, 1)))


def wilson(successes: float, n: int, level: float) -> tuple[float, float]:
    """Wilson score interval of a proportion (honest at 0, 1 and small n)."""
    if n <= 0:
        return 0.0, 1.0
    z = z_value(level)
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def clip(metric: str, low: float, high: float) -> tuple[float, float]:
    lo, hi = RANGES.get(metric, (-math.inf, math.inf))
    return max(lo, low), min(hi, high)


def whole_range(metric: str, value: float, n: int, why: str) -> Estimate:
    lo, hi = RANGES.get(metric, (-math.inf, math.inf))
    return Estimate(value, lo, hi, n, why)


# ---- means of per-row quantities -------------------------------------------------------------


def mean_interval(values: np.ndarray, level: float) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval of a mean (paired differences included)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return mean, -math.inf, math.inf
    half = t_value(level, n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


# ---- DeLong ------------------------------------------------------------------------------------


def _midranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x)


def delong_components(
    truth: np.ndarray, scores: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong's structural components (V10 over positives, V01 over negatives)."""
    pos, neg = scores[truth == 1], scores[truth == 0]
    m, n = len(pos), len(neg)
    r_all = _midranks(np.concatenate([pos, neg]))
    r_pos, r_neg = _midranks(pos), _midranks(neg)
    v10 = (r_all[:m] - r_pos) / n
    v01 = 1.0 - (r_all[m:] - r_neg) / m
    return float(v10.mean()), v10, v01


def _delong_variance(c1: tuple, c2: tuple | None = None) -> float:
    """Variance of AUC1 (or of AUC1 − AUC2 on the same rows when ``c2`` is given)."""
    _, v10a, v01a = c1
    m, n = len(v10a), len(v01a)

    def cov(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.cov(a, b, ddof=1)[0, 1]) if len(a) > 1 else 0.0

    if c2 is None:
        return cov(v10a, v10a) / m + cov(v01a, v01a) / n
    _, v10b, v01b = c2
    s10 = cov(v10a, v10a) + cov(v10b, v10b) - 2 * cov(v10a, v10b)
    s01 = cov(v01a, v01a) + cov(v01b, v01b) - 2 * cov(v01a, v01b)
    return s10 / m + s01 / n


def auc_estimate(truth: np.ndarray, scores: np.ndarray, level: float) -> Estimate:
    comp = delong_components(truth, scores)
    m, n = int(truth.sum()), int(len(truth) - truth.sum())
    return delong_estimate(comp[0], _delong_variance(comp), m, n, len(truth), level)


def delong_estimate(
    auc: float, variance: float, positives: int, negatives: int, rows: int, level: float
) -> Estimate:
    """The AUC's DeLong interval from its variance, widened to at least the Wilson interval on
    the minority count below ``MIN_CLASS_ROWS`` (see the module doc); shared by the pandas path
    and Spark's (which sums the variance terms over distinct scores)."""
    few = min(positives, negatives)
    half = z_value(level) * math.sqrt(max(variance, 0.0))
    low, high = clip("roc_auc", auc - half, auc + half)
    method = "DeLong"
    if few < MIN_CLASS_ROWS:
        w_low, w_high = wilson(auc * few, few, level)
        low, high = min(low, w_low), max(high, w_high)
        method = f"DeLong, widened to the worst case ({few} rows in the minority class)"
    return Estimate(auc, low, high, rows, method)


def auc_difference(
    truth: np.ndarray, ours: np.ndarray, theirs: np.ndarray, level: float
) -> Estimate:
    """Paired DeLong interval of AUC(ours) − AUC(theirs) on the same rows."""
    a, b = delong_components(truth, ours), delong_components(truth, theirs)
    diff = a[0] - b[0]
    half = z_value(level) * math.sqrt(max(_delong_variance(a, b), 0.0))
    low, high = diff - half, diff + half
    m, n = int(truth.sum()), int(len(truth) - truth.sum())
    method = "paired DeLong"
    if min(m, n) < MIN_CLASS_ROWS:  # too few rows for the asymptotics: the worst case
        ea, eb = auc_estimate(truth, ours, level), auc_estimate(truth, theirs, level)
        if np.ptp(theirs) == 0:  # a constant baseline scores exactly 0.5: only ours is uncertain
            low, high = min(low, ea.low - eb.value), max(high, ea.high - eb.value)
        else:
            low, high = min(low, ea.low - eb.high), max(high, ea.high - eb.low)
        method = f"paired DeLong, widened ({min(m, n)} rows in the minority class)"
    return Estimate(diff, max(low, -1.0), min(high, 1.0), len(truth), method)


# ---- bootstrap ---------------------------------------------------------------------------------


def bootstrap(
    statistic: Callable[[np.ndarray], float],
    n: int,
    level: float,
    seed: int,
    value: float,
) -> tuple[float, float, str] | None:
    """Percentile interval of ``statistic(indices)`` around ``value``; None when fewer than
    half of the resamples give a defined statistic (a class missing from most resamples)."""
    rng = np.random.default_rng(seed)
    m = min(n, BOOTSTRAP_ROWS)
    stats = []
    for _ in range(BOOTSTRAP_REPS):
        s = statistic(rng.integers(0, n, m))
        if math.isfinite(s):
            stats.append(s)
    if len(stats) < BOOTSTRAP_REPS / 2:
        return None
    alpha = (1 - level) / 2
    lo_q, hi_q = np.quantile(stats, [alpha, 1 - alpha])
    center = float(np.median(stats))
    scale = math.sqrt(m / n)  # m-out-of-n: the spread shrinks like 1/sqrt(rows)
    low = value - (center - lo_q) * scale
    high = value + (hi_q - center) * scale
    how = f"bootstrap ({len(stats)} resamples" + (f" of {m:,} rows)" if m < n else ")")
    return float(low), float(high), how
