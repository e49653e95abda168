"""Run a frame through the model and say what happened: graceful or broken.

An exception is a **clear rejection** (``classify_exception``) only when both hold:

1. it **names the offending input**: the column the edge case was put in, as a quoted name
   (``'age'``, ``['age']``), a name alone on a line (sklearn's ``- age``, pydantic's field line),
   after the word column/field (MLflow's ``for column age``), or bare when the name cannot be an
   ordinary word (``signup_date``, ``x1``, ``userId``). A plain word such as ``data``, ``values``
   or ``page`` counts only in those forms, never inside a sentence. A whole-frame edge case (no
   column) is named by its shape or emptiness ("0 sample(s)", "feature names", "X has 3
   features"); malformed input (``expect="may_reject"``) may also be named that way, or by the
   non-finite value it carried ("contains infinity");
2. it is **not a known crash**: its message matches no pattern of ``probes.error_corpus`` (e.g.
   sklearn's "Input X contains NaN", whose advice mentions data, values, samples, a list and a
   page), and it is an input error (ValueError, TypeError, KeyError, or a validation error of
   pandera, MLflow, pydantic or a class named ``*Schema*`` / ``*Validation*`` / ``*Contract*`` /
   ``*InvalidInput*``), not an AttributeError, IndexError, ZeroDivisionError, ...

Everything else is a **crash**, wherever it was raised: an error from the user's own code is
not deliberate because of where it comes from, only because of what it says. The parts of a
message that list every column (MLflow's schema, pandera's "Columns in dataframe") name no one.

Accepted output is then checked: one prediction per row, finite numbers, labels seen in
training, probabilities in [0, 1] summing to 1 (``output_problems``).
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .error_corpus import known_crash, unwrap, without_listings

VERDICTS = ("ok", "rejected", "crash", "bad_output", "differs")
BROKEN = frozenset({"crash", "bad_output", "differs"})

_SCHEMA_NAMES = re.compile(r"Schema|Validation|Contract|InvalidInput")
#: libraries whose own exception types reject input (still judged by what the message names)
_VALIDATING_LIBRARIES = frozenset(
    {
        "pandera",
        "mlflow",
        "pydantic",
        "pydantic_core",
        "patsy",
        "catboost",
        "_catboost",  # CatBoostError's own module
        "lightgbm",
        "xgboost",
    }
)
_SHAPE = re.compile(
    r"\bshape\b|\bempty\b|\b(?:zero|no|0) (?:rows?|samples?)\b|\b0 sample\(s\)"
    r"|\bfeature[_ ]names\b|\b\d+ (?:features?|columns?|inputs?)\b"
    r"|\bnumber of (?:features|columns|inputs)\b|\b(?:column order|order of the columns)\b",
    re.IGNORECASE,
)
_NON_FINITE = re.compile(r"\b(?:infinity|infinite|non-finite|inf)\b", re.IGNORECASE)
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


def error_text(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line``, of the real error when a library wrapped it (MLflow's schema)."""
    text = unwrap(str(exc)).strip()
    message = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {message[:limit]}"


def _is_input_error(exc: BaseException) -> bool:
    """The exception types that reject input; an AttributeError or IndexError never does."""
    if isinstance(exc, (ValueError, TypeError, KeyError)):
        return True
    kind = type(exc)
    return kind.__module__.split(".")[0] in _VALIDATING_LIBRARIES or any(
        _SCHEMA_NAMES.search(k.__name__) for k in kind.__mro__
    )


def _distinctive(name: str) -> bool:
    """A name that cannot be an ordinary word: a letter plus a digit, ``_``, space or symbol,
    or a camelCase hump. ``age``, ``Data``, ``ID`` or ``0`` are not."""
    has_letter = any(c.isalpha() for c in name)
    return has_letter and (not name.isalpha() or re.search(r"[a-z][A-Z]", name) is not None)


