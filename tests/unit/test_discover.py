import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from jupyter_mlready.errors import DiscoveryError
from jupyter_mlready.stages.discover import Overrides, discover, name_role, name_split, parse_pair


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y"], n)}
    )
    y = pd.Series((X["a"] + rng.normal(scale=0.5, size=n) > 0).astype(int), name="label")
    return X, y


def _pipe():
    return Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        ("num", StandardScaler(), ["a", "b"]),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), ["c"]),
                    ]
                ),
            ),
            ("clf", LogisticRegression()),
        ]
    )


@pytest.mark.parametrize(
    "name,split,role",
    [
        ("X_train", "train", "x"),
        ("Xtest", "test", "x"),
        ("y_val", "val", "y"),
        ("train_df", "train", "frame"),
        ("df_test", "test", "frame"),
        ("X_tr", "train", "x"),
        ("X_holdout", "test", "x"),
        ("trainX", "train", "x"),
        ("features_test", "test", "x"),
        ("labels_train", "train", "y"),
        ("df", None, "frame"),
    ],
)
def test_name_words(name, split, role):
    assert name_split(name) == split
    assert name_role(name) == role


def test_parse_pair():
    assert parse_pair("X_train,y_train") == ("X_train", "y_train")
    assert parse_pair("train_df") == ("train_df",)
    assert parse_pair(None) is None


def test_conventional_names_and_nested_steps_are_not_models():
    X, y = _data()
    X_train, X_test, y_train, y_test = X[:150], X[150:], y[:150], y[150:]
    model = _pipe().fit(X_train, y_train)
    clf = model.named_steps["clf"]  # a step of the pipeline: not a second candidate
    s = discover(
        {
            "model": model,
            "clf": clf,
            "X_train": X_train,
            "X_test": X_test,
            "y_train": y_train,
            "y_test": y_test,
            "X": X,
            "y": y,
        }
    )
    assert s.model_var == "model" and s.task == "classification"
    assert (s.train.rows, s.holdout.rows) == (150, 50)
    assert s.discovery["train"] == {
        "x": "X_train",
        "y": "y_train",
        "how": "conventional names (train split)",
    }


def test_frames_with_target_column_and_test_preferred_over_val():
    X, y = _data(300)
    df = X.assign(label=y)
    train_df, val_df, test_df = df[:200], df[200:250], df[250:]
    pipe = _pipe().fit(train_df.drop(columns="label"), train_df["label"])
    s = discover({"pipe": pipe, "train_df": train_df, "val_df": val_df, "test_df": test_df})
    assert s.target_name == "label"
    assert s.holdout.x_var == "test_df" and s.holdout.rows == 50
    assert "label" not in s.train.X.columns


def test_numpy_arrays_regression():
    rng = np.random.default_rng(1)
    Xtr, Xte = rng.normal(size=(100, 3)), rng.normal(size=(40, 3))
    ytr, yte = Xtr @ [1, 2, 3], Xte @ [1, 2, 3]
    reg = LinearRegression().fit(Xtr, ytr)
    s = discover({"reg": reg, "Xtrain": Xtr, "Xtest": Xte, "ytrain": ytr, "ytest": yte})
    assert s.task == "regression"
    assert list(s.train.X.columns) == ["x0", "x1", "x2"]
    assert s.model.input_kind == "array"
    np.testing.assert_allclose(s.model.predict(s.holdout.X), yte, atol=1e-8)


def test_search_cv_and_its_best_estimator_are_one_model():
    X, y = _data()
    X_train, X_test, y_train, y_test = X[:150], X[150:], y[:150], y[150:]
    grid = GridSearchCV(_pipe(), {"clf__C": [0.1, 1.0]}, cv=2).fit(X_train, y_train)
    best = grid.best_estimator_
    s = discover(
        {
            "grid": grid,
            "best": best,
            "X_train": X_train,
            "X_test": X_test,
            "y_train": y_train,
            "y_test": y_test,
        }
    )
    assert s.model_var == "best"


def test_two_models_is_ambiguous_and_names_both():
    X, y = _data()
    X_train, X_test, y_train, y_test = X[["a", "b"]][:150], X[["a", "b"]][150:], y[:150], y[150:]
    ns = {
        "lr_a": LogisticRegression().fit(X_train, y_train),
        "lr_b": LogisticRegression(C=0.1).fit(X_train, y_train),
        "X_train": X_train,
        "X_test": X_test,
        "y_train": y_train,
        "y_test": y_test,
    }
    with pytest.raises(DiscoveryError) as err:
        discover(ns)
    assert err.value.candidates == ["lr_a", "lr_b"] and "--model" in str(err.value)
    assert discover(ns, Overrides(model="lr_b")).discovery["model"]["how"] == "--model"


def test_unfitted_model_and_no_holdout_errors():
    X, y = _data()
    with pytest.raises(DiscoveryError, match="no fitted object"):
        discover({"model": LogisticRegression(), "X_train": X, "y_train": y})
    fitted = _pipe().fit(X, y)
    with pytest.raises(DiscoveryError, match="--holdout"):
        discover({"model": fitted, "X_train": X, "y_train": y})


