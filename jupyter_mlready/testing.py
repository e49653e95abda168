"""Helpers for the generated readiness tests (``tests/test_<model>_readiness.py``). Stable API.

The generated file is short because the properties live here (and in
``jupyter_mlready.probes``, which the ``mlready check`` results use too, so a test and the
check it came from cannot disagree)::

    model = testing.model_under_test(default=HERE / "model.pkl", task="classification")
    POOL = testing.example_pool(CONTRACT)

    @given(case=testing.cases("robustness.missing_values", CONTRACT, POOL))
    def test_missing_values(model, case):
        testing.assert_property(model, case, "classification")

Model loading (``load_model``): ``MLREADY_MODEL_URI`` (an MLflow URI: the sklearn flavor when the
model has one, else pyfunc), then ``MLREADY_MODEL_PATH`` (a pickle / joblib file), then the
default path. Loading a pickle runs code from it: only load files you trust.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path
from typing import Any

from .model import ModelAdapter
from .probes.cases import Case
from .probes.pool import example_pool as _pool
from .records import Contract

__all__ = [
    "Case",
    "assert_property",
    "cases",
    "example_pool",
    "expectation_cases",
    "load_model",
    "model_under_test",
]

MODEL_URI_ENV = "MLREADY_MODEL_URI"
MODEL_PATH_ENV = "MLREADY_MODEL_PATH"

# Models this process already loaded from an MLflow URI (the validation notebook loads the
# artifact once and runs the generated file in the same kernel): URI -> model object.
_LOADED: dict[str, Any] = {}


class already_loaded:
    """``with already_loaded(uri, model):`` -- ``load_model(uri)`` returns ``model`` meanwhile
    instead of downloading and unpickling the same artifact a second time."""

    def __init__(self, uri: str, model: Any):
        self.uri, self.model = uri, model

    def __enter__(self):
        _LOADED[self.uri] = self.model
        return self

    def __exit__(self, *exc):
        _LOADED.pop(self.uri, None)
        return False


def _is_uri(ref: str) -> bool:
    return ref.startswith(("models:/", "runs:/")) or "://" in ref


def load_model(ref: str | Path | None = None, default: str | Path | None = None) -> Any:
    """The model object from ``ref``, else the environment, else ``default``."""
    ref = ref or os.environ.get(MODEL_URI_ENV) or os.environ.get(MODEL_PATH_ENV) or default
    if ref is None:
        raise FileNotFoundError(
            f"No model to test: set {MODEL_URI_ENV} (an MLflow model URI) or "
            f"{MODEL_PATH_ENV} (a pickled model file)."
        )
    ref = str(ref)
    if ref in _LOADED:
        return _LOADED[ref]
    if _is_uri(ref):
        try:
            import mlflow
        except ImportError as exc:  # pragma: no cover - mlflow is a dependency
            raise ImportError(f"Loading {ref} needs mlflow: pip install mlflow") from exc
        try:
            return mlflow.sklearn.load_model(ref)
        except Exception:  # not an sklearn-flavored model: the generic pyfunc face
            return mlflow.pyfunc.load_model(ref)
    path = Path(ref)
    if not path.is_file():
        raise FileNotFoundError(
            f"Model file {path} does not exist. Set {MODEL_PATH_ENV} or {MODEL_URI_ENV}."
        )
    if path.suffix == ".joblib":
        import joblib

        return joblib.load(path)
    with open(path, "rb") as fh:
        return pickle.load(fh)


def adapt(model: Any, task: str | None = None) -> ModelAdapter:
    """A ModelAdapter; MLflow pyfunc models always take a DataFrame."""
    adapter = ModelAdapter.wrap(model, task)
    if type(model).__name__ == "PyFuncModel":
        adapter = dataclasses.replace(adapter, input_kind="frame")
    return adapter


def model_under_test(default: str | Path | None = None, task: str | None = None) -> ModelAdapter:
    """Load the model named by the environment (or ``default``) and wrap it."""
    return adapt(load_model(default=default), task)


def example_pool(contract: Contract, seed: int = 0, real=None):
    """Valid rows built from the contract (plus ``real`` rows when given); see probes.pool."""
    return _pool(contract, real, seed=seed)


def cases(check_id: str, contract: Contract, pool):
    """The hypothesis strategy of cases for a property id (a robustness id, "output.contract",
    "determinism" or "batch_invariance")."""
    from hypothesis import strategies as st

    from .probes.mutators import MUTATION_CHECKS, mutations_for
    from .probes.properties import strategy_for

    if check_id in MUTATION_CHECKS and not mutations_for(check_id, contract):
        return st.just(None)  # nothing to probe (e.g. no category column): the test skips
    return strategy_for(check_id, contract, pool)


def expectation_cases(contract: Contract, pool, feature: str, mode: str):
    """Cases for a declared expectation: ``mode`` is "increasing", "decreasing" or "invariant"."""
    from .probes.properties import strategy_for

    return strategy_for("output.expectations", contract, pool, feature, mode)


def assert_property(
    model: ModelAdapter,
    case: Case | None,
    task: str,
    clear_rejection_ok: bool = True,
    tolerance: float = 1e-6,
) -> None:
    """Fail with a readable message when the model is broken on ``case``.

    Broken: a crash inside the model, invalid output, or a different answer for the same
    information. A clear rejection fails only when ``clear_rejection_ok`` is False.
    """
    import unittest

    from .threads import one_native_thread

    if case is None:
        raise unittest.SkipTest("the contract has no column this edge case applies to")

    from .probes.properties import evaluate

    with one_native_thread():
        outcome = evaluate(case.check, model, case, task, tolerance)
    if outcome.broken:
        raise AssertionError(f"{case.describe()}: {outcome.detail}")
    if outcome.verdict == "rejected" and not clear_rejection_ok:
        raise AssertionError(
            f"{case.describe()}: {outcome.detail} (clear rejections are not "
            "accepted: CLEAR_REJECTION_OK = False)"
        )
