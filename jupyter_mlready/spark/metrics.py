"""Hold-out metrics of a scored Spark frame: exact values, the pandas path's intervals.

``spark_estimate_metrics`` returns what :func:`jupyter_mlready.metrics.estimate_metrics` returns on
the same rows (the same metric names, each as ``Estimate.to_dict()``: value, low, high, n,
method), computed by Spark aggregations; nothing but small tables comes back to the driver.

Point values are exact (no sample):

- accuracy, balanced accuracy, macro F1: scikit-learn's own functions on the confusion table
  (``groupBy(target, prediction).count()``, its counts as sample weights);
- ROC AUC (binary, and one-vs-rest macro for more classes): from the table of distinct scores
  (``groupBy(class, score)`` -> positives, negatives) and its cumulative sums in score order
  (range partitions, each summed by a window, offset by the partitions below it): the
  Mann-Whitney statistic with ties counted half, what scikit-learn's trapezoids give. Spark's
  ``BinaryClassificationEvaluator`` bins the curve and is not used;
- average precision: from the same table, in descending score order;
- Brier, log loss, MAE: means of per-row losses; RMSE and R^2 from the mean squared error and
  the target's variance.

Intervals, as the pandas path computes them:

- Wilson (accuracy; per-class recalls averaged for balanced accuracy), from the confusion table;
- DeLong (binary ROC AUC): a placement value is a function of the score, so the variance terms
  are sums over the distinct-score table;
- Student t on per-row losses (Brier, log loss, MAE) and on squared errors (RMSE), and the delta
  method for R^2: Spark's numerically stable ``avg`` / ``var_samp``;
- the pandas path's own seeded percentile bootstrap (macro F1, average precision, multi-class
  AUC) on **one seeded Spark sample** of at most ``intervals.BOOTSTRAP_ROWS`` rows (collected:
  bounded), its half-widths scaled by sqrt(m / n) as the m-out-of-n bootstrap does; ``method``
  says so ("bootstrap (400 resamples of a seeded sample of 20,000 of 300,000 rows)"). With at
  most ``BOOTSTRAP_ROWS`` scored rows the sample is every row in the frame's order, and the
  interval is the pandas path's to the last digit.

Rows the model declined (null ``prediction`` or probability) are left out and counted
(``SparkEstimates.unscored``), as the pandas path's scored hold-out does. The derived columns the
metrics read are persisted for the duration of the call (``persist=True``), so the model runs
once, not once per Spark job. What comes back to the driver: the confusion table (a row per
distinct label / prediction pair), a row per class and range partition, a row per class, and the
bootstrap sample (at most ``BOOTSTRAP_ROWS`` rows of codes and probabilities).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..intervals import (
    BOOTSTRAP_ROWS,
    MIN_CLASS_ROWS,
    Estimate,
    bootstrap,
    clip,
    delong_estimate,
    t_value,
    whole_range,
    wilson,
)
from ..metrics import Outputs, _Rows, _statistic, widened_for
from .scoring import PREDICTION, proba_column

if TYPE_CHECKING:  # pragma: no cover - pyspark is optional
    from pyspark.sql import Column, DataFrame

__all__ = ["SparkEstimates", "spark_baseline_metrics", "spark_estimate_metrics"]

_LOG_CLIP = 1e-15  # the pandas path clips probabilities to [1e-15, 1] before the log
_EPS = float(np.finfo(np.float64).eps)  # scikit-learn's log_loss clips to [eps, 1 - eps]


class SparkEstimates(dict[str, dict]):
    """metric -> ``{"value", "low", "high", "n", "method"}`` (``Estimate.to_dict()``), in the
    order ``compute_metrics`` gives them, with what the caller checks:

    Attributes:
        rows: rows of the scored frame read (compare with the input count).
        n: rows the metrics are computed on (scored by the model).
        unscored: rows the model gave no prediction (or probability) for, left out.
        points: metric -> value, as ``compute_metrics`` returns (exact).
        estimates: metric -> :class:`~jupyter_mlready.intervals.Estimate`.
        passes: what each pass over the data computed (each is one or a few Spark jobs).
    """

    rows: int
    n: int
    unscored: int
    points: dict[str, float]
    estimates: dict[str, Estimate]
    passes: list[str]

    @classmethod
    def of(
        cls, estimates: dict[str, Estimate], points: dict, rows: int, n: int, jobs: list[str]
    ) -> SparkEstimates:
        out = cls({m: e.to_dict() for m, e in estimates.items()})
        out.rows, out.n, out.unscored = int(rows), int(n), int(rows - n)
        out.points = {m: float(v) for m, v in points.items()}
        out.estimates = dict(estimates)
        out.passes = list(jobs)
        return out


# ---- column expressions -----------------------------------------------------------------------


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _quoted(name: str) -> str:
    """A column name as Spark parses it literally (dots, spaces, backticks)."""
    return "`" + name.replace("`", "``") + "`"


def _equals(column: str, dtype: Any, value: Any) -> Column:
    """``column == value`` with Python's equality: a string never equals a number (no cast,
    which ANSI mode would make an error), numbers compare as numbers."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    v = _python(value)
    c = F.col(_quoted(column))
    numeric = isinstance(dtype, T.NumericType)
    if isinstance(v, str):
        return c == F.lit(v) if isinstance(dtype, T.StringType) else F.lit(False)
    if isinstance(v, bool):
        if isinstance(dtype, T.BooleanType):
            return c == F.lit(v)
        return c == F.lit(int(v)) if numeric else F.lit(False)
    if isinstance(v, (int, float)):
        if numeric:
            return c == F.lit(v)
        if isinstance(dtype, T.BooleanType):
            return c.cast("int") == F.lit(v)
        return F.lit(False)
    return c == F.lit(v)


