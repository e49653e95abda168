"""The result of ``%mlready check`` stays readable where widgets cannot render."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jupyter_mlready.widget import WIDGET_MIME

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
FIXTURE = NOTEBOOKS / "ui_small.ipynb"


def fixture_code() -> str:
    nb = nbformat.read(str(FIXTURE), as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_papermill_output_keeps_html_and_text(tmp_path):
    import papermill as pm

    nb = nbformat.read(str(FIXTURE), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"%load_ext jupyter_mlready\n%mlready check --out {tmp_path / 'out'}"))
    src, dst = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(nb, str(src))
    executed = pm.execute_notebook(str(src), str(dst), kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    outputs = executed.cells[-1].outputs
    bundles = [o["data"] for o in outputs if o.get("output_type") in ("display_data", "execute_result")]
    assert len(bundles) == 1, outputs  # one view, no duplicate Out[]
    data = bundles[0]
    assert WIDGET_MIME in data  # the live view in JupyterLab ...
    assert 'data-verdict="ready"' in data["text/html"] and "mlready: Ready" in data["text/html"]  # ... and HTML
    assert data["text/plain"].startswith("mlready: READY")  # ... and text
    assert "checking readiness" not in data["text/plain"]  # the progress placeholder was replaced
    assert (tmp_path / "out" / "readiness.json").exists()


def test_nbconvert_html_shows_the_verdict(tmp_path):
    """nbconvert renders the saved widget state (JS) when there is one, else the HTML rendition."""
    import papermill as pm
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(FIXTURE), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"%load_ext jupyter_mlready\n%mlready check --out {tmp_path / 'out'}"))
    nbformat.write(nb, str(tmp_path / "in.ipynb"))
    executed = pm.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
                                   cwd=str(tmp_path), progress_bar=False)
    state = executed.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json")
    if state:  # the saved state holds the final view, verdict included
        assert any('data-verdict="ready"' in str(m.get("state", {}).get("value", ""))
                   for m in state["state"].values())
    executed.metadata.pop("widgets", None)  # e.g. saved by JupyterLab without widget state
    body, _ = HTMLExporter().from_notebook_node(executed)
    assert 'data-verdict="ready"' in body and "mlready: Ready" in body


def test_plain_ipython_prints_the_summary(tmp_path):
    code = fixture_code() + f"\n%load_ext jupyter_mlready\n%mlready check --out {tmp_path / 'out'}"
    ipython = Path(sys.executable).with_name("ipython")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([str(ipython), "--colors=nocolor", "--no-banner", "-c", code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "mlready: READY" in proc.stdout and "7 pass" not in proc.stderr
    assert WIDGET_MIME not in proc.stdout and "VBox" not in proc.stdout
