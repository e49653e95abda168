"""Store selection and model packaging decisions (no MLflow store needed)."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from jupyter_mlready.errors import ArtifactError, RegistryError
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.registry.artifact import find_seeds, model_random_states
from jupyter_mlready.registry.packaging import plan_packaging
from jupyter_mlready.registry.store import project_root, resolve_store


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] + rng.normal(scale=0.5, size=200) > 0).astype(int)
    return X, y


def test_embedded_store_sits_in_the_project(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    nb = tmp_path / "notebooks" / "deep" / "m.ipynb"
    nb.parent.mkdir(parents=True)
    nb.write_text("{}")
    assert project_root(nb) == tmp_path
    store = resolve_store(nb)
    assert store.kind == "embedded"
    assert store.tracking_uri == f"sqlite:///{tmp_path}/.mlready/mlruns.db"
    assert store.artifact_location == str(tmp_path / ".mlready" / "artifacts")


def test_store_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999/")
    store = resolve_store(tmp_path)
    assert (store.tracking_uri, store.artifact_location, store.is_remote) == (
        "http://127.0.0.1:5999",
        None,
        True,
    )
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/x/db.sqlite")
    assert resolve_store(tmp_path).artifact_location == str(tmp_path / "x" / "artifacts")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "file:./mlruns")
    with pytest.raises(RegistryError, match="not supported"):
        resolve_store(tmp_path)


def test_plain_sklearn_pipeline_uses_skops(xy, tmp_path):
    X, y = xy
    model = make_pipeline(StandardScaler(), LogisticRegression(random_state=7)).fit(X, y)
    plan = plan_packaging(ModelAdapter.wrap(model, "classification"), tmp_path)
    assert plan.flavor == "sklearn"
    assert plan.serialization == "skops", plan.reason
    assert "runs code" not in plan.risk
    reqs = {r.split("==")[0] for r in plan.pip_requirements}
    assert {"scikit-learn", "numpy", "pandas", "skops"} <= reqs
    assert all("==" in r for r in plan.pip_requirements)
    assert model_random_states(model) == {"logisticregression__random_state": 7}


def _shift(frame):  # defined "in the notebook": its module is __main__ below
    return frame + 1


def test_notebook_function_forces_cloudpickle_and_names_it(xy, tmp_path, monkeypatch):
    X, y = xy
    monkeypatch.setattr(_shift, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "_shift", _shift, raising=False)
    model = make_pipeline(FunctionTransformer(_shift), LogisticRegression()).fit(X, y)
    plan = plan_packaging(ModelAdapter.wrap(model, "classification"), tmp_path)
    assert plan.serialization == "cloudpickle"
    assert "__main__._shift" in plan.reason
    assert "loading a pickle runs code" in plan.risk
    assert any("cloudpickle==" in r for r in plan.pip_requirements)


def test_notebook_local_module_goes_into_code_paths(xy, tmp_path, monkeypatch):
    X, y = xy
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "my_features.py").write_text(
        "class Doubler:\n"
        "    def fit(self, X, y=None):\n        return self\n"
        "    def transform(self, X):\n        return X * 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_features

    model = make_pipeline(my_features.Doubler(), LogisticRegression()).fit(X, y)
    plan = plan_packaging(ModelAdapter.wrap(model, "classification"), tmp_path)
    assert plan.code_paths == (str(tmp_path / "my_features.py"),)
    assert any("my_features.py" in n for n in plan.notes)
    sys.modules.pop("my_features", None)


class _Thresholder:
    """Not scikit-learn: goes through the generic pyfunc wrapper."""

    def predict(self, X):
        return (np.asarray(X)[:, 0] > 0).astype(int)


def test_non_sklearn_object_goes_through_pyfunc(tmp_path):
    plan = plan_packaging(ModelAdapter.wrap(_Thresholder(), "classification"), tmp_path)
    assert (plan.flavor, plan.serialization) == ("pyfunc", "cloudpickle")


def test_unpicklable_model_is_a_clear_error(tmp_path):
    model = _Thresholder()
    model.lock = threading.Lock()
    with pytest.raises(ArtifactError) as info:
        plan_packaging(ModelAdapter.wrap(model, "classification"), tmp_path, model_var="clf")
    assert info.value.obj == "clf"
    assert "`clf`" in str(info.value) and "lock" in str(info.value)
    assert "Traceback" not in str(info.value)


def test_seeds_found_in_namespace():
    ns = {"SEED": 42, "random_state": np.int64(3), "seed": "x", "RANDOM_STATE": True, "other": 1}
    assert find_seeds(ns) == {"SEED": 42, "random_state": 3}


def test_model_with_large_arrays_is_scanned(tmp_path):
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(2000, 5)), columns=list("abcde"))
    model = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, X["a"] * 2)
    plan = plan_packaging(ModelAdapter.wrap(model, "regression"), tmp_path)
    assert plan.flavor == "sklearn" and plan.serialization in ("skops", "cloudpickle")
