"""Task metrics, the trivial baseline, and which metric fits the task and the class balance."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .intervals import (
    MIN_CLASS_ROWS,
    Decision,
    Estimate,
    auc_difference,
    auc_estimate,
    bootstrap,
    clip,
    mean_interval,
    whole_range,
    wilson,
)
from .policy import LOWER_IS_BETTER


def _binary_positive(classes) -> object:
    return classes[1] if classes is not None and len(classes) == 2 else None


def classification_metrics(y_true, y_pred, proba=None, classes=None) -> dict:
    from sklearn import metrics as m

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    out = {
        "accuracy": float(m.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(m.balanced_accuracy_score(y_true, y_pred)),
        "f1_macro": float(m.f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }
    if proba is not None and classes is not None and len(np.unique(y_true)) > 1:
        proba = np.asarray(proba, dtype=float)
        if len(classes) == 2:
            pos = proba[:, 1]
            truth = (y_true == _binary_positive(classes)).astype(int)
            out["roc_auc"] = float(m.roc_auc_score(truth, pos))
            out["average_precision"] = float(m.average_precision_score(truth, pos))
            out["brier"] = float(np.mean((pos - truth) ** 2))
        else:
            try:
                out["roc_auc"] = float(
                    m.roc_auc_score(
                        y_true, proba, multi_class="ovr", average="macro", labels=list(classes)
                    )
                )
            except ValueError:
                pass
        try:
            out["log_loss"] = float(
                m.log_loss(y_true, np.clip(proba, 1e-15, 1), labels=list(classes))
            )
        except ValueError:
            pass
    return out


def regression_metrics(y_true, y_pred) -> dict:
    from sklearn import metrics as m

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    return {
        "rmse": float(np.sqrt(m.mean_squared_error(y_true, y_pred))),
        "mae": float(m.mean_absolute_error(y_true, y_pred)),
        "r2": float(m.r2_score(y_true, y_pred)),
    }


def compute_metrics(task: str, y_true, y_pred, proba=None, classes=None) -> dict:
    if task == "classification":
        return classification_metrics(y_true, y_pred, proba, classes)
    return regression_metrics(y_true, y_pred)


def baseline_outputs(task: str, y_train, n: int, classes=None) -> tuple[Outputs, str]:
    """The trivial baseline fitted on the training target, predicting ``n`` hold-out rows:
    the majority class with the class priors as probabilities, or the training mean."""
    y_train = pd.Series(np.asarray(y_train))
    if task == "classification":
        majority = y_train.value_counts().idxmax()
        pred = np.repeat(np.asarray(y_train)[y_train.to_numpy() == majority][:1], n)
        proba = None
        if classes is not None:
            priors = y_train.value_counts(normalize=True)
            proba = np.tile([float(priors.get(c, 0.0)) for c in classes], (n, 1))
        return Outputs(pred, proba), "majority class / class priors"
    return Outputs(np.full(n, float(y_train.astype(float).mean()))), "training mean"


def baseline_metrics(task: str, y_train, y_holdout, classes=None) -> tuple[dict, str]:
    """Metrics of the trivial baseline fitted on the training target; returns (metrics, name)."""
    out, name = baseline_outputs(task, y_train, len(y_holdout), classes)
    return compute_metrics(task, y_holdout, out.pred, out.proba, classes), name


def primary_metrics(task: str, metrics: dict) -> list[str]:
    """Metrics that decide against the baseline. Accuracy is never one: on imbalanced classes a
    majority-class baseline scores high on it. Binary with probabilities: ROC AUC and average
    precision (PR AUC, sensitive to the minority class); otherwise balanced accuracy and macro F1;
    regression: RMSE and MAE against the training mean."""
    if task == "regression":
        return ["rmse", "mae"]
    if "average_precision" in metrics:
        return ["roc_auc", "average_precision"]
    if "roc_auc" in metrics:
        return ["roc_auc", "balanced_accuracy"]
    return ["balanced_accuracy", "f1_macro"]


def improvement(metric: str, model_value: float, baseline_value: float) -> float:
    """Positive when the model is better: absolute for scores, relative for errors."""
    if metric in LOWER_IS_BETTER:
        if baseline_value == 0:
            return 0.0 if model_value == 0 else -1.0
        return (baseline_value - model_value) / abs(baseline_value)
    return model_value - baseline_value


# ---- intervals -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outputs:
    """One model's hold-out outputs: labels or values, and class probabilities when it has them."""

    pred: np.ndarray
    proba: np.ndarray | None = None


