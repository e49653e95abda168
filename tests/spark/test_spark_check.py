"""A Spark notebook end to end: `mlready check` re-runs it in a fresh kernel (real papermill),
the checks read the Spark frames, the validation kernel starts its own Spark session from the
notebook's settings and reads the recorded references: a clean notebook is ready; with part of
the hold-out copied from training and negative amounts it is not ready, with the exact counts
pandas finds in the rows the checks read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _statuses(doc: dict) -> dict:
    return {c["id"]: c for c in doc["checks"]}


def _check_notebook(tmp_path, **parameters) -> tuple[int, dict, str]:
    """``mlready check`` (a fresh kernel, real papermill) of the Spark fixture with its
    ``parameters`` (the defect variants); (exit code, readiness.json, output)."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    nb = nbformat.read(str(NOTEBOOKS / "spark_clean.ipynb"), as_version=4)
    if parameters:
        for cell in nb.cells:  # papermill reads every cell's tags
            cell.metadata.setdefault("tags", [])
        nb.metadata.setdefault("papermill", {})
        nb = parameterize_notebook(nb, parameters)
    path = tmp_path / "spark_claims.ipynb"
    nbformat.write(nb, str(path))
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter_mlready", "check", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    doc = json.loads((out / "readiness.json").read_text())
    return proc.returncode, doc, (proc.stdout + proc.stderr)[-3000:]


def test_a_clean_spark_notebook_is_ready(tmp_path):
    code, doc, output = _check_notebook(tmp_path)
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


def test_copied_rows_and_contract_violations_make_it_not_ready_with_exact_counts(tmp_path):
    # the sampled checks read 1,000 rows (the policy beside the notebook)
    (tmp_path / "mlready.toml").write_text("spark_sample_rows = 1000\n")
    code, doc, output = _check_notebook(tmp_path, copy_rows=300, negative_amounts=True)
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
