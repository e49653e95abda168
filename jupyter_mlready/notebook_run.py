"""Re-execute a notebook top to bottom in a fresh kernel (papermill), then check inside that kernel.

One kernel start: the check runs as one extra cell appended to a copy of the notebook, so the
namespace it sees is exactly what a clean top-to-bottom run produces.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from . import readiness as rd
from .checks import load_checks
from .notebooks import read_notebook
from .pipeline import CheckOptions
from .policy import Policy, load_policy
from .provenance import collect_provenance
from .records import CheckResult
from .stages.chain import default_name
from .stages.report import write_document

CHECK_CELL_TAG = "mlready-check"
EXECUTED_NAME = "executed_notebook.ipynb"


def _with_check_cell(nb, options: CheckOptions):
    import nbformat

    nb = nbformat.from_dict(nb)
    for cell in (
        nb.cells
    ):  # the notebook's own %mlready cells (e.g. from the toolbar button) would check twice
        if cell.cell_type == "code" and "%mlready" in cell.source:
            cell.source = "\n".join(
                f"# skipped by `mlready check`: {line}"
                if line.lstrip().startswith("%mlready")
                else line
                for line in cell.source.splitlines()
            )
    code = (
        "import jupyter_mlready.lean_imports as _mlready_lean\n"
        "_mlready_lean.skip_iri_format_grammar()\n"
        "import jupyter_mlready.pipeline as _mlready_pipeline\n"
        f"_mlready_pipeline.check_in_kernel(globals(), {options.to_json()!r})"
    )
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["tags"] = [CHECK_CELL_TAG]
    nb.cells.append(cell)
    return nb


def _failed_run(
    notebook: Path,
    out: Path,
    facts: dict,
    policy: Policy,
    policy_source: str,
    name: str,
    message: str,
) -> rd.Readiness:
    """readiness.json for a notebook that did not run: the checks that read only the re-run's
    facts decide (it failed), every other check is skipped."""
    from .checks import CheckContext, Input, run_check

    results = []
    ctx = CheckContext(None, "", None, None, None, policy, rerun=facts)
    for spec in load_checks():
        if spec.needs <= {Input.RERUN}:
            results.append(run_check(spec, ctx))
        else:
            results.append(
                CheckResult(
                    spec.id,
                    "error",
                    "Not run: the notebook did not run to the end.",
                    category=spec.category,
                    remedy="Fix the failing cell (see the re-run's error), then re-run the check.",
                )
            )
    doc = rd.build(
        results,
        model={"name": name},
        data={},
        timings={"rerun": facts.get("seconds", 0.0), "total": facts.get("seconds", 0.0)},
        provenance=collect_provenance(str(notebook)),
        policy={"source": policy_source, "values": policy.to_dict()},
        discovery={},
        strict=policy.strict,
        error={
            "stage": "rerun",
            "type": "NotebookError",
            "message": message,
            "remedy": "Restart the kernel, run all cells top to bottom, and fix the first failing "
            "cell; then re-run `mlready check`.",
            "fields": {k: facts.get(k) for k in ("cell_index", "ename", "executed_notebook")},
        },
    )
    write_document(doc, out)
    return rd.Readiness(doc, out)


def check_notebook(
    notebook: str | Path,
    options: CheckOptions,
    kernel_name: str = "python3",
    log_output: bool = False,
    kernel=None,
    progress: Callable[[str, str, float], None] | None = None,
) -> rd.Readiness:
    """Execute ``notebook`` in a fresh kernel and check the result. Always writes readiness.json.

    ``kernel``: a ``kernels.KernelAhead`` already started in the notebook's folder (the CLI
    starts it first thing), used and killed here; without it papermill starts one.
    ``progress``: called as ``progress("rerun", "cell N", fraction)`` when a notebook cell starts
    and ``progress("check", ..., 1.0)`` when the check cell does."""
    try:
        return _check_notebook(notebook, options, kernel_name, log_output, kernel, progress)
    finally:
        if kernel is not None:
            kernel.shutdown()  # no-op when papermill already killed it


def _cell_hook(progress: Callable[[str, str, float], None], cells: int):
    def hook(cell, index: int | None) -> None:
        if cell.get("cell_type") != "code":
            return
        if CHECK_CELL_TAG in cell.get("metadata", {}).get("tags", ()):
            progress("check", "checking the model", 1.0)
        else:
            progress("rerun", f"cell {index}", (index or 0) / max(cells, 1))

    return hook


def _check_notebook(
    notebook: str | Path,
    options: CheckOptions,
    kernel_name: str,
    log_output: bool,
    kernel,
    progress,
) -> rd.Readiness:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from .kernels import ENGINE_NAME, register_engine

    path = Path(notebook).resolve()
    out = Path(options.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    policy, policy_source = load_policy(options.policy_file, path.parent)
    nb = read_notebook(path)
    n_code = sum(1 for c in nb.cells if c.cell_type == "code")
    start = time.time()
    facts = {
        "ok": True,
        "notebook": str(path),
        "cells": n_code,
        "kernel": kernel_name,
        "started": start,
    }
    # every option carries over (--no-hand-off, the live reference of %mlready)
    opts = dataclasses.replace(options, out=str(out), notebook=str(path), rerun=facts)
    executed = out / EXECUTED_NAME
    (out / rd.FILENAME).unlink(missing_ok=True)
    name = options.name or default_name(str(path), None)
    try:
        # The check cell is last and writes everything to disk: the kernel is then killed at once
        # instead of a graceful shutdown of a process holding the notebook's data (1-2 s).
        # (the mlready engine kills a kernel started ahead immediately too)
        register_engine()
        hook = _cell_hook(progress, len(nb.cells)) if progress is not None else None
        pm.execute_notebook(
            _with_check_cell(nb, opts),
            str(executed),
            kernel_name=kernel_name,
            cwd=str(path.parent),
            progress_bar=False,
            log_output=log_output,
            execution_timeout=policy.cell_timeout,
            engine_name=ENGINE_NAME,
            mlready_kernel=kernel,
            mlready_hook=hook,
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as exc:
        if exc.cell_index >= len(nb.cells):  # our own cell failed: a bug, reported as an error
            if (out / rd.FILENAME).exists():
                return rd.read(out)
            message = f"the check cell failed: {exc.ename}: {exc.evalue}"
        else:
            message = (
                f"cell {exc.cell_index} raised {exc.ename}: {exc.evalue}. The executed notebook "
                f"is in {executed}."
            )
        facts = {
            **facts,
            "ok": False,
            "cell_index": exc.cell_index,
            "ename": exc.ename,
            "evalue": str(exc.evalue)[:1000],
            "seconds": time.time() - start,
            "executed_notebook": str(executed),
        }
        return _failed_run(path, out, facts, policy, policy_source, name, message)
    except Exception as exc:  # dead kernel, timeout, missing kernel
        facts = {
            **facts,
            "ok": False,
            "cell_index": None,
            "ename": type(exc).__name__,
            "evalue": str(exc)[:1000],
            "seconds": time.time() - start,
        }
        if kernel is not None:
            facts["kernel_log"] = str(kernel.log_path)  # the kernel's stderr: a crash's last words
        return _failed_run(
            path,
            out,
            facts,
            policy,
            policy_source,
            name,
            f"the notebook could not be executed: {type(exc).__name__}: {exc}",
        )
    if not (out / rd.FILENAME).exists():
        facts = {
            **facts,
            "ok": False,
            "ename": "NoResult",
            "evalue": "the check cell wrote nothing",
            "seconds": time.time() - start,
        }
        return _failed_run(
            path, out, facts, policy, policy_source, name, "the check cell wrote no results"
        )
    return rd.read(out)  # written once, by the check cell