@dataclass(frozen=True)
class _Rows:
    """The hold-out in the encoding the interval code works on (class codes 0..K-1)."""

    task: str
    y: np.ndarray  # class codes, or float targets
    k: int  # number of classes (0 for regression)

    def codes(self, labels, classes) -> np.ndarray:
        codes = pd.Categorical(np.asarray(labels), categories=list(classes)).codes
        return np.asarray(codes, dtype=int)


def _rows(task: str, y_true, classes) -> _Rows:
    if task == "classification":
        classes = list(classes) if classes is not None else sorted(pd.unique(np.asarray(y_true)))
        r = _Rows(task, np.zeros(0, dtype=int), len(classes))
        return _Rows(task, r.codes(y_true, classes), len(classes))
    return _Rows(task, np.asarray(y_true, dtype=float), 0)


#: a resample of at most 1/COUNT_SHARE of the rows is sorted itself; a larger one is counted
#: per row over the rows sorted once (one pass over all the rows beats a sort of most of them)
COUNT_SHARE = 4


def _resampled_average_precision(
    truth: np.ndarray, scores: np.ndarray
) -> Callable[[np.ndarray], float]:
    """Average precision of a resample (row indices, repeats allowed), equal to scikit-learn's
    ``average_precision_score(truth[i], scores[i])``: a step at each distinct score.

    A resample of most of the rows is a count per row over the rows sorted once: a pass over the
    rows instead of a sort. A resample of few of many rows (the bootstrap draws at most
    ``BOOTSTRAP_ROWS`` of a large hold-out) is sorted itself: a pass over all the rows would cost
    more than its sort."""
    n = len(truth)
    order = np.argsort(-scores, kind="mergesort")
    t, sorted_scores = truth[order], scores[order]
    ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), n - 1]  # last row of each score
    place = np.empty(n, dtype=np.intp)
    place[order] = np.arange(n)  # row -> its place in the sorted order

    def counted(i: np.ndarray) -> float:
        w = np.bincount(place[i], minlength=n).astype(float)  # draws per sorted row
        true_positives = np.cumsum(w * t)
        positives = float(true_positives[-1])
        if positives == 0:
            return math.nan
        tps = true_positives[ends]
        seen = np.cumsum(w)[ends]
        precision = np.divide(tps, seen, out=np.zeros_like(tps), where=seen > 0)
        return float(np.sum(np.diff(tps / positives, prepend=0.0) * precision))

    def sorted_alone(i: np.ndarray) -> float:
        ranked = np.sort(place[i])  # the resample in score order (ties stay together)
        hits = t[ranked]
        positives = float(hits.sum())
        if positives == 0:
            return math.nan
        s = sorted_scores[ranked]
        last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
        tps = np.cumsum(hits)[last]
        return float(np.sum(np.diff(tps / positives, prepend=0.0) * (tps / (last + 1))))

    def average_precision(i: np.ndarray) -> float:
        return counted(i) if len(i) * COUNT_SHARE >= n else sorted_alone(i)

    return average_precision


def _f1_macro(y: np.ndarray, p: np.ndarray, k: int) -> float:
    ok = (y >= 0) & (p >= 0)
    cm = np.bincount(y[ok] * k + p[ok], minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    present = (cm.sum(0) + cm.sum(1)) > 0
    denom = cm.sum(0) + cm.sum(1)
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1[present].mean()) if present.any() else math.nan


def _r2(y: np.ndarray, p: np.ndarray) -> float:
    ss_tot = float(((y - y.mean()) ** 2).sum())
    return 1 - float(((y - p) ** 2).sum()) / ss_tot if ss_tot > 0 else math.nan


def _statistic(metric: str, rows: _Rows, out: Outputs, classes) -> Callable[[np.ndarray], float]:
    """The metric on a subset of rows (bootstrap resamples)."""
    y = rows.y
    if rows.task == "regression":
        pred = np.asarray(out.pred, dtype=float)
        if metric == "rmse":
            return lambda i: float(np.sqrt(np.mean((y[i] - pred[i]) ** 2)))
        if metric == "mae":
            return lambda i: float(np.mean(np.abs(y[i] - pred[i])))
        return lambda i: _r2(y[i], pred[i])
    codes = rows.codes(out.pred, classes)
    proba = None if out.proba is None else np.asarray(out.proba, dtype=float)
    if metric == "accuracy":
        return lambda i: float(np.mean(y[i] == codes[i]))
    if metric == "balanced_accuracy":

        def balanced(i: np.ndarray) -> float:
            recalls = [
                np.mean(codes[i][y[i] == c] == c) for c in range(rows.k) if (y[i] == c).any()
            ]
            return float(np.mean(recalls)) if len(recalls) > 1 else math.nan

        return balanced
    if metric == "f1_macro":
        return lambda i: _f1_macro(y[i], codes[i], rows.k)
    assert proba is not None
    if metric == "average_precision":
        return _resampled_average_precision((y == 1).astype(float), proba[:, 1])
    if metric == "roc_auc":
        from sklearn.metrics import roc_auc_score

        def auc(i: np.ndarray) -> float:
            if len(np.unique(y[i])) < rows.k:
                return math.nan
            if rows.k == 2:
                return float(roc_auc_score(y[i], proba[i, 1]))
            return float(roc_auc_score(y[i], proba[i], multi_class="ovr", labels=range(rows.k)))

        return auc
    raise KeyError(metric)


