"""Hold-out predictions on Spark: the logged model scores every row where the rows live.

``score_frame`` maps each Arrow batch of a Spark frame (``mapInPandas``) to a pandas frame of
the model's features in its column order, with the training dtypes restored, and calls the
:class:`~jupyter_mlready.model.ModelAdapter` on it. The output frame holds:

- the passthrough columns (the target, ids), unchanged;
- ``prediction``: the label (classification) or the value (regression), typed from the
  adapter's classes (:func:`prediction_type`);
- for a classifier with ``predict_proba``, one probability column per class, ``proba_0``,
  ``proba_1``, ... in the adapter's class order (:func:`proba_columns` gives the mapping; each
  column's Spark metadata names its class too). They are never dropped: ``mlflow.pyfunc``'s
  ``spark_udf`` returns ``predict`` only, and the metrics need the probabilities.

A row the model declines (NaN label or probability, as statsmodels does on a missing value)
becomes a null ``prediction`` / ``proba_k``: the metrics leave it out and count it, as the
pandas path does. A batch the model *raises* on fails the Spark job: the exception is re-raised
on the executor as a :class:`ScoringError` whose message starts with :data:`MARKER` and carries
the model's own message, so the action on the driver raises (a ``PythonException``) with that
text; :func:`model_error` reads it back for the check's error. A feature that cannot take its
training dtype, or an output of the wrong shape or type (a probability matrix that is not one
column per class, a string where the classes are numbers), fails the same way. Nothing is dropped
silently.

Shipping the model: the adapter is serialised once on the driver with cloudpickle (a model class
defined in the notebook travels by value) and sent as a Spark **broadcast** variable: each
executor fetches it once, and each Python worker unpickles it once (cached per process),
whatever the number of tasks (the broadcast is released with the scored frame, by Spark's
context cleaner). On Spark Connect, which has no broadcast from Python, the pickled
bytes travel in the task's closure instead. The executors need the model's libraries and
``jupyter_mlready`` importable (as ``mlflow.pyfunc.spark_udf`` needs the model's environment).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover - pyspark is optional
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType

    from ..model import ModelAdapter

__all__ = [
    "MARKER",
    "PREDICTION",
    "ScoringError",
    "model_error",
    "proba_column",
    "proba_columns",
    "prediction_type",
    "score_frame",
]

#: the prediction column of a scored frame
PREDICTION = "prediction"
#: the start of the message a batch the model raised on fails the Spark job with
MARKER = "mlready: the model could not score"
#: the key of the Spark column metadata that records what a scored column holds
METADATA_KEY = "mlready"


class ScoringError(RuntimeError):
    """The model raised on a batch of rows (raised on the executor; the driver sees its text)."""


def proba_column(index: int) -> str:
    """The name of the probability column of the ``index``-th class (adapter order)."""
    return f"proba_{index}"


def proba_columns(classes: Sequence | None) -> dict[str, Any]:
    """Probability column -> class label, in the adapter's class order."""
    return {proba_column(i): _python(c) for i, c in enumerate(classes or ())}


def _python(value: Any) -> Any:
    """A numpy scalar as the Python value (Spark literals and JSON metadata need those)."""
    return value.item() if isinstance(value, np.generic) else value


def _label_kind(task: str, classes: Sequence | None) -> str:
    """How predictions are stored: "double", "long", "boolean" or "string"."""
    if task == "regression":
        return "double"
    values = [_python(c) for c in classes or ()]
    if not values:
        return "string"
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "long"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "double"
    return "string"


def prediction_type(task: str, classes: Sequence | None) -> DataType:
    """The Spark type of ``prediction``: double for a regression; for a classifier, from its
    classes: long for integer labels, double for float labels, boolean for booleans, string
    otherwise (string labels, mixed labels, unknown classes)."""
    from pyspark.sql import types as T

    kind = _label_kind(task, classes)
    return {
        "double": T.DoubleType(),
        "long": T.LongType(),
        "boolean": T.BooleanType(),
        "string": T.StringType(),
    }[kind]


# ---- the work done on the executors -----------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """What a batch becomes (shipped with the task: small)."""

    features: tuple[str, ...]
    passthrough: tuple[str, ...]
    dtypes: Mapping[str, Any]
    kind: str  # prediction storage, see _label_kind
    n_proba: int  # probability columns (0: none)


_CACHE_LOCK = threading.Lock()
#: unpickled adapters by token, per Python worker process (a worker runs many tasks)
_ADAPTERS: OrderedDict[str, Any] = OrderedDict()
_MAX_CACHED = 4