def _code(column: str, dtype: Any, classes: Sequence) -> Column:
    """The class code (index in ``classes``) of ``column``; -1 for any other value or null."""
    from pyspark.sql import functions as F

    expr = None
    for i, c in enumerate(classes):
        cond = _equals(column, dtype, c)
        expr = F.when(cond, F.lit(i)) if expr is None else expr.when(cond, F.lit(i))
    return F.lit(-1) if expr is None else expr.otherwise(F.lit(-1))


def _is_missing(column: str, dtype: Any) -> Column:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    c = F.col(_quoted(column))
    if isinstance(dtype, (T.DoubleType, T.FloatType)):
        return c.isNull() | F.isnan(c)
    return c.isNull()


def _proba_names(scored: DataFrame, task: str, classes: Sequence | None) -> list[str]:
    """The probability columns, when the frame has all of them."""
    if task != "classification" or not classes:
        return []
    names = [proba_column(i) for i in range(len(classes))]
    return names if all(n in scored.columns for n in names) else []


def _scored_expr(scored: DataFrame, proba: list[str]) -> Column:
    """True for a row the model scored: a prediction, and every probability, not null/NaN."""
    from pyspark.sql import functions as F

    types = {f.name: f.dataType for f in scored.schema.fields}
    missing = _is_missing(PREDICTION, types[PREDICTION])
    for name in proba:
        missing = missing | _is_missing(name, types[name])
    return F.coalesce(~missing, F.lit(False))


def _check_columns(scored: DataFrame, target_col: str) -> None:
    missing = [c for c in (target_col, PREDICTION) if c not in scored.columns]
    if missing:
        raise ValueError(
            f"the scored frame has no column {', '.join(map(repr, missing))} "
            "(score it with jupyter_mlready.spark.scoring.score_frame)"
        )


# ---- the interval rules of the pandas path, on aggregates --------------------------------------


def _t_interval(mean: float, var: float | None, n: int, level: float) -> tuple[float, float]:
    """``intervals.mean_interval`` from the mean and the sample variance."""
    if n < 2 or var is None or not math.isfinite(var):
        return -math.inf, math.inf
    half = t_value(level, n - 1) * math.sqrt(max(var, 0.0)) / math.sqrt(n)
    return mean - half, mean + half


def _widened(metric: str, est: Estimate, few: int, task: str, level: float) -> Estimate:
    """``metrics._widened`` with the minority count computed by Spark."""
    return widened_for(metric, est, few, task, level)


@dataclass
class _Sample:
    """The rows the bootstrap resamples: every scored row (n <= BOOTSTRAP_ROWS, frame order) or
    a seeded uniform sample of BOOTSTRAP_ROWS of them."""

    rows: _Rows
    out: Outputs
    classes: list
    n_total: int


def _bootstrapped(
    metric: str, value: float, sample: _Sample, few: int, level: float, seed: int
) -> Estimate:
    """The pandas path's bootstrap on the sample, scaled m-out-of-n to the whole frame."""
    n = sample.n_total
    m = len(sample.rows.y)
    stat = _statistic(metric, sample.rows, sample.out, sample.classes)
    found = bootstrap(stat, m, level, seed, value)
    if found is None:
        return whole_range(metric, value, n, "bootstrap undefined: too few rows of a class")
    low, high, how = found
    if m < n:  # resamples of the sample: their spread scaled as m rows out of n
        scale = math.sqrt(m / n)
        low, high = value - (value - low) * scale, value + (high - value) * scale
        how = how[:-1] + f" of a seeded sample of {m:,} of {n:,} rows)"
    return _widened(
        metric, Estimate(value, *clip(metric, low, high), n, how), few, sample.rows.task, level
    )


