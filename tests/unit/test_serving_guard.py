"""The serving guard in-process (``mlflow.pyfunc.load_model`` on a guarded sklearn folder), and
``http_probe.classify`` on bodies recorded from MLflow 3.17's scoring server (no server here)."""

from __future__ import annotations

import json
import socket
import threading

import numpy as np
import pandas as pd
import pytest
import yaml

from jupyter_mlready.contract import build_schema, infer_column
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Contract
from jupyter_mlready.serving import (
    GUARD_FILE,
    REASON,
    Response,
    add_guard,
    classify,
    frame_payload,
    invoke,
    screen_rows,
)
from jupyter_mlready.serving.http_probe import named_columns, strip_echoes


def training_frame(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "amount": rng.uniform(1.0, 100.0, n),
            "color": rng.choice(["red", "green", "blue", "purple"], n),
        }
    )


def make_contract(X: pd.DataFrame) -> Contract:
    specs = tuple(infer_column(c, X[c], Policy()) for c in X.columns)
    return Contract(specs, build_schema(specs), Policy().range_margin, Policy().max_categories)


def fit_pipeline(X: pd.DataFrame):
    """Fitted without "purple": the contract allows it, the one-hot encoder raises on it."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    seen = X[X["color"] != "purple"]
    pipe = make_pipeline(
        ColumnTransformer(
            [
                ("num", StandardScaler(), ["amount"]),
                ("cat", OneHotEncoder(handle_unknown="error"), ["color"]),
            ]
        ),
        LogisticRegression(),
    )
    return pipe.fit(seen, (seen["amount"] > 50).astype(int))


def save(pipe, path, signature=None) -> None:
    import mlflow.sklearn

    mlflow.sklearn.save_model(
        pipe,
        str(path),
        serialization_format="cloudpickle",  # a pickle: loading it runs code (our own model)
        signature=signature,
        pip_requirements=["scikit-learn", "pandas"],
    )


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    X = training_frame()
    pipe = fit_pipeline(X)
    folder = tmp_path_factory.mktemp("guarded") / "model"
    save(pipe, folder)  # no signature: every row reaches the guard
    before = yaml.safe_load((folder / "MLmodel").read_text())
    contract = make_contract(X)
    add_guard(folder, contract, "reject")
    return {"X": X, "pipe": pipe, "folder": folder, "contract": contract, "before": before}


def load(folder):
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(str(folder))


GOOD = pd.DataFrame({"amount": [10.0, 80.0, 55.5], "color": ["red", "blue", "green"]})

BAD = {
    "missing column": (pd.DataFrame({"color": ["red"]}), "amount", "column_in_dataframe"),
    "numbers as text": (
        pd.DataFrame({"amount": ["12.5", 3.0], "color": ["red", "red"]}),
        "amount",
        "dtype_is_float",
    ),
    "out of range": (pd.DataFrame({"amount": [5000.0], "color": ["red"]}), "amount", "in_range"),
    "unseen category": (pd.DataFrame({"amount": [5.0], "color": ["yellow"]}), "color", "isin"),
    "null not nullable": (
        pd.DataFrame({"amount": [np.nan, 4.0], "color": ["red", "red"]}),
        "amount",
        "not_nullable",
    ),
}


def test_valid_rows_get_the_native_predictions(setup):
    model = load(setup["folder"])
    assert list(model.predict(GOOD)) == list(setup["pipe"].predict(GOOD))


@pytest.mark.parametrize("case", list(BAD))
def test_reject_names_the_column_and_rule(setup, case):
    from mlflow.exceptions import MlflowException

    frame, column, rule = BAD[case]
    with pytest.raises(MlflowException) as info:
        load(setup["folder"]).predict(frame)
    exc = info.value
    assert exc.error_code == "INVALID_PARAMETER_VALUE" and exc.get_http_status_code() == 400
    assert f"column '{column}': {rule}" in exc.message
    assert "Traceback" not in exc.message
    failures = json.loads(exc.serialize_as_json())["mlready_failures"]
    assert any(f["column"] == column and f["check"].startswith(rule) for f in failures)


def test_flag_mode_predicts_only_the_valid_rows(setup, tmp_path):
    import shutil

    folder = tmp_path / "flag"
    shutil.copytree(setup["folder"], folder)
    add_guard(folder, setup["contract"], "flag")
    frame = pd.DataFrame(
        {
            "amount": [10.0, "abc", 5000.0, 80.0, np.nan, 30.0],
            "color": ["red", "red", "red", "blue", "green", "yellow"],
        }
    )
    out = load(folder).predict(frame)
    assert list(out.columns) == ["prediction", REASON] and len(out) == len(frame)
    good = [0, 3]
    native = setup["pipe"].predict(frame.iloc[good].astype({"amount": float}))
    assert out["prediction"].iloc[good].tolist() == native.tolist()
    assert out[REASON].iloc[good].isna().all()
    reasons = out[REASON].tolist()
    assert out["prediction"].iloc[[1, 2, 4, 5]].isna().all()
    assert reasons[1].startswith("column 'amount': dtype_is_float failed")
    assert reasons[2].startswith("column 'amount': in_range")
    assert reasons[4].startswith("column 'amount': not_nullable")
    assert reasons[5].startswith("column 'color': isin")
    # a missing column: every row is flagged, the model is not called
    missing = load(folder).predict(pd.DataFrame({"color": ["red", "blue"]}))
    assert missing["prediction"].isna().all()
    assert missing[REASON].str.contains("column 'amount': column_in_dataframe").all()


@pytest.mark.parametrize("mode", ["reject", "flag"])
def test_a_crash_of_the_model_on_valid_rows_propagates(setup, tmp_path, mode):
    """'purple' is in the contract (training had it) but the encoder never saw it."""
    import shutil

    from mlflow.exceptions import MlflowException

    folder = tmp_path / mode
    shutil.copytree(setup["folder"], folder)
    add_guard(folder, setup["contract"], mode)
    frame = pd.DataFrame({"amount": [10.0], "color": ["purple"]})
    with pytest.raises(ValueError, match="unknown categor") as info:
        load(folder).predict(frame)
    assert not isinstance(info.value, MlflowException)


def test_native_flavor_and_loading_are_unaffected(setup):
    import mlflow.sklearn
    from sklearn.pipeline import Pipeline

    folder = setup["folder"]
    after = yaml.safe_load((folder / "MLmodel").read_text())
    assert after["flavors"]["sklearn"] == setup["before"]["flavors"]["sklearn"]
    pyfunc = after["flavors"]["python_function"]
    assert pyfunc["loader_module"] == "jupyter_mlready.serving.guard"
    assert pyfunc["model_path"] == "model.pkl"  # mlflow.sklearn's loader reads it back
    native = mlflow.sklearn.load_model(str(folder))
    assert isinstance(native, Pipeline)
    assert list(native.predict(GOOD)) == list(setup["pipe"].predict(GOOD))
    stored = json.loads((folder / GUARD_FILE).read_text())
    assert stored["pyfunc"] == setup["before"]["flavors"]["python_function"]
    assert stored["on_invalid"] == "reject"
    assert [c["name"] for c in stored["contract"]["columns"]] == ["amount", "color"]
    assert not list(folder.glob("*guard*.pkl"))  # the guard adds no pickle


def test_guarding_twice_keeps_the_original_flavor(setup, tmp_path):
    import shutil

    folder = tmp_path / "twice"
    shutil.copytree(setup["folder"], folder)
    add_guard(folder, setup["contract"], "flag")
    stored = json.loads((folder / GUARD_FILE).read_text())
    assert stored["pyfunc"]["loader_module"] == "mlflow.sklearn"
    assert stored["on_invalid"] == "flag"
    with pytest.raises(ValueError, match="on_invalid"):
        add_guard(folder, setup["contract"], "ignore")


def test_signature_enforcement_runs_before_the_guard(setup, tmp_path):
    """With a signature, MLflow rejects a missing column or text in a double column itself;
    its message names the column, which the classifier reads."""
    from mlflow.exceptions import MlflowException
    from mlflow.models import infer_signature

    folder = tmp_path / "signed"
    X = GOOD
    save(setup["pipe"], folder, infer_signature(X, setup["pipe"].predict(X)))
    add_guard(folder, setup["contract"], "reject")
    model = load(folder)
    for frame, column in [
        (pd.DataFrame({"color": ["red"]}), "amount"),
        (pd.DataFrame({"amount": ["abc"], "color": ["red"]}), "amount"),
    ]:
        with pytest.raises(MlflowException, match="Failed to enforce schema") as info:
            model.predict(frame)
        assert named_columns(strip_echoes(info.value.message), ["amount", "color"])[0][0] == column
    # what passes MLflow's checks reaches the guard
    with pytest.raises(MlflowException, match="column 'amount': in_range"):
        model.predict(pd.DataFrame({"amount": [5000.0], "color": ["red"]}))


def test_screen_reads_the_wire_types(setup):
    """JSON has no dates and types a one-row missing number as None: the screen reads them for
    what they mean, and never turns text into a number."""
    X = pd.DataFrame(
        {"when": pd.to_datetime(["2024-01-01", "2024-03-01"]), "amount": [1.0, np.nan]}
    )
    contract = make_contract(X)
    wire = pd.DataFrame({"when": ["2024-02-01T00:00:00", "yesterday"], "amount": [None, None]})
    screen = screen_rows(contract, wire)
    assert screen.reasons[0] is None
    assert screen.reasons[1] == "column 'when': dtype_is_datetime failed ('yesterday')"
    assert str(screen.valid["when"].dtype).startswith("datetime64")
    assert screen.valid["amount"].dtype == "float64"


# ---------------------------------------------------------------- classify (no server)

CRASH_BODY = json.dumps(
    {
        "error_code": "BAD_REQUEST",
        "message": "Encountered an unexpected error while evaluating the model. Verify that the "
        "serialized input Dataframe is compatible with the model for inference.",
        "sqlstate": "KAM00",
        "error_class": "INVALID_PARAMETER_VALUE",
        "stack_trace": 'Traceback (most recent call last):\n  File "/venv/lib/python3.11/'
        'site-packages/mlflow/pyfunc/scoring_server/__init__.py", line 348, in invocations\n'
        "    raw_predictions = model.predict(data, params=params)\n"
        "ValueError: Found unknown categories ['purple'] in column 0 during transform\n",
    }
)
GUARD_BODY = json.dumps(
    {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "Failed to predict data '   amount color\n0  1000.0   red'. \nError: Request "
        "rejected by the model's data contract: column 'amount': in_range(0.0, 109.9) failed "
        "on 1 of 1 rows (e.g. '1000.0'). Send values the contract allows, or serve with "
        "on_invalid='flag' to get a null prediction and a reason for such rows.",
        "sqlstate": "KAM00",
        "error_class": "MLREADY_CONTRACT_VIOLATION",
        "mlready_failures": [
            {"column": "amount", "check": "in_range(0.0, 109.9)", "rows": 1, "examples": ["1000.0"]}
        ],
    }
)
MISSING_BODY = json.dumps(
    {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "Failed to predict data '  color\n0   red'. \nError: Failed to enforce schema "
        "of data '  color\n0   red' with schema '['amount': double (required), 'color': string "
        "(required)]'. Error: Model is missing inputs ['amount'].",
        "sqlstate": "KAM01",
        "error_class": "SCHEMA_ENFORCEMENT_FAILED",
    }
)
CONVERT_BODY = json.dumps(
    {
        "error_code": "BAD_REQUEST",
        "message": "Invalid input. Data is not compatible with model signature. Failed to convert "
        "column amount to type 'float64'. Error: 'ValueError(\"could not convert string to "
        "float: 'abc'\")'",
        "sqlstate": "KAM00",
        "error_class": "INVALID_PARAMETER_VALUE",
    }
)
JSON_ERROR_BODY = json.dumps(
    {
        "error_code": "BAD_REQUEST",
        "message": "Invalid input. Ensure that input is a valid JSON formatted string. Error: "
        "'JSONDecodeError('Expecting value: line 1 column 1 (char 0)')'\nInput: \nb'not json'\n",
        "sqlstate": "KAM00",
        "error_class": "INVALID_PARAMETER_VALUE",
    }
)
COLUMNS = ("amount", "color")


def answer(status, body, rows=1, **kw):
    return classify(Response(status, body, 0.01, **kw), rows=rows, columns=COLUMNS)


def test_classify_answered_and_flagged():
    assert answer(200, '{"predictions": [0]}').outcome == "answered"
    assert answer(200, '{"predictions": [0, 1]}', rows=1).outcome == "unclear"  # not one per row
    flagged = answer(
        200,
        json.dumps(
            {
                "predictions": [
                    {"prediction": None, REASON: "column 'color': isin(['a', 'b']) failed (x)"},
                    {"prediction": 1, REASON: None},
                ]
            }
        ),
        rows=2,
    )
    assert flagged.outcome == "flagged"
    assert (flagged.column, flagged.rule) == ("color", "isin(['a', 'b'])")


def test_classify_rejected_names_column_and_rule():
    guard = answer(400, GUARD_BODY)
    assert (guard.outcome, guard.column, guard.rule) == (
        "rejected",
        "amount",
        "in_range(0.0, 109.9)",
    )
    assert guard.detail.startswith("Request rejected by the model's data contract")
    missing = answer(400, MISSING_BODY)
    assert (missing.outcome, missing.column, missing.rule) == ("rejected", "amount", "required")
    convert = answer(400, CONVERT_BODY)
    assert (convert.outcome, convert.column, convert.rule) == (
        "rejected",
        "amount",
        "dtype float64",
    )
    assert len(guard.body) <= 500


def test_classify_crash_unclear_server_error_hang():
    crash = answer(400, CRASH_BODY)
    assert crash.outcome == "crash" and crash.detail.startswith("ValueError: Found unknown")
    assert answer(500, "Traceback (most recent call last):\n  boom\nKeyError: 'x'").outcome == (
        "crash"
    )
    # the frame echoed in a message names every column: it does not count as naming one
    echo = json.dumps(
        {
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": "Failed to predict data '   amount color\n0  1.0 red'. \nError: bad input",
        }
    )
    assert answer(400, echo).outcome == "unclear"
    assert answer(400, JSON_ERROR_BODY).outcome == "unclear"
    assert answer(415, "This predictor only supports the following content types").outcome == (
        "unclear"
    )
    assert answer(500, '{"error_code": "INTERNAL_ERROR", "message": "x"}').outcome == "server_error"
    assert answer(None, "", error="ConnectionRefusedError: refused").outcome == "server_error"
    assert answer(None, "", timed_out=True).outcome == "hang"
    assert answer(504, "Request processing time exceeded limit").outcome == "hang"


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    held: list = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_a_silent_server_is_a_hang_and_a_closed_port_a_server_error(silent_server):
    hung = invoke(silent_server, GOOD.head(1), timeout=0.3)
    assert hung.timed_out and classify(hung).outcome == "hang"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    refused = invoke(f"http://127.0.0.1:{closed}", GOOD.head(1), timeout=1.0)
    assert refused.status is None and classify(refused).outcome == "server_error"


def test_payload_serializes_missing_values_dates_and_numpy_types():
    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan],
            "i": np.array([1, 2], dtype="int32"),
            "s": ["a", None],
            "t": pd.to_datetime(["2024-01-02 03:04:05", None]),
            "n": pd.array([1, None], dtype="Int64"),
        }
    )
    body = json.loads(frame_payload(frame))["dataframe_split"]
    assert body["columns"] == ["f", "i", "s", "t", "n"]
    first, second = body["data"]
    assert first == [1.5, 1, "a", "2024-01-02T03:04:05", 1]
    assert np.isnan(second[0]) and second[1:] == [2, None, None, None]


def test_the_uvicorn_launcher_runs_what_mlflow_models_serve_runs():
    """The fast launcher relies on two MLflow internals: the variable naming the model and the
    uvicorn app; ``mlflow models serve`` (get_cmd) uses the same."""
    from mlflow.pyfunc import scoring_server

    from jupyter_mlready.serving.server import APP, MODEL_PATH_ENV

    assert scoring_server._SERVER_MODEL_PATH == MODEL_PATH_ENV
    command, env = scoring_server.get_cmd("/tmp/m", 5000, "127.0.0.1", 60, 1)
    assert command.endswith(APP) and env[MODEL_PATH_ENV].endswith("/tmp/m")


def test_a_pyfunc_wrapper_model_is_guarded_too(tmp_path):
    """The loader of a PythonModel reads ``python_model`` back from MLmodel: it still can."""
    import cloudpickle
    import mlflow.pyfunc
    from sklearn.linear_model import LinearRegression

    from jupyter_mlready.registry import pyfunc_wrapper

    X = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) * 2})
    cloudpickle.register_pickle_by_value(pyfunc_wrapper)
    try:
        mlflow.pyfunc.save_model(
            str(tmp_path / "m"),
            python_model=pyfunc_wrapper.PredictWrapper(LinearRegression().fit(X, X.a + X.b)),
            pip_requirements=["scikit-learn"],
        )
    finally:
        cloudpickle.unregister_pickle_by_value(pyfunc_wrapper)
    add_guard(tmp_path / "m", make_contract(X), "flag")
    model = load(tmp_path / "m")
    out = model.predict(pd.DataFrame({"a": [1.0, 500.0], "b": [2.0, 3.0]}))
    assert out["prediction"].iloc[0] == pytest.approx(3.0) and out["prediction"].iloc[1] is None
    assert out[REASON].iloc[1].startswith("column 'a': in_range")
    assert isinstance(model.unwrap_python_model(), pyfunc_wrapper.PredictWrapper)


@pytest.mark.parametrize("mode", ["reject", "flag"])
def test_a_statsmodels_array_design_gets_its_constant_when_served(tmp_path, mode):
    """``sm.OLS(y, sm.add_constant(X))``: requests carry the features (as the contract, the
    signature and the input example do); the guard inserts the constant the design needs.
    Without it, MLflow's statsmodels flavor predicts on the features alone and fails."""
    sm = pytest.importorskip("statsmodels.api")
    import mlflow.statsmodels

    from jupyter_mlready.flavors.statsmodels import served_constant

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"years": rng.integers(0, 30, 200), "hours": rng.normal(38, 4, 200)})
    y = 20_000 + 1_500 * X["years"] + 300 * X["hours"] + rng.normal(0, 500, 200)
    results = sm.OLS(y, sm.add_constant(X)).fit()
    constant = served_constant(results)
    assert constant == {"index": 0, "name": "const"}
    assert served_constant(sm.OLS(y, X).fit()) is None  # no constant: nothing to insert
    plain, guarded = tmp_path / "plain", tmp_path / "guarded"
    for folder in (plain, guarded):
        mlflow.statsmodels.save_model(results, str(folder), pip_requirements=["statsmodels"])
    rows = X.head(5)
    expected = np.asarray(results.predict(sm.add_constant(rows)))

    add_guard(plain, make_contract(X), mode)  # what was logged before: no constant
    with pytest.raises(ValueError):
        load(plain).predict(rows)

    add_guard(guarded, make_contract(X), mode, constant)
    got = load(guarded).predict(rows)
    values = got["prediction"].to_numpy(dtype=float) if mode == "flag" else np.asarray(got)
    assert np.allclose(values, expected)
    assert list(rows.columns) == ["years", "hours"]  # the caller's frame is not changed
