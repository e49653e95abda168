"""Every library's model, one face (issue 15): statsmodels results (formula and array API,
Logit / GLM / MNLogit / OLS), native XGBoost and LightGBM boosters, models fitted on polars
frames, each found with zero configuration, logged with its own MLflow flavor and loaded back
as the same object; and the models the checks must refuse, refused by name."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.errors import UnsupportedModelError
from jupyter_mlready.flavors.outputs import P_POSITIVE, ProbabilityOutputs
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.probes.outcome import classify_exception
from jupyter_mlready.registry.packaging import plan_packaging, save_model_folder
from jupyter_mlready.registry.trust import inspect_folder, load_folder
from jupyter_mlready.stages.discover import Overrides, discover

SERVER = "http://registry.example:5000"  # a registry the local policy does not trust


def _check(subject, check_id: str, model=None):
    """Run one registered check in-process on ``subject`` (its adapter, or ``model``)."""
    from jupyter_mlready.checks import CheckContext, load_checks, run_check
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.policy import Policy

    policy = Policy()
    ctx = CheckContext(
        model or subject.model,
        subject.task,
        subject.train,
        subject.holdout,
        infer_contract(subject, policy),
        policy,
    )
    return run_check(next(sp for sp in load_checks() if sp.id == check_id), ctx)


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    n = 900
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "income": rng.normal(50, 10, n),
            "plan": rng.choice(["basic", "plus", "premium"], n),
            "customer_id": np.arange(n),
        }
    )
    df["churned"] = (rng.random(n) < 1 / (1 + np.exp(-(df["age"] - 40) / 5))).astype(int)
    df["spend"] = 3 * df["age"] + rng.normal(0, 5, n)
    return df.iloc[:600].copy(), df.iloc[600:].copy()


def _xy(train_df, test_df, target, cols=("age", "income")):
    cols = list(cols)
    return {
        "X_train": train_df[cols],
        "X_test": test_df[cols],
        "y_train": train_df[target],
        "y_test": test_df[target],
    }


def test_a_statsmodels_formula_logit_is_a_classifier_with_labels_and_probabilities(frames):
    smf = pytest.importorskip("statsmodels.formula.api")
    train_df, test_df = frames
    res = smf.logit("churned ~ age + income + C(plan)", data=train_df).fit(disp=0)
    subject = discover({"res": res, "train_df": train_df, "test_df": test_df})
    assert subject.task == "classification"
    assert subject.target_name == "churned"
    assert "left-hand side" in subject.discovery["train"]["how"]
    # the formula's columns only: an id column beside them is not a feature
    assert list(subject.train.X.columns) == ["age", "income", "plan"]
    adapter = subject.model
    assert (adapter.flavor, adapter.classes, adapter.has_proba) == ("statsmodels", (0, 1), True)
    p = np.asarray(res.predict(test_df))
    proba = adapter.predict_proba(subject.holdout.X)
    assert np.allclose(proba[:, 1], p) and np.allclose(proba.sum(axis=1), 1)
    assert list(adapter.predict(subject.holdout.X)) == list((p >= 0.5).astype(int))


def test_statsmodels_glm_binomial_mnlogit_and_ols_array_api(frames):
    sm = pytest.importorskip("statsmodels.api")
    smf = pytest.importorskip("statsmodels.formula.api")
    train_df, test_df = frames
    glm = smf.glm("churned ~ age", data=train_df, family=sm.families.Binomial()).fit()
    assert discover({"glm": glm, "train_df": train_df, "test_df": test_df}).task == (
        "classification"
    )
    ns = _xy(train_df, test_df, "spend")
    ols = sm.OLS(ns["y_train"], sm.add_constant(ns["X_train"])).fit()
    subject = discover({"ols": ols, **ns})
    assert subject.task == "regression" and list(subject.train.X.columns) == ["age", "income"]
    # the gate adds the constant the notebook added with sm.add_constant
    expected = ols.predict(sm.add_constant(ns["X_test"]))
    assert np.allclose(subject.model.predict(subject.holdout.X), expected)
    arrays = {k: v.to_numpy() for k, v in ns.items()}
    ols_np = sm.OLS(arrays["y_train"], sm.add_constant(arrays["X_train"])).fit()
    on_arrays = discover({"ols": ols_np, **arrays})
    assert np.allclose(on_arrays.model.predict(on_arrays.holdout.X), expected)
    plans = train_df["plan"]
    mn = sm.MNLogit(plans.astype("category").cat.codes, sm.add_constant(train_df[["age"]])).fit(
        disp=0
    )
    adapter = ModelAdapter.wrap(mn, "classification", (0, 1, 2))
    proba = adapter.predict_proba(test_df[["age"]])
    assert proba.shape == (len(test_df), 3)
    assert list(adapter.predict(test_df[["age"]])) == list(proba.argmax(axis=1))


def test_statsmodels_results_travel_without_their_training_data(frames, tmp_path):
    smf = pytest.importorskip("statsmodels.formula.api")
    train_df, test_df = frames
    res = smf.logit("churned ~ age + np.log(income) + C(plan)", data=train_df).fit(disp=0)
    adapter = ModelAdapter.wrap(res, "classification", (0, 1))
    plan = plan_packaging(adapter, tmp_path, "res", check_rows=test_df)
    assert (plan.flavor, plan.serialization) == ("statsmodels", "pickle")
    assert any("without training data" in n for n in plan.notes), plan.notes
    stored = plan.stored_model
    assert len(stored.model.data.frame) < 20 and stored.model.data.orig_exog.shape[0] == 0
    assert len(pickle.dumps(stored)) < len(pickle.dumps(res)) / 10
    # the notebook's own object keeps its data
    assert len(res.model.data.frame) == len(train_df) and res.model.endog is not None
    save_model_folder(adapter, plan, tmp_path / "m")
    fmt, trust = inspect_folder(tmp_path / "m", "models:/sm/1", str(tmp_path))
    loaded, how = load_folder(tmp_path / "m", fmt, trust)
    assert how == "mlflow.statsmodels.load_model"
    assert np.allclose(loaded.predict(test_df), res.predict(test_df))
    # pickle: from a registry the local policy does not trust it is refused
    assert not inspect_folder(tmp_path / "m", "models:/sm/1", SERVER)[1].allowed


def test_a_stateful_formula_keeps_what_it_needs_and_says_so(frames):
    smf = pytest.importorskip("statsmodels.formula.api")
    from jupyter_mlready.flavors.statsmodels import without_training_data

    train_df, test_df = frames
    res = smf.ols("spend ~ standardize(age)", data=train_df).fit()
    stored, note = without_training_data(res, test_df)
    assert "travel inside the model" in note
    again = pickle.loads(pickle.dumps(stored))
    assert np.allclose(again.predict(test_df), res.predict(test_df))


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_a_native_booster_is_found_and_reads_labels_from_its_probabilities(frames, library):
    lib = pytest.importorskip(library)
    train_df, test_df = frames
    ns = _xy(train_df, test_df, "churned")
    if library == "xgboost":
        booster = lib.train(
            {"objective": "binary:logistic", "nthread": 1},
            lib.DMatrix(ns["X_train"], ns["y_train"]),
            10,
        )
        raw = booster.inplace_predict(ns["X_test"])
    else:
        booster = lib.train(
            {"objective": "binary", "verbose": -1, "num_threads": 1},
            lib.Dataset(ns["X_train"], ns["y_train"]),
            10,
        )
        raw = booster.predict(ns["X_test"])
    subject = discover({"booster": booster, **ns})
    assert subject.task == "classification" and subject.model.flavor == library
    assert subject.model.classes == (0, 1) and subject.model.has_proba
    assert np.allclose(subject.model.predict_proba(subject.holdout.X)[:, 1], raw)
    assert list(subject.model.predict(subject.holdout.X)) == list((raw >= 0.5).astype(int))


def test_native_formats_load_from_any_registry_and_give_the_notebooks_object(frames, tmp_path):
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    catboost = pytest.importorskip("catboost")
    train_df, test_df = frames
    X, y = train_df[["age", "income", "plan"]], train_df["churned"]
    models = {
        "xgboost": xgb.XGBClassifier(n_estimators=5, n_jobs=1).fit(X[["age", "income"]], y),
        "lightgbm": lgb.LGBMClassifier(n_estimators=5, verbose=-1, n_jobs=1).fit(
            X[["age", "income"]], y
        ),
        "catboost": catboost.CatBoostClassifier(
            iterations=5, verbose=0, cat_features=["plan"], allow_writing_files=False
        ).fit(X, y),
    }
    for name, model in models.items():
        adapter = ModelAdapter.wrap(model, "classification")
        plan = plan_packaging(adapter, tmp_path, name)
        assert plan.flavor == name
        assert plan.serialization == ("skops" if name == "lightgbm" else "native")
        save_model_folder(adapter, plan, tmp_path / name)
        fmt, trust = inspect_folder(tmp_path / name, f"models:/{name}/1", SERVER)
        assert trust.allowed, trust.reason  # no pickle: loads from an untrusted registry
        loaded, how = load_folder(tmp_path / name, fmt, trust)
        assert type(loaded) is type(model), how
        cols = list(X.columns) if name == "catboost" else ["age", "income"]
        assert np.allclose(loaded.predict_proba(test_df[cols]), model.predict_proba(test_df[cols]))


def test_a_model_fitted_on_polars_frames_is_found_and_the_edge_is_stated(frames):
    pl = pytest.importorskip("polars")
    from sklearn.ensemble import HistGradientBoostingClassifier

    train_df, test_df = frames
    ns = {k: pl.from_pandas(v) for k, v in _xy(train_df, test_df, "churned").items()}
    model = HistGradientBoostingClassifier(max_iter=10).fit(ns["X_train"], ns["y_train"])
    subject = discover({"model": model, **ns})
    assert isinstance(subject.train.X, pd.DataFrame) and len(subject.holdout.X) == 300
    assert subject.discovery["frames"]["library"] == "polars"
    assert "pandas" in subject.discovery["frames"]["how"]
    assert subject.model.predict(subject.holdout.X).shape == (300,)


def test_models_the_checks_do_not_apply_to_are_refused_by_name(frames):
    train_df, test_df = frames
    ns = _xy(train_df, test_df, "churned")
    from sklearn.cluster import KMeans
    from sklearn.ensemble import IsolationForest
    from sklearn.linear_model import LogisticRegression
    from sklearn.multioutput import MultiOutputClassifier

    two = pd.DataFrame({"a": ns["y_train"], "b": 1 - ns["y_train"]})
    cases = {
        "clustering": {"km": KMeans(3, n_init=1, random_state=0).fit(ns["X_train"])},
        "outlier-detection": {"iso": IsolationForest(random_state=0).fit(ns["X_train"])},
        "multi-output": {
            "model": MultiOutputClassifier(LogisticRegression()).fit(ns["X_train"], two)
        },
    }
    lgb = pytest.importorskip("lightgbm")
    cases["ranking"] = {
        "rk": lgb.LGBMRanker(n_estimators=3, verbose=-1).fit(
            ns["X_train"], ns["y_train"], group=[300, 300]
        )
    }
    tsa = pytest.importorskip("statsmodels.tsa.arima.model")
    cases["forecasting"] = {"ar": tsa.ARIMA(ns["y_train"].to_numpy(float), order=(1, 0, 0)).fit()}
    for kind, model_ns in cases.items():
        with pytest.raises(UnsupportedModelError) as err:
            discover({**model_ns, **ns})
        assert err.value.kind == kind
        assert next(iter(model_ns)) in str(err.value) and "statsmodels" in str(err.value)
    # a two-column target given explicitly is refused, never read as its first column
    clf = LogisticRegression().fit(ns["X_train"], ns["y_train"])
    with pytest.raises(UnsupportedModelError, match="2 columns"):
        discover(
            {"clf": clf, "Y2": two, **ns},
            Overrides(train=("X_train", "Y2"), holdout=("X_test", "y_test")),
        )


def test_a_row_the_model_could_not_score_stays_missing():
    outputs = ProbabilityOutputs(lambda X: np.array([0.2, np.nan, 0.9]), P_POSITIVE, (0, 1))
    labels = outputs.predict(None)
    assert labels[0] == 0 and labels[2] == 1 and pd.isna(labels[1])
    assert np.isnan(outputs.predict_proba(None)[1]).all()


def test_patsy_errors_are_judged_by_what_they_say(frames):
    smf = pytest.importorskip("statsmodels.formula.api")
    train_df, test_df = frames
    res = smf.logit("churned ~ age + C(plan)", data=train_df).fit(disp=0)
    try:
        res.predict(test_df.drop(columns=["age"]))
    except Exception as exc:  # noqa: BLE001 - the error is what is judged
        missing = classify_exception(exc, "age", "may_reject")
    assert missing.verdict == "rejected", missing.detail  # "name 'age' is not defined"
    unseen = test_df.assign(plan="__unseen__")
    try:
        res.predict(unseen)
    except Exception as exc:  # noqa: BLE001
        crashed = classify_exception(exc, "plan", "handle")
    assert crashed.verdict == "crash", crashed.detail  # names the value, never the column


def test_the_model_adapter_is_unchanged_for_scikit_learn(frames):
    from sklearn.linear_model import LogisticRegression

    train_df, _ = frames
    clf = LogisticRegression().fit(train_df[["age"]], train_df["churned"])
    adapter = ModelAdapter.wrap(clf, "classification")
    assert adapter.predictor is clf and adapter.has_proba and adapter.classes == (0, 1)


def test_catboost_naming_a_column_by_its_position_is_a_clear_rejection(frames):
    catboost = pytest.importorskip("catboost")
    from jupyter_mlready.probes.outcome import run_frame

    train_df, test_df = frames
    cols = ["plan", "age", "income"]
    model = catboost.CatBoostClassifier(
        iterations=5, verbose=0, cat_features=["plan"], allow_writing_files=False
    ).fit(train_df[cols], train_df["churned"])
    adapter = ModelAdapter.wrap(model, "classification")
    frame = test_df[cols].head(3).copy()
    frame.loc[frame.index[0], "plan"] = np.nan
    # "Invalid type for cat_feature[non-default value idx=0,feature_idx=0]=nan"
    outcome, _, _ = run_frame(adapter, frame, "plan", "handle")
    assert outcome.verdict == "rejected" and "position (0)" in outcome.detail, outcome.detail
    # the same message read for another column names nothing
    other, _, _ = run_frame(adapter, frame, "age", "handle")
    assert other.verdict == "crash", other.detail


def test_rows_a_statsmodels_model_declines_are_refusals_and_left_out_of_the_metrics():
    """statsmodels returns NaN for a row with a missing value: a per-row refusal (a clear
    rejection, never the negative class), and the performance checks score the other rows and
    say how many they left out, instead of crashing on the NaN."""
    smf = pytest.importorskip("statsmodels.formula.api")
    from jupyter_mlready.probes.outcome import run_frame

    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.normal(50, 10, n)})
    df["churned"] = (rng.random(n) < 1 / (1 + np.exp(-(df["age"] - 40) / 4))).astype(int)
    df.loc[rng.random(n) < 0.03, "income"] = np.nan
    train_df, test_df = df.iloc[:2000], df.iloc[2000:]
    res = smf.logit("churned ~ age + income", data=train_df).fit(disp=0)
    subject = discover({"res": res, "train_df": train_df, "test_df": test_df})
    frame = subject.holdout.X.head(4).copy()
    frame.loc[frame.index[1], "age"] = np.nan
    declined, _, _ = run_frame(subject.model, frame, "age", "handle")
    assert declined.verdict == "rejected" and declined.rule == "declined_rows", declined.detail

    # a NaN answer for a row without a missing value is still broken output
    class NanOnFirstRow:
        def predict(self, X):
            return np.r_[np.nan, np.ones(len(X) - 1)]

    nan_model = ModelAdapter.wrap(NanOnFirstRow(), "regression")
    complete = frame.fillna({"age": 40.0})
    broken, _, _ = run_frame(nan_model, complete, None, "handle", task="regression")
    assert broken.verdict == "bad_output", broken.detail
    missing = int(test_df["income"].isna().sum())
    for check_id in ("performance.baseline", "performance.thresholds"):
        result = _check(subject, check_id)
        assert result.status == "pass", result.summary
        assert result.evidence["unscored_holdout_rows"] == missing
        assert f"{missing} of 1,000 hold-out rows got no prediction" in result.summary


def test_a_request_the_served_signature_refuses_is_a_rejection_at_the_serving_boundary(frames):
    """A model that reads its columns by position breaks on a request without column 'plan'
    with an error naming nothing. Served, the signature refuses that request first, naming the
    column; a frame MLflow cannot type (a category) gets no signature, and then the model's
    own error is the answer."""
    from jupyter_mlready.probes.cases import Case
    from jupyter_mlready.probes.mutators import Mutation
    from jupyter_mlready.probes.properties import evaluate

    class ByPosition:  # reads the third column wherever it is
        def predict(self, X):
            values = X.to_numpy()
            return (values[:, 2].astype(float) > 50).astype(int)

    train_df, test_df = frames
    cols = ["age", "plan", "income"]
    adapter = ModelAdapter.wrap(ByPosition(), "classification", (0, 1))
    base = test_df[cols].head(5).reset_index(drop=True)
    missing = Mutation("missing_column", "plan", "may_reject")
    case = Case("robustness.input_format", base, base.drop(columns=["plan"]), missing)
    outcome = evaluate("format", adapter, case, "classification")
    assert outcome.verdict == "rejected" and outcome.rule == "serving_boundary", outcome.detail
    assert "Model is missing inputs ['plan']" in outcome.detail
    assert "a direct predict call reaches the model" in outcome.detail
    # the same request to a model logged without a signature: the model's own answer stands
    as_category = base.assign(plan=base["plan"].astype("category"))
    unguarded = Case(
        "robustness.input_format", as_category, as_category.drop(columns=["plan"]), missing
    )
    outcome = evaluate("format", adapter, unguarded, "classification")
    assert outcome.verdict == "crash", outcome.detail


class _Scorecard:
    """A hand-written model (no library): a logistic score over two columns."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        z = (np.asarray(X["age"], dtype=float) - 40) / 5
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def test_the_gate_on_a_pyfunc_logged_custom_model_keeps_probability_metrics(frames, tmp_path):
    """Logged through the pyfunc wrapper, loaded as the gate loads it: the object keeps its
    predict_proba, so roc_auc and average_precision are computed and the roc_auc threshold
    decides (a bare pyfunc would leave labels only, and balanced accuracy)."""
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.registry.bundle import adapter_for, load_bundle, write_bundle
    from jupyter_mlready.validation.kernel_api import load_registry_model

    train_df, test_df = frames
    ns = _xy(train_df, test_df, "churned")
    subject = discover({"scorecard": _Scorecard(), **ns})
    plan = plan_packaging(subject.model, tmp_path, "scorecard")
    assert plan.flavor == "pyfunc"
    save_model_folder(subject.model, plan, tmp_path / "m")
    loaded = load_registry_model(str(tmp_path / "m")).model
    assert type(loaded).__name__ == "_Scorecard"
    policy = Policy()
    contract = infer_contract(subject, policy)
    bundle = load_bundle(write_bundle(subject, contract, policy, tmp_path / "b").path)
    adapter = adapter_for(loaded, bundle)
    assert adapter.has_proba
    result = _check(subject, "performance.thresholds", adapter)
    assert {"roc_auc", "average_precision"} <= set(result.evidence["model_metrics"])
    assert [row["metric"] for row in result.evidence["thresholds"]] == ["roc_auc"]


