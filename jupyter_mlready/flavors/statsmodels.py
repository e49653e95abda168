"""statsmodels results as a model: what it reads, what it predicts, how it travels.

A fitted statsmodels model is its *results* object (``smf.logit(...).fit()``), never the model
before ``.fit()``. Two ways to build one:

* the **formula API** (``smf.ols("y ~ x + C(g)", data=train_df)``): ``predict`` takes a frame of
  the raw columns the formula names, and builds the design matrix itself;
* the **array API** (``sm.OLS(y, sm.add_constant(X))``): ``predict`` takes the design matrix,
  the constant column included. The gate gives it the features and adds the constant where the
  model has one, as the notebook did with ``sm.add_constant``.

Logit, Probit and a binomial GLM predict P(y = 1); MNLogit one probability per class: both are
classifiers (``ProbabilityOutputs`` reads labels from them). Time-series results (``tsa``)
forecast by date, not by row: they are refused (``flavors.support``).

statsmodels is imported inside functions: the package does not need it.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from .outputs import P_MATRIX, P_POSITIVE, ProbabilityOutputs


def is_results(obj: Any) -> bool:
    """A fitted statsmodels results object (not a model before ``.fit()``)."""
    if type(obj).__module__.split(".")[0] != "statsmodels":
        return False
    from statsmodels.base.wrapper import ResultsWrapper

    return isinstance(obj, ResultsWrapper)


def is_forecaster(results: Any) -> bool:
    """Time-series results: ``predict`` takes dates or steps, not rows of features."""
    return type(results.model).__module__.startswith("statsmodels.tsa")


def output_kind(results: Any) -> str | None:
    """``P_POSITIVE`` (Logit, Probit, binomial GLM), ``P_MATRIX`` (MNLogit), or None (a
    regression: OLS, WLS, Poisson, other GLM families, ...)."""
    from statsmodels.discrete.discrete_model import BinaryModel, MultinomialModel

    model = results.model
    if isinstance(model, MultinomialModel):
        return P_MATRIX
    if isinstance(model, BinaryModel):
        return P_POSITIVE
    family = getattr(model, "family", None)
    if family is not None and type(family).__name__ == "Binomial":
        return P_POSITIVE
    return None


def task(results: Any) -> str:
    return "classification" if output_kind(results) else "regression"


def formula(results: Any) -> str | None:
    value = getattr(results.model, "formula", None)
    return str(value) if value else None


def _frame(results: Any) -> pd.DataFrame | None:
    frame = getattr(results.model.data, "frame", None)
    return frame if isinstance(frame, pd.DataFrame) else None


def _named_in(text: str, column: str) -> bool:
    """Does the formula text use ``column`` (bare, or quoted as ``Q("a b")``)?"""
    if re.search(rf"(?<![\w.]){re.escape(column)}(?!\w)", text):
        return True
    return f'Q("{column}")' in text or f"Q('{column}')" in text


def _sides(results: Any) -> tuple[str, str]:
    """(left-hand side, right-hand side) of the formula's text."""
    lhs, _, rhs = (formula(results) or "").partition("~")
    return lhs.strip(), rhs.strip()


def formula_columns(results: Any) -> tuple[str, ...] | None:
    """The training frame's columns the formula reads, in the frame's order (target included)."""
    text, frame = formula(results), _frame(results)
    if text is None or frame is None:
        return None
    return tuple(str(c) for c in frame.columns if _named_in(text, str(c)))


def target_name(results: Any) -> str | None:
    """The target as the model predicts it: a column (``y``), or the left-hand side's
    expression (``np.log(price)``)."""
    names = getattr(results.model, "endog_names", None)
    return str(names) if isinstance(names, str) else None


