"""Fixtures of the fault-injection suite: a fresh registry per case, and a real ``mlflow server``
that a case can stop between stages and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from faultkit import free_port


@pytest.fixture
def store(fresh_store) -> str:
    """A registry of this case's own (MLFLOW_TRACKING_URI): the alias starts nowhere."""
    return fresh_store


class Server:
    """A real ``mlflow server`` (one worker, no job runner) on 127.0.0.1 that a case can stop —
    with SIGTERM to its process group, as an operator would — and start again on the same port
    and store."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
        env.update(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false", MLFLOW_DISABLE_TELEMETRY="true")
        with open(self.root / "server.log", "ab") as log:
            self.proc = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("mlflow")),
                    "server",
                    "--backend-store-uri",
                    f"sqlite:///{self.root}/mlflow.db",
                    "--artifacts-destination",
                    str(self.root / "artifacts"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.root,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while not self.healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log_text = (self.root / "server.log").read_text()[-3000:]
                pytest.fail(f"mlflow server did not start on {self.url}:\n{log_text}")
            time.sleep(0.3)

    def stop(self) -> None:
        """Down: SIGTERM to the server's process group, then wait until the port is closed."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        while self.healthy():
            time.sleep(0.1)


@pytest.fixture(scope="module")
def _server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("mlflow-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mlflow_server(_server, monkeypatch) -> Server:
    """The module's server, running at the start of the case, as this case's registry."""
    _server.start()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", _server.url)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    return _server
