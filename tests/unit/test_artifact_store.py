"""The artifact stage against a real SQLite store in tmp_path: versions, alias, champion,
rollback, diff.

The registry is what these tests are about: the validation stage runs its sections in this
process on the logged artifact (``stagekit``), except in the test of the default store, which
runs the real one (a fresh kernel and a scoring server), as every end-to-end check does."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from stagekit import FRESH_RERUN, in_process_validation, swap_stages

from jupyter_mlready.errors import RegistryError
from jupyter_mlready.pipeline import CheckOptions, check_namespace
from jupyter_mlready.registry.store import client_for, resolve_store
from jupyter_mlready.registry.versions import diff_versions, format_diff, rollback

POLICY = "latency_p95_ms = 100000.0\nproperty_examples = 10\n"


def namespace(seed: int = 0, n: int = 600) -> dict:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.normal(50, 10, n),
            "score": rng.normal(size=n),
        }
    )
    y = pd.Series(
        (X["score"] + 0.05 * (X["income"] - 50) + rng.normal(scale=0.5, size=n) > 0).astype(int),
        name="label",
    )
    SEED = 42
    model = make_pipeline(
        SimpleImputer(), StandardScaler(), LogisticRegression(random_state=SEED, C=1.0 + seed)
    )
    model.fit(X[: n // 2], y[: n // 2])
    return {
        "model": model,
        "X_train": X[: n // 2],
        "y_train": y[: n // 2],
        "X_test": X[n // 2 :],
        "y_test": y[n // 2 :],
        "SEED": SEED,
    }


@pytest.fixture
def store_env(tmp_path, monkeypatch, fresh_store):
    swap_stages(monkeypatch, validation=in_process_validation)
    (tmp_path / "policy.toml").write_text(POLICY)
    return tmp_path


def run_check(tmp_path, tag: str, seed: int = 0):
    opts = CheckOptions(
        rerun=FRESH_RERUN,
        out=str(tmp_path / f"out-{tag}"),
        policy_file=str(tmp_path / "policy.toml"),
        name="credit",
    )
    return check_namespace(namespace(seed), opts)


def test_two_checks_version_alias_champion_rollback_diff(store_env):
    tmp = store_env
    first = run_check(tmp, "a")
    doc = first.data
    assert doc["verdict"] == "ready", first.summary_text()
    assert doc["model"]["uri"] == "models:/credit/1"
    assert doc["model"]["tracking_uri"] == f"sqlite:///{tmp}/store/mlruns.db"
    art = doc["artifact"]
    assert art["serialization"] == "skops" and art["hand_off"]["moved"] is True
    assert first.check("performance.champion")["status"] == "skip"
    assert "holds the ready alias" in first.check("performance.champion")["summary"].replace(
        "'", ""
    )
    assert doc["timings"]["artifact"] < 30

    client = client_for(resolve_store())
    run = client.get_run(doc["model"]["run_id"])
    assert run.data.params["seed.SEED"] == "42"
    assert run.data.params["random_state.logisticregression__random_state"] == "42"
    assert run.data.tags["mlready.python"] == sys.version.split()[0]
    assert "mlready.package.scikit-learn" in run.data.tags
    logged = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"bundle", "contract", "readiness.json"} <= logged
    inside = {f.path for f in client.list_artifacts(run.info.run_id, "bundle")}
    assert {
        "bundle/subject.json",
        "bundle/policy.json",
        "bundle/contract.json",
        "bundle/data",
    } <= inside
    mv = client.get_model_version_by_alias("credit", "ready")
    assert (str(mv.version), mv.tags["mlready.verdict"]) == ("1", "ready")

    second = run_check(tmp, "b", seed=1)
    champ = second.check("performance.champion")
    assert champ["status"] != "skip", champ
    assert champ["evidence"]["champion"] == "models:/credit/1"
    assert second.data["artifact"]["champion_uri"] == "models:/credit/1"
    assert second.data["model"]["version"] == "2"
    holder = str(client.get_model_version_by_alias("credit", "ready").version)
    assert holder == ("2" if second.verdict == "ready" else "1")

    if holder == "2":
        rec = rollback(resolve_store(), "credit", reason="bad feedback", user="tester")
        assert (rec["from"], rec["to"], rec["by"], rec["reason"]) == (
            "2",
            "1",
            "tester",
            "bad feedback",
        )
        assert str(client.get_model_version_by_alias("credit", "ready").version) == "1"
        tags = client.get_model_version("credit", "1").tags
        assert tags["mlready.rolled_back_to_reason"] == "bad feedback"

    d = diff_versions(resolve_store(), "credit", "1", "2")
    assert d["a"]["version"] == "1" and d["b"]["version"] == "2"
    assert {c["id"] for c in d["checks"]} >= {"performance.champion", "contract.holdout"}
    assert next(c for c in d["checks"] if c["id"] == "performance.champion")["changed"]
    assert any(m["metric"] == "roc_auc" for m in d["metrics"])
    assert d["data"]["train"]["same"] is False  # different seed, different data
    text = format_diff(d)
    assert "performance.champion" in text and "data fingerprints" in text
    json.dumps(d)


def test_rollback_and_diff_errors(store_env):
    with pytest.raises(RegistryError, match="No registered model named 'nope'"):
        rollback(resolve_store(), "nope")
    run_check(store_env, "a")
    with pytest.raises(RegistryError, match="has no version 9"):
        diff_versions(resolve_store(), "credit", "1", "9")
    with pytest.raises(RegistryError, match="older than"):
        rollback(resolve_store(), "credit")


CONCURRENT = textwrap.dedent("""
    import sys
    sys.path[:0] = [{tests!r}, {tests_root!r}]
    import pytest
    from stagekit import FRESH_RERUN, in_process_validation, swap_stages
    from test_artifact_store import namespace
    swap_stages(pytest.MonkeyPatch(), validation=in_process_validation)
    from jupyter_mlready.pipeline import CheckOptions, check_namespace
    r = check_namespace(namespace(int(sys.argv[1])),
                        CheckOptions(out=sys.argv[2], policy_file=sys.argv[3], name="credit",
                                     rerun={{"ok": True, "cells": 1}}))
    print(r.verdict, r.data["model"].get("version"), r.data.get("error"))
