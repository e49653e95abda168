"""Where a result came from: notebook hash, git commit, Python and package versions,
fingerprints."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


PACKAGES = (
    "jupyter_mlready",
    "pandas",
    "numpy",
    "scikit-learn",
    "pandera",
    "mlflow",
    "hypothesis",
    "papermill",
    "scipy",
    "xgboost",
    "lightgbm",
)


def file_sha256(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def frame_sha256(X: pd.DataFrame, y: pd.Series | None = None) -> str:
    """A content fingerprint of features (+ target): column names, dtypes and values, not the
    index."""
    import pandas as pd  # not at module level: the CLI imports this module, never a frame

    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in X.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    if y is not None:
        h.update(pd.util.hash_pandas_object(pd.Series(y), index=False).to_numpy().tobytes())
    return h.hexdigest()


def git_state(folder: str | Path) -> dict:
    """{"commit": sha or None, "dirty": bool or None} for the repository holding ``folder``."""

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=10
        )

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = git("status", "--porcelain", "--untracked-files=no")
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions(names=PACKAGES) -> dict:
    out = {}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            continue
    return out


def collect_provenance(notebook: str | None) -> dict:
    folder = Path(notebook).resolve().parent if notebook else Path.cwd()
    git = git_state(folder)
    return {
        "notebook": str(notebook) if notebook else None,
        "notebook_sha256": file_sha256(notebook) if notebook else None,
        "git_commit": git["commit"],
        "git_dirty": git["dirty"],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
    }
