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
from .errors import OutputError, PolicyError
from .notebooks import hold_out_dir, make_out_dir, read_notebook
from .pipeline import CheckOptions
from .policy import Policy, load_policy
from .provenance import collect_provenance
from .records import CheckResult
from .stages.chain import default_name
from .stages.report import write_document

CHECK_CELL_TAG = "mlready-check"
EXECUTED_NAME = "executed_notebook.ipynb"
RERUN_REMEDY = (
    "Restart the kernel, run all cells top to bottom, and fix the first failing cell; then "
    "re-run `mlready check`."
)


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
    remedy: str = RERUN_REMEDY,
) -> rd.Readiness:
    """readiness.json for a notebook that did not run: the checks that read only the re-run's
    facts decide (it failed), every other check is an error ("not run")."""
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
            "remedy": remedy,
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
    """Execute ``notebook`` in a fresh kernel and check the result. Always writes readiness.json,
    unless ``options.out`` cannot be written (``OutputError``) or another check is writing there.

    ``kernel``: a ``kernels.KernelAhead`` already started in the notebook's folder (the CLI
    starts it first thing), used and killed here; without it papermill starts one.
    ``progress``: called as ``progress("rerun", "cell N", fraction)`` when a notebook cell starts
    and ``progress("check", ..., 1.0)`` when the check cell does.

    Interrupted (Ctrl-C, or SIGTERM through the CLI), it shuts the kernel down, writes
    readiness.json with verdict error, and re-raises the interrupt."""
    # what the interrupt handler needs to know: the cell running, whether the check cell had
    # started, and whether readiness.json in ``out`` can only be this run's (the old one is gone)
    where: dict = {"started": time.time(), "cell": None, "checking": False, "cleared": False}
    try:
        out = make_out_dir(options.out)
        with hold_out_dir(out):
            try:
                return _check_notebook(
                    notebook, options, kernel_name, log_output, kernel, progress, where
                )
            except KeyboardInterrupt as exc:
                if kernel is not None:
                    kernel.shutdown()  # first: a kernel left running could still move the alias
                _interrupted(Path(notebook).resolve(), out, options, exc, where)
                raise
    finally:
        if kernel is not None:
            kernel.shutdown()  # no-op when papermill already killed it


def _cell_hook(progress: Callable[[str, str, float], None] | None, cells: int, where: dict):
    def hook(cell, index: int | None) -> None:
        if cell.get("cell_type") != "code":
            return
        where["cell"] = index
        if CHECK_CELL_TAG in cell.get("metadata", {}).get("tags", ()):
            where["checking"] = True
            if progress is not None:
                progress("check", "checking the model", 1.0)
        elif progress is not None:
            progress("rerun", f"cell {index}", (index or 0) / max(cells, 1))

    return hook


def _not_run(
    path: Path, out: Path, name: str, error: dict, note: str, policy: dict, seconds: float
) -> rd.Readiness:
    """readiness.json for a check that stopped before any check could run: every check is an
    error ("not run"), the error says why."""
    results = [
        CheckResult(
            spec.id, "error", f"Not run: {note}.", category=spec.category, remedy=error["remedy"]
        )
        for spec in load_checks()
    ]
    doc = rd.build(
        results,
        model={"name": name},
        data={},
        timings={"total": seconds},
        provenance=collect_provenance(str(path)),
        policy=policy,
        discovery={},
        strict=False,
        error=error,
    )
    return write_document(doc, out)


