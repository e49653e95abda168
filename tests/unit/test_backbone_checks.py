"""The backbone's statistical checks on in-process data: each passes when it should and fails
when it should."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.contract import infer_contract
from jupyter_mlready.policy import Policy
from jupyter_mlready.profile import build_profile, compare_feature
from jupyter_mlready.stages.discover import discover


def _run(check_id, ns, policy=None):
    policy = policy or Policy()
    s = discover(ns)
    ctx = CheckContext(s.model, s.task, s.train, s.holdout, infer_contract(s, policy), policy)
    spec = next(sp for sp in load_checks() if sp.id == check_id)
    return run_check(spec, ctx)


def _classification(n=3000, seed=0, proxy=False, strong=False):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    # strong: 'a' is very predictive, and 'b' carries real signal of its own
    y = X["a"] * (8 if strong else 1) + X["b"] * (3 if strong else 0) + rng.normal(size=n) > 0
    y = y.astype(int)
    if proxy:
        X["leak"] = np.where(rng.random(n) < 0.003, 1 - y, y)
    cut = int(n * 0.7)
    return {
        "model": LogisticRegression().fit(X[:cut], y[:cut]),
        "X_train": X[:cut],
        "X_test": X[cut:],
        "y_train": y[:cut],
        "y_test": y[cut:],
    }


def test_target_proxy_fails_on_a_leak_but_not_on_a_strong_legitimate_feature():
    assert _run("leakage.target_proxy", _classification(proxy=True)).status == "fail"
    strong = _run("leakage.target_proxy", _classification(strong=True))
    # ROC AUC about 0.96: very predictive, not deterministic -> a warning to confirm, never a
    # proxy failure
    assert strong.status == "warn", strong.summary
    assert strong.evidence["top_features"][0]["feature"] == "a"


def test_overlap_by_value_when_indexes_were_reset():
    ns = _classification()
    X_test = pd.concat([ns["X_test"], ns["X_train"].iloc[:100]]).reset_index(drop=True)
    y_test = pd.concat([ns["y_test"], ns["y_train"].iloc[:100]]).reset_index(drop=True)
    ns.update(
        X_test=X_test,
        y_test=y_test,
        X_train=ns["X_train"].reset_index(drop=True),
        y_train=ns["y_train"].reset_index(drop=True),
    )
    r = _run("leakage.overlap", ns)
    assert r.status == "fail" and r.evidence["rows_also_in_train"] == 100 and r.repro
    assert _run("leakage.overlap", _classification()).status == "pass"


def test_overlap_that_chance_explains_is_not_leakage_but_copied_rows_are():
    """Few distinct values (integers, a category): independent hold-out rows equal training rows
    by chance about as often as training rows equal each other; only more than chance fails."""
    rng = np.random.default_rng(3)
    n = 3000
    X = pd.DataFrame(
        {
            "floor": rng.integers(1, 6, n),
            "rooms": rng.integers(1, 5, n),
            "zone": rng.choice(["n", "s", "e"], n),
            "age": rng.integers(0, 40, n),
        }
    )
    y = (X["rooms"] + rng.normal(size=n) > 2.5).astype(int)
    X["zone"] = X["zone"].map({"n": 0, "s": 1, "e": 2})
    cut = 2100
    ns = {
        "model": LogisticRegression().fit(X[:cut], y[:cut]),
        "X_train": X[:cut],
        "X_test": X[cut:],
        "y_train": y[:cut],
        "y_test": y[cut:],
    }
    chance = _run("leakage.overlap", ns)
    assert chance.evidence["overlap_rate"] > 0.05  # many copies, all by chance
    assert chance.status == "pass" and "as often as chance explains" in chance.summary
    assert chance.evidence["train_self_duplicate_rate"] > 0.05
    # the same data with 300 training rows copied into the hold-out: leakage
    leaked = dict(ns)
    far = X[:cut][X[:cut]["age"] >= 0].iloc[:300].assign(age=lambda d: d["age"] + 1000)
    leaked["X_train"] = pd.concat([X[:cut], far])
    leaked["y_train"] = pd.concat([y[:cut], y[:cut].iloc[:300]])
    leaked["X_test"] = pd.concat([X[cut:], far]).reset_index(drop=True)
    leaked["y_test"] = pd.concat([y[cut:], y[:cut].iloc[:300]]).reset_index(drop=True)
    leaked["model"] = LogisticRegression().fit(leaked["X_train"], leaked["y_train"])
    found = _run("leakage.overlap", leaked)
    assert found.status == "fail", found.summary
    assert found.evidence["p_value_under_chance"] < 1e-6


def test_shared_index_labels_fail_in_the_notebook_and_through_the_bundle(tmp_path):
    """The same records in both splits under different values (e.g. re-sampled rows): only the
    pandas index shows it. The bundle carries that fact to the gate, whose frames have no labels."""
    import dataclasses

    from jupyter_mlready.registry.bundle import load_bundle, write_bundle

    ns = _classification()
    order = np.random.default_rng(1).permutation(
        len(ns["X_train"])
    )  # as train_test_split leaves it
    ns.update(X_train=ns["X_train"].iloc[order], y_train=ns["y_train"].iloc[order])
    shared = ns["X_train"].index[:400]
    X_test = ns["X_test"].copy()
    X_test.index = np.concatenate([shared, X_test.index[400:]])  # labels reused, values differ
    ns.update(X_test=X_test, y_test=ns["y_test"].set_axis(X_test.index))
    notebook = _run("leakage.overlap", ns)
    assert notebook.status == "fail" and notebook.evidence["index_overlap_rate"] == pytest.approx(
        400 / 900
    )
    assert notebook.evidence["rows_also_in_train"] == 0  # by value they all differ

    s = discover(ns)
    policy = Policy()
    contract = infer_contract(s, policy)
    bundle = load_bundle(write_bundle(s, contract, policy, tmp_path).path)
    assert bundle.meta["notebook_facts"]["index_overlap_rate"] == pytest.approx(400 / 900)
    gate = CheckContext(
        s.model,
        s.task,
        dataclasses.replace(s.train, X=bundle.train_sample.X),
        dataclasses.replace(s.holdout, X=bundle.holdout.X),
        contract,
        policy,
        where="validation",
        notebook_facts=bundle.meta["notebook_facts"],
        train_row_hashes=bundle.train_row_hashes,
    )
    spec = next(sp for sp in load_checks() if sp.id == "leakage.overlap")
    assert run_check(spec, gate).status == "fail"
    assert (
        "index_overlap_rate" not in _run("leakage.overlap", _classification()).evidence
    )  # RangeIndex


def test_baseline_uses_a_balance_aware_metric():
    # 3% positives and no signal: accuracy would look great (97%), the gate must not be fooled
    rng = np.random.default_rng(3)
    n = 4000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = pd.Series((rng.random(n) < 0.03).astype(int))
    ns = {
        "model": LogisticRegression().fit(X[:3000], y[:3000]),
        "X_train": X[:3000],
        "X_test": X[3000:],
        "y_train": y[:3000],
        "y_test": y[3000:],
    }
    r = _run("performance.baseline", ns)
    assert r.status == "fail"
    assert r.evidence["model_metrics"]["accuracy"] > 0.95
    assert {c["metric"] for c in r.evidence["comparisons"]} == {"roc_auc", "average_precision"}


def test_regression_baseline_and_thresholds():
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    y = pd.Series(X["a"] * 2 + rng.normal(scale=0.1, size=500))
    ns = {
        "reg": LinearRegression().fit(X[:400], y[:400]),
        "X_train": X[:400],
        "X_test": X[400:],
        "y_train": y[:400],
        "y_test": y[400:],
    }
    assert _run("performance.baseline", ns).status == "pass"
    assert _run("performance.thresholds", ns).status == "pass"
    strict = Policy(thresholds={"regression": {"rmse": 0.01}})
    r = _run("performance.thresholds", ns, strict)
    assert r.status == "fail" and "rmse" in r.summary


@pytest.mark.parametrize("n", [300, 1_000_000])
def test_drift_has_no_false_alarm_at_any_size(n):
    rng = np.random.default_rng(5)
    train = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("abcdefghij"), n)})
    other = pd.DataFrame(
        {"x": rng.normal(size=n // 3), "c": rng.choice(list("abcdefghij"), n // 3)}
    )
    profile = build_profile(train)
    for col in ("x", "c"):
        row = compare_feature(profile["features"][col], other[col])
        assert row["psi"] < 0.1, (col, row)
        assert row.get("ks", 0) < 0.1 or not row["ks_significant"], (col, row)


def test_drift_detects_a_real_shift_and_caps_dates_at_warn():
    rng = np.random.default_rng(6)
    n = 3000
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h"),
        }
    )
    X["when_num"] = X["when"].astype("int64") / 1e15
    y = (X["a"] + rng.normal(size=n) > 0).astype(int)
    Xs = X[["a", "when"]]
    train, test = Xs[:2000], Xs[2000:].copy()
    test["a"] = test["a"] + 1.5
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    model = Pipeline(
        [("ct", ColumnTransformer([("a", "passthrough", ["a"])])), ("lr", LogisticRegression())]
    )
    model.fit(train, y[:2000])
    r = _run(
        "drift.train_holdout",
        {"model": model, "X_train": train, "X_test": test, "y_train": y[:2000], "y_test": y[2000:]},
    )
    assert r.status == "fail"
    rows = {f["feature"]: f for f in r.evidence["features"]}
    assert rows["a"]["status"] == "fail" and rows["when"]["status"] == "warn"


def test_contract_holdout_fails_on_unseen_categories():
    rng = np.random.default_rng(7)
    X = pd.DataFrame({"a": rng.normal(size=400), "c": rng.choice(["x", "y"], 400)})
    y = (X["a"] > 0).astype(int)
    test = X[300:].copy()
    test.loc[test.index[:40], "c"] = "new"
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    model = Pipeline(
        [
            (
                "ct",
                ColumnTransformer(
                    [
                        ("a", "passthrough", ["a"]),
                        ("c", OneHotEncoder(handle_unknown="ignore"), ["c"]),
                    ]
                ),
            ),
            ("lr", LogisticRegression()),
        ]
    ).fit(X[:300], y[:300])
    r = _run(
        "contract.holdout",
        {"model": model, "X_train": X[:300], "X_test": test, "y_train": y[:300], "y_test": y[300:]},
    )
    assert r.status == "fail"
    failure = r.evidence["failures"][0]
    assert failure["column"] == "c" and failure["rows"] == 40 and failure["examples"] == ["new"]


def test_small_holdouts_do_not_turn_noise_into_failures():
    # 120 training rows, 54 hold-out rows from the same distribution (the wine data set's sizes)
    rng = np.random.default_rng(11)
    X = pd.DataFrame({f"f{i}": rng.lognormal(size=174) for i in range(6)})
    y = (X["f0"] + rng.normal(size=174) > 1.5).astype(int)
    ns = {
        "model": LogisticRegression().fit(X[:120], y[:120]),
        "X_train": X[:120],
        "X_test": X[120:],
        "y_train": y[:120],
        "y_test": y[120:],
    }
    assert _run("drift.train_holdout", ns).status == "pass"
    contract = _run("contract.holdout", ns)
    assert contract.status in ("pass", "warn")  # a lone row past a heavy tail is a warning
    if contract.status == "warn":
        assert all(f["rows"] < 5 for f in contract.evidence["failures"])


def test_positional_models_warn_on_reordered_columns_instead_of_failing():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    ns = {
        "model": LogisticRegression().fit(X[:300], y[:300]),
        "X_train": X[:300],
        "X_test": X[300:],
        "y_train": y[:300],
        "y_test": y[300:],
    }
    r = _run("robustness.input_format", ns)
    assert r.status == "warn", r.summary


def _with_missing(train_share: float, holdout_share: float, n: int = 3000, seed: int = 1):
    """_classification with column 'b' imputed in the model and missing at the given shares."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    ns = _classification(n=n, seed=seed)
    rng = np.random.default_rng(seed)
    for key, share in (("X_train", train_share), ("X_test", holdout_share)):
        X = ns[key].copy()
        X.loc[rng.random(len(X)) < share, "b"] = np.nan
        ns[key] = X
    ns["model"] = make_pipeline(SimpleImputer(), LogisticRegression()).fit(
        ns["X_train"], ns["y_train"]
    )
    return ns


