"""Environment drift: does the environment that loads the artifact differ from the one it was
logged with? (ML Test Score Monitoring 1)"""

from __future__ import annotations

import platform
import re
from importlib import metadata
from pathlib import Path

from ..views import Cell, Table, View
from .registry import CheckContext, Finding, Input, Score, check

_PINNED = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def logged_requirements(folder: Path) -> tuple[dict[str, str], list[str], str | None]:
    """(pinned package -> version, requirement lines that pin nothing, the logged Python
    version) from an MLflow model folder's ``requirements.txt`` and ``python_env.yaml``."""
    text = (folder / "requirements.txt").read_text(encoding="utf-8")
    pinned, loose = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        m = _PINNED.match(line)
        if m:
            pinned[m.group(1)] = m.group(2)
        else:
            loose.append(line)
    python = None
    env = folder / "python_env.yaml"
    if env.is_file():
        m = re.search(r"^python:\s*([0-9][0-9.]*)", env.read_text(encoding="utf-8"), re.M)
        python = m.group(1) if m else None
    return pinned, loose, python


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def compare_environment(folder: Path) -> dict:
    """The running environment against the artifact's logged one."""
    pinned, loose, python = logged_requirements(folder)
    rows = []
    for name, wanted in sorted(pinned.items(), key=lambda kv: kv[0].lower()):
        found = _installed(name)
        state = "same" if found == wanted else ("missing" if found is None else "different")
        rows.append({"package": name, "logged": wanted, "running": found, "state": state})
    running_python = platform.python_version()
    return {
        "packages": rows,
        "unpinned": loose,
        "python": {
            "logged": python,
            "running": running_python,
            "state": "unknown"
            if python is None
            else ("same" if _minor(python) == _minor(running_python) else "different"),
        },
    }


def environment_view(check: dict, doc: dict) -> View | None:
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    rows = []
    py = ev.get("python") or {}
    if py:
        status = {"same": "pass", "different": "warn"}.get(str(py.get("state")))
        rows.append(
            (
                Cell("python", code=True),
                Cell(str(py.get("logged") or "?")),
                Cell(str(py.get("running") or "?"), status=status),
            )
        )
    for r in ev.get("packages") or []:
        status = "pass" if r.get("state") == "same" else "warn"
        rows.append(
            (
                Cell(str(r.get("package")), code=True),
                Cell(str(r.get("logged"))),
                Cell(str(r.get("running") or "not installed"), status=status),
            )
        )
    if not rows:
        return None
    return View(
        "environment-drift",
        "Environment: logged with the artifact vs running",
        (Table(("package", "logged", "running"), tuple(rows)),),
        status=check.get("status"),
        check=check.get("id"),
        nav="Environment",
    )


@check(
    "environment.drift",
    needs=(Input.MODEL, Input.ARTIFACT_FOLDER),
    scores=(
        Score(
            "monitoring-1",
            "partial",
            "Every validation (and every scheduled `mlready validate`) compares the installed "
            "packages and Python with the requirements logged with the artifact and lists the "
            "differences. Changes of upstream data sources are for a person (or `mlready "
            "monitor`).",
        ),
    ),
    view=environment_view,
)
def environment_drift(ctx: CheckContext) -> Finding:
    """Does the environment differ from the one the artifact was logged with?

    Reads the artifact's ``requirements.txt`` and ``python_env.yaml`` (written by MLflow when it
    was logged) and compares each pinned package with the version installed where the artifact
    is loaded, and the Python minor version. A difference warns: the model may predict
    differently, or not load, where the environment differs."""
    folder = Path(str(ctx.artifact_folder))
    if not (folder / "requirements.txt").is_file():
        return Finding(
            "error",
            f"The artifact at {ctx.model_uri} has no requirements.txt: the environment it was "
            "logged with is unknown, so a change cannot be detected.",
            {"folder": str(folder)},
            remedy="Log the model again with `mlready check` (MLflow writes requirements.txt).",
        )
    found = compare_environment(folder)
    changed = [r for r in found["packages"] if r["state"] != "same"]
    py = found["python"]
    evidence = {**found, "compared": len(found["packages"]), "changed": len(changed)}
    parts = [
        f"{r['package']} {r['logged']} → {r['running'] or 'not installed'}" for r in changed[:8]
    ]
    if len(changed) > 8:
        parts.append(f"{len(changed) - 8} more")
    if py["state"] == "different":
        parts.insert(0, f"Python {py['logged']} → {py['running']}")
    if parts:
        return Finding(
            "warn",
            "The environment differs from the one the artifact was logged with: "
            + "; ".join(parts)
            + ".",
            evidence,
            remedy="Install the logged versions where the model is served (`pip install -r "
            "requirements.txt` from the artifact), or re-run `mlready check` in the new "
            "environment so the artifact is validated where it will run.",
        )
    return Finding(
        "pass",
        f"Same environment as logged: {len(found['packages'])} pinned packages"
        + (f" and Python {py['running']}" if py["state"] == "same" else "")
        + ".",
        evidence,
    )
