"""Discovery: find the fitted model and its train / hold-out data in a namespace.

Zero-config first: conventional names (``X_train``/``y_test``, ``train_df`` + a target column),
the model's own ``feature_names_in_`` / ``n_features_in_``, and pandas index alignment decide.
Anything ambiguous raises :class:`DiscoveryError` naming the candidates and the flag to pass;
every choice is recorded with the reason it was made.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .. import flavors
from ..errors import DataError, DiscoveryError
from ..flavors import polars as polars_edge
from ..flavors import statsmodels as sm_flavor
from ..flavors.support import (
    refuse_multi_column_output,
    refuse_multi_column_target,
    refuse_unsupported,
)
from ..model import ModelAdapter, is_fitted_model
from ..records import Dataset, Subject
from .overrides import Overrides, parse_pair  # noqa: F401 - parse_pair: re-exported

TRAIN_WORDS = {"train", "training", "tr", "trn", "fit", "dev"}
TEST_WORDS = {"test", "testing", "te", "tst", "holdout", "hold", "heldout", "oos", "unseen"}
VAL_WORDS = {"val", "valid", "validation", "eval", "evaluation"}
X_WORDS = {"x", "features", "feature", "feats", "inputs", "input"}
Y_WORDS = {"y", "target", "targets", "label", "labels", "truth", "outcome"}
TARGET_COLUMN_NAMES = ("target", "label", "y", "class", "outcome")
MODEL_NAMES = (
    "model",
    "final_model",
    "best_model",
    "clf",
    "classifier",
    "regressor",
    "reg",
    "pipeline",
    "pipe",
    "estimator",
    "best_estimator",
    "trained_model",
    "fitted_model",
)
_IGNORED = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    toks = [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]
    out: list[str] = []
    for t in toks:  # "xtrain", "ytest" written without separator
        m = re.fullmatch(r"(x|y)(train|test|val|valid|tr|te|holdout)", t)
        out.extend(m.groups() if m else [t])
    return out


def name_split(name: str) -> str | None:
    """ "train", "test", "val" or None, from the words in a variable name."""
    toks = set(_tokens(name))
    if toks & TRAIN_WORDS and not toks & (TEST_WORDS | VAL_WORDS):
        return "train"
    if toks & TEST_WORDS:
        return "test"
    if toks & VAL_WORDS:
        return "val"
    return None


def name_role(name: str) -> str:
    """ "x", "y" or "frame" from the words in a variable name."""
    toks = set(_tokens(name))
    if toks & Y_WORDS:
        return "y"
    if toks & X_WORDS:
        return "x"
    return "frame"


def _is_public(name: str) -> bool:
    return not name.startswith("_") and name not in _IGNORED


def _is_table(obj: Any) -> bool:
    return isinstance(obj, pd.DataFrame) or (isinstance(obj, np.ndarray) and obj.ndim == 2)


def _is_vector(obj: Any) -> bool:
    if isinstance(obj, pd.Series):
        return True
    if isinstance(obj, pd.DataFrame):
        return obj.shape[1] == 1
    return isinstance(obj, np.ndarray) and (obj.ndim == 1 or (obj.ndim == 2 and obj.shape[1] == 1))


def _nested_ids(model: Any) -> set[int]:
    """ids of estimators inside ``model`` (pipeline steps, params, fitted sub-estimators)."""
    found: set[int] = set()
    try:
        for v in model.get_params(deep=True).values():
            found.add(id(v))
    except Exception:
        pass
    for attr in ("steps", "estimators_", "estimators", "calibrated_classifiers_"):
        items = getattr(model, attr, None)
        if items is None:
            continue
        items = np.ravel(items).tolist() if isinstance(items, np.ndarray) else list(items)
        for item in items:
            obj = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            found.add(id(obj))
    for attr in (
        "best_estimator_",
        "estimator_",
        "final_estimator_",
        "regressor_",
        "base_estimator_",
    ):
        obj = getattr(model, attr, None)
        if obj is not None:
            found.add(id(obj))
    found |= _held_objects(model)
    found.discard(id(model))
    return found


def _held_objects(model: Any) -> set[int]:
    """ids of what a hand-written model keeps in its attributes, directly or in a list, tuple
    or dict (an ensemble's ``self.members``): its members are not separate models."""
    try:
        attrs = vars(model)
    except TypeError:  # no __dict__ (slots, C extension types)
        return set()
    held: set[int] = set()
    for value in attrs.values():
        if isinstance(value, dict):
            items = list(value.values())
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, tuple) and len(item) == 2:  # ("name", estimator) pairs
                item = item[1]
            held.add(id(item))
    return held


