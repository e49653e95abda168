"""Model libraries: how each one's fitted model reads its input and says its answer.

``model.ModelAdapter`` gives the checks one face (``predict`` / ``predict_proba`` on a frame);
this package knows the libraries behind it:

* ``statsmodels`` — results objects (formula and array API, Logit / Probit / GLM / MNLogit);
* ``boosters`` — native XGBoost and LightGBM boosters, whose predict returns probabilities;
* ``outputs`` — labels and probability matrices from a raw P(y = 1);
* ``polars`` — polars frames converted at the edge;
* ``support`` — the kinds of model the checks refuse (clustering, ranking, forecasting, ...).
"""

from __future__ import annotations

from typing import Any

from . import boosters
from . import statsmodels as sm_flavor

#: libraries logged with their own MLflow flavor (the rest: sklearn or the pyfunc wrapper)
NATIVE_FLAVORS = ("xgboost", "lightgbm", "catboost", "statsmodels")


def library_of(model: Any) -> str:
    """The top-level module of the model's class ("sklearn", "xgboost", "statsmodels", ...)."""
    return type(model).__module__.split(".")[0]


def predictor_for(model: Any, classes: tuple | None = None) -> Any:
    """The object whose ``predict`` / ``predict_proba`` answer like a scikit-learn estimator's:
    a view for statsmodels results and native boosters, the model itself otherwise."""
    if sm_flavor.is_results(model):
        return sm_flavor.StatsmodelsPredictor(model, classes)
    if boosters.library(model):
        return boosters.BoosterPredictor(model, classes)
    return model


def task_of(model: Any) -> str | None:
    """The task a library states (statsmodels results, boosters); None when the model does
    not say."""
    if sm_flavor.is_results(model):
        return sm_flavor.task(model)
    if boosters.library(model):
        return boosters.task(model)
    return None


def feature_names(model: Any) -> tuple[str, ...] | None:
    """The column names the model was fitted on, or None when it was fitted on an array:
    ``feature_names_in_`` (scikit-learn, XGBoost, LightGBM), CatBoost's ``feature_names_``
    unless they are its defaults for an array ("0", "1", ...), a booster's feature names, or the
    columns a statsmodels formula / design frame reads."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return tuple(str(n) for n in names)
    if sm_flavor.is_results(model):
        return sm_flavor.feature_names(model)
    if boosters.library(model):
        return boosters.feature_names(model)
    if library_of(model) == "catboost":
        names = getattr(model, "feature_names_", None)
        if names and [str(n) for n in names] != [str(i) for i in range(len(names))]:
            return tuple(str(n) for n in names)
    return None


def n_features(model: Any) -> int | None:
    """How many input columns the model reads, when it says."""
    if sm_flavor.is_results(model):
        return sm_flavor.n_features(model)
    if boosters.library(model):
        return boosters.n_features(model)
    n = getattr(model, "n_features_in_", None)
    if isinstance(n, int) or type(n).__module__ == "numpy":
        try:
            return int(n)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    return None
