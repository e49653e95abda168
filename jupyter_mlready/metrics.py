"""Task metrics, the trivial baseline, and which metric fits the task and the class balance."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def baseline_metrics(task: str, y_train, y_holdout, classes=None) -> tuple[dict, str]:
    """Metrics of the trivial baseline fitted on the training target; returns (metrics, name)."""
    y_train = pd.Series(np.asarray(y_train))
    n = len(y_holdout)
    if task == "classification":
        majority = y_train.value_counts().idxmax()
        pred = np.repeat(np.asarray(y_train)[y_train.to_numpy() == majority][:1], n)
        y_hold = np.asarray(y_holdout)
        proba = None
        if classes is not None:
            priors = y_train.value_counts(normalize=True)
            proba = np.tile([float(priors.get(c, 0.0)) for c in classes], (n, 1))
        return classification_metrics(y_hold, pred, proba, classes), "majority class / class priors"
    pred = np.full(n, float(y_train.astype(float).mean()))
    return regression_metrics(y_holdout, pred), "training mean"


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
