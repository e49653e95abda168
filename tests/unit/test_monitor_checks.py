"""``mlready monitor``'s checks in-process, on the claims example's model: a clean batch raises no
alert at 100 rows or at 1M rows; each kind of broken feed is named by the check that should name
it; a model that cannot score the batch, or crashes on it, is an alert."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from jupyter_mlready.checks import CheckContext, load_checks, run_checks
from jupyter_mlready.contract import infer_contract
from jupyter_mlready.policy import Policy
from jupyter_mlready.profile import build_profile
from jupyter_mlready.records import Dataset
from jupyter_mlready.stages.discover import discover

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _batches():
    spec = importlib.util.spec_from_file_location("claims_batches", EXAMPLES / "claims_batches.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


batches = _batches()
NUMERIC = ["claim_amount", "policy_tenure_years", "customer_age", "prior_claims", "days_to_report"]
CATEGORICAL = ["vehicle_type", "region", "incident_type"]


@pytest.fixture(scope="module")
def subject():
    data = batches.claims(8_000, 1)
    X, y = data.drop(columns=["is_fraud"]), data["is_fraud"]
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    model = make_pipeline(prep, LogisticRegression(max_iter=500)).fit(X[:6000], y[:6000])
    return discover(
        {
            "model": model,
            "X_train": X[:6000],
            "y_train": y[:6000],
            "X_test": X[6000:],
            "y_test": y[6000:],
        }
    )


def monitor_checks(
    subject,
    batch: pd.DataFrame,
    target: str | None = "is_fraud",
    policy=None,
    holdout_metrics: dict | None = None,
):
    """The monitor checks on ``batch``, as ``mlready monitor`` builds their context: the
    contract, the training profile, the hold-out's predictions and (optionally) the gate's
    hold-out metrics; no training rows."""
    policy = policy or Policy()
    contract = infer_contract(subject, policy)
    hold = subject.holdout
    reference = {
        "predict": np.asarray(subject.model.predict(hold.X)),
        "predict_proba": np.asarray(subject.model.predict_proba(hold.X)),
    }
    features = [c.name for c in contract.columns]
    live = Dataset(
        batch[[c for c in features if c in batch.columns]],
        batch[target] if target and target in batch.columns else None,
        "batch",
        target,
    )
    ctx = CheckContext(
        model=subject.model,
        task=subject.task,
        train=None,
        holdout=None,
        contract=contract,
        policy=policy,
        where="monitor",
        reference_predictions=reference,
        reference_profile=build_profile(subject.train.X, policy.seed),
        live_batch=live,
        reference_metrics=holdout_metrics,
    )
    return {r.id: r for r in run_checks(ctx, load_checks(where=("monitor",)))}


def test_the_monitor_checks_are_not_the_gates():
    gate = {s.id for s in load_checks()}
    monitor = {s.id for s in load_checks(where=("monitor",))}
    assert monitor == {
        "monitor.contract",
        "monitor.drift",
        "monitor.predictions",
        "monitor.performance",
    }
    assert not gate & monitor


@pytest.mark.parametrize("rows", [100, 1_000_000])
def test_a_clean_batch_raises_no_alert_at_any_size(subject, rows):
    results = monitor_checks(subject, batches.claims(rows, 77))
    assert not [r for r in results.values() if r.status in ("fail", "error")], {
        k: (r.status, r.summary) for k, r in results.items()
    }
    assert results["monitor.predictions"].evidence["scoring"]["rows_scored"] == rows
    assert results["monitor.performance"].status in ("pass", "warn")


def test_a_broken_feed_names_each_column_with_the_check_that_sees_it(subject):
    broken = batches.broken_feed(batches.claims(5_000, 78))
    results = monitor_checks(subject, broken)
    contract, drift = results["monitor.contract"], results["monitor.drift"]
    assert contract.status == "fail" and drift.status == "fail"
    assert "'customer_age' arrives as text" in contract.summary
    assert "'claim_amount'" in contract.summary and "null_rate_above_training" in contract.summary
    assert "'days_to_report'" in drift.summary
    assert "'claim_amount'" in drift.summary and "missing 4% → 4" in drift.summary
    # a column of the wrong type cannot be fed to the model: an alert naming it, not an error
    predictions = results["monitor.predictions"]
    assert predictions.status == "fail" and "customer_age" in predictions.summary
    assert results["monitor.performance"].status == "fail"


def test_each_failure_alone_alerts(subject):
    clean = batches.claims(5_000, 79)
    shifted = clean.assign(days_to_report=clean["days_to_report"] + 40)
    as_text = clean.assign(prior_claims=clean["prior_claims"].astype(str))
    quiet = clean.copy()
    quiet.loc[quiet.index[::5], "region"] = None  # never missing in training
    assert monitor_checks(subject, shifted)["monitor.drift"].status == "fail"
    assert (
        "'prior_claims' arrives as text"
        in monitor_checks(subject, as_text)["monitor.contract"].summary
    )
    found = monitor_checks(subject, quiet)["monitor.contract"]
    assert found.status == "fail" and "'region'" in found.summary


def test_a_missing_column_is_an_alert_that_names_it(subject):
    batch = batches.claims(500, 80).drop(columns=["region"])
    results = monitor_checks(subject, batch)
    assert results["monitor.contract"].status == "fail"
    assert "missing column(s): 'region'" in results["monitor.contract"].summary
    assert results["monitor.predictions"].status == "fail"
    assert "region" in results["monitor.predictions"].summary


class _Crashes:
    """A model that answers the hold-out (2,000 rows) and crashes on larger batches, valid or
    not (a fixed-size buffer in its scoring code)."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def predict(self, X):
        if len(X) > 2_500:
            raise ValueError("lookup table has no entry beyond 2500 rows")
        return self.inner.predict(X)


