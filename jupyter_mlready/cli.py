"""``mlready``: the command line. A thin layer: parse, call the core, print, exit 0 / 1 / 2."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import MlreadyError
from .notebooks import results_dir

EPILOG = (
    "Exit codes: 0 ready, 1 not ready, 2 error "
    "(usage, notebook failed, kernel died, registry unreachable)."
)
ALLOW_PICKLE_HELP = (
    "load pickle-based models (cloudpickle, pickle, bundled code) even from a registry the local "
    "policy does not trust: loading them runs code from that registry. Default: only from the "
    "local store and the policy's trusted_registries"
)


def add_allow_pickle_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP)


def print_trust(doc: dict) -> None:
    """What loaded in the gate (flavor, serialization, trusted types), or why not, on stderr."""
    from .report.text import plain  # the line holds the model's URI, which holds its name

    load = (doc.get("validation") or {}).get("load") or {}
    for key, who in (("trust", "model"), ("champion_trust", "champion")):
        line = (load.get(key) or {}).get("line")
        if line:
            print(f"mlready: {who}: {plain(line, 2000)}", file=sys.stderr, flush=True)


def add_discovery_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="VAR", help="variable holding the fitted model")
    p.add_argument(
        "--train",
        metavar="X[,Y]",
        help="training features (and target) variables, e.g. X_train,y_train",
    )
    p.add_argument(
        "--holdout",
        metavar="X[,Y]",
        help="hold-out features (and target) variables, e.g. X_test,y_test",
    )
    p.add_argument(
        "--target", metavar="COL", help="target column when the data is one frame, e.g. train_df"
    )
    p.add_argument(
        "--sensitive",
        metavar="VAR",
        action="append",
        default=[],
        help="a sensitive attribute the model does not take (a notebook variable with one value "
        "per hold-out row, or a column of the frame the hold-out was split from), for the "
        "fairness check; repeat for several",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="policy TOML (default: mlready.toml or [tool.mlready] in pyproject.toml)",
    )
    p.add_argument("--name", help="registered model name (default: the notebook's file name)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlready",
        description="Check that a notebook's model is ready to hand off: contract, property tests, "
        "versioned artifact, fresh-kernel validation, readiness gate.",
        epilog=EPILOG,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"jupyter_mlready {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "check",
        help="re-execute a notebook in a fresh kernel, then check its model",
        description="Re-execute NOTEBOOK top to bottom in a fresh kernel (papermill), find the "
        "model and its data, and check them.",
        epilog=EPILOG,
    )
    p.add_argument("notebook", type=Path, help="the .ipynb file")
    p.add_argument(
        "--out", type=Path, help="output folder (default: mlready-out/<stem>/ beside the notebook)"
    )
    p.add_argument(
        "--kernel", default="python3", help="kernel to execute the notebook in (default: python3)"
    )
    p.add_argument(
        "--log-output", action="store_true", help="stream the notebook's output while it runs"
    )
    p.add_argument(
        "--no-hand-off",
        dest="hand_off",
        action="store_false",
        help="check and report, but register no version and move no alias (pull requests): the "
        "model is logged in its run and the gate re-checks it there",
    )
    add_allow_pickle_flag(p)
    add_discovery_flags(p)
    p.set_defaults(func=cmd_check)
    add_registry_commands(sub)
    add_validate_command(sub)
    add_monitor_command(sub)
    p = sub.add_parser(
        "report",
        help="re-render report.html and summary.md from DIR/readiness.json",
        description="Re-render report.html and summary.md from DIR/readiness.json "
        "(nothing is re-run). Exits with the verdict in the file.",
        epilog=EPILOG,
    )
    p.add_argument("dir", type=Path, help="output folder of `mlready check` (holds readiness.json)")
    p.add_argument(
        "--report-url",
        metavar="URL",
        help="link to report.html used in summary.md (default: report.html)",
    )
    p.set_defaults(func=cmd_report)
    return parser


def _policy_path(policy: str | None, notebook: Path) -> str | None:
    """``--policy FILE`` as an absolute path: relative to the working directory, or else to the
    notebook's folder (the notebook runs in its own folder, where a relative path would change
    meaning)."""
    if not policy:
        return None
    path = Path(policy).expanduser()
    if not path.is_absolute() and not path.exists() and (notebook.parent / path).exists():
        path = notebook.parent / path
    return str(path.resolve())


def cmd_check(args) -> int:
    out = args.out or results_dir(args.notebook)
    if args.allow_pickle:  # the check runs in the notebook's kernel: it inherits this
        from .registry.trust import ALLOW_PICKLE_ENV

        os.environ[ALLOW_PICKLE_ENV] = "1"
    # The notebook's kernel boots (about 0.4 s) while this process imports what it needs.
    from .kernels import start_notebook_kernel

    kernel = start_notebook_kernel(Path(args.notebook), Path(out), args.kernel)
    from .notebook_run import check_notebook
    from .pipeline import CheckOptions
    from .stages.overrides import Overrides, parse_pair

    options = CheckOptions(
        out=str(out),
        policy_file=_policy_path(args.policy, Path(args.notebook)),
        notebook=str(args.notebook),
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
    print(
        f"mlready: re-executing {args.notebook} in a fresh kernel ...", file=sys.stderr, flush=True
    )
    try:
        result = check_notebook(
            args.notebook,
            options,
            kernel_name=args.kernel,
            log_output=args.log_output,
            kernel=kernel,
            progress=StderrProgress(),
        )
    except KeyboardInterrupt:
        done = Path(out) / "readiness.json"
        if done.exists():
            print(
                f"mlready: stopped; the kernels were shut down. {done} says error.", file=sys.stderr
            )
        raise
    print_trust(result.data)
    print(result.summary_text())
    return result.exit_code


class StderrProgress:
    """Where a long ``mlready check`` is, on stderr: a line when a notebook cell starts at least
    ``every`` seconds after the last line (fast notebooks and CI logs stay quiet), and one when
    the check itself starts."""

    def __init__(self, every: float = 10.0):
        self.start = self.last = time.monotonic()
        self.every = every

    def __call__(self, stage: str, step: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == "check":
            print(
                f"mlready: the notebook ran in {now - self.start:.1f} s; checking its model "
                "(contract, property tests, MLflow artifact, validation notebook) ...",
                file=sys.stderr,
                flush=True,
            )
        elif now - self.last >= self.every:
            print(
                f"mlready: running {step} of the notebook ({now - self.start:.0f} s so far) ...",
                file=sys.stderr,
                flush=True,
            )
            self.last = now


def cmd_report(args) -> int:
    from .report import load_document, write_reports
    from .stages.gate import EXIT_CODES

    doc = load_document(args.dir)  # MlreadyError (exit 2) when missing or invalid
    folder = args.dir if args.dir.is_dir() else args.dir.parent
    paths = write_reports(doc, folder, report_url=args.report_url)
    print(f"mlready: {doc['verdict'].upper().replace('_', ' ')}")
    for path in paths.values():
        print(f"  {path}")
    return EXIT_CODES[doc["verdict"]]


def add_registry_commands(sub) -> None:
    """``rollback`` and ``diff``: the registry side of the hand-off."""
    store_help = (
        "MLflow tracking URI (default: MLFLOW_TRACKING_URI, else the project's .mlready/mlruns.db)"
    )
    p = sub.add_parser(
        "rollback",
        help="move the ready alias back to an earlier version",
        description="Move the alias (default: the policy's registry_alias, 'ready') of "
        "model NAME back to VERSION, by default to the newest ready version "
        "older than the current holder. Records who, when and why as tags.",
        epilog=EPILOG,
    )
    p.add_argument("name", help="registered model name")
    p.add_argument("--to", metavar="VERSION", help="version to move the alias to")
    p.add_argument("--reason", help="why (recorded in the registry)")
    p.add_argument("--alias", help="alias to move (default: policy registry_alias)")
    p.add_argument("--tracking-uri", metavar="URI", help=store_help)
    p.set_defaults(func=cmd_rollback)
    p = sub.add_parser(
        "diff",
        help="compare two versions: checks, metrics, contract, data",
        description="Compare versions V1 and V2 of model NAME side by side: check "
        "statuses, metrics, contract changes and data fingerprints.",
        epilog=EPILOG,
    )
    p.add_argument("name", help="registered model name")
    p.add_argument("v1", help="first version")
    p.add_argument("v2", help="second version")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--tracking-uri", metavar="URI", help=store_help)
    p.set_defaults(func=cmd_diff)


def cmd_rollback(args) -> int:
    from .policy import load_policy
    from .registry.store import http_limits, resolve_store
    from .registry.versions import rollback

    alias = args.alias or load_policy(None, Path.cwd())[0].registry_alias
    store = resolve_store(Path.cwd(), args.tracking_uri)
    with http_limits():
        rec = rollback(store, args.name, to=args.to, alias=alias, reason=args.reason)
    print(
        f"mlready: {rec['name']}@{rec['alias']}: version {rec['from'] or '(none)'} -> {rec['to']} "
        f"(by {rec['by']} at {rec['at']}; reason: {rec['reason']})"
    )
    return 0


def cmd_diff(args) -> int:
    import json

    from .registry.store import http_limits, resolve_store
    from .registry.versions import diff_versions, format_diff

    store = resolve_store(Path.cwd(), args.tracking_uri)
    with http_limits():
        d = diff_versions(store, args.name, args.v1, args.v2)
    print(json.dumps(d, indent=2, default=str) if args.json else format_diff(d))
    return 0


def add_validate_command(sub) -> None:
    """``validate``: the gate for CI, re-executing the validation notebook in a fresh kernel."""
    p = sub.add_parser(
        "validate",
        help="re-execute the validation notebook of a registered version",
        description="Re-execute the validation notebook in a fresh kernel against the "
        "logged artifact: TARGET is a validation.ipynb written by `mlready "
        "check`, or models:/NAME/VERSION (or models:/NAME@ALIAS), whose "
        "bundle is downloaded from its run. Writes the executed notebook and "
        "readiness.json; never moves the registry alias.",
        epilog=EPILOG,
    )
    p.add_argument("target", help="validation.ipynb, or models:/NAME/VERSION")
    p.add_argument(
        "--out",
        type=Path,
        help="output folder (default: validate/ beside the notebook, or "
        "mlready-out/validate-NAME-vVERSION/)",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="local policy TOML (default: mlready.toml or [tool.mlready] in pyproject.toml, "
        "else the defaults); the policy logged with the artifact can tighten it, never loosen it",
    )
    p.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, "
        "else the project's .mlready/mlruns.db)",
    )
    add_allow_pickle_flag(p)
    p.set_defaults(func=cmd_validate)


def cmd_validate(args) -> int:
    from .validation.revalidate import validate

    print(f"mlready: validating {args.target} in a fresh kernel ...", file=sys.stderr, flush=True)
    result = validate(
        args.target,
        args.out,
        args.policy,
        tracking_uri=args.tracking_uri,
        allow_pickle=args.allow_pickle,
        notice=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print_trust(result.data)
    print(result.summary_text())
    return result.exit_code


MONITOR_EPILOG = (
    "Exit codes: 0 ok, 1 alert (bad data, drift, worse performance: the alert names the "
    "columns), 2 error (an unreadable file, the registry down, a check that crashed)."
)


def add_monitor_command(sub) -> None:
    """``monitor``: a live batch against a registered version, after hand-off."""
    p = sub.add_parser(
        "monitor",
        help="check a live batch against a registered version (contract, drift, predictions)",
        description="Check one live batch (DATA: a parquet file or folder, a CSV file, or "
        "spark:db.table for a Spark catalog table) against MODEL_URI (models:/NAME/VERSION or "
        "models:/NAME@ALIAS) from the registry "
        "alone: the contract, drift against the training profile stored with the version, "
        "prediction drift against the hold-out's, and performance when the batch has the "
        "target. Writes monitor.json, report.html and summary.md, and logs one MLflow run per "
        "batch under the model's experiment. `mlready monitor --history NAME` lists the last "
        "batches.",
        epilog=MONITOR_EPILOG,
    )
    p.add_argument("model_uri", nargs="?", help="models:/NAME/VERSION or models:/NAME@ALIAS")
    p.add_argument(
        "data",
        nargs="?",
        help="the batch: a .parquet file or folder, a .csv file, or spark:db.table (a table of "
        "the Spark catalog, read with Spark)",
    )
    p.add_argument(
        "--engine",
        choices=("pandas", "spark"),
        default=None,
        help="spark: read a parquet / ORC file or folder (a local path, s3://, hdfs://) with "
        "Spark and check it there: exact row counts, contract and drift over every row, the "
        "model scoring every row on the executors; nothing is collected to this machine. The "
        "session is SparkSession.builder.getOrCreate() (spark-defaults.conf, PYSPARK_SUBMIT_ARGS; "
        "local[*] otherwise). Default: pandas (spark:TABLE always reads with Spark)",
    )
    p.add_argument(
        "--target",
        metavar="COL",
        help="the batch's target column (default: a column named like the training target)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="output folder (default: mlready-out/monitor-NAME-vVERSION-<UTC time>/)",
    )
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="local policy TOML (default: mlready.toml or [tool.mlready] in pyproject.toml); "
        "the policy logged with the version can tighten it, never loosen it",
    )
    p.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, "
        "else the project's .mlready/mlruns.db)",
    )
    p.add_argument(
        "--no-log",
        dest="log_run",
        action="store_false",
        help="write the documents, but log no MLflow run for the batch",
    )
    p.add_argument(
        "--history", metavar="NAME", help="list the last monitored batches of model NAME"
    )
    p.add_argument(
        "--last", type=int, default=20, help="how many batches --history lists (default: 20)"
    )
    add_allow_pickle_flag(p)
    p.set_defaults(func=cmd_monitor)


def cmd_monitor(args) -> int:
    from .errors import UsageError

    if args.history:
        return _monitor_history(args)
    if not args.model_uri or not args.data:
        raise UsageError(
            "mlready monitor needs MODEL_URI and DATA (e.g. mlready monitor models:/fraud@ready "
            "batch.parquet), or --history NAME."
        )
    from .monitor import monitor

    print(f"mlready: monitoring {args.data} against {args.model_uri} ...", file=sys.stderr)
    result = monitor(
        args.model_uri,
        args.data,
        target=args.target,
        out=args.out,
        policy_file=args.policy,
        tracking_uri=args.tracking_uri,
        allow_pickle=args.allow_pickle,
        log_run=args.log_run,
        notice=lambda line: print(line, file=sys.stderr, flush=True),
        engine=args.engine,
    )
    print(result.summary_text())
    return result.exit_code


def _monitor_history(args) -> int:
    from .monitor import format_history, history
    from .registry.store import client_for, describe_failure, http_limits, resolve_store

    store = resolve_store(Path.cwd(), args.tracking_uri)
    with http_limits():
        try:
            rows = history(client_for(store), args.history, args.last)
        except Exception as exc:  # noqa: BLE001
            raise describe_failure(store, exc, f"listing the batches of {args.history}") from None
    print(format_history(args.history, rows))
    return 0


@contextlib.contextmanager
def _terminate_like_ctrl_c() -> Iterator[None]:
    """SIGTERM and SIGHUP stop a command the way Ctrl-C does (``Interrupted``): kernels are shut
    down and the check's readiness.json says error, instead of dying mid-write. The previous
    handlers come back afterwards (``main`` may be called in-process)."""
    import signal
    import threading

    from .errors import Interrupted

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.command in ("check", "validate"):  # both run papermill; see lean_imports
        from .lean_imports import skip_hdfs_handler, skip_iri_format_grammar

        skip_iri_format_grammar()
        skip_hdfs_handler()
    try:
        with _terminate_like_ctrl_c():
            return int(args.func(args))
    except MlreadyError as exc:
        print(f"mlready: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (see _terminate_like_ctrl_c)
        print(
            f"mlready: interrupted by {getattr(exc, 'signal_name', 'SIGINT (Ctrl-C)')}",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