def target_values(results: Any, frame: pd.DataFrame) -> pd.Series | None:
    """The left-hand side evaluated on ``frame`` when it is an expression (``np.log(price)``),
    so the target is on the model's scale; None when it is a plain column, or ``frame`` lacks
    the columns it reads."""
    lhs, _ = _sides(results)
    name = target_name(results)
    if not lhs or name is None or lhs in frame.columns or name in frame.columns:
        return None
    needed = [str(c) for c in frame.columns if _named_in(lhs, str(c))]
    if not needed:
        return None
    import patsy

    try:
        values = patsy.dmatrix(
            f"{lhs} - 1",
            frame[needed],
            eval_env=patsy.EvalEnvironment([{"np": np}]),
            return_type="dataframe",
            NA_action=patsy.NAAction(NA_types=[]),
        )
    except Exception:  # noqa: BLE001 - an expression patsy cannot evaluate here: not found
        return None
    if values.shape[1] != 1:
        return None
    return pd.Series(values.iloc[:, 0].to_numpy(), index=frame.index, name=name)


def _constant_index(results: Any) -> int | None:
    model = results.model
    if not getattr(model, "k_constant", 0):
        return None
    idx = getattr(model.data, "const_idx", None)
    return int(idx) if isinstance(idx, (int, np.integer)) else None


def _exog_names(results: Any) -> list[str]:
    """The design's column names, the constant included (empty when the model has none)."""
    return [str(n) for n in (getattr(results.model, "exog_names", None) or [])]


def served_constant(results: Any) -> dict | None:
    """Where an array-API design has the constant the notebook added (``{"index", "name"}``), so
    the served model can insert it into requests that carry the features (``serving.guard``);
    None for formula results (their design is built from the frame) and models without one."""
    if formula(results) is not None:
        return None
    idx = _constant_index(results)
    if idx is None:
        return None
    names = _exog_names(results)
    return {"index": idx, "name": names[idx] if idx < len(names) else "const"}


def exog_features(results: Any) -> list[str]:
    """The array API's design columns, without the constant the model adds."""
    names = _exog_names(results)
    idx = _constant_index(results)
    if idx is not None and idx < len(names):
        names.pop(idx)
    return names


def feature_names(results: Any) -> tuple[str, ...] | None:
    """The columns the model reads by name: the formula's (target excluded), or the array API's
    design columns when it was fitted on a frame; None when fitted on a bare array."""
    if formula(results) is not None:
        frame = _frame(results)
        if frame is None:
            return None
        _, rhs = _sides(results)
        return tuple(str(c) for c in frame.columns if _named_in(rhs, str(c)))
    if type(results.model.data).__name__ == "PandasData":
        return tuple(exog_features(results))
    return None


def n_features(results: Any) -> int | None:
    if formula(results) is not None:
        names = feature_names(results)
        return len(names) if names is not None else None
    return len(exog_features(results))


class StatsmodelsPredictor:
    """``predict`` / ``predict_proba`` of a statsmodels results object, on rows of features.

    The formula API gets the frame as it is; the array API gets the design matrix: the feature
    columns with the constant inserted where the model had it.
    """

    def __init__(self, results: Any, classes: tuple | None = None):
        self.results = results
        self._formula = formula(results) is not None
        self._const = _constant_index(results)
        kind = output_kind(results)
        self._outputs = (
            ProbabilityOutputs(self._raw, kind, classes or default_classes(results, kind))
            if kind
            else None
        )

    def design(self, X) -> Any:
        if self._formula:
            return X
        arr = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
        if self._const is not None and arr.ndim == 2:
            arr = np.insert(arr, self._const, 1.0, axis=1)
        return arr

    def _raw(self, X) -> np.ndarray:
        return np.asarray(self.results.predict(self.design(X)))

    @property
    def gives_proba(self) -> bool:
        return self._outputs is not None

    @property
    def classes(self) -> tuple | None:
        return self._outputs.classes if self._outputs else None

    def predict(self, X) -> np.ndarray:
        return self._outputs.predict(X) if self._outputs else self._raw(X)

    def predict_proba(self, X) -> np.ndarray:
        if self._outputs is None:
            raise AttributeError("a statsmodels regression has no predict_proba")
        return self._outputs.predict_proba(X)


