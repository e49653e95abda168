"""``serving.endpoint`` against MLflow's real scoring server: the check passes on a guarded model
and fails — or errors — where a served model would hurt production: a request that breaks the
contract answered with a prediction, a crash inside the model on a row the contract accepts, the
wrong ``on_invalid`` mode, a p95 over the budget, a server that does not start."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.contract import build_schema, infer_column
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Contract, Dataset
from jupyter_mlready.serving import add_guard, start_server

pytestmark = pytest.mark.integration


def _data():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(
        {
            "amount": rng.uniform(1.0, 100.0, 300),
            "tenure": np.where(rng.random(300) < 0.1, np.nan, rng.uniform(0, 20, 300)),
            "color": rng.choice(["red", "green", "blue"], 300),
        }
    )
    return X, (X["amount"] > 50).astype(int)


def _save(folder, impute: bool, guard: str | None):
    """A pipeline (with or without an imputer for the nullable 'tenure') saved as MLflow saves
    it, behind the contract guard in mode ``guard`` (None: no guard)."""
    import mlflow.sklearn
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    X, y = _data()
    num = make_pipeline(SimpleImputer()) if impute else "passthrough"
    pipe = make_pipeline(
        ColumnTransformer(
            [
                ("num", num, ["amount", "tenure"]),
                ("cat", OneHotEncoder(handle_unknown="error"), ["color"]),
            ]
        ),
        LogisticRegression(),
    )
    fit_rows = X.dropna() if not impute else X
    pipe.fit(fit_rows, y[fit_rows.index])
    mlflow.sklearn.save_model(pipe, str(folder), serialization_format="cloudpickle")
    specs = tuple(infer_column(c, X[c], Policy()) for c in X.columns)
    contract = Contract(specs, build_schema(specs), Policy().range_margin, 20)
    if guard:
        add_guard(folder, contract, guard)
    return pipe, contract, X


def _run(tmp_path, *, impute=True, guard="reject", policy=None, folder=None):
    policy = policy or Policy()
    model_dir = tmp_path / "model"
    pipe, contract, X = _save(model_dir, impute, guard)
    server = start_server(folder or model_dir, tmp_path / "logs")
    ctx = CheckContext(
        model=ModelAdapter.wrap(pipe, "classification"),
        task="classification",
        train=None,
        holdout=Dataset(X.dropna().head(50), None, "X_test"),
        contract=contract,
        policy=policy,
        where="validation",
        serving=server,
    )
    spec = next(s for s in load_checks() if s.id == "serving.endpoint")
    try:
        return run_check(spec, ctx)
    finally:
        server.stop()


def _by_kind(result) -> dict:
    return {r["kind"]: r for r in result.evidence.get("requests", [])}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """One check of a guarded model in reject mode (one real server for three tests)."""
    return _run(tmp_path_factory.mktemp("guarded"))


def test_a_guarded_model_passes_and_the_server_is_stopped(guarded):
    result = guarded
    assert result.status == "pass", result.summary
    ev = result.evidence
    assert ev["load_seconds"] > 0 and ev["latency"]["answered"] == ev["latency"]["requests"]
    assert ev["latency"]["requests"] >= 20
    assert ev["latency"]["p95_ms"] > 0 and ev["latency"]["batch"]["status"] == 200
    kinds = _by_kind(result)
    for kind in ("missing_column", "numbers_as_text", "out_of_range", "unseen_category"):
        assert kinds[kind]["answer"]["outcome"] == "rejected", kinds[kind]
    assert kinds["allowed_null"]["answer"]["outcome"] == "answered"
    assert ev["stop"]["left_running"] == [] and ev["stop"]["port_open"] is False


def test_without_the_guard_bad_rows_reach_the_model(tmp_path):
    result = _run(tmp_path, guard=None)
    assert result.status == "fail"
    kinds = _by_kind(result)
    # out of range: answered as if valid; unseen category: a stack trace from the encoder
    assert kinds["out_of_range"]["answer"]["outcome"] == "answered"
    assert kinds["unseen_category"]["answer"]["outcome"] == "crash"
    assert "out_of_range in 'amount'" in result.summary


def test_a_crash_on_a_row_the_contract_accepts_fails(tmp_path):
    result = _run(tmp_path, impute=False)  # NaN in 'tenure' is allowed, and crashes the model
    assert result.status == "fail"
    assert _by_kind(result)["allowed_null"]["answer"]["outcome"] == "crash"
    assert "allowed_null in 'tenure': a stack trace from inside the model" in result.summary


def test_the_mode_in_force_is_verified(tmp_path, guarded):
    flag = replace(Policy(), on_invalid="flag")
    result = _run(tmp_path, guard="flag", policy=flag)
    assert result.status == "pass", result.summary
    assert _by_kind(result)["out_of_range"]["answer"]["outcome"] == "flagged"
    # the artifact rejects, the policy asks for flagging: not what the service expects
    from jupyter_mlready.checks.serving import _finding

    ev = guarded.evidence
    stopped = SimpleNamespace(leftover=(), port_open=False)
    answers = [
        {**a, "problem": _judge_as(a, "flag"), "ok": _judge_as(a, "flag") is None}
        for a in ev["requests"]
    ]
    wrong = _finding(ev, ev["latency"], answers, stopped, flag)
    assert wrong.status == "fail" and "not a 200 flagging the row" in wrong.summary


def _judge_as(recorded: dict, on_invalid: str):
    """A recorded answer judged again under another ``on_invalid``."""
    from jupyter_mlready.checks.serving import BadRequest, _judge
    from jupyter_mlready.serving import Answer

    request = BadRequest(
        recorded["kind"],
        recorded["column"],
        pd.DataFrame(),
        recorded["breaks_contract"],
        recorded["kind"] in ("missing_column", "numbers_as_text"),
    )
    answer = Answer(**{**recorded["answer"], "columns": tuple(recorded["answer"]["columns"])})
    return _judge(request, answer, on_invalid)


def test_a_p95_over_the_budget_fails(guarded):
    from jupyter_mlready.checks.serving import _finding

    ev = guarded.evidence
    stopped = SimpleNamespace(leftover=(), port_open=False)
    tight = replace(Policy(), serving_p95_ms=0.001)
    result = _finding(ev, ev["latency"], ev["requests"], stopped, tight)
    assert result.status == "fail" and "Too slow behind the server" in result.summary


def test_a_server_that_does_not_start_is_an_error_with_its_log(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
        "    model_path: missing.pkl\n"
    )
    result = _run(tmp_path, folder=broken)
    assert result.status == "error"
    assert "did not start" in result.summary
    assert result.evidence["log_tail"]
