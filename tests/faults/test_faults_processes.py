"""Kernels and processes: a kernel that dies, a cell that hangs, Ctrl-C and SIGTERM to the CLI,
two checks racing for the alias, two checks of one notebook at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from faultkit import (
    EXIT,
    MLREADY,
    SMALL_NOTEBOOK,
    alias_holder,
    alive,
    assert_expected_error,
    check,
    check_of,
    children,
    cli,
    client,
    namespace,
    notebook,
    read_doc,
    register_dummy_version,
    versions,
    wait_for,
    write_policy,
)

pytestmark = pytest.mark.faults


def test_a_kernel_killed_mid_notebook_is_an_error_with_its_cell_and_log(tmp_path, store):
    nb = notebook(
        tmp_path / "dies.ipynb",
        SMALL_NOTEBOOK,
        "import os, signal\nos.write(2, b'last words\\n')\nos.kill(os.getpid(), signal.SIGKILL)",
    )
    before = nb.read_bytes()
    proc = cli("check", str(nb), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == EXIT["error"], proc.stdout + proc.stderr
    doc = read_doc(tmp_path / "out")
    err = assert_expected_error(doc, "rerun", "cell 1 killed the kernel", "notebook_kernel.log")
    assert "memory" in err["remedy"] and "cell 1" in err["remedy"]
    rerun = check_of(doc, "reproducibility.rerun")
    assert rerun["status"] == "fail" and "DeadKernelError" in rerun["summary"]
    assert "died" in rerun["summary"] and rerun["remedy"] == err["remedy"]
    assert "last words" in (tmp_path / "out" / "notebook_kernel.log").read_text()
    assert "Traceback" not in proc.stderr and "killed the kernel" in proc.stdout
    assert (tmp_path / "out" / "executed_notebook.ipynb").exists()  # the partial run is kept
    assert nb.read_bytes() == before and versions("dies") == {}  # nothing registered


def test_the_validation_kernel_killed_mid_check_is_an_error_and_moves_no_alias(
    tmp_path, store, monkeypatch
):
    """The gate's own fresh kernel dies while it runs the checks on the artifact."""
    import jupyter_mlready.validation.warm_kernel as warm
    from jupyter_mlready.validation.sections import validation_sections

    started = []
    real = warm.start_warm_kernel
    monkeypatch.setattr(
        warm, "start_warm_kernel", lambda *a, **k: started.append(real(*a, **k)) or started[-1]
    )
    first_checks = validation_sections()[0][0].title

    def kill_at_the_checks(stage, step, fraction):
        if stage == "validation" and step == first_checks and started[0] is not None:
            os.kill(started[0].km.provisioner.pid, signal.SIGKILL)

    result = check(namespace(), tmp_path, "dies", progress=kill_at_the_checks)
    doc = read_doc(tmp_path / "out-dies")
    assert result.exit_code == EXIT["error"] and doc["verdict"] == "error"
    err = assert_expected_error(doc, "validation", "DeadKernelError", "Kernel died")
    assert err["kernel_log"].endswith("validation_kernel.log")
    assert (tmp_path / "out-dies" / "validation_executed.ipynb").exists()  # partial evidence
    not_run = [
        c for c in doc["checks"] if "Not run: the validation notebook failed" in c["summary"]
    ]
    assert not_run and all(c["status"] == "error" for c in not_run)
    assert alias_holder() is None and versions()["1"]["mlready.verdict"] == "error"


def test_a_cell_over_the_timeout_is_stopped_and_named(tmp_path, store):
    policy = write_policy(tmp_path, "cell_timeout = 5\n")
    nb = notebook(tmp_path / "slow.ipynb", SMALL_NOTEBOOK, "import time\ntime.sleep(30)")
    t = time.monotonic()
    proc = cli(
        "check", str(nb), "--out", str(tmp_path / "out"), "--policy", str(policy), cwd=tmp_path
    )
    assert time.monotonic() - t < 25, "the 30 s cell was not stopped at 5 s"
    assert proc.returncode == EXIT["error"], proc.stdout + proc.stderr
    doc = read_doc(tmp_path / "out")
    err = assert_expected_error(doc, "rerun", "cell 1 timed out after 5 s (policy cell_timeout)")
    assert "raise cell_timeout" in err["remedy"]
    rerun = check_of(doc, "reproducibility.rerun")
    assert rerun["status"] == "fail" and "timed out after 5 s" in rerun["summary"]
    assert "cell 1 timed out" in proc.stdout and "Traceback" not in proc.stderr
    assert versions("slow") == {}


