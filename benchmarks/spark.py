"""Spark benchmark: ``mlready check`` on the claims data as Spark DataFrames in ``local[2]``,
against the pandas path at 1M rows in the same run.

Usage (from the repository root, in the project's venv; ``make bench-spark`` runs the default)::

    .venv/bin/python benchmarks/spark.py                          # Spark 1m, 3m, 10m; pandas 1m
    .venv/bin/python benchmarks/spark.py --spark-rows 1m --pandas-rows 100k   # a quick look

The data lives where Spark data lives: the claims rows (``claims.py``, the same generator as the
main benchmark) are written once, in 1M-row chunks, as two parquet folders per size (train 70%,
hold-out 30%; cached under ``--data``). The benchmark notebook starts a ``local[2]`` session,
reads both folders, fits the benchmark pipeline on a 200k-row sample of the training frame and
leaves ``train_sdf`` / ``test_sdf`` for the check. ``mlready check NOTEBOOK`` is timed as a user
runs it (``bench.measure``), with the peak RSS per kind of process: Python (the CLI, the notebook
kernel and the validation kernel, which are the Spark drivers, and Spark's Python workers) and
the JVM (in local mode, the driver and the executors). Per size it reports:

- whole-process seconds, and the tool's own seconds (readiness.json's ``total``: the check
  without the notebook's own cells);
- the split: the time of every Spark job the check ran in both kernels (readiness.json
  ``spark.sessions``: recording each input by reference, its fingerprint and seeded sample, the
  training profile, the exact checks; of which the checks' own, ``spark.seconds``) and the rest
  (kernels, contract inference, property tests, MLflow logging, reports, the sampled checks);
- the growth of the tool's own time per row between sizes (about linear: the ratio of seconds per
  row stays near 1).

The pandas path at ``--pandas-rows`` runs the main benchmark's notebook (``bench.run_ours``).
Writes ``benchmarks/results/spark-<UTC time>.json`` and prints a table; judged from this output,
never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    base_env,
    check_command,
    init_store,
    measure,
    new_result,
    python_notebook,
    run_ours,
    write_result,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
CHUNK_ROWS = 1_000_000
FIT_ROWS = 200_000
TIMEOUT = 3 * 3600

import claims  # noqa: E402


def write_data(rows: int, folder: Path) -> Path:
    """``folder/train`` and ``folder/holdout`` parquet folders of the claims data at ``rows``
    (1M-row chunks, each with its own seed; 70/30 per chunk). Reused when already complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    done = folder / "_COMPLETE"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    for part in ("train", "holdout"):
        (folder / part).mkdir(parents=True)
    chunks = max(1, -(-rows // CHUNK_ROWS))
    for i in range(chunks):
        n = min(CHUNK_ROWS, rows - i * CHUNK_ROWS)
        frame = claims.make_claims(n, seed=claims.SEED + i)
        cut = int(n * 0.7)
        for part, piece in (("train", frame.iloc[:cut]), ("holdout", frame.iloc[cut:])):
            table = pa.Table.from_pandas(piece, preserve_index=False)
            pq.write_table(table, folder / part / f"part-{i:04d}.parquet")
    done.write_text(str(rows))
    return folder


def notebook(data: Path, folder: Path) -> Path:
    """The Spark benchmark notebook for one data folder."""
    import nbformat

    v4 = nbformat.v4
    nb = python_notebook()
    nb.cells = [
        v4.new_markdown_cell(
            "# Claims on Spark\n\nThe claims data as parquet, read by a `local[2]` session; the "
            "benchmark pipeline fitted on a 200k-row sample (written by `benchmarks/spark.py`)."
        ),
        v4.new_code_cell(
            "import os, sys, tempfile\n"
            f"sys.path.insert(0, {str(HERE)!r})\n"
            "os.environ.setdefault('PYSPARK_PYTHON', sys.executable)\n"
            "import claims\n"
            "from pyspark.sql import SparkSession\n\n"
            "spark = (\n"
            "    SparkSession.builder.master('local[2]')\n"
            "    .appName('claims-bench')\n"
            "    .config('spark.ui.enabled', 'false')\n"
            "    .config('spark.ui.showConsoleProgress', 'false')\n"
            "    .config('spark.driver.memory', '3g')\n"
            "    .config('spark.sql.shuffle.partitions', '8')\n"
            "    .config('spark.driver.maxResultSize', '256m')\n"
            "    .config('spark.sql.warehouse.dir', tempfile.mkdtemp())\n"
            "    .getOrCreate()\n"
            ")"
        ),
        v4.new_code_cell(
            f"train_sdf = spark.read.parquet({str(data / 'train')!r})\n"
            f"test_sdf = spark.read.parquet({str(data / 'holdout')!r})"
        ),
        v4.new_code_cell(
            "rows = train_sdf.count()\n"
            f"share = min(1.0, {FIT_ROWS} / rows)\n"
            "train_pd = train_sdf.sample(fraction=share, seed=1).toPandas()\n"
            "model = claims.make_pipeline().fit(\n"
            "    train_pd.drop(columns=[claims.TARGET]), train_pd[claims.TARGET]\n"
            ")"
        ),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"claims_spark_{claims.size_label(_rows_of(data))}.ipynb"
    nbformat.write(nb, str(path))
    return path


def _rows_of(data: Path) -> int:
    return int((data / "_COMPLETE").read_text())


def _kind(proc) -> str:
    """ "jvm" for Spark's JVM, "python" for the rest (the CLI, the kernels, Python workers)."""
    try:
        name = proc.name()
    except Exception:  # noqa: BLE001 - a process that ended
        return "python"
    return "jvm" if name == "java" else "python"


def run_spark(data: Path, work: Path, env: dict, store: Path | None) -> dict:
    rows = _rows_of(data)
    folder = work / f"spark-{claims.size_label(rows)}"
    cmd, env, out = check_command(notebook(data, folder), env, store)
    m = measure(cmd, env=env, cwd=folder, timeout=TIMEOUT, log=folder / "mlready", group=_kind)
    result: dict = {"rows": rows, **m}
    ready = out / "readiness.json"
    if not ready.exists():
        result["error"] = Path(m["log"]).with_suffix(".err").read_text(errors="replace")[-1500:]
        return result
    doc = json.loads(ready.read_text())
    timings = doc.get("timings") or {}
    spark = doc.get("spark") or {}
    own = float(timings.get("total") or 0.0)
    discover = float(timings.get("discover") or 0.0)
    sessions = spark.get("sessions") or {}
    all_jobs = sum(float(s.get("seconds") or 0.0) for s in sessions.values())
    result.update(
        verdict=doc.get("verdict"),
        error=doc.get("error"),
        timings=timings,
        own_seconds=own,
        split={
            "spark_jobs": round(all_jobs, 2),
            "spark_jobs_of_checks": round(float(spark.get("seconds") or 0.0), 2),
            "spark_jobs_count": int(sum(int(s.get("jobs") or 0) for s in sessions.values())),
            "rest": round(max(0.0, own - all_jobs), 2),
            "discover_stage": round(discover, 2),
        },
        spark=spark,
        checks={
            c["id"]: {"status": c["status"], "seconds": c.get("seconds")}
            for c in doc.get("checks", [])
        },
    )
    return result


def _per_row_growth(runs: list[dict]) -> list[dict]:
    """Seconds per row of the tool's own time between consecutive sizes (1.0: linear)."""
    ok = [r for r in runs if r.get("own_seconds")]
    out = []
    for a, b in zip(ok, ok[1:], strict=False):
        per_a, per_b = a["own_seconds"] / a["rows"], b["own_seconds"] / b["rows"]
        out.append(
            {
                "from": claims.size_label(a["rows"]),
                "to": claims.size_label(b["rows"]),
                "rows_ratio": round(b["rows"] / a["rows"], 2),
                "seconds_ratio": round(b["own_seconds"] / a["own_seconds"], 2),
                "per_row_ratio": round(per_b / per_a, 2),
            }
        )
    return out


def markdown(result: dict) -> str:
    lines = [
        "| run | rows | verdict | whole s | tool's own s | Spark jobs s (n) | of which checks s "
        "| rest s | peak RSS Python MB | peak RSS JVM MB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["spark"]:
        split = r.get("split") or {}
        groups = r.get("peak_rss_by_group_mb") or {}
        lines.append(
            f"| Spark local[2] | {r['rows']:,} | {r.get('verdict')} | {r['seconds']:.0f} "
            f"| {r.get('own_seconds', 0):.0f} | {split.get('spark_jobs', 0):.0f} "
            f"({split.get('spark_jobs_count', 0)}) | {split.get('spark_jobs_of_checks', 0):.0f} "
            f"| {split.get('rest', 0):.0f} "
            f"| {groups.get('python', 0):.0f} | {groups.get('jvm', 0):.0f} |"
        )
    p = result.get("pandas")
    if p:
        own = (p.get("timings") or {}).get("total") or 0
        lines.append(
            f"| pandas | {p['rows']:,} | {p.get('verdict')} | {p['seconds']:.0f} | {own:.0f} "
            f"| — | — | — | {p['peak_rss_mb']:.0f} | — |"
        )
    for g in result.get("growth") or []:
        lines.append(
            f"\n{g['from']} → {g['to']}: {g['rows_ratio']}× rows, {g['seconds_ratio']}× the "
            f"tool's own time ({g['per_row_ratio']}× per row)"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spark-rows", default="1m,3m,10m", help="comma-separated sizes on Spark")
    p.add_argument("--pandas-rows", default="1m", help="the pandas path's size ('' for none)")
    p.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "mlready-spark-bench-data",
        help="where the parquet folders are written once and reused",
    )
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--workdir", type=Path, help="keep run folders here (default: a temp folder)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = base_env()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="mlready-spark-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    result: dict = new_result(
        started,
        options={"spark_rows": args.spark_rows, "pandas_rows": args.pandas_rows},
        spark=[],
    )
    store, _ = init_store(work, env)
    try:
        for label in [s for s in args.spark_rows.split(",") if s.strip()]:
            rows = claims.parse_rows(label)
            print(f"spark bench: writing {label} rows of parquet ...", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            data = write_data(rows, args.data / claims.size_label(rows))
            print(
                f"spark bench: data ready in {time.perf_counter() - t0:.0f} s; mlready check ...",
                file=sys.stderr,
                flush=True,
            )
            run = run_spark(data, work, env, store)
            print(
                f"spark bench: {label}: {run.get('verdict')} in {run['seconds']:.0f} s "
                f"(own {run.get('own_seconds', 0):.0f} s, split {run.get('split')}, "
                f"RSS {run.get('peak_rss_by_group_mb')})",
                file=sys.stderr,
                flush=True,
            )
            result["spark"].append(run)
        if args.pandas_rows:
            rows = claims.parse_rows(args.pandas_rows)
            print(f"spark bench: pandas {args.pandas_rows} ...", file=sys.stderr, flush=True)
            result["pandas"] = {"rows": rows, **run_ours(rows, 0, work, env, store)}
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    result["growth"] = _per_row_growth(result["spark"])
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["markdown"] = markdown(result)
    write_result(result, args.results, "spark", started)
    ok = all(r.get("returncode") in (0, 1) for r in result["spark"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
