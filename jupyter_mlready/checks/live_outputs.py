"""``mlready monitor``'s output checks: the registered model scores the live batch once; its
predictions are compared with the hold-out's reference predictions stored in the bundle, and
with the target when the batch carries one.

A Spark batch is scored on Spark, every row where it lives (``spark.scoring.score_frame``, the
scored frame persisted while it is read): the prediction drift over every scored row (one action,
``spark.profile``), the rows scored counted exactly, and with a target the metrics exact with the
pandas path's intervals (``spark.metrics.spark_estimate_metrics``). A batch the model raises on
is reported with the model's message; unlike the pandas path, the rows that satisfy the contract
are not scored again on their own."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..formatting import fmt_number
from ..intervals import Estimate
from ..metrics import Outputs, decide, estimate_metrics
from ..policy import LOWER_IS_BETTER
from ..probes.outcome import unscored
from ..profile import build_profile
from .contract_holdout import judge_contract
from .drift import drift_thresholds, drift_view, drifted_names, feature_drift, judged_drift
from .performance import MAX_UNSCORED_SHARE
from .registry import CheckContext, Finding, Input, Score, Section, check, skip

LIVE_OUTPUTS = Section(
    "live_outputs",
    "Live batch: predictions and performance",
    "The registered version scores the batch. Its predictions are compared with what it "
    "predicted on the hold-out when it was checked; with a target column, its metrics are "
    "held to the policy's thresholds, with intervals.",
    order=16,
)


@dataclass(frozen=True)
class LiveScoring:
    """The batch as the model scored it.

    Attributes:
        pred, proba: outputs for the scored rows (None when nothing was scored).
        keep: per batch row, whether it was scored (fed to the model and answered).
        seconds: wall time of the scoring (the monitoring machine's, never alerted on).
        refused: why the batch could not be fed to the model at all (a missing column, a
            column of the wrong type), naming the columns.
        crash: the model's exception on rows that satisfy the contract.
        left_out: rows not fed to the model because they violate the contract (scored after a
            first attempt on the whole batch crashed).
    """

    pred: np.ndarray | None
    proba: np.ndarray | None
    keep: np.ndarray
    seconds: float
    refused: str | None = None
    crash: str | None = None
    left_out: int = 0

    @property
    def scored(self) -> int:
        return int(self.keep.sum())

    def record(self) -> dict:
        """What monitor.json's ``scoring`` says: rows, time, rate (recorded, never alerted on)."""
        return scoring_record(
            self,
            "measured on the monitoring machine, not the service: recorded, never alerted on",
        )


def scoring_record(scoring: Any, note: str) -> dict:
    """monitor.json's ``scoring`` of a :class:`LiveScoring` or :class:`SparkLiveScoring`."""
    rows, seconds = scoring.scored, scoring.seconds
    return {
        "rows_scored": rows,
        "rows_left_out": scoring.left_out,
        "seconds": round(seconds, 4),
        "ms_per_row": round(1000 * seconds / rows, 5) if rows else None,
        "rows_per_second": round(rows / seconds, 1) if rows and seconds else None,
        "refused": scoring.refused,
        "crash": scoring.crash,
        "note": note,
    }


def live_judgement(ctx: CheckContext):
    """The batch against the contract, computed once per run."""
    return ctx.cached(
        "live_judgement", lambda: judge_contract(ctx.contract, ctx.live_batch.X, ctx.policy)
    )


def _features(ctx: CheckContext) -> pd.DataFrame:
    names = [c.name for c in ctx.contract.columns]
    return ctx.live_batch.X[names]


def _predict(model, X: pd.DataFrame, task: str) -> tuple[np.ndarray, np.ndarray | None]:
    pred = np.asarray(model.predict(X))
    proba = None
    if task == "classification" and model.has_proba:
        proba = np.asarray(model.predict_proba(X), dtype=float)
    return pred, proba


def _invalid_rows(ctx: CheckContext, X: pd.DataFrame) -> np.ndarray:
    """Per row: whether it violates a value rule of the contract (range, category, null)."""
    from ..contract import validate_frame

    bad = np.zeros(len(X), dtype=bool)
    cases = validate_frame(ctx.contract, X)
    if cases is not None and len(cases):
        index = pd.to_numeric(cases["index"], errors="coerce").dropna().astype(int)
        positions = X.index.get_indexer(index.unique())
        bad[positions[positions >= 0]] = True
    return bad


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:500]}"