def _collect_sample(
    frame: DataFrame, columns: list[str], n: int, seed: int
) -> tuple[pd.DataFrame, str]:
    """At most BOOTSTRAP_ROWS rows of ``frame`` (all scored rows): every row in order when there
    are no more, else the BOOTSTRAP_ROWS rows with the smallest seeded uniform draw (a filter
    first, so each partition sends only about that many rows)."""
    from pyspark.sql import functions as F

    if n <= BOOTSTRAP_ROWS:
        return _to_pandas(frame.select(*columns)), f"every scored row ({n:,})"
    m = BOOTSTRAP_ROWS
    fraction = min(1.0, (m + 10 * math.sqrt(m)) / n)  # 10 standard deviations above m
    drawn = frame.select(*columns, F.rand(seed).alias("_draw"))
    picked = drawn.where(F.col("_draw") < F.lit(fraction)).orderBy("_draw").limit(m)
    return _to_pandas(picked.drop("_draw")), f"seeded sample of {m:,} of {n:,} rows"


def _to_pandas(frame: DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():  # pyspark's notice that it predates pandas 3
        warnings.simplefilter("ignore", FutureWarning)
        return frame.toPandas()


def _collect(frame: DataFrame) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return frame.collect()


# ---- ROC AUC and average precision from the distinct-score table ------------------------------


@dataclass
class _ScoreSums:
    """One class's sums over its distinct-score table (positives P, negatives N)."""

    positives: int
    negatives: int
    s10: float  # sum over positives of V10 (DeLong placement of a positive)
    s10_sq: float
    s01: float  # sum over negatives of V01
    s01_sq: float
    ap: float  # sum over positives of the precision at their score

    @property
    def auc(self) -> float:
        return self.s10 / self.positives

    def delong_variance(self) -> float:
        """``intervals._delong_variance`` from the sums: sample variances of V10 and V01."""
        m, n = self.positives, self.negatives
        var10 = (self.s10_sq - self.s10 * self.s10 / m) / (m - 1) if m > 1 else 0.0
        var01 = (self.s01_sq - self.s01 * self.s01 / n) / (n - 1) if n > 1 else 0.0
        return var10 / m + var01 / n


def _score_sums(frame: DataFrame, pairs: list[tuple[int, str]], truth: Column | None) -> dict:
    """class index -> _ScoreSums. ``pairs``: (class index, score column); a row is a positive of
    class k when ``_y == k`` (or ``truth`` for the one binary class).

    The distinct-score table (one row per class and score) is range-partitioned by (class,
    score) and persisted with its partition index; one small job sums each partition (collected:
    a row per class and partition), the driver turns those into the counts below each partition,
    and the cumulative sums run in a window per partition: in parallel, never one task for the
    whole table."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if len(pairs) == 1:
        k, col = pairs[0]
        positive = truth if truth is not None else F.col("_y") == F.lit(k)
        long = frame.select(
            F.lit(k).alias("_k"), F.col(col).alias("_v"), positive.cast("long").alias("_pos")
        )
    else:
        entries = F.array(*[F.struct(F.lit(k).alias("k"), F.col(c).alias("v")) for k, c in pairs])
        long = frame.select("_y", F.explode(entries).alias("_e")).select(
            F.col("_e.k").alias("_k"),
            F.col("_e.v").alias("_v"),
            (F.col("_y") == F.col("_e.k")).cast("long").alias("_pos"),
        )
    table = long.groupBy("_k", "_v").agg(
        F.sum("_pos").alias("pos"), (F.count(F.lit(1)) - F.sum("_pos")).alias("neg")
    )
    ranged = (
        table.repartitionByRange("_k", "_v")
        .select("*", F.spark_partition_id().alias("_part"))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        totals = _collect(
            ranged.groupBy("_k", "_part").agg(F.sum("pos").alias("pos"), F.sum("neg").alias("neg"))
        )
        offsets = []
        for k in sorted({int(r["_k"]) for r in totals}):
            parts = sorted((r for r in totals if int(r["_k"]) == k), key=lambda r: r["_part"])
            total_pos = sum(int(r["pos"]) for r in parts)
            total_neg = sum(int(r["neg"]) for r in parts)
            pos_before = neg_before = 0
            for r in parts:
                offsets.append((k, int(r["_part"]), pos_before, neg_before, total_pos, total_neg))
                pos_before, neg_before = pos_before + int(r["pos"]), neg_before + int(r["neg"])
        below = frame.sparkSession.createDataFrame(
            offsets, "_k int, _part int, pos_off long, neg_off long, P long, N long"
        )
        ordered = (
            Window.partitionBy("_k", "_part")
            .orderBy("_v")
            .rowsBetween(Window.unboundedPreceding, Window.currentRow)
        )
        cumulative = (
            ranged.join(F.broadcast(below), ["_k", "_part"])
            .withColumn("pos_below", F.col("pos_off") + F.sum("pos").over(ordered) - F.col("pos"))
            .withColumn("neg_below", F.col("neg_off") + F.sum("neg").over(ordered) - F.col("neg"))
        )
        pos, neg = F.col("pos").cast("double"), F.col("neg").cast("double")
        P, N = F.col("P").cast("double"), F.col("N").cast("double")
        pos_below, neg_below = F.col("pos_below").cast("double"), F.col("neg_below").cast("double")
        # a positive at score s: its midrank among all minus among positives, over N
        v10 = (neg_below + 0.5 * neg) / N
        # a negative at score s: 1 - (midrank among all minus among negatives) / P
        v01 = (P - pos_below - 0.5 * pos) / P
        # precision at threshold s (rows scored >= s), as average precision steps through them
        precision = (P - pos_below) / (P + N - pos_below - neg_below)
        sums = cumulative.groupBy("_k").agg(
            F.first("P").alias("P"),
            F.first("N").alias("N"),
            F.sum(pos * v10).alias("s10"),
            F.sum(pos * v10 * v10).alias("s10_sq"),
            F.sum(neg * v01).alias("s01"),
            F.sum(neg * v01 * v01).alias("s01_sq"),
            F.sum(pos * precision).alias("ap"),
        )
        return {
            int(r["_k"]): _ScoreSums(
                int(r["P"]), int(r["N"]), r["s10"], r["s10_sq"], r["s01"], r["s01_sq"], r["ap"]
            )
            for r in _collect(sums)
        }
    finally:
        ranged.unpersist()


def _delong(sums: _ScoreSums, n: int, level: float) -> Estimate:
    """``intervals.auc_estimate`` from the score sums."""
    return delong_estimate(
        sums.auc, sums.delong_variance(), sums.positives, sums.negatives, n, level
    )


# ---- classification ---------------------------------------------------------------------------


def _weighted_classification_metrics(y, pred, w, proba=None, classes=None) -> dict:
    """``metrics.classification_metrics`` on rows given as distinct (label, prediction) pairs
    with their counts as sample weights: the same numbers as on the rows themselves."""
    from sklearn import metrics as m

    y, pred, w = np.asarray(y), np.asarray(pred), np.asarray(w, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {
            "accuracy": float(m.accuracy_score(y, pred, sample_weight=w)),
            "balanced_accuracy": float(m.balanced_accuracy_score(y, pred, sample_weight=w)),
            "f1_macro": float(
                m.f1_score(y, pred, average="macro", zero_division=0, sample_weight=w)
            ),
        }
        if proba is not None and classes is not None and len(np.unique(y)) > 1:
            proba = np.asarray(proba, dtype=float)
            if len(classes) == 2:
                pos = proba[:, 1]
                truth = (y == classes[1]).astype(int)
                out["roc_auc"] = float(m.roc_auc_score(truth, pos, sample_weight=w))
                out["average_precision"] = float(
                    m.average_precision_score(truth, pos, sample_weight=w)
                )
                out["brier"] = float(np.average((pos - truth) ** 2, weights=w))
            else:
                try:
                    out["roc_auc"] = float(
                        m.roc_auc_score(
                            y,
                            proba,
                            multi_class="ovr",
                            average="macro",
                            labels=list(classes),
                            sample_weight=w,
                        )
                    )
                except ValueError:
                    pass
            try:
                out["log_loss"] = float(
                    m.log_loss(y, np.clip(proba, 1e-15, 1), labels=list(classes), sample_weight=w)
                )
            except ValueError:
                pass
    return out


def _log_loss_defined(labels: list, classes: list) -> bool:
    """Whether scikit-learn's ``log_loss(labels=classes)`` answers: every label is a class, and
    there are at least two classes."""
    try:
        known = {_python(c) for c in classes}
        return len(known) > 1 and all(_python(v) in known for v in labels)
    except TypeError:
        return False


def _multiclass_auc_defined(labels: list, classes: list) -> bool:
    """Whether scikit-learn's one-vs-rest AUC with ``labels=classes`` answers (before the
    probabilities are looked at): classes unique and sorted, every label one of them."""
    try:
        values = [_python(c) for c in classes]
        if len(set(values)) != len(values) or values != sorted(values):
            return False
    except TypeError:
        return False
    return _log_loss_defined(labels, classes)


def _classification(
    scored: DataFrame,
    target_col: str,
    classes: list,
    level: float,
    seed: int,
    persist: bool,
) -> SparkEstimates:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    types = {f.name: f.dataType for f in scored.schema.fields}
    k = len(classes)
    proba = _proba_names(scored, "classification", classes)
    scores = [F.col(_quoted(p)).cast("double").alias(f"_s{i}") for i, p in enumerate(proba)]
    cols = [
        _scored_expr(scored, proba).alias("_ok"),
        F.col(_quoted(target_col)).alias("_yl"),
        F.col(PREDICTION).alias("_pl"),
        _code(target_col, types[target_col], classes).alias("_y"),
        _code(PREDICTION, types[PREDICTION], classes).alias("_p"),
        *scores,
    ]
    derived = scored.select(*cols)
    stats: list[Column] = []
    sorted_pos: list[int] | None = None
    if proba:
        s = [F.col(f"_s{i}") for i in range(k)]

        def at_code(values: list[Column], default: float) -> Column:
            expr = F.when(F.col("_y") == 0, values[0])
            for i in range(1, k):
                expr = expr.when(F.col("_y") == i, values[i])
            return expr.otherwise(F.lit(default))

        # the pandas path's per-row log loss: the true class's probability by code
        p_true = at_code(s, 1.0)
        losses = [(-F.log(F.greatest(F.least(p_true, F.lit(1.0)), F.lit(_LOG_CLIP)))).alias("_ll")]
        try:  # scikit-learn's: its one-hot columns follow the sorted labels
            order = sorted(range(k), key=lambda i: _python(classes[i]))
            sorted_pos = [order.index(i) for i in range(k)]
        except TypeError:
            sorted_pos = None
        if sorted_pos is not None:
            p_sk = at_code([s[sorted_pos[i]] for i in range(k)], 1.0)
            p_sk = F.greatest(F.least(p_sk, F.lit(1.0)), F.lit(_LOG_CLIP))
            p_sk = F.least(F.greatest(p_sk, F.lit(_EPS)), F.lit(1.0 - _EPS))
            losses.append((-F.log(p_sk)).alias("_llsk"))
        if k == 2:
            truth = (F.col("_y") == 1).cast("double")
            losses.append(F.pow(F.col("_s1") - truth, 2).alias("_brier"))
        else:  # numpy.allclose(1, row sum), as scikit-learn's multi-class AUC requires
            total = s[0]
            for c in s[1:]:
                total = total + c
            far = F.abs(F.lit(1.0) - total) > F.lit(1e-8) + F.lit(1e-5) * F.abs(total)
            losses.append(far.cast("long").alias("_far"))
        derived = derived.select("*", *losses)
        for name in ("_ll", "_llsk", "_brier"):
            if name in derived.columns:
                stats += [F.avg(name).alias(f"{name}_mean"), F.var_samp(name).alias(f"{name}_var")]
        if "_far" in derived.columns:
            stats.append(F.sum("_far").alias("_far"))
    if persist:
        derived = derived.persist(StorageLevel.MEMORY_AND_DISK)
    jobs: list[str] = []
    try:
        # job 1: the confusion table (distinct label / prediction pairs) and the loss moments of
        # the scored rows, in one pass (grouping sets: per pair, per scored flag, in all)
        key = F.struct("_yl", "_pl", "_y", "_p").alias("_key")
        table = derived.rollup("_ok", key).agg(
            F.grouping_id().alias("_g"), F.count(F.lit(1)).alias("_n"), *stats
        )
        found = _collect(table)
        jobs.append("confusion table and loss moments")
        rows = sum(int(r["_n"]) for r in found if r["_g"] == 3)
        ok_total = next((r for r in found if r["_g"] == 1 and r["_ok"]), None)
        cells = [r for r in found if r["_g"] == 0 and r["_ok"]]
        if ok_total is None:  # no row scored
            return SparkEstimates.of({}, {}, rows, 0, jobs)
        n = int(ok_total["_n"])
        y_labels = [r["_key"]["_yl"] for r in cells]
        p_labels = [r["_key"]["_pl"] for r in cells]
        y_codes = np.array([r["_key"]["_y"] for r in cells], dtype=int)
        p_codes = np.array([r["_key"]["_p"] for r in cells], dtype=int)
        w = np.array([r["_n"] for r in cells], dtype=np.int64)
        class_counts = np.bincount(y_codes[y_codes >= 0], weights=w[y_codes >= 0], minlength=k)
        present = class_counts[class_counts > 0]
        few = int(present.min()) if len(present) else 0

        points = _weighted_classification_metrics(_labels(y_labels), _labels(p_labels), w)
        distinct = len({_python(v) for v in y_labels})
        proba_points: dict[str, float] = {}
        score_sums: dict[int, _ScoreSums] = {}
        if proba and distinct > 1:
            jobs.append("distinct-score table: ROC AUC, DeLong, average precision")
            if k == 2:
                pos_n = int(class_counts[1])
                neg_n = n - pos_n
                if pos_n and neg_n:
                    score_sums = _score_sums(
                        derived.where("_ok"), [(1, "_s1")], F.col("_y") == F.lit(1)
                    )
                    ss = score_sums[1]
                    proba_points["roc_auc"] = ss.auc
                    proba_points["average_precision"] = ss.ap / ss.positives
                else:
                    jobs.pop()
                    proba_points["roc_auc"] = math.nan
                    proba_points["average_precision"] = 0.0 if pos_n == 0 else 1.0
                proba_points["brier"] = float(ok_total["_brier_mean"])
            elif _multiclass_auc_defined(y_labels, classes) and not ok_total["_far"]:
                if all(0 < c < n for c in class_counts):
                    score_sums = _score_sums(
                        derived.where("_ok"), [(i, f"_s{i}") for i in range(k)], None
                    )
                    proba_points["roc_auc"] = float(np.mean([score_sums[i].auc for i in range(k)]))
                else:  # a class absent (or alone): scikit-learn's AUC is NaN
                    jobs.pop()
                    proba_points["roc_auc"] = math.nan
            else:
                jobs.pop()
            if sorted_pos is not None and _log_loss_defined(y_labels, classes):
                proba_points["log_loss"] = float(ok_total["_llsk_mean"])
        points.update(proba_points)

        # the sample the bootstrapped intervals resample (one job; none when none is needed)
        boot = [
            m
            for m in points
            if m in ("f1_macro", "average_precision") or (m == "roc_auc" and k != 2)
        ]
        boot = [m for m in boot if math.isfinite(points[m])]
        sample = None
        if boot:
            wanted = ["_y", "_p"]
            if proba and any(m != "f1_macro" for m in boot):
                wanted += [f"_s{i}" for i in range(k)]
            pdf, what = _collect_sample(derived.where("_ok"), wanted, n, seed)
            jobs.append(f"bootstrap sample ({what})")
            s_proba = (
                pdf[[f"_s{i}" for i in range(k)]].to_numpy(dtype=float)
                if f"_s{k - 1}" in pdf.columns
                else None
            )
            sample = _Sample(
                _Rows("classification", pdf["_y"].to_numpy(dtype=int), k),
                Outputs(pdf["_p"].to_numpy(dtype=int), s_proba),
                list(range(k)),
                n,
            )

        estimates: dict[str, Estimate] = {}
        for metric, value in points.items():
            if not math.isfinite(value):
                estimates[metric] = whole_range(metric, value, n, "no rows")
            elif metric == "accuracy":
                correct = float(w[y_codes == p_codes].sum())
                estimates[metric] = Estimate(value, *wilson(correct, n, level), n, "Wilson")
            elif metric == "balanced_accuracy":
                ends = [
                    wilson(
                        float(w[(y_codes == c) & (p_codes == c)].sum()), int(class_counts[c]), level
                    )
                    for c in range(k)
                    if class_counts[c] > 0
                ]
                low = float(np.mean([e[0] for e in ends]))
                high = float(np.mean([e[1] for e in ends]))
                estimates[metric] = Estimate(value, low, high, n, "Wilson per class, averaged")
            elif metric == "roc_auc" and k == 2:
                estimates[metric] = _delong(score_sums[1], n, level)
            elif metric in ("brier", "log_loss"):
                name = "_brier" if metric == "brier" else "_ll"
                low, high = _t_interval(
                    float(ok_total[f"{name}_mean"]), ok_total[f"{name}_var"], n, level
                )
                estimates[metric] = Estimate(
                    value, *clip(metric, low, high), n, "Student t on per-row losses"
                )
            else:
                assert sample is not None
                estimates[metric] = _bootstrapped(metric, value, sample, few, level, seed)
        return SparkEstimates.of(estimates, points, rows, n, jobs)
    finally:
        if persist:
            derived.unpersist()


def _labels(values: list) -> np.ndarray:
    """Labels collected from Spark as an array numpy and scikit-learn read like the pandas
    hold-out's (ints stay ints, strings stay strings)."""
    return pd.Series(values, dtype=object).infer_objects().to_numpy()


