"""The ML Test Score checks written around the policy and the artifact: the feature policy, quality
over time and staleness, the environment against the logged one; the columns found beside the
features; the scorecard recorded in readiness.json. Each check fails or warns for its reason, and
passes where it should."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from jupyter_mlready import readiness as rd
from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.contract import infer_contract
from jupyter_mlready.errors import MlreadyError
from jupyter_mlready.policy import Policy, policy_from_dict
from jupyter_mlready.records import CheckResult
from jupyter_mlready.report.scorecard import document_scorecard, scorecard_of
from jupyter_mlready.side_columns import attach_side_columns, sensitive_by_name
from jupyter_mlready.stages.discover import discover

SPECS = {s.id: s for s in load_checks()}


def run(check_id: str, ctx: CheckContext):
    return run_check(SPECS[check_id], ctx)


def frame(n: int, seed: int = 0, start: str = "2025-06-01", days: int = 365) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "amount": rng.normal(0, 1, n),
            "tenure": rng.normal(0, 1, n),
            "opened": pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days, n), unit="D"),
            "gender": rng.choice(["f", "m"], n),
        }
    )
    df["y"] = (df["amount"] + 0.5 * df["tenure"] + rng.normal(0, 0.7, n) > 0).astype(int)
    return df


def subject_of(df: pd.DataFrame, features: list[str], split: float = 0.7, by_time: bool = False):
    order = df.sort_values("opened").index if by_time else df.index
    cut = int(len(df) * split)
    tr, ho = order[:cut], order[cut:]
    X = df[features]
    model = LogisticRegression().fit(X.loc[tr].select_dtypes("number"), df.loc[tr, "y"])
    model_in = X.select_dtypes("number").columns

    class Model:  # the model reads only the numeric features
        classes_ = model.classes_

        def predict(self, frame):
            return model.predict(frame[model_in])

        def predict_proba(self, frame):
            return model.predict_proba(frame[model_in])

        def fit(self):  # discovery looks for fitted estimators
            return self

    ns = {
        "df": df,
        "model": model if list(model_in) == features else Model(),
        "X_train": X.loc[tr],
        "y_train": df.loc[tr, "y"],
        "X_test": X.loc[ho],
        "y_test": df.loc[ho, "y"],
    }
    return discover(ns), ns


def context(subject, policy: Policy | None = None, **extra) -> CheckContext:
    policy = policy or Policy()
    return CheckContext(
        model=subject.model,
        task=subject.task,
        train=subject.train,
        holdout=subject.holdout,
        contract=infer_contract(subject, policy),
        policy=policy,
        where="validation",
        **extra,
    )


# -- columns beside the features ---------------------------------------------------------------
def test_sensitive_names_are_read_from_words_not_substrings():
    found = sensitive_by_name(
        ["customer_gender", "Sex", "ageBand", "age", "essex_region", "maritalStatus", "race_time"]
    )
    assert found == ["customer_gender", "Sex", "ageBand", "maritalStatus", "race_time"]


def test_side_columns_come_from_the_frame_the_hold_out_was_split_from():
    df = frame(600)
    subject, ns = subject_of(df, ["amount", "tenure"])
    found = attach_side_columns(subject, ns, Policy())
    side = found.holdout.side
    assert list(side.columns) == [
        "opened",
        "gender",
    ]  # dates (no date feature) and a protected name
    assert side.index.equals(subject.holdout.X.index)
    assert (side["gender"] == df.loc[side.index, "gender"]).all()
    assert found.train.side is not None and len(found.train.side) == subject.train.rows
    assert found.discovery["side"]["gender"]["how"] == "column of df"


def test_sensitive_variable_by_flag_and_a_clear_error_when_it_does_not_fit():
    df = frame(400)
    subject, ns = subject_of(df, ["amount", "tenure"])
    ns = {k: v for k, v in ns.items() if k != "df"}
    ns["applicant_group"] = df.loc[subject.holdout.X.index, "gender"].to_numpy()
    found = attach_side_columns(subject, ns, Policy(), ("applicant_group",))
    assert list(found.holdout.side.columns) == ["applicant_group"]
    ns["too_short"] = np.array(["f", "m"])
    with pytest.raises(MlreadyError, match="--sensitive too_short: the variable has 2 values"):
        attach_side_columns(subject, ns, Policy(), ("too_short",))
    with pytest.raises(MlreadyError, match="no variable of that name"):
        attach_side_columns(subject, ns, Policy(), ("nowhere",))


# -- features.policy ---------------------------------------------------------------------------
def test_feature_policy_fails_on_a_forbidden_feature_and_warns_on_a_sensitive_one():
    df = frame(500)
    subject, _ = subject_of(df, ["amount", "tenure", "gender"])
    ctx = context(subject, Policy(forbidden_features=("tenu*",)))
    result = run("features.policy", ctx)
    assert result.status == "fail" and "'tenure'" in result.summary
    assert result.evidence["forbidden"] == {"tenure": ["tenu*"]}
    result = run("features.policy", context(subject, Policy()))
    assert result.status == "warn" and "'gender'" in result.summary
    assert "data-4" in result.evidence["scorecard_limits"]  # nothing declared: part of the test
    allowed = Policy(
        allowed_features=("amount", "tenure", "gender"), sensitive_features=("gender",)
    )
    result = run("features.policy", context(subject, allowed))
    assert result.status == "pass" and "scorecard_limits" not in result.evidence
    result = run("features.policy", context(subject, Policy(allowed_features=("amount",))))
    assert result.status == "fail" and "matching no allowed_features pattern" in result.summary


def test_feature_policy_passes_clean_features():
    subject, _ = subject_of(frame(300), ["amount", "tenure"])
    result = run("features.policy", context(subject, Policy(sensitive_features=("gender",))))
    assert result.status == "pass"


# -- performance.out_of_time -------------------------------------------------------------------
def drifting(n: int, seed: int = 0) -> pd.DataFrame:
    """The target's link to ``amount`` fades with time: newer rows are harder."""
    df = frame(n, seed, start="2026-01-01", days=300)
    rng = np.random.default_rng(seed + 1)
    age = (df["opened"] - df["opened"].min()).dt.days.to_numpy() / 300
    signal = df["amount"] * (1 - age) + rng.normal(0, 0.3 + age, n)
    df["y"] = (signal > 0).astype(int)
    return df