def live_scoring(ctx: CheckContext) -> LiveScoring:
    """Score the batch once: the whole batch when the contract's structure holds; when that
    crashes, the rows that satisfy the contract (what the service would accept)."""

    def compute() -> LiveScoring:
        judged = live_judgement(ctx)
        rows = len(ctx.live_batch.X)
        nothing = np.zeros(rows, dtype=bool)
        if judged.structural:
            columns = sorted({f["column"] for f in judged.structural})
            return LiveScoring(
                None,
                None,
                nothing,
                0.0,
                refused="the batch cannot be fed to the model: "
                + ", ".join(
                    f"'{f['column']}' {f['check']}" for f in judged.structural[:10] if f["column"]
                )
                + f" (column(s) {', '.join(columns[:10])})",
            )
        X = _features(ctx)
        start = time.perf_counter()
        try:
            pred, proba = _predict(ctx.model, X, ctx.task)
        except Exception as first:  # noqa: BLE001 - then the rows the contract accepts
            bad = _invalid_rows(ctx, X)
            if not bad.any():
                return LiveScoring(
                    None, None, nothing, time.perf_counter() - start, crash=_error_text(first)
                )
            start = time.perf_counter()
            try:
                pred, proba = _predict(ctx.model, X[~bad], ctx.task)
            except Exception as exc:  # noqa: BLE001
                return LiveScoring(
                    None,
                    None,
                    nothing,
                    time.perf_counter() - start,
                    crash=_error_text(exc),
                    left_out=int(bad.sum()),
                )
            keep = ~bad
            answered = ~unscored(pred, proba)
            keep[keep] = answered
            return LiveScoring(
                pred[answered],
                proba[answered] if proba is not None else None,
                keep,
                time.perf_counter() - start,
                left_out=int(bad.sum()),
            )
        seconds = time.perf_counter() - start
        answered = ~unscored(pred, proba)
        return LiveScoring(
            pred[answered], proba[answered] if proba is not None else None, answered, seconds
        )

    return ctx.cached("live_scoring", compute)


@dataclass(frozen=True)
class SparkLiveScoring:
    """A Spark batch as the model scored it on Spark, with what was computed on the scored
    frame while it was persisted.

    Attributes:
        rows: rows of the scored frame read (equal to the batch's count, else an error);
            scored: rows the model answered (a label, and every probability).
        outputs: the outputs' drift rows against the hold-out's (every scored row).
        reference_rows: hold-out predictions the outputs are compared with.
        metrics: with a target, the exact metrics on the labelled scored rows (None without).
        refused, crash: as :class:`LiveScoring`; engine: the ``engine`` evidence.
    """

    rows: int
    scored: int
    outputs: list[dict]
    reference_rows: int
    metrics: Any
    seconds: float
    engine: dict
    refused: str | None = None
    crash: str | None = None
    left_out: int = 0

    def record(self) -> dict:
        return scoring_record(
            self,
            "scored on Spark (the executors of this session), the time includes the drift and "
            "metric jobs on the scored rows: recorded, never alerted on",
        )