def _adapter_from(token: str, payload: Any) -> Any:
    """The adapter of ``payload`` (a broadcast of its pickled bytes, or the bytes), unpickled
    once per worker process."""
    with _CACHE_LOCK:
        if token in _ADAPTERS:
            _ADAPTERS.move_to_end(token)
            return _ADAPTERS[token]
    import cloudpickle

    data = payload if isinstance(payload, bytes) else payload.value
    adapter = cloudpickle.loads(data)
    with _CACHE_LOCK:
        _ADAPTERS[token] = adapter
        while len(_ADAPTERS) > _MAX_CACHED:
            _ADAPTERS.popitem(last=False)
    return adapter


def _numpy_like(col: pd.Series) -> pd.Series:
    """A column as ``toPandas`` would give it: Arrow's nullable integers and booleans become
    numpy int64 / bool, or float64 / object when they hold a null (the pandas hold-out's
    dtypes for the same values)."""
    dtype = col.dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and not isinstance(
        dtype, (pd.CategoricalDtype, pd.StringDtype, pd.DatetimeTZDtype)
    ):
        kind = getattr(dtype, "kind", "O")
        has_na = bool(col.isna().any())
        if kind in "iu":
            return col.astype("float64" if has_na else "int64")
        if kind == "b":
            return col.astype(object if has_na else "bool")
        if kind == "f":
            return col.astype("float64")
    return col


def _cast(col: pd.Series, want: Any) -> pd.Series:
    """``col`` in the training dtype ``want``. An integer (or boolean) column holding a null
    cannot be: it becomes float64 (object), as the same values would be in pandas."""
    dtype = pd.api.types.pandas_dtype(want)
    if col.dtype == dtype:
        return col
    try:
        return col.astype(dtype)
    except (TypeError, ValueError) as exc:
        kind = getattr(dtype, "kind", "O")
        if kind in "iu" and col.isna().any():
            return _numpy_like(col).astype("float64")
        if kind == "b" and col.isna().any():
            return col.astype(object)
        raise ValueError(
            f"column {col.name!r} ({col.dtype}) cannot be cast to its training dtype {dtype}: {exc}"
        ) from exc


