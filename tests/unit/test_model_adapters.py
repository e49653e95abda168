"""How a fitted model of each supported library is recognised and wrapped (issue 15, start):
the column names it was fitted on, its classes, and what is not (yet) a fitted model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.model import ModelAdapter, feature_names, is_fitted_model


def _data(n: int = 200):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.normal(size=n), "region": rng.choice(["n", "s"], n)})
    y = (X["age"] > 0).astype(int)
    return X, y


def test_catboost_on_a_frame_takes_frames_and_an_unfitted_one_is_not_a_model():
    catboost = pytest.importorskip("catboost")
    X, y = _data()
    unfitted = catboost.CatBoostClassifier(
        iterations=5, verbose=0, cat_features=["region"], allow_writing_files=False
    )
    assert not is_fitted_model(unfitted)
    clf = unfitted.fit(X, y)
    assert is_fitted_model(clf)
    adapter = ModelAdapter.wrap(clf, "classification")
    assert adapter.input_kind == "frame" and feature_names(clf) == ("age", "region")
    assert adapter.classes == (0, 1) and adapter.has_proba


def test_catboost_regressor_has_no_classes_and_an_array_fit_takes_arrays():
    catboost = pytest.importorskip("catboost")
    X, y = _data()
    reg = catboost.CatBoostRegressor(iterations=5, verbose=0, allow_writing_files=False).fit(
        X[["age"]].to_numpy(), y
    )
    adapter = ModelAdapter.wrap(reg, "regression")
    assert adapter.classes is None and not adapter.has_proba
    assert adapter.input_kind == "array" and feature_names(reg) is None


def test_a_statsmodels_model_is_fitted_only_as_results():
    sm = pytest.importorskip("statsmodels.api")
    X, y = _data()
    model = sm.Logit(y, sm.add_constant(X[["age"]]))
    assert not is_fitted_model(model)
    assert is_fitted_model(model.fit(disp=0))


def test_boosters_with_the_sklearn_api_keep_their_feature_names():
    xgboost = pytest.importorskip("xgboost")
    lightgbm = pytest.importorskip("lightgbm")
    X, y = _data()
    for model in (
        xgboost.XGBClassifier(n_estimators=3).fit(X[["age"]], y),
        lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(X[["age"]], y),
    ):
        adapter = ModelAdapter.wrap(model, "classification")
        assert adapter.input_kind == "frame" and adapter.classes == (0, 1), type(model)
        assert adapter.flavor == type(model).__module__.split(".")[0]
