"""Find and summarize check results under a server root. No tornado here: plain functions.

Layout: the notebook ``dir/nb.ipynb`` has its results in ``dir/mlready-out/nb/``
(``readiness.json``, and ``report.html`` / ``summary.md`` when present).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from ..notebooks import RESULTS_DIR, results_dir
from ..records import count_statuses

READINESS = "readiness.json"
SKIP_DIRS = frozenset(
    {"node_modules", ".venv", "venv", "__pycache__", "site-packages", ".git", ".ipynb_checkpoints"}
)
MAX_DEPTH = 8  # folders below the root that are searched for mlready-out/
MAX_DIRS = 20_000  # folders visited at most by one scan
MAX_REPORTS = 500  # results returned at most by one scan
MAX_READINESS_BYTES = 20_000_000


class ReportError(Exception):
    """A request the scan cannot answer; ``status`` is the HTTP status a handler should send."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def resolve_notebook(root: Path, notebook: str) -> Path:
    """The notebook's absolute path, confined to ``root`` (400 for an escape, 404 for hidden
    parts)."""
    if not notebook or "\x00" in notebook:
        raise ReportError(
            400, "path is empty: pass ?path=<notebook path relative to the server root>"
        )
    pure = PurePosixPath(notebook.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise ReportError(
            400, f"path must be relative to the server root and stay inside it: {notebook!r}"
        )
    if pure.suffix != ".ipynb":
        raise ReportError(400, f"path must name a notebook (.ipynb): {notebook!r}")
    if any(part.startswith(".") for part in pure.parts):
        raise ReportError(404, f"no results for hidden path {notebook!r}")
    root = root.resolve()
    target = (root / pure).resolve()
    if target != root and root not in target.parents:  # a symlink pointing out of the root
        raise ReportError(400, f"path resolves outside the server root: {notebook!r}")
    return target


def _read(readiness: Path) -> dict:
    if readiness.stat().st_size > MAX_READINESS_BYTES:
        raise ValueError(f"{readiness.name} is larger than {MAX_READINESS_BYTES} bytes")
    doc = json.loads(readiness.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise ValueError("readiness.json is not a JSON object")
    return doc


def _model_version(uri: object) -> str | None:
    """``models:/name/3`` -> ``3``."""
    if isinstance(uri, str) and uri.startswith("models:/"):
        tail = uri.rstrip("/").rsplit("/", 1)[-1]
        return tail or None
    return None


def summarize(root: Path, out: Path, doc: dict) -> dict:
    """The list entry for one results folder ``out`` (``.../mlready-out/<stem>``)."""
    root = root.resolve()
    notebook = out.parent.parent / f"{out.name}.ipynb"
    checks = [c for c in doc.get("checks") or [] if isinstance(c, dict)]
    counts = dict(count_statuses(str(c.get("status")) for c in checks))
    failing = [
        {
            "id": str(c.get("id")),
            "status": str(c.get("status")),
            "summary": str(c.get("summary", "")),
        }
        for c in checks
        if c.get("status") in ("fail", "error")
    ]
    model = raw if isinstance(raw := doc.get("model"), dict) else {}
    mtime = (out / READINESS).stat().st_mtime
    entry = {
        "notebook": _rel(notebook, root),
        "notebook_exists": notebook.is_file(),
        "results": _rel(out, root),
        "verdict": str(doc.get("verdict", "error")),
        "when": datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds"),
        "model": {
            "name": model.get("name"),
            "uri": model.get("uri"),
            "version": _model_version(model.get("uri")),
        },
        "counts": counts,
        "failing": failing,
        "n_failing": len(failing),
        "error": doc.get("error"),
    }
    for key, name in (("report_html", "report.html"), ("summary_md", "summary.md")):
        entry[key] = _rel(out / name, root) if (out / name).is_file() else None
    return entry


def _broken(root: Path, out: Path, exc: Exception) -> dict:
    return {
        "notebook": _rel(out.parent.parent / f"{out.name}.ipynb", root),
        "results": _rel(out, root),
        "verdict": "unreadable",
        "problem": f"{type(exc).__name__}: {exc}",
        "failing": [],
        "n_failing": 0,
        "counts": {},
        "model": {},
        "when": None,
        "report_html": None,
        "summary_md": None,
    }


def list_reports(
    root: str | Path,
    *,
    max_depth: int = MAX_DEPTH,
    max_reports: int = MAX_REPORTS,
    max_dirs: int = MAX_DIRS,
) -> dict:
    """Every ``mlready-out/*/readiness.json`` under ``root``, newest first (bounded scan)."""
    root = Path(root).resolve()
    found: list[dict] = []
    visited = 0
    truncated = False
    for dirpath, dirnames, _ in os.walk(root):
        visited += 1
        here = Path(dirpath)
        depth = len(here.relative_to(root).parts)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in SKIP_DIRS
            and d != RESULTS_DIR
            and depth < max_depth
        )
        results = here / RESULTS_DIR
        if results.is_dir() and not results.is_symlink():
            for out in sorted(
                p for p in results.iterdir() if p.is_dir() and not p.name.startswith(".")
            ):
                if not (out / READINESS).is_file():
                    continue
                try:
                    found.append(summarize(root, out, _read(out / READINESS)))
                except (OSError, ValueError) as exc:
                    found.append(_broken(root, out, exc))
                if len(found) >= max_reports:
                    truncated = True
                    break
        if truncated or visited >= max_dirs:
            truncated = truncated or bool(dirnames)
            break
    found.sort(key=lambda e: e.get("when") or "", reverse=True)
    return {"root": root.name, "reports": found, "truncated": truncated}


def get_report(root: str | Path, notebook: str) -> dict:
    """The results of one notebook: its list entry plus the full readiness document."""
    root = Path(root).resolve()
    nb = resolve_notebook(root, notebook)
    out = results_dir(nb)
    readiness = out / READINESS
    if not readiness.is_file():
        raise ReportError(
            404,
            f"no results for {notebook!r}: run %mlready check in it, or `mlready check {notebook}`",
        )
    try:
        doc = _read(readiness)
    except (OSError, ValueError) as exc:
        raise ReportError(500, f"cannot read {_rel(readiness, root)}: {exc}") from exc
    entry = summarize(root, out, doc)
    entry["readiness"] = doc
    return entry
