"""What the checks cannot judge: models with ``predict`` that do not predict one target per row.

A clustering model's ``predict`` returns cluster ids, a ranker's a score per query group, a
forecaster's values by date, a multi-output model's several columns. Scoring them with a
classifier's metrics would give a verdict that means nothing, so discovery refuses them with
``UnsupportedModelError``: what was found, and what is supported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedModelError
from . import boosters
from . import statsmodels as sm_flavor

_FORECASTING_LIBRARIES = ("prophet", "pmdarima", "sktime", "darts", "neuralprophet")
_SKLEARN_KINDS = {
    "clusterer": ("clustering", "its predict returns cluster ids, not a target"),
    "outlier_detector": ("outlier-detection", "its predict returns inlier / outlier flags"),
    "density_estimator": ("density-estimation", "it scores densities, not a target"),
}
_MULTI_OUTPUT = (
    "MultiOutputClassifier",
    "MultiOutputRegressor",
    "ClassifierChain",
    "RegressorChain",
)


def _sklearn_type(model: Any) -> str | None:
    try:
        from sklearn.utils import get_tags

        return get_tags(model).estimator_type
    except Exception:  # noqa: BLE001 - not an estimator, or an older scikit-learn
        return getattr(model, "_estimator_type", None)


def final_step(model: Any) -> Any:
    """The estimator that predicts: the last step of a pipeline, inside a fitted search."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and isinstance(steps[-1], tuple):
        return final_step(steps[-1][1])
    inner = getattr(model, "best_estimator_", None)
    return final_step(inner) if inner is not None else model


def unsupported_kind(model: Any) -> tuple[str, str] | None:
    """(kind, why) when the checks do not apply to ``model``; None when they do."""
    final = final_step(model)
    cls = type(final)
    top = cls.__module__.split(".")[0]
    if top in _FORECASTING_LIBRARIES:
        return "forecasting", "it forecasts values by date, not a target per row of features"
    if sm_flavor.is_results(final) and sm_flavor.is_forecaster(final):
        return (
            "forecasting",
            "statsmodels time-series results predict by date or step, not from rows of features",
        )
    if "Ranker" in cls.__name__ or (boosters.library(final) and boosters.is_ranker(final)):
        return "ranking", "its predict returns scores to order items within a query group"
    if top == "catboost" and "rank" in str(_catboost_loss(final)).lower():
        return "ranking", "its predict returns scores to order items within a query group"
    kind = _SKLEARN_KINDS.get(str(_sklearn_type(final)))
    if kind is not None:
        return kind
    if cls.__name__ in _MULTI_OUTPUT:
        return "multi-output", "its predict returns one column per target"
    n_outputs = getattr(final, "n_outputs_", 1)
    if isinstance(n_outputs, (int, np.integer)) and n_outputs > 1:
        return "multi-output", f"it was fitted on {int(n_outputs)} target columns"
    return None


def _catboost_loss(model: Any) -> str | None:
    try:
        return model.get_params().get("loss_function")
    except Exception:  # noqa: BLE001 - a CatBoost object without params
        return None


def refuse_unsupported(model: Any, variable: str) -> None:
    """Raise ``UnsupportedModelError`` when the checks do not apply to ``model``."""
    found = unsupported_kind(model)
    if found is None:
        return
    kind, why = found
    cls = type(model)
    raise UnsupportedModelError(
        variable=variable,
        model_class=f"{cls.__module__}.{cls.__qualname__}",
        kind=kind,
        why=why,
        remedy="If another variable holds the model to hand off, pass --model VAR.",
    )


def refuse_multi_column_output(output: Any, model: Any, variable: str) -> None:
    """Raise ``UnsupportedModelError`` when ``predict`` returned several columns per row."""
    arr = np.asarray(output)
    if arr.ndim == 2 and arr.shape[1] > 1:
        cls = type(model)
        raise UnsupportedModelError(
            variable=variable,
            model_class=f"{cls.__module__}.{cls.__qualname__}",
            kind="multi-output",
            why=f"its predict returned {arr.shape[1]} columns per row (multi-label or "
            "multi-target)",
            remedy="Check one model per target (one notebook variable each, --model VAR).",
        )


def refuse_multi_column_target(y: Any, name: str) -> None:
    """Raise ``UnsupportedModelError`` when the target given has several columns."""
    shape = np.shape(y)
    if len(shape) == 2 and shape[1] > 1:
        raise UnsupportedModelError(
            variable=name,
            model_class=type(y).__name__,
            kind="multi-output",
            why=f"the target '{name}' has {shape[1]} columns (multi-label or multi-target)",
            remedy="Check one model per target column (--train X,y_one_column).",
        )