def _features(batch: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    """The model's input: its features in its column order, in the training dtypes."""
    columns = {}
    for name in spec.features:
        col = batch[name]
        want = spec.dtypes.get(name)
        columns[name] = _numpy_like(col) if want is None else _cast(col, want)
    return pd.DataFrame(columns, index=batch.index)


def _labels(pred: np.ndarray, kind: str, n: int) -> pd.Series:
    """Predictions in the storage of ``kind``; a missing one (NaN / None) becomes null."""
    pred = np.asarray(pred)
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = pred[:, 0]
    if pred.ndim != 1 or len(pred) != n:
        raise ValueError(
            f"predict returned shape {pred.shape} for {n} rows (one prediction per row needed)"
        )
    s = pd.Series(pred, dtype=object if pred.dtype.kind in "OSU" else pred.dtype)
    missing = s.isna().to_numpy()
    if kind == "double":
        return pd.Series(pd.to_numeric(s, errors="raise"), dtype="float64")
    if kind == "long":
        numbers = pd.to_numeric(s.where(~missing, np.nan), errors="raise")
        return pd.Series(pd.array(numbers, dtype="Int64"))
    if kind == "boolean":
        return s.astype("boolean")
    values = np.empty(n, dtype=object)
    for i, (v, m) in enumerate(zip(s.to_numpy(), missing)):
        values[i] = None if m else str(_python(v))
    return pd.Series(values, dtype=object)


def _probabilities(proba: Any, n: int, k: int) -> np.ndarray:
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or p.shape != (n, k):
        raise ValueError(f"predict_proba returned shape {p.shape} for {n} rows and {k} classes")
    return p


def _score_batches(
    batches: Iterator[pd.DataFrame], *, token: str, payload: Any, spec: _Spec
) -> Iterator[pd.DataFrame]:
    adapter = _adapter_from(token, payload)
    for batch in batches:
        n = len(batch)
        if n == 0:
            continue
        try:  # a column that cannot take its training dtype is reported the same way
            X = _features(batch, spec)
            pred = _labels(adapter.predict(X), spec.kind, n)
            proba = (
                _probabilities(adapter.predict_proba(X), n, spec.n_proba) if spec.n_proba else None
            )
        except Exception as exc:
            from pyspark import TaskContext

            ctx = TaskContext.get()
            where = f" in partition {ctx.partitionId()}" if ctx is not None else ""
            raise ScoringError(
                f"{MARKER} a batch of {n:,} rows{where}: {type(exc).__name__}: {exc}"
            ) from exc
        out = batch.loc[:, list(spec.passthrough)].reset_index(drop=True)
        out[PREDICTION] = pred.reset_index(drop=True)
        for i in range(spec.n_proba):
            assert proba is not None
            out[proba_column(i)] = proba[:, i]
        yield out


# ---- the driver -------------------------------------------------------------------------------


def _payload(frame: DataFrame, adapter: ModelAdapter) -> Any:
    """The pickled adapter as a broadcast (classic Spark), or as bytes (Spark Connect)."""
    import cloudpickle

    data = cloudpickle.dumps(adapter)
    try:
        sc = frame.sparkSession.sparkContext
    except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext: the closure ships it
        return data
    if getattr(sc, "_jsc", True) is None:  # stopped: say so, not "NoneType has no broadcast"
        from ..errors import SparkError

        raise SparkError(
            "The Spark session of the frame to score is stopped.",
            doing="scoring on Spark",
            cause="SparkContext stopped",
            remedy="Start the Spark session again and re-run the check.",
        )
    return sc.broadcast(data)


def score_frame(
    frame: DataFrame,
    adapter: ModelAdapter,
    feature_names: Sequence[str],
    *,
    id_columns: Sequence[str] = (),
    target_col: str | None = None,
    dtypes: Mapping[str, Any] | None = None,
    task: str | None = None,
) -> DataFrame:
    """``frame`` scored by the model, lazily (nothing runs until an action; nothing is
    collected).

    Args:
        frame: the rows to score (a Spark DataFrame holding ``feature_names``).
        adapter: the model.
        feature_names: the model's input columns, in its order.
        id_columns: columns carried through unchanged (ids, slices).
        target_col: the target, carried through first when given.
        dtypes: column -> training pandas dtype (a dtype or its name), e.g.
            ``X_train.dtypes.to_dict()``: each batch is cast to it (an int column holding a
            null becomes float64, as in pandas). Pass dtype objects for categoricals: the name
            "category" alone would give each batch its own categories. A feature not listed
            keeps Arrow's dtype, with nullable ints / booleans made numpy ones.
        task: "classification" or "regression"; default: classification when the adapter has
            classes.

    Returns:
        The passthrough columns, ``prediction`` and, for a classifier with probabilities,
        ``proba_0`` .. ``proba_{K-1}`` (:func:`proba_columns`).

    Raises:
        ValueError: a column is missing, or a passthrough column is named like an output.
    """
    from pyspark.sql import types as T

    task = task or ("classification" if adapter.classes is not None else "regression")
    features = tuple(feature_names)
    passthrough = tuple(
        dict.fromkeys(([target_col] if target_col is not None else []) + list(id_columns))
    )
    missing = [c for c in (*features, *passthrough) if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame has no column {', '.join(map(repr, missing))}")
    classes = tuple(adapter.classes) if adapter.classes is not None else None
    n_proba = len(classes) if task == "classification" and adapter.has_proba and classes else 0
    outputs = [PREDICTION, *(proba_column(i) for i in range(n_proba))]
    clash = [c for c in passthrough if c in outputs]
    if clash:
        raise ValueError(
            f"passthrough column(s) {', '.join(map(repr, clash))} would be overwritten by the "
            "model's outputs: rename them first"
        )
    kind = _label_kind(task, classes)
    fields = [frame.schema[c] for c in passthrough]
    fields.append(
        T.StructField(
            PREDICTION,
            prediction_type(task, classes),
            True,
            {METADATA_KEY: {"task": task, "classes": [_python(c) for c in classes or ()]}},
        )
    )
    for i in range(n_proba):
        assert classes is not None
        fields.append(
            T.StructField(
                proba_column(i),
                T.DoubleType(),
                True,
                {METADATA_KEY: {"class": _python(classes[i]), "index": i}},
            )
        )
    spec = _Spec(features, passthrough, dict(dtypes or {}), kind, n_proba)
    fn = functools.partial(
        _score_batches, token=uuid4().hex, payload=_payload(frame, adapter), spec=spec
    )
    read = ["`" + c.replace("`", "``") + "`" for c in dict.fromkeys((*passthrough, *features))]
    return frame.select(*read).mapInPandas(fn, T.StructType(fields))


def model_error(exc: BaseException) -> str | None:
    """The model's own message (``"ValueError: ..."``) when a Spark action failed because the
    model raised on a batch, else None."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        text = str(e)
        at = text.find(MARKER)
        if at >= 0:
            line = text[at:].splitlines()[0]
            _, _, rest = line.partition(" rows")
            rest = rest.split(": ", 1)[1] if ": " in rest else rest
            return rest.strip() or line
        e = e.__cause__ or e.__context__
    return None
