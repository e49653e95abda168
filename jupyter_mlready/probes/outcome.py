"""Run a frame through the model and say what happened: graceful or broken.

Classification of an exception (``classify_exception``), in this order:

1. **clear rejection** if it is a contract / schema validation error: pandera's errors, or any
   exception whose class (or a base class) is named ``*Schema*``, ``*Validation*``,
   ``*Contract*`` or ``*InvalidInput*``;
2. **clear rejection** if it is a ``ValueError`` / ``LookupError`` whose message names the column
   the edge case was put in (quoted, or bare when the name has 4+ characters) (e.g.
   ``"column 'age' has missing values"``, pandas' KeyError for a missing column,
   ColumnTransformer's ``columns are missing: {'age'}``);
3. **clear rejection** if it is a ``ValueError`` / ``LookupError`` raised by the user's own code
   (a frame outside site-packages and the standard library), i.e. a deliberate check;
4. for malformed input only (``expect="may_reject"``): **clear rejection** if it is a
   ``ValueError`` / ``LookupError`` / ``TypeError`` raised while the library validated its input
   (sklearn ``check_array`` / ``validate_data`` / feature-name checks, pandas indexing), before
   the estimator core ran;
5. otherwise a **crash**: e.g. sklearn's ``"Input X contains NaN"`` on NaN that production will
   send, ``"Found unknown categories"`` from a OneHotEncoder, TypeError / AttributeError /
   IndexError / numpy errors from inside a transformer or estimator.

Accepted output is then checked: one prediction per row, finite numbers, labels seen in
training, probabilities in [0, 1] summing to 1 (``output_problems``).
"""

from __future__ import annotations

import re
import sysconfig
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

VERDICTS = ("ok", "rejected", "crash", "bad_output", "differs")
BROKEN = frozenset({"crash", "bad_output", "differs"})

_SCHEMA_NAMES = re.compile(r"Schema|Validation|Contract|InvalidInput")
_VALIDATION_FUNCS = {
    "check_array",
    "validate_data",
    "_validate_data",
    "_check_feature_names",
    "_check_n_features",
    "_validate_input",
    "_check_X",
    "_validate_column_callables",
    "_get_column_indices",
    "_safe_indexing",
    "_check_X_y",
    "_ensure_no_complex_data",
    "_assert_all_finite",
    "_assert_all_finite_element_wise",
    "_check_unknown",
    "_get_indexer_strict",
    "_raise_if_missing",
    "__getitem__",
    "_get_feature_names",
}
_STDLIB = sysconfig.get_paths()["stdlib"]
PROBA_TOL = 1e-6


@dataclass(frozen=True)
class Outcome:
    """What the model did with one frame. ``verdict`` is one of VERDICTS."""

    verdict: str
    detail: str = ""
    error: str | None = None  # "ValueError: ..." when the model raised
    raised_in: str | None = None  # "sklearn/utils/validation.py:check_array"
    rule: str | None = None  # which classification rule decided
    extra: dict = field(default_factory=dict)

    @property
    def broken(self) -> bool:
        return self.verdict in BROKEN


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", "dist-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _is_user_frame(filename: str) -> bool:
    return not (
        "site-packages" in filename
        or "dist-packages" in filename
        or filename.startswith(_STDLIB)
        or "/jupyter_mlready/" in filename
        or filename.startswith("<frozen")
    )


def error_text(exc: BaseException, limit: int = 300) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message[:limit]}"


def _names_column(message: str, column: str | None) -> bool:
    """Quoted ('age', "age", `age`) anywhere; bare only for names of 4+ characters."""
    if not column:
        return False
    name = re.escape(str(column))
    if re.search(rf"['\"`]{name}['\"`]", message):
        return True
    return len(str(column)) >= 4 and re.search(rf"(?<![\w]){name}(?![\w])", message) is not None


