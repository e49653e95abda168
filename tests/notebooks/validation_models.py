"""Candidates for the validation-notebook tests: a model, its bundle, and a logged MLflow version.

Each kind mirrors a notebook situation:
- ``clean``: a scikit-learn pipeline made only of library classes -> every check passes.
- ``local_module``: the pipeline uses a transformer from ``mytransform.py``, a module the notebook
  wrote beside itself. Logged without ``code_paths``, so the fresh kernel (another cwd) cannot
  import it -> ``reproducibility.fresh_kernel`` fails with ModuleNotFoundError.
- ``slow``: a transformer that sleeps per call, logged with ``code_paths`` so it loads -> the
  ``latency`` budget fails.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

MYTRANSFORM = '''
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class LogAmount(BaseEstimator, TransformerMixin):
    """log1p of the numeric columns (notebook-local code)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.log1p(np.clip(np.asarray(X, dtype=float), 0, None))
'''

SLOWMODEL = '''
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

DELAY_S = 0.06


class Slow(BaseEstimator, TransformerMixin):
    """Passes data through after a fixed delay per call (a remote feature lookup, say)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        time.sleep(DELAY_S)
        return np.asarray(X, dtype=float)
'''


def make_data(seed: int = 0, n: int = 800):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "amount": rng.lognormal(5, 1, n),
        "age": rng.integers(18, 80, n).astype(float),
        "tenure": rng.gamma(2.0, 3.0, n),
        "region": pd.Series(rng.choice(["north", "south", "east"], n)).astype(str),
    })
    logit = -1 + 0.8 * np.log(X["amount"] / 150) + 0.03 * (X["age"] - 45) + 0.5 * (X["region"] == "north")
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="label")
    cut = int(n * 0.75)
    return X.iloc[:cut].reset_index(drop=True), X.iloc[cut:].reset_index(drop=True), \
        y.iloc[:cut].reset_index(drop=True), y.iloc[cut:].reset_index(drop=True)


def _module(folder: Path, name: str, source: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    sys.path.insert(0, str(folder))
    try:
        sys.modules.pop(name, None)
        return importlib.import_module(name), path
    finally:
        sys.path.remove(str(folder))


def build_model(kind: str, folder: Path):
    """(fitted pipeline, code_paths for log_model)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = ["amount", "age", "tenure"]
    num_step, code_paths = StandardScaler(), None
    if kind == "local_module":
        mod, _ = _module(folder, "mytransform", MYTRANSFORM)
        num_step = Pipeline([("log", mod.LogAmount()), ("scale", StandardScaler())])
    elif kind == "slow":
        mod, path = _module(folder, "slowmodel", SLOWMODEL)
        num_step = Pipeline([("slow", mod.Slow()), ("scale", StandardScaler())])
        code_paths = [str(path)]
    elif kind != "clean":
        raise ValueError(kind)
    num = Pipeline([("impute", SimpleImputer(strategy="median")), ("num", num_step)])
    cat = Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                    ("onehot", OneHotEncoder(handle_unknown="ignore"))])
    prep = ColumnTransformer([("num", num, numeric), ("cat", cat, ["region"])])
    return Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=500))]), code_paths


def make_candidate(kind: str, tmp_path: Path, policy=None, name: str | None = None,
                   store: Path | None = None) -> dict:
    """Fit, write ``<tmp>/out/bundle``, log and register the model in a sqlite MLflow store
    (in ``store``, default ``tmp_path``; share one store between candidates to save time).

    Returns {"model_uri", "bundle_dir", "out", "tracking_uri", "policy", "subject"}."""
    import mlflow

    from jupyter_mlready.registry.bundle import write_bundle
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.stages.discover import discover
    from jupyter_mlready.policy import Policy

    policy = policy or Policy()
    X_train, X_test, y_train, y_test = make_data()
    model, code_paths = build_model(kind, tmp_path / "notebook")
    model.fit(X_train, y_train)
    ns = {"model": model, "X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test}
    subject = discover(ns)
    contract = infer_contract(subject, policy)
    out = tmp_path / "out"
    bundle = write_bundle(subject, contract, policy, out)
    store = store or tmp_path
    tracking_uri = f"sqlite:///{store / 'mlruns.db'}"
    mlflow.set_tracking_uri(tracking_uri)
    exp_name = f"validation-{kind}"
    if mlflow.get_experiment_by_name(exp_name) is None:
        mlflow.create_experiment(exp_name, artifact_location=(store / "artifacts").as_uri())
    mlflow.set_experiment(exp_name)
    name = name or f"{kind}_model"
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle",
                                        code_paths=code_paths, pip_requirements=["scikit-learn"],
                                        registered_model_name=name)
    # served behind the contract guard, as `mlready check` logs it (the store is on this disk)
    from urllib.parse import urlparse

    from jupyter_mlready.serving import add_guard

    location = mlflow.get_logged_model(info.model_id).artifact_location
    add_guard(Path(urlparse(location).path), contract, policy.on_invalid)
    return {"model_uri": f"models:/{name}/1", "bundle_dir": bundle.path, "out": out,
            "tracking_uri": tracking_uri, "policy": policy, "subject": subject}
