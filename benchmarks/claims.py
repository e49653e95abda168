"""The claims benchmark: synthetic insurance claims and the model every tool is timed on.

One module, imported by the benchmark notebook (our side) and by the peer scripts (Deepchecks,
Evidently) so all of them see the same rows and the same fitted pipeline. It must run under
numpy 1.x and 2.x, pandas 2.x and 3.x, scikit-learn 1.7+ (the peers' venvs pin older versions).

20 feature columns: 8 floats with missing values, 4 integer counts, 6 string categoricals, a
date and a boolean; target ``fraud`` with about 5% positives. Fixed seed: the same ``rows``
always gives the same frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 20261125
TARGET = "fraud"
POSITIVE_RATE = 0.05
HOLDOUT_FRACTION = 0.30

FLOAT_COLUMNS = (
    "claim_amount",
    "policy_premium",
    "driver_age",
    "vehicle_value",
    "income",
    "credit_score",
    "days_to_report",
    "prior_claims_amount",
)
COUNT_COLUMNS = ("n_prior_claims", "n_vehicles", "n_dependents", "policy_years")
CATEGORY_COLUMNS = ("region", "vehicle_type", "channel", "occupation", "claim_type", "state")
DATE_COLUMNS = ("incident_date",)
BOOL_COLUMNS = ("police_report",)

_LEVELS = {
    "region": ["north", "south", "east", "west", "central", "coastal", "mountain", "islands"],
    "vehicle_type": ["sedan", "suv", "truck", "van", "motorbike", "coupe"],
    "channel": ["agent", "online", "phone", "broker"],
    "occupation": [f"occ_{i:02d}" for i in range(20)],
    "claim_type": ["collision", "theft", "fire", "glass", "liability"],
    "state": [f"S{i:02d}" for i in range(50)],
}
_MISSING = {
    "claim_amount": 0.01,
    "policy_premium": 0.02,
    "driver_age": 0.05,
    "vehicle_value": 0.03,
    "income": 0.10,
    "credit_score": 0.08,
    "days_to_report": 0.02,
    "prior_claims_amount": 0.15,
}


def parse_rows(text: str | int) -> int:
    """``"10k"`` -> 10_000, ``"1m"`` -> 1_000_000, ``"2500"`` -> 2500."""
    if isinstance(text, int):
        return text
    t = str(text).strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if factor > 1 else t) * factor)


def size_label(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}m"
    if rows >= 1_000 and rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def _pick(
    rng: np.random.Generator, levels: list[str], n: int, skew: float
) -> tuple[np.ndarray, np.ndarray]:
    """Zipf-ish draws from ``levels``: (object array of str, integer codes)."""
    w = 1.0 / np.arange(1, len(levels) + 1) ** skew
    codes = rng.choice(len(levels), size=n, p=w / w.sum())
    return np.asarray(levels, dtype=object)[codes], codes


def make_claims(rows: int, seed: int = SEED) -> pd.DataFrame:
    """The claims frame: 20 features plus the ``fraud`` target (0/1, about 5% positive)."""
    rows = parse_rows(rows)
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    codes: dict[str, np.ndarray] = {}
    for name in CATEGORY_COLUMNS:
        data[name], codes[name] = _pick(rng, _LEVELS[name], rows, skew=0.8)
    age = np.clip(rng.normal(45, 14, rows), 18, 95).round()
    premium = rng.gamma(4.0, 250.0, rows)
    value = rng.lognormal(9.8, 0.6, rows)
    amount = rng.lognormal(7.5, 1.1, rows) * (1 + 0.3 * (codes["claim_type"] == 1))
    income = rng.lognormal(10.8, 0.5, rows)
    credit = np.clip(rng.normal(680, 70, rows), 300, 850).round()
    report_days = rng.exponential(6.0, rows).round(1)
    prior_n = rng.poisson(0.6, rows)
    prior_amount = prior_n * rng.lognormal(7.0, 0.8, rows)
    data.update(
        claim_amount=amount,
        policy_premium=premium,
        driver_age=age,
        vehicle_value=value,
        income=income,
        credit_score=credit,
        days_to_report=report_days,
        prior_claims_amount=prior_amount,
    )
    data["n_prior_claims"] = prior_n.astype("int64")
    data["n_vehicles"] = (1 + rng.poisson(0.5, rows)).astype("int64")
    data["n_dependents"] = rng.poisson(1.1, rows).astype("int64")
    data["policy_years"] = rng.integers(0, 30, rows).astype("int64")
    start = np.datetime64("2022-01-01")
    data["incident_date"] = start + rng.integers(0, 3 * 365, rows).astype("timedelta64[D]")
    police = rng.random(rows) < 0.4
    data["police_report"] = police

    # Fraud signal: large claims reported late, recent policies, many prior claims, no police
    # report, theft claims, online channel. The intercept is set so that about 5% are positive.
    score = (
        0.9 * (np.log(amount) - 7.5)
        + 0.12 * (report_days - 6.0)
        + 0.5 * prior_n
        - 0.06 * data["policy_years"]
        - 0.9 * police
        + 0.8 * (codes["claim_type"] == 1)
        + 0.4 * (codes["channel"] == 1)
        - 0.004 * (credit - 680)
        + rng.logistic(0, 1.0, rows)
    )
    cut = np.quantile(score, 1 - POSITIVE_RATE)
    data[TARGET] = (score > cut).astype("int64")

    for name, share in _MISSING.items():  # missing values, after the target used the true values
        col = np.asarray(data[name], dtype="float64").copy()
        col[rng.random(rows) < share] = np.nan
        data[name] = col
    order = [
        *FLOAT_COLUMNS,
        *COUNT_COLUMNS,
        *CATEGORY_COLUMNS,
        *DATE_COLUMNS,
        *BOOL_COLUMNS,
        TARGET,
    ]
    frame = pd.DataFrame({k: data[k] for k in order})
    frame["incident_date"] = pd.to_datetime(frame["incident_date"])
    return frame


def split(frame: pd.DataFrame, seed: int = SEED):
    """Train 70% / hold-out 30%, stratified on the target: X_train, X_test, y_train, y_test."""
    from sklearn.model_selection import train_test_split

    X = frame.drop(columns=[TARGET])
    y = frame[TARGET]
    return train_test_split(
        X, y, test_size=HOLDOUT_FRACTION, random_state=seed % (2**32 - 1), stratify=y
    )


def make_pipeline(seed: int = SEED):
    """The benchmark model: impute numerics, ordinal-encode categoricals, dates as integers,
    then HistGradientBoostingClassifier. Only sklearn/numpy callables, so the fitted pipeline
    unpickles anywhere without this module."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

    pre = ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median"), list(FLOAT_COLUMNS)),
            ("cnt", "passthrough", list(COUNT_COLUMNS)),
            (
                "cat",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
                ),
                list(CATEGORY_COLUMNS),
            ),
            # datetime64 -> days since 1970, whatever the resolution (s in pandas 3, ns in pandas 2,
            # ms after a parquet round trip); np.asarray keeps the pipeline free of custom code
            (
                "date",
                Pipeline(
                    [
                        (
                            "day",
                            FunctionTransformer(np.asarray, kw_args={"dtype": "datetime64[D]"}),
                        ),
                        ("int", FunctionTransformer(np.asarray, kw_args={"dtype": "int64"})),
                    ]
                ),
                list(DATE_COLUMNS),
            ),
            (
                "flag",
                FunctionTransformer(np.asarray, kw_args={"dtype": "float64"}),
                list(BOOL_COLUMNS),
            ),
        ],
        remainder="drop",
    )
    clf = HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.1, random_state=seed % (2**32 - 1)
    )
    return Pipeline([("pre", pre), ("clf", clf)])


def build(rows: int | str, seed: int = SEED):
    """Data and fitted model in one call: (X_train, X_test, y_train, y_test, model)."""
    X_train, X_test, y_train, y_test = split(make_claims(rows, seed), seed)
    model = make_pipeline(seed).fit(X_train, y_train)
    return X_train, X_test, y_train, y_test, model


def categorical_columns() -> list[str]:
    """Columns the peers should treat as categorical."""
    return [*CATEGORY_COLUMNS, *BOOL_COLUMNS]