def test_a_column_turning_to_missing_values_is_drift_and_breaks_the_contract():
    """1% missing in training, 60% in the hold-out: PSI and KS look only at the values present,
    so this passed both checks before; a change in the null share is drift."""
    ns = _with_missing(0.01, 0.60)
    drift = _run("drift.train_holdout", ns)
    assert drift.status == "fail" and "'b'" in drift.summary and "missing 1% → 6" in drift.summary
    row = next(f for f in drift.evidence["features"] if f["feature"] == "b")
    assert row["null_share_significant"] and row["null_share_rise"] > 0.5
    contract = _run("contract.holdout", ns)
    assert contract.status == "fail", contract.summary
    assert any(f["check"] == "null_rate_above_training" for f in contract.evidence["failures"])


def test_the_same_small_null_share_is_not_drift():
    ns = _with_missing(0.02, 0.02)
    assert _run("drift.train_holdout", ns).status == "pass"
    assert _run("contract.holdout", ns).status == "pass"


def test_a_small_rise_on_a_small_holdout_is_noise():
    from jupyter_mlready.profile import null_share_rise

    rise, real = null_share_rise(0.02, 2000, 0.04, 50)  # 2 missing of 50 rows: not evidence
    assert rise == pytest.approx(0.02) and not real
    assert null_share_rise(0.01, 2000, 0.60, 900)[1]
    assert null_share_rise(0.0, 0, 0.10, 100) == (pytest.approx(0.10), True)


