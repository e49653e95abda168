"""The performance checks on a Spark hold-out, in process: the model (and a champion) score every
hold-out row on Spark, the metrics are exact (sklearn's on the whole hold-out, not the sample's)
with their intervals, a threshold out of reach fails on them, and a worse candidate fails against
the champion with the exact difference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

FEATURES = ["amount", "policy_years", "channel"]


def _claims(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 400.0, n).round(2),
            "policy_years": rng.integers(0, 30, n),
            "channel": rng.choice(["agent", "online", "phone"], n),
        }
    )
    df["fraud"] = (rng.random(n) < 1 / (1 + np.exp(2.2 - df["amount"] / 900))).astype(int)
    return df


def _fit(train, max_iter: int):
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    return make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["channel"]), remainder="passthrough"
        ),
        HistGradientBoostingClassifier(max_iter=max_iter, random_state=0),
    ).fit(train[FEATURES], train["fraud"])


def _context(spark, tmp_path, model, champion, hold, train, policy=None):
    from jupyter_mlready.checks.registry import CheckContext
    from jupyter_mlready.model import ModelAdapter
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.spark.inputs import attach_spark, sampled_namespace
    from jupyter_mlready.stages.discover import discover

    policy = policy or Policy(spark_sample_rows=800)
    ns, found = sampled_namespace(
        {
            "model": model,
            "train_sdf": spark.createDataFrame(train),
            "test_sdf": spark.createDataFrame(hold),
        },
        set(),
        out=tmp_path,
        staging_dir=None,
        sample_rows=policy.spark_sample_rows,
        seed=policy.seed,
    )
    subject = attach_spark(discover(ns), found, policy.seed)
    return CheckContext(
        model=subject.model,
        task=subject.task,
        train=subject.train,
        holdout=subject.holdout,
        contract=None,
        policy=policy,
        where="validation",
        champion=ModelAdapter.wrap(champion, "classification") if champion is not None else None,
        champion_uri="models:/claims/1" if champion is not None else None,
    )


def test_a_worse_candidate_fails_against_the_champion_on_every_spark_row(spark, tmp_path):
    from sklearn.metrics import roc_auc_score

    from jupyter_mlready.checks.registry import load_checks, run_check

    train, hold = _claims(6000, 11), _claims(4000, 12)
    champion, weak = _fit(train, 60), _fit(train, 1)  # one boosting round: a much worse model
    ctx = _context(spark, tmp_path, weak, champion, hold, train)
    checks = {s.id: s for s in load_checks()}
    result = run_check(checks["performance.champion"], ctx)
    rows = {r["metric"]: r for r in result.evidence["comparisons"]}
    auc = {
        name: roc_auc_score(hold["fraud"], m.predict_proba(hold[FEATURES])[:, 1])
        for name, m in (("candidate", weak), ("champion", champion))
    }
    assert rows["roc_auc"]["candidate"] == pytest.approx(auc["candidate"], abs=1e-9)
    assert rows["roc_auc"]["champion"] == pytest.approx(auc["champion"], abs=1e-9)
    assert rows["roc_auc"]["change"] == pytest.approx(auc["candidate"] - auc["champion"], abs=1e-9)
    assert result.evidence["engine"]["rows"] == 4000
    assert "sample" in rows["roc_auc"]["interval"]["method"]
    assert result.status == "fail", result.summary
    assert "spark_sample" not in result.evidence
    # the candidate against itself: within the allowed regression, on the same exact rows
    itself = dataclasses.replace(ctx, champion=ctx.model, cache={})
    same = run_check(checks["performance.champion"], itself)
    assert same.status == "pass", same.summary
    assert {r["change"] for r in same.evidence["comparisons"]} == {0.0}


def test_thresholds_and_the_baseline_read_every_spark_row(spark, tmp_path):
    from sklearn.metrics import average_precision_score, roc_auc_score

    from jupyter_mlready.checks.registry import load_checks, run_check
    from jupyter_mlready.policy import Policy, policy_from_dict

    train, hold = _claims(6000, 1), _claims(2150, 2)
    model = _fit(train, 30)
    values = {**Policy().to_dict(), "spark_sample_rows": 1000}
    values["thresholds"] = {"classification": {"roc_auc": 0.99}}  # out of this model's reach
    policy = policy_from_dict(values, "test")
    ctx = _context(spark, tmp_path, model, None, hold, train, policy)
    checks = {s.id: s for s in load_checks()}
    thresholds = run_check(checks["performance.thresholds"], ctx)
    proba = model.predict_proba(hold[FEATURES])[:, 1]
    full_auc = roc_auc_score(hold["fraud"], proba)
    evidence = thresholds.evidence
    assert evidence["engine"]["rows"] == 2150 and "spark_sample" not in evidence
    assert evidence["model_metrics"]["roc_auc"] == pytest.approx(full_auc, abs=1e-9)
    auc = evidence["metrics"]["roc_auc"]
    assert auc["n"] == 2150 and auc["low"] < full_auc < auc["high"]
    assert thresholds.status == "fail" and f"roc_auc {full_auc:.4g}" in thresholds.summary
    baseline = run_check(checks["performance.baseline"], ctx)
    rows = {r["metric"]: r for r in baseline.evidence["comparisons"]}
    assert rows["roc_auc"]["improvement"] == pytest.approx(full_auc - 0.5, abs=1e-9)
    assert rows["roc_auc"]["low"] == pytest.approx(auc["low"] - 0.5, abs=1e-9)
    gain = average_precision_score(hold["fraud"], proba) - hold["fraud"].mean()
    assert rows["average_precision"]["improvement"] == pytest.approx(gain, abs=1e-9)
    assert "sample" in rows["average_precision"]["interval"]["method"]
    # the two checks shared one scoring of the hold-out
    assert baseline.evidence["engine"]["computation"] == evidence["engine"]["computation"]
