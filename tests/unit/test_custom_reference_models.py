"""Issue 15: a scikit-learn pipeline whose first step is a custom transformer holding a reference
table (a DataFrame or an array, passed to the constructor) and reading its input's columns by
name. Such a step records no ``feature_names_in_``, so the pipeline does not say it was fitted on
a frame; sent bare arrays, it crashed with "IndexError: only integers, slices ..." and
performance.baseline, performance.thresholds and latency were errors on a model that works.

And latency on a model that is slow per call (it re-reads a table on every call): fast per row
in a batch, slow for every one-row request. The budget is for one request, as served.
"""

import os
import subprocess
import sys
import time
import warnings

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.checks.latency import measure
from jupyter_mlready.contract import infer_contract, write_contract
from jupyter_mlready.policy import Policy
from jupyter_mlready.probes import write_probe_tests
from jupyter_mlready.stages.discover import discover

BRANCHES = pd.DataFrame(
    {
        "branch": ["north", "south", "east", "west", "central"],
        "branch_size": [120.0, 45.0, 80.0, 60.0, 200.0],
        "branch_region": ["rural", "rural", "urban", "urban", "urban"],
    }
)
NUMERIC = ["income", "age", "loan_amount", "branch_size"]


def _add_branch_facts(X: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    branch = X["branch"]  # by name: on a bare array, "IndexError: only integers, slices ..."
    facts = table.set_index("branch")
    out = X.drop(columns="branch")
    out["branch_size"] = branch.map(facts["branch_size"]).astype(float)
    out["branch_region"] = branch.map(facts["branch_region"])
    return out


class BranchFacts(BaseEstimator, TransformerMixin):
    """Adds each loan's branch facts from the branch table it holds. Like most hand-written
    transformers it records no ``feature_names_in_``."""

    def __init__(self, branches=None):
        self.branches = branches

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        table = self.branches
        if isinstance(table, np.ndarray):  # rows of (branch, size, region)
            table = pd.DataFrame(table, columns=list(BRANCHES.columns))
        return _add_branch_facts(X, table)


class SlowBranchFacts(BaseEstimator, TransformerMixin):
    """Re-reads the branch table from its file on every call (a slow share: ``delay_s``)."""

    def __init__(self, path=None, delay_s=0.0, names=False):
        self.path = path
        self.delay_s = delay_s
        self.names = names

    def fit(self, X, y=None):
        if self.names:  # a transformer that does record what it was fitted on
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        time.sleep(self.delay_s)
        return _add_branch_facts(X, pd.read_csv(self.path))


def _loans(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": rng.normal(50_000, 12_000, n).round(0),
            "age": rng.integers(18, 80, n),
            "loan_amount": rng.normal(15_000, 5_000, n).round(0),
            "branch": rng.choice(BRANCHES["branch"].to_numpy(), n),
        }
    )
    size = X["branch"].map(BRANCHES.set_index("branch")["branch_size"])
    logit = (
        -0.5
        + 0.0002 * (X["loan_amount"] - 15_000)
        - 0.0001 * (X["income"] - 50_000)
        - 0.02 * (size - 100)
    )
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="defaulted")
    return X, y


def _namespace(step) -> dict:
    X, y = _loans()
    cut = int(len(X) * 0.7)
    model = Pipeline(
        [
            ("branch", step),
            (
                "prep",
                ColumnTransformer(
                    [
                        # a branch missing from the table has no size: imputed
                        ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), ["branch_region"]),
                    ]
                ),
            ),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    ).fit(X[:cut], y[:cut])
    return {
        "model": model,
        "X_train": X[:cut],
        "X_test": X[cut:],
        "y_train": y[:cut],
        "y_test": y[cut:],
    }


def _context(ns, policy=None):
    policy = policy or Policy()
    s = discover(ns)
    return s, CheckContext(s.model, s.task, s.train, s.holdout, infer_contract(s, policy), policy)


def _run(check_id, ctx):
    spec = next(sp for sp in load_checks() if sp.id == check_id)
    return run_check(spec, ctx)


REFERENCES = {
    "dataframe": BRANCHES,
    "ndarray": BRANCHES.to_numpy(dtype=object),
}


@pytest.mark.parametrize("reference", sorted(REFERENCES))
def test_discovery_sends_frames_to_a_custom_step_that_reads_columns_by_name(reference):
    s, _ = _context(_namespace(BranchFacts(REFERENCES[reference])))
    assert s.model.input_kind == "frame" and s.discovery["input"] == "frame"
    assert s.model.predict_proba(s.holdout.X.iloc[:3]).shape == (3, 2)


