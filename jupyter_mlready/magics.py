"""``%mlready``: the IPython front end. Parses flags, runs the check on the live namespace."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import NoReturn

USAGE = """%mlready check [--model VAR] [--train X[,Y]] [--holdout X[,Y]] [--target COL]
               [--policy FILE] [--name NAME] [--out DIR] [--no-hand-off]

Finds the model and its train / hold-out data in this notebook (or uses the flags), infers the
data contract, runs the readiness checks and writes readiness.json into --out
(default: mlready-out/<notebook or 'notebook'>/ in the working directory)."""


class _UsageError(Exception):
    pass


class _KernelArgumentParser(argparse.ArgumentParser):
    """Raises ``_UsageError`` on bad flags: no SystemExit in a kernel."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _KernelArgumentParser(prog="%mlready", add_help=False)
    p.add_argument("command", choices=["check", "help"])
    p.add_argument("--out")
    p.add_argument("--model")
    p.add_argument("--train")
    p.add_argument("--holdout")
    p.add_argument("--target")
    p.add_argument("--policy")
    p.add_argument("--name")
    p.add_argument("--no-hand-off", dest="hand_off", action="store_false")
    return p


def _parse(line: str):
    return _parser().parse_args(shlex.split(line))


def notebook_path(ipython) -> str | None:
    """The notebook file of this kernel, when the front end tells us (JupyterLab, VS Code)."""
    ns = getattr(ipython, "user_ns", {})
    for key in ("__vsc_ipynb_file__", "__session__"):
        value = ns.get(key)
        if isinstance(value, str) and value.endswith(".ipynb") and Path(value).exists():
            return value
    return None


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
    from .pipeline import CheckOptions, check_namespace
    from .stages.discover import Overrides, parse_pair

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
        ),
    )
    from .widget import live_view

    view = live_view(
        ipython, start=Path(nb).parent if nb else None
    )  # None without a widget front end
    if view is None:
        return check_namespace(ipython.user_ns, options)
    try:
        result = check_namespace(ipython.user_ns, options, progress=view.progress)
    except BaseException as exc:
        view.fail(exc)
        raise
    return view.finish(result)


def register(ipython) -> None:
    from IPython.core.magic import register_line_magic

    def mlready(line):
        return run_magic(ipython, line)

    mlready.__doc__ = USAGE
    # IPython annotates its decorator factory with a type variable that its result type does not
    # bind, so mypy sees a decorator taking Never; at runtime it registers any function.
    register_line_magic("mlready")(mlready)  # type: ignore[arg-type]
