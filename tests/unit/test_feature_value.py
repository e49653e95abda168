"""features.value: permutation importance on the hold-out warns on features that add nothing
measurable, passes when every feature earns its place, and does not cry wolf on tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from check_contexts import validation_context
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from jupyter_mlready.checks import CheckContext, run_check
from jupyter_mlready.checks.feature_value import feature_value, value_view
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Dataset
from jupyter_mlready.views import Bars, Table

SPEC = feature_value.__mlready_check__


def _data(n: int, seed: int, noise: bool) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(4)})
    if noise:
        X["noise_a"] = rng.normal(size=n)
        X["noise_b"] = rng.normal(size=n)
    y = (X["x0"] + X["x1"] - X["x2"] + 0.7 * X["x3"] + rng.normal(size=n) > 0).astype(int)
    return X, y


def _with_model(ctx: CheckContext, model, policy) -> CheckContext:
    """A fresh context (no cached predictions) on ``ctx``'s data with another model or policy."""
    return _ctx(model, ctx.task, (ctx.train.X, ctx.train.y), (ctx.holdout.X, ctx.holdout.y), policy)


def _ctx(model, task, train, holdout, policy=None) -> CheckContext:
    return validation_context(model, task, train, holdout, policy)


def _classifier(noise: bool, n_test: int = 3000):
    train, test = _data(4000, 0, noise), _data(n_test, 1, noise)
    return _ctx(LogisticRegression().fit(*train), "classification", train, test)


def test_two_noise_features_warn_by_name():
    r = run_check(SPEC, _classifier(noise=True))
    assert r.status == "warn", r.summary
    assert set(r.evidence["not_earning"]) == {"noise_a", "noise_b"}
    assert "noise_a" in r.summary and "noise_b" in r.summary
    assert "2 of 6 features" in r.summary
    rows = {f["feature"]: f for f in r.evidence["features"]}
    assert all(rows[f"x{i}"]["earns"] for i in range(4))
    assert rows["x0"]["low"] > 0
    assert r.evidence["repeats"] >= 2 and r.evidence["rows"] == 3000
    assert r.evidence["loss"] == "Brier score"


def test_every_informative_feature_passes():
    r = run_check(SPEC, _classifier(noise=False))
    assert r.status == "pass", r.summary
    assert r.evidence["not_earning"] == []


def test_regression_with_a_feature_the_model_ignores():
    rng = np.random.default_rng(2)
    n = 2000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "const": 1.0})
    y = pd.Series(3 * X["a"] + X["b"] ** 2 + rng.normal(0, 0.3, n))
    model = GradientBoostingRegressor(n_estimators=50, random_state=0).fit(X[:1500], y[:1500])
    r = run_check(SPEC, _ctx(model, "regression", (X[:1500], y[:1500]), (X[1500:], y[1500:])))
    assert r.status == "warn" and r.evidence["not_earning"] == ["const"], r.summary
    assert r.evidence["loss"] == "absolute error"
    const = next(f for f in r.evidence["features"] if f["feature"] == "const")
    assert const["importance"] == 0 and const["negligible"]


def test_sample_is_capped_and_seeded():
    ctx = _classifier(noise=True, n_test=8000)
    policy = Policy(feature_value_rows=1000, seed=3)
    first, again = (run_check(SPEC, _with_model(ctx, ctx.model.model, policy)) for _ in range(2))
    assert first.evidence["rows"] == 1000 and first.evidence["rows_sampled_from"] == 8000
    assert first.evidence["features"] == again.evidence["features"]


def test_tiny_hold_out_is_insufficient_evidence_not_a_false_alarm():
    train, test = _data(2000, 0, noise=False), _data(40, 1, noise=False)
    ctx = _ctx(LogisticRegression().fit(*train), "classification", train, test)
    r = run_check(SPEC, ctx)
    # 40 rows cannot tell a weak feature from noise: never a "features add nothing" warning
    # a check whose worst verdict is a warning cannot block for lack of evidence either
    assert r.status == "warn", r.summary
    assert r.evidence["insufficient_evidence"] and "Insufficient evidence" in r.summary
    assert "add nothing measurable" not in r.summary