def test_a_feature_that_is_the_model_fails_even_below_the_absolute_bound():
    """A proxy scoring ~0.97 alone, with the model no better and every other feature noise:
    it only warned before (fail needed >= 0.99)."""
    rng = np.random.default_rng(3)
    n = 4000
    y = (rng.random(n) < 0.5).astype(int)
    X = pd.DataFrame(
        {
            "leak": np.where(rng.random(n) < 0.03, 1 - y, y) + rng.normal(0, 0.01, n),
            "noise1": rng.normal(size=n),
            "noise2": rng.normal(size=n),
        }
    )
    cut = int(n * 0.7)
    ns = {
        "model": LogisticRegression().fit(X[:cut], y[:cut]),
        "X_train": X[:cut],
        "X_test": X[cut:],
        "y_train": y[:cut],
        "y_test": y[cut:],
    }
    r = _run("leakage.target_proxy", ns)
    top = r.evidence["top_features"][0]
    assert top["feature"] == "leak" and 0.95 <= top["score"] < 0.99, r.evidence
    assert r.status == "fail" and "the model is this one feature" in r.summary, r.summary
    # a strong legitimate feature among others that also carry signal stays a warning
    strong = _run("leakage.target_proxy", _classification(strong=True))
    assert strong.status == "warn", strong.summary


