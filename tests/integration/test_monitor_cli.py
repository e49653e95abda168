"""``mlready monitor`` end to end against a live ``mlflow server``: the claims example is checked
and registered once, its project folder is deleted (the notebook, its data, its outputs), and
live batches are then checked from the registry alone — the CLI's exit codes, monitor.json and
the reports, one MLflow run per batch, ``--history``, the trust model, and ``%mlready monitor``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MLREADY = str(Path(sys.executable).with_name("mlready"))
NAME = "claims_monitor"


def _mlready(*args, url: str, cwd: Path, timeout=300) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": url}
    return subprocess.run(
        [MLREADY, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def _valid(doc: dict) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "jupyter_mlready" / "schema" / "monitor.schema.json").read_text())
    Draft202012Validator(schema).validate(doc)


@pytest.fixture(scope="module")
def registered(mlflow_server, tmp_path_factory):
    """The claims model registered on the server; the project that produced it is gone. Returns
    a working folder whose mlready.toml trusts the server (a team's policy names it once)."""
    project = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "examples" / "claims_fraud.ipynb", project)
    (project / "mlready.toml").write_text(f"trusted_registries = [{mlflow_server.url!r}]\n")
    proc = _mlready(
        "check", "claims_fraud.ipynb", "--name", NAME, url=mlflow_server.url, cwd=project
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shutil.rmtree(project)  # the notebook, its outputs and its local store: all gone
    ops = tmp_path_factory.mktemp("ops")
    (ops / "mlready.toml").write_text(f"trusted_registries = [{mlflow_server.url!r}]\n")
    batches = ops / "batches"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "claims_batches.py"), str(batches)],
        check=True,
        capture_output=True,
    )
    small = pd.read_parquet(batches / "week_01.parquet").head(100)
    small.to_parquet(batches / "week_01_100_rows.parquet")
    return ops


def test_a_clean_batch_is_ok_and_logged_as_a_run(registered, mlflow_server):
    proc = _mlready(
        "monitor",
        f"models:/{NAME}@ready",
        "batches/week_01_100_rows.parquet",
        "--out",
        "clean",
        url=mlflow_server.url,
        cwd=registered,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((registered / "clean" / "monitor.json").read_text())
    assert doc["verdict"] == "ok" and doc["kind"] == "monitor"
    assert doc["model"]["version"] == "1" and doc["data"]["batch"]["rows"] == 100
    assert doc["data"]["batch"]["target"] == "is_fraud"  # named like the training target
    assert {c["id"] for c in doc["checks"]} == {
        "monitor.contract",
        "monitor.drift",
        "monitor.predictions",
        "monitor.performance",
    }
    assert doc["scoring"]["rows_scored"] == 100 and doc["scoring"]["seconds"] > 0
    _valid(doc)
    assert (registered / "clean" / "report.html").exists()
    # the run: under the model's experiment, its metrics charted per column, the key map
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server.url)
    run = client.get_run(doc["monitor_run"]["run_id"])
    version = client.get_model_version(NAME, "1")
    assert run.info.experiment_id == client.get_run(version.run_id).info.experiment_id
    assert run.data.tags["mlready.monitor.verdict"] == "ok"
    assert run.data.metrics["violation_rate.customer_age"] == 0.0
    assert "drift_psi.days_to_report" in run.data.metrics
    keys = json.loads(
        Path(client.download_artifacts(run.info.run_id, "metric_keys.json")).read_text()
    )
    assert keys["drift_psi.days_to_report"]["column"] == "days_to_report"


def test_a_broken_feed_alerts_naming_the_three_columns(registered, mlflow_server):
    proc = _mlready(
        "monitor",
        f"models:/{NAME}/1",
        "batches/week_02_broken_feed.parquet",
        "--out",
        "broken",
        url=mlflow_server.url,
        cwd=registered,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for column in ("days_to_report", "customer_age", "claim_amount"):
        assert column in proc.stdout
    doc = json.loads((registered / "broken" / "monitor.json").read_text())
    assert doc["verdict"] == "alert"
    _valid(doc)
    failing = {c["id"] for c in doc["checks"] if c["status"] == "fail"}
    assert {"monitor.contract", "monitor.drift", "monitor.predictions"} <= failing
    assert "🚨" in (registered / "broken" / "summary.md").read_text()


def test_history_lists_the_batches_newest_first(registered, mlflow_server):
    proc = _mlready("monitor", "--history", NAME, url=mlflow_server.url, cwd=registered)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("started (UTC)")
    rows = lines[2:]
    assert len(rows) >= 2
    assert "alert" in rows[0] and "week_02_broken_feed" in rows[0]  # the newest first
    assert any("ok" in r and "week_01_100_rows" in r for r in rows[1:])


def test_pickle_models_load_only_from_a_trusted_registry(registered, mlflow_server, tmp_path):
    batch = registered / "batches" / "week_01_100_rows.parquet"
    refused = _mlready(
        "monitor", f"models:/{NAME}/1", str(batch), "--no-log", url=mlflow_server.url, cwd=tmp_path
    )
    assert refused.returncode == 2
    assert "pickle" in refused.stdout + refused.stderr
    allowed = _mlready(
        "monitor",
        f"models:/{NAME}/1",
        str(batch),
        "--no-log",
        "--allow-pickle",
        url=mlflow_server.url,
        cwd=tmp_path,
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_the_magic_monitors_a_dataframe(registered, mlflow_server, monkeypatch):
    from jupyter_mlready.magics import run_magic

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    monkeypatch.chdir(registered)
    frame = pd.read_parquet(registered / "batches" / "week_01.parquet")

    class Shell:  # plain IPython: no kernel, no widget
        user_ns = {"todays_claims": frame}

    result = run_magic(Shell(), f"monitor models:/{NAME}@ready todays_claims --out magic --no-log")
    assert result.verdict == "ok" and result.exit_code == 0
    assert result.data["data"]["batch"]["source"] == "todays_claims"
    assert (registered / "magic" / "monitor.json").exists()
