"""Shared pieces of the fault-injection suite: data, runs, and the assertions every case makes.

Every case checks what the user is promised when something goes wrong:

- a clear message naming the cause (``error_of`` / ``check_of`` and specific words);
- the documented exit code (0 ready, 1 not ready, 2 error: ``EXIT``);
- a readiness.json in ``--out`` that is valid against the JSON Schema (``read_doc``), with
  ``error.traceback`` absent for the failures we expect (``assert_expected_error``);
- the registry alias untouched unless the verdict is ready (``alias_holder``);
- nothing lost (the user's notebook byte for byte, the partial evidence kept).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from jsonschema import Draft202012Validator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from stagekit import FRESH_RERUN, in_process_validation, swap_stages

import jupyter_mlready
from jupyter_mlready.pipeline import CheckOptions, check_namespace

ROOT = Path(__file__).resolve().parents[2]
MLREADY = Path(sys.executable).with_name("mlready")
EXIT = {"ready": 0, "not_ready": 1, "error": 2}
#: small and fast: 10 examples per property, no latency budget to miss on a busy machine
FAST_POLICY = "latency_p95_ms = 100000.0\nproperty_examples = 10\n"
SCHEMA = json.loads(
    (Path(jupyter_mlready.__file__).parent / "schema" / "readiness.schema.json").read_text()
)

SMALL_NOTEBOOK = (
    "import numpy as np, pandas as pd\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "rng = np.random.default_rng(0)\n"
    "X = pd.DataFrame({'a': rng.normal(size=400), 'b': rng.normal(size=400)})\n"
    "y = (X['a'] + rng.normal(scale=0.5, size=400) > 0).astype(int)\n"
    "X_train, X_test, y_train, y_test = X[:300], X[300:], y[:300], y[300:]\n"
    "model = LogisticRegression().fit(X_train, y_train)\n"
)


# --------------------------------------------------------------------------------------- data


def frames(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Two informative numeric features and a binary target."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = pd.Series((X["a"] + rng.normal(scale=0.5, size=n) > 0).astype(int), name="label")
    return X, y


def fitted(X: pd.DataFrame, y: pd.Series, model=None, split: int = 300) -> dict:
    """A notebook namespace: ``model`` fitted on the first ``split`` rows, the rest held out."""
    model = model if model is not None else make_pipeline(SimpleImputer(), LogisticRegression())
    model.fit(X.iloc[:split], y.iloc[:split])
    return {
        "model": model,
        "X_train": X.iloc[:split],
        "y_train": y.iloc[:split],
        "X_test": X.iloc[split:],
        "y_test": y.iloc[split:],
    }


def namespace(seed: int = 0) -> dict:
    """The clean case: a scaled logistic regression that is ready under FAST_POLICY."""
    X, y = frames(seed=seed)
    return fitted(X, y, make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression()))


# --------------------------------------------------------------------------------------- runs


def options(tmp: Path, tag: str, **kw) -> CheckOptions:
    kw.setdefault("policy_file", str(write_policy(tmp)))
    kw.setdefault("name", "faults")
    kw.setdefault("rerun", FRESH_RERUN)
    kw.setdefault("out", str(tmp / f"out-{tag}"))
    return CheckOptions(**kw)


def write_policy(tmp: Path, extra: str = "", name: str = "policy.toml") -> Path:
    path = tmp / name
    path.write_text(FAST_POLICY + extra)
    return path


def check(ns: dict, tmp: Path, tag: str, progress=None, **kw):
    """The whole check in-process, as the check cell of ``mlready check`` runs it."""
    return check_namespace(ns, options(tmp, tag, **kw), progress)


def notebook(path: Path, *cells: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def cli(*args: str, cwd: Path, timeout: float = 300, env: dict | None = None):
    """``mlready ARGS`` as a user runs it."""
    return subprocess.run(
        [str(MLREADY), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


# --------------------------------------------------------------------------------- assertions


def read_doc(out: Path) -> dict:
    """readiness.json in ``out``, valid against the published JSON Schema."""
    doc = json.loads((Path(out) / "readiness.json").read_text())
    errors = list(Draft202012Validator(SCHEMA).iter_errors(doc))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    return doc


def assert_expected_error(doc: dict, stage: str, *words: str) -> dict:
    """Verdict error from ``stage``, a message holding every one of ``words``, and no traceback:
    a failure we expected is explained, not dumped."""
    assert doc["verdict"] == "error", doc.get("error")
    err = doc["error"]
    assert err["stage"] == stage, err
    for word in words:
        assert word in err["message"], (word, err["message"])
    assert "traceback" not in err, err.get("traceback", "")[-2000:]
    return err


def check_of(doc: dict, check_id: str) -> dict:
    return next(c for c in doc["checks"] if c["id"] == check_id)


def crashed(doc: dict) -> list[tuple[str, str]]:
    """Checks that crashed (a bug, or a case the check does not handle)."""
    return [
        (c["id"], c["summary"][:300])
        for c in doc["checks"]
        if c["summary"].startswith(("The check crashed", "The check returned an invalid"))
    ]


def client():
    from jupyter_mlready.registry.store import client_for, resolve_store

    return client_for(resolve_store())


def alias_holder(name: str = "faults", alias: str = "ready") -> str | None:
    """The version holding ``alias`` (None: no version, or no model of that name)."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def versions(name: str = "faults") -> dict[str, dict]:
    """version -> its tags (empty when nothing is registered)."""
    found = client().search_model_versions(f"name='{name}'")
    return {str(v.version): dict(v.tags) for v in found}


def register_dummy_version(name: str = "faults", alias: str | None = None) -> str:
    """A version registered by 'someone else' (a source that is never loaded), maybe holding
    ``alias``: what another check leaves in the registry."""
    c = client()
    from mlflow.exceptions import MlflowException

    try:
        c.create_registered_model(name)
    except MlflowException:
        pass
    mv = c.create_model_version(
        name, source="/nonexistent/model", tags={"mlready.verdict": "ready"}
    )
    if alias:
        c.set_registered_model_alias(name, alias, mv.version)
    return str(mv.version)


# ---------------------------------------------------------------------------------- processes


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (until someone binds it)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc: kernels start in their own sessions, so process
    groups do not find them)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The ``pids`` still running (zombies count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def wait_for(predicate, timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


# ------------------------------------------------------------------- the chain without MLflow


def offline_check(ns: dict, tmp: Path, tag: str, monkeypatch, **kw):
    """The real chain, with the two MLflow-bound stages replaced by local equivalents, for the
    data-shape cases (about 2 s instead of 10): the artifact stage writes the evidence bundle
    but logs nothing, and the validation stage reads that bundle back and runs the gate's
    checks on it exactly as the validation notebook does (``stagekit.in_process_validation``),
    with the in-memory model instead of the one MLflow would load in a fresh kernel. Nothing is
    registered, so nothing can be handed off."""
    from jupyter_mlready.registry.bundle import write_bundle

    def artifact(run):
        cache = run.notebook_checks.context.cache
        write_bundle(run.subject, run.contract, run.policy, run.out, cache=cache)
        return run

    swap_stages(monkeypatch, artifact=artifact, validation=in_process_validation)
    return check(ns, tmp, tag, **kw)
