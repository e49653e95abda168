"""The ML Test Score mapping and scoring, `mlready report DIR`, and how the front ends call it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mlready.checks import builtin_ids
from jupyter_mlready.cli import main
from jupyter_mlready.report import scorecard as sc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "readiness"
BUILTIN_IDS = builtin_ids()


def test_rubric_has_28_tests_seven_per_section_and_known_check_ids():
    assert len(sc.TESTS) == 28
    for section in sc.SECTIONS:
        assert sum(t.section == section for t in sc.TESTS) == 7
    assert len({t.name for t in sc.TESTS}) == 28
    claims = sc.evidence()
    for t in sc.TESTS:
        ev = claims[t.key]
        assert ev.reach in ("auto", "partial", "none")
        assert set(ev.checks) | set(ev.related) <= set(BUILTIN_IDS), t.key
        assert t.manual or ev.reach == "auto", f"{t.key}: say what a reviewer checks by hand"
        assert ev.reach == "none" or ev.checks or t.fields
        assert ev.reach == "none" or ev.automated, f"{t.key}: say what the checks automate"


def doc_with(statuses: dict[str, str], **extra) -> dict:
    return {"checks": [{"id": i, "status": statuses.get(i, "pass")} for i in BUILTIN_IDS], **extra}


def test_scoring_follows_the_paper_minimum_of_sections():
    full = sc.build_scorecard(
        doc_with(
            {},
            model={"uri": "models:/m/1"},
            provenance={"notebook_sha256": "ab", "packages": {"x": "1"}},
            artifact={"flavor": "sklearn"},
        )
    )
    by = {s["name"]: s["score"] for s in full["sections"]}
    assert full["score"] == min(by.values())
    for s in full["sections"]:
        assert s["score"] == s["reach"]  # every check ran: each test earns what it can reach
    assert full["counts"]["auto"] + full["counts"]["partial"] + full["counts"]["none"] == 28


def test_skipped_or_crashed_checks_earn_nothing():
    card = sc.build_scorecard(
        doc_with({"reproducibility.fresh_kernel": "skip", "contract.holdout": "error"})
    )
    tests = {t["key"]: t for s in card["sections"] for t in s["tests"]}
    assert tests["data-1"]["state"] == "none"  # schema: contract.holdout crashed
    assert tests["infrastructure-1"]["state"] == "partial"  # rerun ran, fresh_kernel skipped
    assert tests["infrastructure-1"]["not_run"] == ["reproducibility.fresh_kernel"]
    assert tests["infrastructure-7"]["state"] == "none"  # no registered model URI
    assert tests["data-6"]["state"] == "none" and "feature" in tests["data-6"]["manual"]
    card = sc.build_scorecard(doc_with({"performance.slices": "skip"}))
    tests = {t["key"]: t for s in card["sections"] for t in s["tests"]}
    assert tests["model-6"]["state"] == "none" and "slice" in tests["model-6"]["manual"]
    # a failing check still counts: the test was carried out
    card = sc.build_scorecard(doc_with({"contract.holdout": "fail"}))
    assert (
        next(t for s in card["sections"] for t in s["tests"] if t["key"] == "data-1")["points"]
        == 1.0
    )


def test_interpretation_bands():
    assert sc.interpret(0).startswith("More of a research project")
    assert sc.interpret(0.5).startswith("Not totally untested")
    assert sc.interpret(2.5).startswith("Reasonably tested")
    assert sc.interpret(6).startswith("Exceptional")


@pytest.mark.parametrize(
    "name, code", [("ready", 0), ("not_ready", 1), ("error", 2), ("hostile", 1)]
)
def test_cli_report_rerenders_and_exits_with_the_verdict(tmp_path, capsys, name, code):
    out = tmp_path / name
    shutil.copytree(FIXTURES / name, out)
    assert main(["report", str(out)]) == code
    assert (out / "report.html").stat().st_size > 0 and (out / "summary.md").stat().st_size > 0
    assert "report.html" in capsys.readouterr().out


def test_cli_report_missing_or_invalid(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "readiness.json").write_text("{not json")
    assert main(["report", str(tmp_path)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    (tmp_path / "readiness.json").write_text(json.dumps({"verdict": "maybe", "checks": []}))
    assert main(["report", str(tmp_path)]) == 2
    assert "unknown verdict" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


def test_failed_notebook_run_leaves_report_and_survives_a_rendering_bug(tmp_path, monkeypatch):
    from jupyter_mlready import notebook_run
    from jupyter_mlready.policy import Policy

    facts = {
        "ok": False,
        "notebook": "nb.ipynb",
        "cell_index": 2,
        "ename": "NameError",
        "evalue": "name 'x' is not defined",
        "seconds": 1.0,
    }
    result = notebook_run._failed_run(
        tmp_path / "nb.ipynb",
        tmp_path,
        facts,
        Policy(),
        "defaults",
        "nb",
        "cell 2 raised NameError",
    )
    assert result.verdict == "error"
    assert "cell 2 raised NameError" in (tmp_path / "report.html").read_text()
    assert "reproducibility.rerun" in (tmp_path / "summary.md").read_text()

    def broken(*args, **kwargs):
        raise RuntimeError("template exploded")

    monkeypatch.setattr("jupyter_mlready.report.render.write_reports", broken)
    out = tmp_path / "again"
    result = notebook_run._failed_run(
        tmp_path / "nb.ipynb", out, facts, Policy(), "defaults", "nb", "boom"
    )
    saved = json.loads((out / "readiness.json").read_text())
    assert saved["verdict"] == "error" and "template exploded" in saved["report_error"]


def test_importing_the_report_package_does_not_import_jinja2():
    code = (
        "import sys, jupyter_mlready.report, jupyter_mlready.pipeline; "
        "print('jinja2' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_templates_are_found_from_the_source_tree():
    from jupyter_mlready.report.render import template_dirs

    assert any(
        (d / "report.html.j2").is_file() and (d / "summary.md.j2").is_file()
        for d in template_dirs()
    )