def default_classes(results: Any, kind: str | None) -> tuple:
    """The labels when the training target is not at hand: MNLogit's own names, else (0, 1)."""
    names = getattr(results.model, "_ynames_map", None)
    if kind == P_MATRIX and isinstance(names, dict) and names:
        return tuple(names[k] for k in sorted(names))
    if kind == P_MATRIX:
        k = int(getattr(results.model, "J", 0) or 0)
        return tuple(range(k))
    return (0, 1)


#: rows the copy without training data must predict exactly as the original does
CHECK_ROWS = 5000


def without_training_data(results: Any, check_rows: pd.DataFrame | None = None) -> tuple[Any, str]:
    """A copy of ``results`` that carries no training data, and what it still carries.

    ``remove_data`` drops the arrays of length nobs, but a formula model rebuilds its design on
    load from the training frame it keeps (categorical levels, stateful transforms). The copy
    keeps only the formula's columns and the fewest rows that rebuild the same design: the first
    complete row of each value of every column with few distinct values, and the rows holding
    each numeric column's minimum and maximum. It is kept only if it predicts exactly what the
    original does on ``check_rows``; otherwise the formula's training columns stay in it and the
    note says so. The notebook's own object is never changed.
    """
    import pickle

    clone = pickle.loads(pickle.dumps(results))
    clone.remove_data()
    data = clone.model.data
    for attr in ("orig_endog", "orig_exog"):
        value = getattr(data, attr, None)
        if value is not None:  # a frame or an array of nobs rows: keep its shape, not its rows
            setattr(data, attr, value.iloc[:0] if hasattr(value, "iloc") else value[:0])
    frame = _frame(clone)
    if formula(clone) is None or frame is None:
        return clone, "statsmodels results without training data (remove_data)"
    cols = list(formula_columns(clone) or frame.columns)
    full = frame[cols]
    reduced = full.loc[_representative_rows(full)]
    data.frame = reduced
    trial = pickle.loads(pickle.dumps(clone))
    same = _predicts_the_same(trial, results, check_rows, full)
    if same:
        return clone, (
            f"statsmodels formula results without training data: {len(reduced)} representative "
            f"rows of the formula's {len(cols)} columns rebuild its design on load"
        )
    data.frame = full
    return clone, (
        f"statsmodels formula results: the formula's transforms need the training rows to "
        f"rebuild its design on load, so {len(full):,} rows of its {len(cols)} columns "
        "travel inside the model"
    )


def _predicts_the_same(trial: Any, results: Any, *candidates: pd.DataFrame | None) -> bool:
    """Does ``trial`` predict exactly what ``results`` does, on the first candidate rows the
    original can predict (the hold-out; the training rows when the hold-out holds a category
    the formula never saw, which the original refuses too)?"""
    for rows in candidates:
        if rows is None:
            continue
        sample = rows.head(CHECK_ROWS)
        try:
            expected = np.asarray(results.predict(sample), dtype=float)
        except Exception:  # noqa: BLE001 - rows the original cannot predict prove nothing
            continue
        try:
            got = np.asarray(trial.predict(sample), dtype=float)
        except Exception:  # noqa: BLE001 - the reduced design cannot predict what it could
            return False
        return bool(np.allclose(got, expected, rtol=0, atol=1e-9, equal_nan=True))
    return False


def _representative_rows(frame: pd.DataFrame, max_levels: int = 200) -> list:
    complete = frame.dropna()
    pool = complete if len(complete) else frame
    keep: dict = {}
    for col in pool.columns:
        values = pool[col]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if not numeric or values.nunique(dropna=True) <= max_levels:
            for label in values.drop_duplicates().index:
                keep[label] = True
        if numeric and len(values):
            keep[values.idxmin()] = True
            keep[values.idxmax()] = True
    return list(keep)
