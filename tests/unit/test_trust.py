"""Trust: what may load from a registry (``registry.trust``), the local policy as the floor of
an artifact's policy, bundles that load without executing code, and a regenerated test file that
runs nothing from around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from jupyter_mlready.policy import Policy, policy_from_dict
from jupyter_mlready.registry.trust import (
    UntrustedArtifactError,
    floor_policy,
    inspect_folder,
    load_folder,
    read_model_format,
    registry_trusted,
)

SERVER = "http://registry.example:5000"
LOCAL = "sqlite:////tmp/project/.mlready/mlruns.db"
URI = "models:/credit/3"


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    return X, (X["a"] + rng.normal(size=200) > 0).astype(int)


def _save_sklearn(model, path: Path, serialization: str, trusted=None) -> Path:
    import mlflow.sklearn

    mlflow.sklearn.save_model(
        model,
        str(path),
        serialization_format=serialization,
        skops_trusted_types=trusted,
        pip_requirements=[],
    )
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory, xy):
    """Real MLflow model folders: skops (default types only; a type from the installed
    scikit-learn), cloudpickle, pickle, and our pyfunc wrapper (cloudpickle)."""
    import mlflow.pyfunc
    import skops.io as sio

    from jupyter_mlready.registry.pyfunc_wrapper import PredictWrapper

    X, y = xy
    root = tmp_path_factory.mktemp("models")
    linear = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    hgb = HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    hgb_types = sio.get_untrusted_types(data=sio.dumps(hgb))
    assert hgb_types  # TreePredictor: beyond skops' defaults, on our list
    mlflow.pyfunc.save_model(
        str(root / "pyfunc"), python_model=PredictWrapper(linear), pip_requirements=[]
    )
    return {
        "skops": _save_sklearn(linear, root / "skops", "skops"),
        "skops_hgb": _save_sklearn(hgb, root / "skops_hgb", "skops", hgb_types),
        "cloudpickle": _save_sklearn(linear, root / "cloudpickle", "cloudpickle"),
        "pickle": _save_sklearn(linear, root / "pickle", "pickle"),
        "pyfunc": root / "pyfunc",
    }


# -- the decision: each serialization x trusted / untrusted registry x allow_pickle ---------------
@pytest.mark.parametrize(
    "kind,serialization,safe",
    [
        ("skops", "skops", True),
        ("skops_hgb", "skops", True),
        ("cloudpickle", "cloudpickle", False),
        ("pickle", "pickle", False),
        ("pyfunc", "cloudpickle", False),
    ],
)
def test_each_serialization_from_trusted_and_untrusted_registries(
    folders, kind, serialization, safe
):
    folder = folders[kind]
    fmt, local = inspect_folder(folder, URI, LOCAL)
    assert fmt.serialization == serialization
    assert local.allowed and local.registry_trusted  # the local store: everything loads

    _, listed = inspect_folder(folder, URI, SERVER, trusted_registries=(SERVER + "/",))
    assert listed.allowed and "trusted_registries" in listed.reason

    _, server = inspect_folder(folder, URI, SERVER)
    assert server.allowed is safe and not server.registry_trusted
    if safe:
        assert server.loader == "skops" and server.remedy is None
    else:
        assert server.reason == (
            f"loading {URI} unpickles a {serialization} file ({fmt.file}): that runs code "
            f"from the registry {SERVER}"
        )
        assert server.remedy == (
            f"Add '{SERVER}' to trusted_registries in your local policy (mlready.toml or "
            "[tool.mlready] in pyproject.toml), or pass --allow-pickle."
        )
        with pytest.raises(UntrustedArtifactError) as info:
            load_folder(folder, fmt, server)
        assert "--allow-pickle" in str(info.value) and info.value.serialization == serialization

    _, allowed = inspect_folder(folder, URI, SERVER, allow_pickle=True)
    assert allowed.allowed and "allow_pickle" in allowed.reason


def test_what_will_load_is_stated(folders):
    _, trust = inspect_folder(folders["skops_hgb"], URI, SERVER)
    assert trust.trusted_types == (
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    )
    assert trust.line.startswith(f"{URI} loads with flavor sklearn, serialization skops, ")
    assert "TreePredictor" in trust.line and "not the artifact's" in trust.line
    refused = inspect_folder(folders["pyfunc"], URI, SERVER)[1]
    assert refused.line.startswith(f"{URI} NOT loaded (flavor python_function, ")
    assert refused.to_dict()["remedy"] in refused.line


def test_skops_from_an_untrusted_registry_loads_with_our_list(folders, xy):
    fmt, trust = inspect_folder(folders["skops_hgb"], URI, SERVER)
    model, how = load_folder(folders["skops_hgb"], fmt, trust)
    assert "jupyter_mlready's trusted types" in how
    assert model.predict(xy[0]).shape == (len(xy[0]),)


def test_a_type_trusted_only_by_the_artifacts_mlmodel_file_is_refused(tmp_path, xy):
    """skops' ``trusted`` list is read from the artifact's own MLmodel file: MLflow would load
    this model (the file says json.loads is trusted); we do not, from an untrusted registry."""
    X, y = xy
    model = make_pipeline(FunctionTransformer(json.loads), LogisticRegression())
    model.steps[1][1].fit(X, y)
    folder = _save_sklearn(model, tmp_path / "m", "skops", ["json.loads"])
    fmt, trust = inspect_folder(folder, URI, SERVER)
    assert fmt.claimed_types == ("json.loads",)
    assert not trust.allowed and "json.loads" in trust.reason
    assert "only the artifact's own MLmodel file vouches for" in trust.reason
    assert "--allow-pickle" in trust.remedy
    with pytest.raises(UntrustedArtifactError):
        load_folder(folder, fmt, trust)
    # from the local store, the artifact's own list applies, as MLflow does it
    assert inspect_folder(folder, URI, LOCAL)[1].trusted_types == ("json.loads",)


def test_bundled_code_and_unknown_formats_need_trust():
    sk = read_model_format(
        "flavors:\n  sklearn:\n    serialization_format: skops\n    pickled_model: model.skops\n"
        "    code: code\n"
    )
    assert sk.runs_code and "imports the Python code bundled with it (code/)" in (sk.what_runs(URI))
    xgb = read_model_format(
        "flavors:\n  python_function: {loader_module: mlflow.xgboost, data: model.ubj}\n"
        "  xgboost: {data: model.ubj, model_class: xgboost.sklearn.XGBClassifier, "
        "model_format: ubj}\n"
    )
    assert (xgb.flavor, xgb.serialization, xgb.runs_code) == ("xgboost", "native", False)
    odd = read_model_format("flavors:\n  python_function: {loader_module: evil.loader, data: x}\n")
    assert odd.serialization == "unknown" and odd.runs_code
    lgb = read_model_format(
        "flavors:\n  lightgbm: {data: model.pkl, model_class: lightgbm.sklearn.LGBMClassifier, "
        "serialization_format: cloudpickle}\n"
    )
    assert lgb.serialization == "cloudpickle"


def test_which_registries_are_trusted():
    assert registry_trusted("sqlite:////abs/.mlready/mlruns.db")[0]
    assert registry_trusted("/abs/model-folder")[0]
    assert not registry_trusted("http://127.0.0.1:5000")[0]
    assert not registry_trusted("databricks")[0]
    assert registry_trusted("HTTP://Registry.example:5000/", (SERVER,))[0]
    ok, why = registry_trusted("http://user:secret@host:5000")
    assert not ok and "secret" not in why


# -- the local policy is the floor -------------------------------------------------------------
def test_an_artifacts_policy_tightens_but_never_loosens():
    local = policy_from_dict(
        {
            "latency_p95_ms": 50.0,
            "thresholds": {"classification": {"roc_auc": 0.70}, "regression": {"rmse": 5.0}},
            "monotonic_increasing": ["age"],
        }
    )
    logged = {
        "latency_p95_ms": 100000.0,  # looser: ignored
        "overlap_fail": 0.5,  # looser: ignored
        "drift_psi_fail": 0.2,  # tighter
        "strict": True,  # tighter
        "clear_rejection": "pass",  # looser: ignored
        "interval_level": 0.99,  # tighter
        "thresholds": {
            "classification": {"roc_auc": 0.5, "average_precision": 0.3},
            "regression": {"rmse": 10.0, "r2": 0.4},
        },
        "monotonic_increasing": ["income"],
        "seed": 7,  # a fact of the artifact: taken (the local policy left it at its default)
        "not_a_key": 1,
    }
    merged, notes = floor_policy(local, logged)
    assert merged.latency_p95_ms == 50.0 and merged.overlap_fail == Policy().overlap_fail
    assert merged.drift_psi_fail == 0.2 and merged.strict is True
    assert merged.clear_rejection == "warn" and merged.interval_level == 0.99
    assert merged.thresholds["classification"] == {"roc_auc": 0.70, "average_precision": 0.3}
    assert merged.thresholds["regression"] == {"rmse": 5.0, "r2": 0.4}  # rmse is a maximum
    assert merged.monotonic_increasing == ("age", "income") and merged.seed == 7
    text = "\n".join(notes)
    assert "latency_p95_ms: the artifact's 100000.0 ignored" in text
    assert "thresholds.classification.roc_auc: the artifact's 0.5 ignored" in text
    assert "not_a_key: ignored" in text


def test_an_artifact_cannot_extend_trust_or_waive():
    local = policy_from_dict({"trusted_registries": ["http://ours:5000"]})
    logged = {
        "trusted_registries": ["http://evil:5000"],
        "allow_pickle": True,
        "waive": [
            {"check": "latency", "reason": "x", "owner": "y", "expires": "2999-01-01"},
        ],
    }
    merged, notes = floor_policy(local, logged)
    assert merged.trusted_registries == ("http://ours:5000",)
    assert merged.allow_pickle is False and merged.waive == ()
    assert sum("local policy only" in n for n in notes) == 3


def test_the_default_floor_of_a_model_without_probabilities():
    """The local default roc_auc floor is balanced_accuracy >= 0.55 for a model without
    predict_proba (Policy.threshold_for): the artifact's own balanced_accuracy tightens that."""
    logged = {"thresholds": {"classification": {"balanced_accuracy": 0.6}}}
    merged, _ = floor_policy(Policy(), logged, has_proba=False)
    assert merged.threshold_for("classification", has_proba=False) == {"balanced_accuracy": 0.6}


# -- the validation kernel: trust from the caller only; bundles execute no code -------------------
def _bundle(tmp_path: Path, policy: Policy) -> Path:
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.registry.bundle import write_bundle
    from jupyter_mlready.stages.discover import discover

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (X["a"] > 0).astype(int)
    ns = {
        "model": LogisticRegression().fit(X[:200], y[:200]),
        "X_train": X[:200],
        "y_train": y[:200],
        "X_test": X[200:].copy(),
        "y_test": y[200:],
    }
    s = discover(ns)
    return write_bundle(s, infer_contract(s, policy), policy, tmp_path).path


def test_a_bundle_never_holds_a_pickle_and_an_old_pickled_frame_is_refused(tmp_path):
    from jupyter_mlready.registry.bundle import _read_frame, _write_frame, load_bundle

    # a column parquet cannot store (it used to make the whole frame a pickle): JSON beside it
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "note": [1, "x", None, 2.5]})
    written = _write_frame(frame, tmp_path / "f.parquet")
    assert [p.name for p in written] == ["f.parquet", "f.mixed.json"]
    back = _read_frame(tmp_path / "f.parquet")
    assert list(back.columns) == ["a", "note"] and list(back["note"]) == [1, "x", None, 2.5]
    assert list(_read_frame(_write_frame(frame[["note"]], tmp_path / "g.parquet")[0])["note"]) == [
        1,
        "x",
        None,
        2.5,
    ]
    # a bundle written by an older version: a frame as a pickle
    root = _bundle(tmp_path / "b", Policy())
    assert not list(root.rglob("*.pkl"))
    hold = load_bundle(root).holdout.X
    (root / "data" / "holdout.parquet").unlink()
    hold.to_pickle(root / "data" / "holdout.pkl")
    with pytest.raises(UntrustedArtifactError) as info:
        load_bundle(root, source=SERVER)
    assert "holdout.pkl" in str(info.value) and SERVER in str(info.value)
    assert load_bundle(root, allow_pickle=True).holdout.rows == 100


