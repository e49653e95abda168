"""`mlready check` runs the probes in a real kernel, writes a readiness test file beside the
model, and the validation kernel runs that file against the artifact."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MLREADY = [sys.executable, "-m", "jupyter_mlready"]
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


def check(tmp_path, notebook):
    nb = tmp_path / notebook.name
    shutil.copy(notebook, nb)
    out = tmp_path / "out"
    proc = subprocess.run(
        [*MLREADY, "check", str(nb), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert (out / "readiness.json").exists(), proc.stdout + proc.stderr
    return out, json.loads((out / "readiness.json").read_text())


def assert_probes(out, doc: dict, failing: str | None) -> None:
    """Every property ran in the kernel (``failing`` fails, the others pass or warn), the
    validation kernel ran the generated file against the artifact, written beside its model."""
    results = {c["id"]: c for c in doc["checks"]}
    for check_id in PROPERTY_IDS:
        expected = ("fail",) if check_id == failing else ("pass", "warn", "fail")
        if failing is None:
            expected = ("pass", "warn")
        assert results[check_id]["status"] in expected, (check_id, results[check_id]["summary"])
        assert results[check_id]["evidence"]["seconds_generation"] >= 0
    assert "probes" in doc["timings"]
    smoke = doc["validation"]["generated_tests"]  # the generated file, run against the artifact
    assert smoke["ran"] and smoke["outcomes"].get("passed", 0) >= 1, smoke
    assert (smoke["exit_code"], bool(smoke["outcomes"].get("failed"))) == (
        (1, True) if failing else (0, False)
    ), smoke
    if failing is not None:
        assert "Found unknown categories" in results[failing]["repro"]
    # the file run by hand, outside any kernel: tests/unit/test_probes_codegen.py (clean and
    # failing, naming the property) and against the registry in test_flavor_notebooks.py
    files = sorted((out / "tests").glob("test_*_readiness.py"))
    assert len(files) == 1 and (out / "tests" / "model.pkl").is_file()


def test_probes_in_a_real_kernel_and_the_generated_tests(tmp_path):
    """A defect the probes catch; the clean case is the example's check against a live MLflow
    server (test_mlflow_server.py), asserted with :func:`assert_probes` too."""
    notebook = ROOT / "tests" / "notebooks" / "defect_onehot_unknown.ipynb"
    out, doc = check(tmp_path, notebook)
    assert_probes(out, doc, "robustness.unseen_categories")