def _cell_status(executed: Path, index: int) -> str | None:
    """papermill's status of code cell ``index`` in the executed notebook it keeps saving."""
    try:
        cells = json.loads(executed.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        return None
    code = [c for c in cells if c.get("cell_type") == "code"]
    if index >= len(code):
        return None
    return code[index].get("metadata", {}).get("papermill", {}).get("status")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_cli_promptly_kills_its_kernels_and_says_error(tmp_path, store, sig):
    nb = notebook(tmp_path / "long.ipynb", SMALL_NOTEBOOK, "import time\ntime.sleep(120)")
    before = nb.read_bytes()
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [str(MLREADY), "check", str(nb), "--out", str(out)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    kernels: set[int] = set()
    try:
        # the fresh kernel runs the notebook: the executed copy exists, the sleeping cell started
        assert wait_for(lambda: (out / "executed_notebook.ipynb").exists(), 60)
        assert wait_for(lambda: bool(children(proc.pid)), 30)
        assert wait_for(lambda: _cell_status(out / "executed_notebook.ipynb", 1) == "running", 60)
        time.sleep(0.5)
        kernels = children(proc.pid)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # Ctrl-C: the terminal signals the foreground group
        else:
            proc.send_signal(sig)  # `kill PID`, a CI runner cancelling the job
        t = time.monotonic()
        stdout, stderr = proc.communicate(timeout=30)
        assert time.monotonic() - t < 10, "the CLI did not stop promptly"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == EXIT["error"], stdout + stderr
    name = "SIGINT (Ctrl-C)" if sig == signal.SIGINT else "SIGTERM"
    assert f"interrupted by {name}" in stderr and "Traceback" not in stderr
    assert wait_for(lambda: not alive(kernels), 10), f"kernels left running: {alive(kernels)}"
    doc = read_doc(out)
    err = assert_expected_error(doc, "interrupted", f"Interrupted by {name}", "(cell 1)")
    assert "nothing was handed off" in err["message"] and err["fields"]["signal"] == name
    assert {c["status"] for c in doc["checks"]} == {"error"}
    assert versions("long") == {} and nb.read_bytes() == before


def test_another_check_moving_the_alias_since_the_comparison_is_refused(
    tmp_path, store, monkeypatch
):
    """Two checks race for the alias: after this one compared against the holder (none yet),
    another check's version takes the alias before this one registers its own."""
    import jupyter_mlready.stages.checks as stage

    real = stage.check_notebook
    taken = {}

    def another_check_hands_off_meanwhile(*args, **kw):
        taken["version"] = register_dummy_version(alias="ready")
        return real(*args, **kw)

    monkeypatch.setattr(stage, "check_notebook", another_check_hands_off_meanwhile)
    result = check(namespace(), tmp_path, "race")
    doc = read_doc(tmp_path / "out-race")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "gate", f"moved to version {taken['version']}")
    assert "compared against version (none)" in err["message"] and "Re-run" in err["message"]
    assert alias_holder() == taken["version"]  # the other check's hand-off stands
    ours = doc["model"]["version"]
    assert ours != taken["version"] and versions()[ours]["mlready.verdict"] == "error"
    assert check_of(doc, "reproducibility.fresh_kernel")["status"] == "pass"  # evidence kept


def test_another_check_moving_the_alias_during_the_hand_off_is_not_overwritten(tmp_path, store):
    """The holder is read once more right before the move; the version says what happened."""
    from jupyter_mlready.registry.artifact import ArtifactRecord
    from jupyter_mlready.registry.handoff import deliver, plan_hand_off
    from jupyter_mlready.registry.packaging import Packaging
    from jupyter_mlready.registry.store import ensure_experiment, resolve_store

    champion = register_dummy_version(alias="ready")
    ours = register_dummy_version()
    c = client()
    run = c.create_run(ensure_experiment(c, resolve_store()))
    record = ArtifactRecord(
        "faults",
        ours,
        run.info.run_id,
        "",
        run.info.experiment_id,
        resolve_store(),
        Packaging("sklearn", "skops", "", ""),
        (),
        {},
        champion_uri=f"models:/faults/{champion}",
    )
    plan = plan_hand_off(record, "ready", "ready")
    assert plan.move and plan.previous_holder == champion
    other = register_dummy_version(alias="ready")  # another check's hand-off, in between
    (tmp_path / "readiness.json").write_text("{}")
    failed = deliver(record, plan, "ready", [], tmp_path)
    assert failed is not None and failed["stage"] == "hand_off"
    assert f"moved to version {other} during the hand-off" in failed["message"]
    assert alias_holder() == other
    tags = versions()[ours]
    assert (
        tags["mlready.verdict"] == "error"
        and "during the hand-off" in tags["mlready.hand_off_failed"]
    )


def test_two_checks_of_one_notebook_at_once_the_second_is_refused_and_loses_nothing(
    tmp_path, store
):
    """Both pick the default --out. The first holds it until the second has been refused (its
    notebook waits for a file the test writes, then stops with an error of its own, so the case
    stays short); the second writes nothing there."""
    nb = notebook(
        tmp_path / "twice.ipynb",
        SMALL_NOTEBOOK,
        "import os, time\nwhile not os.path.exists('go'):\n    time.sleep(0.1)\n"
        "raise RuntimeError('the first check stops here')",
    )
    out = tmp_path / "mlready-out" / "twice"
    first = subprocess.Popen(
        [str(MLREADY), "check", str(nb)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: (out / "executed_notebook.ipynb").exists(), 60)
        second = cli("check", str(nb), cwd=tmp_path, timeout=120)
        assert first.poll() is None, "the first check ended before the second started"
        (tmp_path / "go").touch()
        stdout, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert second.returncode == EXIT["error"], second.stdout + second.stderr
    assert f"Another mlready check (pid {first.pid}" in second.stderr
    assert "Wait for it to finish, or pass --out" in second.stderr
    assert "Traceback" not in second.stderr and second.stdout == ""
    doc = read_doc(out)  # the first check's document, whole
    assert first.returncode == EXIT["error"], stdout + stderr
    assert_expected_error(doc, "rerun", "the first check stops here")
    assert versions("twice") == {} and alias_holder("twice") is None


def test_a_check_into_a_folder_in_use_is_refused_in_process(tmp_path, store):
    """The magic's path (check_namespace): the folder another check holds is not written."""
    from jupyter_mlready.errors import OutputError
    from jupyter_mlready.notebooks import hold_out_dir

    out = tmp_path / "out-busy"
    out.mkdir()
    (out / "readiness.json").write_text('{"verdict": "ready"}')  # the other check's result
    held, release = threading.Event(), threading.Event()

    def other_check():
        with hold_out_dir(out):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=other_check)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(OutputError, match="is writing to") as info:
            check(namespace(), tmp_path, "busy")
    finally:
        release.set()
        thread.join()
    assert info.value.reason == "busy" and str(os.getpid()) in str(info.value)
    assert (out / "readiness.json").read_text() == '{"verdict": "ready"}'
    assert versions() == {}


def test_an_interrupt_after_the_results_were_written_keeps_them_and_says_error(tmp_path):
    """Ctrl-C during the hand-off (the check cell wrote readiness.json, the alias may be moving):
    the findings stay, the verdict becomes error, and the message says to look at the registry."""
    from jupyter_mlready import readiness as rd
    from jupyter_mlready.errors import Interrupted
    from jupyter_mlready.notebook_run import _interrupted
    from jupyter_mlready.pipeline import CheckOptions
    from jupyter_mlready.records import CheckResult
    from jupyter_mlready.stages.report import write_document

    out = tmp_path / "out"
    done = rd.build(
        [CheckResult("acme.rows", "pass", "All rows.")],
        model={"name": "nb"},
        data={},
        timings={},
        provenance={},
        policy={"source": "defaults", "values": {"registry_alias": "ready"}},
        discovery={},
        strict=False,
    )
    write_document(done, out)
    where = {"started": time.time() - 3, "cell": 2, "checking": True, "cleared": True}
    _interrupted(
        tmp_path / "nb.ipynb", out, CheckOptions(out=str(out)), Interrupted("SIGTERM"), where
    )
    doc = read_doc(out)
    err = assert_expected_error(doc, "interrupted", "Interrupted by SIGTERM", "(verdict ready)")
    assert "possibly during the hand-off" in err["message"] and "'ready' alias" in err["message"]
    assert check_of(doc, "acme.rows")["status"] == "pass"  # the findings are kept