@pytest.fixture
def kernel_env(monkeypatch):
    """Validation sets MLFLOW_TRACKING_URI for its kernel: restored after the test."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", os.environ.get("MLFLOW_TRACKING_URI", ""))


def test_the_kernel_takes_trust_from_the_caller_never_from_the_bundle(tmp_path, kernel_env):
    from jupyter_mlready.validation.execute import _policy_overrides
    from jupyter_mlready.validation.kernel_api import Validation

    logged = policy_from_dict({"allow_pickle": True, "trusted_registries": ["http://evil:1"]})
    root = _bundle(tmp_path, logged)
    v = Validation(URI, str(root), str(tmp_path / "r" / "results.json"), tracking_uri=SERVER)
    assert v.trust.allow_pickle is False and v.trust.trusted_registries == ()
    assert v.policy.allow_pickle is False and v.policy.trusted_registries == ()
    # the caller's local policy always travels, even where it equals the bundle's
    overrides = _policy_overrides(Policy(), root)
    assert overrides["allow_pickle"] is False and overrides["trusted_registries"] == []
    local = policy_from_dict({"trusted_registries": [SERVER]})
    v = Validation(
        URI,
        str(root),
        str(tmp_path / "r" / "results.json"),
        policy_overrides=_policy_overrides(local, root),
        tracking_uri=SERVER,
    )
    assert v.trust.trusted_registries == (SERVER,)


def test_the_gate_refuses_a_pickled_model_or_champion_from_an_untrusted_registry(
    tmp_path, folders, monkeypatch, kernel_env
):
    from jupyter_mlready.checks import load_checks, run_check
    from jupyter_mlready.validation import kernel_api

    root = _bundle(tmp_path, Policy())
    served = {  # what the server at SERVER would hand over for each version
        "models:/credit/2": folders["cloudpickle"],
        "models:/credit/3": folders["pyfunc"],
        "models:/credit/4": folders["skops_hgb"],
    }
    monkeypatch.setattr(kernel_api, "download_model", lambda uri, tracking=None: served[uri])
    results = str(tmp_path / "r" / "results.json")
    v = kernel_api.Validation("models:/credit/3", str(root), results, tracking_uri=SERVER)
    facts = v.load_artifact()
    assert not facts["ok"] and facts["finding"] == "error" and v.model is None
    assert facts["remedy"] == f"Add '{SERVER}' to trusted_registries in your local policy " + (
        "(mlready.toml or [tool.mlready] in pyproject.toml), or pass --allow-pickle."
    )
    assert "unpickles a cloudpickle file" in v.ctx.load_failure["summary"]
    assert v.ctx.load_failure["repro"] is None and facts["trust"]["allowed"] is False

    v = kernel_api.Validation(
        "models:/credit/4",
        str(root),
        results,
        champion_uri="models:/credit/2",
        tracking_uri=SERVER,
    )
    facts = v.load_artifact()
    assert facts["ok"] and facts["trust"]["loader"] == "skops"
    assert v.ctx.champion is None and "or pass --allow-pickle" in v.ctx.champion_error
    spec = next(s for s in load_checks() if s.id == "performance.champion")
    champion = run_check(spec, v.ctx)
    assert champion.status == "error" and "or pass --allow-pickle" in champion.summary


def test_allow_pickle_reaches_the_validation_parameters(tmp_path, monkeypatch):
    from jupyter_mlready.cli import build_parser
    from jupyter_mlready.validation.execute import _policy_overrides

    root = _bundle(tmp_path, Policy())
    assert build_parser().parse_args(["check", "nb.ipynb", "--allow-pickle"]).allow_pickle
    assert build_parser().parse_args(["validate", URI, "--allow-pickle"]).allow_pickle
    monkeypatch.setenv("MLREADY_ALLOW_PICKLE", "1")  # what `mlready check --allow-pickle` sets
    assert _policy_overrides(Policy(), root)["allow_pickle"] is True


def test_the_test_file_is_regenerated_and_nothing_around_it_runs(tmp_path):
    """The gate writes the readiness tests itself from the bundle and runs them with no
    conftest.py and no configuration from around them."""
    from jupyter_mlready.registry.bundle import load_bundle
    from jupyter_mlready.validation.kernel_api import regenerate_tests

    bundle = load_bundle(_bundle(tmp_path, Policy()))
    out = tmp_path / "out"
    out.mkdir()
    marker = tmp_path / "conftest-ran"
    planted = f"open({str(marker)!r}, 'w').write('ran')\n"
    (out / "conftest.py").write_text(planted)
    (out / "pytest.ini").write_text("[pytest]\naddopts = -p no_such_plugin\n")
    path = regenerate_tests(bundle, Policy(), out, URI)
    assert path.parent == out / "generated_tests" and path.name == "test_credit_readiness.py"
    assert "def test_missing_values" in path.read_text()
    (path.parent / "conftest.py").write_text(planted)  # even beside the file
    (path.parent / "test_smoke.py").unlink(missing_ok=True)
    smoke = path.with_name("test_zz_smoke.py")
    smoke.write_text("def test_ok():\n    assert True\n")
    script = textwrap.dedent(
        f"""
        import json
        from pathlib import Path
        from jupyter_mlready.validation.kernel_api import run_pytest_file
        print(json.dumps(run_pytest_file(Path({str(smoke)!r}), {{}})))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=out
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["exit_code"] == 0 and result["outcomes"] == {"passed": 1}, done.stdout
    assert not marker.exists()
