"""Artifacts and models: a corrupt bundle, a missing model file, a model that cannot be pickled,
a model that needs a module written next to the notebook."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from faultkit import (
    EXIT,
    alias_holder,
    assert_expected_error,
    check,
    check_of,
    crashed,
    frames,
    namespace,
    read_doc,
    versions,
)

from jupyter_mlready.registry.bundle import BundleFormatError, load_bundle, write_bundle

pytestmark = pytest.mark.faults


def wrap_validation(monkeypatch, before):
    """Run ``before(out)`` between the artifact stage and the gate's fresh kernel."""
    import jupyter_mlready.stages.validation as stage

    real = stage.validate

    def validate(record, policy, out, **kw):
        before(Path(out))
        return real(record, policy, out, **kw)

    monkeypatch.setattr(stage, "validate", validate)


def test_a_bundle_corrupted_before_the_gate_reads_it_is_an_error_naming_the_file(
    tmp_path, store, monkeypatch
):
    def corrupt(out):
        (out / "bundle" / "data" / "holdout.parquet").write_bytes(b"PAR1 not really parquet")

    wrap_validation(monkeypatch, corrupt)
    result = check(namespace(), tmp_path, "corrupt")
    doc = read_doc(tmp_path / "out-corrupt")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(
        doc, "validation", "BundleFormatError", "data/holdout.parquet is missing, corrupt"
    )
    assert err["section"] == "setup" or err["cell_index"] is not None
    assert alias_holder() is None and versions()["1"]["mlready.verdict"] == "error"
    assert (tmp_path / "out-corrupt" / "validation_executed.ipynb").exists()


@pytest.mark.parametrize(
    "damage, named",
    [
        (lambda b: (b / "subject.json").write_text('{"bundle_format": 1, "task'), "subject.json"),
        (lambda b: (b / "policy.json").write_text('{"no_such_key": 1}'), "policy.json"),
        (lambda b: (b / "contract.json").write_text("[]"), "contract.json"),
        (lambda b: (b / "data" / "train_sample.parquet").unlink(), "train_sample.parquet"),
        (lambda b: (b / "data" / "reference_predictions.npz").write_bytes(b"\0"), ".npz"),
        (lambda b: (b / "data" / "train_row_hashes.npy").unlink(), "train_row_hashes.npy"),
    ],
    ids=["truncated-json", "bad-policy", "bad-contract", "missing-frame", "bad-npz", "no-hashes"],
)
def test_each_damaged_bundle_file_is_named(tmp_path, damage, named):
    """What the gate's first cell does with a damaged bundle, one file at a time (in-process)."""
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.stages.discover import discover

    subject = discover(namespace())
    bundle = write_bundle(subject, infer_contract(subject, Policy()), Policy(), tmp_path).path
    load_bundle(bundle)  # whole, it reads
    damage(bundle)
    with pytest.raises(BundleFormatError, match="unreadable|bundle format") as info:
        load_bundle(bundle)
    assert named in str(info.value) and "Re-run `mlready check`" in str(info.value)


def test_a_model_file_missing_from_the_store_fails_the_gate_with_the_path(
    tmp_path, store, monkeypatch
):
    artifacts = Path(store[len("sqlite:///") :]).parent / "artifacts"

    def delete_model_file(out):
        for path in artifacts.rglob("model.*"):
            if path.parent.name == "artifacts" and "models" in path.parts:
                path.unlink()

    wrap_validation(monkeypatch, delete_model_file)
    result = check(namespace(), tmp_path, "missing")
    doc = read_doc(tmp_path / "out-missing")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "validation", "the artifact did not load", "model.skops")
    load = check_of(doc, "reproducibility.fresh_kernel")
    assert load["status"] == "error" and "could not be loaded" in load["summary"]
    assert "No such file" in load["evidence"]["message"] or "not found" in err["message"]
    assert alias_holder() is None and versions()["1"]["mlready.verdict"] == "error"


def test_a_model_that_cannot_be_pickled_is_named_and_nothing_is_registered(tmp_path, store):
    ns = namespace()
    ns["model"].lock = threading.Lock()  # an attribute nothing can serialize
    result = check(ns, tmp_path, "lock")
    doc = read_doc(tmp_path / "out-lock")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "artifact", "Cannot serialize the model `model`", "lock")
    assert err["type"] == "ArtifactError" and err["fields"]["obj"] == "model"
    assert "Remove what cannot be pickled" in err["message"]
    ran = [c for c in doc["checks"] if c["status"] in ("pass", "warn", "fail")]
    assert len(ran) >= 10 and not crashed(doc)  # the findings on the in-memory model are kept
    assert versions() == {} and alias_holder() is None


CLIPPER = '''
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class Clipper(BaseEstimator, TransformerMixin):
    """Clips every feature to [-3, 3]: code that lives beside the notebook."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.clip(np.asarray(X, dtype=float), -3, 3)
'''


def _local_model(folder: Path, module: str, monkeypatch) -> dict:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(CLIPPER)
    monkeypatch.syspath_prepend(str(folder))
    clipper = __import__(module).Clipper
    X, y = frames()
    model = make_pipeline(SimpleImputer(), clipper(), LogisticRegression())
    model.fit(X.iloc[:300], y.iloc[:300])
    return {
        "model": model,
        "X_train": X.iloc[:300],
        "y_train": y.iloc[:300],
        "X_test": X.iloc[300:],
        "y_test": y.iloc[300:],
    }


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    shutil.copy(Path(__file__), project / "nb.ipynb")  # provenance only reads its bytes
    return project / "nb.ipynb"


def test_a_notebook_local_module_is_bundled_and_the_gate_loads_it(tmp_path, store, monkeypatch):
    nb = _project(tmp_path)
    ns = _local_model(nb.parent, "faults_clipper_here", monkeypatch)
    result = check(ns, tmp_path, "local", notebook=str(nb))
    doc = read_doc(tmp_path / "out-local")
    assert [Path(p).name for p in doc["artifact"]["code_paths"]] == ["faults_clipper_here.py"]
    assert any("bundled with the model (code_paths)" in n for n in doc["artifact"]["notes"])
    assert check_of(doc, "reproducibility.fresh_kernel")["status"] == "pass"
    assert result.exit_code == EXIT[doc["verdict"]] and doc["verdict"] != "error", doc.get("error")
    assert alias_holder() == ("1" if doc["verdict"] == "ready" else None)


def test_a_module_outside_the_project_is_a_failure_naming_it_not_a_crash(
    tmp_path, store, monkeypatch
):
    """Not installed and not in the project: it is not bundled, so the artifact cannot load
    anywhere else. The load check fails naming the module, with the fix; the checks that need
    the model cannot run (error, exit 2); the alias stays."""
    nb = _project(tmp_path)
    ns = _local_model(tmp_path / "elsewhere", "faults_clipper_away", monkeypatch)
    result = check(ns, tmp_path, "away", notebook=str(nb))
    doc = read_doc(tmp_path / "out-away")
    assert doc["artifact"]["code_paths"] == []
    assert any("faults_clipper_away" in n and "not bundled" in n for n in doc["artifact"]["notes"])
    load = check_of(doc, "reproducibility.fresh_kernel")
    assert load["status"] == "fail", load
    assert "faults_clipper_away" in load["summary"] and "code_paths" in load["remedy"]
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "checks", "could not decide", "did not load")
    assert "Make the artifact loadable" in err["remedy"]
    assert alias_holder() is None and versions()["1"]["mlready.verdict"] == "error"
    assert json.loads((tmp_path / "out-away" / "bundle" / "subject.json").read_text())
