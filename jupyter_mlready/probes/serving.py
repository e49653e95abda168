"""The serving boundary: what the logged model's signature does to a malformed request.

An MLflow scoring server enforces the signature before the model sees a request: a missing
column or a number sent as text is refused with an error naming the column ("Model is missing
inputs ['age']", "Incompatible input types for column age"), reordered columns are put back in
order by name, and an extra column is dropped. So when a model itself breaks on such a request
(LightGBM and CatBoost read columns by position; a formula model cannot read a string), the
served artifact still answers it clearly: ``at_serving_boundary`` says how, and the edge case
counts as a clear rejection *at the serving boundary* (a warning by default), never as a crash
inside the model. A direct ``predict`` call has no such guard, and the detail says so.

Only the whole-request format cases qualify, and only when a signature is logged: a frame with a
column MLflow's schema cannot type faithfully (``category``, nullable dtypes holding NaN) is
logged without one (``registry.packaging.signature_and_example``), so nothing guards it.
MLflow is imported inside functions; ``_enforce_schema`` is the function its pyfunc ``predict``
calls.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from .outcome import Outcome, max_difference, run_frame

BOUNDARY_KINDS = frozenset({"missing_column", "extra_column", "reordered", "numbers_as_text"})


def unschemable_columns(X: Any) -> list[tuple[str, str]]:
    """Columns whose pandas dtype has no faithful MLflow schema type: a ``category``, and a
    nullable integer / float / boolean column that holds a missing value."""
    if not isinstance(X, pd.DataFrame):
        return []
    out = []
    for col, dtype in X.dtypes.items():
        masked = isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iufb"
        if isinstance(dtype, pd.CategoricalDtype) or (masked and X[col].isna().any()):
            out.append((str(col), str(dtype)))
    return out


_SCHEMAS: dict[tuple, Any] = {}  # by (column, dtype) pairs: one inference per frame layout


def signature_schema(base: pd.DataFrame):
    """The input schema MLflow infers for frames like ``base`` (None when it would log none)."""
    if unschemable_columns(base):
        return None
    key = tuple((str(c), str(t)) for c, t in base.dtypes.items())
    if key not in _SCHEMAS:
        from mlflow.models import infer_signature

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _SCHEMAS[key] = infer_signature(base.head(200)).inputs
        except Exception:  # noqa: BLE001 - no schema inferred: logged without a signature
            _SCHEMAS[key] = None
    return _SCHEMAS[key]


def at_serving_boundary(
    model: Any,
    kind: str,
    frame: pd.DataFrame,
    base: pd.DataFrame,
    task: str,
    tolerance: float,
    direct: Outcome,
) -> Outcome | None:
    """How the served artifact answers a request the model itself broke on (``direct``): a
    clear rejection at the boundary, or None when the boundary does not make it graceful."""
    if kind not in BOUNDARY_KINDS or not isinstance(frame, pd.DataFrame):
        return None
    schema = signature_schema(base)
    if schema is None:
        return None
    from mlflow.exceptions import MlflowException
    from mlflow.models.utils import _enforce_schema

    tail = f"; a direct predict call reaches the model, which {direct.detail[:200]}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            served = _enforce_schema(frame, schema)
    except MlflowException as exc:
        message = str(exc).splitlines()[0][:200]
        return Outcome(
            "rejected",
            f"rejected at the serving boundary by the logged signature: {message}{tail}",
            f"MlflowException: {message}",
            rule="serving_boundary",
        )
    except Exception:  # noqa: BLE001 - the boundary itself failed: judge the model as it is
        return None
    outcome, pred, _ = run_frame(model, served, None, "may_reject", task)
    if outcome.verdict != "ok":
        return None
    if kind in ("reordered", "extra_column"):
        base_pred = model.predict(base)
        if max_difference(pred, base_pred) > tolerance:
            return None
    return Outcome(
        "rejected",
        "handled at the serving boundary: the logged signature puts the columns in order by "
        f"name and drops extra ones before the model sees them{tail}",
        rule="serving_boundary",
    )