def _spark_outputs(scored: Any, task: str, classes: Any) -> tuple[Any, Any]:
    """(the scored rows, their outputs as the columns :func:`_output_frame` names): the rows
    with a prediction and every probability."""
    from pyspark.sql import functions as F

    from ..spark.scoring import PREDICTION, proba_column

    proba = [c for c in scored.columns if c.startswith("proba_")]
    kept = scored.where(F.col(PREDICTION).isNotNull())
    for c in proba:
        kept = kept.where(F.col(c).isNotNull() & ~F.isnan(F.col(c)))
    if task != "classification":
        kept = kept.where(~F.isnan(F.col(PREDICTION).cast("double")))
        return kept, kept.select(F.col(PREDICTION).cast("double").alias("prediction"))
    columns = [F.col(PREDICTION).alias("predicted label")]
    if proba and classes is not None:
        shown = list(enumerate(classes))[1:] if len(classes) == 2 else list(enumerate(classes))
        columns += [F.col(proba_column(j)).alias(f"P({label})") for j, label in shown]
    return kept, kept.select(*columns)


def spark_live_scoring(ctx: CheckContext) -> SparkLiveScoring:
    """Score the Spark batch once, on Spark, and read the scored frame (persisted meanwhile):
    the rows read and scored, the outputs' drift, and with a target the metrics. A batch whose
    structure the contract rejects is not scored (``refused``); a model raising on a batch is
    ``crash`` with its message. Any other Spark failure raises: the check is then an error."""

    def compute() -> SparkLiveScoring:
        from pyspark.sql import functions as F

        from ..spark.metrics import spark_estimate_metrics
        from ..spark.profile import spark_feature_drift
        from ..spark.scoring import model_error, score_frame
        from .live_inputs import spark_live_judgement

        judged, _, _ = spark_live_judgement(ctx)
        spark = ctx.live_batch.spark
        engine: dict = {"name": "spark", "jobs": 0}
        start = time.perf_counter()
        if judged.structural:
            columns = sorted({f["column"] for f in judged.structural})
            refused = (
                "the batch cannot be fed to the model: "
                + ", ".join(
                    f"'{f['column']}' {f['check']}" for f in judged.structural[:10] if f["column"]
                )
                + f" (column(s) {', '.join(columns[:10])})"
            )
            return SparkLiveScoring(0, 0, [], 0, None, 0.0, engine, refused=refused)
        names = [c.name for c in ctx.contract.columns]
        target = spark.target if ctx.live_batch.y is not None else None
        scored = score_frame(
            spark.frame, ctx.model, names, target_col=target, task=ctx.task
        ).persist()
        try:
            rows = int(scored.count())
            kept, outputs = _spark_outputs(scored, ctx.task, ctx.model.classes)
            ref = ctx.reference_predictions or {}
            reference = _output_frame(
                ctx.task, ref["predict"], ref.get("predict_proba"), ctx.model.classes
            )
            profile = build_profile(reference, ctx.policy.seed)
            compared, counted = spark_feature_drift(profile, outputs)
            scored_rows = counted.rows
            metrics = None
            jobs = 1 + counted.jobs
            if target is not None:
                labelled = scored.where(F.col(_quoted(target)).isNotNull())
                metrics = spark_estimate_metrics(
                    labelled,
                    task=ctx.task,
                    target_col=target,
                    classes=ctx.model.classes,
                    level=ctx.policy.interval_level,
                    seed=ctx.policy.seed,
                    persist=False,
                )
                jobs += len(metrics.passes)
        except Exception as exc:
            crash = model_error(exc)
            if crash is None:
                raise
            seconds = time.perf_counter() - start
            return SparkLiveScoring(0, 0, [], 0, None, seconds, engine, crash=crash)
        finally:
            scored.unpersist()
        seconds = time.perf_counter() - start
        engine.update(jobs=jobs, rows=rows, scored=scored_rows, seconds=round(seconds, 3))
        return SparkLiveScoring(
            rows,
            scored_rows,
            judged_drift(compared, ctx.policy),
            int(len(reference)),
            metrics,
            seconds,
            engine,
        )

    return ctx.cached("live_spark_scoring", compute)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _not_scored(scoring: LiveScoring, rows: int, evidence: dict) -> Finding | None:
    """The finding when the batch could not be scored (an alert naming the cause), else None."""
    if scoring.refused:
        return Finding(
            "fail",
            f"The model could not score the batch: {scoring.refused}.",
            evidence,
            remedy="Fix the feed so the columns arrive with the types the model was trained "
            "on (see monitor.contract).",
        )
    if scoring.crash:
        return Finding(
            "fail",
            f"The model crashed on the batch ({scoring.crash})"
            + (
                f", also on the rows that satisfy the contract ({rows - scoring.left_out:,})"
                if scoring.left_out
                else ", which satisfies the contract"
            )
            + ".",
            evidence,
            remedy="Reproduce it with the batch and the registered version "
            "(mlflow.pyfunc.load_model); the model must answer every row its contract accepts.",
        )
    if scoring.scored == 0:
        return Finding("fail", "The model gave no prediction for any row of the batch.", evidence)
    return None


