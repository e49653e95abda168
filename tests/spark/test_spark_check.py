"""A Spark notebook end to end: `mlready check` re-runs it in a fresh kernel (real papermill),
the checks read the Spark frames, the validation kernel starts its own Spark session from the
notebook's settings and reads the recorded references; and the same flow in process with part
of the hold-out copied from training (the exact count) and a contract violation (exact counts).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _statuses(doc: dict) -> dict:
    return {c["id"]: c for c in doc["checks"]}


def _check_notebook(tmp_path, copy_rows: int = 0) -> tuple[int, dict, str]:
    """``mlready check`` (a fresh kernel, real papermill) of the Spark fixture, with
    ``copy_rows`` hold-out rows copied from training; (exit code, readiness.json, output)."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    nb = nbformat.read(str(NOTEBOOKS / "spark_clean.ipynb"), as_version=4)
    if copy_rows:
        for cell in nb.cells:  # papermill reads every cell's tags
            cell.metadata.setdefault("tags", [])
        nb.metadata.setdefault("papermill", {})
        nb = parameterize_notebook(nb, {"copy_rows": copy_rows})
    path = tmp_path / "spark_claims.ipynb"
    nbformat.write(nb, str(path))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter_mlready", "check", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    doc = json.loads((out / "readiness.json").read_text())
    return proc.returncode, doc, (proc.stdout + proc.stderr)[-3000:]


def test_a_clean_spark_notebook_is_ready(tmp_path):
    code, doc, output = _check_notebook(tmp_path)
    assert code == 0, output
    assert doc["verdict"] == "ready", [
        (c["id"], c["status"], c["summary"]) for c in doc["checks"] if c["status"] != "pass"
    ]
    hold = doc["data"]["holdout"]
    assert hold["engine"] == "spark" and hold["reference"]["kind"] == "staged"
    assert hold["rows"] == hold["reference"]["rows"] > 2500
    checks = _statuses(doc)
    # the gate's exact checks ran on Spark in the validation kernel, over every row
    assert checks["leakage.overlap"]["evidence"]["engine"]["name"] == "spark"
    assert checks["leakage.overlap"]["evidence"]["holdout_rows"] == hold["rows"]
    assert checks["contract.holdout"]["evidence"]["rows"] == hold["rows"]
    assert checks["contract.holdout"]["evidence"]["engine"]["jobs"] == 1
    assert doc["discovery"]["frames"]["library"] == "spark"


def test_hold_out_rows_copied_from_training_make_it_not_ready_with_the_exact_count(tmp_path):
    code, doc, output = _check_notebook(tmp_path, copy_rows=300)
    checks = _statuses(doc)
    assert code == 1 and doc["verdict"] == "not_ready", output
    overlap = checks["leakage.overlap"]
    assert overlap["status"] == "fail", overlap["summary"]
    # the count, from the very rows the checks read (the staged parquet), by pandas
    staged = {
        role: pd.read_parquet(doc["data"][role]["reference"]["location"].removeprefix("file:"))
        for role in ("train", "holdout")
    }
    features = [c for c in staged["train"].columns if c != "fraud"]
    train_rows = staged["train"][features].drop_duplicates()
    expected = len(staged["holdout"][features].merge(train_rows))
    assert expected >= 300
    assert overlap["evidence"]["rows_also_in_train"] == expected
    assert overlap["evidence"]["holdout_rows"] == len(staged["holdout"])
    assert doc["spark"]["checks"]["leakage.overlap"]["rows"] == len(staged["holdout"])


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


