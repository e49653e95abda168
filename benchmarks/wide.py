"""A wide notebook: ``mlready check`` on thousands of features (issue 14, "width is unbounded").

Usage (from the repository root, in the project's venv)::

    python benchmarks/wide.py --features 2000 --rows 5000            # write, check, summarize
    python benchmarks/wide.py --features 500 --rows 3000 --write-only  # only the notebook

The notebook imports ``wide_data.py`` (shared with ``bench.py``'s width variants and the peer
scripts): ``features`` numeric columns (a few with missing values, one integer count) plus
``categoricals`` string columns, a binary target from a sparse linear signal, a 70/30 split named
``X_train`` / ``X_test`` / ``y_train`` / ``y_test``, and a scikit-learn pipeline (impute + scale
the numbers, impute + one-hot the categories, LogisticRegression).

The check runs as a user runs it (``mlready check NB --out OUT --no-hand-off``) with its own
SQLite MLflow store in the work folder, created (migrated) before the timed run as in
``bench.py``; the summary prints the whole-process seconds, the stage
``timings`` of readiness.json and the slowest checks with their ``seconds``. Timings are judged
from this output, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import python_notebook  # benchmarks/ is on sys.path: run as a script

HERE = Path(__file__).resolve().parent

DATA = """\
import sys

sys.path.insert(0, bench_dir)
import wide_data

X, y = wide_data.make_wide(rows, features, categoricals, seed)
X.shape
"""

SPLIT = """\
X_train, X_test, y_train, y_test = wide_data.split(X, y, seed)
del X, y
"""

MODEL = """\
model = wide_data.make_pipeline(X_train).fit(X_train, y_train)
model.score(X_test, y_test)
"""


def wide_notebook(features: int, rows: int, categoricals: int = 3, seed: int = 0):
    """The notebook (nbformat v4): parameters cell (``features``, ``rows``, ``categoricals``,
    ``seed``, ``bench_dir``: the folder of ``wide_data.py``), data, split, model."""
    import nbformat

    v4 = nbformat.v4
    nb = python_notebook()
    params = v4.new_code_cell(
        f"features = {int(features)}\nrows = {int(rows)}\n"
        f"categoricals = {int(categoricals)}\nseed = {int(seed)}\n"
        f"bench_dir = {str(HERE)!r}"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        v4.new_markdown_cell(
            f"# Wide benchmark: {features:,} numeric features x {rows:,} rows\n\n"
            "Written by `benchmarks/wide.py`; data and pipeline from `benchmarks/wide_data.py`."
        ),
        params,
        v4.new_code_cell(DATA),
        v4.new_code_cell(SPLIT),
        v4.new_code_cell(MODEL),
    ]
    return nb


def write_notebook(path: Path, features: int, rows: int, categoricals: int = 3) -> Path:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(wide_notebook(features, rows, categoricals), str(path))
    return path


STORE_INIT = """
import sys
from mlflow import MlflowClient
client = MlflowClient(tracking_uri=sys.argv[1], registry_uri=sys.argv[1])
client.search_experiments()
client.search_registered_models()
"""


def init_store(store: Path) -> None:
    """An empty, migrated MLflow SQLite store (untimed), as ``bench.py`` gives every run: creating
    the tables is a once-per-project cost, not part of a check."""
    store.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-c", STORE_INIT, f"sqlite:///{store}"],
        check=True,
        capture_output=True,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )


def run_check(nb: Path, out: Path, store: Path) -> dict:
    """``mlready check NB --out OUT --no-hand-off`` with its own MLflow store; wall seconds."""
    exe = Path(sys.executable).with_name("mlready")
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{store}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONUNBUFFERED": "1",
    }
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as benchmarks/bench.py does
    t = time.perf_counter()
    done = subprocess.run(
        [str(exe), "check", str(nb), "--out", str(out), "--no-hand-off"],
        env=env,
        capture_output=True,
        text=True,
    )
    return {
        "seconds": round(time.perf_counter() - t, 2),
        "exit_code": done.returncode,
        "stderr": done.stderr[-2000:],
    }


def summary(out: Path, top: int = 12) -> dict:
    """Stage timings and the slowest checks from ``out/readiness.json``."""
    doc = json.loads((out / "readiness.json").read_text())
    checks = sorted(doc.get("checks", []), key=lambda c: -(c.get("seconds") or 0.0))
    slow = []
    for c in checks[:top]:
        ev = c.get("evidence") or {}
        slow.append(
            {
                "id": c["id"],
                "status": c["status"],
                "seconds": c.get("seconds"),
                "evaluation": ev.get("evaluation"),
                "model_calls": ev.get("model_calls"),
                "columns_exercised": ev.get("columns_exercised"),
            }
        )
    return {"verdict": doc.get("verdict"), "timings": doc.get("timings"), "slowest": slow}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=2000)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--categoricals", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp folder)")
    ap.add_argument("--write-only", action="store_true", help="write the notebook and stop")
    args = ap.parse_args(argv)
    work = args.dir or Path(tempfile.mkdtemp(prefix="mlready-wide-"))
    nb = write_notebook(
        work / f"wide_{args.features}x{args.rows}.ipynb",
        args.features,
        args.rows,
        args.categoricals,
    )
    print(f"notebook: {nb}")
    if args.write_only:
        return 0
    out = work / "out"
    store = work / "mlruns.db"
    if not store.exists():
        init_store(store)
    run = run_check(nb, out, store)
    print(json.dumps({k: v for k, v in run.items() if k != "stderr"}))
    if not (out / "readiness.json").exists():
        print(run["stderr"], file=sys.stderr)
        return 2
    print(json.dumps(summary(out), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
