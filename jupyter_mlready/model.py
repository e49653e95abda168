"""A uniform face for any fitted model: predict, predict_proba, classes, how it wants its input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def flavor_of(model: Any) -> str:
    """The MLflow flavor that fits the model's library ("sklearn", "xgboost", "lightgbm", or
    "pyfunc")."""
    module = type(model).__module__.split(".")[0]
    if module in ("xgboost", "lightgbm", "catboost"):
        return module
    try:
        from sklearn.base import BaseEstimator

        if isinstance(model, BaseEstimator):
            return "sklearn"
    except ImportError:  # pragma: no cover - sklearn is a dependency
        pass
    return "pyfunc"


def is_fitted_model(obj: Any) -> bool:
    """True for a fitted object with a callable ``predict`` (not a class, not a frame). An
    unfitted CatBoost model or a statsmodels model before ``.fit()`` (its results are the fitted
    object) has ``predict`` too, and is not one."""
    if isinstance(obj, type) or not callable(getattr(obj, "predict", None)):
        return False
    module = type(obj).__module__.split(".")[0]
    if module == "catboost" and callable(getattr(obj, "is_fitted", None)):
        return bool(obj.is_fitted())
    if module == "statsmodels":
        from statsmodels.base.wrapper import ResultsWrapper

        return isinstance(obj, ResultsWrapper)
    try:
        from sklearn.base import BaseEstimator
        from sklearn.utils.validation import check_is_fitted

        if isinstance(obj, BaseEstimator):
            try:
                check_is_fitted(obj)
            except Exception:
                return False
    except ImportError:  # pragma: no cover
        pass
    return True


def feature_names(model: Any) -> tuple[str, ...] | None:
    """The column names the model was fitted on, or None when it was fitted on an array:
    ``feature_names_in_`` (scikit-learn, XGBoost, LightGBM), or CatBoost's ``feature_names_``
    unless they are its defaults for an array ("0", "1", ...)."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return tuple(str(n) for n in names)
    if type(model).__module__.split(".")[0] == "catboost":
        names = getattr(model, "feature_names_", None)
        if names and [str(n) for n in names] != [str(i) for i in range(len(names))]:
            return tuple(str(n) for n in names)
    return None


@dataclass(frozen=True)
class ModelAdapter:
    """Wraps a fitted model. ``input_kind`` is "frame" when it was fitted on named columns."""

    model: Any
    input_kind: str  # "frame" | "array"
    flavor: str
    classes: tuple | None  # class labels for classifiers
    has_proba: bool

    @classmethod
    def wrap(cls, model: Any, task: str | None = None) -> ModelAdapter:
        input_kind = "frame" if feature_names(model) is not None else "array"
        classes = getattr(model, "classes_", None)
        if classes is not None:
            # a regressor may expose an empty classes_ (CatBoostRegressor): no classes
            classes = tuple(np.asarray(classes).tolist()) or None
        has_proba = callable(getattr(model, "predict_proba", None)) and task != "regression"
        return cls(
            model=model,
            input_kind=input_kind,
            flavor=flavor_of(model),
            classes=classes,
            has_proba=bool(has_proba),
        )

    @property
    def class_name(self) -> str:
        t = type(self.model)
        return f"{t.__module__}.{t.__qualname__}"

    def _prepare(self, X):
        if self.input_kind == "array" and hasattr(X, "to_numpy"):
            return X.to_numpy()
        return X

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.model.predict(self._prepare(X)))

    def predict_proba(self, X) -> np.ndarray | None:
        if not self.has_proba:
            return None
        return np.asarray(self.model.predict_proba(self._prepare(X)))

    def describe(self) -> dict:
        return {
            "class": self.class_name,
            "flavor": self.flavor,
            "input": self.input_kind,
            "classes": list(self.classes) if self.classes is not None else None,
            "predict_proba": self.has_proba,
        }