def _names_column(message: str, column: str) -> bool:
    """Whether ``message`` names ``column`` as a column, not as a word of a sentence: quoted,
    alone on a line, after "column"/"field", or bare when the name is distinctive."""
    if not str(column):
        return False
    # libraries print a name with control characters escaped (sklearn: 'x\u202eevil\nline')
    spellings = {str(column), repr(str(column))[1:-1]}
    return any(_names_spelling(message, s) for s in spellings)


def _names_spelling(message: str, spelling: str) -> bool:
    name = re.escape(spelling)
    forms = [
        rf"(['\"`]){name}\1",
        rf"(?m)^[ \t]*(?:[-*][ \t]*)?{name}[ \t]*:?[ \t]*$",
        rf"\b(?i:column|field|feature)[ \t]+{name}(?!\w)",
        # a listing after a header, name: dtype (XGBoost "Invalid columns:age: str", LightGBM
        # "Fields with bad pandas dtypes: age: str, income: str")
        rf"(?i:columns|fields)[^\n]*?:[ \t]*(?:[^\n,:]+:[ \t]*[\w.\[\]]+,[ \t]*)*"
        rf"{name}:[ \t]*[\w.\[\]]+",
        rf"\bexpected[ \t]+{name}[ \t]+in\b",  # XGBoost: "expected income in input data"
    ]
    if _distinctive(spelling):
        forms.append(rf"(?<!\w){name}(?!\w)")
    return any(re.search(form, message) for form in forms)


_POSITION = re.compile(r"(?:\bfeature_idx=|\b[Aa]t position |\bfeature index )(\d+)\b")


def _names_input(
    message: str, column: str | None, expect: str, positions: tuple[str, ...] | None = None
) -> str | None:
    """Why ``message`` counts as naming the offending input, or None when it does not.
    ``positions``: the model's columns in order, for libraries that name a column by its
    position (CatBoost's ``feature_idx=3``)."""
    text = without_listings(message)
    if column is not None and _names_column(text, column):
        return f"the error names column {column!r}"
    if column is not None and positions and column in positions:
        index = positions.index(column)
        if any(int(m.group(1)) == index for m in _POSITION.finditer(text)):
            return f"the error names column {column!r} by its position ({index})"
    if (column is None or expect == "may_reject") and _SHAPE.search(text):
        return "the error names the frame's shape or emptiness"
    if expect == "may_reject" and _NON_FINITE.search(text):
        return "the error names the non-finite value"
    return None


def _judge(
    exc: BaseException, column: str | None, expect: str, positions: tuple[str, ...] | None = None
) -> tuple[str, str]:
    """(kind, reason), kind one of "clear", "unclear" (an input error that names nothing) and
    "crash" (a known crash, or not an input error at all)."""
    message = str(exc)
    crash = known_crash(message)
    if crash is not None:
        return "crash", f"a known {crash.library} crash: {crash.why}"
    if not _is_input_error(exc):
        return "crash", f"{type(exc).__name__} is not an input error"
    named = _names_input(message, column, expect, positions)
    if named is not None:
        return "clear", named
    if column is not None:
        return "unclear", f"the error does not name column {column!r}"
    return "unclear", "the error names neither the frame's shape nor its emptiness"


_DETAIL = {
    "clear": "rejected with a clear error",
    "unclear": "rejected without naming the offending input",
    "crash": "crashed inside the model",
}


