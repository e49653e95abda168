"""guard: the data contract enforced inside the served model, with no pickle and the native
flavor untouched.

``add_guard(model_dir, contract, on_invalid)`` rewrites only the ``python_function`` flavor of a
saved MLflow model folder: its ``loader_module`` becomes this module, its other keys stay (some
loaders read them back from MLmodel: ``mlflow.sklearn`` its ``model_path``, a PythonModel its
``python_model``), and ``mlready_guard.json`` beside MLmodel keeps the original flavor conf, the
contract (``Contract.to_dict()``) and ``on_invalid``. The native flavor entry (``sklearn``,
``xgboost``, ...) is not touched: ``mlflow.sklearn.load_model`` still returns the estimator, while
``mlflow.pyfunc.load_model`` and ``mlflow models serve`` get the guarded model. Serving it needs
``jupyter_mlready`` (and pandera) installed where the model is served.

``_load_pyfunc(path)`` (what ``mlflow.pyfunc.load_model`` calls) imports the original loader
module and calls its ``_load_pyfunc`` with the original data path, as ``load_model`` itself would
have, and wraps the result. Its ``predict`` first screens the rows (``screen.screen_rows``):

- ``on_invalid="reject"`` (default): any failing row raises ``MlflowException`` with
  ``error_code=INVALID_PARAMETER_VALUE``, ``error_class="MLREADY_CONTRACT_VIOLATION"``, a message
  naming each column and rule (``column 'amount': dtype_is_float failed on 1 of 3 rows (e.g.
  'abc')``) and the same facts as JSON in ``mlready_failures``.
- ``on_invalid="flag"``: one output row per input row, ``prediction`` (None for an invalid row)
  and ``mlready_invalid_reason`` (None for a valid one, else ``column 'amount': in_range(0.0,
  109.9) failed (1000.0)``); only the valid rows reach the model. Served, that is a 200 with
  ``{"predictions": [{"prediction": null, "mlready_invalid_reason": "..."}, ...]}``.

An exception raised by the model itself on valid rows propagates untouched: it is a crash.

What MLflow 3.17's scoring server does (``mlflow/pyfunc/scoring_server``), measured:

- any non-MLflow exception in ``predict``: HTTP 400, ``{"error_code": "BAD_REQUEST", "message":
  "Encountered an unexpected error while evaluating the model. Verify that the serialized input
  Dataframe is compatible with the model for inference.", "sqlstate": "KAM00", "error_class":
  "INVALID_PARAMETER_VALUE", "stack_trace": "Traceback (most recent call last): ..."}``;
- an ``MlflowException`` from ``predict``: re-raised with its message prefixed by
  ``"Failed to predict data '<the frame's repr>'. \\nError: "``; status from the error code
  (INVALID_PARAMETER_VALUE -> 400); body ``{"error_code", "message", "sqlstate", "error_class"}``
  plus the exception's extra keyword arguments (``mlready_failures``); no ``stack_trace``.

With a signature in MLmodel, MLflow's own checks run before this guard sees the rows:

- parsing casts each column to the signature's type: ``"12.5"`` in a double column silently
  becomes 12.5 (the guard sees a float); ``"abc"`` fails before ``predict``: 400,
  ``{"error_code": "BAD_REQUEST", "message": "Invalid input. Data is not compatible with model
  signature. Failed to convert column amount to type 'float64'. Error: ...", "error_class":
  "INVALID_PARAMETER_VALUE"}``;
- ``_enforce_schema`` in ``PyFuncModel.predict`` rejects a missing column: 400,
  ``{"error_code": "INVALID_PARAMETER_VALUE", "message": "Failed to predict data '...'. \\nError:
  Failed to enforce schema of data '...' with schema '[...]'. Error: Model is missing inputs
  ['amount'].", "error_class": "SCHEMA_ENFORCEMENT_FAILED"}``; extra columns are dropped;
- a null in a required double column, a value out of range, an unseen category pass those
  checks and reach the guard (without it: a crash inside the model).

Both MLflow rejections name the column, so ``http_probe.classify`` reads them as "rejected".
Without a signature every row reaches the guard (``"12.5"`` then fails ``dtype_is_float``).
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ArtifactError
from ..records import Contract
from .screen import Screen, screen_rows

GUARD_FILE = "mlready_guard.json"
#: bumped when what the guard does changes: versions logged before are then not "the same"
GUARD_FORMAT = 2  # 2: the guard may also insert the constant of a statsmodels array-API design
LOADER_MODULE = "jupyter_mlready.serving.guard"
ON_INVALID = ("reject", "flag")
PREDICTION = "prediction"
REASON = "mlready_invalid_reason"
ERROR_CLASS = "MLREADY_CONTRACT_VIOLATION"
PYFUNC = "python_function"
#: pyfunc keys about calling the inner model: the guard applies them, MLflow calls the guard
_CALL_KEYS = ("predict_fn", "streamable", "predict_stream_fn")


def add_guard(
    model_dir: Path, contract: Contract, on_invalid: str = "reject", constant: dict | None = None
) -> None:
    """Make ``mlflow.pyfunc.load_model(model_dir)`` (and ``mlflow models serve``) validate every
    request against ``contract`` first; see the module docstring. Calling it again replaces the
    contract and mode, keeping the original flavor conf.

    ``constant`` (``{"index": i, "name": "const"}``): the native model predicts on a design
    matrix with a constant column the notebook added (statsmodels' array API after
    ``sm.add_constant``). Requests carry the features, as the contract, the signature and the
    input example say; the guard inserts the constant at ``index`` before the model sees them."""
    from mlflow.models import Model

    if on_invalid not in ON_INVALID:
        raise ValueError(f"on_invalid must be one of {ON_INVALID}, got {on_invalid!r}")
    model_dir = Path(model_dir)
    mlmodel = model_dir / "MLmodel"
    meta = Model.load(str(mlmodel))
    conf = meta.flavors.get(PYFUNC)
    if conf is None:
        raise ArtifactError(
            f"{model_dir} has no python_function flavor, so MLflow cannot serve it. Save it with "
            "a flavor that has one (sklearn, xgboost, ...) or with mlflow.pyfunc.",
            obj=str(model_dir),
            reason="no python_function flavor",
        )
    if conf.get("loader_module") == LOADER_MODULE:
        original = json.loads((model_dir / GUARD_FILE).read_text())["pyfunc"]
    else:
        original = dict(conf)
    settings = {
        "version": GUARD_FORMAT,
        "on_invalid": on_invalid,
        "pyfunc": original,
        "contract": contract.to_dict(),
    }
    if constant is not None:
        settings["constant"] = {"index": int(constant["index"]), "name": str(constant["name"])}
    (model_dir / GUARD_FILE).write_text(json.dumps(settings, indent=2, default=str))
    guarded = {k: v for k, v in original.items() if k not in _CALL_KEYS}
    guarded["loader_module"] = LOADER_MODULE
    guarded["mlready_guard"] = GUARD_FILE
    # for readers of MLmodel that dispatch on the loader (registry.trust.read_model_format)
    guarded["mlready_original_loader"] = original.get("loader_module")
    meta.flavors[PYFUNC] = guarded
    meta.save(str(mlmodel))


def _same_as_mlmodel(model_dir: Path, original: dict) -> None:
    """The loader and data the guard file names must be those MLmodel declares: whoever decided
    whether the folder may load (``registry.trust``) read MLmodel, so the guard never loads
    anything else.

    Raises:
        ArtifactError: the two disagree (a tampered or corrupt folder)."""
    from mlflow.models import Model

    declared = Model.load(str(model_dir / "MLmodel")).flavors.get(PYFUNC) or {}
    for key, theirs in (("loader_module", "mlready_original_loader"), ("data", "data")):
        if original.get(key) != declared.get(theirs):
            raise ArtifactError(
                f"{model_dir}: {GUARD_FILE} names {key} {original.get(key)!r} but MLmodel "
                f"declares {declared.get(theirs)!r}; refusing to load a model other than the one "
                "MLmodel describes.",
                obj=str(model_dir),
                reason=f"{key} mismatch",
            )


def _model_dir(path: str) -> Path:
    """The model folder for the data path MLflow passes (the folder itself, or a file or
    folder inside it named by the flavor's ``data``)."""
    p = Path(path).resolve()
    for d in [p, *p.parents]:
        if (d / GUARD_FILE).is_file() and (d / "MLmodel").is_file():
            return d
    raise FileNotFoundError(f"no {GUARD_FILE} next to an MLmodel above {path}")


def _load_pyfunc(path: str, model_config: dict | None = None) -> GuardedModel:
    """Called by ``mlflow.pyfunc.load_model``: the original pyfunc, wrapped."""
    from ..contract import contract_from_dict

    model_dir = _model_dir(path)
    settings = json.loads((model_dir / GUARD_FILE).read_text())
    original = settings["pyfunc"]
    _same_as_mlmodel(model_dir, original)
    data_path = model_dir / original["data"] if original.get("data") else model_dir
    loader = importlib.import_module(original["loader_module"])
    if model_config:
        inner = loader._load_pyfunc(str(data_path), model_config)
    else:
        inner = loader._load_pyfunc(str(data_path))
    return GuardedModel(
        inner,
        contract_from_dict(settings["contract"]),
        settings.get("on_invalid", "reject"),
        original.get("predict_fn", "predict"),
        settings.get("constant"),
    )


class GuardedModel:
    """The original pyfunc implementation behind the contract (what ``_load_pyfunc`` returns).

    Attributes:
        inner: what the original loader module returned.
        contract: the contract the rows are screened against.
        on_invalid: "reject" or "flag".
        predict_fn: the inner method to call (the original flavor's ``predict_fn``).
        constant: where the model's design has a constant column the requests do not carry
            (``{"index", "name"}``), or None.
    """

    def __init__(
        self,
        inner,
        contract: Contract,
        on_invalid: str,
        predict_fn: str = "predict",
        constant: dict | None = None,
    ):
        self.inner = inner
        self.contract = contract
        self.on_invalid = on_invalid
        self.predict_fn = predict_fn
        self.constant = constant

    # what PyFuncModel.unwrap_python_model() / get_raw_model() reach for
    @property
    def python_model(self):
        return getattr(self.inner, "python_model", None)

    def get_raw_model(self):
        return self.inner.get_raw_model()

    def _design(self, X: pd.DataFrame) -> pd.DataFrame:
        """The rows as the native model reads them: with the constant inserted, if it has one."""
        if self.constant is None:
            return X
        name = self.constant["name"]
        X = X.drop(columns=[name], errors="ignore")
        X.insert(min(int(self.constant["index"]), X.shape[1]), name, 1.0)
        return X

    def _call(self, X: pd.DataFrame, params: dict | None):
        X = self._design(X)
        fn = getattr(self.inner, self.predict_fn)
        if "params" in inspect.signature(fn).parameters:
            return fn(X, params=params)
        return fn(X)

    def predict(self, model_input: Any, params: dict | None = None):
        frame = _as_frame(model_input)
        screen = screen_rows(self.contract, frame)
        if self.on_invalid == "reject":
            if not screen.ok:
                raise rejection(screen, len(frame))
            return self._call(screen.valid, params)
        predictions = self._call(screen.valid, params) if len(screen.valid) else None
        return flagged_frame(frame.index, screen, predictions)


def _as_frame(model_input: Any) -> pd.DataFrame:
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    if isinstance(model_input, pd.DataFrame):
        return model_input
    if isinstance(model_input, dict) or (
        isinstance(model_input, list) and all(isinstance(r, dict) for r in model_input)
    ):
        return pd.DataFrame(model_input)
    raise MlflowException(
        f"The data contract needs a table with named columns; got {type(model_input).__name__}. "
        "Send a dataframe (dataframe_split or dataframe_records).",
        error_code=INVALID_PARAMETER_VALUE,
        error_class=ERROR_CLASS,
    )


def rejection(screen: Screen, rows: int):
    """The MlflowException a rejected request raises: 400 from the scoring server, naming every
    failing column and rule, with the same facts in ``mlready_failures``."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

    failures = [
        {
            "column": f["column"],
            "check": f["check"],
            "rows": int(f["rows"]),
            "examples": [str(e) for e in f["examples"][:5]],
        }
        for f in screen.failures
    ]
    return MlflowException(
        f"Request rejected by the model's data contract: {screen.describe(rows)}. Send values "
        "the contract allows, or serve with on_invalid='flag' to get a null prediction and a "
        "reason for such rows.",
        error_code=INVALID_PARAMETER_VALUE,
        error_class=ERROR_CLASS,
        mlready_failures=failures,
    )


def _plain_rows(predictions, expected: int) -> list:
    """One JSON-plain value per row (lists for a 2-D output)."""
    values = predictions.to_numpy() if hasattr(predictions, "to_numpy") else np.asarray(predictions)
    if len(values) != expected:
        raise ValueError(f"the model returned {len(values)} predictions for {expected} rows")
    return values.tolist()


def flagged_frame(index: pd.Index, screen: Screen, predictions) -> pd.DataFrame:
    """The "flag" answer: input rows in order, ``prediction`` (None where invalid; one column
    per output column when the model returns a frame of several) and ``mlready_invalid_reason``."""
    n = len(screen.reasons)
    valid_at = [i for i, r in enumerate(screen.reasons) if r is None]
    columns: dict[str, list] = {}
    if isinstance(predictions, pd.DataFrame) and predictions.shape[1] > 1:
        names = [str(c) for c in predictions.columns]
        sources = [predictions.iloc[:, j] for j in range(predictions.shape[1])]
    else:
        names = [PREDICTION]
        sources = [predictions.iloc[:, 0] if isinstance(predictions, pd.DataFrame) else predictions]
    for name, source in zip(names, sources):
        out: list = [None] * n
        if source is not None:
            for i, v in zip(valid_at, _plain_rows(source, len(valid_at))):
                out[i] = v
        columns[name] = out
    columns[REASON] = list(screen.reasons)
    return pd.DataFrame(columns, index=index, dtype=object)