def _feature_names(model: Any) -> list[str] | None:
    names = flavors.feature_names(model)
    if names is None:
        inner = getattr(model, "best_estimator_", None)
        names = flavors.feature_names(inner) if inner is not None else None
    return list(names) if names is not None else None


def _n_features(model: Any) -> int | None:
    return flavors.n_features(model)


def _predict(model: Any, X: Any) -> np.ndarray:
    """The model's labels / numbers (a statsmodels Logit's or a booster's probabilities read as
    labels), as the checks will see them."""
    return np.asarray(flavors.predictor_for(model).predict(X))


def _fits_model(table: Any, model: Any) -> bool:
    """Does the table's shape / columns match what the model was fitted on?"""
    names = _feature_names(model)
    if isinstance(table, pd.DataFrame):
        cols = [str(c) for c in table.columns]
        if names is not None:
            return set(names) <= set(cols)
        n = _n_features(model)
        return n is None or n == table.shape[1]
    n = _n_features(model)
    return names is None and (n is None or n == table.shape[1])


#: pandas >= 3 copies on write: a shallow copy is already safe from later edits in the notebook,
#: and a deep one would duplicate the training data (about 200 MB at 1M rows x 20 columns).
_DEEP_COPY = int(pd.__version__.split(".")[0]) < 3