def test_out_of_time_warns_on_decay_and_says_the_split_is_out_of_time():
    df = drifting(8_000)
    subject, ns = subject_of(df, ["amount", "tenure"], by_time=False)
    subject = attach_side_columns(subject, ns, Policy())
    result = run("performance.out_of_time", context(subject))
    assert result.status == "warn", result.summary
    assert "falls from" in result.summary and result.evidence["time_column"] == "opened"
    assert result.evidence["decay"]["low"] > Policy().slice_max_drop
    assert not result.evidence["out_of_time_split"]
    assert "model-4" in result.evidence["scorecard_limits"]
    assert len(result.evidence["segments"]) == 4


def test_out_of_time_passes_a_stable_model_on_an_out_of_time_split():
    today = dt.date.today()
    df = frame(4_000, start=str(today - dt.timedelta(days=200)), days=190)
    subject, ns = subject_of(df, ["amount", "tenure", "opened"], by_time=True)
    result = run("performance.out_of_time", context(subject))
    assert result.status == "pass", result.summary
    assert result.evidence["out_of_time_split"] and "scorecard_limits" not in result.evidence
    assert result.evidence["train_range_from"].startswith("all training rows")
    assert 50 < result.evidence["data_age_days"] < 90  # the newest training row: ~67 days ago


def test_out_of_time_warns_on_stale_data_skips_without_time_and_errors_on_a_wrong_column():
    df = frame(2_000, start="2020-01-01")
    subject, _ = subject_of(df, ["amount", "tenure", "opened"], by_time=True)
    result = run("performance.out_of_time", context(subject))
    assert result.status == "warn" and "days old, more than max_data_age_days" in result.summary
    fresh = run("performance.out_of_time", context(subject, Policy(max_data_age_days=100_000)))
    assert fresh.status == "pass"
    no_time, _ = subject_of(df, ["amount", "tenure"])
    assert run("performance.out_of_time", context(no_time)).status == "skip"
    wrong = run("performance.out_of_time", context(subject, Policy(time_column="created")))
    assert wrong.status == "error" and "'created'" in wrong.summary