def _row_losses(metric: str, rows: _Rows, out: Outputs) -> np.ndarray | None:
    """Per-row losses whose mean is the metric (MAE, Brier, log loss), else None."""
    if metric == "mae":
        return np.abs(rows.y - np.asarray(out.pred, dtype=float))
    if metric in ("brier", "log_loss") and out.proba is not None:
        proba = np.asarray(out.proba, dtype=float)
        if metric == "brier":
            return (proba[:, 1] - (rows.y == 1)) ** 2
        known = rows.y >= 0
        p_true = np.ones(len(rows.y))
        p_true[known] = proba[np.flatnonzero(known), rows.y[known]]
        return -np.log(np.clip(p_true, 1e-15, 1))
    return None


def minority_rows(rows: _Rows) -> int:
    """Rows of the rarest class present (classification), or all rows (regression): how much
    evidence a hold-out holds."""
    if rows.task != "classification":
        return len(rows.y)
    counts = np.bincount(rows.y[rows.y >= 0], minlength=rows.k)
    present = counts[counts > 0]
    return int(present.min()) if len(present) else 0


def _widened(metric: str, est: Estimate, rows: _Rows, level: float) -> Estimate:
    """A bootstrap on a handful of rows can be degenerate (every resample perfect): below
    ``MIN_CLASS_ROWS`` rows of the minority class the interval is at least the Wilson interval on
    that count; a regression bootstrap below that many rows is the whole range."""
    return widened_for(metric, est, minority_rows(rows), rows.task, level)


def widened_for(metric: str, est: Estimate, few: int, task: str, level: float) -> Estimate:
    """:func:`_widened` given the minority count ``few`` (counted by pandas or by Spark)."""
    if few >= MIN_CLASS_ROWS:
        return est
    if task == "regression":
        return whole_range(metric, est.value, est.n, f"too few rows ({few}) to estimate")
    w_low, w_high = wilson(est.value * few, few, level)
    return Estimate(
        est.value,
        min(est.low, w_low),
        max(est.high, w_high),
        est.n,
        f"{est.method}, widened to the worst case ({few} rows in the minority class)",
    )


def _r2_estimate(value: float, y: np.ndarray, pred: np.ndarray, level: float) -> Estimate:
    """Delta-method interval of R^2 = 1 - mean(e^2) / mean((y - mean(y))^2): the ratio's
    influence values (a_i - R b_i) / B, with a Student t quantile."""
    a = (y - pred) ** 2
    b = (y - y.mean()) ** 2
    if b.mean() == 0:
        return whole_range("r2", value, len(y), "constant target")
    ratio = a.mean() / b.mean()
    _, low, high = mean_interval((a - ratio * b) / b.mean(), level)
    return Estimate(
        value,
        *clip("r2", value - (high - low) / 2, value + (high - low) / 2),
        len(y),
        "delta method",
    )


def _estimate(
    metric: str, value: float, rows: _Rows, out: Outputs, classes, level: float, seed: int
) -> Estimate:
    n = len(rows.y)
    if n == 0 or not math.isfinite(value):
        return whole_range(metric, value, n, "no rows")
    if metric == "accuracy":
        correct = float(np.sum(rows.y == rows.codes(out.pred, classes)))
        return Estimate(value, *wilson(correct, n, level), n, "Wilson")
    if metric == "balanced_accuracy":  # each class recall's Wilson interval, averaged
        codes = rows.codes(out.pred, classes)
        ends = [
            wilson(float(np.sum(codes[rows.y == c] == c)), int(np.sum(rows.y == c)), level)
            for c in range(rows.k)
            if (rows.y == c).any()
        ]
        low, high = float(np.mean([e[0] for e in ends])), float(np.mean([e[1] for e in ends]))
        return Estimate(value, low, high, n, "Wilson per class, averaged")
    if metric == "roc_auc" and rows.k == 2 and out.proba is not None:
        return auc_estimate((rows.y == 1).astype(int), np.asarray(out.proba)[:, 1], level)
    losses = _row_losses(metric, rows, out)
    if losses is not None:
        _, low, high = mean_interval(losses, level)
        return Estimate(value, *clip(metric, low, high), n, "Student t on per-row losses")
    if metric == "r2" and n >= MIN_CLASS_ROWS:
        return _r2_estimate(value, rows.y, np.asarray(out.pred, dtype=float), level)
    if metric == "rmse":
        _, low, high = mean_interval((rows.y - np.asarray(out.pred, dtype=float)) ** 2, level)
        low, high = math.sqrt(max(low, 0.0)), math.sqrt(max(high, 0.0))
        return Estimate(value, low, high, n, "Student t on squared errors")
    found = bootstrap(_statistic(metric, rows, out, classes), n, level, seed, value)
    if found is None:
        return whole_range(metric, value, n, "bootstrap undefined: too few rows of a class")
    low, high, how = found
    return _widened(metric, Estimate(value, *clip(metric, low, high), n, how), rows, level)