def _as_frame(table: Any, model: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        names = _feature_names(model)
        frame = table[names] if names is not None else table
        frame = frame.copy(deep=_DEEP_COPY)
        frame.columns = [str(c) for c in frame.columns]
        return frame
    arr = np.asarray(table)
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _as_series(vec: Any, index: pd.Index | None, name: str | None) -> pd.Series:
    if isinstance(vec, pd.DataFrame):
        vec = vec.iloc[:, 0]  # one column: refuse_multi_column_target checked
    if isinstance(vec, pd.Series):
        s = vec.copy(deep=_DEEP_COPY)
    else:
        arr = np.asarray(vec)
        s = pd.Series(arr.reshape(-1), name=name)
    if index is not None and len(s) == len(index):
        s.index = index
    return s


def _choose_model(ns: dict, overrides: Overrides, tables: dict) -> tuple[str, Any, str]:
    if overrides.model:
        if overrides.model not in ns:
            raise DiscoveryError(
                "model",
                f"no variable named '{overrides.model}'",
                sorted(n for n, v in ns.items() if _is_public(n) and is_fitted_model(v)),
                "--model VAR",
            )
        obj = ns[overrides.model]
        if not is_fitted_model(obj):
            raise DiscoveryError(
                "model",
                f"'{overrides.model}' is not a fitted model with a predict method",
                [],
                "--model VAR",
            )
        return overrides.model, obj, "--model"
    cands: dict[int, list[str]] = {}
    objs: dict[int, Any] = {}
    for name, obj in ns.items():
        if (
            _is_public(name)
            and not isinstance(obj, (pd.DataFrame, pd.Series, np.ndarray))
            and is_fitted_model(obj)
        ):
            cands.setdefault(id(obj), []).append(name)
            objs[id(obj)] = obj
    if not cands:
        raise DiscoveryError(
            "model",
            "no fitted object with a predict method in the namespace",
            [],
            "--model VAR (and make sure the model is fitted)",
        )
    # An estimator inside another candidate (a pipeline step, a search's best_estimator_) is not
    # separate.
    nested = set()
    for obj in objs.values():
        nested |= _nested_ids(obj) & set(objs)
    kept = [oid for oid in objs if oid not in nested]
    for oid in list(
        kept
    ):  # a search CV whose best_estimator_ is itself a named variable: take the estimator
        inner = getattr(objs[oid], "best_estimator_", None)
        if inner is not None and id(inner) in objs:
            kept.remove(oid)
            if id(inner) not in kept:
                kept.append(id(inner))
    how = "only fitted model in the namespace"
    if len(kept) > 1:  # prefer models that accept the data found under conventional names
        named_tables = [t for n, t in tables.items() if name_split(n) in ("train", "test")]
        fitting = [oid for oid in kept if any(_fits_model(t, objs[oid]) for t in named_tables)]
        if 0 < len(fitting) < len(kept):
            kept, how = fitting, "only model whose features match the data"
    if len(kept) > 1:
        conventional = [oid for oid in kept if any(n in MODEL_NAMES for n in cands[oid])]
        if len(conventional) == 1:
            kept, how = conventional, "conventional name for the final model"
    if len(kept) != 1:
        names = sorted(n for oid in kept for n in cands[oid])
        raise DiscoveryError("model", f"{len(kept)} fitted models", names, "--model VAR")
    oid = kept[0]
    names = cands[oid]
    name = next((n for n in names if n in MODEL_NAMES), sorted(names)[0])
    return name, objs[oid], how


def _resolve_vars(ns: dict, names: tuple[str, ...], role: str, flag: str) -> list[Any]:
    values = []
    for n in names:
        if n not in ns:
            raise DiscoveryError(role, f"no variable named '{n}'", [], flag)
        values.append(ns[n])
    return values


def _target_in_frame(frame: pd.DataFrame, model: Any, target: str | None) -> tuple[str | None, str]:
    cols = [str(c) for c in frame.columns]
    if target:
        return (target, "--target") if target in cols else (None, "")
    if sm_flavor.is_results(model) and sm_flavor.formula(model):
        lhs = sm_flavor.target_name(model)
        if lhs in cols:
            return lhs, "the formula's left-hand side"
    names = _feature_names(model)
    if names is not None:
        extra = [c for c in cols if c not in names]
        if len(extra) == 1:
            return extra[0], "the one column the model was not fitted on"
        named = [c for c in extra if c.lower() in TARGET_COLUMN_NAMES]
        if len(named) == 1:
            return named[0], "conventional target column name"
        best = _best_matching_column(frame, model, names, extra)
        if best is not None:
            return (
                best,
                "the extra column the model's predictions match (others: ids, dates, notes)",
            )
        return None, ""
    named = [c for c in cols if c.lower() in TARGET_COLUMN_NAMES]
    if len(named) == 1:
        return named[0], "conventional target column name"
    return None, ""


def _best_matching_column(
    frame: pd.DataFrame, model: Any, names: list[str], extra: list[str]
) -> str | None:
    """Among columns the model was not fitted on, the one its predictions agree with, when that
    agreement is clear: accuracy >= 0.5 for classifiers, |correlation| >= 0.5 for regressors, and
    well ahead of the runner-up. None when unsure (the caller then asks for --target)."""
    sample = frame.iloc[:2000]
    try:
        pred = _predict(model, sample[names])
    except Exception:
        return None
    scores = {}
    for col in extra:
        values = sample[col]
        try:
            if (
                pred.dtype.kind in "fc"
                and pd.api.types.is_numeric_dtype(values)
                and not _looks_categorical(pred)
            ):
                score = abs(float(np.corrcoef(pred.astype(float), values.astype(float))[0, 1]))
            else:
                score = float(
                    np.mean(pd.Series(pred).astype(str).to_numpy() == values.astype(str).to_numpy())
                )
        except Exception:
            continue
        if np.isfinite(score):
            scores[col] = score
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < 0.5:
        return None
    if len(ranked) > 1 and ranked[1][1] > ranked[0][1] - 0.2:
        return None
    return ranked[0][0]


def _looks_categorical(pred: np.ndarray) -> bool:
    return pred.dtype.kind in "biuO" or len(np.unique(pred[:500])) <= 20


def _dataset_from(
    ns: dict, names: tuple[str, ...], model: Any, target: str | None, role: str, flag: str
) -> tuple[Dataset, str | None, str]:
    """Build a Dataset from explicit variable names: (X, Y) or (frame,) with a target column."""
    values = _resolve_vars(ns, names, role, flag)
    if hasattr(values[0], "__len__") and len(values[0]) == 0:
        raise DiscoveryError(role, f"'{names[0]}' has 0 rows (check the split)", [names[0]], flag)
    if len(values) == 2:
        X, y = values
        refuse_multi_column_target(y, names[1])
        if not _is_table(X):
            raise DiscoveryError(role, f"'{names[0]}' is not a DataFrame or 2-D array", [], flag)
        if isinstance(X, pd.DataFrame) and target and target in X.columns:
            X = X.drop(columns=[target])
        frame = _as_frame(X, model)
        return (
            Dataset(frame, _as_series(y, frame.index, None), names[0], names[1]),
            None,
            "explicit",
        )
    (X,) = values
    if not isinstance(X, pd.DataFrame):
        raise DiscoveryError(
            role,
            f"'{names[0]}' alone needs to be a DataFrame with a target column",
            [],
            flag.replace("X[,Y]", "X,Y"),
        )
    col, how = _target_in_frame(X, model, target)
    if col is not None and how == "--target" and flag.startswith("--holdout") and target:
        how = "same target column as the training data"
    if col is None:
        raise DiscoveryError(
            role,
            f"no target column identified in '{names[0]}'",
            [str(c) for c in X.columns][:20],
            "--target COL",
        )
    frame = _as_frame(X.drop(columns=[col]), model)
    return Dataset(frame, X[col].copy(), names[0], f"{names[0]}[{col!r}]"), col, how


def _find_y(ns: dict, X: Any, x_name: str, split: str, vectors: dict) -> str | None:
    same_split = [
        n
        for n in vectors
        if name_split(n) == split and name_role(n) == "y" and len(vectors[n]) == len(X)
    ]
    if len(same_split) == 1:
        return same_split[0]
    # the same pandas index as X: the target that was split with it
    if isinstance(X, pd.DataFrame):
        aligned = [
            n
            for n, v in vectors.items()
            if isinstance(v, pd.Series)
            and len(v) == len(X)
            and v.index.equals(X.index)
            and (not same_split or n in same_split)
        ]
        if len(aligned) == 1:
            return aligned[0]
    return None


def _auto_dataset(
    ns: dict,
    split_rank: tuple[str, ...],
    role: str,
    flag: str,
    model: Any,
    target: str | None,
    tables: dict,
    vectors: dict,
) -> tuple[Dataset, str | None, str]:
    for split in split_rank:
        xs = [
            n
            for n, t in tables.items()
            if name_split(n) == split and name_role(n) == "x" and _fits_model(t, model)
        ]
        frames = [
            n
            for n, t in tables.items()
            if name_split(n) == split and name_role(n) == "frame" and isinstance(t, pd.DataFrame)
        ]
        if len(xs) > 1:  # e.g. X_train and X_train_scaled: keep the ones the model accepts
            accepted = [n for n in xs if _accepts(model, tables[n])]
            xs = accepted or xs
        if len(xs) > 1:  # fitted on named columns -> the frame; fitted without names -> the array
            wants_frame = _feature_names(model) is not None
            kind = [n for n in xs if isinstance(tables[n], pd.DataFrame) == wants_frame]
            xs = kind if len(kind) == 1 else xs
        if len(xs) == 1:
            x_name = xs[0]
            y_name = _find_y(ns, tables[x_name], x_name, split, vectors)
            if y_name is None:
                raise DiscoveryError(
                    role,
                    f"found features '{x_name}' but no target of the same length",
                    sorted(n for n in vectors if name_split(n) == split),
                    flag,
                )
            ds, col, _ = _dataset_from(ns, (x_name, y_name), model, target, role, flag)
            return ds, col, f"conventional names ({split} split)"
        if len(xs) > 1:
            raise DiscoveryError(role, f"several {split} feature tables", sorted(xs), flag)
        with_target = []
        for n in frames:
            col, how = _target_in_frame(tables[n], model, target)
            if col is not None and _fits_model(tables[n].drop(columns=[col]), model):
                with_target.append((n, col, how))
        if len(with_target) == 1:
            n, col, how = with_target[0]
            ds, col, _ = _dataset_from(ns, (n,), model, col, role, flag)
            if target and role.startswith("hold"):
                how = "same target column as the training data"
            return ds, col, f"{split} frame with target column ({how})"
        if len(with_target) > 1:
            raise DiscoveryError(
                role, f"several {split} frames", sorted(n for n, _, _ in with_target), flag
            )
    empty = sorted(
        n
        for n, v in ns.items()
        if (_is_table(v) or _is_vector(v)) and len(v) == 0 and name_split(n) in split_rank
    )
    if empty:  # named like the split, but without rows: say so rather than "not found"
        raise DiscoveryError(
            role,
            f"{', '.join(repr(n) for n in empty)} {'has' if len(empty) == 1 else 'have'} 0 rows "
            "(check the split)",
            empty,
            flag,
        )
    found = sorted(n for n in tables if _fits_model(tables[n], model))
    raise DiscoveryError(
        role,
        "no variable named like a " + " / ".join(split_rank) + " split that matches the model",
        found,
        flag,
    )


def _accepts(model: Any, table: Any) -> bool:
    try:
        sample = table.iloc[:3] if isinstance(table, pd.DataFrame) else np.asarray(table)[:3]
        with (
            warnings.catch_warnings()
        ):  # "X has feature names, but ... fitted without": a probe, not news
            warnings.simplefilter("ignore")
            _predict(model, sample)
        return True
    except Exception:
        return False


def _accepts_frame(model: Any, X: pd.DataFrame) -> bool:
    try:
        _predict(model, X.iloc[:5])
        return True
    except Exception:
        return False


def _reads_named_columns(model: Any, X: pd.DataFrame, flavor: str) -> bool:
    """Does a model that records no feature names still want the frame? A custom model that
    predicts on it; or a scikit-learn model that predicts on it and fails on the same rows as a
    bare array: a pipeline whose first step is a custom transformer (such a step records no
    ``feature_names_in_``) that selects, maps or merges columns by name, e.g. against a reference
    table it holds as a parameter. A scikit-learn model that takes the array stays positional."""
    if flavor == "sklearn" and _accepts(model, X.iloc[:5].to_numpy()):
        return False
    return _accepts_frame(model, X)


def _infer_task(model: Any, y: pd.Series | None, X: pd.DataFrame | None = None) -> str:
    stated = flavors.task_of(model)  # statsmodels results, native boosters
    if stated is not None:
        return stated
    est_type = getattr(model, "_estimator_type", None)
    try:
        from sklearn.base import is_classifier, is_regressor

        if is_classifier(model):
            return "classification"
        if is_regressor(model):
            return "regression"
    except Exception:
        pass
    if est_type in ("classifier", "regressor"):
        return "classification" if est_type == "classifier" else "regression"
    if hasattr(model, "classes_") or callable(getattr(model, "predict_proba", None)):
        return "classification"
    if y is not None and (not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y)):
        return "classification"
    if y is not None and pd.api.types.is_integer_dtype(y) and y.nunique() <= 20:
        # a count (claims per year, items per basket) is a regression when the model answers
        # in fractions: a classifier answers with one of the labels
        return "regression" if _answers_in_fractions(model, X) else "classification"
    return "regression"