def test_a_model_crashing_on_valid_rows_is_an_alert(subject):
    crashing = replace(subject.model, model=_Crashes(subject.model.model))
    batch = batches.claims(5_000, 81)
    results = monitor_checks(replace(subject, model=crashing), batch)
    found = results["monitor.predictions"]
    assert found.status == "fail"
    assert "crashed" in found.summary and "lookup table" in found.summary


def test_prediction_drift_is_seen_without_input_drift_in_any_one_column(subject):
    # every claim reported late and with prior claims: each column within its range, but the
    # model's fraud scores move up sharply
    batch = batches.claims(5_000, 82)
    batch["days_to_report"] = np.random.default_rng(0).integers(50, 60, len(batch))
    batch["prior_claims"] = 3
    found = monitor_checks(subject, batch)["monitor.predictions"]
    assert found.status == "fail" and "P(1)" in found.summary


def test_performance_alerts_on_labels_the_model_gets_wrong(subject):
    batch = batches.claims(5_000, 83)
    batch["is_fraud"] = 1 - batch["is_fraud"]  # labels inverted: roc_auc far below the bound
    found = monitor_checks(subject, batch)["monitor.performance"]
    assert found.status == "fail" and "roc_auc" in found.summary
    assert found.evidence["labelled_rows"] == 5_000


def test_performance_does_not_apply_without_a_target(subject):
    found = monitor_checks(subject, batches.claims(500, 84), target=None)["monitor.performance"]
    assert found.status == "skip" and "target" in found.summary


def test_performance_is_compared_with_the_holdout(subject):
    # the batch's roc_auc clears the policy's bound (0.65) but its interval lies below the
    # hold-out's: a warning, not an alert
    holdout = {"roc_auc": {"value": 0.95, "low": 0.94, "high": 0.96}}
    batch = batches.claims(20_000, 85)
    found = monitor_checks(subject, batch, holdout_metrics=holdout)["monitor.performance"]
    row = next(r for r in found.evidence["metrics"] if r["metric"] == "roc_auc")
    assert row["decision"] == "met" and row["holdout"] == 0.95
    assert row["worse_than_holdout"] is True
    assert found.status == "warn" and "Worse than on the hold-out" in found.summary
    # against a hold-out it matches, the same batch passes
    same = {"roc_auc": {"value": row["value"], "low": row["low"], "high": row["high"]}}
    again = monitor_checks(subject, batch, holdout_metrics=same)["monitor.performance"]
    assert again.status == "pass"
