# %% [markdown]
# # Flavor fixture: data prepared in polars, scikit-learn pipeline fitted on polars frames (clean)
# Churn model where the whole data preparation is polars, and `X_train`, `y_train`, `X_test`,
# `y_test` are polars `DataFrame` / `Series`. The pipeline one-hot encodes the string column
# (`handle_unknown="ignore"`) and feeds a `HistGradientBoostingClassifier`, which handles missing
# numbers natively. Expected verdict: **ready**.
# %%
import numpy as np
import polars as pl
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

rng = np.random.default_rng(51)
n = 3000
raw = pl.DataFrame({
    "customer_id": np.arange(n),
    "signup_channel": rng.choice(["organic", "ads", "referral", "partner"], n).tolist(),
    "monthly_spend": rng.gamma(3, 15, n).round(2),
    "sessions_last_30d": rng.poisson(12, n),
    "days_since_last_login": rng.exponential(10, n).round(0),
    "support_contacts": rng.poisson(0.8, n),
})
raw = raw.with_columns(
    pl.when(pl.Series(rng.random(n) < 0.06)).then(None).otherwise(pl.col("monthly_spend")).alias("monthly_spend")
)
z = (-0.6 - 0.15 * raw["sessions_last_30d"].to_numpy() + 0.15 * raw["days_since_last_login"].to_numpy()
     + 0.8 * raw["support_contacts"].to_numpy() + 1.2 * (raw["signup_channel"] == "ads").to_numpy())
raw = raw.with_columns(pl.Series("churned", (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int64)))
raw.head()

# %%
df = (
    raw.with_columns(
        (pl.col("monthly_spend") / (pl.col("sessions_last_30d") + 1)).alias("spend_per_session"),
    )
    .drop("customer_id")
    .sample(fraction=1.0, shuffle=True, seed=0)
)
cut = int(0.7 * df.height)
train, test = df.head(cut), df.tail(df.height - cut)
X_train, y_train = train.drop("churned"), train["churned"]
X_test, y_test = test.drop("churned"), test["churned"]
type(X_train), type(y_train)

# %%
model = Pipeline([
    ("prep", ColumnTransformer(
        [("channel", OneHotEncoder(handle_unknown="ignore"), ["signup_channel"])],
        remainder="passthrough",
    )),
    ("clf", HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, random_state=0)),
])
model.fit(X_train, y_train)
print("hold-out AUC", round(roc_auc_score(y_test.to_numpy(), model.predict_proba(X_test)[:, 1]), 3))