def _answers_in_fractions(model: Any, X: pd.DataFrame | None) -> bool:
    if X is None or len(X) == 0:
        return False
    try:
        pred = np.asarray(_predict(model, X.iloc[:200]), dtype=float)
    except Exception:  # noqa: BLE001 - a model that fails here is the checks' finding
        return False
    finite = pred[np.isfinite(pred)]
    return bool(finite.size) and bool((np.abs(finite - np.round(finite)) > 1e-9).any())


def _refuse_duplicate_names(role: str, ds: Dataset) -> None:
    """Column names are compared as text (0 and "0" are one name): a model input, the contract
    and the bundle need one column per name."""
    twice = sorted(n for n, k in Counter(str(c) for c in ds.X.columns).items() if k > 1)
    if twice:
        raise DataError(
            f"The {role} '{ds.x_var}' has {len(twice)} duplicate column name(s) "
            f"{twice[:10]} (names are compared as text, so 0 and '0' are one name).",
            role=role,
            variable=ds.x_var,
            columns=twice[:50],
            remedy="Give every column its own name (e.g. df.columns = [...], or drop the "
            "duplicates), refit the model, and check again.",
        )


def _with_formula_target(tables: dict, results: Any) -> dict:
    """Frames with the formula's left-hand side added as a column when it is an expression
    (``np.log(price) ~ ...``): the target on the model's scale, found like any target column."""
    out = dict(tables)
    for name, table in tables.items():
        if isinstance(table, pd.DataFrame):
            values = sm_flavor.target_values(results, table)
            if values is not None:
                out[name] = table.assign(**{str(values.name): values})
    return out