def _nullable_frame(n: int = 2400):
    rng = np.random.default_rng(2)
    X = pd.DataFrame(
        {
            "visits": pd.array(rng.integers(0, 20, n), dtype="Int64"),
            "member": pd.array(rng.random(n) < 0.5, dtype="boolean"),
            "region": pd.Categorical(rng.choice(["n", "s", "e"], n)),
            "spend": rng.gamma(2, 10, n),
        }
    )
    X.loc[rng.random(n) < 0.05, "visits"] = pd.NA
    X.loc[rng.random(n) < 0.05, "member"] = pd.NA
    return X, rng


def test_nullable_and_category_columns_are_probed_in_their_own_dtype():
    """A missing value in an Int64 / boolean column is pd.NA in that dtype (casting the column
    to float64 crashed the check itself), and string labels stay labels."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, rng = _nullable_frame()
    score = X["spend"] / 10 + X["visits"].fillna(0).astype(float) / 5
    y = pd.Series(np.where(score + rng.normal(0, 1, len(X)) > 4, "yes", "no"))
    model = HistGradientBoostingClassifier(max_iter=20, categorical_features="from_dtype")
    model.fit(X[:1600], y[:1600])
    subject = discover(
        {
            "model": model,
            "X_train": X[:1600],
            "X_test": X[1600:],
            "y_train": y[:1600],
            "y_test": y[1600:],
        }
    )
    assert subject.model.classes == ("no", "yes")
    result = _check(subject, "robustness.missing_values")
    assert result.status == "pass", result.summary
    cases = {c["column"]: c["result"] for c in result.evidence["cases"]}
    assert cases["visits"] in ("ok", "rejected") and cases["member"] in ("ok", "rejected")


def test_an_integer_count_predicted_in_fractions_is_a_regression():
    X, rng = _nullable_frame()

    class ClaimsPerYear:  # a hand-written model: no estimator type, no classes
        def predict(self, frame):
            return np.asarray(frame["spend"], dtype=float) / 10

    counts = np.clip(np.round(X["spend"] / 10 + rng.normal(0, 1, len(X))), 0, None).astype(int)
    ns = {"X_train": X[:1600], "X_test": X[1600:], "y_train": counts[:1600]}
    ns["y_test"] = counts[1600:]
    assert counts.nunique() <= 20
    assert discover({"model": ClaimsPerYear(), **ns}).task == "regression"

    class Labeller:  # answers with the labels themselves: a classifier
        def predict(self, frame):
            return np.round(np.asarray(frame["spend"], dtype=float) / 10).astype(int)

    assert discover({"model": Labeller(), **ns}).task == "classification"


@pytest.mark.parametrize("library", ["xgboost", "statsmodels"])
def test_the_gate_keeps_the_probabilities_of_a_model_that_predicts_them(frames, tmp_path, library):
    """A native booster and a statsmodels Logit have no predict_proba method: their predict is
    the probability. Loaded back in the gate they must still give probabilities (roc_auc),
    never fall back to labels only."""
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.registry.bundle import adapter_for, load_bundle, write_bundle

    train_df, test_df = frames
    ns = _xy(train_df, test_df, "churned")
    if library == "xgboost":
        xgb = pytest.importorskip("xgboost")
        model = xgb.train(
            {"objective": "binary:logistic", "nthread": 1},
            xgb.DMatrix(ns["X_train"], ns["y_train"]),
            5,
        )
    else:
        sm = pytest.importorskip("statsmodels.api")
        model = sm.Logit(ns["y_train"], sm.add_constant(ns["X_train"])).fit(disp=0)
    subject = discover({"model": model, **ns})
    assert subject.model.has_proba
    plan = plan_packaging(subject.model, tmp_path, "model", check_rows=ns["X_test"])
    save_model_folder(subject.model, plan, tmp_path / "m")
    fmt, trust = inspect_folder(tmp_path / "m", "models:/m/1", str(tmp_path))
    loaded, _ = load_folder(tmp_path / "m", fmt, trust)
    policy = Policy()
    bundle = load_bundle(
        write_bundle(subject, infer_contract(subject, policy), policy, tmp_path / "b").path
    )
    gate = adapter_for(loaded, bundle)
    assert gate.has_proba and gate.classes == (0, 1)
    assert np.allclose(
        gate.predict_proba(subject.holdout.X), subject.model.predict_proba(subject.holdout.X)
    )


def test_a_formula_whose_left_hand_side_is_an_expression_is_judged_on_its_scale():
    """``np.log(price) ~ ...``: the target is log(price), computed from the frame's price
    column, and price is not a feature (the model never reads it to predict)."""
    smf = pytest.importorskip("statsmodels.formula.api")
    rng = np.random.default_rng(4)
    n = 1200
    df = pd.DataFrame({"sqft": rng.normal(1500, 300, n), "rooms": rng.integers(1, 6, n)})
    df["price"] = np.exp(10 + 0.0005 * df["sqft"] + rng.normal(0, 0.1, n))
    train_df, test_df = df.iloc[:900], df.iloc[900:]
    res = smf.ols("np.log(price) ~ sqft + rooms", data=train_df).fit()
    subject = discover({"res": res, "train_df": train_df, "test_df": test_df})
    assert subject.task == "regression" and subject.target_name == "np.log(price)"
    assert list(subject.train.X.columns) == ["sqft", "rooms"]
    assert np.allclose(subject.holdout.y, np.log(test_df["price"]))
    residual = subject.holdout.y - subject.model.predict(subject.holdout.X)
    assert float(np.abs(residual).mean()) < 0.2  # the same scale: log price against log price


def test_catboost_naming_a_missing_feature_is_a_clear_rejection(frames):
    """CatBoost without its last column: "Feature income is present in model but not in
    pool" names the column after the word feature, as "column income" would."""
    catboost = pytest.importorskip("catboost")
    from jupyter_mlready.probes.outcome import run_frame

    train_df, test_df = frames
    cols = ["plan", "age", "income"]
    model = catboost.CatBoostClassifier(
        iterations=5, verbose=0, cat_features=["plan"], allow_writing_files=False
    ).fit(train_df[cols], train_df["churned"])
    adapter = ModelAdapter.wrap(model, "classification")
    frame = test_df[cols].head(3).drop(columns=["income"])
    outcome, _, _ = run_frame(adapter, frame, "income", "may_reject")
    assert outcome.verdict == "rejected", outcome.detail
    assert "names column 'income'" in outcome.detail


def test_a_model_that_declines_many_hold_out_rows_is_not_ready():
    """Metrics on the rows a model answered cannot speak for it when it answers few: above 5%
    of the hold-out without a prediction, the performance checks fail, however good the rest."""
    smf = pytest.importorskip("statsmodels.formula.api")

    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.normal(50, 10, n)})
    df["churned"] = (rng.random(n) < 1 / (1 + np.exp(-(df["age"] - 40) / 4))).astype(int)
    df.loc[(df.index >= 2000) & (rng.random(n) < 0.3), "income"] = np.nan  # the hold-out only
    train_df, test_df = df.iloc[:2000], df.iloc[2000:]
    res = smf.logit("churned ~ age + income", data=train_df).fit(disp=0)
    subject = discover({"res": res, "train_df": train_df, "test_df": test_df})
    missing = int(test_df["income"].isna().sum())
    assert missing > 0.2 * len(test_df)
    for check_id in ("performance.baseline", "performance.thresholds"):
        result = _check(subject, check_id)
        assert result.status == "fail", result.summary
        assert f"no prediction for {missing} of 1,000 hold-out rows" in result.summary
        assert result.evidence["unscored_holdout_rows"] == missing
