"""After-hand-off benchmark: ``mlready monitor`` per batch size, and what the serving check adds
to the gate.

Usage (from the repository root, in the project's venv)::

    .venv/bin/python benchmarks/monitor.py                   # batches of 100, 100k and 1M rows
    .venv/bin/python benchmarks/monitor.py --rows 1000,100000 --reps 3
    .venv/bin/python benchmarks/monitor.py --serving-reps 3  # and the gate with / without serving

It registers the claims example (``examples/claims_fraud.ipynb``) once in a fresh SQLite store
(``mlready check``, untimed), draws batches of each size from the same synthetic process
(``examples/claims_batches.py``, another seed, with labels) and times
``mlready monitor models:/claims_fraud@ready BATCH`` as a user runs it: whole-process wall
seconds and peak RSS (``bench.measure``), monitor.json's stage timings and verdict (a clean batch
must be ``ok``: any alert is a false alarm and is recorded).

With ``--serving-reps N`` it also times ``mlready check claims_fraud.ipynb --no-hand-off`` N times
with every check and N times with the serving check left out (its entry point hidden from this
run's metadata, the only difference), alternating, and reports the medians and the growth.

Writes ``benchmarks/results/monitor-<UTC time>.json`` and prints a table. Timings are judged
from this output, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import base_env, host_facts, measure

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
MLREADY = str(Path(sys.executable).with_name("mlready"))
SERVING_ENTRY = "serving.endpoint"


def _register(work: Path, env: dict) -> None:
    shutil.copy(REPO / "examples" / "claims_fraud.ipynb", work)
    done = subprocess.run(
        [MLREADY, "check", "claims_fraud.ipynb"], cwd=work, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"registering the claims model failed:\n{done.stdout}\n{done.stderr}")


def _batch(rows: int, work: Path) -> Path:
    sys.path.insert(0, str(REPO / "examples"))
    from claims_batches import claims

    path = work / f"batch-{rows}.parquet"
    claims(rows, 1000 + rows % 997).to_parquet(path)
    return path


def time_monitor(rows: int, reps: int, work: Path, env: dict) -> list[dict]:
    batch = _batch(rows, work)
    out = []
    for rep in range(reps):
        folder = work / f"monitor-{rows}-{rep}"
        cmd = [MLREADY, "monitor", "models:/claims_fraud@ready", str(batch), "--out", str(folder)]
        facts = measure(cmd, env=env, cwd=work, timeout=1800, log=work / "logs" / folder.name)
        doc = json.loads((folder / "monitor.json").read_text())
        facts.update(
            rows=rows,
            verdict=doc["verdict"],
            false_alarm=doc["verdict"] != "ok",
            timings=doc.get("timings"),
            scoring=doc.get("scoring"),
        )
        out.append(facts)
    return out


def _entry_points() -> Path:
    import jupyter_mlready

    found = list(Path(jupyter_mlready.__file__).parents[1].glob("jupyter_mlready-*.dist-info"))
    if not found:  # an editable install keeps its metadata in site-packages
        import site

        for folder in site.getsitepackages():
            found += list(Path(folder).glob("jupyter_mlready-*.dist-info"))
    return found[0] / "entry_points.txt"


def time_serving(reps: int, work: Path, env: dict) -> dict:
    """The gate with and without the serving check (its entry point hidden), alternating."""
    entry = _entry_points()
    original = entry.read_text()
    runs: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for rep in range(reps):
            for mode in ("with", "without"):
                kept = [
                    ln for ln in original.splitlines() if mode == "with" or SERVING_ENTRY not in ln
                ]
                entry.write_text("\n".join(kept) + "\n")
                folder = work / f"gate-{mode}-{rep}"
                cmd = [
                    MLREADY,
                    "check",
                    "claims_fraud.ipynb",
                    "--no-hand-off",
                    "--out",
                    str(folder),
                ]
                facts = measure(
                    cmd, env=env, cwd=work, timeout=1800, log=work / "logs" / folder.name
                )
                runs[mode].append(facts["seconds"])
    finally:
        entry.write_text(original)
    doc = json.loads((work / "gate-with-0" / "readiness.json").read_text())
    served = next(c for c in doc["checks"] if c["id"] == SERVING_ENTRY)
    latency = next(c for c in doc["checks"] if c["id"] == "latency")
    with_s, without_s = statistics.median(runs["with"]), statistics.median(runs["without"])
    return {
        "runs": runs,
        "median_with": with_s,
        "median_without": without_s,
        "growth_seconds": round(with_s - without_s, 3),
        "growth_share": round(with_s / without_s - 1, 4),
        "serving": {
            "status": served["status"],
            "load_seconds": served["evidence"].get("load_seconds"),
            "http_p50_ms": served["evidence"]["latency"].get("p50_ms"),
            "http_p95_ms": served["evidence"]["latency"].get("p95_ms"),
            "http_p99_ms": served["evidence"]["latency"].get("p99_ms"),
            "section_seconds": served.get("seconds"),
        },
        "in_process_p95_ms": (latency["evidence"].get("per_row") or {}).get("p95_ms"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="100,100000,1000000", help="batch sizes, comma-separated")
    parser.add_argument("--reps", type=int, default=1, help="runs per batch size")
    parser.add_argument("--serving-reps", type=int, default=0, help="gate runs with / without")
    args = parser.parse_args(argv)
    env = base_env()
    work = Path(tempfile.mkdtemp(prefix="mlready-monitor-bench-"))
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlruns.db'}"
    _register(work, env)
    result: dict = {"host": host_facts(), "started": datetime.now(UTC).isoformat(), "monitor": []}
    for rows in (int(r) for r in args.rows.split(",")):
        result["monitor"] += time_monitor(rows, args.reps, work, env)
    if args.serving_reps:
        result["serving"] = time_serving(args.serving_reps, work, env)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"monitor-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2))
    print("| rows | verdict | wall s | peak RSS MB | stages (s) |")
    print("|---:|---|---:|---:|---|")
    for r in result["monitor"]:
        t = r.get("timings") or {}
        stages = ", ".join(
            f"{k} {t[k]:.2f}" for k in ("reference", "batch", "checks", "log") if k in t
        )
        cells = [f"{r['rows']:,}", r["verdict"], f"{r['seconds']:.2f}", f"{r['peak_rss_mb']:.0f}"]
        print("| " + " | ".join([*cells, stages]) + " |")
    if "serving" in result:
        s = result["serving"]
        print(
            f"\ngate with serving {s['median_with']:.2f} s, without {s['median_without']:.2f} s "
            f"(+{s['growth_seconds']:.2f} s, {s['growth_share']:.0%}); HTTP p95 "
            f"{s['serving']['http_p95_ms']} ms vs in-process p95 {s['in_process_p95_ms']} ms"
        )
    print(f"\n{path}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
