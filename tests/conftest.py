import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture(autouse=True, scope="session")
def _private_mlflow_store(tmp_path_factory):
    """Checks run by tests log to a throwaway SQLite store, never to the repository's .mlready/.
    Tests that need another store (a live server, a per-test store) set MLFLOW_TRACKING_URI
    themselves."""
    if "MLFLOW_TRACKING_URI" in os.environ:
        yield
        return
    folder = tmp_path_factory.mktemp("mlflow-store")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder}/mlruns.db"
    yield
    os.environ.pop("MLFLOW_TRACKING_URI", None)


@pytest.fixture(scope="session")
def empty_store_db(tmp_path_factory) -> Path:
    """An MLflow SQLite store with its schema created once (1.5-3 s); tests copy it."""
    from jupyter_mlready.registry.store import client_for, resolve_store

    db = tmp_path_factory.mktemp("empty-store") / "mlruns.db"
    client_for(resolve_store(tracking_uri=f"sqlite:///{db}"))
    return db


@pytest.fixture
def fresh_store(tmp_path, monkeypatch, empty_store_db) -> str:
    """A registry of this test's own in ``tmp_path/store`` (MLFLOW_TRACKING_URI): no model, no
    alias. Its URI."""
    db = tmp_path / "store" / "mlruns.db"
    db.parent.mkdir()
    shutil.copy(empty_store_db, db)
    uri = f"sqlite:///{db}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture
def make_notebook(tmp_path):
    """Write a notebook from cell sources and return its path."""
    import nbformat

    def make(*cells: str, name: str = "nb.ipynb", folder: Path | None = None) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
        path = (folder or tmp_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
        return path

    return make
