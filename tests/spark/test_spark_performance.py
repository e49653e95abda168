"""The performance checks on a Spark hold-out, in process: the candidate and the champion both
score every hold-out row on Spark, their metrics are exact (sklearn's on the whole hold-out),
and a worse candidate fails against the champion with the exact difference."""

from __future__ import annotations

import dataclasses

import pytest
from test_spark_check import _claims

FEATURES = ["amount", "policy_years", "channel"]


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


def _context(spark, tmp_path, model, champion, hold, train):
    from jupyter_mlready.checks.registry import CheckContext
    from jupyter_mlready.model import ModelAdapter
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.spark.inputs import attach_spark, sampled_namespace
    from jupyter_mlready.stages.discover import discover

    policy = Policy(spark_sample_rows=800)
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
        champion=ModelAdapter.wrap(champion, "classification"),
        champion_uri="models:/claims/1",
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
