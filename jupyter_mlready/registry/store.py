"""Where versions go: the MLflow tracking / registry store, chosen explicitly.

Embedded default: a SQLite store and an artifact folder in ``.mlready/`` of the project (the
nearest folder holding ``pyproject.toml`` or ``.git``, else the notebook's folder). MLflow's own
default, ``./mlflow.db`` in whatever directory the kernel happens to run in, is never used.
``MLFLOW_TRACKING_URI`` (e.g. ``http://host:5000``) points at a real server instead.

mlflow is imported lazily (about 1 s): ``%load_ext`` stays fast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..environ import temporary_environ
from ..errors import RegistryError

STORE_DIR = ".mlready"
EXPERIMENT = "mlready"
#: Short HTTP limits for the duration of a check: an unreachable server fails in seconds,
#: not minutes.
HTTP_LIMITS = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
}


@dataclass(frozen=True)
class Store:
    """A tracking + registry location.

    Attributes:
        tracking_uri: e.g. ``sqlite:////abs/.mlready/mlruns.db`` or ``http://127.0.0.1:5000``.
        artifact_location: folder for the experiment's artifacts (None: the server decides).
        kind: "embedded" (our default), "env" (MLFLOW_TRACKING_URI) or "explicit".
    """

    tracking_uri: str
    artifact_location: str | None
    kind: str

    @property
    def is_remote(self) -> bool:
        return self.tracking_uri.startswith(("http://", "https://"))

    def to_dict(self) -> dict:
        return {
            "tracking_uri": self.tracking_uri,
            "artifact_location": self.artifact_location,
            "kind": self.kind,
        }


def project_root(start: str | Path | None) -> Path:
    """The nearest folder (from ``start`` up) holding pyproject.toml or .git; else ``start``'s
    folder."""
    p = Path(start or ".").resolve()
    folder = p.parent if p.is_file() or p.suffix == ".ipynb" else p
    for d in (folder, *folder.parents):
        if (d / "pyproject.toml").is_file() or (d / ".git").exists():
            return d
    return folder


def _sqlite_store(db: Path, kind: str) -> Store:
    return Store(f"sqlite:///{db}", str(db.parent / "artifacts"), kind)


def resolve_store(start: str | Path | None = None, tracking_uri: str | None = None) -> Store:
    """The store a check logs to.

    Args:
        start: the notebook (or folder) whose project holds the embedded store.
        tracking_uri: explicit URI; else ``MLFLOW_TRACKING_URI``; else the embedded default.
    """
    kind = "explicit" if tracking_uri else "env"
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if not uri:
        root = project_root(start) / STORE_DIR
        return _sqlite_store(root / "mlruns.db", "embedded")
    if uri.startswith("sqlite:///"):  # keep artifacts beside the database, not in ./mlruns
        return _sqlite_store(Path(uri[len("sqlite:///") :]).resolve(), kind)
    if uri.startswith(("http://", "https://")):
        return Store(uri.rstrip("/"), None, kind)
    raise RegistryError(
        f"MLFLOW_TRACKING_URI={uri!r} is not supported here. Use an http(s):// server "
        "URI or sqlite:///ABSOLUTE/PATH.db, or unset it to use the project's .mlready/ store."
    )


def http_limits():
    """Set short MLflow HTTP timeout / retries unless the user set their own; restore afterwards."""
    return temporary_environ(HTTP_LIMITS, keep_existing=True)


def quiet_downloads():
    """No MLflow download progress bars (in CI logs, in a terminal summary) unless the user
    asked for them; restored afterwards."""
    return temporary_environ({"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}, keep_existing=True)


def client_for(store: Store):
    """An MlflowClient bound to ``store`` (no global mlflow state is touched).

    For a SQLite store, the first connection creates / migrates the schema: two checks starting
    at once against a new store would race in MLflow's migrations, so that step holds a file lock.
    """
    try:
        from mlflow import MlflowClient
    except ImportError as exc:  # pragma: no cover - mlflow is a dependency
        raise RegistryError("mlflow is not installed. Install it: pip install mlflow") from exc
    if store.artifact_location:
        Path(store.artifact_location).mkdir(parents=True, exist_ok=True)
    if not store.tracking_uri.startswith("sqlite:///"):
        return MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
    import fcntl

    db = Path(store.tracking_uri[len("sqlite:///") :])
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".init-lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            client = MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.tracking_uri)
            client.search_registered_models(max_results=1)  # creates the registry store too
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return client


UNREACHABLE = (
    "Max retries exceeded",
    "NewConnectionError",
    "Connection refused",
    "ConnectTimeout",
    "Read timed out",
    "Failed to establish a new connection",
)


def describe_failure(
    store: Store, exc: BaseException, doing: str, after_check: bool = False
) -> RegistryError:
    """A RegistryError that says what failed, where, and what to do."""
    text = str(exc).strip()
    locked = "database is locked" in text
    if any(s in text for s in UNREACHABLE):
        cause = f"cannot reach {store.tracking_uri}"
    elif locked:
        cause = "the SQLite database is locked by another process"
    else:
        cause = f"{type(exc).__name__}: {text.splitlines()[0][:300] if text else ''}"
    if store.is_remote:
        fix = f"Check that the MLflow server at {store.tracking_uri} is running and reachable."
    elif locked:
        fix = (
            f"Another process holds a write lock on {store.tracking_uri} (a long transaction, "
            "another tool with the database open): let it finish, then re-run the check."
        )
    else:
        fix = f"Check that {store.tracking_uri} is writable."
    if after_check:
        fix += " Everything computed so far is in --out; re-run the check to log it."
    return RegistryError(
        f"MLflow registry failed while {doing} ({cause}). {fix}",
        tracking_uri=store.tracking_uri,
        doing=doing,
    )


def ensure_experiment(client, store: Store, name: str = EXPERIMENT) -> str:
    """The id of the experiment holding check runs; created (with our artifact folder) if
    missing."""
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    try:
        return client.create_experiment(name, artifact_location=store.artifact_location)
    except Exception:  # another process created it at the same moment
        exp = client.get_experiment_by_name(name)
        if exp is None:
            raise
        return exp.experiment_id
