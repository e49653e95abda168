"""The eight robustness / output checks on the defect fixtures (in-process) and a clean model."""

import dataclasses
import runpy
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.contract import infer_contract
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.probes import write_probe_tests
from jupyter_mlready.records import Dataset, Subject
from jupyter_mlready.stages.discover import Overrides, discover

SOURCES = Path(__file__).resolve().parents[1] / "notebooks" / "src"
PROPERTY_IDS = (
    "robustness.missing_values",
    "robustness.unseen_categories",
    "robustness.extreme_values",
    "robustness.empty_input",
    "robustness.input_format",
    "output.contract",
    "determinism",
    "batch_invariance",
)
SPECS = {s.id: s for s in load_checks(PROPERTY_IDS)}


def context(subject, out, policy=None):
    policy = policy or Policy()
    contract = infer_contract(subject, policy)
    write_probe_tests(subject, contract, policy, out, subject.model_var)  # model.pkl for repros
    return CheckContext(
        subject.model,
        subject.task,
        subject.train,
        subject.holdout,
        contract,
        policy,
        out=str(out),
    )


def fixture_subject(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        namespace = runpy.run_path(str(SOURCES / f"{name}.py"), run_name="__main__")
    return discover(namespace, Overrides())


def run_repro(repro, tmp_path):
    script = tmp_path / "repro.py"
    script.write_text(repro)
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "fixture,check_id,shows",
    [
        ("defect_no_imputer", "robustness.missing_values", "Input X contains NaN"),
        ("defect_onehot_unknown", "robustness.unseen_categories", "Found unknown categories"),
        ("defect_random_predict", "determinism", "expected 0"),
        ("defect_batch_standardize", "batch_invariance", "expected equal"),
        ("defect_exp_regression", "robustness.extreme_values", "non-finite"),
    ],
)
def test_each_defect_is_caught_with_a_runnable_repro(tmp_path, fixture, check_id, shows):
    ctx = context(fixture_subject(fixture), tmp_path)
    result = run_check(SPECS[check_id], ctx)
    assert result.status == "fail", result.summary
    assert result.remedy and result.evidence["seed"] == 0 and result.evidence["examples"] >= 1
    assert result.evidence["seconds_generation"] >= 0 and result.evidence["falsifying_example"]
    assert "minimal failing example found by hypothesis (seed=0" in result.repro
    assert shows in result.repro or shows in result.summary
    done = run_repro(result.repro, tmp_path)
    if "raises" in result.repro:  # a crash: the snippet raises the same error
        assert done.returncode != 0 and shows in done.stderr, done.stderr[-2000:]
    else:  # wrong output: the snippet runs and prints it
        assert done.returncode == 0 and done.stdout.strip(), done.stderr[-2000:]
    if check_id.startswith("robustness."):
        broken = [c for c in result.evidence["cases"] if not c["graceful"]]
        assert broken and all(c["result"] in ("crash", "bad_output", "differs") for c in broken)


def classifier_subject(n=400, seed=0):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "amount": rng.gamma(2, 50, n).round(2),
            "visits": rng.integers(0, 20, n),
            "plan": rng.choice(["free", "pro", "team"], n),
            "signup": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        }
    )
    y = pd.Series((X["amount"] + rng.normal(0, 30, n) > 100).astype(int))
    X["signup"] = X["signup"].astype("int64") // 10**9  # seconds; the model sees numbers only
    model = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"])],
                    remainder="passthrough",
                ),
            ),
            ("clf", HistGradientBoostingClassifier(max_iter=30, random_state=0)),
        ]
    ).fit(X, y)
    train = Dataset(X, y, "X_train", "y_train")
    return Subject(
        ModelAdapter.wrap(model, "classification"), "model", "classification", train, train, None
    )


def test_clean_model_passes_or_warns_on_every_property(tmp_path):
    ctx = context(classifier_subject(), tmp_path)
    results = {i: run_check(SPECS[i], ctx) for i in PROPERTY_IDS}
    for check_id, result in results.items():
        assert result.status in ("pass", "warn"), (check_id, result.summary, result.evidence)
        assert result.repro is None
        assert result.evidence["examples"] >= 10 and "seconds_generation" in result.evidence
    zero_rows = [
        c
        for c in results["robustness.empty_input"].evidence["cases"]
        if c["mutation"] == "zero_rows"
    ][0]
    assert zero_rows["result"] == "rejected" and zero_rows["graceful"]
    assert results["robustness.empty_input"].status == "warn"  # policy.clear_rejection default


def test_clear_rejection_policy_and_validation_context(tmp_path):
    subject = classifier_subject()
    policy = dataclasses.replace(Policy(), clear_rejection="pass")
    sample = Dataset(subject.train.X.sample(50, random_state=0), None, "sample")
    ctx = context(dataclasses.replace(subject, train=sample), tmp_path, policy)
    ctx.where = "validation"
    result = run_check(SPECS["robustness.input_format"], ctx)
    assert result.status == "pass"
    assert any(c["result"] == "rejected" for c in result.evidence["cases"])


def test_runs_are_deterministic_for_a_seed(tmp_path):
    subject = fixture_subject("defect_no_imputer")
    policy = dataclasses.replace(Policy(), property_examples=40, property_seconds=1e6)
    first = run_check(SPECS["robustness.missing_values"], context(subject, tmp_path, policy))
    second = run_check(SPECS["robustness.missing_values"], context(subject, tmp_path, policy))
    assert first.status == second.status == "fail"
    assert first.repro == second.repro
    assert first.evidence["cases"] == second.evidence["cases"]
    # the shrunk example is one row with the NaN in it
    assert "np.nan" in first.repro and first.evidence["falsifying_example"].count("np.nan") == 1


def monotone_regression():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "size": rng.uniform(10, 200, 300),
            "age": rng.uniform(0, 50, 300),
            "noise": rng.normal(0, 1, 300),
        }
    )
    y = 3 * X["size"] - 2 * X["age"] + rng.normal(0, 5, 300)
    train = Dataset(X, y, "X_train", "y_train")
    return Subject(
        ModelAdapter.wrap(LinearRegression().fit(X, y), "regression"),
        "reg",
        "regression",
        train,
        train,
        None,
    )


@pytest.mark.parametrize(
    "declared,status",
    [
        ({"monotonic_increasing": ("size",), "monotonic_decreasing": ("age",)}, "pass"),
        ({"monotonic_decreasing": ("size",)}, "fail"),
        ({"invariant": ("age",)}, "fail"),
        ({"monotonic_increasing": ("colour",)}, "error"),
    ],
)
def test_declared_expectations_are_part_of_the_output_contract(tmp_path, declared, status):
    policy = dataclasses.replace(Policy(), **declared)
    result = run_check(SPECS["output.contract"], context(monotone_regression(), tmp_path, policy))
    assert result.status == status, result.summary
    if status == "pass":
        assert len(result.evidence["expectations"]) == 2
    if status == "fail":
        assert "Declared expectation violated" in result.summary and "X_moved" in result.repro
        assert run_repro(result.repro, tmp_path).returncode == 0