# ---- regression -------------------------------------------------------------------------------


def _regression(
    scored: DataFrame, target_col: str, level: float, seed: int, persist: bool
) -> SparkEstimates:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    ok = _scored_expr(scored, [])
    y = F.col(_quoted(target_col)).cast("double")
    derived = scored.select(
        ok.alias("_ok"), y.alias("_yv"), F.col(PREDICTION).cast("double").alias("_pv")
    ).select("*", F.pow(F.col("_yv") - F.col("_pv"), 2).alias("_a"))
    if persist:
        derived = derived.persist(StorageLevel.MEMORY_AND_DISK)
    jobs: list[str] = []
    try:
        err = F.col("_yv") - F.col("_pv")
        found = _collect(
            derived.groupBy("_ok").agg(
                F.count(F.lit(1)).alias("n"),
                F.avg("_yv").alias("y_mean"),
                F.var_pop("_yv").alias("y_var"),
                F.min("_yv").alias("y_min"),
                F.max("_yv").alias("y_max"),
                F.avg("_a").alias("a_mean"),
                F.var_samp("_a").alias("a_var"),
                F.avg(F.abs(err)).alias("abs_mean"),
                F.var_samp(F.abs(err)).alias("abs_var"),
            )
        )
        jobs.append("moments of the errors and of the target")
        rows = sum(int(r["n"]) for r in found)
        agg = next((r for r in found if r["_ok"]), None)
        if agg is None:  # no row scored
            return SparkEstimates.of({}, {}, rows, 0, jobs)
        n = int(agg["n"])
        a_mean = float(agg["a_mean"])
        constant = agg["y_min"] == agg["y_max"]
        b_mean = float(agg["y_var"])
        if constant:  # scikit-learn's r2_score on a constant target (force_finite)
            r2 = 1.0 if a_mean == 0 else 0.0
        else:
            r2 = 1.0 - a_mean / b_mean
        points = {"rmse": math.sqrt(a_mean), "mae": float(agg["abs_mean"]), "r2": r2}
        estimates: dict[str, Estimate] = {}
        for metric, value in points.items():
            if not math.isfinite(value):
                estimates[metric] = whole_range(metric, value, n, "no rows")
            elif metric == "mae":
                low, high = _t_interval(value, agg["abs_var"], n, level)
                estimates[metric] = Estimate(
                    value, *clip(metric, low, high), n, "Student t on per-row losses"
                )
            elif metric == "rmse":
                low, high = _t_interval(a_mean, agg["a_var"], n, level)
                low, high = math.sqrt(max(low, 0.0)), math.sqrt(max(high, 0.0))
                estimates[metric] = Estimate(value, low, high, n, "Student t on squared errors")
            elif n >= MIN_CLASS_ROWS:  # r2: the delta method, as metrics._r2_estimate
                if constant or b_mean == 0:
                    estimates[metric] = whole_range("r2", value, n, "constant target")
                    continue
                ratio = a_mean / b_mean
                b = F.pow(F.col("_yv") - F.lit(float(agg["y_mean"])), 2)
                (second,) = _collect(
                    derived.where("_ok").agg(
                        F.var_samp(F.col("_a") - F.lit(ratio) * b).alias("d_var")
                    )
                )
                jobs.append("variance of the R^2 influence values")
                low, high = _t_interval(0.0, second["d_var"], n, level)
                half = (high - low) / 2 / b_mean
                estimates[metric] = Estimate(
                    value, *clip("r2", value - half, value + half), n, "delta method"
                )
            else:  # fewer than MIN_CLASS_ROWS rows: the pandas path's bootstrap on all of them
                pdf, _ = _collect_sample(derived.where("_ok"), ["_yv", "_pv"], n, seed)
                jobs.append("every scored row (too few for the delta method)")
                sample = _Sample(
                    _Rows("regression", pdf["_yv"].to_numpy(dtype=float), 0),
                    Outputs(pdf["_pv"].to_numpy(dtype=float)),
                    [],
                    n,
                )
                estimates[metric] = _bootstrapped(metric, value, sample, n, level, seed)
        return SparkEstimates.of(estimates, points, rows, n, jobs)
    finally:
        if persist:
            derived.unpersist()


