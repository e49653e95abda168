"""``%mlready``: the IPython front end. Parses flags, runs the check on the live namespace."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
from pathlib import Path
from typing import NoReturn

USAGE = """%mlready check [--model VAR] [--train X[,Y]] [--holdout X[,Y]] [--target COL]
               [--sensitive VAR] [--policy FILE] [--name NAME] [--out DIR] [--no-hand-off]

Re-executes the saved notebook top to bottom in a fresh kernel, checks that its model predicts
what the model in this kernel predicts on the same hold-out rows, then finds the model and its
train / hold-out data (or uses the flags), infers the data contract, runs the readiness checks and
writes readiness.json into --out (default: mlready-out/<notebook>/ beside the notebook).

Save the notebook first: the fresh run reads the file. Where the notebook's file is unknown
(plain IPython), the live objects are checked and reported, and nothing is handed off.

%mlready monitor MODEL_URI DATAFRAME [--target COL] [--policy FILE] [--out DIR] [--no-log]
                [--engine spark]

Checks one live batch (a DataFrame variable: pandas, polars or Spark; the path of a parquet /
CSV file; spark:db.table) against a
registered version (models:/NAME/VERSION or models:/NAME@ALIAS), from the registry alone: the
contract, drift against the training profile, prediction drift, and performance when the batch
has the target. A Spark DataFrame (or a path with --engine spark) is checked on Spark, every row,
nothing collected. Writes monitor.json and the reports, and logs one MLflow run for the batch."""


class _UsageError(Exception):
    pass


class _KernelArgumentParser(argparse.ArgumentParser):
    """Raises ``_UsageError`` on bad flags: no SystemExit in a kernel."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _KernelArgumentParser(prog="%mlready", add_help=False)
    p.add_argument("command", choices=["check", "monitor", "help"])
    p.add_argument("operands", nargs="*")
    p.add_argument("--out")
    p.add_argument("--model")
    p.add_argument("--train")
    p.add_argument("--holdout")
    p.add_argument("--target")
    p.add_argument("--sensitive", action="append", default=[])
    p.add_argument("--policy")
    p.add_argument("--name")
    p.add_argument("--no-hand-off", dest="hand_off", action="store_false")
    p.add_argument("--no-log", dest="log_run", action="store_false")
    p.add_argument("--allow-pickle", action="store_true")
    p.add_argument("--engine", choices=["pandas", "spark"])
    return p


def _parse(line: str):
    return _parser().parse_args(shlex.split(line))


def notebook_path(ipython) -> str | None:
    """The notebook file of this kernel, when the front end tells us: VS Code sets
    ``__vsc_ipynb_file__``; JupyterLab sets ``JPY_SESSION_NAME`` in the kernel's environment
    (ipykernel copies it to ``__session__``), absolute or relative to the server's root."""
    ns = getattr(ipython, "user_ns", {})
    candidates = [ns.get("__vsc_ipynb_file__"), ns.get("__session__")]
    candidates.append(os.environ.get("JPY_SESSION_NAME"))
    for value in candidates:
        if not isinstance(value, str) or not value.endswith(".ipynb"):
            continue
        path = Path(value)
        if path.is_absolute():
            if path.is_file():
                return str(path)
            continue
        cwd = Path.cwd()  # the kernel runs in the notebook's folder, below the server's root
        for base in (cwd, *cwd.parents):
            if (base / path).is_file():
                return str((base / path).resolve())
        if (cwd / path.name).is_file():
            return str((cwd / path.name).resolve())
    return None


def _kernel_name(notebook: str) -> str:
    """The kernel the notebook says it runs in (its metadata), else python3."""
    from .notebooks import read_notebook

    try:
        spec = read_notebook(Path(notebook)).metadata.get("kernelspec") or {}
    except Exception:
        return "python3"
    return str(spec.get("name") or "python3")


def _live_reference(ipython, options):
    """Write what the live model predicts; if the live kernel cannot say, write why."""
    from .stages.discover import discover
    from .stages.live import LIVE_REFERENCE, unusable_reference, write_live_reference

    out = Path(options.out)
    try:
        return write_live_reference(discover(ipython.user_ns, options.overrides), out)
    except Exception as exc:  # no model found, predict failed: the re-run reports why
        return unusable_reference(
            out / LIVE_REFERENCE,
            f"the live kernel's model could not be compared ({type(exc).__name__}: {exc})",
        )


