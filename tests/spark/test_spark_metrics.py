"""Hold-out scoring and metrics on Spark agree with the pandas path (issue 18).

The same hold-out is scored twice: by the adapter on pandas (``estimate_metrics``) and by
``score_frame`` + ``spark_estimate_metrics``. Point values agree to 1e-9, and so do the analytic
intervals (DeLong, Wilson, Student t, delta method). Below ``BOOTSTRAP_ROWS`` rows the Spark
bootstrap resamples every row in the frame's order, so it is the pandas interval to the digit;
above, it resamples one seeded sample and says so. A 300k-row frame is scored and measured with
``spark.driver.maxResultSize`` at 4m: nothing is collected.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from jupyter_mlready.intervals import Estimate
from jupyter_mlready.metrics import Outputs, baseline_metrics, estimate_metrics
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.probes.outcome import unscored
from jupyter_mlready.spark.metrics import spark_baseline_metrics, spark_estimate_metrics
from jupyter_mlready.spark.scoring import (
    METADATA_KEY,
    PREDICTION,
    model_error,
    prediction_type,
    proba_columns,
    score_frame,
)

pytestmark = pytest.mark.spark

LEVEL = 0.95
SEED = 7
TOL = 1e-9
NUMERIC = ["age", "income", "visits"]
FEATURES = [*NUMERIC, "segment"]


# ---- data and models --------------------------------------------------------------------------


def _features(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),  # int64
            "income": rng.normal(50.0, 15.0, n).round(2),
            "visits": rng.poisson(3, n).astype("int64"),
            "segment": pd.array(rng.choice(["a", "b", "c"], n), dtype="str"),
        }
    )


def _linear(X: pd.DataFrame) -> np.ndarray:
    return (
        0.04 * (X["age"] - 50)
        + 0.05 * (X["income"] - 50)
        + 0.2 * (X["visits"] - 3)
        + 0.8 * (X["segment"] == "b")
    ).to_numpy(dtype=float)


def binary_data(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = _features(n, rng)
    p = 1 / (1 + np.exp(-(_linear(X) - 0.6)))
    return X, pd.Series((rng.random(n) < p).astype("int64"), name="label")


def multiclass_data(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = _features(n, rng)
    z = _linear(X) + rng.normal(0, 1.0, n)
    labels = np.where(z < -0.7, "low", np.where(z < 0.9, "mid", "high"))
    return X, pd.Series(pd.array(labels, dtype="str"), name="label")


def regression_data(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = _features(n, rng)
    return X, pd.Series(3.0 * _linear(X) + rng.normal(0, 1.0, n), name="label")


def _encoder() -> ColumnTransformer:
    return ColumnTransformer(
        [("num", StandardScaler(), NUMERIC), ("seg", OneHotEncoder(), ["segment"])]
    )


def logistic() -> object:
    return make_pipeline(_encoder(), LogisticRegression(max_iter=500))


def few_leaves() -> object:
    """A tree with 6 leaves: 6 distinct scores, every one shared by hundreds of rows."""
    return make_pipeline(
        _encoder(), DecisionTreeClassifier(max_leaf_nodes=6, min_samples_leaf=30, random_state=0)
    )


def ridge() -> object:
    return make_pipeline(_encoder(), Ridge(alpha=1.0))


def _frame(spark, X: pd.DataFrame, y: pd.Series):
    data = X.assign(label=y.to_numpy(), row_id=np.arange(len(X), dtype="int64"))
    return spark.createDataFrame(data)


def _fitted(model_fn, data_fn, n_train: int, n_holdout: int, seed: int = 0):
    X, y = data_fn(n_train + n_holdout, seed)
    X_train, y_train = X.iloc[:n_train].reset_index(drop=True), y.iloc[:n_train]
    X_hold, y_hold = X.iloc[n_train:].reset_index(drop=True), y.iloc[n_train:]
    y_train, y_hold = y_train.reset_index(drop=True), y_hold.reset_index(drop=True)
    model = model_fn().fit(X_train, y_train)
    return model, X_train, y_train, X_hold, y_hold


def _task(model_fn) -> str:
    return "regression" if model_fn is ridge else "classification"


def pandas_estimates(adapter, task, X, y) -> dict[str, Estimate]:
    pred = adapter.predict(X)
    proba = adapter.predict_proba(X) if task == "classification" else None
    return estimate_metrics(task, y, Outputs(pred, proba), adapter.classes, LEVEL, SEED)


def scored_hold_out(spark, adapter, X_train, X, y, task=None):
    """The hold-out scored on Spark the way the checks score it: training dtypes, target and
    row ids passed through."""
    return score_frame(
        _frame(spark, X, y),
        adapter,
        FEATURES,
        target_col="label",
        id_columns=["row_id"],
        dtypes=X_train.dtypes.to_dict(),
        task=task,
    )


def spark_estimates(spark, adapter, task, X_train, X, y):
    scored = scored_hold_out(spark, adapter, X_train, X, y, task)
    got = spark_estimate_metrics(
        scored, task=task, target_col="label", classes=adapter.classes, level=LEVEL, seed=SEED
    )
    return scored, got


def _close(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= TOL


def assert_agree(ref: dict[str, Estimate], got, *, bootstrap_exact: bool) -> None:
    assert list(got) == list(ref)
    for metric, e in ref.items():
        g = got.estimates[metric]
        assert got[metric] == g.to_dict()
        assert set(got[metric]) == {"value", "low", "high", "n", "method"}
        assert abs(g.value - e.value) <= TOL, (metric, g.value, e.value)
        assert got.points[metric] == pytest.approx(e.value, abs=TOL)
        assert g.n == e.n
        if e.method.startswith("bootstrap"):
            assert g.method.startswith("bootstrap ("), (metric, g.method)
            if bootstrap_exact:
                assert g.method == e.method
                assert _close(g.low, e.low) and _close(g.high, e.high), (metric, g, e)
        else:
            assert g.method == e.method, (metric, g.method, e.method)
            assert _close(g.low, e.low) and _close(g.high, e.high), (metric, g, e)


# ---- agreement with the pandas path ------------------------------------------------------------


@pytest.mark.parametrize(
    "model_fn, data_fn",
    [
        (logistic, binary_data),
        (few_leaves, binary_data),
        (logistic, multiclass_data),
        (few_leaves, multiclass_data),
        (ridge, regression_data),
    ],
    ids=["binary-logistic", "binary-ties", "3-class-logistic", "3-class-ties", "regression"],
)
def test_spark_metrics_equal_the_pandas_path(spark, model_fn, data_fn):
    task = _task(model_fn)
    model, X_train, _, X_hold, y_hold = _fitted(model_fn, data_fn, 3000, 5000)
    adapter = ModelAdapter.wrap(model, task=task)
    ref = pandas_estimates(adapter, task, X_hold, y_hold)
    _, got = spark_estimates(spark, adapter, task, X_train, X_hold, y_hold)
    assert got.rows == got.n == len(X_hold) and got.unscored == 0
    assert_agree(ref, got, bootstrap_exact=True)  # 5,000 rows: every row, in order
    methods = {m: e.method for m, e in got.estimates.items()}
    if task == "regression":
        assert methods == {
            "rmse": "Student t on squared errors",
            "mae": "Student t on per-row losses",
            "r2": "delta method",
        }
    elif adapter.classes is not None and len(adapter.classes) == 2:
        assert methods["roc_auc"] == "DeLong"
        assert methods["accuracy"] == "Wilson"
        assert methods["brier"] == methods["log_loss"] == "Student t on per-row losses"
        assert methods["average_precision"].startswith("bootstrap")
    else:
        assert methods["roc_auc"].startswith("bootstrap")  # the pandas path's, on the same rows


def test_ties_are_counted_half(spark):
    """The few-leaves tree gives a handful of distinct scores: exact AUC needs ties at half."""
    model, X_train, _, X_hold, y_hold = _fitted(few_leaves, binary_data, 3000, 5000)
    adapter = ModelAdapter.wrap(model, task="classification")
    assert len(np.unique(adapter.predict_proba(X_hold)[:, 1])) <= 6
    from sklearn.metrics import average_precision_score, roc_auc_score

    _, got = spark_estimates(spark, adapter, "classification", X_train, X_hold, y_hold)
    p = adapter.predict_proba(X_hold)[:, 1]
    assert got.points["roc_auc"] == pytest.approx(roc_auc_score(y_hold, p), abs=1e-12)
    assert got.points["average_precision"] == pytest.approx(
        average_precision_score(y_hold, p), abs=1e-12
    )


def test_probabilities_are_kept_with_their_classes(spark):
    model, X_train, _, X_hold, y_hold = _fitted(logistic, multiclass_data, 2000, 1500)
    adapter = ModelAdapter.wrap(model, task="classification")
    scored = scored_hold_out(spark, adapter, X_train, X_hold, y_hold)
    mapping = proba_columns(adapter.classes)
    assert list(mapping.values()) == ["high", "low", "mid"]
    assert scored.columns == ["label", "row_id", PREDICTION, *mapping]
    assert scored.schema[PREDICTION].dataType == prediction_type("classification", ("a",))
    for name, label in mapping.items():
        assert scored.schema[name].metadata[METADATA_KEY]["class"] == label
    local = scored.toPandas().sort_values("row_id")  # 1,500 rows: small enough to look at
    np.testing.assert_allclose(
        local[list(mapping)].to_numpy(), adapter.predict_proba(X_hold), rtol=0, atol=1e-12
    )
    assert local[PREDICTION].tolist() == adapter.predict(X_hold).tolist()
    assert local["label"].tolist() == y_hold.tolist()


def test_prediction_types_follow_the_classes():
    from pyspark.sql import types as T

    assert prediction_type("regression", None) == T.DoubleType()
    assert prediction_type("classification", (np.int64(0), np.int64(1))) == T.LongType()
    assert prediction_type("classification", ("no", "yes")) == T.StringType()
    assert prediction_type("classification", (False, True)) == T.BooleanType()
    assert prediction_type("classification", (0.0, 1.0)) == T.DoubleType()


def test_baseline_equals_the_pandas_path(spark):
    for model_fn, data_fn in [
        (logistic, binary_data),
        (logistic, multiclass_data),
        (ridge, regression_data),
    ]:
        task = _task(model_fn)
        model, X_train, y_train, X_hold, y_hold = _fitted(model_fn, data_fn, 2000, 3000, seed=3)
        adapter = ModelAdapter.wrap(model, task=task)
        ref, ref_name = baseline_metrics(task, y_train, y_hold, adapter.classes)
        scored = score_frame(
            _frame(spark, X_hold, y_hold), adapter, FEATURES, target_col="label", task=task
        )
        got, name = spark_baseline_metrics(
            scored,
            _frame(spark, X_train, y_train),
            task=task,
            target_col="label",
            classes=adapter.classes,
        )
        assert name == ref_name
        assert list(got) == list(ref)
        for metric, value in ref.items():
            assert got[metric] == pytest.approx(value, abs=TOL, nan_ok=True), (task, metric)


def test_baseline_majority_breaks_ties_by_first_occurrence(spark):
    y_train = pd.Series([2, 1, 1, 2, 0], name="label")
    X_train = _features(5, np.random.default_rng(0))
    y_hold = pd.Series([0, 1, 2, 2], name="label")
    X_hold = _features(4, np.random.default_rng(1))
    model = make_pipeline(_encoder(), LogisticRegression(max_iter=200)).fit(X_train, y_train)
    adapter = ModelAdapter.wrap(model, task="classification")
    ref, _ = baseline_metrics("classification", y_train, y_hold, adapter.classes)
    scored = score_frame(_frame(spark, X_hold, y_hold), adapter, FEATURES, target_col="label")
    got, _ = spark_baseline_metrics(
        scored,
        _frame(spark, X_train, y_train),
        task="classification",
        target_col="label",
        classes=adapter.classes,
    )
    assert got["accuracy"] == ref["accuracy"] == 0.5  # majority 2 (first of the tied 2 and 1)


# ---- rows the model declines, and a model that raises --------------------------------------------


def _declining(model):
    """Like statsmodels: NaN for rows it cannot score (here: income above 70)."""

    class Declining:
        classes_ = model.classes_
        feature_names_in_ = np.asarray(FEATURES, dtype=object)

        def predict_proba(self, X):
            p = model.predict_proba(X).astype(float)
            p[X["income"].to_numpy() > 70] = np.nan
            return p

        def predict(self, X):
            out = model.predict(X).astype(object)
            out[X["income"].to_numpy() > 70] = np.nan
            return out

    return Declining()


def test_declined_rows_are_counted_and_left_out(spark):
    model, X_train, _, X_hold, y_hold = _fitted(logistic, binary_data, 3000, 4000)
    adapter = ModelAdapter.wrap(_declining(model), task="classification")
    pred, proba = adapter.predict(X_hold), adapter.predict_proba(X_hold)
    keep = ~unscored(pred, proba)
    assert 0 < (~keep).sum() < len(keep)
    labels = pd.Series(pred[keep]).infer_objects().to_numpy()
    ref = estimate_metrics(
        "classification",
        y_hold[keep],
        Outputs(labels, proba[keep]),
        adapter.classes,
        LEVEL,
        SEED,
    )
    _, got = spark_estimates(spark, adapter, "classification", X_train, X_hold, y_hold)
    assert got.rows == len(X_hold)
    assert got.unscored == int((~keep).sum()) and got.n == int(keep.sum())
    assert_agree(ref, got, bootstrap_exact=True)


def test_a_model_that_raises_fails_the_job_with_its_message(spark):
    class Exploding:
        classes_ = np.array([0, 1])

        def predict(self, X):
            raise ValueError("the feature 'income' exploded on row 3")

        def predict_proba(self, X):
            raise ValueError("the feature 'income' exploded on row 3")

    X, y = binary_data(500, 1)
    adapter = ModelAdapter.wrap(Exploding(), task="classification")
    scored = score_frame(_frame(spark, X, y), adapter, FEATURES, target_col="label")
    with pytest.raises(Exception) as info:
        spark_estimate_metrics(
            scored, task="classification", target_col="label", classes=(0, 1), level=LEVEL
        )
    assert "the feature 'income' exploded on row 3" in str(info.value)
    assert model_error(info.value) == "ValueError: the feature 'income' exploded on row 3"
    assert model_error(RuntimeError("something else")) is None


def test_training_dtypes_are_restored_in_each_batch(spark):
    """An int column with a null arrives as a nullable Arrow int; a categorical as a string; a
    pandas 3 string as str: the model sees what it saw in training (float64 for the int with a
    missing value, as pandas would hold it)."""
    categories = pd.CategoricalDtype(["a", "b", "c"])
    X = pd.DataFrame(
        {
            "count": pd.array([1, 2, None, 4] * 50, dtype="Int64"),
            "kind": pd.Categorical(["b", "a", "c", "a"] * 50, dtype=categories),
            "name": pd.array(["x", "y", "z", "w"] * 50, dtype="str"),
        }
    )
    y = pd.Series([0, 1, 0, 1] * 50, name="label")
    trained = {
        "count": np.dtype("int64"),
        "kind": categories,
        "name": pd.StringDtype(na_value=np.nan),
    }

    class Checking:
        classes_ = np.array([0, 1])
        feature_names_in_ = np.asarray(["count", "kind", "name"], dtype=object)

        def predict_proba(self, X):
            assert X["count"].dtype == np.float64, X["count"].dtype  # int64 with a null
            assert X["kind"].dtype == categories, X["kind"].dtype
            assert X["name"].dtype == trained["name"], X["name"].dtype
            p = (X["kind"].cat.codes.to_numpy() == 0).astype(float)
            return np.column_stack([1 - p, p])

        def predict(self, X):
            return (self.predict_proba(X)[:, 1] >= 0.5).astype("int64")

    adapter = ModelAdapter.wrap(Checking(), task="classification")
    frame = spark.createDataFrame(X.assign(label=y))
    scored = score_frame(
        frame, adapter, ["count", "kind", "name"], target_col="label", dtypes=trained
    )
    got = spark_estimate_metrics(
        scored, task="classification", target_col="label", classes=(0, 1), level=LEVEL
    )
    assert got.n == 200


# ---- scale: nothing collected ----------------------------------------------------------------


def test_300k_rows_are_scored_and_measured_without_collecting(spark):
    """maxResultSize is 4m (conftest): 300k rows of features, labels and probabilities are about
    10 MB, so any path that collected them would fail."""
    model, X_train, _, _, _ = _fitted(logistic, binary_data, 3000, 0)
    X, y = binary_data(300_000, 11)
    adapter = ModelAdapter.wrap(model, task="classification")
    sc = spark.sparkContext
    sc.setJobGroup("mlready-300k", "300k rows")
    try:
        start = time.perf_counter()
        scored, got = spark_estimates(spark, adapter, "classification", X_train, X, y)
        seconds = time.perf_counter() - start
        jobs = len(sc.statusTracker().getJobIdsForGroup("mlready-300k"))
    finally:
        sc.setJobGroup("", "")
    print(f"\n300k rows: {seconds:.1f} s, {jobs} Spark jobs ({'; '.join(got.passes)})")
    assert got.rows == got.n == 300_000
    ref = pandas_estimates(adapter, "classification", X, y)
    assert_agree(ref, got, bootstrap_exact=False)
    for metric in ("average_precision", "f1_macro"):
        g, e = got.estimates[metric], ref[metric]
        assert "seeded sample of 20,000 of 300,000 rows" in g.method
        assert e.method == "bootstrap (400 resamples of 20,000 rows)"
        width, ref_width = g.high - g.low, e.high - e.low
        assert 0.6 < width / ref_width < 1.6, (metric, g, e)
        assert g.low < g.value < g.high
    assert scored.count() == 300_000  # the scored frame itself is lazy, and complete
    with pytest.raises(Exception, match="maxResultSize"):  # the guard is real: collecting fails
        scored.collect()


# ---- small hold-outs and unusual classes --------------------------------------------------------


def _few_positives(n_neg: int, n_pos: int):
    model, X_train, _, X_hold, y_hold = _fitted(logistic, binary_data, 2000, 3000, seed=5)
    picked = np.r_[np.flatnonzero(y_hold == 0)[:n_neg], np.flatnonzero(y_hold == 1)[:n_pos]]
    picked.sort()
    X_small = X_hold.iloc[picked].reset_index(drop=True)
    return model, X_train, X_small, y_hold.iloc[picked].reset_index(drop=True)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_small_holdouts_are_widened_as_in_pandas(spark, task):
    """Fewer than MIN_CLASS_ROWS rows of a class (or rows): DeLong and the bootstraps are
    widened to the worst case, and R^2 is the whole range, exactly as the pandas path says."""
    if task == "classification":
        model, X_train, X_small, y_small = _few_positives(70, 6)
    else:
        model, X_train, _, X_hold, y_hold = _fitted(ridge, regression_data, 500, 8)
        X_small, y_small = X_hold, y_hold
    adapter = ModelAdapter.wrap(model, task=task)
    ref = pandas_estimates(adapter, task, X_small, y_small)
    _, got = spark_estimates(spark, adapter, task, X_train, X_small, y_small)
    assert_agree(ref, got, bootstrap_exact=True)
    if task == "classification":
        assert "widened" in got.estimates["roc_auc"].method
        assert "widened" in got.estimates["average_precision"].method
    else:
        assert got.estimates["r2"].method == "too few rows (8) to estimate"


@pytest.mark.filterwarnings("ignore:Labels passed were:UserWarning")
def test_unsorted_string_classes_follow_the_pandas_path(spark):
    """A model whose classes are not in sorted order ("yes", "no"): the positive class is the
    second one, and log loss reads the columns the way scikit-learn does."""
    model, X_train, _, X_hold, y_hold = _fitted(logistic, binary_data, 2000, 2000, seed=9)

    class YesNo:
        classes_ = np.array(["yes", "no"], dtype=object)
        feature_names_in_ = np.asarray(FEATURES, dtype=object)

        def predict_proba(self, X):
            return model.predict_proba(X)[:, ::-1]  # column 0: P(yes), column 1: P(no)

        def predict(self, X):
            return np.where(model.predict(X) == 1, "yes", "no").astype(object)

    adapter = ModelAdapter.wrap(YesNo(), task="classification")
    y_words = pd.Series(np.where(y_hold == 1, "yes", "no"), name="label")
    ref = pandas_estimates(adapter, "classification", X_hold, y_words)
    scored, got = spark_estimates(spark, adapter, "classification", X_train, X_hold, y_words)
    assert scored.schema[PREDICTION].dataType == prediction_type("classification", ("a",))
    assert_agree(ref, got, bootstrap_exact=True)
