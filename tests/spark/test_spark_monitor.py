"""``mlready monitor`` on Spark: a version registered in a SQLite store in tmp_path, then live
batches read with Spark (a parquet folder with ``engine="spark"``, a catalog table
``spark:NAME``, a Spark DataFrame) and checked on Spark over every row: exact counts, drift from
the stored profile, every row scored, the metrics exact."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_artifact_store import FRESH_RERUN, POLICY, namespace  # noqa: E402


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    """The credit model checked and registered once; returns (folder, tracking URI)."""
    from jupyter_mlready.pipeline import CheckOptions, check_namespace

    tmp = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{tmp}/store/mlruns.db"
    (tmp / "policy.toml").write_text(POLICY)
    mp = pytest.MonkeyPatch()
    mp.setenv("MLFLOW_TRACKING_URI", uri)
    opts = CheckOptions(
        rerun=FRESH_RERUN,
        out=str(tmp / "out"),
        policy_file=str(tmp / "policy.toml"),
        name="credit",
    )
    result = check_namespace(namespace(0), opts)
    assert result.data["verdict"] == "ready", result.summary_text()
    yield tmp, uri
    mp.undo()


def _batch(n: int, seed: int, *, broken: bool) -> pd.DataFrame:
    ns = namespace(seed, n=2 * n)
    X, y = ns["X_test"].reset_index(drop=True), ns["y_test"].reset_index(drop=True)
    frame = X.assign(label=y)
    if broken:
        frame.loc[:699, "age"] = np.nan  # a feed gone quiet: 700 missing ages
        frame["income"] = frame["income"] + 25.0  # and a shifted column
    return frame


def _checks(doc: dict) -> dict:
    return {c["id"]: c for c in doc["checks"]}


def test_a_broken_parquet_batch_alerts_with_exact_counts(spark, registered, tmp_path):
    from jupyter_mlready.monitor import monitor

    folder, uri = registered
    batch = _batch(3000, 7, broken=True)
    path = tmp_path / "week_07"
    spark.createDataFrame(batch).repartition(3).write.parquet(str(path))
    result = monitor(
        "models:/credit/1",
        str(path),
        out=tmp_path / "out",
        policy_file=str(folder / "policy.toml"),
        tracking_uri=uri,
        engine="spark",
        log_run=False,
    )
    doc = result.data
    assert doc["verdict"] == "alert", result.summary_text()
    assert doc["data"]["batch"]["rows"] == 3000 and doc["data"]["batch"]["engine"] == "spark"
    assert doc["data"]["batch"]["reference"]["kind"] == "files"
    checks = _checks(doc)
    contract = checks["monitor.contract"]
    assert contract["status"] == "fail" and contract["evidence"]["rows"] == 3000
    assert contract["evidence"]["engine"]["name"] == "spark"
    age = [f for f in contract["evidence"]["failures"] if f["column"] == "age"]
    assert age and age[0]["rows"] == 700
    drift = checks["monitor.drift"]
    assert drift["status"] == "fail" and "'income'" in drift["summary"]
    assert drift["evidence"]["batch_rows"] == 3000
    assert drift["evidence"]["engine"]["rows"] == 3000 and drift["evidence"]["engine"]["jobs"] == 1
    by_feature = {r["feature"]: r for r in drift["evidence"]["features"]}
    assert by_feature["age"]["null_share_holdout"] == round(700 / 3000, 5)
    predictions = checks["monitor.predictions"]
    assert predictions["status"] in ("pass", "warn", "fail")
    assert predictions["evidence"]["scoring"]["rows_scored"] == 3000
    assert predictions["evidence"]["engine"]["rows"] == 3000
    performance = checks["monitor.performance"]
    assert performance["status"] != "error", performance["summary"]
    assert performance["evidence"]["labelled_rows"] == 3000


def test_a_clean_table_and_a_notebook_frame_are_ok(spark, registered, tmp_path):
    from jupyter_mlready.monitor import monitor

    folder, uri = registered
    batch = _batch(2000, 3, broken=False)
    spark.createDataFrame(batch).write.saveAsTable("credit_week_03")
    common = dict(policy_file=str(folder / "policy.toml"), tracking_uri=uri, log_run=False)
    table = monitor("models:/credit/1", "spark:credit_week_03", out=tmp_path / "t", **common)
    doc = table.data
    checks = _checks(doc)
    # the same population: no alert (a few rows just outside the training range may warn)
    assert doc["verdict"] == "ok", table.summary_text()
    assert checks["monitor.drift"]["status"] == "pass"
    assert checks["monitor.performance"]["evidence"]["labelled_rows"] == 2000
    # an in-memory catalog's table (no Hive here) is recorded by its files, readable elsewhere
    assert doc["data"]["batch"]["reference"]["kind"] == "files"
    assert "credit_week_03" in doc["data"]["batch"]["reference"]["location"]
    assert checks["monitor.drift"]["evidence"]["batch_rows"] == 2000
    # a frame built in the notebook: staged once, checked the same way
    frame = spark.table("credit_week_03").where("age >= 18")
    built = monitor("models:/credit/1", frame, out=tmp_path / "f", **common)
    assert built.data["verdict"] == "ok", built.summary_text()
    assert built.data["data"]["batch"]["reference"]["kind"] == "staged"
    assert _checks(built.data)["monitor.contract"]["evidence"]["rows"] == 2000
