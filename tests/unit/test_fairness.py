"""fairness.groups in-process: a selection-rate gap by a side column 'gender' warns when only
detected by name and fails when declared; a balanced model passes; no attribute skips; a declared
attribute missing from the hold-out is an error."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from check_contexts import validation_context
from sklearn.linear_model import LinearRegression, LogisticRegression

from jupyter_mlready.checks import CheckContext, run_check
from jupyter_mlready.checks.fairness import fairness, fairness_view
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Dataset

SPEC = fairness.__mlready_check__


def _context(n=4000, gap=0.0, policy=None, side=True, classes=2, seed=1):
    """A classifier whose positive rate rises with ``gap`` for gender 'm'; gender is a column
    beside the features (not a model input)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    gender = rng.choice(["f", "m"], n)
    X["a"] += np.where(gender == "m", gap, 0.0)
    score = X["a"] + X["b"] + rng.normal(size=n)
    y = pd.Series(np.digitize(score, [0]) if classes == 2 else np.digitize(score, [-0.7, 0.7]))
    cut = n // 2
    model = LogisticRegression(max_iter=500).fit(X[:cut], y[:cut])
    hold_side = None
    if side:
        hold_side = pd.DataFrame(
            {"gender": gender[cut:], "age": rng.integers(18, 80, n - cut)}, index=X.index[cut:]
        )
    return validation_context(
        model, "classification", (X[:cut], y[:cut]), (X[cut:], y[cut:]), policy, hold_side
    )


def _attr(result, column):
    return next(a for a in result.evidence["attributes"] if a["column"] == column)


def test_a_gap_by_a_detected_side_column_only_warns():
    r = run_check(SPEC, _context(gap=1.5))
    assert r.status == "warn", r.summary
    assert "'gender'" in r.summary and "detected by name: gender" in r.summary
    g = _attr(r, "gender")
    assert g["source"] == "side column" and not g["declared"]
    assert g["decisions"]["parity_difference"] == "missed"
    assert g["parity_difference"]["low"] > 0.1
    rates = {row["group"]: row["selection_rate"] for row in g["groups"]}
    assert rates["m"] - rates["f"] > 0.2
    json.dumps(r.evidence)


def test_the_same_gap_fails_when_declared():
    r = run_check(SPEC, _context(gap=1.5, policy=Policy(sensitive_features=("gender",))))
    assert r.status == "fail", r.summary
    assert "declared: gender" in r.summary and _attr(r, "gender")["declared"]


def test_a_balanced_model_passes_and_a_numeric_attribute_is_banded():
    r = run_check(SPEC, _context(policy=Policy(sensitive_features=("gender", "age"))))
    assert r.status == "pass", r.summary
    age = _attr(r, "age")
    assert age["grouping"] == "quantile bins" and len(age["groups"]) == 4
    assert _attr(r, "gender")["decisions"] == {
        "parity_difference": "met",
        "odds_difference": "met",
    }


def test_no_sensitive_attribute_skips_with_the_reason():
    r = run_check(SPEC, _context(side=False))
    assert r.status == "skip" and "sensitive_features" in r.summary and "--sensitive" in r.summary


def test_a_declared_attribute_missing_from_the_hold_out_is_an_error():
    r = run_check(SPEC, _context(side=False, policy=Policy(sensitive_features=("gender",))))
    assert r.status == "error" and "'gender'" in r.summary and "--sensitive VAR" in r.summary


def test_small_groups_are_listed_not_judged_and_tiny_data_is_no_false_alarm():
    r = run_check(SPEC, _context(n=160, gap=0.0))
    assert r.status == "pass", r.summary
    small = run_check(SPEC, _context(n=100, policy=Policy(slice_min_rows=60)))
    gender = _attr(small, "gender")
    assert not gender["judged"] and gender["too_small"]


def test_multiclass_is_one_vs_rest_over_each_class():
    r = run_check(SPEC, _context(gap=2.0, classes=3))
    g = _attr(r, "gender")
    assert g["one_vs_rest"] and len(g["by_class"]) == 3
    assert r.status == "warn"


def test_regression_compares_mean_prediction_and_error_between_groups():
    rng = np.random.default_rng(3)
    n = 3000
    X = pd.DataFrame({"x": rng.normal(size=n)})
    sex = rng.choice(["f", "m"], n)
    y = pd.Series(X["x"] + np.where(sex == "m", 2.0, 0.0) + rng.normal(size=n) * 0.3)
    X["sex"] = (sex == "m").astype(int)  # a model input, detected by name
    model = LinearRegression().fit(X[:1500], y[:1500])
    ctx = CheckContext(
        ModelAdapter.wrap(model, "regression"),
        "regression",
        Dataset(X[:1500], y[:1500], "X"),
        Dataset(X[1500:], y[1500:], "Xt"),
        None,
        Policy(),
        where="validation",
    )
    r = run_check(SPEC, ctx)
    assert r.status == "warn" and "'sex'" in r.summary
    assert _attr(r, "sex")["source"] == "feature" and "mae" in _attr(r, "sex")["groups"][0]


def test_the_view_shows_each_attribute_with_its_groups():
    r = run_check(SPEC, _context(gap=1.5))
    check = {"id": r.id, "summary": r.summary, "evidence": json.loads(json.dumps(r.evidence))}
    view = fairness_view(check, {})
    assert view is not None
    facts, table = view.blocks
    assert facts.items[0][1].startswith("gender (detected by name")
    assert [row[0].text for row in table.rows] == ["f", "m"]