def test_target_proxy_still_judges_without_a_loaded_model():
    """In the gate, the proxy check reads only the bundle's data: when the artifact did not load
    it keeps its absolute bounds (and never crashes on the missing model)."""
    import dataclasses

    policy = Policy()
    s = discover(_classification(proxy=True))
    ctx = CheckContext(None, s.task, s.train, s.holdout, infer_contract(s, policy), policy)
    spec = next(sp for sp in load_checks() if sp.id == "leakage.target_proxy")
    r = run_check(spec, ctx)
    assert r.status == "fail" and "model_score" not in r.evidence, r.summary
    assert dataclasses.is_dataclass(ctx)


def test_records_copied_before_the_split_are_leakage_even_when_training_repeats_them():
    """A survey export that concatenates two waves (most respondents twice) before a random
    split: training repeats itself as often as the hold-out copies it, so the leave-one-out
    rate alone would call it chance. Incomes and distances to 0.1 never coincide by chance
    across different records: the copies fail."""
    rng = np.random.default_rng(8)
    n = 1500
    X = pd.DataFrame(
        {
            "distance_km": rng.gamma(2, 6, n).round(1),
            "household_cars": rng.integers(0, 3, n),
            "income_k": rng.normal(55, 18, n).clip(10).round(1),
        }
    )
    y = (X["distance_km"] + rng.normal(0, 4, n) > 12).astype(int)
    twice = rng.random(n) < 0.9
    X2, y2 = (
        pd.concat([X, X[twice]], ignore_index=True),
        pd.concat([y, y[twice]], ignore_index=True),
    )
    order = rng.permutation(len(X2))
    cut = int(0.7 * len(X2))
    train, test = order[:cut], order[cut:]
    ns = {
        "model": LogisticRegression().fit(X2.iloc[train], y2.iloc[train]),
        "X_train": X2.iloc[train].reset_index(drop=True),
        "X_test": X2.iloc[test].reset_index(drop=True),
        "y_train": y2.iloc[train].reset_index(drop=True),
        "y_test": y2.iloc[test].reset_index(drop=True),
    }
    copied = _run("leakage.overlap", ns)
    assert copied.evidence["overlap_rate"] > 0.4
    assert copied.status == "fail", copied.summary
    assert copied.evidence["train_self_duplicate_rate"] < 0.01  # chance, not the copies
