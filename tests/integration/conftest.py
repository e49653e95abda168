"""Shared integration fixtures: an isolated MLflow store, and a live ``mlflow server`` on 127.0.0.1.

* ``isolated_mlflow_store`` (autouse): points MLFLOW_TRACKING_URI at a SQLite store under the
  session's tmp folder, so integration tests never write into the repository's ``.mlready/``.
* ``mlflow_server`` (session): one real server for the whole session (the small, fast configuration:
  one worker, no job runner), stopped by PID with SIGTERM at the end. Its ``url`` is what to put in
  MLFLOW_TRACKING_URI.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def _session_store(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow-store')}/mlruns.db"


@pytest.fixture(autouse=True)
def isolated_mlflow_store(_session_store, monkeypatch):
    """Unless a test sets its own, MLflow writes to a tmp SQLite store, never to the repo."""
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", _session_store)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    return os.environ["MLFLOW_TRACKING_URI"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (for "server down" tests)."""
    return free_port()


@dataclass(frozen=True)
class MlflowServer:
    url: str
    pid: int
    root: Path
    log: Path


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A live ``mlflow server`` (SQLite backend, proxied artifacts under tmp) for the session."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env.update(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false", MLFLOW_DISABLE_TELEMETRY="true")
    log = root / "server.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [
                str(mlflow_bin),
                "server",
                "--backend-store-uri",
                f"sqlite:///{root}/mlflow.db",
                "--artifacts-destination",
                str(root / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=root,
            start_new_session=True,
        )
    deadline = time.monotonic() + 90
    while not _healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"mlflow server did not start on {url}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    try:
        yield MlflowServer(url, proc.pid, root, log)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group (it was started in a new session), then wait."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass
