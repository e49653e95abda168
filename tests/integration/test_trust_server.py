"""Against a live ``mlflow server``: a pickle-based model is not loaded by ``mlready validate``
unless the local policy trusts that server or ``--allow-pickle`` is passed, and nothing from the
run's ``tests/`` folder (a planted conftest.py) ever runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MLREADY = str(Path(sys.executable).with_name("mlready"))
NAME = "trust_pickled"
LATENCY = "latency_p95_ms = 100000.0\n"  # the machine is shared: latency is not the subject here


def _mlready(*args, url: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": url}
    env.pop("MLREADY_ALLOW_PICKLE", None)
    return subprocess.run(
        [MLREADY, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=900
    )


def _pickled_notebook(path: Path) -> Path:
    """validation_clean with one function defined in the notebook: stored with cloudpickle."""
    nb = nbformat.read(str(NOTEBOOKS / "validation_clean.ipynb"), as_version=4)
    last = nb.cells[-1]
    last.source = (
        "from sklearn.preprocessing import FunctionTransformer\n\n"
        "def passthrough(frame):  # defined in the notebook: skops cannot store it\n"
        "    return frame\n\n"
        + last.source.replace(
            "model = Pipeline([",
            'model = Pipeline([\n    ("same", FunctionTransformer(passthrough)),',
        )
    )
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def registered(mlflow_server, tmp_path_factory):
    """Version 1 of a cloudpickle model on the server (the check trusts the server in its own
    policy), with a conftest.py planted in the run's tests/ folder."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("trust")
    url = mlflow_server.url
    (root / "check.toml").write_text(LATENCY + f"trusted_registries = [{url!r}]\n")
    nb = _pickled_notebook(root / f"{NAME}.ipynb")
    proc = _mlready(
        "check", str(nb), "--out", str(root / "out"), "--policy", "check.toml", url=url, cwd=root
    )
    doc = json.loads((root / "out" / "readiness.json").read_text())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert doc["artifact"]["serialization"] == "cloudpickle"
    assert doc["validation"]["load"]["trust"]["registry_trusted"] is True
    marker = root / "conftest-ran"
    planted = root / "plant" / "conftest.py"
    planted.parent.mkdir()
    planted.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    client = MlflowClient(url, url)
    run_id = client.get_model_version(NAME, "1").run_id
    client.log_artifact(run_id, str(planted), artifact_path="tests")
    assert "tests/conftest.py" in {f.path for f in client.list_artifacts(run_id, "tests")}
    (root / "local.toml").write_text(LATENCY)  # the CI job's own policy: no trusted registries
    return {"root": root, "url": url, "marker": marker}


def test_validate_refuses_a_pickle_from_an_untrusted_server_then_allow_pickle_loads_it(
    registered,
):
    root, url = registered["root"], registered["url"]
    uri = f"models:/{NAME}/1"
    refused = _mlready(
        "validate", uri, "--out", str(root / "refused"), "--policy", "local.toml", url=url, cwd=root
    )
    said = refused.stdout + refused.stderr
    assert refused.returncode == 2, said
    assert f"loading {uri} unpickles a cloudpickle file" in said
    assert f"that runs code from the registry {url}" in said
    assert (
        f"Add '{url}' to trusted_registries in your local policy (mlready.toml or "
        "[tool.mlready] in pyproject.toml), or pass --allow-pickle." in said
    )
    doc = json.loads((root / "refused" / "readiness.json").read_text())
    assert doc["verdict"] == "error" and "--allow-pickle" in doc["error"]["remedy"]
    assert doc["validation"]["load"]["trust"]["allowed"] is False

    allowed = _mlready(
        "validate",
        uri,
        "--out",
        str(root / "allowed"),
        "--policy",
        "local.toml",
        "--allow-pickle",
        url=url,
        cwd=root,
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "serialization cloudpickle" in allowed.stderr and "allow_pickle" in allowed.stderr
    doc = json.loads((root / "allowed" / "readiness.json").read_text())
    assert doc["verdict"] == "ready"
    smoke = doc["validation"]["generated_tests"]  # regenerated here, not the run's tests/
    assert smoke["ran"] and "generated_tests" in smoke["path"] and smoke["exit_code"] == 0
    assert not (root / "allowed" / "tests").exists()
    assert not registered["marker"].exists(), "a conftest.py from the registry ran"