def _fresh_rerun(ipython, options, progress=None):
    """``mlready check NOTEBOOK`` from the live kernel, with the live model's reference."""
    from .kernels import start_notebook_kernel
    from .notebook_run import check_notebook

    name = _kernel_name(options.notebook)
    # the fresh kernel boots (and starts the validation kernel) while the live model is read
    kernel = start_notebook_kernel(Path(options.notebook), Path(options.out), name)
    try:
        reference = _live_reference(ipython, options)
    except BaseException:  # interrupted: no kernel left behind
        if kernel is not None:
            kernel.shutdown()
        raise
    options = dataclasses.replace(options, live_reference=str(reference))
    if progress is None:
        print(
            f"mlready: re-executing the saved {Path(options.notebook).name} in a fresh kernel; "
            "its model must reproduce this kernel's ...",
            flush=True,
        )
    result = check_notebook(
        options.notebook, options, kernel_name=name, kernel=kernel, progress=progress
    )
    if progress is not None:  # the last stages ran in the fresh kernel, where no view listens
        if (result.data.get("error") or {}).get("stage") != "report":
            progress("report", "done", 1.0)
        if result.data.get("artifact"):
            progress("hand_off", "done", 1.0)
    return result


def run_magic(ipython, line: str):
    """The body of ``%mlready``; returns the Readiness result (its repr is the summary)."""
    try:
        args = _parse(line or "help")
    except _UsageError as exc:
        print(f"%mlready: {exc}\n\n{USAGE}")
        return None
    if args.command == "help":
        print(USAGE)
        return None
    if args.command == "monitor":
        return _monitor(ipython, args)
    if args.operands:
        print(f"%mlready: check takes no operands ({' '.join(args.operands)})\n\n{USAGE}")
        return None
    from .pipeline import CheckOptions, check_namespace
    from .stages.overrides import Overrides, parse_pair

    nb = notebook_path(ipython)
    from .notebooks import results_dir

    out = args.out or str(results_dir(nb))
    options = CheckOptions(
        out=out,
        policy_file=args.policy,
        notebook=nb,
        name=args.name,
        hand_off=args.hand_off,
        overrides=Overrides(
            model=args.model,
            train=parse_pair(args.train),
            holdout=parse_pair(args.holdout),
            target=args.target,
            sensitive=tuple(args.sensitive),
        ),
    )
    if nb is None:  # no file to re-run: check and report the live objects, never hand off
        options = dataclasses.replace(
            options,
            rerun={
                "ran": False,
                "reason": "this kernel does not know its notebook's file (JupyterLab and VS "
                "Code tell it), so the saved notebook could not be re-run and the live model "
                "may hold hidden state",
            },
        )
    from .widget import live_view

    view = live_view(
        ipython, start=Path(nb).parent if nb else None
    )  # None without a widget front end
    progress = view.progress if view is not None else None
    try:
        if nb is None:
            result = check_namespace(ipython.user_ns, options, progress=progress)
        else:
            result = _fresh_rerun(ipython, options, progress)
    except BaseException as exc:
        if view is not None:
            view.fail(exc)
        raise
    return result if view is None else view.finish(result)


MONITOR_STAGES = ("reference", "batch", "checks", "log")


def _monitor(ipython, args):
    """``%mlready monitor MODEL_URI DATAFRAME``: the variable (or a file path) against a
    registered version, with the same live view as a check."""
    if len(args.operands) != 2:
        print(f"%mlready: monitor needs MODEL_URI and DATAFRAME\n\n{USAGE}")
        return None
    uri, name = args.operands
    data = ipython.user_ns.get(name, name)  # a variable, else a path
    from .monitor import monitor
    from .widget import live_view

    view = live_view(ipython, stages=MONITOR_STAGES)
    try:
        result = monitor(
            uri,
            data,
            target=args.target,
            out=args.out,
            policy_file=args.policy,
            allow_pickle=args.allow_pickle,
            data_name=name if name in ipython.user_ns else None,
            log_run=args.log_run,
            progress=view.progress if view is not None else None,
            engine=args.engine,
        )
    except BaseException as exc:
        if view is not None:
            view.fail(exc)
        raise
    return result if view is None else view.finish(result)


def register(ipython) -> None:
    from IPython.core.magic import register_line_magic

    def mlready(line):
        return run_magic(ipython, line)

    mlready.__doc__ = USAGE
    # IPython annotates its decorator factory with a type variable that its result type does not
    # bind, so mypy sees a decorator taking Never; at runtime it registers any function.
    register_line_magic("mlready")(mlready)  # type: ignore[arg-type]
