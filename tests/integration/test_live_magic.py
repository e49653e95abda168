"""``%mlready check`` from a live kernel hands off only what a fresh re-run reproduces (issue 14.1).

A real kernel started the way JupyterLab starts it (``JPY_SESSION_NAME`` in its environment) runs
the notebook's cells, then ``%mlready check``: the saved notebook is re-executed in a fresh kernel
and its model must predict what the live model predicts. Then the live model is changed behind
the notebook's back (hidden state): the next check fails the re-run and the alias stays where it
was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.integration

CELLS = [
    "import numpy as np, pandas as pd\n"
    "from sklearn.impute import SimpleImputer\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.pipeline import make_pipeline\n"
    "from sklearn.model_selection import train_test_split",
    "rng = np.random.default_rng(7)\n"
    "X = pd.DataFrame({'age': rng.integers(18, 80, 1200).astype(float),\n"
    "                  'income': rng.normal(50, 15, 1200)})\n"
    "y = ((X['age'] - 45) / 10 + rng.normal(0, 1, 1200) > 0).astype(int)\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)",
    "clf = make_pipeline(SimpleImputer(), LogisticRegression()).fit(X_train, y_train)",
]


class LiveKernel:
    """A kernel with a JupyterLab-like session environment, driven cell by cell."""

    def __init__(self, folder: Path, session_name: str):
        from jupyter_client.manager import start_new_kernel

        env = {**os.environ, "JPY_SESSION_NAME": session_name}
        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(folder), env=env)

    def run(self, code: str, timeout: float = 600) -> list[str]:
        texts: list[str] = []

        def keep(msg):
            content = msg["content"]
            if msg["msg_type"] == "stream":
                texts.append(content["text"])
            elif msg["msg_type"] == "error":
                texts.append("\n".join(content["traceback"]))

        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=keep)
        assert reply["content"]["status"] == "ok", "".join(texts)
        return texts

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def live(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.cells.append(nbformat.v4.new_code_cell("%load_ext jupyter_mlready\n%mlready check"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "live_model.ipynb"
    nbformat.write(nb, str(path))
    # JupyterLab gives the path relative to the server's root (here: the tmp folder's parent)
    kernel = LiveKernel(tmp_path, f"{tmp_path.name}/{path.name}")
    try:
        for code in CELLS:
            kernel.run(code)
        kernel.run("%load_ext jupyter_mlready")
        yield kernel, tmp_path
    finally:
        kernel.close()


def _alias_version(name: str) -> str | None:
    from mlflow import MlflowClient

    try:
        return MlflowClient().get_model_version_by_alias(name, "ready").version
    except Exception:
        return None


def test_live_check_reruns_the_saved_notebook_and_refuses_hidden_state(live):
    kernel, folder = live
    kernel.run(f"_r = %mlready check --out {folder / 'out1'}")
    doc = json.loads((folder / "out1" / "readiness.json").read_text())
    rerun = next(c for c in doc["checks"] if c["id"] == "reproducibility.rerun")
    assert rerun["status"] == "pass", rerun["summary"]
    assert "reproduces the live model's" in rerun["summary"]
    assert rerun["evidence"]["live"]["ok"] is True
    assert rerun["evidence"]["live"]["predict_rows_differ"] == 0
    assert doc["verdict"] == "ready", [
        (c["id"], c["summary"]) for c in doc["checks"] if c["status"] in ("fail", "error")
    ]
    name = doc["model"]["name"]
    first = _alias_version(name)
    assert first is not None and str(doc["model"]["version"]) == str(first)

    # hidden state: the live model is refitted on other rows; the saved notebook says otherwise
    kernel.run(
        "clf = make_pipeline(SimpleImputer(), LogisticRegression(C=0.01))"
        ".fit(X_train[:300], y_train[:300])"
    )
    kernel.run(f"_r = %mlready check --out {folder / 'out2'}")
    doc = json.loads((folder / "out2" / "readiness.json").read_text())
    rerun = next(c for c in doc["checks"] if c["id"] == "reproducibility.rerun")
    assert rerun["status"] == "fail"
    assert "does not reproduce the live kernel's model" in rerun["summary"]
    assert rerun["evidence"]["live"]["predict_rows_differ"] > 0 or (
        rerun["evidence"]["live"]["max_proba_diff"] > 1e-6
    )
    assert doc["verdict"] == "not_ready"
    assert _alias_version(name) == first  # the alias did not move


def test_without_the_notebook_file_nothing_is_handed_off(tmp_path):
    kernel = LiveKernel(tmp_path, "")  # plain kernel: no session path
    try:
        for code in CELLS:
            kernel.run(code)
        kernel.run("%load_ext jupyter_mlready")
        kernel.run(f"_r = %mlready check --name no_file_model --out {tmp_path / 'out'}")
        # the check ran in the user's kernel: their variables are all still there
        kept = kernel.run("print(X_train.shape, type(clf).__name__)")
        assert "(840, 2) Pipeline" in "".join(kept)
    finally:
        kernel.close()
    doc = json.loads((tmp_path / "out" / "readiness.json").read_text())
    rerun = next(c for c in doc["checks"] if c["id"] == "reproducibility.rerun")
    assert rerun["status"] == "error"
    assert "No hand-off without a fresh re-run" in rerun["summary"]
    assert "mlready check" in rerun["remedy"]
    assert doc["verdict"] == "error"
    assert "validation_release" not in doc["timings"]
    assert _alias_version("no_file_model") is None
