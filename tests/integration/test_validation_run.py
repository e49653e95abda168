"""run_validation end to end: real MLflow (sqlite), real papermill, real fresh kernels."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import nbformat
import pytest

from jupyter_mlready.policy import Policy
from jupyter_mlready.validation import run_validation

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from validation_models import make_candidate  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture(scope="module")
def clean(store, tmp_path_factory):
    return make_candidate("clean", tmp_path_factory.mktemp("clean"), store=store)


def _by_id(outcome):
    return {r.id: r for r in outcome.results}


def test_clean_model_is_ready_and_the_notebook_is_evidence(clean):
    seen = []
    outcome = run_validation(
        clean["model_uri"],
        clean["bundle_dir"],
        clean["out"],
        clean["policy"],
        progress=lambda *a: seen.append(a),
    )
    assert outcome.error is None, outcome.error
    assert outcome.verdict == "ready", [(r.id, r.status, r.summary) for r in outcome.results]
    results = _by_id(outcome)
    assert "reproducibility.rerun" not in results
    assert results["reproducibility.fresh_kernel"].status == "pass"
    assert (
        results["latency"].status == "pass"
        and results["latency"].evidence["measured"] == "the logged artifact"
    )
    assert results["performance.champion"].status == "skip"
    # timings split into kernel start, artifact load and each section
    t = outcome.timings
    assert t["kernel_start"] > 0 and t["artifact_load"] > 0
    assert {
        "reproducibility",
        "contract",
        "properties",
        "performance",
        "leakage",
        "drift",
        "latency",
    } <= set(t["sections"])
    # progress per section, and the generated + executed notebooks in out
    assert ("validation", "Latency") in {(s, step) for s, step, _ in seen}
    assert (clean["out"] / "validation.ipynb").exists()
    executed = nbformat.read(str(outcome.executed_notebook), as_version=4)
    assert executed.metadata["papermill"]["parameters"]["model_uri"] == clean["model_uri"]
    assert executed.metadata["mlready"]["outcome"]["verdict"] == "ready"
    tags = [c.metadata.get("tags", []) for c in executed.cells]
    assert ["parameters"] in tags and ["injected-parameters"] in tags
    assert not any(
        o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", [])
    )
    state = json.loads(outcome.results_path.read_text())
    assert state["verdict"] == "ready" and state["load"]["loader"] == "mlflow.sklearn.load_model"


def test_notebook_local_module_fails_fresh_kernel_with_the_real_error(store, tmp_path):
    c = make_candidate("local_module", tmp_path, store=store)
    outcome = run_validation(c["model_uri"], c["bundle_dir"], c["out"], c["policy"])
    results = _by_id(outcome)
    fk = results["reproducibility.fresh_kernel"]
    assert fk.status == "fail", fk.summary
    assert "ModuleNotFoundError: No module named 'mytransform'" in fk.summary
    # the checks that need the model could not run: an error, never a skip (exit 2)
    assert outcome.error is None and outcome.verdict == "error"
    # checks that read only the bundle still ran
    assert results["contract.holdout"].status == "pass"
    assert results["drift.train_holdout"].status in ("pass", "warn")
    assert results["latency"].status == "error" and "did not load" in results["latency"].summary


def test_slow_model_fails_the_latency_budget(store, tmp_path):
    c = make_candidate("slow", tmp_path, store=store, policy=Policy(property_examples=5))
    outcome = run_validation(c["model_uri"], c["bundle_dir"], c["out"], c["policy"])
    results = _by_id(outcome)
    assert results["reproducibility.fresh_kernel"].status == "pass"  # code_paths made it loadable
    lat = results["latency"]
    assert lat.status == "fail" and lat.evidence["per_row"]["p95_ms"] > 50, lat.summary
    assert outcome.verdict == "not_ready"


def test_a_cell_timeout_is_an_error_with_the_cell_and_the_partial_notebook(clean, tmp_path):
    policy = dataclasses.replace(clean["policy"], cell_timeout=1)
    outcome = run_validation(clean["model_uri"], clean["bundle_dir"], tmp_path / "out", policy)
    assert outcome.verdict == "error"
    err = outcome.error
    assert err["type"] == "CellTimeoutError" and isinstance(err["cell_index"], int)
    assert "timed out after 1 s" in err["message"] and err["section"] in (
        "setup",
        "load",
        "fresh_kernel",
    )
    assert outcome.executed_notebook.exists()
    assert all(r.status in ("error", "pass", "skip", "warn", "fail") for r in outcome.results)
    assert any(r.status == "error" and "Not run" in r.summary for r in outcome.results)


def test_a_failing_cell_and_an_unknown_model_are_errors(clean, tmp_path):
    missing = run_validation(clean["model_uri"], tmp_path / "no_bundle", tmp_path / "a", None)
    assert missing.verdict == "error" and missing.error["type"] == "FileNotFoundError"
    assert missing.error["section"] == "setup"
    unknown = run_validation("models:/no_such_model/7", clean["bundle_dir"], tmp_path / "b", None)
    assert unknown.verdict == "error" and unknown.error["type"] == "ArtifactLoadError"
    assert unknown.error["section"] == "load" and isinstance(unknown.error["cell_index"], int)
    assert _by_id(unknown)["reproducibility.fresh_kernel"].status == "error"


@pytest.mark.parametrize("ahead", [False, True], ids=["papermill-kernel", "kernel-started-ahead"])
def test_a_dead_kernel_is_an_error_with_the_cell(clean, tmp_path, ahead):
    from jupyter_mlready.validation.execute import execute_validation
    from jupyter_mlready.validation.generate import generate_notebook, write_notebook
    from jupyter_mlready.validation.warm_kernel import start_warm_kernel

    params = {
        "model_uri": clean["model_uri"],
        "bundle_dir": str(clean["bundle_dir"]),
        "results_path": str(tmp_path / "results.json"),
        "tracking_uri": clean["tracking_uri"],
    }
    nb = generate_notebook(params)
    load = next(c for c in nb.cells if c.metadata.get("mlready", {}).get("section") == "load")
    load.source = "import os\nos._exit(1)  # the kernel dies here"
    path = write_notebook(nb, tmp_path / "validation.ipynb")
    kernel = start_warm_kernel(tmp_path) if ahead else None
    # a blocking client would wait for the dead kernel's output forever: the timeout is the bug
    outcome = execute_validation(path, tmp_path, params, cell_timeout=60, kernel=kernel)
    assert outcome.verdict == "error"
    assert outcome.error["type"] == "DeadKernelError" and outcome.error["section"] == "load"
    assert outcome.executed_notebook.exists()
    assert {r.status for r in outcome.results} == {"error"}
