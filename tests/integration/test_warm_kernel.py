"""The validation kernel started ahead (validation.warm_kernel), with a real kernel process."""

import os
import time

from jupyter_mlready.kernels import blocking_client
from jupyter_mlready.validation.warm_kernel import (
    KERNEL_LOG,
    model_modules,
    start_warm_kernel,
    warm_up_code,
)


def _run(km, code: str) -> str:
    client = blocking_client(km)
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        out = []
        client.execute_interactive(
            code,
            timeout=120,
            output_hook=lambda m: (
                out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None
            ),
        )
        return "".join(out)
    finally:
        client.stop_channels()


def test_the_kernel_imports_ahead_in_an_empty_folder_and_dies_at_shutdown(tmp_path, monkeypatch):
    notebook_dir = tmp_path / "project"
    notebook_dir.mkdir()
    (notebook_dir / "local_helpers.py").write_text("VALUE = 1\n")  # notebook-local code
    monkeypatch.chdir(notebook_dir)
    warm = start_warm_kernel(tmp_path / "out", extra_modules=("local_helpers", "sklearn.pipeline"))
    assert warm is not None
    folder = warm.cwd
    time.sleep(5)  # the pipeline hands the kernel over seconds later, after logging the artifact
    warm.release_client()  # as execute_validation does before papermill connects
    seen = _run(
        warm.km,
        "import os, sys\n"
        "print(os.getcwd(), sorted(os.listdir('.')), 'mlflow' in sys.modules,\n"
        "      'sklearn.pipeline' in sys.modules, 'local_helpers' in sys.modules)\n"
        "try:\n    import local_helpers\nexcept ImportError as e:\n    print('fresh:', e)\n",
    )
    # the queued imports ran before this request; notebook-local code is still not importable
    assert seen.split()[:5] == [os.path.realpath(folder), "[]", "True", "True", "False"], seen
    assert "fresh: No module named 'local_helpers'" in seen
    # the imported modules' objects are frozen out of the collector's sight
    # (hypothesis's gc.collect)
    assert int(_run(warm.km, "import gc; print(gc.get_freeze_count())").strip()) > 100_000
    assert (tmp_path / "out" / KERNEL_LOG).exists()  # the kernel's stderr is kept, not printed
    pid = warm.km.provisioner.process.pid
    warm.shutdown()
    warm.shutdown()  # idempotent
    time.sleep(0.2)
    assert not warm.km.has_kernel and not os.path.exists(folder)
    assert (
        not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
    )


def test_a_kernel_that_cannot_start_gives_none(tmp_path):
    assert start_warm_kernel(tmp_path, kernel_name="no-such-kernel-xyz") is None


def test_model_modules_and_warm_up_code():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    model = Pipeline(
        [
            ("prep", ColumnTransformer([("num", StandardScaler(), ["a"])])),
            ("clf", LogisticRegression()),
        ]
    )
    found = model_modules(model)
    assert {
        "sklearn.pipeline",
        "sklearn.compose._column_transformer",
        "sklearn.preprocessing._data",
        "sklearn.linear_model._logistic",
    } <= set(found)
    code = warm_up_code(found)
    compile(code, "<warm>", "exec")  # valid Python; failures inside are swallowed by design
    assert "sklearn.pipeline" in code and "mlflow.MlflowClient" not in code  # no store access


def test_the_notebook_kernel_starts_the_validation_kernel_before_its_cells(tmp_path):
    """``mlready check`` and ``%mlready``'s fresh re-run start the validation kernel from the
    notebook's kernel before the first cell (issue 19), so its imports overlap with the cells;
    the cells see no name of it, and the check's discover stage takes that kernel."""
    from jupyter_mlready.kernels import start_notebook_kernel

    nb = tmp_path / "nb.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    out = tmp_path / "out"
    ahead = start_notebook_kernel(nb, out, "python3")
    assert ahead is not None and ahead.cwd == str(tmp_path)
    try:
        ahead.release_client()
        seen = _run(
            ahead.km,
            "from jupyter_mlready.validation import warm_kernel\n"
            "print(sorted(n for n in globals() if 'mlready' in n))\n"
            "print(list(warm_kernel._EARLY))\n"
            "early = warm_kernel._EARLY[next(iter(warm_kernel._EARLY))]\n"
            "taken = warm_kernel.start_warm_kernel("
            f"{str(out)!r}, extra_modules=('sklearn.pipeline',))\n"
            "print(taken is early, early.km.is_alive(), warm_kernel._EARLY)\n",
        )
    finally:
        ahead.shutdown()
    lines = seen.split("\n")
    assert lines[0] == "[]", seen  # no name of the check's in the cells' namespace
    assert lines[1] == str([str(out.resolve())]), seen
    assert lines[2] == "True True {}", seen
    assert (out / KERNEL_LOG).exists()
    assert start_notebook_kernel(tmp_path / "script.py", out, "python3") is None


def test_an_early_kernel_that_died_is_replaced(tmp_path):
    from jupyter_mlready.validation import warm_kernel

    warm_kernel.start_early(tmp_path)
    early = warm_kernel._EARLY[str(tmp_path.resolve())]
    early.km.shutdown_kernel(now=True)
    fresh = start_warm_kernel(tmp_path, extra_modules=("json",))
    try:
        assert fresh is not None and fresh is not early and fresh.km.is_alive()
        assert not warm_kernel._EARLY
    finally:
        if fresh is not None:
            fresh.shutdown()