def _output_frame(task: str, pred, proba, classes) -> pd.DataFrame:
    """The model's outputs as columns drift can compare: the label (or value), and for a
    classifier with probabilities the probability of each class (of the positive one when
    there are two)."""
    if task == "classification":
        frame = {"predicted label": pd.Series(np.asarray(pred)).astype(str)}
        if proba is not None and classes is not None and np.ndim(proba) == 2:
            shown = list(enumerate(classes))[1:] if len(classes) == 2 else enumerate(classes)
            for j, label in shown:
                frame[f"P({label})"] = pd.Series(np.asarray(proba)[:, j], dtype=float)
        return pd.DataFrame(frame)
    return pd.DataFrame({"prediction": pd.Series(np.asarray(pred, dtype=float))})


def _prediction_drift_table(check: dict, doc: dict):
    view = drift_view(check, "batch", "prediction-drift", "Prediction drift", "hold-out")
    return replace(
        view, title="Prediction drift: the model's outputs on the hold-out and on this batch"
    )


@check(
    "monitor.predictions",
    section=LIVE_OUTPUTS,
    runs_in=("monitor",),
    needs=(Input.LIVE_BATCH, Input.MODEL, Input.REFERENCE_PREDICTIONS),
    scores=(
        Score(
            "monitoring-3",
            "partial",
            "The model's outputs on each live batch are compared with its outputs on the hold-out.",
        ),
    ),
    view=_prediction_drift_table,
)
def live_predictions(ctx: CheckContext) -> Finding:
    """Can the model score the batch, and have its predictions moved from those it gave on the
    hold-out?"""
    if ctx.live_batch.spark is not None:
        return _spark_predictions(ctx)
    scoring = live_scoring(ctx)
    rows = len(ctx.live_batch.X)
    evidence: dict = {"scoring": scoring.record(), "batch_rows": rows}
    not_scored = _not_scored(scoring, rows, evidence)
    if not_scored is not None:
        return not_scored
    p = ctx.policy
    classes = ctx.model.classes
    ref = ctx.reference_predictions or {}
    reference = _output_frame(ctx.task, ref["predict"], ref.get("predict_proba"), classes)
    live = _output_frame(ctx.task, scoring.pred, scoring.proba, classes)
    profile = build_profile(reference, p.seed)
    outputs = feature_drift(profile, live, p)
    evidence.update(
        features=outputs,
        thresholds=drift_thresholds(p),
        reference_rows=int(len(reference)),
    )
    return _predictions_finding(outputs, rows, scoring.scored, scoring.left_out, evidence)


