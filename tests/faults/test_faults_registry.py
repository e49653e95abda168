"""The registry: the MLflow server down before, during and after logging (a real server, stopped
between stages), a locked SQLite store, a model name the registry refuses."""

from __future__ import annotations

import sqlite3

import pytest
from faultkit import (
    EXIT,
    alias_holder,
    assert_expected_error,
    check,
    check_of,
    client,
    crashed,
    free_port,
    namespace,
    read_doc,
    versions,
)

pytestmark = pytest.mark.faults


def registry_of(server):
    """The stopped server's own store, read directly (no need to start it again to look)."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{server.root}/mlflow.db"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def holder(mlflow_client, name: str = "faults") -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(mlflow_client.get_model_version_by_alias(name, "ready").version)
    except MlflowException:
        return None


def test_server_down_before_logging_keeps_every_finding(tmp_path, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    result = check(namespace(), tmp_path, "down")
    doc = read_doc(tmp_path / "out-down")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "artifact", f"cannot reach {url}", "re-run the check")
    assert err["fields"]["tracking_uri"] == url
    # the gate could not run on a logged artifact: the checks ran on the notebook's model instead
    ran = [c for c in doc["checks"] if c["status"] in ("pass", "warn", "fail")]
    assert len(ran) >= 10 and not crashed(doc)
    assert "could not be read" in check_of(doc, "performance.champion")["summary"]
    assert (tmp_path / "out-down" / "bundle" / "subject.json").exists()


def test_server_stopped_while_the_model_is_logged(tmp_path, mlflow_server, monkeypatch):
    import jupyter_mlready.registry.artifact as artifact

    real = artifact._log_model

    def stop_then_log(*args, **kw):
        mlflow_server.stop()
        return real(*args, **kw)

    monkeypatch.setattr(artifact, "_log_model", stop_then_log)
    result = check(namespace(), tmp_path, "during")
    doc = read_doc(tmp_path / "out-during")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(
        doc, "artifact", "while creating the logged model", f"cannot reach {mlflow_server.url}"
    )
    assert "Everything computed so far is in --out" in err["message"]
    assert not crashed(doc) and (tmp_path / "out-during" / "bundle" / "subject.json").exists()
    store = registry_of(mlflow_server)
    assert holder(store) is None and store.search_model_versions("name='faults'") == []


def test_server_stopped_after_logging_before_the_gate(tmp_path, mlflow_server, monkeypatch):
    """Logged and registered, then the server goes: the gate cannot load the artifact and the
    hand-off cannot reach the registry. Error, nothing handed off, the evidence kept."""
    import jupyter_mlready.stages.validation as stage

    real = stage.validate

    def stop_then_validate(*args, **kw):
        mlflow_server.stop()
        return real(*args, **kw)

    monkeypatch.setattr(stage, "validate", stop_then_validate)
    result = check(namespace(), tmp_path, "after")
    doc = read_doc(tmp_path / "out-after")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "validation", "the artifact did not load")
    assert doc["timings"]["validation"] < 60, "the gate waited too long for a dead server"
    load = check_of(doc, "reproducibility.fresh_kernel")
    assert load["status"] == "error" and "could not be loaded" in load["summary"], load
    assert "MLFLOW_TRACKING_URI" in (err.get("remedy") or load["remedy"])
    assert doc["model"]["uri"] == "models:/faults/1"
    store = registry_of(mlflow_server)
    assert holder(store) is None  # never moved
    assert store.get_model_version("faults", "1").tags["mlready.verdict"] == "pending"
    assert (tmp_path / "out-after" / "validation_executed.ipynb").exists()


def test_a_locked_sqlite_store_is_named_and_nothing_is_registered(tmp_path, store, monkeypatch):
    """Another process takes an exclusive lock on the store's database as the artifact stage
    starts logging, and keeps it (SQLite's busy timeout, 5 s, runs out)."""
    import jupyter_mlready.registry.artifact as artifact

    db = store[len("sqlite:///") :]
    real = artifact.ensure_experiment
    holders = []

    def lock_then_log(*args, **kw):
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        holders.append(other)
        return real(*args, **kw)

    monkeypatch.setattr(artifact, "ensure_experiment", lock_then_log)
    try:
        result = check(namespace(), tmp_path, "locked")
    finally:
        for other in holders:
            other.rollback()
            other.close()
    doc = read_doc(tmp_path / "out-locked")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "artifact", "the SQLite database is locked by another process")
    assert "Another process holds a write lock" in err["message"] and "SELECT" not in err["message"]
    assert err["type"] == "RegistryError" and not crashed(doc)
    assert alias_holder() is None and versions() == {}


def test_a_name_the_registry_refuses_is_an_error_before_anything_is_logged(tmp_path, store):
    result = check(namespace(), tmp_path, "name", name="team/credit:v2")
    doc = read_doc(tmp_path / "out-name")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "artifact", "'team/credit:v2' cannot be registered")
    assert err["type"] == "UsageError" and "--name NAME" in err["remedy"]
    assert client().search_runs(["0", "1"]) == []  # no run left behind
