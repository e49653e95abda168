"""The JupyterLab / jupyter_server extension is packaged and enabled by `pip install -e .`."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_mlready

ROOT = Path(__file__).resolve().parents[2]
JUPYTER = Path(sys.executable).with_name("jupyter")


def test_labextension_version_matches_the_package():
    package = json.loads((ROOT / "labextension" / "package.json").read_text())
    assert package["version"] == jupyter_mlready.__version__
    assert package["jupyterlab"]["outputDir"] == "../jupyter_mlready/labextension"


def test_entry_points():
    assert jupyter_mlready._jupyter_labextension_paths() == [
        {"src": "labextension", "dest": "jupyter-mlready"}
    ]
    assert jupyter_mlready._jupyter_server_extension_points() == [{"module": "jupyter_mlready"}]
    config = json.loads(
        (ROOT / "jupyter-config" / "server-config" / "jupyter_mlready.json").read_text()
    )
    assert config["ServerApp"]["jpserver_extensions"] == {"jupyter_mlready": True}


def test_import_stays_light():
    code = (
        "import sys, jupyter_mlready; heavy = [m for m in "
        "('tornado', 'jupyter_server', 'ipywidgets', "
        "'pandas', 'mlflow') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(
    not (ROOT / "jupyter_mlready" / "labextension" / "package.json").exists(),
    reason="the labextension is not built (pip install -e . builds it)",
)
def test_installed_and_enabled():
    def run(*args: str) -> str:
        proc = subprocess.run([str(JUPYTER), *args], capture_output=True, text=True)
        return re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)

    assert re.search(r"jupyter-mlready v0\.1\.0 enabled OK", run("labextension", "list"))
    server = run("server", "extension", "list")
    assert re.search(r"jupyter_mlready enabled", server) and re.search(
        r"jupyter_mlready 0\.1\.0 OK", server
    )