def classify_exception(
    exc: BaseException,
    column: str | None,
    expect: str,
    positions: tuple[str, ...] | None = None,
) -> Outcome:
    """Clear rejection or crash, by what the error says (see the module docstring); an
    unclear rejection is a crash too, since a caller cannot tell what to fix.

    ``column`` is where the edge case was put (None for a whole-frame case); ``expect`` is
    "handle" for input production sends, "may_reject" for malformed input.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    inner = frames[-1] if frames else None
    raised_in = f"{_short_path(inner.filename)}:{inner.name}" if inner else None
    err = error_text(exc)
    kind, reason = _judge(exc, column, expect, positions)
    verdict = "rejected" if kind == "clear" else "crash"
    return Outcome(verdict, f"{_DETAIL[kind]} ({reason}): {err}", err, raised_in, reason)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


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
        unscored = int(pd.isna(pred).sum()) if pred.dtype == object else 0
        unknown = [v for v in pred.tolist() if v not in known and not _is_missing(v)]
        if unscored:
            problems.append(f"returned no prediction (NaN) for {unscored} row(s)")
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


def differing_rows(a: Any, b: Any, tolerance: float) -> tuple[np.ndarray, float]:
    """Which rows of two same-length outputs differ (labels exactly, numbers by more than
    ``tolerance``; NaN equals NaN), and the largest numeric difference (0.0 for labels). The
    fresh-kernel and re-run checks both compare a model's answers with a reference this way."""
    a, b = np.asarray(a), np.asarray(b)
    kinds = a.dtype.kind + b.dtype.kind
    if set(kinds) <= set("fbiu") and set(kinds) & set("f"):
        x, y = a.astype(float), b.astype(float)
        same = np.isclose(x, y, rtol=0, atol=tolerance, equal_nan=True)
        gap = float(np.nanmax(np.abs(x - y), initial=0)) if len(x) else 0.0
        return ~same, gap
    return a.astype(str) != b.astype(str), 0.0


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
        positions = getattr(model, "feature_names", None)
        return classify_exception(exc, column, expect, positions), None, None
    problems = output_problems(pred, prob, len(frame), task, model.classes)
    if problems:
        declined = declined_rows(pred, prob, frame, task, model.classes)
        if declined:
            return (
                Outcome(
                    "rejected",
                    f"returned no prediction (NaN or inf) for exactly the {declined} row(s) "
                    "holding a missing or infinite value, and valid output for the others: a "
                    "per-row refusal the caller must handle",
                    rule="declined_rows",
                ),
                pred,
                prob,
            )
        return Outcome("bad_output", "; ".join(problems)), pred, prob
    return Outcome("ok", "valid output"), pred, prob


def unscored(pred: Any, prob: Any = None) -> np.ndarray:
    """Rows the model gave no prediction for: a NaN (or None) label or value, or a NaN
    probability."""
    pred = np.asarray(pred)
    missing = (
        np.array(pd.isna(pred.reshape(len(pred), -1)).any(axis=1), dtype=bool)
        if pred.size
        else (np.zeros(len(pred), dtype=bool))
    )
    if prob is not None:
        p = np.asarray(prob)
        if p.ndim == 2 and len(p) == len(pred):
            missing |= np.asarray(pd.isna(p).any(axis=1))
    return missing


def declined_rows(pred: Any, prob: Any, frame: Any, task: str, classes: tuple | None) -> int:
    """How many rows the model declined when that is all that is wrong: it answered NaN (or, for
    a regression, ±inf) only on rows holding a missing or infinite input value, as statsmodels
    does, and valid output on the others. 0 otherwise."""
    if not hasattr(frame, "isna") or len(frame) == 0:
        return 0
    pred_arr = np.asarray(pred)
    if pred_arr.ndim != 1 or len(pred_arr) != len(frame):
        return 0
    missing_out = unscored(pred_arr, prob)
    numbers = _as_numbers(pred_arr) if task == "regression" else None
    if numbers is not None:
        missing_out |= np.isinf(numbers)
    if not missing_out.any():
        return 0
    if (missing_out & ~_unusable_rows(frame)).any():
        return 0
    keep = ~missing_out
    rest_prob = np.asarray(prob)[keep] if prob is not None else None
    if output_problems(pred_arr[keep], rest_prob, int(keep.sum()), task, classes):
        return 0
    return int(missing_out.sum())


def _unusable_rows(frame: Any) -> np.ndarray:
    """Rows holding a missing value, or an infinite number."""
    unusable = np.array(frame.isna().any(axis=1), dtype=bool)
    numeric = frame.select_dtypes("number")
    if numeric.shape[1]:
        unusable |= np.isinf(numeric.to_numpy(dtype=float, na_value=np.nan)).any(axis=1)
    return unusable
