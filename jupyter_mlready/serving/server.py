"""server: MLflow's own scoring server for a model folder, started, waited on and always stopped.

Two launchers start the same application (``mlflow.pyfunc.scoring_server.app:app`` under uvicorn):

- ``"cli"``: ``python -m mlflow models serve -m MODEL --env-manager local --host 127.0.0.1
  --port P``. With ``--env-manager local`` (``--no-conda`` is the same thing) the CLI downloads
  the model, then runs ``bash -c "exec uvicorn ... --workers 1 ..."``: two Python processes
  (the CLI waits on uvicorn), about 265 MB each. ``--workers 1`` is already the default: uvicorn
  then serves in its own process, with no worker children. The CLI finds ``uvicorn`` on ``PATH``,
  so the venv's ``bin`` folder is put first on it. Measured here (2 cores): 4.4-5.2 s to a 200 on
  ``/ping`` for a small scikit-learn pipeline.
- ``"uvicorn"``: ``python -m uvicorn mlflow.pyfunc.scoring_server.app:app`` with the model path in
  ``__pyfunc_model_path__``, exactly what the CLI execs, minus the CLI process: one process, about
  2.1 s to healthy. Only for a model already on the local disk (the CLI is what downloads a
  ``runs:/`` or ``models:/`` URI).

``"auto"`` (the default) takes ``"uvicorn"`` for a local folder and ``"cli"`` for anything else.

Every server runs in its own session (``start_new_session=True``): stopping it sends SIGTERM to
the whole process group, then SIGKILL after a grace period, and checks that no member of the
group is left (zombies aside) and that nothing listens on the port any more. A server not stopped
by its owner is stopped at interpreter exit.

Flow: ``start_server`` (returns at once, ``PendingServer``) -> ``PendingServer.wait_healthy``
(``RunningServer``, or ``ServerStartError`` with the log's tail) -> ``PendingServer.stop``.
``scoring_server`` is the context manager doing all three.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from ..errors import MlreadyError

Launcher = Literal["auto", "cli", "uvicorn"]
#: how the scoring server's app finds the model
#: (``mlflow.pyfunc.scoring_server._SERVER_MODEL_PATH``, checked by the tests)
MODEL_PATH_ENV = "__pyfunc_model_path__"
APP = "mlflow.pyfunc.scoring_server.app:app"
HOST = "127.0.0.1"
LOG_TAIL_LINES = 60
DEFAULT_TIMEOUT_S = 120.0
STOP_GRACE_S = 5.0


class ServerStartError(MlreadyError):
    """The scoring server exited, or did not answer ``/ping``, before the timeout.

    Attributes:
        model: the model folder or URI being served.
        log_path: the server's captured stdout and stderr.
        log_tail: its last lines (what MLflow / uvicorn said).
        returncode: the exit code, or None when it was still running at the timeout.
        waited_seconds: how long it was waited for.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str,
        log_path: str,
        log_tail: str,
        returncode: int | None,
        waited_seconds: float,
    ):
        fix = (
            "Load the model with mlflow.pyfunc.load_model in this environment to see the same "
            f"error, and read the full log at {log_path}."
        )
        super().__init__(f"{message}\n--- last lines of the server log ---\n{log_tail}\n{fix}")
        self.model = model
        self.log_path = log_path
        self.log_tail = log_tail
        self.returncode = returncode
        self.waited_seconds = round(waited_seconds, 3)
        self.remedy = fix


@dataclass(frozen=True)
class RunningServer:
    """A scoring server answering ``/ping`` with 200."""

    url: str  # http://127.0.0.1:PORT
    port: int
    pid: int  # the process group leader (the group id too)
    load_seconds: float  # from spawn to the first 200 on /ping
    log_path: Path
    launcher: str = "uvicorn"


@dataclass(frozen=True)
class StopReport:
    """How a server was stopped: ``signal`` is "SIGTERM" when it exited in the grace period,
    "SIGKILL" when it had to be killed, "" when it had already exited. ``leftover`` lists the
    pids still alive in its process group afterwards (empty when clean)."""

    signal: str
    seconds: float
    returncode: int | None
    leftover: tuple[int, ...] = ()
    port_open: bool = False

    @property
    def clean(self) -> bool:
        return not self.leftover and not self.port_open


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """Whether something accepts connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def group_members(pgid: int) -> tuple[int, ...]:
    """Live (non-zombie) processes of process group ``pgid``, read from /proc (Linux). Elsewhere:
    ``(pgid,)`` while the group can still be signalled, else ``()``."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
            return (pgid,)
        except (ProcessLookupError, PermissionError):
            return ()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return tuple(sorted(found))


def _is_local(model: str | Path) -> Path | None:
    text = str(model)
    if text.startswith("file://"):
        text = text[len("file://") :]
    path = Path(text)
    return path.resolve() if path.exists() else None


def _command(
    model: str, local: Path | None, port: int, launcher: str, request_timeout: int | None
) -> tuple[list[str], str]:
    if launcher == "auto":
        launcher = "uvicorn" if local is not None else "cli"
    if launcher == "uvicorn":
        if local is None:
            raise ValueError(f"launcher='uvicorn' needs a local model folder, got {model!r}")
        cmd = [sys.executable, "-m", "uvicorn", "--host", HOST, "--port", str(port), APP]
        return cmd, launcher
    if launcher != "cli":
        raise ValueError(f"launcher must be 'auto', 'cli' or 'uvicorn', got {launcher!r}")
    cmd = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(local or model)]
    cmd += ["--env-manager", "local", "--host", HOST, "--port", str(port), "--workers", "1"]
    if request_timeout:
        cmd += ["--timeout", str(int(request_timeout))]
    return cmd, launcher