def classify_exception(exc: BaseException, column: str | None, expect: str) -> Outcome:
    """Clear rejection or crash, by exception type, message and where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    inner = frames[-1] if frames else None
    raised_in = f"{_short_path(inner.filename)}:{inner.name}" if inner else None
    err = error_text(exc)
    names = {k.__name__ for k in type(exc).__mro__}
    rejected = None
    if any(_SCHEMA_NAMES.search(n) for n in names) or type(exc).__module__.startswith("pandera"):
        rejected = "contract/schema validation error"
    elif isinstance(exc, (ValueError, LookupError)) and _names_column(str(exc), column):
        rejected = f"the error names column {column!r}"
    elif isinstance(exc, (ValueError, LookupError)) and inner and _is_user_frame(inner.filename):
        rejected = "raised on purpose by the model's own code"
    elif (
        expect == "may_reject"
        and isinstance(exc, (ValueError, LookupError, TypeError))
        and any(f.name in _VALIDATION_FUNCS for f in frames)
    ):
        rejected = "input validation before the estimator ran"
    if rejected:
        return Outcome(
            "rejected", f"rejected with a clear error ({rejected}): {err}", err, raised_in, rejected
        )
    why = (
        "realistic production input must give a prediction or a clear error naming the column"
        if expect == "handle"
        else "not an input-validation error"
    )
    return Outcome("crash", f"crashed inside the model ({why}): {err}", err, raised_in, why)


def _as_numbers(a: np.ndarray) -> np.ndarray | None:
    try:
        return np.asarray(a, dtype="float64")
    except (TypeError, ValueError):
        return None


def output_problems(
    pred: Any, proba: Any, rows: int, task: str, classes: tuple | None
) -> list[str]:
    """Ways the output breaks the output contract (empty list when it is fine)."""
    problems = []
    pred = np.asarray(pred)
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = pred.ravel()
    if pred.ndim != 1 or len(pred) != rows:
        problems.append(f"returned output of shape {pred.shape} for {rows} rows")
        return problems
    if task == "regression" or classes is None:
        numbers = _as_numbers(pred)
        if task == "regression" and numbers is None:
            problems.append(f"returned non-numeric predictions (dtype {pred.dtype})")
        elif numbers is not None and not np.isfinite(numbers).all():
            bad = numbers[~np.isfinite(numbers)]
            problems.append(f"returned {len(bad)} non-finite prediction(s), e.g. {bad[0]!r}")
    else:
        known = set(classes)
        unknown = [v for v in pred.tolist() if v not in known]
        if unknown:
            problems.append(
                f"returned label(s) never seen in training, e.g. {unknown[0]!r}; "
                f"known: {sorted(known, key=str)}"
            )
    if proba is not None:
        p = _as_numbers(proba)
        k = len(classes) if classes is not None else None
        if p is None or p.ndim != 2 or p.shape[0] != rows or (k is not None and p.shape[1] != k):
            problems.append(
                f"predict_proba returned shape {np.shape(proba)} for {rows} rows"
                + (f" and {k} classes" if k is not None else "")
            )
        elif rows:
            if not np.isfinite(p).all():
                problems.append("predict_proba returned non-finite probabilities")
            elif (p < -PROBA_TOL).any() or (p > 1 + PROBA_TOL).any():
                problems.append(
                    f"predict_proba returned values outside [0, 1] (min {p.min():.4g}, "
                    f"max {p.max():.4g})"
                )
            elif (np.abs(p.sum(axis=1) - 1) > PROBA_TOL).any():
                worst = float(np.abs(p.sum(axis=1) - 1).max())
                problems.append(f"predict_proba rows do not sum to 1 (off by up to {worst:.3g})")
    return problems


def max_difference(a: Any, b: Any) -> float:
    """Largest absolute difference of two outputs (labels: 1.0 when any label differs)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return float("inf")
    na, nb = _as_numbers(a), _as_numbers(b)
    if na is not None and nb is not None:
        both_nan = np.isnan(na) & np.isnan(nb)
        diff = np.abs(np.where(both_nan, 0.0, na - nb))
        return float(np.nan_to_num(diff, nan=np.inf).max()) if diff.size else 0.0
    return float((a != b).any())


def run_frame(
    model: Any,
    frame: Any,
    column: str | None = None,
    expect: str = "handle",
    task: str = "classification",
    proba: bool = False,
) -> tuple[Outcome, Any, Any]:
    """Predict on ``frame``; returns (outcome, predictions, probabilities)."""
    try:
        pred = model.predict(frame)
        prob = model.predict_proba(frame) if proba and model.has_proba else None
    except Exception as exc:  # the point of the probe: any exception is classified
        return classify_exception(exc, column, expect), None, None
    problems = output_problems(pred, prob, len(frame), task, model.classes)
    if problems:
        return Outcome("bad_output", "; ".join(problems)), pred, prob
    return Outcome("ok", "valid output"), pred, prob
