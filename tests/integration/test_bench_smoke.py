"""The benchmark harness in smoke mode (10k rows, one repetition, no peers, no widths, no live
kernel; the papermill baseline and the strength assertions on), so it cannot rot; and the
harness's own logic (the strength assertion, merging a run made in parts) on doctored inputs.

Structure only: speed goals are judged from the harness's ratios and targets, never by timing
assertions here."""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
BENCH = BENCHMARKS / "bench.py"
sys.path.insert(0, str(BENCHMARKS))

import bench  # noqa: E402
import strength  # noqa: E402


@pytest.mark.timeout(300)
def test_smoke_run_writes_a_result_with_per_stage_timings(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--smoke", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    # 3: a run checked less than the pinned policy asks (a product finding, reported as a ✘
    # target); anything else but 0 is the harness or a run failing
    assert proc.returncode in (0, bench.EXIT_WEAKER), proc.stdout[-3000:] + proc.stderr[-3000:]
    (path,) = tmp_path.glob("bench-*.json")
    result = json.loads(path.read_text())

    options = result["options"]
    assert options["smoke"] is True and options["peers"] == []
    assert options["widths"] == [] and options["live"] == []
    assert list(result["sizes"]) == ["10k"] and result["widths"] == {} and result["live"] == {}
    size = result["sizes"]["10k"]
    assert size["rows"] == 10_000 and set(size["ratios"]) == {"papermill"}
    (run,) = size["raw"]["ours"]
    assert run["returncode"] in (0, 1) and run["verdict"] in ("ready", "not_ready")
    assert run["peak_rss_mb"] > 0 and run["max_processes"] >= 2  # the CLI and its notebook kernel
    # the CPU of the whole tree: two kernels' imports alone take more than a second
    assert run["cpu_seconds"] > 1.0
    ours = size["ours"]
    assert ours["ok_runs"] == 1 and ours["seconds"] > 0 and ours["peak_rss_mb"] > 0
    assert {"rerun", "discover", "contract", "total"} <= set(ours["timings"])
    assert all(v is None or v >= 0 for v in ours["timings"].values())
    assert ours["timings"]["total"] <= ours["seconds"]

    # the plain papermill baseline of the same notebook, and the ratio
    (pm_run,) = size["raw"]["papermill"]
    assert pm_run["returncode"] == 0 and pm_run["seconds"] > 0
    pm = size["papermill"]
    assert pm["ok_runs"] == 1 and pm["seconds"] > 0
    assert size["ratios"]["papermill"] == {
        "value": round(ours["seconds"] / pm["seconds"], 3),
        "bound": False,
    }

    # the strength record of our run, under the pinned policy
    record = run["strength"]
    assert set(record) == {"ok", "problems", "skipped", "evidence"}
    assert record["ok"] == (not record["problems"])
    assert set(record["skipped"]) <= set(strength.ALLOWED_SKIPS)
    assert record["evidence"]["properties"] >= 8 and record["evidence"]["latency_samples"] > 0
    assert ours["strength"]["runs"] == 1 and ours["strength"]["ok"] == record["ok"]
    assert result["policy"]["values"] == strength.PINNED_POLICY
    assert (proc.returncode == bench.EXIT_WEAKER) == (not record["ok"])
    names = {t["name"]: t for t in result["targets"]}
    assert names["check strength (pinned default policy)"]["ok"] is record["ok"]

    assert result["load_ext"]["seconds"] > 0
    assert any(t["name"].startswith("%load_ext") for t in result["targets"])
    md = result["markdown"]
    assert "| 10k |" in md and "per-stage" in md and "papermill" in md and "strength" in md
    assert "### CPU seconds, whole process tree" in md
    assert md in proc.stdout


# --------------------------------------------------------------------------- the strength assertion

PROPERTIES = ("robustness.missing_values", "determinism")


def _readiness(examples: int = 100) -> dict:
    """A readiness.json as strong as the pinned policy asks (of the checks it lists)."""
    policy = strength.PINNED_POLICY

    def prop(cid: str) -> dict:
        ev = {
            "seed": policy["seed"],
            "examples": examples,
            "examples_requested": examples,
            "columns_applicable": 20,
            "columns_exercised": 20,
        }
        return {"id": cid, "status": "pass", "evidence": ev}

    interval = {"value": 0.8, "low": 0.7, "high": 0.9, "n": 900}
    interval["method"] = "bootstrap (400 resamples)"
    return {
        "policy": {"source": "bench.toml", "values": copy.deepcopy(policy)},
        "checks": [
            *(prop(cid) for cid in PROPERTIES),
            {
                "id": "latency",
                "status": "pass",
                "evidence": {"budget_p95_ms": policy["latency_p95_ms"], "per_row": {"samples": 60}},
            },
            {
                "id": "serving.endpoint",
                "status": "pass",
                "evidence": {
                    "budget_p95_ms": policy["serving_p95_ms"],
                    "on_invalid": policy["on_invalid"],
                    "latency": {"requests": 20, "answered": 20},
                },
            },
            {
                "id": "performance.thresholds",
                "status": "pass",
                "evidence": {
                    "interval_level": policy["interval_level"],
                    "metrics": {"f1_macro": interval},
                },
            },
            {"id": "performance.champion", "status": "skip", "summary": "first candidate"},
        ],
    }


EXPECTED = (*PROPERTIES, "latency", "serving.endpoint", "performance.thresholds")


def test_strength_passes_a_run_as_strong_as_the_policy_asks():
    record = strength.assess(_readiness(), expected=EXPECTED)
    assert record["ok"], record["problems"]
    assert record["skipped"] == {"performance.champion": "first candidate"}
    assert record["evidence"]["min_property_examples"] == 100
    assert record["evidence"]["bootstrap_min_resamples"] == 400


def test_strength_fails_a_readiness_json_with_fewer_property_examples_than_the_policy_asks(
    tmp_path,
):
    doc = _readiness(examples=100)
    doc["checks"][1]["evidence"]["examples"] = 40  # doctored: determinism ran 40 of 100
    path = tmp_path / "readiness.json"
    path.write_text(json.dumps(doc))

    record = strength.assess(json.loads(path.read_text()), expected=EXPECTED)

    assert not record["ok"]
    (problem,) = record["problems"]
    assert problem.startswith(
        "determinism: 40 property examples, policy property_examples = 100 (requested 100"
    )
    # ... and the harness turns a weaker run into a ✘ target and exit status 3
    result = {"sizes": {"10k": {"raw": {"ours": [{"returncode": 0, "strength": record}]}}}}
    (target,) = bench._strength_targets(result)
    assert target["ok"] is False and "determinism: 40 property examples" in target["value"]
    assert bench.exit_code(result) == bench.EXIT_WEAKER


def test_strength_accepts_fewer_examples_only_where_the_cpu_budget_says_the_model_is_slow():
    doc = _readiness(examples=100)
    ev = doc["checks"][1]["evidence"]
    ev.update(examples=30, examples_budget=30, model_call_cpu_ms=400.0)  # a slow model
    assert strength.assess(doc, expected=EXPECTED)["ok"]
    ev.update(examples=20)  # fewer than even its budget
    assert not strength.assess(doc, expected=EXPECTED)["ok"]


def test_strength_fails_a_weaker_policy_a_skipped_check_and_fewer_resamples():
    doc = _readiness()
    doc["policy"]["values"]["property_examples"] = 10
    doc["checks"][2]["status"] = "skip"
    doc["checks"][2]["summary"] = "no time"
    doc["checks"][4]["evidence"]["metrics"]["f1_macro"]["method"] = "bootstrap (50 resamples)"
    problems = strength.assess(doc, expected=EXPECTED)["problems"]
    assert problems[0] == "policy.property_examples in force is 10, pinned 100"
    assert "latency: skipped (no time)" in problems
    assert any("50 bootstrap resamples" in p for p in problems)


def test_pinned_policy_is_valid_toml_the_product_loads(tmp_path):
    import tomllib

    path = strength.write_policy(tmp_path / "policy.toml")
    assert tomllib.loads(path.read_text()) == strength.PINNED_POLICY


# --------------------------------------------------------------------------- --render of parts


def _run(seconds: float, **extra) -> dict:
    return {"seconds": seconds, "peak_rss_mb": 900.0, "returncode": 0, "timed_out": False, **extra}


def _part(tmp_path: Path, name: str, **sections) -> Path:
    doc = {"schema": 1, "host": {}, "options": {}, "sizes": {}, **sections}
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_render_merges_a_widths_part_with_a_sizes_part(tmp_path):
    ok = {"ok": True, "problems": [], "skipped": {}, "evidence": {}}
    sizes = _part(
        tmp_path,
        "sizes.json",
        sizes={
            "100k": {
                "rows": 100_000,
                "raw": {
                    "ours": [_run(12.0, strength=ok), _run(10.0, strength=ok)],
                    "papermill": [_run(6.0), _run(5.0)],
                },
            }
        },
    )
    widths = _part(
        tmp_path,
        "widths.json",
        widths={
            "200": {
                "rows": 5_000,
                "features": 200,
                "raw": {
                    "ours": [_run(20.0, strength=ok)],
                    "papermill": [_run(8.0)],
                    "deepchecks": [_run(50.0, phases={"suite": 40.0})],
                    "evidently": [_run(25.0, phases={"report": 10.0})],
                },
            }
        },
    )
    out = tmp_path / "merged"

    assert bench.render_results([sizes, widths], out) == 0

    (path,) = out.glob("bench-merged-*.json")
    merged = json.loads(path.read_text())
    assert merged["parts"] == [str(sizes), str(widths)]
    size = merged["sizes"]["100k"]
    assert size["ours"]["seconds"] == 11.0 and size["papermill"]["seconds"] == 5.5
    assert size["ratios"]["papermill"] == {"value": 2.0, "bound": False}
    width = merged["widths"]["200"]
    assert width["ratios"]["deepchecks"] == {"value": 0.4, "bound": False}
    assert width["ratios"]["evidently"] == {"value": 0.8, "bound": False}
    assert width["ratios"]["papermill"] == {"value": 2.5, "bound": False}
    targets = {t["name"]: t["ok"] for t in merged["targets"]}
    assert targets["100k check / papermill"] is True  # 2.0 ≤ 2.0
    assert targets["200 features: ours / Deepchecks full_suite"] is True
    assert targets["200 features: ours / Evidently drift+classification"] is True
    assert targets["check strength (pinned default policy)"] is True
    md = merged["markdown"]
    assert "| 100k |" in md and "### Width" in md and "| 200 | 5k | 20.0 |" in md


def test_cpu_table_gives_the_wall_floor_of_the_work_on_this_machines_cores(monkeypatch):
    monkeypatch.setattr(bench.os, "cpu_count", lambda: 2)
    sizes = {
        "100k": {
            "ours": {"seconds": 24.0, "cpu_seconds": 33.0},
            "papermill": {"seconds": 5.5, "cpu_seconds": 5.0},
            "evidently": {"seconds": 17.0, "cpu_seconds": 16.0},
        }
    }
    lines = bench._cpu_table(sizes)
    assert "2 cores" in lines[1]
    # 33 CPU s over 2 cores: no schedule finishes before 16.5 s, 3.00× papermill's 5.5 s
    assert lines[-1] == "| 100k | 5.00 | 33.0 | 6.6× | 16.5 | 3.00× | – | 16.0 |"
    assert bench._cpu_table({"3k": {"ours": {"seconds": 1.0}}}) == []  # not measured: no table


def test_measure_records_the_cpu_of_the_whole_process_tree(tmp_path):
    """A child that burns CPU in a grandchild: the grandchild's CPU counts."""
    burn = "import time; t = time.process_time(); exec('while time.process_time() - t < 0.6: pass')"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}])"
    done = bench.measure(
        [sys.executable, "-c", parent], env=None, cwd=tmp_path, timeout=60, log=tmp_path / "x"
    )
    assert done["returncode"] == 0 and done["cpu_seconds"] >= 0.6
