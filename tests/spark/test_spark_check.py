"""A Spark notebook end to end: `mlready check` re-runs it in a fresh kernel (real papermill),
the checks read the Spark frames, the validation kernel starts its own Spark session from the
notebook's settings and reads the recorded references: a clean notebook is ready; with part of
the hold-out copied from training and negative amounts it is not ready, with the exact counts
pandas finds in the rows the checks read. Both checks run at the same time (a Spark check mostly
waits on its JVMs), with budgets no shared machine can miss: speed is not tested here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _statuses(doc: dict) -> dict:
    return {c["id"]: c for c in doc["checks"]}


#: speed is not what these tests are about (both checks run at once, on 2 cores)
RELAXED = "latency_p95_ms = 100000.0\nserving_p95_ms = 100000.0\n"


def _start_check(folder: Path, policy: str, **parameters) -> tuple[subprocess.Popen, Path]:
    """Start ``mlready check`` (a fresh kernel, real papermill) of the Spark fixture with its
    ``parameters`` (the defect variants) and ``policy`` beside it; (process, out folder)."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    folder.mkdir(parents=True)
    (folder / "mlready.toml").write_text(RELAXED + policy)
    nb = nbformat.read(str(NOTEBOOKS / "spark_clean.ipynb"), as_version=4)
    if parameters:
        for cell in nb.cells:  # papermill reads every cell's tags
            cell.metadata.setdefault("tags", [])
        nb.metadata.setdefault("papermill", {})
        nb = parameterize_notebook(nb, parameters)
    path = folder / "spark_claims.ipynb"
    nbformat.write(nb, str(path))
    out = folder / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlready", "check", str(path), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=folder,
    )
    return proc, out


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> dict:
    """Both checks, run at once (most of a Spark check is waiting on its JVMs): {"clean",
    "defects"} -> (exit code, readiness.json, output). The defect variant copies 300 hold-out
    rows from training and plants negative amounts; its sampled checks read 1,000 rows."""
    root = tmp_path_factory.mktemp("spark-check")
    started = {
        "clean": _start_check(root / "clean", ""),
        "defects": _start_check(
            root / "defects", "spark_sample_rows = 1000\n", copy_rows=300, negative_amounts=True
        ),
    }
    done = {}
    try:
        for key, (proc, out) in started.items():
            output, _ = proc.communicate(timeout=900)
            assert (out / "readiness.json").exists(), output[-3000:]
            doc = json.loads((out / "readiness.json").read_text())
            done[key] = (proc.returncode, doc, output[-3000:])
    finally:
        for proc, _ in started.values():  # one timed out or failed: the other is not left behind
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return done


def test_a_clean_spark_notebook_is_ready(checked):
    code, doc, output = checked["clean"]
    assert code == 0, output
    assert doc["verdict"] == "ready", [
        (c["id"], c["status"], c["summary"]) for c in doc["checks"] if c["status"] != "pass"
    ]
    hold = doc["data"]["holdout"]
    assert hold["engine"] == "spark" and hold["reference"]["kind"] == "staged"
    assert hold["rows"] == hold["reference"]["rows"] > 2500
    checks = _statuses(doc)
    # the gate's exact checks ran on Spark in the validation kernel, over every row
    assert checks["leakage.overlap"]["evidence"]["engine"]["name"] == "spark"
    assert checks["leakage.overlap"]["evidence"]["holdout_rows"] == hold["rows"]
    assert checks["contract.holdout"]["evidence"]["rows"] == hold["rows"]
    assert checks["contract.holdout"]["evidence"]["engine"]["jobs"] == 1
    # every Spark job of the check, per kernel: the notebook's session and the validation's
    sessions = doc["spark"]["sessions"]
    assert set(sessions) == {"notebook", "validation"}
    assert all(s["jobs"] > 0 and s["seconds"] > 0 for s in sessions.values())
    assert sessions["validation"]["jobs"] >= doc["spark"]["jobs"] // 2
    assert doc["discovery"]["frames"]["library"] == "spark"


def test_copied_rows_and_contract_violations_make_it_not_ready_with_exact_counts(checked):
    code, doc, output = checked["defects"]
    checks = _statuses(doc)
    assert code == 1 and doc["verdict"] == "not_ready", output
    # the counts, from the very rows the checks read (the staged parquet), by pandas
    staged = {
        role: pd.read_parquet(doc["data"][role]["reference"]["location"].removeprefix("file:"))
        for role in ("train", "holdout")
    }
    rows = len(staged["holdout"])
    features = [c for c in staged["train"].columns if c != "fraud"]
    train_rows = staged["train"][features].drop_duplicates()
    expected = len(staged["holdout"][features].merge(train_rows))
    assert expected >= 300
    overlap = checks["leakage.overlap"]
    assert overlap["status"] == "fail", overlap["summary"]
    assert overlap["evidence"]["rows_also_in_train"] == expected
    assert overlap["evidence"]["holdout_rows"] == rows
    contract = checks["contract.holdout"]
    amount = [f for f in contract["evidence"]["failures"] if f["column"] == "amount"]
    negative = int((staged["holdout"]["amount"] < 0).sum())
    assert negative > 30 and amount and amount[0]["rows"] == negative
    assert contract["evidence"]["rows"] == rows
    # the performance checks scored every row; a check reading the sample says so
    assert checks["performance.thresholds"]["evidence"]["engine"]["rows"] == rows
    latency = checks["latency"]
    assert latency["evidence"]["spark_sample"]["holdout"] == {"rows": 1000, "of": rows, "seed": 0}
    assert f"seeded sample of 1,000 of {rows:,} rows" in latency["summary"]
    # readiness.json says what ran on Spark over every row, and what read the sample
    record = doc["spark"]
    assert record["inputs"]["holdout"] == {
        "rows": rows,
        "reference": "staged",
        "sample": {"rows": 1000, "seed": 0},
    }
    assert record["checks"]["leakage.overlap"]["rows"] == rows
    assert record["checks"]["contract.holdout"]["on"] == "spark"
    assert record["checks"]["latency"] == {
        "on": "sample",
        "status": latency["status"],
        "sample": 1000,
        "of": rows,
        "seed": 0,
    }
    assert record["all_rows"] is True and record["jobs"] >= 3