def _predictions_finding(
    outputs: list[dict], rows: int, scored: int, left_out: int, evidence: dict
) -> Finding:
    """The decision on the outputs' drift and on the rows left without a prediction."""
    unscored_rows = rows - scored
    note = (
        f" {unscored_rows:,} of {rows:,} rows got no prediction"
        + (f" ({left_out:,} violate the contract)" if left_out else "")
        + "."
        if unscored_rows
        else ""
    )
    if unscored_rows > MAX_UNSCORED_SHARE * rows:
        return Finding(
            "fail",
            f"The model gives no prediction for {unscored_rows:,} of {rows:,} rows of the batch "
            f"({unscored_rows / rows:.1%}, more than {MAX_UNSCORED_SHARE:.0%}).{note}",
            evidence,
            remedy="See monitor.contract for the rows the contract rejects, and "
            "robustness.missing_values in the version's readiness report for rows it declines.",
        )
    fails = [r for r in outputs if r["status"] == "fail"]
    warns = [r for r in outputs if r["status"] == "warn"]
    remedy = (
        "The model now answers differently than on the hold-out: look at monitor.drift for "
        "the inputs that moved; with labels, check monitor.performance before trusting it."
    )
    if fails:
        return Finding(
            "fail",
            f"The predictions shifted strongly from the hold-out's: {drifted_names(fails)}.{note}",
            evidence,
            remedy=remedy,
        )
    if warns:
        return Finding(
            "warn",
            f"The predictions shifted moderately from the hold-out's: {drifted_names(warns)}."
            f"{note}",
            evidence,
            remedy=remedy,
        )
    return Finding(
        "pass",
        f"The model scored {scored:,} rows; its predictions are in line with the "
        f"hold-out's ({len(outputs)} output(s) compared).{note}",
        evidence,
    )


def _spark_predictions(ctx: CheckContext) -> Finding:
    """:func:`live_predictions` on a Spark batch: every row scored on Spark."""
    from ..spark.inputs import require_all_rows

    scoring = spark_live_scoring(ctx)
    spark = ctx.live_batch.spark
    rows = spark.rows
    evidence: dict = {"scoring": scoring.record(), "batch_rows": rows, "engine": scoring.engine}
    not_scored = _not_scored(scoring, rows, evidence)  # type: ignore[arg-type]
    if not_scored is not None:
        return not_scored
    require_all_rows(scoring.rows, rows, "scoring the batch on Spark")
    evidence.update(
        features=scoring.outputs,
        thresholds=drift_thresholds(ctx.policy),
        reference_rows=scoring.reference_rows,
    )
    return _predictions_finding(scoring.outputs, rows, scoring.scored, 0, evidence)


def _row(metric: str, est: Estimate, bound: float | None, reference: dict | None) -> dict:
    lower = metric in LOWER_IS_BETTER
    interval = est.to_dict()
    row = {
        "metric": metric,
        "value": est.value,
        "low": interval["low"],
        "high": interval["high"],
        "bound": bound,
        "direction": "max" if lower else "min",
        "decision": decide(est, bound, lower) if bound is not None else None,
    }
    if reference and isinstance(reference.get("value"), (int, float)):
        row["holdout"] = reference["value"]
        ref_low, ref_high = reference.get("low"), reference.get("high")
        # clearly worse than at hold-out: the two intervals do not overlap, the batch's on the
        # bad side
        worse = (
            (interval["low"] is not None and ref_high is not None and interval["low"] > ref_high)
            if lower
            else (
                interval["high"] is not None and ref_low is not None and interval["high"] < ref_low
            )
        )
        row["worse_than_holdout"] = bool(worse)
    return row


def _interval_text(r: dict) -> str:
    low = "−∞" if r["low"] is None else fmt_number(r["low"])
    high = "∞" if r["high"] is None else fmt_number(r["high"])
    return f"{r['metric']} {fmt_number(r['value'])} [{low}, {high}]"


def _no_labels(ctx: CheckContext) -> Finding:
    return skip(
        f"The target column {ctx.live_batch.y_var!r} holds no label for the scored rows: "
        "performance is checked once labels arrive."
    )


