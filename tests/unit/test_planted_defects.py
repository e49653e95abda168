"""Each fixture notebook's planted defect is caught by the check meant to catch it, through the
whole chain in this process: the notebook's source run with ``runpy``, the model logged to a real
SQLite store, and the gate's sections run on the artifact loaded back from it
(``stagekit.in_process_validation``).

One notebook per kind still runs end to end through ``mlready check`` (a fresh kernel,
papermill, the validation kernel and the scoring server): fail_drift in
tests/integration/test_cli_check.py and each library's clean notebook in
tests/integration/test_flavor_notebooks.py."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from stagekit import FRESH_RERUN, in_process_validation, swap_stages

from jupyter_mlready.pipeline import CheckOptions, check_namespace

SOURCES = Path(__file__).resolve().parents[1] / "notebooks" / "src"

#: fixture -> the check that must fail on it (scikit-learn pipelines, one defect each)
BACKBONE = {
    "fail_contract": "contract.holdout",
    "fail_overlap": "leakage.overlap",
    "fail_target_proxy": "leakage.target_proxy",
    "fail_baseline": "performance.baseline",
}
#: one planted defect per model library
LIBRARIES = {
    "flavor_xgboost_defect": "leakage.target_proxy",
    "flavor_lightgbm_defect": "drift.train_holdout",
    "flavor_catboost_defect": "performance.baseline",
    "flavor_statsmodels_defect": "leakage.overlap",
    "flavor_polars_defect": "robustness.unseen_categories",
}
DEFECTS = {**BACKBONE, **LIBRARIES}


def _check(stem: str, tmp_path: Path, monkeypatch, policy_file: Path | None = None) -> dict:
    monkeypatch.chdir(tmp_path)
    swap_stages(monkeypatch, validation=in_process_validation)
    namespace = runpy.run_path(str(SOURCES / f"{stem}.py"), run_name="__main__")
    options = CheckOptions(
        out=str(tmp_path / "out"),
        name=stem,
        rerun=FRESH_RERUN,
        policy_file=str(policy_file) if policy_file else None,
    )
    return check_namespace(namespace, options).data


@pytest.mark.parametrize("stem", sorted(DEFECTS))
def test_a_planted_defect_fails_its_check_and_nothing_errors(
    tmp_path, monkeypatch, fresh_store, stem
):
    if stem.startswith("flavor_"):
        pytest.importorskip(stem.split("_")[1])
    doc = _check(stem, tmp_path, monkeypatch)
    statuses = {c["id"]: c["status"] for c in doc["checks"]}
    assert doc["verdict"] == "not_ready", statuses
    assert statuses[DEFECTS[stem]] == "fail", statuses
    errors = [(c["id"], c["summary"]) for c in doc["checks"] if c["status"] == "error"]
    assert not errors, errors
    # the gate judged the artifact loaded back from the store, not the notebook's object
    load = doc["validation"]["load"]
    assert load["ok"] and load["model_uri"] == doc["model"]["uri"], load
    assert doc["artifact"]["hand_off"]["moved"] is False


def test_a_threshold_from_a_policy_file_fails_a_clean_model(tmp_path, monkeypatch, fresh_store):
    policy = tmp_path / "strict.toml"
    policy.write_text("[tool.mlready.thresholds.classification]\nroc_auc = 0.99\n")
    doc = _check("backbone_clean", tmp_path, monkeypatch, policy_file=policy)
    statuses = {c["id"]: c["status"] for c in doc["checks"]}
    assert statuses["performance.thresholds"] == "fail", statuses
    assert doc["verdict"] == "not_ready" and doc["policy"]["source"] == str(policy)
