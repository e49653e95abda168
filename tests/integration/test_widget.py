"""The result of ``%mlready check`` stays readable where widgets cannot render."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jupyter_mlready.widget import WIDGET_MIME

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "notebooks" / "ui_small.ipynb"
LABELS = {"ready": "Ready", "not_ready": "Not ready", "error": "Error"}


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The fixture notebook plus a ``%mlready check`` cell, executed once by papermill."""
    import papermill as pm

    folder = tmp_path_factory.mktemp("widget")
    nb = nbformat.read(str(FIXTURE), as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            f"%load_ext jupyter_mlready\n%mlready check --out {folder / 'out'}"
        )
    )
    nbformat.write(nb, str(folder / "in.ipynb"))
    out = pm.execute_notebook(
        str(folder / "in.ipynb"),
        str(folder / "out.ipynb"),
        kernel_name="python3",
        cwd=str(folder),
        progress_bar=False,
    )
    verdict = json.loads((folder / "out" / "readiness.json").read_text())["verdict"]
    return out, verdict


def test_papermill_output_keeps_html_and_text(executed):
    nb, verdict = executed
    outputs = nb.cells[-1].outputs
    bundles = [
        o["data"] for o in outputs if o.get("output_type") in ("display_data", "execute_result")
    ]
    assert len(bundles) == 1, outputs  # one view, no duplicate Out[]
    data = bundles[0]
    assert WIDGET_MIME in data  # the live view in JupyterLab ...
    html = data["text/html"]
    assert (
        f'data-verdict="{verdict}"' in html and f"mlready: {LABELS[verdict]}" in html
    )  # ... the HTML rendition
    assert data["text/plain"].startswith(
        f"mlready: {verdict.upper().replace('_', ' ')}"
    )  # ... and text
    assert "checking readiness" not in data["text/plain"]  # the progress placeholder was replaced
    assert html.count('class="mlready-check"') == len(
        json.loads(
            Path(nb.cells[-1].source.split("--out ")[1].strip(), "readiness.json").read_text()
        )["checks"]
    )


def test_nbconvert_html_shows_the_verdict(executed):
    """nbconvert renders the saved widget state (JS) when there is one, else the HTML rendition."""
    from nbconvert import HTMLExporter

    nb, verdict = executed
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json")
    if state:  # the saved state holds the final view, verdict included
        assert any(
            f'data-verdict="{verdict}"' in str(m.get("state", {}).get("value", ""))
            for m in state["state"].values()
        )
    nb.metadata.pop("widgets", None)  # e.g. saved by JupyterLab without widget state
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert f'data-verdict="{verdict}"' in body


def test_plain_ipython_prints_the_summary(tmp_path):
    """No widget front end: the text summary is printed (an empty namespace fails fast, in
    discover)."""
    code = f"%load_ext jupyter_mlready\n%mlready check --out {tmp_path / 'out'}"
    ipython = Path(sys.executable).with_name("ipython")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [str(ipython), "--colors=nocolor", "--no-banner", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "mlready: ERROR" in proc.stdout and "error in discover" in proc.stdout
    assert WIDGET_MIME not in proc.stdout and "VBox" not in proc.stdout
    assert json.loads((tmp_path / "out" / "readiness.json").read_text())["verdict"] == "error"