def _environment(local: Path | None, request_timeout: int | None, extra: dict | None) -> dict:
    env = dict(os.environ)
    # the CLI runs `uvicorn` from PATH: the venv's, the one next to this interpreter
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env["PYTHONUNBUFFERED"] = "1"
    if local is not None:
        env[MODEL_PATH_ENV] = str(local)
    if request_timeout:
        env["MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"] = str(int(request_timeout))
    env.update(extra or {})
    return env


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _ping(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=timeout) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class PendingServer:
    """A scoring server spawned and not yet known healthy. ``stop()`` is safe to call at any
    time and more than once."""

    model: str
    port: int
    process: subprocess.Popen
    log_path: Path
    launcher: str
    started: float  # time.monotonic() at spawn
    _log: IO | None = field(default=None, repr=False)
    _stopped: StopReport | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_healthy(self, timeout: float = DEFAULT_TIMEOUT_S, poll: float = 0.1) -> RunningServer:
        """Poll ``/ping`` until it answers 200; raise ServerStartError (after stopping the
        server) when the process exits or ``timeout`` seconds since spawn pass first."""
        deadline = self.started + timeout
        while True:
            if _ping(self.url):
                return RunningServer(
                    self.url,
                    self.port,
                    self.pid,
                    round(time.monotonic() - self.started, 3),
                    self.log_path,
                    self.launcher,
                )
            code = self.process.poll()
            now = time.monotonic()
            if code is not None or now >= deadline:
                self.stop()
                waited = now - self.started
                why = (
                    f"exited with code {code}"
                    if code is not None
                    else f"did not answer /ping within {timeout:.0f} s"
                )
                raise ServerStartError(
                    f"The MLflow scoring server for {self.model} {why}.",
                    model=self.model,
                    log_path=str(self.log_path),
                    log_tail=_tail(self.log_path),
                    returncode=code,
                    waited_seconds=waited,
                )
            time.sleep(min(poll, max(deadline - now, 0.0)))

    def stop(self, grace: float = STOP_GRACE_S) -> StopReport:
        """SIGTERM to the process group, SIGKILL after ``grace`` seconds, then check that no
        process of the group is left and that the port is closed."""
        if self._stopped is not None:
            return self._stopped
        atexit.unregister(self.stop)
        t0 = time.monotonic()
        sent = ""
        if self.process.poll() is None or group_members(self.pid):
            sent = "SIGTERM"
            _killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
            if not _gone(self.pid, max(grace - (time.monotonic() - t0), 0.5)):
                sent = "SIGKILL"
                _killpg(self.pid, signal.SIGKILL)
                _gone(self.pid, 5.0)
        try:
            code: int | None = self.process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            code = None
        if self._log is not None:
            self._log.close()
        self._stopped = StopReport(
            sent,
            round(time.monotonic() - t0, 3),
            code,
            group_members(self.pid),
            port_open(self.port),
        )
        return self._stopped


def stop_group(pgid: int, grace: float = STOP_GRACE_S) -> bool:
    """Stop what is left of a server's process group (SIGTERM, then SIGKILL) from any process,
    e.g. the one that ran the validation kernel after that kernel died; True when nothing of it
    is left."""
    if not group_members(pgid):
        return True
    _killpg(pgid, signal.SIGTERM)
    if not _gone(pgid, grace):
        _killpg(pgid, signal.SIGKILL)
        return _gone(pgid, 5.0)
    return True


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def start_server(
    model: str | Path,
    log_dir: str | Path,
    *,
    port: int | None = None,
    launcher: Launcher = "auto",
    request_timeout: int | None = None,
    env: dict | None = None,
) -> PendingServer:
    """Spawn MLflow's scoring server for ``model`` (a folder or a URI) on 127.0.0.1 and return
    at once; call ``wait_healthy()`` when its answers are needed, ``stop()`` in every case.

    Args:
        model: a local MLflow model folder (or ``file://`` URI), or any URI MLflow resolves.
        log_dir: where ``scoring-server-PORT.log`` (stdout and stderr) goes; also the working
            directory of the server.
        port: the port to listen on (a free one when None).
        launcher: "auto", "cli" or "uvicorn" (see the module docstring).
        request_timeout: the server's per-request limit in seconds (MLflow's default: 60).
        env: extra environment variables for the server.
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    local = _is_local(model)
    port = port or free_port()
    cmd, chosen = _command(str(model), local, port, launcher, request_timeout)
    log_path = log_dir / f"scoring-server-{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed by stop()
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    started = time.monotonic()
    process = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(log_dir),
        env=_environment(local, request_timeout, env),
        start_new_session=True,
    )
    pending = PendingServer(str(model), port, process, log_path, chosen, started, log)
    atexit.register(pending.stop)
    return pending


@contextmanager
def scoring_server(
    model: str | Path,
    log_dir: str | Path,
    timeout: float = DEFAULT_TIMEOUT_S,
    **kwargs,
) -> Iterator[RunningServer]:
    """Serve ``model`` for the duration of the block: start, wait until healthy (at most
    ``timeout`` seconds, else ServerStartError), and stop the whole process group on exit.
    ``kwargs`` go to ``start_server``."""
    pending = start_server(model, log_dir, **kwargs)
    try:
        yield pending.wait_healthy(timeout)
    finally:
        pending.stop()