""")


def test_two_concurrent_checks_make_two_versions(store_env):
    tmp = store_env
    script = tmp / "one_check.py"
    here = Path(__file__).parent
    script.write_text(CONCURRENT.format(tests=str(here), tests_root=str(here.parent)))
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(i), str(tmp / f"out-{i}"), str(tmp / "policy.toml")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (0, 1)
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=False):
        assert p.returncode == 0, err[-2000:]
    client = client_for(resolve_store())
    versions = sorted(int(v.version) for v in client.search_model_versions("name='credit'"))
    assert versions == [1, 2]
    holder = str(client.get_model_version_by_alias("credit", "ready").version)
    other = "2" if holder == "1" else "1"
    for v in ("1", "2"):
        mv = client.get_model_version("credit", v)
        assert {f.path for f in client.list_artifacts(mv.run_id)} >= {"bundle", "readiness.json"}
    # the alias sits on a version that says ready; the other check either found a newer holder
    # (and left it) or found the alias moved since its champion comparison (and refused: error)
    assert client.get_model_version("credit", holder).tags["mlready.verdict"] == "ready"
    other_tags = client.get_model_version("credit", other).tags
    if other == "2":
        # refused when it saw the alias move: before its hand-off (the champion comparison is
        # stale) or in it (the holder changed between the plan and the move); never moved
        assert other_tags["mlready.verdict"] == "error", other_tags
        refused = other_tags.get("mlready.hand_off", "") + other_tags.get(
            "mlready.hand_off_failed", ""
        )
        assert (
            "moved to version 1 while this check compared" in refused
            or "moved to version 1 during the hand-off: it was not moved" in refused
        ), (other_tags, outs)
    else:
        # version 1 either planned after version 2 took the alias (a newer holder: left, still
        # ready) or planned before and saw version 2 take it just before its own move (refused)
        refused = other_tags.get("mlready.hand_off_failed", "")
        if other_tags["mlready.verdict"] == "error":
            assert "moved to version 2 during the hand-off: it was not moved" in refused, (
                other_tags,
                outs,
            )
        else:
            assert other_tags["mlready.verdict"] == "ready", (other_tags, outs)
            assert "a newer version (2) already holds the alias" in other_tags["mlready.hand_off"]


def test_registry_failing_mid_run_is_an_error_and_keeps_results(store_env, monkeypatch):
    from mlflow import MlflowClient

    def refuse(self, *args, **kwargs):
        raise ConnectionError("Max retries exceeded (simulated outage)")

    monkeypatch.setattr(MlflowClient, "create_model_version", refuse)
    result = run_check(store_env, "down")
    assert result.verdict == "error" and result.exit_code == 2
    err = result.data["error"]
    assert err["stage"] == "artifact" and err["type"] == "RegistryError"
    assert "registering a new version of model 'credit'" in err["message"]
    assert "re-run the check" in err["message"] and "traceback" not in err
    on_disk = json.loads((store_env / "out-down" / "readiness.json").read_text())
    assert on_disk["verdict"] == "error"
    assert sum(c["status"] != "skip" for c in on_disk["checks"]) >= 10
    assert (store_env / "out-down" / "bundle" / "subject.json").exists()
    runs = client_for(resolve_store()).search_runs(["1"])
    assert [r.info.status for r in runs] == ["FAILED"]


def test_unserializable_model_is_a_clear_error(store_env):
    import threading

    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.errors import ArtifactError
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.stages.artifact import log_artifact
    from jupyter_mlready.stages.discover import Overrides, discover

    ns = namespace()
    ns["model"].lock = threading.Lock()  # an attribute nothing can pickle
    subject = discover(ns, Overrides())
    contract = infer_contract(subject, Policy())
    with pytest.raises(ArtifactError) as info:
        log_artifact(
            subject,
            contract,
            Policy(),
            store_env / "out-lock",
            name="credit",
            provenance={},
            policy_source="defaults",
            notebook=None,
            namespace=None,
            champion_uri=None,
        )
    assert info.value.obj == "model"
    assert "Cannot serialize the model `model`" in str(info.value) and "lock" in str(info.value)


def test_embedded_default_store_under_the_project(tmp_path, monkeypatch):
    """No MLFLOW_TRACKING_URI: .mlready/ in the notebook's project; nothing in the working
    directory."""
    from jupyter_mlready.registry.versions import load_model_version

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    project = tmp_path / "proj"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text(f"[tool.mlready]\n{POLICY}")
    nb = project / "notebooks" / "credit.ipynb"
    nb.write_text("{}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = check_namespace(
        namespace(), CheckOptions(out=str(tmp_path / "out"), notebook=str(nb), rerun=FRESH_RERUN)
    )
    assert result.data["model"]["uri"] == "models:/credit/1", result.summary_text()
    assert result.data["model"]["tracking_uri"] == f"sqlite:///{project}/.mlready/mlruns.db"
    assert (project / ".mlready" / "mlruns.db").exists()
    assert (project / ".mlready" / "artifacts").is_dir()
    if (tmp_path / "out" / "report.html").exists():
        assert {"report.html", "summary.md"} <= set(result.data["artifact"]["results_logged"])
        client = client_for(resolve_store(nb))
        run_id = result.data["model"]["run_id"]
        run_files = {f.path for f in client.list_artifacts(run_id)}
        assert {"report.html", "summary.md", "readiness.json"} <= run_files
        # written once: what the run holds is byte for byte what is on disk
        for name in ("readiness.json", "report.html", "summary.md"):
            logged = Path(client.download_artifacts(run_id, name, str(tmp_path / "dl")))
            assert logged.read_bytes() == (tmp_path / "out" / name).read_bytes(), name
    assert not {"mlflow.db", "mlruns", ".mlready"} & {p.name for p in elsewhere.iterdir()}
    store = resolve_store(nb)
    adapter = load_model_version(store, "credit", "1", "classification")
    X = namespace()["X_test"]
    assert (adapter.predict(X) == namespace()["model"].predict(X)).all()


def test_a_failing_alias_move_leaves_no_ready_alias_and_says_error(store_env, monkeypatch):
    """The alias moves last: when moving it fails, the version says error, the document on disk
    says error, and no alias points at the version."""
    from mlflow import MlflowClient

    def refuse(self, name, alias, version):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(MlflowClient, "set_registered_model_alias", refuse)
    result = run_check(store_env, "locked")
    assert result.verdict == "error" and result.exit_code == 2
    err = result.data["error"]
    assert err["stage"] == "hand_off" and "database is locked" in err["message"]
    assert err["remedy"] and err["fields"]["doing"] == "moving the 'ready' alias"
    on_disk = json.loads((store_env / "out-locked" / "readiness.json").read_text())
    assert on_disk["verdict"] == "error" and on_disk["artifact"]["hand_off"]["moved"] is False
    client = client_for(resolve_store())
    mv = client.get_model_version("credit", result.data["model"]["version"])
    assert (
        mv.tags["mlready.verdict"] == "error"
        and "database is locked" in mv.tags["mlready.hand_off_failed"]
    )
    assert not list(getattr(mv, "aliases", []) or [])


def test_a_failure_after_the_move_restores_the_previous_holder(store_env, monkeypatch):
    from mlflow import MlflowClient

    first = run_check(store_env, "a")
    assert first.verdict == "ready"
    real = MlflowClient.set_model_version_tag

    def fail_after_move(self, name, version, key, value):
        if key.endswith("alias_moved_at") and str(version) == "2":
            raise RuntimeError("connection reset")
        return real(self, name, version, key, value)

    monkeypatch.setattr(MlflowClient, "set_model_version_tag", fail_after_move)
    second = run_check(store_env, "b", seed=1)
    assert second.verdict == "error" and second.data["error"]["fields"]["alias_restored"] is True
    client = client_for(resolve_store())
    assert str(client.get_model_version_by_alias("credit", "ready").version) == "1"
    assert client.get_model_version("credit", "2").tags["mlready.verdict"] == "error"


def test_the_same_model_and_data_reuse_their_version_and_a_failing_recheck_gives_the_alias_back(
    store_env,
):
    """A check whose model and data fingerprints equal an existing version's re-checks that
    version instead of registering a duplicate; when the re-check is no longer ready (a stricter
    policy), the version gives the alias back (here to no version: there is no older ready one)."""
    first = run_check(store_env, "a")
    assert first.verdict == "ready" and first.data["model"]["version"] == "1"
    again = run_check(store_env, "again")
    assert again.data["model"]["version"] == "1" and again.data["artifact"]["reused"] is True
    assert "re-checked instead of registering a duplicate" in " ".join(
        again.data["artifact"]["notes"]
    )
    client = client_for(resolve_store())
    assert [str(v.version) for v in client.search_model_versions("name='credit'")] == ["1"]
    assert str(client.get_model_version_by_alias("credit", "ready").version) == "1"

    strict = store_env / "strict.toml"
    strict.write_text(POLICY + "[thresholds.classification]\nroc_auc = 0.999\n")
    opts = CheckOptions(
        out=str(store_env / "out-strict"), policy_file=str(strict), name="credit", rerun=FRESH_RERUN
    )
    stricter = check_namespace(namespace(), opts)
    assert stricter.verdict == "not_ready" and stricter.data["model"]["version"] == "1"
    hand = stricter.data["artifact"]["hand_off"]
    assert hand["take_back"] is True and hand["holder"] is None and hand["moved"] is False
    mv = client.get_model_version("credit", "1")
    assert mv.tags["mlready.verdict"] == "not_ready"
    assert not list(getattr(mv, "aliases", []) or [])  # no alias on a version that is not ready


def test_a_crash_in_the_hand_off_stage_itself_never_leaves_ready(store_env, monkeypatch):
    """Whatever raises after readiness.json was written, the result and the file say error."""
    import jupyter_mlready.stages.hand_off as stage

    def explode(record, gate, readiness):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(stage, "hand_off", explode)
    result = run_check(store_env, "boom")
    assert result.verdict == "error" and result.data["error"]["stage"] == "hand_off"
    on_disk = json.loads((store_env / "out-boom" / "readiness.json").read_text())
    assert on_disk["verdict"] == "error" and "unexpected" in on_disk["error"]["message"]


def test_no_hand_off_checks_and_reports_but_registers_nothing(store_env):
    """--no-hand-off (pull requests): the model is logged in its run and re-checked there by the
    gate; no version is registered, no alias can move."""
    opts = CheckOptions(
        rerun=FRESH_RERUN,
        out=str(store_env / "out-pr"),
        policy_file=str(store_env / "policy.toml"),
        name="credit",
        hand_off=False,
    )
    result = check_namespace(namespace(), opts)
    assert result.verdict == "ready", result.summary_text()
    model, art = result.data["model"], result.data["artifact"]
    assert model["version"] is None and art["registered"] is False
    assert not model["uri"].startswith("models:/") and art["hand_off"]["moved"] is False
    assert "--no-hand-off" in art["hand_off"]["why"]
    assert result.check("reproducibility.fresh_kernel")["status"] == "pass"  # the gate ran
    client = client_for(resolve_store())
    assert list(client.search_model_versions("name='credit'")) == []
    run = client.get_run(model["run_id"])
    assert run.data.tags["mlready.verdict"] == "ready"
    assert "readiness.json" in {f.path for f in client.list_artifacts(model["run_id"])}
