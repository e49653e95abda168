"""Notebook files and where their results go: shared by the CLI, the magic, the re-run, the
validation and the lab server, so each computes them the same way."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import NotebookError, OutputError, output_error

RESULTS_DIR = "mlready-out"
LOCK_NAME = ".mlready.lock"  # held in the results folder by the one check writing there


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


def make_out_dir(out: str | Path) -> Path:
    """The results folder, created and resolved.

    Raises:
        OutputError: it cannot be created (a part of the path is a regular file, no permission).
    """
    folder = Path(out).resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(folder, exc) from None
    return folder


@contextlib.contextmanager
def hold_out_dir(out: Path) -> Iterator[None]:
    """Hold ``out`` for one check. Two checks writing into one folder at once (the same notebook
    checked twice) would mix their files, so the second one is refused at once.

    Raises:
        OutputError: another check holds the folder (its process id is in the message).
    """
    import fcntl

    path = out / LOCK_NAME
    try:
        fh = open(path, "a+")  # noqa: SIM115 - closed below, which releases the lock
    except OSError as exc:
        raise output_error(path, exc) from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise OutputError(
                f"Another mlready check ({holder}) is writing to {out} right now; two checks in "
                "one folder would mix their results. Wait for it to finish, or pass --out to "
                "another folder.",
                path=str(out),
                reason="busy",
                remedy="Wait for the other check to finish, or pass --out to another folder.",
            ) from None
        with contextlib.suppress(OSError):  # the holder's id is a courtesy (a full disk)
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
            fh.flush()
        yield
    finally:
        fh.close()
