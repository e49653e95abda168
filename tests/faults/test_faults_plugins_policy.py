"""Plugins and policy: a third-party check that raises, one that returns garbage, one that does
not import; a policy file that is not TOML, an unknown key or metric, a bad value."""

from __future__ import annotations

import math

import pytest
from faultkit import (
    EXIT,
    SMALL_NOTEBOOK,
    assert_expected_error,
    check,
    check_of,
    cli,
    namespace,
    notebook,
    offline_check,
    read_doc,
    versions,
)

from jupyter_mlready.checks import CheckContext, Finding, run_check
from jupyter_mlready.checks import check as register
from jupyter_mlready.policy import Policy

pytestmark = pytest.mark.faults

PLUGIN = '''
from jupyter_mlready.checks import Finding, check


@check("acme.explodes")
def explodes(ctx):
    """Does the plugin survive the hold-out?"""
    raise RuntimeError("acme could not reach its licence server")


@check("acme.fine")
def fine(ctx):
    """A plugin that works, beside the broken ones."""
    return Finding("pass", f"acme saw {len(ctx.holdout.X)} rows")


def not_a_check(ctx):
    return Finding("pass", "never registered")
'''


def install_plugin(folder, monkeypatch, entry_points: str, source: str = PLUGIN) -> None:
    """A plugin package found through the entry-point group, as pip would install it."""
    (folder / "acme_checks-0.1.dist-info").mkdir(parents=True)
    (folder / "acme_checks.py").write_text(source)
    (folder / "acme_checks-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-checks\nVersion: 0.1\n"
    )
    (folder / "acme_checks-0.1.dist-info" / "entry_points.txt").write_text(
        f"[jupyter_mlready.checks]\n{entry_points}"
    )
    monkeypatch.syspath_prepend(str(folder))


def test_a_plugin_that_raises_is_an_error_naming_it_and_the_others_still_run(tmp_path, monkeypatch):
    install_plugin(
        tmp_path / "plugins",
        monkeypatch,
        "acme.explodes = acme_checks:explodes\nacme.fine = acme_checks:fine\n",
    )
    result = offline_check(namespace(), tmp_path, "raises", monkeypatch)
    doc = read_doc(tmp_path / "out-raises")
    assert result.exit_code == EXIT["error"]
    boom = check_of(doc, "acme.explodes")
    assert boom["status"] == "error"
    assert "RuntimeError: acme could not reach its licence server" in boom["summary"]
    assert "blocks the gate" in boom["remedy"]
    err = assert_expected_error(doc, "checks", "acme.explodes", "licence server")
    assert err["fields"]["checks"] == ["acme.explodes"]
    assert check_of(doc, "acme.fine")["status"] == "pass"
    assert check_of(doc, "performance.baseline")["status"] == "pass"  # the built-ins ran


@pytest.mark.parametrize(
    "entry, says",
    [
        ("acme.missing = acme_checks_gone:check", "ModuleNotFoundError"),
        ("acme.plain = acme_checks:not_a_check", "does not point to a function decorated"),
    ],
    ids=["does-not-import", "not-a-check"],
)
def test_a_plugin_that_does_not_load_is_an_error_not_dropped(tmp_path, monkeypatch, entry, says):
    install_plugin(tmp_path / "plugins", monkeypatch, entry + "\n")
    result = offline_check(namespace(), tmp_path, "load", monkeypatch)
    doc = read_doc(tmp_path / "out-load")
    assert result.exit_code == EXIT["error"]
    broken = check_of(doc, entry.split(" = ")[0])
    assert broken["status"] == "error" and says in broken["summary"]
    assert_expected_error(doc, "checks", "could not decide", says)