# -- environment.drift -------------------------------------------------------------------------
def test_environment_drift_lists_what_differs_and_passes_the_same(tmp_path):
    subject, _ = subject_of(frame(200), ["amount", "tenure"])
    import platform

    import numpy

    (tmp_path / "requirements.txt").write_text(
        f"numpy=={numpy.__version__}\nscikit-learn==0.0.1\nnot-a-real-package-xyz==1.0\n"
    )
    (tmp_path / "python_env.yaml").write_text(f"python: {platform.python_version()}\n")
    ctx = context(subject, artifact_folder=str(tmp_path), model_uri="models:/m/1")
    result = run("environment.drift", ctx)
    assert result.status == "warn"
    assert "scikit-learn 0.0.1 →" in result.summary
    assert "not-a-real-package-xyz 1.0 → not installed" in result.summary
    assert "numpy" not in result.summary
    (tmp_path / "requirements.txt").write_text(f"numpy=={numpy.__version__}\n")
    assert run("environment.drift", ctx).status == "pass"
    (tmp_path / "python_env.yaml").write_text("python: 2.7.18\n")
    result = run("environment.drift", ctx)
    assert result.status == "warn" and result.summary.split(": ", 1)[1].startswith("Python 2.7.18")
    (tmp_path / "requirements.txt").unlink()
    assert run("environment.drift", ctx).status == "error"


# -- the policy keys ---------------------------------------------------------------------------
def test_new_policy_keys_are_validated():
    assert policy_from_dict({"store_data": "reference"}).store_data == "reference"
    with pytest.raises(MlreadyError, match="store_data"):
        policy_from_dict({"store_data": "everything"})
    with pytest.raises(MlreadyError, match="must be a list"):
        policy_from_dict({"forbidden_features": "ssn"})


# -- the scorecard in readiness.json -----------------------------------------------------------
def _doc(results: list[CheckResult]) -> dict:
    return rd.build(
        results,
        model={"uri": "models:/m/1"},
        data={},
        timings={},
        provenance={"notebook_sha256": "ab", "packages": {"x": "1"}},
        policy={},
        discovery={},
        strict=False,
        extra={"artifact": {"flavor": "sklearn"}},
    )


def test_readiness_json_records_the_scorecard_and_a_check_can_limit_its_test():
    ids = [s.id for s in load_checks()]
    results = [CheckResult(i, "pass", "ok", {}) for i in ids]
    doc = _doc(results)
    card = doc["scorecard"]
    assert set(card["sections"]) == {"Data", "Model", "Infrastructure", "Monitoring"}
    assert card["score"] == min(s["points"] for s in card["sections"].values())
    assert card["total"] == sum(s["points"] for s in card["sections"].values())
    assert card["max"] == 28 and len(card["tests"]) == 28
    model4 = next(t for t in card["tests"] if t["key"] == "model-4")
    assert model4["reach"] == "auto" and model4["ran"] and model4["points"] == 1.0
    # the out-of-time check ran on a random split: half a point, and the report says why
    limited = [
        replace(r, evidence={"scorecard_limits": {"model-4": "the split is random"}})
        if "time" in r.id
        else r
        for r in results
    ]
    doc = _doc(limited)
    model4 = next(t for t in doc["scorecard"]["tests"] if t["key"] == "model-4")
    assert model4["reach"] == "partial" and model4["points"] == 0.5
    assert any("the split is random" in why for why in model4["limited"])
    # the report reads the recorded field
    rows = {t["key"]: t for s in scorecard_of(doc)["sections"] for t in s["tests"]}
    assert rows["model-4"]["state"] == "partial" and rows["model-4"]["limited"]
    skipped = [replace(r, status="skip") if "time" in r.id else r for r in results]
    model4 = next(t for t in _doc(skipped)["scorecard"]["tests"] if t["key"] == "model-4")
    assert model4["reach"] == "none" and not model4["ran"]


