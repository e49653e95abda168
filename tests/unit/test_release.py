"""stages.release: once the artifact is logged, the CLI's re-run kernel lets go of the notebook's
data (no reference left anywhere: the namespace, IPython's output cache, the check's records);
a live kernel's namespace is never touched; a gate check that can no longer run is an error."""

from __future__ import annotations

import time
import weakref
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mlready.checks import CheckContext, load_checks
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Dataset, Subject
from jupyter_mlready.stages.chain import Run
from jupyter_mlready.stages.checks import NotebookChecks, split_checks
from jupyter_mlready.stages.release import owns_namespace, release_notebook_data

NOTEBOOK = """
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
X_train = pd.DataFrame({"a": rng.normal(size=5000), "b": rng.choice(["x", "y"], 5000)})
y_train = pd.Series((X_train["a"] > 0).astype(int), name="label")
X_test, y_test = X_train.iloc[:1000].copy(), y_train.iloc[:1000].copy()
model = LogisticRegression().fit(X_train[["a"]], y_train)
"""


@pytest.fixture
def shell():
    sh = InteractiveShell.instance()
    yield sh
    sh.reset(new_session=False)
    InteractiveShell.clear_instance()


def _run(namespace: dict, *, rerun_started: float | None) -> Run:
    ns = namespace
    train = Dataset(ns["X_train"], ns["y_train"], "X_train", "y_train")
    holdout = Dataset(ns["X_test"], ns["y_test"], "X_test", "y_test")
    subject = Subject(
        ModelAdapter.wrap(ns["model"], "classification"),
        "model",
        "classification",
        train,
        holdout,
        "label",
    )
    context = CheckContext(
        model=subject.model,
        task="classification",
        train=train,
        holdout=holdout,
        contract=None,
        policy=Policy(),
        where="notebook",
        namespace=ns,
        cache={"predictions": ns["X_train"].to_numpy()},
    )
    _, deferred = split_checks(load_checks())
    checks = NotebookChecks(context, (), tuple(deferred))
    return Run(
        namespace=ns,
        options=None,
        out=Path("."),
        progress=lambda *a: None,
        rerun_started=rerun_started,
        subject=subject,
        notebook_checks=checks,
    )


def test_the_check_kernel_keeps_no_reference_to_the_notebook_data(shell):
    shell.run_cell(NOTEBOOK)
    shell.run_cell("X_train")  # a displayed frame: IPython's Out cache holds it too
    assert shell.user_ns["Out"], "the output cache holds the frame"
    run = _run(shell.user_global_ns, rerun_started=time.time())
    frames = [weakref.ref(shell.user_ns[n]) for n in ("X_train", "X_test", "y_train", "y_test")]
    assert owns_namespace(run)

    released = release_notebook_data(run)
    del run

    assert [f() for f in frames] == [None] * 4, "a reference to the notebook's data survived"
    assert "X_train" not in shell.user_global_ns and "model" not in shell.user_global_ns
    train = released.subject.train
    assert train.rows == 0 and list(train.X.columns) == ["a", "b"]
    assert str(train.X["a"].dtype) == "float64" and train.y.name == "label"
    assert released.subject.model.class_name.endswith("LogisticRegression")
    ctx = released.notebook_checks.context
    assert ctx.namespace is None and ctx.cache == {} and ctx.holdout.rows == 0
    # what the report still reads is there
    assert released.subject.feature_names == ("a", "b")


def test_a_gate_check_that_cannot_run_after_the_release_is_an_error(shell):
    shell.run_cell(NOTEBOOK)
    released = release_notebook_data(_run(shell.user_global_ns, rerun_started=time.time()))
    seen = []
    results = released.notebook_checks.run_deferred(seen.append)
    assert results and len(seen) == len(results)
    assert {r.status for r in results} == {"error"}
    assert all("released" in r.summary for r in results)


def test_a_numpy_target_is_emptied_too(shell):
    shell.run_cell(NOTEBOOK)
    shell.run_cell("y_train = y_train.to_numpy()")
    released = release_notebook_data(_run(shell.user_global_ns, rerun_started=time.time()))
    assert released.subject.train.y.shape == (0,) and released.notebook_checks.released


@pytest.mark.parametrize("how", ["live kernel", "another namespace"])
def test_a_namespace_the_check_does_not_own_is_left_alone(shell, how):
    shell.run_cell(NOTEBOOK)
    if how == "live kernel":  # %mlready in the user's kernel: no re-run started this kernel
        run = _run(shell.user_global_ns, rerun_started=None)
    else:  # a dict that is not this kernel's namespace
        run = _run(dict(shell.user_global_ns), rerun_started=time.time())
    assert not owns_namespace(run)
    assert release_notebook_data(run) is run
    assert shell.user_global_ns["X_train"].shape == (5000, 2)
    assert run.subject.train.rows == 5000