def test_no_target_is_an_error():
    ctx = _classifier(noise=False)
    ctx.holdout = Dataset(ctx.holdout.X, None, "X_test")
    assert run_check(SPEC, ctx).status == "error"


def test_a_model_crashing_on_shuffled_rows_is_an_error():
    train, test = _data(500, 0, noise=False), _data(300, 1, noise=False)
    fitted = LogisticRegression().fit(*train)

    class Fragile:
        classes_ = fitted.classes_
        feature_names_in_ = fitted.feature_names_in_
        calls = 0

        def predict(self, X):
            return fitted.predict(X)

        def predict_proba(self, X):
            Fragile.calls += 1
            if Fragile.calls > 1:
                raise RuntimeError("row order changed")
            return fitted.predict_proba(X)

    r = run_check(SPEC, _ctx(Fragile(), "classification", train, test))
    assert r.status == "error" and "row order changed" in r.summary
    assert r.evidence["feature"] == "x0"


def test_stacked_shuffles_give_the_same_importances_as_one_feature_at_a_time(monkeypatch):
    from jupyter_mlready.checks import feature_value

    ctx = _classifier(noise=True)
    stacked = run_check(SPEC, ctx).evidence
    monkeypatch.setattr(feature_value, "STACK_CELLS", 1)  # one feature per model call
    alone = run_check(SPEC, _with_model(ctx, ctx.model.model, ctx.policy)).evidence
    assert stacked["repeats"] == alone["repeats"] == feature_value.MAX_REPEATS
    keys = ("feature", "importance", "low", "high", "repeats")
    assert [{k: f[k] for k in keys} for f in stacked["features"]] == [
        {k: f[k] for k in keys} for f in alone["features"]
    ]


@pytest.mark.parametrize("sleep", [0.05, 0.3], ids=["first-pass-fits", "first-pass-too-slow"])
def test_the_time_budget_is_respected_and_recorded(sleep, monkeypatch):
    from jupyter_mlready.checks import feature_value

    monkeypatch.setattr(feature_value, "STACK_CELLS", 1)  # a model slow per call, every call
    ctx = _classifier(noise=True)
    slow_fit = ctx.model.model

    class Slow:
        classes_ = slow_fit.classes_
        feature_names_in_ = slow_fit.feature_names_in_

        def predict(self, X):
            return slow_fit.predict(X)

        def predict_proba(self, X):
            import time

            time.sleep(sleep)
            return slow_fit.predict_proba(X)

    policy = Policy(feature_value_seconds=0.2)
    r = run_check(
        SPEC,
        _with_model(ctx, Slow(), policy),
    )
    assert r.evidence["budget_exhausted"] is True
    assert r.evidence["rows_reduced_from"] == 3000 and r.evidence["rows"] in (500, 1000, 2000)
    if sleep < 0.1:  # one shuffle of every feature fits 5 budgets: every feature is judged
        assert not r.evidence["not_measured"], r.evidence
    else:  # it does not: the features left are listed, never silently dropped
        assert r.evidence["not_measured"], r.evidence
    assert "time budget" in r.summary


def test_correlated_features_are_noted():
    rng = np.random.default_rng(5)
    n = 3000
    a = rng.normal(size=n)
    X = pd.DataFrame({"a": a, "a_copy": a + rng.normal(0, 0.05, n), "b": rng.normal(size=n)})
    y = (a + X["b"] + rng.normal(size=n) > 0).astype(int)
    train, test = (X[:2000], y[:2000]), (X[2000:], y[2000:])
    r = run_check(SPEC, _ctx(LogisticRegression().fit(*train), "classification", train, test))
    assert {"a", "a_copy"} == set(r.evidence["correlated_pairs"][0]["features"])


def test_view_shows_bars_and_a_table():
    r = run_check(SPEC, _classifier(noise=True))
    view = value_view(r.to_dict(), {})
    assert view is not None
    bars, table = view.blocks
    assert isinstance(bars, Bars) and isinstance(table, Table)
    assert bars.items[0][1] == 1.0 and len(table.rows) == 6
    assert value_view({"evidence": {}}, {}) is None
