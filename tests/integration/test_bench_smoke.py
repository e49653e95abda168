"""The benchmark harness in smoke mode (10k rows, one repetition, no peers), so it cannot rot.

Structure only: speed goals are judged from the harness's ratios and targets, never by timing
assertions here."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"


@pytest.mark.timeout(300)
def test_smoke_run_writes_a_result_with_per_stage_timings(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (path,) = tmp_path.glob("bench-*.json")
    result = json.loads(path.read_text())

    assert result["options"]["smoke"] is True and result["options"]["peers"] == []
    assert list(result["sizes"]) == ["10k"]
    size = result["sizes"]["10k"]
    assert size["rows"] == 10_000 and size["ratios"] == {}
    (run,) = size["raw"]["ours"]
    assert run["returncode"] in (0, 1) and run["verdict"] in ("ready", "not_ready")
    assert run["peak_rss_mb"] > 0 and run["max_processes"] >= 2  # the CLI and its notebook kernel
    ours = size["ours"]
    assert ours["ok_runs"] == 1 and ours["seconds"] > 0 and ours["peak_rss_mb"] > 0
    assert {"rerun", "discover", "contract", "total"} <= set(ours["timings"])
    assert all(v is None or v >= 0 for v in ours["timings"].values())
    assert ours["timings"]["total"] <= ours["seconds"]

    assert result["load_ext"]["seconds"] > 0
    assert any(t["name"].startswith("%load_ext") for t in result["targets"])
    md = result["markdown"]
    assert "| 10k |" in md and "per-stage" in md
    assert md in proc.stdout
