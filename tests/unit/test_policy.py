import pytest

from jupyter_mlready.errors import PolicyError
from jupyter_mlready.policy import Policy, load_policy, policy_from_dict


def test_defaults_are_documented_and_in_force(tmp_path):
    policy, source = load_policy(None, tmp_path)
    assert source == "defaults" and policy == Policy()
    assert policy.threshold_for("classification") == {"roc_auc": 0.65}
    assert policy.threshold_for("classification", has_proba=False) == {"balanced_accuracy": 0.55}


def test_pyproject_section_is_found_from_a_subfolder(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.mlready]\nstrict = true\n[tool.mlready.thresholds.regression]\nr2 = 0.8\n"
    )
    sub = tmp_path / "notebooks"
    sub.mkdir()
    policy, source = load_policy(None, sub)
    assert policy.strict and policy.threshold_for("regression") == {"r2": 0.8}
    assert source.endswith("pyproject.toml")


def test_mlready_toml_and_explicit_file(tmp_path):
    (tmp_path / "mlready.toml").write_text("latency_p95_ms = 10\n")
    assert load_policy(None, tmp_path)[0].latency_p95_ms == 10.0
    f = tmp_path / "strict.toml"
    f.write_text("[tool.mlready]\noverlap_fail = 0.5\n")
    assert load_policy(f, tmp_path)[0].overlap_fail == 0.5


def test_unknown_keys_and_bad_values_are_clear_errors(tmp_path):
    with pytest.raises(PolicyError, match="unknown policy key.*latency_ms"):
        policy_from_dict({"latency_ms": 3})
    with pytest.raises(PolicyError, match="must be a number"):
        policy_from_dict({"drift_psi_fail": "high"})
    bad = tmp_path / "bad.toml"
    bad.write_text("strict = \n")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "missing.toml")


def test_a_policy_section_applies_to_the_notebooks_it_names(tmp_path):
    from jupyter_mlready.policy import load_policy

    (tmp_path / "mlready.toml").write_text(
        'forbidden_features = ["*_id"]\n'
        '[notebooks."claims_*.ipynb"]\n'
        'sensitive_features = ["gender"]\n'
        '[notebooks."house.ipynb"]\n'
        "latency_p95_ms = 20.0\n"
    )
    claims, source = load_policy(None, tmp_path / "claims_fraud.ipynb")
    assert claims.sensitive_features == ("gender",) and claims.forbidden_features == ("*_id",)
    assert source.endswith('[notebooks."claims_*.ipynb"]')
    house, _ = load_policy(None, tmp_path / "house.ipynb")
    assert house.sensitive_features == () and house.latency_p95_ms == 20.0
    folder, source = load_policy(None, tmp_path)  # no notebook: the top-level keys only
    assert folder.sensitive_features == () and source == str(tmp_path / "mlready.toml")
    (tmp_path / "mlready.toml").write_text('[notebooks."other.ipynb"]\nlatency_p95 = 1\n')
    with pytest.raises(PolicyError, match=r'\[notebooks."other.ipynb"\]: unknown policy key'):
        load_policy(None, tmp_path / "claims.ipynb")  # a typo in any section is an error now
