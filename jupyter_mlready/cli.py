"""``mlready``: the command line. A thin layer: parse, call the core, print, exit 0 / 1 / 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import MlreadyError

EPILOG = "Exit codes: 0 ready, 1 not ready, 2 error (usage, notebook failed, kernel died, registry unreachable)."


def default_out(notebook: Path) -> Path:
    """``mlready-out/<notebook stem>/`` beside the notebook."""
    return notebook.resolve().parent / "mlready-out" / notebook.stem


def add_discovery_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="VAR", help="variable holding the fitted model")
    p.add_argument("--train", metavar="X[,Y]", help="training features (and target) variables, e.g. X_train,y_train")
    p.add_argument("--holdout", metavar="X[,Y]", help="hold-out features (and target) variables, e.g. X_test,y_test")
    p.add_argument("--target", metavar="COL", help="target column when the data is one frame, e.g. train_df")
    p.add_argument("--policy", metavar="FILE", help="policy TOML (default: mlready.toml or [tool.mlready] in pyproject.toml)")
    p.add_argument("--name", help="registered model name (default: the notebook's file name)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlready",
        description="Check that a notebook's model is ready to hand off: contract, property tests, "
                    "versioned artifact, fresh-kernel validation, readiness gate.",
        epilog=EPILOG)
    from . import __version__

    parser.add_argument("--version", action="version", version=f"jupyter_mlready {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("check", help="re-execute a notebook in a fresh kernel, then check its model",
                       description="Re-execute NOTEBOOK top to bottom in a fresh kernel (papermill), find the "
                                   "model and its data, and check them.", epilog=EPILOG)
    p.add_argument("notebook", type=Path, help="the .ipynb file")
    p.add_argument("--out", type=Path, help="output folder (default: mlready-out/<stem>/ beside the notebook)")
    p.add_argument("--kernel", default="python3", help="kernel to execute the notebook in (default: python3)")
    p.add_argument("--log-output", action="store_true", help="stream the notebook's output while it runs")
    add_discovery_flags(p)
    p.set_defaults(func=cmd_check)
    return parser


def cmd_check(args) -> int:
    from .discover import Overrides, parse_pair
    from .notebook_run import check_notebook
    from .pipeline import CheckOptions

    out = args.out or default_out(args.notebook)
    options = CheckOptions(
        out=str(out), policy_file=args.policy, notebook=str(args.notebook), name=args.name,
        overrides=Overrides(model=args.model, train=parse_pair(args.train),
                            holdout=parse_pair(args.holdout), target=args.target))
    print(f"mlready: re-executing {args.notebook} in a fresh kernel ...", file=sys.stderr, flush=True)
    result = check_notebook(args.notebook, options, kernel_name=args.kernel, log_output=args.log_output)
    print(result.summary_text())
    return result.exit_code


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except MlreadyError as exc:
        print(f"mlready: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlready: interrupted", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
