"""Flavor benchmark: ``mlready check`` on one clean 100k-row notebook per model flavor.

Usage (from the repository root, in the project's venv)::

    .venv/bin/python benchmarks/flavors.py                          # every flavor, 100,000 rows
    .venv/bin/python benchmarks/flavors.py --rows 3000              # a quick smoke run
    .venv/bin/python benchmarks/flavors.py --only xgboost,polars    # some flavors
    .venv/bin/python benchmarks/flavors.py --dir /tmp/flavors --keep  # keep notebooks and outputs

Flavors: xgboost (``XGBClassifier``), lightgbm (``LGBMRegressor``, a categorical feature),
catboost (``CatBoostClassifier`` with ``cat_features``), statsmodels (formula ``logit`` with
``train_df`` / ``test_df``), statsmodels_ols_array (``sm.OLS`` on ``sm.add_constant``), polars
(a scikit-learn pipeline fitted on polars frames) and sklearn (a plain scikit-learn pipeline, the
baseline). Each notebook is a clean fixture of ``tests/notebooks/src/``
(``flavor_<flavor>_clean.py``; ``flavor_statsmodels_ols_array.py``; ``backbone_clean.py`` for
sklearn) with its row count (the line ``n = ...``) set to ``--rows``: the same data generation,
split and model the tests check (at most 100 trees, 2 threads). Every fixture is expected
ready, so the JSON's ``false_alarm`` marks a flavor with a failed or erred check.

Each notebook is checked as a user checks it, one at a time, with no discovery flags:
``python -m jupyter_mlready check NB --out OUT --no-hand-off`` (timeout 1800 s), with its own
SQLite MLflow store (a copy of one store migrated once, untimed, as in ``bench.py``),
``MLFLOW_DISABLE_TELEMETRY=true`` and ``OMP_WAIT_POLICY=PASSIVE`` (unless set; see ``bench.py``),
after ``--settle`` seconds of idle.

Per flavor it records: whether zero-config discovery succeeded (and readiness.json's
``discovery`` how-strings), exit code, verdict, the checks that failed / erred / warned (id and
the first 120 characters of the summary), whole-process wall seconds, readiness.json ``timings``
(``total`` and the stages) and the sum of the checks' ``seconds``. Prints a Markdown table and
writes everything to ``benchmarks/results/flavors-<UTC time>.json``. Timings are judged from this
output, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import base_env as bench_env  # benchmarks/ is on sys.path: run as a script
from bench import init_store, new_result, write_result

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
TIMEOUT = 1800.0
SETTLE_SECONDS = 5.0
SLOW_SECONDS = 15 * 60
POLL_SECONDS = 0.1
SUMMARY_CHARS = 120
# --------------------------------------------------------------------------- the notebooks
#: flavor -> its clean fixture in tests/notebooks/src/, run with its row count ``n = ...`` set to
#: ``--rows``: the same data generation, split and model as the tests check
FIXTURES = REPO / "tests" / "notebooks" / "src"
ROW_COUNT = re.compile(r"^n = \d[\d_]*$", re.MULTILINE)

FLAVORS: dict[str, str] = {
    "xgboost": "flavor_xgboost_clean.py",
    "lightgbm": "flavor_lightgbm_clean.py",
    "catboost": "flavor_catboost_clean.py",
    "statsmodels": "flavor_statsmodels_clean.py",
    "statsmodels_ols_array": "flavor_statsmodels_ols_array.py",
    "polars": "flavor_polars_clean.py",
    "sklearn": "backbone_clean.py",
}


def notebook_source(flavor: str, rows: int) -> str:
    """The flavor's fixture source with its row count set to ``rows``."""
    text = (FIXTURES / FLAVORS[flavor]).read_text()
    if len(ROW_COUNT.findall(text)) != 1:
        raise SystemExit(f"{FLAVORS[flavor]}: expected one line `n = <rows>` to set the row count")
    return ROW_COUNT.sub(f"n = {int(rows)}", text)


