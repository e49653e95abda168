"""A real ``mlflow models serve`` (MLflow's scoring server under uvicorn) on a guarded sklearn
model: start, health, latency, bad rows, a crash, a server that cannot start, and a stop that
leaves nothing behind. One server for the module; the CLI launcher once, for the stop test."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.serving import (
    ServerStartError,
    add_guard,
    measure_latency,
    probe,
    scoring_server,
    start_server,
)
from jupyter_mlready.serving.server import group_members, port_open

pytestmark = pytest.mark.integration

COLUMNS = ("amount", "color")


def _model(folder):
    """A pipeline fitted without "purple", a contract from data that had it, a signature (as the
    product logs models), the guard in reject mode."""
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from jupyter_mlready.contract import build_schema, infer_column
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.records import Contract

    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {
            "amount": rng.uniform(1.0, 100.0, 200),
            "color": rng.choice(["red", "green", "blue", "purple"], 200),
        }
    )
    seen = X[X["color"] != "purple"].reset_index(drop=True)
    pipe = make_pipeline(
        ColumnTransformer(
            [
                ("num", StandardScaler(), ["amount"]),
                ("cat", OneHotEncoder(handle_unknown="error"), ["color"]),
            ]
        ),
        LogisticRegression(),
    ).fit(seen, (seen["amount"] > 50).astype(int))
    mlflow.sklearn.save_model(
        pipe,
        str(folder),
        serialization_format="cloudpickle",  # our own model: loading a pickle runs code
        signature=infer_signature(seen, pipe.predict(seen)),
        pip_requirements=["scikit-learn", "pandas"],
    )
    specs = tuple(infer_column(c, X[c], Policy()) for c in X.columns)
    contract = Contract(specs, build_schema(specs), Policy().range_margin, 20)
    add_guard(folder, contract, "reject")
    return seen


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("serving")
    folder = root / "model"
    rows = _model(folder)
    t0 = time.monotonic()
    with scoring_server(folder, root / "logs", timeout=120) as server:
        yield {"server": server, "rows": rows, "folder": folder, "root": root}
    print(f"module server: {time.monotonic() - t0:.1f} s from spawn to stopped")


def test_healthy_with_load_time_and_log(served):
    server = served["server"]
    assert server.url == f"http://127.0.0.1:{server.port}" and server.launcher == "uvicorn"
    assert 0 < server.load_seconds < 120
    assert port_open(server.port) and group_members(server.pid)
    assert "Application startup complete" in server.log_path.read_text()
    print(f"load_seconds={server.load_seconds}")


def test_latency_of_one_row_requests_and_a_batch(served):
    rows = served["rows"].head(50)
    result = measure_latency(served["server"].url, rows, n_requests=60)
    assert result["answered"] == 60 and result["statuses"] == {"200": 60}
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert result["batch"]["status"] == 200 and result["batch"]["rows"] == 50
    print({k: result[k] for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")}, result["batch"])


BAD = {
    # MLflow's own signature checks, before the guard
    "missing column": (pd.DataFrame({"color": ["red"]}), "amount", "required"),
    "text in a double column": (
        pd.DataFrame({"amount": ["abc"], "color": ["red"]}),
        "amount",
        "dtype float64",
    ),
    # the guard
    "out of range": (pd.DataFrame({"amount": [5000.0], "color": ["red"]}), "amount", "in_range"),
    "unseen category": (
        pd.DataFrame({"amount": [5.0, 6.0], "color": ["red", "yellow"]}),
        "color",
        "isin",
    ),
    "null": (pd.DataFrame({"amount": [np.nan], "color": ["red"]}), "amount", "not_nullable"),
    "null text": (pd.DataFrame({"amount": [3.0], "color": [None]}), "color", "not_nullable"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_rows_are_rejected_naming_the_column(served, case):
    frame, column, rule = BAD[case]
    answer = probe(served["server"].url, frame, COLUMNS)
    assert answer.outcome == "rejected", answer
    assert answer.status == 400 and answer.column == column and answer.rule.startswith(rule)
    assert "Traceback" not in answer.body


def test_good_rows_are_answered(served):
    answer = probe(served["server"].url, served["rows"].head(3), COLUMNS)
    assert answer.outcome == "answered" and answer.status == 200


def test_a_value_the_contract_allows_crashes_the_model(served):
    answer = probe(served["server"].url, pd.DataFrame({"amount": [5.0], "color": ["purple"]}))
    assert answer.outcome == "crash" and answer.status == 400
    assert "unknown categories ['purple']" in answer.detail
    assert '"stack_trace"' in answer.body


def test_a_model_that_cannot_load_fails_to_start_with_the_log(served, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(served["folder"], broken)
    (broken / "model.pkl").unlink()
    pending = start_server(broken, tmp_path / "logs")
    with pytest.raises(ServerStartError) as info:
        pending.wait_healthy(timeout=60)
    err = info.value
    assert err.returncode not in (None, 0)
    assert "model.pkl" in err.log_tail and "No such file" in err.log_tail
    assert err.fields()["log_path"] == str(pending.log_path)
    assert str(err).endswith(f"read the full log at {pending.log_path}.")
    assert not group_members(pending.pid) and not port_open(pending.port)


def test_the_cli_launcher_stops_its_whole_process_group(served, tmp_path):
    """``python -m mlflow models serve`` runs uvicorn as a child: both must be gone."""
    with scoring_server(served["folder"], tmp_path / "logs", launcher="cli") as server:
        members = group_members(server.pid)
        assert len(members) >= 2  # the CLI and the uvicorn it runs
        assert probe(server.url, served["rows"].head(1)).outcome == "answered"
        print(f"cli load_seconds={server.load_seconds}")
    assert not port_open(server.port)
    assert not group_members(server.pid)
    assert not [pid for pid in members if _running(pid)]


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child waits a moment for init to reap it)."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"
