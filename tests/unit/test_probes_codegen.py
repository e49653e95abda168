"""The generated readiness test file: pinned by golden files, and every golden file is executed.

Regenerate the golden files after an intended change with:
    MLREADY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_probes_codegen.py
"""

import dataclasses
import os
import runpy
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import cloudpickle
import pytest

from jupyter_mlready.contract import infer_contract, write_contract
from jupyter_mlready.policy import Policy
from jupyter_mlready.probes import write_probe_tests
from jupyter_mlready.probes.codegen import readiness_file_name, render_test_module
from jupyter_mlready.stages.discover import Overrides, discover

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SOURCES = Path(__file__).resolve().parents[1] / "notebooks" / "src"
CASES = {
    "claims_fraud": ("classification", Policy()),
    "shipping_cost": (
        "regression",
        dataclasses.replace(
            Policy(),
            seed=7,
            property_examples=25,
            monotonic_increasing=("distance_km",),
            invariant=("weight_kg",),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_source_matches_golden(name):
    task, policy = CASES[name]
    source = render_test_module(name, task, policy)
    golden = GOLDEN / f"{name}_readiness.golden.py"
    if os.environ.get("MLREADY_UPDATE_GOLDEN"):
        golden.write_text(source)
    assert source == golden.read_text()
    compile(source, str(golden), "exec")
    assert source.count("# TODO:") == 2 and source.count("\ndef test_") == 9


def test_file_name_is_an_identifier():
    assert readiness_file_name("Claims Fraud (v2)") == "test_claims_fraud_v2_readiness.py"


def subject_of(fixture):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        namespace = runpy.run_path(str(SOURCES / f"{fixture}.py"), run_name="__main__")
    return discover(namespace, Overrides())


def install(golden_name, subject, out):
    """Lay out <out>/contract.json, <out>/tests/model.pkl and the golden file as the test module."""
    write_contract(infer_contract(subject, Policy()), out)
    tests = out / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    (tests / "model.pkl").write_bytes(cloudpickle.dumps(subject.model.model))
    target = tests / readiness_file_name(golden_name)
    shutil.copy(GOLDEN / f"{golden_name}_readiness.golden.py", target)
    return target


def run_pytest(path, **env):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=path.parent,
        env={**os.environ, **env},
    )


def clean_classifier(n=400):
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from jupyter_mlready.model import ModelAdapter
    from jupyter_mlready.records import Dataset, Subject

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "amount": rng.gamma(2, 50, n).round(2),
            "visits": rng.integers(0, 20, n),
            "plan": rng.choice(["free", "pro", "team"], n),
            "paying": rng.random(n) < 0.3,
        }
    )
    y = pd.Series((X["amount"] + rng.normal(0, 30, n) > 100).astype(int))
    model = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"])],
                    remainder="passthrough",
                ),
            ),
            ("clf", HistGradientBoostingClassifier(max_iter=20, random_state=0)),
        ]
    ).fit(X, y)
    train = Dataset(X, y, "X_train", "y_train")
    return Subject(
        ModelAdapter.wrap(model, "classification"), "model", "classification", train, train, None
    )


def test_golden_file_passes_for_a_clean_model(tmp_path):
    target = install("claims_fraud", clean_classifier(), tmp_path)
    done = run_pytest(target)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "8 passed, 1 skipped" in done.stdout  # no expectations declared: that test skips


def test_golden_file_fails_for_a_defect_and_names_the_property(tmp_path):
    target = install("shipping_cost", subject_of("defect_exp_regression"), tmp_path)
    done = run_pytest(target)
    assert done.returncode == 1, done.stdout[-3000:]
    failed = failed_tests(done.stdout)
    # float32 exp overflows far outside the range; LinearRegression has no imputer; the golden file
    # declares weight_kg invariant, which this model is not
    assert failed == {
        "test_extreme_values",
        "test_missing_values",
        "test_declared_expectation[weight_kg-invariant]",
    }, done.stdout[-3000:]
    assert "returned 1 non-finite prediction(s)" in done.stdout
    assert "Case(a value far above the training range in column 'distance_km'" in done.stdout
    assert "X = pd.DataFrame({" in done.stdout  # the shrunk frame, as code
    assert "1 skipped" in done.stdout  # no category column: unseen categories has nothing to probe


def failed_tests(stdout):
    return {
        line.split("::")[1].split(" - ")[0].strip()
        for line in stdout.splitlines()
        if line.startswith("FAILED")
    }


def test_written_file_runs_outside_the_notebook_with_an_env_path(tmp_path):
    subject = subject_of("defect_batch_standardize")
    policy = dataclasses.replace(Policy(), property_examples=30)
    contract = infer_contract(subject, policy)
    write_contract(contract, tmp_path)
    files = write_probe_tests(subject, contract, policy, tmp_path, "sensor failure")
    assert files.test_file.name == "test_sensor_failure_readiness.py" and files.model_file.is_file()
    moved = tmp_path / "elsewhere" / "model.pkl"
    moved.parent.mkdir()
    files.model_file.rename(moved)
    done = run_pytest(files.test_file, MLREADY_MODEL_PATH=str(moved))
    assert done.returncode == 1, done.stdout[-3000:]
    failed = failed_tests(done.stdout)
    assert "test_batch_invariance" in failed and "test_determinism" not in failed