def test_copied_rows_and_contract_violations_are_counted_exactly(spark, tmp_path):
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from jupyter_mlready.pipeline import CheckOptions, check_namespace

    train = _claims(6000, 1)
    hold = _claims(2000, 2)
    hold.loc[:29, "amount"] = -50.0  # 30 rows below the contract's range
    hold = pd.concat([hold, train.iloc[:150]], ignore_index=True)  # 150 copied rows
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["channel"]), remainder="passthrough"
        ),
        HistGradientBoostingClassifier(max_iter=30, random_state=0),
    )
    model.fit(train.drop(columns="fraud"), train["fraud"])
    ns = {
        "model": model,
        "train_sdf": spark.createDataFrame(train),
        "test_sdf": spark.createDataFrame(hold),
    }
    policy = tmp_path / "mlready.toml"
    # the sampled checks read 1,000 rows; the AUC bound is out of this model's reach
    policy.write_text("spark_sample_rows = 1000\n[thresholds.classification]\nroc_auc = 0.99\n")
    readiness = check_namespace(
        ns, CheckOptions(out=str(tmp_path / "out"), hand_off=False, policy_file=str(policy))
    )
    doc = readiness.data
    checks = _statuses(doc)
    # in process there is no fresh re-run (reproducibility.rerun says so, the verdict is error);
    # every other check decided
    undecided = {i for i, c in checks.items() if c["status"] == "error"}
    assert undecided == {"reproducibility.rerun"}, [checks[i]["summary"] for i in undecided]
    overlap = checks["leakage.overlap"]
    assert overlap["status"] == "fail"
    features = ["amount", "policy_years", "channel"]
    expected = len(hold[features].merge(train[features].drop_duplicates()))
    assert expected >= 150  # the copies, and any row equal by chance
    assert overlap["evidence"]["rows_also_in_train"] == expected
    assert overlap["evidence"]["holdout_rows"] == 2150
    assert overlap["evidence"]["engine"]["exact"] is True
    contract = checks["contract.holdout"]
    amount = [f for f in contract["evidence"]["failures"] if f["column"] == "amount"]
    assert amount and amount[0]["rows"] == 30 and contract["evidence"]["rows"] == 2150
    # a check reading the sample says so
    latency = checks["latency"]
    assert latency["evidence"]["spark_sample"]["holdout"] == {"rows": 1000, "of": 2150, "seed": 0}
    assert "seeded sample of 1,000 of 2,150 rows" in latency["summary"]
    assert doc["data"]["holdout"]["sample"] == {"rows": 1000, "seed": 0}
    # the performance checks scored every hold-out row on Spark: the metrics are sklearn's on
    # the whole hold-out, not the sample's
    from sklearn.metrics import average_precision_score, roc_auc_score

    proba = model.predict_proba(hold[features])[:, 1]
    full_auc = roc_auc_score(hold["fraud"], proba)
    thresholds = checks["performance.thresholds"]
    assert thresholds["evidence"]["engine"]["rows"] == 2150
    assert "spark_sample" not in thresholds["evidence"]
    assert thresholds["evidence"]["model_metrics"]["roc_auc"] == pytest.approx(full_auc, abs=1e-9)
    auc = thresholds["evidence"]["metrics"]["roc_auc"]
    assert auc["n"] == 2150 and auc["low"] < full_auc < auc["high"]
    assert thresholds["status"] == "fail" and f"roc_auc {full_auc:.4g}" in thresholds["summary"]
    baseline = {r["metric"]: r for r in checks["performance.baseline"]["evidence"]["comparisons"]}
    assert baseline["roc_auc"]["improvement"] == pytest.approx(full_auc - 0.5, abs=1e-9)
    assert baseline["roc_auc"]["low"] == pytest.approx(auc["low"] - 0.5, abs=1e-9)
    gain = average_precision_score(hold["fraud"], proba) - hold["fraud"].mean()
    assert baseline["average_precision"]["improvement"] == pytest.approx(gain, abs=1e-9)
    assert "sample" in baseline["average_precision"]["interval"]["method"]
    # readiness.json says what ran on Spark over every row, and what read the sample
    record = doc["spark"]
    assert record["inputs"]["holdout"] == {
        "rows": 2150,
        "reference": "staged",
        "sample": {"rows": 1000, "seed": 0},
    }
    assert record["checks"]["contract.holdout"]["on"] == "spark"
    assert record["checks"]["performance.thresholds"]["rows"] == 2150
    assert record["checks"]["latency"] == {
        "on": "sample",
        "status": latency["status"],
        "sample": 1000,
        "of": 2150,
        "seed": 0,
    }
    assert record["all_rows"] is True and record["jobs"] >= 3
