"""The wide benchmark's data and model: ``features`` numeric + a few categorical columns.

One module, imported by the wide notebook (``wide.py`` writes it; ``bench.py`` checks it), by
``bench.py`` and by the peer scripts (``peers/_common.py``), so every tool sees the same rows and
the same fitted pipeline. Like ``claims.py`` it runs under numpy 1/2, pandas 2/3 and
scikit-learn 1.7+ (the peers' venvs pin older versions).

``features`` numeric columns ``f00000`` ... (standard normal; ``f00000`` an integer count, five
with 5% missing values) and ``categoricals`` string columns ``cat0`` ... (5, 6, ... levels); a
binary ``target`` from a sparse linear signal (20 features and ``cat0 == "v1"``); a 70/30 split;
impute + scale the numbers, impute + one-hot the categories, LogisticRegression. Fixed seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 0
CATEGORICALS = 3
TARGET = "target"
CATEGORY_PREFIX = "cat"
HOLDOUT_FRACTION = 0.3


def make_wide(
    rows: int, features: int, categoricals: int = CATEGORICALS, seed: int = SEED
) -> tuple[pd.DataFrame, pd.Series]:
    """(X, y): ``features`` numeric and ``categoricals`` string columns, a 0/1 target."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(rows, features)).astype("float64")
    X = pd.DataFrame(numbers, columns=[f"f{i:05d}" for i in range(features)])
    X["f00000"] = np.round(np.abs(X["f00000"]) * 10).astype("int64")  # a count
    for name in X.columns[1:6]:  # a few columns with missing values
        X.loc[rng.random(rows) < 0.05, name] = np.nan
    for j in range(categoricals):
        X[f"{CATEGORY_PREFIX}{j}"] = rng.choice([f"v{k}" for k in range(5 + j)], rows)
    weights = np.zeros(features)
    chosen = min(20, features)
    weights[rng.choice(features, chosen, replace=False)] = rng.normal(size=chosen)
    signal = np.nan_to_num(numbers) @ weights
    if categoricals:
        signal = signal + (X[f"{CATEGORY_PREFIX}0"] == "v1").to_numpy()
    y = pd.Series((signal + rng.normal(size=rows) > 0).astype(int), name=TARGET)
    return X, y


def split(X: pd.DataFrame, y: pd.Series, seed: int = SEED):
    """Train 70% / hold-out 30%: X_train, X_test, y_train, y_test."""
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=HOLDOUT_FRACTION, random_state=seed)


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if str(c).startswith(CATEGORY_PREFIX)]


def numeric_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not str(c).startswith(CATEGORY_PREFIX)]


def make_pipeline(X: pd.DataFrame):
    """Impute + scale the numbers, impute + one-hot the categories, LogisticRegression; only
    scikit-learn objects, so the fitted pipeline unpickles anywhere without this module."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline as chain
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categories = chain(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    return chain(
        ColumnTransformer(
            [
                ("num", chain(SimpleImputer(), StandardScaler()), numeric_columns(X)),
                ("cat", categories, categorical_columns(X)),
            ]
        ),
        LogisticRegression(max_iter=200, C=0.1),
    )


def build(rows: int, features: int, categoricals: int = CATEGORICALS, seed: int = SEED):
    """Data and fitted model in one call: (X_train, X_test, y_train, y_test, model)."""
    X_train, X_test, y_train, y_test = split(*make_wide(rows, features, categoricals, seed), seed)
    model = make_pipeline(X_train).fit(X_train, y_train)
    return X_train, X_test, y_train, y_test, model
