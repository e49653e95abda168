"""`mlready check NOTEBOOK` end to end: real kernels via papermill, one fixture per failing
check."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MLREADY = [sys.executable, "-m", "jupyter_mlready"]


def run_check(tmp_path, notebook, *args, env=None):
    nb = tmp_path / notebook
    shutil.copy(NOTEBOOKS / notebook, nb)
    out = tmp_path / "out"
    proc = subprocess.run(
        [*MLREADY, "check", str(nb), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=env,
    )
    doc = (
        json.loads((out / "readiness.json").read_text())
        if (out / "readiness.json").exists()
        else None
    )
    return proc, doc


def statuses(doc):
    return {c["id"]: c["status"] for c in doc["checks"]}


def test_clean_notebook_is_ready_with_every_design_id(tmp_path):
    proc, doc = run_check(tmp_path, "backbone_clean.ipynb")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert doc["schema_version"] == 2 and doc["verdict"] == "ready"
    from jupyter_mlready.checks import builtin_ids

    assert set(builtin_ids()) <= set(statuses(doc))
    s = statuses(doc)
    assert s["reproducibility.rerun"] == "pass"
    for check_id in (
        "leakage.overlap",
        "leakage.target_proxy",
        "performance.baseline",
        "performance.thresholds",
        "drift.train_holdout",
    ):
        assert s[check_id] == "pass", (check_id, doc)
    assert s["contract.holdout"] in ("pass", "warn")
    assert doc["discovery"]["model"]["var"] == "model"
    assert {"discover", "contract", "total"} <= set(doc["timings"])
    # the re-run kernel let go of the notebook's data before the validation kernel loaded its
    # own copy (tests/unit/test_release.py proves nothing keeps a reference)
    assert "validation_release" in doc["timings"]
    assert doc["provenance"]["notebook_sha256"] and doc["provenance"]["packages"]["pandas"]
    assert (tmp_path / "out" / "contract.yaml").exists() and (
        tmp_path / "out" / "contract.py"
    ).exists()
    # the notebook's kernel was started ahead by the CLI: its own stderr goes to a log, not the
    # terminal
    assert (tmp_path / "out" / "notebook_kernel.log").exists()
    assert "Kernel is running over TCP" not in proc.stderr
    assert "the notebook ran in" in proc.stderr and "checking its model" in proc.stderr
    assert "running cell" not in proc.stderr  # a fast notebook: no per-cell lines


def test_a_failing_check_is_not_ready_with_exit_code_1(tmp_path):
    # the other fail_* fixtures run through the same chain in process:
    # tests/unit/test_planted_defects.py
    notebook, check_id = "fail_drift.ipynb", "drift.train_holdout"
    proc, doc = run_check(tmp_path, notebook)
    assert statuses(doc)[check_id] == "fail", json.dumps(doc["checks"], indent=1)[:3000]
    assert proc.returncode == 1 and doc["verdict"] == "not_ready"
    assert check_id in proc.stdout  # the terminal summary names the failing check


def test_a_failing_cell_fails_rerun_with_cell_and_error(tmp_path):
    proc, doc = run_check(tmp_path, "fail_rerun.ipynb")
    assert proc.returncode == 2 and doc["verdict"] == "error"
    rerun = next(c for c in doc["checks"] if c["id"] == "reproducibility.rerun")
    assert rerun["status"] == "fail"
    assert (
        rerun["evidence"]["ename"] == "NameError"
        and "selected_columns" in rerun["evidence"]["evalue"]
    )
    assert rerun["evidence"]["cell_index"] == 3 and "4th cell" in rerun["summary"]
    assert (tmp_path / "out" / "executed_notebook.ipynb").exists()  # partial evidence is kept


@pytest.mark.parametrize(
    "notebook,message",
    [
        ("no_model.ipynb", "no fitted object with a predict method"),
        ("two_models.ipynb", "Found: lr_model, rf_model. Pass --model VAR"),
    ],
)
def test_discovery_problems_exit_2_with_the_flag_to_pass(tmp_path, notebook, message):
    proc, doc = run_check(tmp_path, notebook)
    assert proc.returncode == 2
    assert message in proc.stdout
    assert doc["verdict"] == "error" and message in doc["error"]["message"]


def test_explicit_model_flag_resolves_ambiguity(tmp_path):
    proc, doc = run_check(
        tmp_path, "two_models.ipynb", "--model", "rf_model", "--train", "X_train,y_train"
    )
    assert doc["discovery"]["model"] == {"var": "rf_model", "how": "--model"}
    assert doc["verdict"] != "error" or "rf_model" not in doc.get("error", {}).get("message", "")


def test_bad_paths_exit_2(tmp_path):
    missing = subprocess.run(
        [*MLREADY, "check", str(tmp_path / "nope.ipynb")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    not_nb = subprocess.run([*MLREADY, "check", str(text)], capture_output=True, text=True)
    assert not_nb.returncode == 2 and "is not a notebook" in not_nb.stderr
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    bad = subprocess.run([*MLREADY, "check", str(broken)], capture_output=True, text=True)
    assert bad.returncode == 2 and "not a readable notebook" in bad.stderr
    usage = subprocess.run([*MLREADY, "check"], capture_output=True, text=True)
    assert usage.returncode == 2


def test_the_notebooks_own_check_cell_does_not_run_twice(tmp_path):
    import nbformat

    nb = nbformat.read(str(NOTEBOOKS / "backbone_clean.ipynb"), as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell("%load_ext jupyter_mlready\n%mlready check --out elsewhere")
    )
    nbformat.write(nb, str(tmp_path / "with_button_cell.ipynb"))
    out = tmp_path / "out"
    proc = subprocess.run(
        [*MLREADY, "check", str(tmp_path / "with_button_cell.ipynb"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (tmp_path / "elsewhere").exists()
    executed = nbformat.read(str(out / "executed_notebook.ipynb"), as_version=4)
    assert (
        "# skipped by `mlready check`: %mlready check --out elsewhere" in executed.cells[-2].source
    )


def test_a_kernel_that_dies_mid_notebook_is_an_error_with_its_log(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell(
            "import os\nos.write(2, b'last words\\n')  # the process's own stderr\n"
            "os._exit(3)  # the kernel process dies"
        ),
    ]
    path = tmp_path / "dies.ipynb"
    nbformat.write(nb, str(path))
    out = tmp_path / "out"
    proc = subprocess.run(
        [*MLREADY, "check", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    doc = json.loads((out / "readiness.json").read_text())
    assert proc.returncode == 2 and doc["verdict"] == "error", proc.stdout + proc.stderr
    rerun = next(c for c in doc["checks"] if c["id"] == "reproducibility.rerun")
    assert rerun["status"] == "fail" and "Dead" in rerun["evidence"]["ename"], rerun
    log = Path(rerun["evidence"]["kernel_log"])
    assert log == out / "notebook_kernel.log" and "last words" in log.read_text()


def test_an_unknown_kernel_is_an_error_naming_it(tmp_path):
    proc, doc = run_check(tmp_path, "backbone_clean.ipynb", "--kernel", "no-such-kernel-xyz")
    assert proc.returncode == 2 and doc["verdict"] == "error", proc.stdout + proc.stderr
    assert "no-such-kernel-xyz" in doc["error"]["message"]


PLUGIN = """
from jupyter_mlready.checks import Finding, check