@check(
    "monitor.performance",
    section=LIVE_OUTPUTS,
    runs_in=("monitor",),
    needs=(Input.LIVE_BATCH, Input.MODEL),
    scores=(
        Score(
            "monitoring-7",
            "auto",
            "With labels, each live batch's metrics (with intervals) are held to the policy's "
            "thresholds and compared with the hold-out's.",
        ),
    ),
)
def live_performance(ctx: CheckContext) -> Finding:
    """With the batch's target: do the model's metrics on it still meet the policy's thresholds,
    and are they as good as on the hold-out?"""
    y = ctx.live_batch.y
    if y is None:
        return skip(
            "The batch has no target column: performance is checked on batches that carry "
            "labels (--target COL)."
        )
    if ctx.live_batch.spark is not None:
        spark_scoring = spark_live_scoring(ctx)
        rows = spark_scoring.rows or ctx.live_batch.spark.rows
        evidence: dict = {"batch_rows": rows, "engine": spark_scoring.engine}
        not_scored = _not_scored(spark_scoring, rows, evidence)  # type: ignore[arg-type]
        if not_scored is not None:
            return not_scored
        if spark_scoring.metrics is None or not spark_scoring.metrics.n:
            return _no_labels(ctx)
        estimates = dict(spark_scoring.metrics.estimates)
        labelled_rows = int(spark_scoring.metrics.n)
    else:
        scoring = live_scoring(ctx)
        rows = len(ctx.live_batch.X)
        evidence = {"batch_rows": rows}
        not_scored = _not_scored(scoring, rows, evidence)
        if not_scored is not None:
            return not_scored
        y = pd.Series(np.asarray(y))[scoring.keep].reset_index(drop=True)
        labelled = y.notna().to_numpy()
        if not labelled.any():  # the labels of a batch often arrive later
            return _no_labels(ctx)
        assert scoring.pred is not None  # scored rows exist (_not_scored)
        pred = scoring.pred[labelled]
        proba = scoring.proba[labelled] if scoring.proba is not None else None
        y = y[labelled]
        estimates = estimate_metrics(
            ctx.task,
            y,
            Outputs(pred, proba),
            ctx.model.classes,
            ctx.policy.interval_level,
            ctx.policy.seed,
        )
        labelled_rows = int(len(y))
    p = ctx.policy
    bounds = p.threshold_for(ctx.task, ctx.model.has_proba)
    reference = ctx.reference_metrics or {}
    table = [
        _row(m, est, bounds.get(m), reference.get(m))
        for m, est in estimates.items()
        if m in bounds or m in reference
    ]
    evidence.update(
        metrics=table,
        labelled_rows=labelled_rows,
        interval_level=p.interval_level,
    )
    missed = [r for r in table if r["decision"] == "missed"]
    undecided = [r for r in table if r["decision"] == "undecided"]
    worse = [r for r in table if r.get("worse_than_holdout")]
    level = f"{p.interval_level:.0%}"
    if missed:
        return Finding(
            "fail",
            "Below the policy's thresholds on this batch: "
            + "; ".join(
                f"{_interval_text(r)} misses {'≤' if r['direction'] == 'max' else '≥'} "
                f"{fmt_number(r['bound'])}"
                for r in missed
            )
            + f" (even the interval's optimistic end, at {level}).",
            evidence,
            remedy="Retrain on recent labelled data, or roll back to an earlier version "
            "(mlready rollback NAME).",
        )
    if worse:
        return Finding(
            "warn",
            "Worse than on the hold-out: "
            + "; ".join(f"{_interval_text(r)} vs {fmt_number(r['holdout'])}" for r in worse)
            + f" (the {level} intervals do not overlap).",
            evidence,
        )
    if undecided:
        return Finding(
            "warn",
            f"Too few labelled rows ({labelled_rows:,}) to be sure of the thresholds: "
            + "; ".join(
                f"{_interval_text(r)} straddles {fmt_number(r['bound'])}" for r in undecided
            )
            + ".",
            evidence,
        )
    return Finding(
        "pass",
        f"Meets every threshold on {labelled_rows:,} labelled rows at {level}: "
        + ", ".join(_interval_text(r) for r in table if r["decision"] == "met")
        + ".",
        evidence,
    )