# ---- public -----------------------------------------------------------------------------------


def spark_estimate_metrics(
    scored: DataFrame,
    *,
    task: str,
    target_col: str,
    classes: Sequence | None,
    level: float,
    seed: int = 0,
    persist: bool = True,
) -> SparkEstimates:
    """Every metric ``compute_metrics`` gives on the scored rows, exact, with its interval at
    ``level`` as ``estimate_metrics`` computes it (see the module's docstring).

    Args:
        scored: :func:`~jupyter_mlready.spark.scoring.score_frame`'s output, holding
            ``target_col``, ``prediction`` and, with probabilities, ``proba_0`` ...
        task: "classification" or "regression".
        target_col: the target column.
        classes: the adapter's classes, in its order (the order of the ``proba_k`` columns).
        level: the interval level (the policy's ``interval_level``).
        seed: the bootstrap's seed (the policy's ``seed``); it also seeds the Spark sample.
        persist: keep the derived columns persisted during the call, so the model (in the
            scored frame's lineage) runs once for the two or three jobs.

    Returns:
        metric -> Estimate dict; ``.rows`` (rows read: equal to the input count), ``.n`` (rows
        scored), ``.unscored``, ``.points``, ``.estimates``. Empty when no row was scored.
    """
    _check_columns(scored, target_col)
    if task == "classification":
        if not classes:
            raise ValueError("classification metrics need the model's classes")
        return _classification(scored, target_col, list(classes), level, seed, persist)
    return _regression(scored, target_col, level, seed, persist)


