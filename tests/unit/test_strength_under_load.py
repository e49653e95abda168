"""A busy machine checks as much as an idle one (issue 19: no check weaker to get faster).

Waiting is what another process taking the CPU looks like from inside a check: wall time passes,
this thread's CPU time does not. A model that sleeps in every call stands in for that here. The
property examples and the latency samples are budgeted on CPU time, so the wait cuts neither;
before, a property got half its examples and the latency check a fraction of its samples.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.checks.latency import measure
from jupyter_mlready.contract import infer_contract
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Dataset, Subject


class _Waiting:
    """A classifier whose every call waits ``delay`` seconds without using the CPU."""

    classes_ = np.array([0, 1])

    def __init__(self, delay: float):
        self.delay = delay

    def predict_proba(self, X):
        time.sleep(self.delay)
        p = 1 / (1 + np.exp(-np.asarray(X["a"], dtype=float)))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def _frames(n: int = 400):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(0, 10, n)})
    y = pd.Series((X["a"] > 0).astype(int), name="y")
    return X, y


def test_property_examples_are_the_policys_while_the_machine_is_busy(tmp_path):
    X, y = _frames()
    model = ModelAdapter(_Waiting(0.03), "frame", "pyfunc", (0, 1), True)
    train, holdout = Dataset(X[:300], y[:300], "X_train"), Dataset(X[300:], y[300:], "X_test")
    subject = Subject(model, "model", "classification", train, holdout, "y")
    policy = Policy()
    ctx = CheckContext(
        model,
        "classification",
        train,
        holdout,
        infer_contract(subject, policy),
        policy,
        out=str(tmp_path),
    )
    (spec,) = load_checks(("robustness.missing_values",))
    ev = run_check(spec, ctx).evidence
    assert ev["examples"] == ev["examples_policy"] == policy.property_examples
    assert ev["model_call_cpu_ms"] < 10  # the 30 ms wait is not the model's cost
    assert ev["examples_budget"] >= policy.property_examples


def test_latency_samples_do_not_shrink_while_the_machine_is_busy():
    X, _ = _frames(50)
    facts = measure(_Waiting(0.004).predict_proba, X, budget_s=1.0)
    # a wall-clock budget of 0.6 s allowed 0.6 / (3 calls x 4 ms) = 50 samples at most
    assert facts["per_row"]["samples"] > 60


def test_a_fast_model_gets_twenty_latency_samples_however_slow_the_machine():
    X, _ = _frames(50)
    # 30 ms of waiting per call is a machine far busier than any budget allows for
    facts = measure(_Waiting(0.03).predict_proba, X, budget_s=0.2, slow_ms=50.0)
    assert facts["per_row"]["samples"] >= 20
    slow = measure(_Waiting(0.06).predict_proba, X, budget_s=0.2, slow_ms=50.0)
    assert 5 <= slow["per_row"]["samples"] < 20  # slower than the budget: a few samples fail it