def _labels(y: pd.Series | None) -> tuple | None:
    """The training target's labels, sorted (for models that predict probabilities only)."""
    if y is None:
        return None
    values = pd.unique(y.dropna())
    try:
        return tuple(sorted(values.tolist()))
    except TypeError:
        return tuple(sorted(values.tolist(), key=str))


def discover(namespace: dict, overrides: Overrides | None = None) -> Subject:
    """Find the model and its data in ``namespace``; raise DiscoveryError when unsure."""
    o = overrides or Overrides()
    ns, from_polars = polars_edge.pandas_namespace(
        {k: v for k, v in namespace.items() if _is_public(k)}
    )
    tables = {n: v for n, v in ns.items() if _is_table(v) and len(v) > 0}
    vectors = {n: v for n, v in ns.items() if _is_vector(v) and len(v) > 0}
    model_var, model_obj, model_how = _choose_model(ns, o, tables)
    refuse_unsupported(model_obj, model_var)
    if sm_flavor.is_results(model_obj) and sm_flavor.formula(model_obj):
        tables = _with_formula_target(tables, model_obj)
        ns = {**ns, **tables}
    record: dict = {"model": {"var": model_var, "how": model_how}}

    target_col = o.target
    if o.train:
        train, col, how = _dataset_from(
            ns, o.train, model_obj, o.target, "training data", "--train X[,Y]"
        )
        how = "--train"
    else:
        train, col, how = _auto_dataset(
            ns, ("train",), "training data", "--train X[,Y]", model_obj, o.target, tables, vectors
        )
    target_col = target_col or col
    record["train"] = {"x": train.x_var, "y": train.y_var, "how": how}
    if o.holdout:
        holdout, col, how = _dataset_from(
            ns, o.holdout, model_obj, target_col, "hold-out data", "--holdout X[,Y]"
        )
        how = "--holdout"
    else:
        holdout, col, how = _auto_dataset(
            ns,
            ("test", "val"),
            "hold-out data",
            "--holdout X[,Y]",
            model_obj,
            target_col,
            tables,
            vectors,
        )
    target_col = target_col or col
    record["holdout"] = {"x": holdout.x_var, "y": holdout.y_var, "how": how}
    for role, ds in (("training data", train), ("hold-out data", holdout)):
        _refuse_duplicate_names(role, ds)
    if list(train.X.columns) != list(holdout.X.columns):
        missing = sorted(set(train.X.columns) - set(holdout.X.columns))
        if missing:
            raise DiscoveryError(
                "hold-out data",
                f"hold-out lacks training columns {missing[:10]}",
                [holdout.x_var],
                "--holdout X[,Y]",
            )
        holdout = Dataset(holdout.X[list(train.X.columns)], holdout.y, holdout.x_var, holdout.y_var)
    task = _infer_task(model_obj, train.y, train.X)
    target_name = target_col or (
        str(train.y.name) if train.y is not None and train.y.name is not None else None
    )
    record["task"] = task
    adapter = ModelAdapter.wrap(model_obj, task, _labels(train.y) if task != "regression" else None)
    if adapter.input_kind == "array" and _reads_named_columns(model_obj, train.X, adapter.flavor):
        adapter = replace(adapter, input_kind="frame")
    record["input"] = adapter.input_kind
    try:
        sample_output = adapter.predict(holdout.X.iloc[:5])
    except Exception:  # noqa: BLE001 - a model that fails here is the checks' finding
        sample_output = None
    if sample_output is not None:
        refuse_multi_column_output(sample_output, model_obj, model_var)
    named = (train.x_var, train.y_var, holdout.x_var, holdout.y_var)
    used = sorted({v for v in named if v} & set(from_polars))
    if used:
        record["frames"] = {"library": "polars", "variables": used, "how": polars_edge.EDGE_NOTE}
    return Subject(
        model=adapter,
        model_var=model_var,
        task=task,
        train=train,
        holdout=holdout,
        target_name=target_name,
        discovery=record,
    )