@check("acme.rows")
def rows(ctx):
    \"\"\"How many hold-out rows does the artifact see?\"\"\"
    n = len(ctx.holdout.X)
    return Finding("warn", f"acme counted {n} hold-out rows", {"rows": n})
"""


def test_a_third_party_check_runs_in_the_gate_with_no_project_file_edited(tmp_path):
    """A plugin package found through the entry point: written with @check and Finding only, it
    gets its section in the validation notebook, runs there on the artifact, and appears in
    readiness.json and report.html."""
    import os

    plugins = tmp_path / "plugins"
    (plugins / "acme_checks-0.1.dist-info").mkdir(parents=True)
    (plugins / "acme_checks.py").write_text(PLUGIN)
    (plugins / "acme_checks-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-checks\nVersion: 0.1\n"
    )
    (plugins / "acme_checks-0.1.dist-info" / "entry_points.txt").write_text(
        "[jupyter_mlready.checks]\nacme.rows = acme_checks:rows\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugins), os.environ.get("PYTHONPATH", "")]),
    }
    proc, doc = run_check(tmp_path, "backbone_clean.ipynb", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    acme = next(c for c in doc["checks"] if c["id"] == "acme.rows")
    assert acme["status"] == "warn" and acme["evidence"]["rows"] > 0, acme
    executed = (tmp_path / "out" / "validation_executed.ipynb").read_text()
    assert "v.run_section('acme')" in executed and "How many hold-out rows" in executed
    html = (tmp_path / "out" / "report.html").read_text()
    assert "acme.rows" in html and "acme counted" in html
