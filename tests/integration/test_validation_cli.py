"""`mlready check` then `mlready validate`: the gate re-run from the registry gives the same
verdict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jupyter_mlready.cli import main

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """`mlready check` on the clean fixture, registering version 1 in a sqlite store."""
    root = tmp_path_factory.mktemp("validate_cli")
    nb = root / "validation_clean.ipynb"
    shutil.copy(NOTEBOOKS / "validation_clean.ipynb", nb)
    mp = pytest.MonkeyPatch()
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlruns.db'}")
    mp.chdir(root)
    code = main(["check", str(nb), "--out", str(root / "out")])
    yield {
        "root": root,
        "out": root / "out",
        "code": code,
        "doc": json.loads((root / "out" / "readiness.json").read_text()),
    }
    mp.undo()


def _statuses(doc: dict) -> dict:
    """The statuses of the checks `mlready validate` runs again: not those that are facts of the
    notebook's own kernel (its re-run, its variables, its data before logging)."""
    from jupyter_mlready.checks import load_checks

    notebook_only = {s.id for s in load_checks() if not s.runs("validation")}
    assert "reproducibility.rerun" in notebook_only
    return {c["id"]: c["status"] for c in doc["checks"] if c["id"] not in notebook_only}


def test_check_runs_the_validation_stage(checked):
    doc = checked["doc"]
    assert checked["code"] == 0, [
        (c["id"], c["status"], c["summary"])
        for c in doc["checks"]
        if c["status"] not in ("pass", "skip")
    ]
    assert doc["model"]["uri"] == "models:/validation_clean/1"
    assert doc["validation"]["verdict"] == "ready" and doc["validation"]["error"] is None
    assert doc["checks"][0]["id"] == "reproducibility.rerun"
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["reproducibility.fresh_kernel"]["status"] == "pass"
    assert by_id["latency"]["evidence"]["measured"] == "the logged artifact"
    assert {"kernel_start", "artifact_load"} <= {
        k.removeprefix("validation_") for k in doc["timings"]
    }
    assert "latency" in doc["timings"]["validation_sections"]
    assert (checked["out"] / "validation.ipynb").exists()
    assert (checked["out"] / "validation_executed.ipynb").exists()


def test_validate_the_registered_version_gives_the_same_verdict(checked, capsys):
    out = checked["root"] / "validate_uri"
    code = main(["validate", "models:/validation_clean/1", "--out", str(out)])
    doc = json.loads((out / "readiness.json").read_text())
    assert code == checked["code"] == 0
    assert doc["verdict"] == checked["doc"]["verdict"]
    assert _statuses(doc) == _statuses(checked["doc"])
    assert (out / "validation_executed.ipynb").exists() and (
        out / "bundle" / "subject.json"
    ).exists()
    assert doc["model"]["uri"] == "models:/validation_clean/1" and doc["command"] == "validate"
    assert "READY" in capsys.readouterr().out


def test_validate_a_written_validation_notebook(checked):
    out = checked["root"] / "validate_nb"
    code = main(["validate", str(checked["out"] / "validation.ipynb"), "--out", str(out)])
    doc = json.loads((out / "readiness.json").read_text())
    assert code == 0 and doc["verdict"] == "ready"
    assert (out / "validation_executed.ipynb").exists()


def test_validate_refuses_what_is_not_a_validation_target(checked, capsys):
    assert main(["validate", str(NOTEBOOKS / "validation_clean.ipynb")]) == 2
    assert "not a validation notebook" in capsys.readouterr().err
    assert main(["validate", "models:/no_such_model/3", "--out", str(checked["root"] / "x")]) == 2
