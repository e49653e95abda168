"""model.simpler: a linear reference fitted in the gate warns when it is as good as the model,
passes when the model is clearly better, and errors (never skips) when it cannot be fitted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from check_contexts import validation_context
from sklearn.compose import make_column_transformer
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures
from sklearn.tree import DecisionTreeClassifier

from jupyter_mlready.checks import CheckContext, run_check
from jupyter_mlready.checks.simpler import _encode, _kinds, simpler, simpler_view
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Dataset
from jupyter_mlready.views import Facts, Table

SPEC = simpler.__mlready_check__


def _ctx(model, task, train, holdout, policy=None) -> CheckContext:
    return validation_context(model, task, train, holdout, policy)


def _linear(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(3)})
    y = (X["x0"] - X["x1"] + 0.5 * X["x2"] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _xor(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = ((X["a"] > 0) ^ (X["b"] > 0)).astype(int)
    return X, y


def test_a_boosted_model_on_a_linear_boundary_warns():
    train, test = _linear(3000, 0), _linear(3000, 1)
    model = GradientBoostingClassifier(random_state=0).fit(*train)
    r = run_check(SPEC, _ctx(model, "classification", train, test))
    assert r.status == "warn", r.summary
    assert "earn its place" in r.summary
    metrics = {c["metric"]: c for c in r.evidence["comparisons"]}
    assert set(metrics) == {"roc_auc", "average_precision"}
    assert all(c["decision"] in ("as good", "worse") for c in metrics.values())
    assert metrics["roc_auc"]["low"] <= 0
    assert r.evidence["columns"]["numeric"] == ["x0", "x1", "x2"]
    assert r.evidence["train_rows"] == 3000 and r.evidence["converged"] is True


def test_a_tree_on_xor_passes():
    train, test = _xor(3000, 0), _xor(2000, 1)
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(*train)
    r = run_check(SPEC, _ctx(model, "classification", train, test))
    assert r.status == "pass", r.summary
    assert all(c["decision"] == "better" for c in r.evidence["comparisons"])
    assert r.evidence["comparisons"][0]["low"] > 0.3


def test_regression_with_an_interaction_passes_and_records_the_reference():
    rng = np.random.default_rng(3)
    n = 3000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = pd.Series(X["a"] * X["b"] * 3 + rng.normal(0, 0.2, n))
    train, test = (X[:2000], y[:2000]), (X[2000:], y[2000:])
    model = GradientBoostingRegressor(random_state=0).fit(*train)
    r = run_check(SPEC, _ctx(model, "regression", train, test))
    assert r.status == "pass", r.summary
    assert [c["metric"] for c in r.evidence["comparisons"]] == ["rmse", "mae"]
    assert "ridge regression" in r.evidence["reference"]


def test_categories_dates_and_missing_values_are_encoded():
    rng = np.random.default_rng(4)
    n = 50
    X = pd.DataFrame(
        {
            "num": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "city": rng.choice(["a", "b", None], n),
            "flag": rng.random(n) < 0.5,
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 9, n), unit="D"),
        }
    )
    kinds = _kinds(X)
    assert kinds == {"num": "numeric", "city": "category", "flag": "category", "when": "datetime"}
    enc = _encode(X, kinds)
    assert enc["when"].min() >= 19723 and enc["city"].isna().sum() == X["city"].isna().sum()
    assert set(enc["flag"]) == {"True", "False"}


def test_the_hold_out_scored_in_chunks_gives_the_same_finding(monkeypatch):
    """Chunked scoring (memory) must not change a single output: the finding, its metrics and
    intervals are the same with chunks of 7 rows as with one chunk (only the timings differ)."""
    rng = np.random.default_rng(6)
    n = 1200
    X = pd.DataFrame(
        {
            "num": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "city": rng.choice(["a", "b", "c", None], n),
        }
    )
    y = ((X["num"].fillna(0) > 0) ^ (X["city"] == "b")).astype(int)
    train, test = (X[:800], y[:800]), (X[800:], y[800:])
    prep = make_column_transformer(
        (SimpleImputer(strategy="median"), ["num"]),
        (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder()), ["city"]),
    )
    model = make_pipeline(prep, DecisionTreeClassifier(max_depth=4, random_state=0)).fit(*train)
    whole = run_check(SPEC, _ctx(model, "classification", train, test))
    monkeypatch.setattr("jupyter_mlready.checks.simpler.SCORE_CHUNK", 7)
    chunked = run_check(SPEC, _ctx(model, "classification", train, test))
    assert whole.status in ("pass", "warn"), whole.summary
    assert (chunked.status, chunked.summary) == (whole.status, whole.summary)
    for key in ("comparisons", "simple_metrics", "model_metrics", "holdout_rows"):
        assert chunked.evidence[key] == whole.evidence[key], key


def test_mixed_columns_with_a_constant_one_dropped():
    rng = np.random.default_rng(5)
    n = 2000
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "grade": rng.choice(list("abcdefghij"), n),
            "same": "k",
        }
    )
    y = ((X["x"] > 0) ^ X["grade"].isin(["a", "b", "c"])).astype(int)
    codes = X.assign(grade=X["grade"].map(ord), same=0)
    model = DecisionTreeClassifier(max_depth=6, random_state=0).fit(codes[:1500], y[:1500])

    class OnCodes:  # the model reads the letters as numbers
        classes_ = model.classes_
        feature_names_in_ = np.asarray(X.columns)

        def predict(self, frame):
            return model.predict(frame.assign(grade=frame["grade"].map(ord), same=0))

        def predict_proba(self, frame):
            return model.predict_proba(frame.assign(grade=frame["grade"].map(ord), same=0))

    ctx = _ctx(OnCodes(), "classification", (X[:1500], y[:1500]), (X[1500:], y[1500:]))
    r = run_check(SPEC, ctx)
    assert r.status == "pass", r.summary
    assert r.evidence["columns"]["categorical"] == ["grade"]
    assert r.evidence["dropped"] == [
        {"column": "same", "reason": "constant in the training sample"}
    ]


def test_all_constant_features_are_an_error():
    n = 200
    X = pd.DataFrame({"a": np.ones(n), "b": ["z"] * n})
    y = pd.Series(np.arange(n) % 2)
    model = DecisionTreeClassifier().fit(X[["a"]], y)

    class M:
        classes_ = model.classes_
        feature_names_in_ = np.asarray(X.columns)

        def predict(self, frame):
            return model.predict(frame[["a"]])

        def predict_proba(self, frame):
            return model.predict_proba(frame[["a"]])

    r = run_check(SPEC, _ctx(M(), "classification", (X, y), (X, y)))
    assert r.status == "error" and "no feature varies" in r.summary, r.summary


def test_a_training_class_unknown_to_the_model_is_an_error():
    train, test = _linear(500, 0), _linear(300, 1)
    fitted = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(*train)
    y_train = train[1].map({0: "no", 1: "yes"})  # labels the model never saw
    r = run_check(SPEC, _ctx(fitted, "classification", (train[0], y_train), test))
    assert r.status == "error" and "not among the model's classes" in r.summary, r.summary


def test_one_class_or_no_target_is_an_error_not_a_skip():
    train, test = _linear(500, 0), _linear(300, 1)
    model = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(*train)
    one = (train[0], pd.Series(np.zeros(500, dtype=int)))
    assert run_check(SPEC, _ctx(model, "classification", one, test)).status == "error"
    no_target = _ctx(model, "classification", train, test)
    no_target.train = Dataset(train[0], None, "X_train")
    assert run_check(SPEC, no_target).status == "error"


@pytest.mark.parametrize(
    "model",
    [LogisticRegression(), make_pipeline(PolynomialFeatures(3), LogisticRegression())],
    ids=["linear", "polynomial"],
)
def test_a_linear_model_is_the_simple_model_unless_its_inputs_are_expanded(model):
    train, test = _linear(1000, 0), _linear(500, 1)
    r = run_check(SPEC, _ctx(model.fit(*train), "classification", train, test))
    expanded = hasattr(model, "steps")
    assert r.status == ("warn" if expanded else "pass"), r.summary
    assert r.evidence.get("linear", False) is not expanded


def test_a_slow_fit_is_cut_to_the_budget(monkeypatch):
    import jupyter_mlready.checks.simpler as simpler_module

    real_fit = simpler_module._fit

    def slow_fit(task, X, y, numeric, categorical):
        pipe, _ = real_fit(task, X, y, numeric, categorical)
        return pipe, len(X) / 2000 * 0.4  # 0.4 s per 2,000 rows

    monkeypatch.setattr(simpler_module, "_fit", slow_fit)
    train, test = _linear(10_000, 0), _linear(1000, 1)
    model = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(*train)
    r = run_check(SPEC, _ctx(model, "classification", train, test, Policy(simpler_seconds=1.0)))
    assert r.evidence["rows_reduced"] is True
    assert r.evidence["train_rows"] < 10_000 and r.evidence["train_rows_available"] == 10_000
    assert "fitted on" in r.summary


def test_view_lists_metrics_with_intervals():
    train, test = _xor(2000, 0), _xor(1000, 1)
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(*train)
    r = run_check(SPEC, _ctx(model, "classification", train, test))
    view = simpler_view(r.to_dict(), {})
    assert view is not None
    facts, table = view.blocks
    assert isinstance(facts, Facts) and isinstance(table, Table)
    assert [row[0].text for row in table.rows] == ["roc_auc", "average_precision"]
    assert "[" in table.rows[0][3].text