def _interrupted(
    path: Path, out: Path, options: CheckOptions, exc: KeyboardInterrupt, where: dict
) -> None:
    """readiness.json of an interrupted check: verdict error, what was running, and whether the
    hand-off could have started (only after the check itself wrote its results)."""
    signal_name = getattr(exc, "signal_name", None) or "SIGINT (Ctrl-C)"
    seconds = time.time() - where["started"]
    name = options.name or default_name(str(path), None)
    doing = (
        "while checking the model"
        if where["checking"]
        else f"while re-executing the notebook (cell {where['cell']})"
        if where["cell"] is not None
        else "while starting the notebook's kernel"
    )
    remedy = "Re-run `mlready check` and let it finish (its cell_timeout policy bounds each cell)."
    error = {
        "stage": "interrupted",
        "type": "Interrupted",
        "fields": {"signal": signal_name, "cell_index": where["cell"], "seconds": seconds},
    }
    try:
        mine = where["cleared"] and (out / rd.FILENAME).exists()
        written = rd.read(out).data if mine else None
    except (OSError, ValueError):
        written = None
    try:
        if written is None:  # the alias moves only after readiness.json is written: untouched
            error["message"] = (
                f"Interrupted by {signal_name} after {seconds:.1f} s, {doing}: the kernels were "
                "shut down and nothing was handed off (no alias moved)."
            )
            error["remedy"] = remedy
            _not_run(path, out, name, error, "the check was interrupted", {}, seconds)
            return
        alias = ((written.get("policy") or {}).get("values") or {}).get("registry_alias", "ready")
        error["message"] = (
            f"Interrupted by {signal_name} after {seconds:.1f} s, after the check wrote its "
            f"results (verdict {written.get('verdict')}), possibly during the hand-off: the "
            f"'{alias}' alias moves only as its last step. Check the registry before relying "
            "on this version."
        )
        error["remedy"] = remedy
        write_document({**written, "verdict": "error", "error": error}, out)
    except OutputError:
        pass  # the interrupt is reported by the caller; a full disk cannot hold more


def _check_notebook(
    notebook: str | Path,
    options: CheckOptions,
    kernel_name: str,
    log_output: bool,
    kernel,
    progress,
    where: dict,
) -> rd.Readiness:
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from .kernels import ENGINE_NAME, register_engine

    path = Path(notebook).resolve()
    out = Path(options.out).resolve()
    name = options.name or default_name(str(path), None)
    (out / rd.FILENAME).unlink(missing_ok=True)
    where["cleared"] = True
    try:
        policy, policy_source = load_policy(options.policy_file, path)
    except PolicyError as exc:  # nothing ran: the document says why, with the fix
        error = {
            "stage": "policy",
            "type": type(exc).__name__,
            "message": str(exc),
            "remedy": "Fix the policy file (the message names the key and the known ones), "
            "then re-run `mlready check`.",
            "fields": exc.fields(),
        }
        source = {"source": str(options.policy_file or path.parent), "error": str(exc)}
        return _not_run(path, out, name, error, "the policy could not be read", source, 0.0)
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
    try:
        # The check cell is last and writes everything to disk: the kernel is then killed at once
        # instead of a graceful shutdown of a process holding the notebook's data (1-2 s).
        # (the mlready engine kills a kernel started ahead immediately too)
        register_engine()
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
            mlready_hook=_cell_hook(progress, len(nb.cells), where),
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
    except Exception as exc:  # dead kernel, timeout, missing kernel, an unwritable notebook
        index = where["cell"]
        cell = (
            "the check cell"
            if where["checking"]
            else f"cell {index}"
            if index is not None
            else "the notebook"
        )
        log = f" Its last words are in {kernel.log_path}." if kernel is not None else ""
        remedy = RERUN_REMEDY
        if isinstance(exc, CellTimeoutError):
            what = f"timed out after {policy.cell_timeout} s (policy cell_timeout)"
            message = f"{cell} {what}. The executed notebook is in {executed}."
            remedy = (
                f"Make {cell} faster (a sample, fewer iterations), or raise cell_timeout in the "
                f"policy (now {policy.cell_timeout} s); then re-run `mlready check`."
            )
        elif isinstance(exc, DeadKernelError):
            what = "the kernel died while running it"
            message = (
                f"{cell} killed the kernel (it died: a crash in native code, running out of "
                f"memory, or the process killed).{log} The executed notebook is in {executed}."
            )
            remedy = (
                f"Run the notebook top to bottom yourself and watch {cell}: memory use, native "
                "libraries, os._exit / kill calls; then re-run `mlready check`."
            )
        else:
            what = f"could not run: {type(exc).__name__}: {exc}"
            message = f"the notebook could not be executed: {type(exc).__name__}: {exc}"
        facts = {
            **facts,
            "ok": False,
            "cell_index": index if not where["checking"] else None,
            "ename": type(exc).__name__,
            "evalue": what[:1000],
            "seconds": time.time() - start,
            "remedy": remedy,
        }
        if kernel is not None:
            facts["kernel_log"] = str(kernel.log_path)  # the kernel's stderr: a crash's last words
        return _failed_run(path, out, facts, policy, policy_source, name, message, remedy)
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