GARBAGE = {
    "None": None,
    "a string": "pass",
    "an unknown status": Finding("great", "all good"),
    "a status only the gate may set": Finding("waived", "trust me"),
    "no summary": Finding("pass", None),  # type: ignore[arg-type]
    "a number as summary": Finding("warn", 42),  # type: ignore[arg-type]
    "a list as evidence": Finding("pass", "ok", [1, 2]),  # type: ignore[arg-type]
    "a number as repro": Finding("fail", "bad", {}, repro=7),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("returned", list(GARBAGE), ids=list(GARBAGE))
def test_a_plugin_returning_garbage_is_an_error_saying_what_is_wrong(returned):
    @register("acme.garbage")
    def garbage(ctx):
        """Returns what it should not."""
        return GARBAGE[returned]

    result = run_check(
        garbage.__mlready_check__, CheckContext(None, "classification", None, None, None, Policy())
    )
    assert result.status == "error", result
    assert result.summary.startswith("The check returned an invalid result: ")
    assert "Finding(status, summary" in result.remedy
    assert isinstance(result.evidence, dict) and "returned" in result.evidence


def test_odd_but_valid_evidence_from_a_plugin_is_kept_as_text():
    """Values JSON cannot hold (a function, a frame, NaN, infinity) are written as text."""
    import numpy as np
    import pandas as pd

    from jupyter_mlready import readiness as rd

    @register("acme.odd")
    def odd(ctx):
        """Evidence of every kind."""
        ev = {"f": len, "frame": pd.DataFrame({"a": [1]}), "nan": math.nan, 3: np.inf}
        return Finding("pass", "odd evidence", ev)

    result = run_check(
        odd.__mlready_check__, CheckContext(None, "classification", None, None, None, Policy())
    )
    assert result.status == "pass"
    doc = rd.build(
        [result],
        model={},
        data={},
        timings={},
        provenance={},
        policy=None,
        discovery={},
        strict=False,
    )
    ev = doc["checks"][0]["evidence"]
    assert ev["nan"] == "nan" and ev["3"] == "inf" and "built-in function len" in ev["f"]


# --------------------------------------------------------------------------------- the policy


@pytest.mark.parametrize(
    "policy, says",
    [
        ("strict = tru\n", "is not valid TOML"),
        ("latency_budget = 20\n", "unknown policy key(s) latency_budget. Known keys:"),
        ("[thresholds.classification]\nauc = 0.8\n", "unknown classification metric(s)"),
        ("[thresholds.ranking]\nndcg = 0.5\n", "unknown task thresholds.ranking"),
        ('cell_timeout = "soon"\n', "'cell_timeout' must be a number"),
        ("interval_level = 2\n", "'interval_level' must be in [0.5, 1)"),
        ('[[waive]]\ncheck = "latency"\nreason = "slow"\n', "needs owner, expires"),
    ],
    ids=[
        "not-toml",
        "unknown-key",
        "unknown-metric",
        "unknown-task",
        "wrong-type",
        "range",
        "waiver",
    ],
)
def test_an_invalid_policy_stops_the_check_with_the_fix(tmp_path, store, policy, says):
    path = tmp_path / "bad.toml"
    path.write_text(policy)
    result = check(namespace(), tmp_path, "policy", policy_file=str(path))
    doc = read_doc(tmp_path / "out-policy")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "policy", str(path), says)
    assert err["type"] == "PolicyError"
    assert {c["status"] for c in doc["checks"]} == {"error"}
    assert versions() == {}  # nothing was logged


def test_a_missing_policy_file_is_named(tmp_path, store):
    result = check(namespace(), tmp_path, "nofile", policy_file=str(tmp_path / "nope.toml"))
    doc = read_doc(tmp_path / "out-nofile")
    assert result.exit_code == EXIT["error"]
    assert_expected_error(doc, "policy", "nope.toml does not exist", "--policy")


def test_an_unknown_key_in_pyproject_found_on_its_own_is_an_error_from_the_cli(tmp_path, store):
    """No --policy: the project's [tool.mlready] is found, and refused before the notebook runs;
    readiness.json says so (the notebook never ran)."""
    (tmp_path / "pyproject.toml").write_text("[tool.mlready]\nroc_auc = 0.8\n")
    nb = notebook(tmp_path / "nb.ipynb", SMALL_NOTEBOOK)
    proc = cli("check", str(nb), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == EXIT["error"], proc.stdout + proc.stderr
    doc = read_doc(tmp_path / "out")
    err = assert_expected_error(doc, "policy", "unknown policy key(s) roc_auc", "pyproject.toml")
    assert "thresholds" in err["message"]  # the known keys are listed
    assert "error in policy: " in proc.stdout and "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "executed_notebook.ipynb").exists()  # it never ran
    assert versions("nb") == {}
