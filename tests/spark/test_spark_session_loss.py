"""A Spark session that is dead before the check, or dies during it: the run is an ``error``
that names the cause, never a pass and never a verdict on data it could not read."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import start_local_session


def _fitted_frames(spark):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["label"] = (df["a"] + 0.5 * rng.normal(size=n) > 0).astype(int)
    model = LogisticRegression().fit(df[["a", "b"]].iloc[:2000], df["label"].iloc[:2000])
    return {
        "model": model,
        "train_sdf": spark.createDataFrame(df.iloc[:2000]),
        "test_sdf": spark.createDataFrame(df.iloc[2000:]),
    }


def _options(tmp_path):
    from jupyter_mlready.pipeline import CheckOptions

    return CheckOptions(out=str(tmp_path / "out"), hand_off=False)


def test_a_dead_session_is_an_error_naming_it(tmp_path):
    from jupyter_mlready.pipeline import check_namespace

    spark = start_local_session()
    ns = _fitted_frames(spark)
    spark.stop()
    doc = check_namespace(ns, _options(tmp_path)).data
    assert doc["verdict"] == "error"
    assert doc["error"]["stage"] == "discover"
    assert doc["error"]["type"] == "SparkError"
    assert "cannot run a job" in doc["error"]["message"]
    assert "Start the SparkSession again" in doc["error"]["remedy"]


def test_a_session_that_dies_mid_check_makes_its_checks_errors(tmp_path):
    from jupyter_mlready.pipeline import check_namespace

    spark = start_local_session()
    ns = _fitted_frames(spark)
    stopped: list[str] = []

    def progress(stage: str, step: str, fraction: float) -> None:
        if stage == "checks" and not stopped:  # after discovery staged and sampled the frames
            spark.stop()
            stopped.append(step)

    doc = check_namespace(ns, _options(tmp_path), progress).data
    assert stopped, "the checks stage never started"
    checks = {c["id"]: c for c in doc["checks"]}
    assert doc["verdict"] == "error"
    # every check that reads the whole Spark input could not, and says why
    for check_id in ("contract.holdout", "leakage.overlap", "performance.thresholds"):
        c = checks[check_id]
        assert c["status"] == "error", (check_id, c["status"], c["summary"])
        assert c["summary"].startswith("Spark failed during the check"), c["summary"]
        assert "start it again" in c["remedy"]
    assert not any(
        c["status"] == "pass" and "engine" in (c.get("evidence") or {}) for c in checks.values()
    )
