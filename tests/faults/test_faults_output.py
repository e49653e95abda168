"""The output folder and the disk: an --out that cannot be created, and a full disk.

CI runs as root, where permissions stop nothing: a path under a regular file cannot be created,
and files linked to /dev/full fail every write with ENOSPC, exactly like a full disk. Where
readiness.json itself cannot be written, the promise becomes: exit 2 and a message naming the
file and the reason on stderr (the CLI has nowhere else to put it), no traceback, and nothing
handed off.
"""

from __future__ import annotations

import os

import pytest
from faultkit import (
    EXIT,
    SMALL_NOTEBOOK,
    alias_holder,
    check,
    cli,
    namespace,
    notebook,
    options,
    read_doc,
    versions,
)

from jupyter_mlready.errors import OutputError

pytestmark = pytest.mark.faults

FULL = "/dev/full"
#: every file a check writes in --out before and when it reports (written atomically: the
#: temporary files are the ones written)
WRITTEN = (
    "executed_notebook.ipynb",
    "notebook_kernel.log",
    "readiness.json.tmp",
    "report.html.tmp",
    "summary.md.tmp",
)


def fill(out, names=WRITTEN) -> None:
    """Make ``out`` behave like a full disk for ``names``."""
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        os.symlink(FULL, out / name)


def test_an_out_under_a_regular_file_is_a_clear_error_before_anything_runs(tmp_path, store):
    nb = notebook(tmp_path / "nb.ipynb", SMALL_NOTEBOOK)
    before = nb.read_bytes()
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    out = tmp_path / "notes.txt" / "out"
    proc = cli("check", str(nb), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == EXIT["error"], proc.stdout + proc.stderr
    assert f"mlready: error: Cannot write {out}" in proc.stderr
    assert "is a file, not a folder" in proc.stderr and "pass --out" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert nb.read_bytes() == before and versions("nb") == {}
    assert (tmp_path / "notes.txt").read_text() == "a file, not a folder"


def test_an_out_under_a_regular_file_in_process_raises_the_same_error(tmp_path, store):
    from jupyter_mlready.pipeline import check_namespace

    (tmp_path / "notes.txt").write_text("x")
    out = tmp_path / "notes.txt" / "out"
    with pytest.raises(OutputError, match="is a file, not a folder") as info:
        check_namespace(namespace(), options(tmp_path, "x", out=str(out)))
    assert info.value.path == str(out) and versions() == {}


def test_a_full_disk_on_out_stops_the_cli_with_exit_2_and_the_reason(tmp_path, store):
    nb = notebook(tmp_path / "nb.ipynb", SMALL_NOTEBOOK)
    before = nb.read_bytes()
    out = tmp_path / "out"
    fill(out)
    proc = cli("check", str(nb), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == EXIT["error"], proc.stdout + proc.stderr
    assert f"Cannot write {out / 'readiness.json'}: the disk is full" in proc.stderr
    assert "No space left on device" in proc.stderr and "Traceback" not in proc.stderr
    assert nb.read_bytes() == before and versions("nb") == {}


def test_a_disk_full_when_reporting_hands_nothing_off_even_a_ready_model(tmp_path, store):
    """The model is ready and logged, but its readiness.json cannot be written: the alias must
    not move to a version whose result nobody can read."""
    out = tmp_path / "out-full"
    fill(out, ("readiness.json.tmp",))
    with pytest.raises(OutputError, match="the disk is full") as info:
        check(namespace(), tmp_path, "full")
    assert info.value.path == str(out / "readiness.json") and info.value.exit_code == 2
    assert alias_holder() is None
    assert versions()["1"]["mlready.verdict"] == "pending"  # logged, never handed off
    # the evidence computed before the disk filled is still there
    assert (out / "bundle" / "subject.json").exists()
    assert (out / "validation_executed.ipynb").exists()


def test_reports_on_a_full_disk_keep_readiness_json_and_say_so(tmp_path):
    """report.html and summary.md are renderings: when they cannot be written, readiness.json
    still is, with the reason, and the terminal summary says so."""
    from jupyter_mlready import readiness as rd
    from jupyter_mlready.records import CheckResult
    from jupyter_mlready.stages.report import write_document

    out = tmp_path / "out"
    fill(out, ("report.html.tmp", "summary.md.tmp"))
    doc = rd.build(
        [CheckResult("acme.rows", "pass", "All rows.")],
        model={"name": "m"},
        data={},
        timings={},
        provenance={},
        policy=None,
        discovery={},
        strict=False,
    )
    result = write_document(doc, out)
    on_disk = read_doc(out)
    assert on_disk["verdict"] == "ready" and "No space left on device" in on_disk["report_error"]
    text = result.summary_text()
    assert "report.html / summary.md could not be written" in text and "report.html:" not in text
