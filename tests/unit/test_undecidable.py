"""A check that applies but cannot decide is an error, never a skip (issue: skip audit).

Each case is a situation where the gate used to skip, so a model could reach ready with the
question unanswered: no target, one class, a metric the policy asks for that cannot be computed,
a champion that does not load or shares no metric, a hold-out without rows, an unknown metric in
the policy.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.errors import PolicyError
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy, policy_from_dict
from jupyter_mlready.records import Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from validation_models import make_data  # noqa: E402


class _Model:
    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-(np.asarray(X["age"], dtype=float) - 45) / 10))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def _ctx(policy=None, has_proba=True, **inputs) -> CheckContext:
    X_train, X_test, y_train, y_test = make_data()
    adapter = ModelAdapter(_Model(), "frame", "sklearn", (0, 1), has_proba)
    return CheckContext(
        model=adapter,
        task="classification",
        train=Dataset(X_train, y_train, "X_train", "y_train"),
        holdout=Dataset(X_test, y_test, "X_test", "y_test"),
        contract=None,
        policy=policy or Policy(),
        where="validation",
        **inputs,
    )


def _run(check_id: str, ctx: CheckContext):
    return run_check(next(s for s in load_checks() if s.id == check_id), ctx)


@pytest.mark.parametrize(
    "check_id",
    ["performance.baseline", "performance.thresholds", "leakage.target_proxy"],
)
def test_no_holdout_target_is_an_error_naming_the_flag(check_id):
    ctx = _ctx()
    ctx.holdout = dataclasses.replace(ctx.holdout, y=None)
    r = _run(check_id, ctx)
    assert r.status == "error" and "no hold-out target" in r.summary, r.summary
    assert "--holdout X_test,y_test" in r.remedy


def test_the_champion_without_a_target_is_an_error_and_no_champion_is_a_skip():
    ctx = _ctx(champion=ModelAdapter(_Model(), "frame", "sklearn", (0, 1), True))
    ctx.holdout = dataclasses.replace(ctx.holdout, y=None)
    assert _run("performance.champion", ctx).status == "error"
    none = _run("performance.champion", _ctx(champion_reason="No version holds the alias yet."))
    assert none.status == "skip"  # does not apply: there is nothing to compare with


def test_a_one_class_target_says_so():
    ctx = _ctx()
    ctx.holdout = dataclasses.replace(ctx.holdout, y=pd.Series(np.zeros(len(ctx.holdout.X))))
    r = _run("performance.baseline", ctx)
    assert r.status == "error" and "has one class" in r.summary and "stratify" in r.remedy


def test_a_threshold_the_model_cannot_compute_is_an_error_not_ignored():
    policy = policy_from_dict({"thresholds": {"classification": {"log_loss": 0.5}}})
    r = _run("performance.thresholds", _ctx(policy, has_proba=False))
    assert r.status == "error" and "log_loss" in r.summary and "predict_proba" in r.remedy


def test_a_champion_that_does_not_load_is_an_error():
    ctx = _ctx(champion_uri="models:/m/1", champion_error="it could not be loaded: ImportError: x")
    r = _run("performance.champion", ctx)
    assert r.status == "error" and "models:/m/1" in r.summary and "ImportError" in r.summary


def test_a_champion_sharing_no_metric_is_an_error():
    class Labels:  # a champion without probabilities, labelled differently: nothing in common
        classes_ = np.array([0, 1])

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    ctx = _ctx(champion=ModelAdapter(Labels(), "frame", "sklearn", None, False))
    ctx.champion_uri = "models:/m/1"
    r = _run("performance.champion", ctx)
    assert r.status == "error" and "no metric in common" in r.summary, r.summary


def test_a_holdout_without_rows_is_an_error_for_latency():
    ctx = _ctx()
    ctx.holdout = dataclasses.replace(ctx.holdout, X=ctx.holdout.X.iloc[:0], y=ctx.holdout.y[:0])
    r = _run("latency", ctx)
    assert r.status == "error" and "no rows" in r.summary


@pytest.mark.parametrize(
    "thresholds, named",
    [
        ({"classification": {"f1": 0.5}}, "f1"),
        ({"classification": {"auc": 0.7}}, "auc"),
        ({"regression": {"mape": 0.1}}, "mape"),
        ({"ranking": {"ndcg": 0.5}}, "ranking"),
    ],
)
def test_unknown_metrics_and_tasks_are_refused_when_the_policy_loads(thresholds, named):
    with pytest.raises(PolicyError, match=named) as info:
        policy_from_dict({"thresholds": thresholds})
    assert "Known:" in str(info.value) or "known:" in str(info.value)


def test_checks_not_run_because_a_stage_failed_are_errors():
    from jupyter_mlready.stages.gate import gate

    decided = gate(None, None, None, Policy(), {"stage": "discover", "type": "DiscoveryError"})
    assert decided.verdict == "error"
    assert decided.results and {r.status for r in decided.results} == {"error"}


def test_an_explicit_roc_auc_threshold_is_never_replaced_by_a_weaker_one():
    """Only the default bound falls back to balanced_accuracy for a model without
    predict_proba; a roc_auc the policy asks for itself makes the check an error."""
    default = _run("performance.thresholds", _ctx(has_proba=False))
    assert default.status in ("pass", "fail") and default.evidence["thresholds"][0]["metric"] == (
        "balanced_accuracy"
    )
    asked = policy_from_dict({"thresholds": {"classification": {"roc_auc": 0.7}}})
    r = _run("performance.thresholds", _ctx(asked, has_proba=False))
    assert r.status == "error" and "roc_auc" in r.summary


def test_the_gate_loads_the_object_inside_our_pyfunc_wrapper_with_its_predict_proba(tmp_path):
    import mlflow

    from jupyter_mlready.registry.pyfunc_wrapper import PredictWrapper
    from jupyter_mlready.validation.kernel_api import load_artifact_model

    mlflow.pyfunc.save_model(str(tmp_path / "m"), python_model=PredictWrapper(_Model()))
    model, loader, flavors = load_artifact_model(str(tmp_path / "m"))
    assert "unwrap_python_model" in loader and flavors == ["python_function"]
    assert callable(getattr(model, "predict_proba", None))
    X = make_data()[1]
    assert np.allclose(model.predict_proba(X), _Model().predict_proba(X))