def spark_baseline_metrics(
    scored: DataFrame,
    train: DataFrame,
    *,
    task: str,
    target_col: str,
    classes: Sequence | None,
    train_target_col: str | None = None,
) -> tuple[dict[str, float], str]:
    """``metrics.baseline_metrics`` on Spark: the trivial baseline fitted on the training target
    (majority class with the class priors as probabilities, or the training mean), evaluated on
    the scored rows of ``scored`` (the rows the model's metrics are computed on). Returns
    (metric -> value, the baseline's name).

    Two small jobs: the training target's label counts (or mean) and the hold-out's label counts
    (or error sums); the majority class breaks ties by first occurrence, as pandas'
    ``value_counts().idxmax()`` does.
    """
    from pyspark.sql import functions as F

    _check_columns(scored, target_col)
    tcol = train_target_col or target_col
    kept = scored.where(_scored_expr(scored, _proba_names(scored, task, classes)))
    if task == "classification":
        found = _collect(
            train.select(
                F.col(_quoted(tcol)).alias("_t"), F.monotonically_increasing_id().alias("_i")
            )
            .where(F.col("_t").isNotNull())
            .groupBy("_t")
            .agg(F.count(F.lit(1)).alias("_n"), F.min("_i").alias("_i"))
        )
        if not found:
            raise ValueError(f"the training frame has no {tcol!r} label")
        majority = min(found, key=lambda r: (-r["_n"], r["_i"]))["_t"]
        total = sum(int(r["_n"]) for r in found)
        priors = {_python(r["_t"]): r["_n"] / total for r in found}
        holdout = _collect(
            kept.groupBy(F.col(_quoted(target_col)).alias("_t")).agg(F.count(F.lit(1)).alias("_n"))
        )
        if not holdout:
            return {}, "majority class / class priors"
        labels = _labels([r["_t"] for r in holdout])
        w = np.array([r["_n"] for r in holdout], dtype=np.int64)
        pred = _labels([majority] * len(labels))
        proba = None
        if classes is not None:
            prior_row = [float(priors.get(_python(c), 0.0)) for c in classes]
            proba = np.tile(prior_row, (len(labels), 1))
        cls = list(classes) if classes is not None else None
        return (
            _weighted_classification_metrics(labels, pred, w, proba, cls),
            "majority class / class priors",
        )
    (train_row,) = _collect(train.agg(F.avg(F.col(_quoted(tcol)).cast("double")).alias("m")))
    mean = float(train_row["m"])
    y = F.col(_quoted(target_col)).cast("double")
    (row,) = _collect(
        kept.agg(
            F.count(F.lit(1)).alias("n"),
            F.avg(F.pow(y - F.lit(mean), 2)).alias("a"),
            F.avg(F.abs(y - F.lit(mean))).alias("abs"),
            F.var_pop(y).alias("b"),
            F.min(y).alias("lo"),
            F.max(y).alias("hi"),
        )
    )
    if not row["n"]:
        return {}, "training mean"
    a = float(row["a"])
    r2 = (1.0 if a == 0 else 0.0) if row["lo"] == row["hi"] else 1.0 - a / float(row["b"])
    return {"rmse": math.sqrt(a), "mae": float(row["abs"]), "r2": r2}, "training mean"
