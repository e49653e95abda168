"""Notebook files and where their results go: shared by the CLI, the magic, the re-run, the
validation and the lab server, so each computes them the same way."""

from __future__ import annotations

from pathlib import Path

from .errors import NotebookError

RESULTS_DIR = "mlready-out"


def results_dir(notebook: str | Path | None, start: str | Path | None = None) -> Path:
    """Where a check of ``notebook`` writes its results: ``mlready-out/<stem>/`` beside it.

    Without a notebook file (a kernel that does not know its notebook), ``mlready-out/notebook/``
    in ``start`` (default: the working directory)."""
    if notebook:
        p = Path(notebook).resolve()
        return p.parent / RESULTS_DIR / p.stem
    return Path(start or Path.cwd()).resolve() / RESULTS_DIR / "notebook"


def read_notebook(path: Path):
    """Read and validate a notebook file; NotebookError with the fix when it is not one."""
    import nbformat

    if not path.exists():
        raise NotebookError(f"{path} does not exist. Check the path.", path=str(path))
    if path.is_dir() or path.suffix != ".ipynb":
        raise NotebookError(
            f"{path} is not a notebook (.ipynb). Pass the notebook file.", path=str(path)
        )
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:
        raise NotebookError(
            f"{path} is not a readable notebook: {type(exc).__name__}: {exc}. "
            "Open and save it in Jupyter to repair it.",
            path=str(path),
        ) from exc