@pytest.mark.parametrize("reference", sorted(REFERENCES))
def test_performance_and_latency_judge_the_model_instead_of_crashing(reference):
    # a generous latency budget: the machine running the tests is shared
    _, ctx = _context(
        _namespace(BranchFacts(REFERENCES[reference])), Policy(latency_p95_ms=10_000.0)
    )
    for check_id in ("performance.baseline", "performance.thresholds", "latency"):
        result = _run(check_id, ctx)
        assert result.status == "pass", (check_id, result.summary)


def test_a_sklearn_model_fitted_on_a_bare_array_stays_positional():
    X, y = _loans()
    arr = X.drop(columns="branch").to_numpy(dtype=float)
    ns = {
        "model": LogisticRegression(max_iter=500).fit(arr[:1400], y[:1400]),
        "X_train": arr[:1400],
        "X_test": arr[1400:],
        "y_train": y[:1400].to_numpy(),
        "y_test": y[1400:].to_numpy(),
    }
    assert discover(ns).model.input_kind == "array"


def test_the_bundle_records_that_the_model_takes_frames(tmp_path):
    """The artifact stage predicted the hold-out through the same adapter, and crashed."""
    from jupyter_mlready.registry.bundle import load_bundle, write_bundle

    s, ctx = _context(_namespace(BranchFacts(BRANCHES)))
    bundle = load_bundle(write_bundle(s, ctx.contract, ctx.policy, tmp_path).path)
    assert bundle.meta["input_kind"] == "frame"


def test_the_generated_test_file_sends_frames_too(tmp_path):
    """The generated file loads model.pkl and cannot tell how the model takes its input: the
    file pins what discovery found."""
    import jupyter_mlready.probes.codegen as codegen

    s, ctx = _context(_namespace(BranchFacts(BRANCHES)))
    write_contract(ctx.contract, tmp_path)
    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)  # the classes above travel in model.pkl
    try:
        files = write_probe_tests(s, ctx.contract, ctx.policy, tmp_path, "loans")
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    source = files.test_file.read_text()
    assert 'INPUT_KIND = "frame"' in source
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(files.test_file)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=files.test_file.parent,
        env={**os.environ, "MLREADY_MAX_EXAMPLES": "3"},
    )
    assert done.returncode == 0, done.stdout[-3000:]
    # a model that says what it was fitted on gets the file as it always was
    named = LogisticRegression().fit(s.train.X[["income", "age"]], s.train.y)
    assert codegen.pinned_input_kind(named, "frame") is None


def test_latency_times_one_row_requests_and_a_batch_never_divides():
    sizes: list[int] = []

    def predict(X):
        sizes.append(len(X))
        return np.zeros(len(X))

    X, _ = _loans(300)
    facts = measure(predict, X, budget_s=0.2)
    batch = facts["batch"]["repeats"]
    assert sizes.count(1000) == batch and set(sizes) == {1, 1000}
    assert sizes.count(1) == 1 + 3 * facts["per_row"]["samples"]  # warm-up, best of 3 each


def _slow_context(tmp_path, names, delay_s=0.02, budget_ms=10.0):
    path = tmp_path / "branches.csv"
    BRANCHES.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ns = _namespace(SlowBranchFacts(str(path), delay_s=delay_s, names=names))
    return _context(ns, Policy(latency_p95_ms=budget_ms))


@pytest.mark.parametrize("names", [True, False], ids=["records_names", "no_names"])
def test_a_model_slow_per_call_fails_latency_though_a_batch_is_fast_per_row(tmp_path, names):
    """20 ms per call (a table re-read every time) against a 10 ms budget: about 0.02 ms per row
    in a batch of 1,000, but every one-row request pays the whole call."""
    _, ctx = _slow_context(tmp_path, names)
    result = _run("latency", ctx)
    assert result.status == "fail", result.summary
    per_row, batch = result.evidence["per_row"], result.evidence["batch"]
    assert per_row["p50_ms"] >= 20 and batch["per_row_ms"] < 1  # batch / rows would pass
    assert result.summary.startswith(
        f"Too slow: a one-row request takes {per_row['p95_ms']:.1f} ms (p95), over the 10 ms "
        "budget for one request, though a row in a batch costs"
    ), result.summary
    assert "per call, not per row" in result.summary


def test_a_fast_model_passes_with_the_one_request_wording(tmp_path):
    _, ctx = _slow_context(tmp_path, names=True, delay_s=0.0, budget_ms=10_000.0)
    result = _run("latency", ctx)
    assert result.status == "pass", result.summary
    assert result.summary.startswith("Within the 10000 ms budget for one request: one-row")
