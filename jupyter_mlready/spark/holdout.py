"""The performance checks' numbers on a Spark hold-out: every row scored where it lives.

The model (and a champion) score the whole hold-out frame on Spark (:mod:`.scoring`); the metrics
are exact with the pandas path's intervals (:mod:`.metrics`), and the trivial baseline's metrics
are exact too. A *paired* comparison (model vs baseline, candidate vs champion) needs both
models' outputs row by row: its interval comes from the seeded pandas sample the other checks
read, centred on the exact difference, its half-widths scaled by sqrt(m / n) (they shrink as
1 / sqrt(rows), as the m-out-of-n bootstrap assumes) and its ``method`` says so. Against the
constant baseline the ROC AUC difference needs no sample: a constant scores 0.5 exactly and adds
no variance, so the DeLong interval of the model's AUC, less 0.5, is the paired interval.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from ..intervals import Estimate
from ..records import Dataset
from .inputs import require_all_rows
from .metrics import SparkEstimates, spark_baseline_metrics, spark_estimate_metrics
from .scoring import score_frame

__all__ = ["SparkHoldoutMetrics", "on_all_rows", "spark_holdout_metrics", "spark_model_points"]


@dataclass(frozen=True)
class SparkHoldoutMetrics:
    """The model's exact hold-out metrics on Spark, the trivial baseline's (when the training
    set is a Spark frame too), and what it cost."""

    estimates: SparkEstimates
    baseline: dict[str, float] | None
    baseline_name: str | None
    jobs: int
    seconds: float

    @property
    def points(self) -> dict[str, float]:
        return dict(self.estimates.points)

    @property
    def unscored(self) -> int:
        return int(self.estimates.unscored)

    def engine(self, **more: Any) -> dict:
        """The ``engine`` evidence of a check that used these numbers."""
        return {
            "name": "spark",
            "rows": int(self.estimates.rows),
            "scored": int(self.estimates.n),
            "jobs": self.jobs,
            "seconds": round(self.seconds, 3),
            "exact": True,
            # the checks sharing this one computation (readiness.json's spark record counts it once)
            "computation": "hold-out scoring and metrics",
            **more,
        }


def _scored(model: Any, holdout: Dataset, task: str):
    """The Spark hold-out scored by ``model``, lazily, each batch cast to the sample's dtypes."""
    data = holdout.spark
    assert data is not None and data.target is not None
    return score_frame(
        data.frame,
        model,
        list(data.features),
        target_col=data.target,
        dtypes=holdout.X.dtypes.to_dict(),
        task=task,
    )


def spark_holdout_metrics(
    model: Any,
    holdout: Dataset,
    train: Dataset,
    *,
    task: str,
    level: float,
    seed: int,
) -> SparkHoldoutMetrics:
    """Score every hold-out row on Spark and compute the metrics exactly (plus the baseline's,
    when ``train`` is a Spark frame). Raises when a row went missing on the way (fail closed)."""
    spark = holdout.spark
    assert spark is not None and spark.target is not None
    start = time.perf_counter()
    scored = _scored(model, holdout, task).persist()  # the model runs once for all jobs
    try:
        estimates = spark_estimate_metrics(
            scored,
            task=task,
            target_col=spark.target,
            classes=model.classes,
            level=level,
            seed=seed,
            persist=False,
        )
        require_all_rows(estimates.rows, spark.rows, "scoring the hold-out on Spark")
        jobs = len(estimates.passes)
        baseline, name = None, None
        if train.spark is not None and train.spark.target is not None:
            baseline, name = spark_baseline_metrics(
                scored,
                train.spark.frame,
                task=task,
                target_col=spark.target,
                classes=model.classes,
                train_target_col=train.spark.target,
            )
            jobs += 2
    finally:
        scored.unpersist()
    return SparkHoldoutMetrics(estimates, baseline, name, jobs, time.perf_counter() - start)


def spark_model_points(model: Any, holdout: Dataset, *, task: str, seed: int) -> SparkEstimates:
    """Another model's (a champion's) exact metrics on every hold-out row."""
    spark = holdout.spark
    assert spark is not None and spark.target is not None
    scored = _scored(model, holdout, task)
    found = spark_estimate_metrics(
        scored, task=task, target_col=spark.target, classes=model.classes, level=0.95, seed=seed
    )
    require_all_rows(found.rows, spark.rows, "scoring the hold-out on Spark")
    return found


def on_all_rows(sampled: Estimate, exact: float, sample_rows: int, rows: int) -> Estimate:
    """A paired interval computed on ``sample_rows`` of ``rows``, moved to the exact difference
    and narrowed by sqrt(sample_rows / rows). An end the sample could not bound stays open."""
    if sample_rows >= rows:
        return Estimate(exact, sampled.low, sampled.high, rows, sampled.method)
    scale = math.sqrt(sample_rows / rows)
    low = exact - (sampled.value - sampled.low) * scale if math.isfinite(sampled.low) else -math.inf
    high = (
        exact + (sampled.high - sampled.value) * scale if math.isfinite(sampled.high) else math.inf
    )
    method = (
        f"{sampled.method} on a seeded sample of {sample_rows:,} of {rows:,} rows, "
        "centred on the exact difference, widths scaled by sqrt(sample / rows)"
    )
    return Estimate(exact, low, high, rows, method)


def auc_over_constant(model_auc: Estimate, constant_auc: float) -> Estimate:
    """The paired interval of AUC(model) − AUC(a constant score): the model's own interval
    shifted (a constant scores ``constant_auc`` = 0.5 on every resample and adds no variance)."""
    return Estimate(
        model_auc.value - constant_auc,
        model_auc.low - constant_auc,
        model_auc.high - constant_auc,
        model_auc.n,
        f"{model_auc.method}, less the constant baseline's {constant_auc:g}",
    )
