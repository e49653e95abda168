"""A uniform face for any fitted model: predict, predict_proba, classes, how it wants its input."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from .flavors import feature_names, library_of, predictor_for
from .flavors import statsmodels as sm_flavor

__all__ = ["ModelAdapter", "feature_names", "flavor_of", "is_fitted_model"]


def flavor_of(model: Any) -> str:
    """The MLflow flavor that fits the model's library ("sklearn", "xgboost", "lightgbm",
    "catboost", "statsmodels", or "pyfunc" for anything else)."""
    module = library_of(model)
    if module in ("xgboost", "lightgbm", "catboost"):
        return module
    if sm_flavor.is_results(model):
        return "statsmodels"
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
    module = library_of(obj)
    if module == "catboost" and callable(getattr(obj, "is_fitted", None)):
        return bool(obj.is_fitted())
    if module == "statsmodels":
        return sm_flavor.is_results(obj)
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


@dataclass(frozen=True)
class ModelAdapter:
    """Wraps a fitted model. ``input_kind`` is "frame" when it was fitted on named columns."""

    model: Any
    input_kind: str  # "frame" | "array"
    flavor: str
    classes: tuple | None  # class labels for classifiers
    has_proba: bool

    @classmethod
    def wrap(
        cls, model: Any, task: str | None = None, classes: tuple | None = None
    ) -> ModelAdapter:
        """``classes``: the labels when the model does not keep them (statsmodels results and
        native boosters predict probabilities; discovery passes the training target's)."""
        input_kind = "frame" if feature_names(model) is not None else "array"
        found = getattr(model, "classes_", None)
        if found is not None:
            # a regressor may expose an empty classes_ (CatBoostRegressor): no classes
            classes = tuple(np.asarray(found).tolist()) or None
        adapter = cls(
            model=model,
            input_kind=input_kind,
            flavor=flavor_of(model),
            classes=classes,
            has_proba=False,
        )
        if adapter.classes is None and task != "regression":
            adapter = replace(adapter, classes=getattr(adapter.predictor, "classes", None))
        return replace(adapter, has_proba=task != "regression" and adapter.can_predict_proba)

    @cached_property
    def predictor(self) -> Any:
        """What answers ``predict`` / ``predict_proba``: the model, or its library's view
        (``flavors.predictor_for``)."""
        return predictor_for(self.model, self.classes)

    @property
    def can_predict_proba(self) -> bool:
        """Whether the model gives probabilities at all (whatever the task)."""
        predictor = self.predictor
        if predictor is not self.model:  # a library view says itself
            return bool(predictor.gives_proba)
        return callable(getattr(self.model, "predict_proba", None))

    @property
    def feature_names(self) -> tuple[str, ...] | None:
        """The columns the model was fitted on, in its order (None: fitted on an array)."""
        return feature_names(self.model)

    @property
    def class_name(self) -> str:
        t = type(self.model)
        return f"{t.__module__}.{t.__qualname__}"

    def _prepare(self, X):
        if self.input_kind == "array" and hasattr(X, "to_numpy"):
            return X.to_numpy()
        return X

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.predictor.predict(self._prepare(X)))

    def predict_proba(self, X) -> np.ndarray | None:
        if not self.has_proba:
            return None
        return np.asarray(self.predictor.predict_proba(self._prepare(X)))

    def describe(self) -> dict:
        return {
            "class": self.class_name,
            "flavor": self.flavor,
            "input": self.input_kind,
            "classes": list(self.classes) if self.classes is not None else None,
            "predict_proba": self.has_proba,
        }