def estimate_metrics(
    task: str,
    y_true,
    out: Outputs,
    classes,
    level: float,
    seed: int = 0,
    points: dict | None = None,
) -> dict[str, Estimate]:
    """Every metric of ``compute_metrics`` (or of ``points``, already computed) with its
    interval at ``level``."""
    if points is None:
        points = compute_metrics(task, y_true, out.pred, out.proba, classes)
    rows = _rows(task, y_true, classes)
    cls = list(classes) if classes is not None else None
    if task == "classification" and cls is None:
        cls = sorted(pd.unique(np.asarray(y_true)))
    return {m: _estimate(m, v, rows, out, cls, level, seed) for m, v in points.items()}


def paired_improvement(
    task: str,
    metric: str,
    y_true,
    ours: Outputs,
    theirs: Outputs,
    classes,
    level: float,
    seed: int = 0,
    *,
    points: tuple[float, float],
) -> Estimate:
    """Interval of ``improvement(metric, ours, theirs)`` on the same rows (positive: ours is
    better; ``points`` are the two metric values): paired DeLong for AUC, Student t on per-row
    loss differences for mean losses, a paired bootstrap otherwise."""
    rows = _rows(task, y_true, classes)
    cls = list(classes) if classes is not None else None
    if task == "classification" and cls is None:
        cls = sorted(pd.unique(np.asarray(y_true)))
    a, b = points
    value = improvement(metric, a, b)
    n = len(rows.y)
    if n == 0 or not (math.isfinite(a) and math.isfinite(b)):
        return Estimate(value, -math.inf, math.inf, n, "undefined")
    if metric == "roc_auc" and rows.k == 2 and ours.proba is not None and theirs.proba is not None:
        truth = (rows.y == 1).astype(int)
        return auc_difference(
            truth, np.asarray(ours.proba)[:, 1], np.asarray(theirs.proba)[:, 1], level
        )
    la, lb = _row_losses(metric, rows, ours), _row_losses(metric, rows, theirs)
    if la is not None and lb is not None and b != 0:
        _, low, high = mean_interval((lb - la) / abs(b), level)
        return Estimate(value, low, high, n, "paired Student t on per-row losses")
    fa = _statistic(metric, rows, ours, cls)
    fb = _statistic(metric, rows, theirs, cls)
    found = bootstrap(lambda i: improvement(metric, fa(i), fb(i)), n, level, seed, value)
    if found is None:
        return Estimate(value, -math.inf, math.inf, n, "bootstrap undefined: too few rows")
    low, high, how = found
    few = minority_rows(rows)
    if few < MIN_CLASS_ROWS:  # degenerate resamples: no tighter than the two intervals apart
        if rows.task == "regression":
            return Estimate(value, -math.inf, math.inf, n, f"too few rows ({few}) to estimate")
        ea = _estimate(metric, a, rows, ours, cls, level, seed)
        eb = _estimate(metric, b, rows, theirs, cls, level, seed)
        low, high = min(low, ea.low - eb.high), max(high, ea.high - eb.low)
        how += f", widened ({few} rows in the minority class)"
    return Estimate(value, low, high, n, "paired " + how)


def decide(est: Estimate, bound: float, lower_is_better: bool = False) -> Decision:
    """``met`` when the conservative end clears the bound, ``missed`` when even the optimistic
    end does not, else ``undecided`` (insufficient evidence)."""
    if lower_is_better:
        if est.high <= bound:
            return "met"
        return "missed" if est.low > bound else "undecided"
    if est.low >= bound:
        return "met"
    return "missed" if est.high < bound else "undecided"