def test_explicit_overrides_with_odd_names():
    X, y = _data()
    model = _pipe().fit(X[:150], y[:150])
    ns = {
        "m": model,
        "fit_features": X[:150],
        "fit_labels": y[:150],
        "later": X[150:],
        "later_y": y[150:],
    }
    s = discover(ns, Overrides(train=("fit_features", "fit_labels"), holdout=("later", "later_y")))
    assert s.discovery["holdout"]["how"] == "--holdout" and s.holdout.rows == 50
    with pytest.raises(DiscoveryError, match="no variable named 'nope'"):
        discover(ns, Overrides(train=("nope",)))


def test_index_alignment_finds_target_with_unconventional_name():
    X, y = _data()
    X_train, X_test = X[:150], X[150:]
    churn_train, churn_test = y[:150], y[150:]
    model = _pipe().fit(X_train, churn_train)
    s = discover(
        {
            "model": model,
            "X_train": X_train,
            "X_test": X_test,
            "churn_train": churn_train,
            "churn_test": churn_test,
        }
    )
    assert s.train.y_var == "churn_train" and s.holdout.y_var == "churn_test"


def test_custom_model_that_reads_named_columns_and_ensembles_with_array_members():
    from sklearn.ensemble import GradientBoostingRegressor

    X, y = _data()

    class ThresholdModel:  # no sklearn base class, no feature_names_in_
        classes_ = np.array([0, 1])

        def predict(self, frame):
            return (frame["a"] > 0).astype(int).to_numpy()

    s = discover(
        {
            "scorer": ThresholdModel(),
            "X_train": X[:150],
            "X_test": X[150:],
            "y_train": y[:150],
            "y_test": y[150:],
        }
    )
    assert (
        s.model.input_kind == "frame" and s.model.flavor == "pyfunc" and s.task == "classification"
    )
    Xn = X[["a", "b"]].to_numpy()
    gbr = GradientBoostingRegressor(n_estimators=5).fit(
        Xn[:150], Xn[:150, 0]
    )  # estimators_ is an ndarray
    s = discover(
        {
            "gbr": gbr,
            "X_train": Xn[:150],
            "X_test": Xn[150:],
            "y_train": Xn[:150, 0],
            "y_test": Xn[150:, 0],
        }
    )
    assert s.task == "regression" and s.model.input_kind == "array"


def test_target_column_found_among_id_and_date_columns():
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(2)
    n = 300
    df = pd.DataFrame(
        {
            "Id": np.arange(n),
            "LotArea": rng.normal(1000, 200, n),
            "Rooms": rng.integers(1, 8, n),
            "YrSold": rng.integers(2006, 2011, n),
        }
    )
    df["SalePrice"] = df["LotArea"] * 150 + df["Rooms"] * 10_000 + rng.normal(0, 5000, n)
    features = ["LotArea", "Rooms"]
    train, test = df[:220], df[220:]
    model = RandomForestRegressor(n_estimators=20, random_state=0).fit(
        train[features], train["SalePrice"]
    )
    s = discover({"model": model, "train": train, "test": test})
    assert s.target_name == "SalePrice" and list(s.train.X.columns) == features
    assert "predictions match" in s.discovery["train"]["how"]


def test_scaled_arrays_beside_frames_pick_what_the_model_was_fitted_on():
    from sklearn.preprocessing import StandardScaler

    X, y = _data()
    X = X[["a", "b"]]
    X_train, X_test, y_train, y_test = X[:150], X[150:], y[:150], y[150:]
    scaler = StandardScaler().fit(X_train)
    X_train_scaled, X_test_scaled = scaler.transform(X_train), scaler.transform(X_test)
    model = LogisticRegression().fit(X_train_scaled, y_train)
    s = discover(
        {
            "model": model,
            "scaler": scaler,
            "X_train": X_train,
            "X_test": X_test,
            "X_train_scaled": X_train_scaled,
            "X_test_scaled": X_test_scaled,
            "y_train": y_train,
            "y_test": y_test,
        }
    )
    assert s.train.x_var == "X_train_scaled" and s.holdout.x_var == "X_test_scaled"


def test_an_empty_holdout_is_named_and_said_empty():
    X = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) % 7})
    y = (X["a"] > 50).astype(int)
    ns = {
        "model": LogisticRegression().fit(X, y),
        "X_train": X,
        "y_train": y,
        "X_test": X.iloc[:0],
        "y_test": y.iloc[:0],
    }
    with pytest.raises(DiscoveryError, match="'X_test', 'y_test' have 0 rows"):
        discover(ns)
    with pytest.raises(DiscoveryError, match="'X_test' has 0 rows"):
        discover(ns, Overrides(holdout=("X_test", "y_test")))


def test_a_hand_written_ensemble_holding_its_members_is_one_model():
    """A blend keeps its fitted members in a list; they are also notebook variables. The
    blend is the model, not one of three."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlready.stages.discover import discover

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X["a"] > 0).astype(int)
    logreg = LogisticRegression().fit(X[:300], y[:300])
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X[:300], y[:300])

    class Blend:
        def __init__(self, members):
            self.members = members

        def predict_proba(self, frame):
            return np.mean([m.predict_proba(frame) for m in self.members], axis=0)

        def predict(self, frame):
            return self.predict_proba(frame).argmax(axis=1)

    ns = {"logreg": logreg, "forest": forest, "blend": Blend([logreg, forest])}
    ns.update(X_train=X[:300], X_test=X[300:], y_train=y[:300], y_test=y[300:])
    subject = discover(ns)
    assert subject.model_var == "blend"
