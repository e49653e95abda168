"""Metrics carry their uncertainty, and the gate decides on the interval (issue 14, item 5).

A bound is met when the interval's conservative end clears it, missed when even the optimistic end
does not, and otherwise the check fails with "insufficient evidence". Both sides are tested: a
3-row hold-out is never ready, a small but clear one (110 rows, R^2 about 0.5 against 0.20) is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import roc_auc_score

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.intervals import auc_difference, auc_estimate, wilson
from jupyter_mlready.metrics import Outputs, decide, estimate_metrics, paired_improvement
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy, policy_from_dict
from jupyter_mlready.records import Dataset


def _run(check_id: str, ctx: CheckContext):
    return run_check(next(s for s in load_checks() if s.id == check_id), ctx)


def _ctx(model, task, X_train, y_train, X_test, y_test, policy=None, **extra) -> CheckContext:
    classes = tuple(model.classes_.tolist()) if task == "classification" else None
    adapter = ModelAdapter(model, "frame", "sklearn", classes, task == "classification")
    return CheckContext(
        model=adapter,
        task=task,
        train=Dataset(X_train, y_train, "X_train", "y_train"),
        holdout=Dataset(X_test, y_test, "X_test", "y_test"),
        contract=None,
        policy=policy or Policy(),
        where="validation",
        **extra,
    )


def _classification(n: int, seed: int = 0, signal: float = 2.0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = pd.Series((X["a"] * signal + rng.normal(size=n) > 0).astype(int), name="y")
    return X, y


def _regression(n: int, seed: int = 0, noise: float = 1.0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = pd.Series(X["a"] + noise * rng.normal(size=n), name="y")
    return X, y


def test_twelve_rows_are_not_ready_the_auc_is_insufficient_evidence():
    """9 rows to train, 3 to hold out: every metric used to be "met" on 3 rows."""
    X, y = _classification(12, seed=3, signal=4.0)
    X_train, y_train, X_test, y_test = X[:9], y[:9], X[9:], y[9:]
    y_test = pd.Series([1, 1, 0], index=X_test.index, name="y")
    model = LogisticRegression().fit(X_train, y_train)
    ctx = _ctx(model, "classification", X_train, y_train, X_test, y_test)
    r = _run("performance.thresholds", ctx)
    assert r.status == "fail", r.summary
    assert "Insufficient evidence" in r.summary
    assert "roc_auc cannot be decided from 3 hold-out rows (2 positives)" in r.summary
    assert "straddles 0.65" in r.summary
    (row,) = r.evidence["thresholds"]
    assert row["decision"] == "undecided" and row["low"] < 0.65 <= row["high"]
    assert r.evidence["metrics"]["roc_auc"]["n"] == 3
    base = _run("performance.baseline", ctx)
    assert base.status == "fail" and "Insufficient evidence" in base.summary


def test_a_small_but_clear_regression_holdout_is_decided():
    """110 hold-out rows, R^2 in [0.35, 0.65] against the 0.20 floor: met, not "insufficient"."""
    X, y = _regression(400, seed=4)
    X_train, y_train, X_test, y_test = X[:290], y[:290], X[290:], y[290:]
    model = LinearRegression().fit(X_train, y_train)
    ctx = _ctx(model, "regression", X_train, y_train, X_test, y_test)
    r = _run("performance.thresholds", ctx)
    r2 = r.evidence["metrics"]["r2"]
    assert r.evidence["interval_level"] == 0.90
    assert len(X_test) == 110 and 0.35 <= r2["value"] <= 0.65
    assert r.status == "pass", r.summary
    assert r2["low"] > 0.20 and r2["low"] < r2["value"] < r2["high"]
    assert _run("performance.baseline", ctx).status == "pass"


def test_a_clearly_low_metric_is_missed_not_undecided():
    X, y = _regression(3000, seed=2, noise=4.0)  # R^2 about 0.06
    model = LinearRegression().fit(X[:2000], y[:2000])
    ctx = _ctx(model, "regression", X[:2000], y[:2000], X[2000:], y[2000:])
    r = _run("performance.thresholds", ctx)
    assert r.status == "fail" and "Below the policy's thresholds" in r.summary
    assert r.evidence["thresholds"][0]["decision"] == "missed"
    assert "insufficient_evidence" not in r.evidence


def test_a_metric_that_straddles_the_bound_on_a_mid_sized_holdout_is_undecided():
    X, y = _regression(400, seed=1)
    model = LinearRegression().fit(X[:290], y[:290])
    point = 1 - float(np.mean((model.predict(X[290:]) - y[290:]) ** 2)) / float(y[290:].var(ddof=0))
    policy = policy_from_dict({"thresholds": {"regression": {"r2": round(point, 3)}}})
    ctx = _ctx(model, "regression", X[:290], y[:290], X[290:], y[290:], policy=policy)
    r = _run("performance.thresholds", ctx)
    assert r.status == "fail" and "Insufficient evidence" in r.summary, r.summary


def test_wilson_matches_the_textbook_values():
    low, high = wilson(0, 10, 0.95)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-3)
    low, high = wilson(5, 10, 0.95)
    assert (low, high) == pytest.approx((0.2366, 0.7634), abs=1e-3)


def test_delong_agrees_with_sklearn_and_with_the_bootstrap_spread():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 800)
    scores = truth * 0.8 + rng.normal(size=800)
    est = auc_estimate(truth, scores, 0.95)
    assert est.value == pytest.approx(roc_auc_score(truth, scores))
    boot = []
    for _ in range(300):
        i = rng.integers(0, 800, 800)
        boot.append(roc_auc_score(truth[i], scores[i]))
    half = (est.high - est.low) / 2
    assert half == pytest.approx(1.96 * np.std(boot), rel=0.2)


def test_paired_delong_of_a_model_with_itself_is_exactly_zero():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 200)
    scores = truth + rng.normal(size=200)
    est = auc_difference(truth, scores, scores, 0.95)
    assert (est.value, est.low, est.high) == (0.0, 0.0, 0.0)


def test_a_perfect_auc_on_three_rows_is_not_a_narrow_interval():
    est = auc_estimate(np.array([1, 1, 0]), np.array([0.9, 0.8, 0.1]), 0.95)
    assert est.value == 1.0 and est.low < 0.5 and est.high == 1.0


def test_bootstrapped_metrics_on_tiny_holdouts_are_widened():
    y = np.array([1, 1, 0])
    p = np.array([[0.2, 0.8], [0.3, 0.7], [0.9, 0.1]])
    est = estimate_metrics("classification", y, Outputs(np.array([1, 1, 0]), p), (0, 1), 0.95)
    for metric in ("f1_macro", "average_precision", "roc_auc", "balanced_accuracy"):
        assert est[metric].low < 0.5, (metric, est[metric])


def test_resampled_average_precision_is_scikit_learns_on_the_resample():
    from sklearn.metrics import average_precision_score

    from jupyter_mlready.metrics import _resampled_average_precision

    rng = np.random.default_rng(3)
    truth = (rng.random(20_000) < 0.1).astype(float)
    scores = np.round(rng.random(20_000) + truth * 0.3, 2)  # ties: a step per distinct score
    ap = _resampled_average_precision(truth, scores)
    for size in (19_000, 1_500):  # most of the rows (counted per row), few of them (sorted)
        for _ in range(10):
            i = rng.integers(0, 20_000, size)
            expected = average_precision_score(truth[i], scores[i])
            assert ap(i) == pytest.approx(expected, abs=1e-12)
    assert math.isnan(ap(np.flatnonzero(truth == 0)[:50]))  # no positives: undefined
    assert math.isnan(ap(np.flatnonzero(truth == 0)[:19_000]))


def test_decide_on_both_directions():
    from jupyter_mlready.intervals import Estimate

    e = Estimate(0.5, 0.4, 0.6, 100, "t")
    assert decide(e, 0.3) == "met" and decide(e, 0.7) == "missed" and decide(e, 0.5) == "undecided"
    assert decide(e, 0.7, lower_is_better=True) == "met"
    assert decide(e, 0.3, lower_is_better=True) == "missed"


def test_paired_improvement_is_seeded_and_reproducible():
    X, y = _classification(500, seed=4)
    model = LogisticRegression().fit(X[:300], y[:300])
    ours = Outputs(model.predict(X[300:]), model.predict_proba(X[300:]))
    theirs = Outputs(np.zeros(200, int), np.tile([0.5, 0.5], (200, 1)))
    args = ("classification", "average_precision", y[300:], ours, theirs, (0, 1), 0.95, 7)
    a = paired_improvement(*args, points=(0.9, 0.5))
    b = paired_improvement(*args, points=(0.9, 0.5))
    assert (a.low, a.high) == (b.low, b.high) and math.isfinite(a.low)


class _Champion:
    """A champion that is the candidate with slightly noisier scores."""

    def __init__(self, model, noise: float):
        self.model, self.noise = model, noise
        self.classes = tuple(model.classes_.tolist())

    def predict_proba(self, X):
        p = self.model.predict_proba(X)[:, 1]
        p = np.clip(p + self.noise * np.sin(np.arange(len(p))), 0, 1)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def test_champion_comparison_on_too_few_rows_is_insufficient_evidence():
    X, y = _classification(40, seed=5)
    model = LogisticRegression().fit(X[:30], y[:30])
    ctx = _ctx(
        model,
        "classification",
        X[:30],
        y[:30],
        X[30:],
        y[30:],
        champion=_Champion(model, 0.3),
        champion_uri="models:/m/1",
    )
    r = _run("performance.champion", ctx)
    assert r.status == "fail" and "Insufficient evidence" in r.summary, r.summary


def test_champion_identical_to_the_candidate_passes_on_a_small_holdout():
    X, y = _classification(200, seed=6)
    model = LogisticRegression().fit(X[:100], y[:100])
    ctx = _ctx(
        model,
        "classification",
        X[:100],
        y[:100],
        X[100:],
        y[100:],
        champion=_Champion(model, 0.0),
        champion_uri="models:/m/1",
    )
    r = _run("performance.champion", ctx)
    assert r.status == "pass", r.summary
    assert all(c["decision"] == "met" for c in r.evidence["comparisons"])