def write_notebook(flavor: str, rows: int, folder: Path, sources: Path) -> Path:
    """``folder/<flavor>.ipynb`` from the flavor's fixture with ``rows`` rows (via
    ``tools/nbwrite.py``, which also writes the test fixtures). The ``.py`` source goes to
    ``sources``, away from the notebook: the kernel runs in the notebook's folder, where a
    ``xgboost.py`` would shadow the library."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import nbwrite
    finally:
        sys.path.pop(0)
    folder.mkdir(parents=True, exist_ok=True)
    sources.mkdir(parents=True, exist_ok=True)
    src = sources / f"bench_{flavor}.py"
    src.write_text(notebook_source(flavor, rows))
    dst = folder / f"{flavor}.ipynb"
    nbwrite.write(str(src), str(dst))
    return dst


# --------------------------------------------------------------------------- running


def base_env() -> dict:
    """``bench.py``'s environment (passive OpenMP waits, no tracking URI), without telemetry."""
    env = bench_env()
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


def _kill_tree(pid: int) -> None:
    """Kill the process ``pid`` we started and its descendants (the notebook kernels), children
    first."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = root.children(recursive=True) + [root]
    except psutil.Error:
        return
    for p in reversed(procs):
        try:
            p.kill()
        except psutil.Error:
            pass


def run_check(nb: Path, folder: Path, env: dict, store: Path | None, timeout: float) -> dict:
    """``python -m jupyter_mlready check NB --out OUT --no-hand-off``: wall seconds, exit code,
    the logs."""
    db = folder / "mlruns.db"
    if store is not None:
        shutil.copy(store, db)
    env = {**env, "MLFLOW_TRACKING_URI": f"sqlite:///{db}"}
    out = folder / "out"
    cmd = [sys.executable, "-m", "jupyter_mlready", "check", str(nb), "--out", str(out)]
    cmd.append("--no-hand-off")
    log_out, log_err = folder / "mlready.out", folder / "mlready.err"
    with open(log_out, "wb") as fo, open(log_err, "wb") as fe:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=str(folder), stdout=fo, stderr=fe)
        timed_out = False
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_tree(proc.pid)
            proc.wait(60)
        seconds = time.perf_counter() - start
    return {
        "command": cmd,
        "seconds": round(seconds, 2),
        "exit_code": proc.returncode,
        "timed_out": timed_out,
        "out": str(out),
        "stdout_tail": _tail(log_out),
        "stderr_tail": _tail(log_err),
    }


def _tail(path: Path, n: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


# --------------------------------------------------------------------------- summarizing

MAIN_STAGES = ("rerun", "discover", "contract", "probes", "checks", "artifact", "validation")


def _short(text: str | None, n: int = SUMMARY_CHARS) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def discovery_of(doc: dict) -> dict:
    """Did discovery find model, training and hold-out data with no flags; how."""
    disc = doc.get("discovery") or {}
    err = doc.get("error") or {}
    found = all(isinstance(disc.get(role), dict) for role in ("model", "train", "holdout"))
    record = {
        "zero_config": found and err.get("stage") != "discover",
        "how": {
            role: disc[role].get("how") for role in ("model", "train", "holdout") if role in disc
        },
        "vars": {
            role: [
                v
                for v in (disc[role].get(k) for k in ("var", "x", "y"))
                if isinstance(v, str) and v
            ]
            for role in ("model", "train", "holdout")
            if isinstance(disc.get(role), dict)
        },
        "task": disc.get("task"),
        "input": disc.get("input"),
    }
    if disc.get("frames"):
        record["frames"] = disc["frames"]
    if not record["zero_config"] and err:
        record["error"] = _short(f"{err.get('type')}: {err.get('message')}", 300)
    return record


def summarize(flavor: str, rows: int, run: dict) -> dict:
    entry: dict = {"flavor": flavor, "rows": rows, **{k: v for k, v in run.items()}}
    path = Path(run["out"]) / "readiness.json"
    if not path.exists():
        entry["verdict"] = "timeout" if run["timed_out"] else "no readiness.json"
        entry["discovery"] = {"zero_config": False}
        return entry
    doc = json.loads(path.read_text())
    entry["verdict"] = doc.get("verdict")
    entry["counts"] = doc.get("counts")
    entry["discovery"] = discovery_of(doc)
    if doc.get("error"):
        e = doc["error"]
        entry["error"] = {
            "stage": e.get("stage"),
            "type": e.get("type"),
            "message": _short(e.get("message"), 600),
            "traceback": (e.get("traceback") or "")[-1500:] or None,
        }
    checks = doc.get("checks") or []
    entry["flagged"] = [
        {"id": c.get("id"), "status": c.get("status"), "summary": _short(c.get("summary"))}
        for c in checks
        if c.get("status") in ("fail", "error", "warn")
    ]
    entry["false_alarm"] = any(c["status"] in ("fail", "error") for c in entry["flagged"])
    seconds = [c["seconds"] for c in checks if isinstance(c.get("seconds"), int | float)]
    entry["checks_seconds_sum"] = round(sum(seconds), 3) if seconds else None
    entry["checks_total"] = len(checks)
    slow = sorted(
        (c for c in checks if isinstance(c.get("seconds"), int | float)),
        key=lambda c: -c["seconds"],
    )
    entry["slowest_checks"] = [{"id": c["id"], "seconds": c["seconds"]} for c in slow[:5]]
    entry["timings"] = doc.get("timings")
    return entry


def _num(v) -> str:
    return f"{v:.1f}" if isinstance(v, int | float) else "–"


def _disc_cell(e: dict) -> str:
    d = e.get("discovery") or {}
    if not d.get("zero_config"):
        if d.get("error"):
            return "✗ " + d["error"].replace("|", "\\|")
        stage = (e.get("error") or {}).get("stage")
        return f"– not reached (error in {stage})" if stage else "✗ no discovery"
    parts = []
    for role in ("model", "train", "holdout"):
        names = "/".join(f"`{v}`" for v in d.get("vars", {}).get(role, []))
        parts.append(f"{role} {names}: {d['how'].get(role)}")
    extra = f" [{d.get('task')}, {d.get('input')}]"
    if d.get("frames"):
        extra += f" ({d['frames'].get('library')} frames)"
    return "✓ " + "; ".join(parts) + extra


def _flag_cell(e: dict) -> str:
    flagged = e.get("flagged")
    if flagged is None:
        err = e.get("error") or {}
        return _short(err.get("message") or e.get("stderr_tail") or "–", 200).replace("|", "\\|")
    if not flagged:
        return "none"
    groups: dict[tuple[str, str], list[str]] = {}  # checks with the same status and summary
    for c in flagged:
        groups.setdefault((c["status"], c["summary"]), []).append(c["id"])
    cells = []
    for (status, text), ids in groups.items():
        names = f"`{ids[0]}`" if len(ids) == 1 else f"{len(ids)} checks (`{ids[0]}`, …)"
        cells.append(f"**{status}** {names}: {text}")
    return "<br>".join(cells).replace("|", "\\|")


def _stage_cell(e: dict) -> str:
    t = e.get("timings") or {}
    parts = [f"{k} {_num(t[k])}" for k in MAIN_STAGES if isinstance(t.get(k), int | float)]
    sections = t.get("validation_sections") or {}
    if sections:
        top = sorted(sections.items(), key=lambda kv: -(kv[1] or 0))[:2]
        parts.append("(val: " + ", ".join(f"{k} {_num(v)}" for k, v in top) + ")")
    if e.get("checks_seconds_sum") is not None:
        parts.append(f"Σchecks {_num(e['checks_seconds_sum'])}")
    return ", ".join(parts) or "–"


def markdown(result: dict) -> str:
    lines = [
        "| flavor | rows | discovery (zero-config) | verdict (exit) | fail/warn/error checks "
        "| total s: wall (in-kernel) | stage times s |",
        "|---|---:|---|---|---|---:|---|",
    ]
    for e in result["flavors"]:
        t = e.get("timings") or {}
        total = f"{_num(e.get('seconds'))} ({_num(t.get('total'))})"
        verdict = f"{e.get('verdict')} ({e.get('exit_code')})"
        if e.get("slow"):
            verdict += " ⚠ >15 min"
        lines.append(
            f"| {e['flavor']} | {e['rows']:,} | {_disc_cell(e)} | {verdict} | {_flag_cell(e)} "
            f"| {total} | {_stage_cell(e)} |"
        )
    return "\n".join(lines)


def git_commit() -> dict:
    def git(*args: str) -> str | None:
        try:
            p = subprocess.run(
                ["git", "--no-optional-locks", *args],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return p.stdout.strip() if p.returncode == 0 else None

    status = git("status", "--porcelain")
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000, help="rows per notebook (default 100000)")
    p.add_argument(
        "--only", default="", help=f"comma-separated flavors (default all: {','.join(FLAVORS)})"
    )
    p.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per check (1800)")
    p.add_argument(
        "--settle", type=float, default=SETTLE_SECONDS, help="idle seconds before each check"
    )
    p.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp folder)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = p.parse_args(argv)
    flavors = [f.strip() for f in args.only.split(",") if f.strip()] or list(FLAVORS)
    unknown = [f for f in flavors if f not in FLAVORS]
    if unknown:
        p.error(f"unknown flavor(s) {unknown}; known: {', '.join(FLAVORS)}")
    args.flavors = flavors
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = base_env()
    work = args.dir or Path(tempfile.mkdtemp(prefix="mlready-flavors-"))
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    result: dict = new_result(
        started,
        env={
            k: env.get(k)
            for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MLFLOW_DISABLE_TELEMETRY")
        },
        options={
            "rows": args.rows,
            "flavors": args.flavors,
            "timeout_seconds": args.timeout,
            "settle_seconds": args.settle,
        },
        mlready={"command": [sys.executable, "-m", "jupyter_mlready"], "git": git_commit()},
        work_dir=str(work),
        flavors=[],
    )
    store, result["mlready"]["store_init_seconds"] = init_store(work, env)
    try:
        for flavor in args.flavors:
            folder = work / flavor
            nb = write_notebook(flavor, args.rows, folder, work / "sources")
            print(f"flavors: {flavor} ({args.rows:,} rows) ...", file=sys.stderr, flush=True)
            time.sleep(args.settle)
            load = [round(x, 2) for x in os.getloadavg()]
            run = run_check(nb, folder, env, store, args.timeout)
            entry = summarize(flavor, args.rows, run)
            entry["template"] = f"tests/notebooks/src/{FLAVORS[flavor]}"
            entry["notebook"] = str(nb)
            entry["load_average_before"] = load
            entry["slow"] = run["seconds"] > SLOW_SECONDS
            result["flavors"].append(entry)
            flagged = entry.get("flagged") or []
            flags = ", ".join(f"{c['status']} {c['id']}" for c in flagged[:6])
            flags += f", … ({len(flagged)} in all)" if len(flagged) > 6 else ""
            print(
                f"flavors:   {run['seconds']:.1f} s, exit {run['exit_code']}, "
                f"verdict {entry.get('verdict')}"
                + (f", {flags}" if flags else "")
                + (" (over 15 min)" if entry["slow"] else ""),
                file=sys.stderr,
                flush=True,
            )
    finally:
        if args.dir is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    result["host"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["markdown"] = markdown(result)
    write_result(result, args.results, "flavors", started)
    ok = all(e.get("exit_code") in (0, 1) for e in result["flavors"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
