"""Native gradient-boosting boosters: ``xgboost.Booster`` (``xgb.train``) and
``lightgbm.Booster`` (``lgb.train``).

Their ``predict`` returns what the objective says: P(y = 1) for a binary objective, one column
per class for a multi-class one, numbers for a regression. XGBoost's ``Booster.predict`` takes
only a ``DMatrix``; ``inplace_predict`` takes the frame or array itself (the same trees, no
copy). The sklearn wrappers (``XGBClassifier``, ``LGBMRegressor``) are estimators and need none
of this.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .outputs import P_MATRIX, P_POSITIVE, VALUE, ProbabilityOutputs


def library(model: Any) -> str | None:
    """ "xgboost" or "lightgbm" for a native booster, else None."""
    cls = type(model)
    if cls.__module__ == "xgboost.core" and cls.__name__ == "Booster":
        return "xgboost"
    if cls.__module__ == "lightgbm.basic" and cls.__name__ == "Booster":
        return "lightgbm"
    return None


def objective(model: Any) -> str:
    """The booster's objective name ("binary:logistic", "multiclass", "regression", ...)."""
    if library(model) == "xgboost":
        config = json.loads(model.save_config())
        return str(config["learner"]["objective"]["name"])
    params = getattr(model, "params", None) or {}
    name = params.get("objective")
    if not name:
        name = str(model.dump_model(num_iteration=0).get("objective", "regression"))
    return str(name).split()[0]


RANKING = ("rank:", "lambdarank", "rank_xendcg")
BINARY = ("binary:logistic", "binary", "cross_entropy", "xentropy")
MULTI_PROBA = ("multi:softprob", "multiclass", "softmax", "multiclassova", "multiclass_ova", "ova")
LABELS = ("multi:softmax",)


def output_kind(model: Any) -> str:
    """What ``predict`` returns: ``P_POSITIVE``, ``P_MATRIX`` or ``VALUE`` (numbers, or labels
    for ``multi:softmax``)."""
    name = objective(model)
    if name in BINARY:
        return P_POSITIVE
    if name in MULTI_PROBA:
        return P_MATRIX
    return VALUE


def is_ranker(model: Any) -> bool:
    return objective(model).startswith(RANKING)


def task(model: Any) -> str:
    name = objective(model)
    return "classification" if output_kind(model) != VALUE or name in LABELS else "regression"


def n_classes(model: Any) -> int | None:
    if library(model) == "xgboost":
        config = json.loads(model.save_config())
        k = int(config["learner"]["learner_model_param"].get("num_class", 0) or 0)
    else:
        k = int((getattr(model, "params", None) or {}).get("num_class", 0) or 0)
        k = k or int(model.dump_model(num_iteration=0).get("num_class", 0) or 0)
    return k if k > 1 else None


def feature_names(model: Any) -> tuple[str, ...] | None:
    """Names it was trained on; None for an array (LightGBM's defaults "Column_0", ...)."""
    if library(model) == "xgboost":
        names = model.feature_names
        return tuple(str(n) for n in names) if names else None
    names = [str(n) for n in model.feature_name()]
    if names == [f"Column_{i}" for i in range(len(names))]:
        return None
    return tuple(names)


def n_features(model: Any) -> int:
    return int(model.num_features() if library(model) == "xgboost" else model.num_feature())


class BoosterPredictor:
    """``predict`` / ``predict_proba`` of a native booster on a frame or an array."""

    def __init__(self, model: Any, classes: tuple | None = None):
        self.model = model
        self._kind = output_kind(model)
        if self._kind == P_POSITIVE:
            classes = classes or (0, 1)
        elif self._kind == P_MATRIX:
            classes = classes or tuple(range(n_classes(model) or 0))
        self._outputs = (
            ProbabilityOutputs(self._raw, self._kind, tuple(classes))
            if self._kind != VALUE and classes
            else None
        )
        self._classes = classes

    def _raw(self, X) -> np.ndarray:
        if library(self.model) == "xgboost":
            return np.asarray(self.model.inplace_predict(X))
        return np.asarray(self.model.predict(X))

    @property
    def gives_proba(self) -> bool:
        return self._outputs is not None

    @property
    def classes(self) -> tuple | None:
        return self._outputs.classes if self._outputs else self._classes

    def predict(self, X) -> np.ndarray:
        return self._outputs.predict(X) if self._outputs else self._raw(X)

    def predict_proba(self, X) -> np.ndarray:
        if self._outputs is None:
            raise AttributeError(
                f"a booster with objective {objective(self.model)!r} has no probabilities"
            )
        return self._outputs.predict_proba(X)