def test_monitor_documents_have_no_scorecard_and_document_scorecard_is_stable():
    doc = rd.build(
        [],
        model={},
        data={},
        timings={},
        provenance={},
        policy={},
        discovery={},
        strict=False,
        extra={"kind": "monitor"},
    )
    assert "scorecard" not in doc
    card = document_scorecard({"checks": []})  # nothing ran: no check earns a point
    assert all(t["points"] == 0 for t in card["tests"] if t["checks"])
    assert card["score"] == 0.0


def test_a_sensitive_attribute_named_on_the_command_line_is_declared():
    from jupyter_mlready.side_columns import with_named_sensitive

    df = frame(400)
    subject, ns = subject_of(df, ["amount", "tenure"])
    ns = {k: v for k, v in ns.items() if k != "df"}
    ns["applicant_group"] = df.loc[subject.holdout.X.index, "gender"].to_numpy()
    ns["helper"] = len  # a function of the same kind of name is never taken for data
    found = attach_side_columns(subject, ns, Policy(), ("applicant_group", "amount"))
    policy = with_named_sensitive(Policy(sensitive_features=("gender",)), found)
    assert policy.sensitive_features == ("gender", "applicant_group", "amount")
    with pytest.raises(MlreadyError, match="no variable of that name"):
        attach_side_columns(subject, ns, Policy(), ("helper",))


def test_out_of_time_reads_dates_held_as_text():
    df = frame(2_000, start="2020-01-01")
    df["opened"] = df["opened"].dt.strftime("%Y-%m-%d")  # as read from a CSV
    subject, ns = subject_of(df, ["amount", "tenure"], by_time=False)
    ctx = context(attach_side_columns(subject, ns, Policy(time_column="opened")))
    ctx.policy = Policy(time_column="opened")
    result = run("performance.out_of_time", ctx)
    assert result.status == "warn" and "days old" in result.summary, result.summary
    df["opened"] = "soon"
    subject, ns = subject_of(df, ["amount", "tenure"])
    ctx = context(attach_side_columns(subject, ns, Policy(time_column="opened")))
    ctx.policy = Policy(time_column="opened")
    result = run("performance.out_of_time", ctx)
    assert result.status == "error" and "no value that reads as a date" in result.summary


def _hkids(n: int, seed: int = 0) -> list[str]:
    from jupyter_mlready.privacy.detect import hkid_check_digit

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        letter, digits = chr(ord("A") + int(rng.integers(26))), f"{rng.integers(10**6):06d}"
        out.append(f"{letter}{digits}({hkid_check_digit(letter, digits)})")
    return out


def test_personal_data_beside_the_features_is_found_in_the_notebooks_frames():
    df = frame(500)
    df["hkid"] = _hkids(500)
    subject, ns = subject_of(df, ["amount", "tenure"])
    ctx = context(subject, namespace=ns)
    result = run("data.privacy", ctx)
    assert result.status == "warn" and "'hkid'" in result.summary, result.summary
    assert not result.evidence["columns"]["hkid"]["feature"]
    assert "hkid" in ctx.cache["personal_data"]  # findings after it are masked
    dumped = json.dumps(result.to_dict())
    assert not any(h in dumped for h in df["hkid"])


def test_notebooks_are_logged_without_outputs_when_the_data_hold_personal_data(tmp_path):
    import nbformat

    from jupyter_mlready.registry.handoff import files_to_log

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("df.head()")
    cell.outputs = [nbformat.v4.new_output("stream", text="A123456(3) jane@example.com")]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "executed_notebook.ipynb")
    (tmp_path / "readiness.json").write_text("{}")
    assert tmp_path / "executed_notebook.ipynb" in files_to_log(tmp_path)  # nothing flagged
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "subject.json").write_text(
        json.dumps({"personal_data": {"hkid": {"kind": "hk_hkid"}}})
    )
    logged = [p for p in files_to_log(tmp_path) if p.suffix == ".ipynb"]
    assert [p.name for p in logged] == ["executed_notebook.ipynb"]
    text = logged[0].read_text()
    assert "A123456(3)" not in text and "Outputs removed" in text
    assert "A123456(3)" in (tmp_path / "executed_notebook.ipynb").read_text()  # the local copy
