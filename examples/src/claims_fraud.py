# %% [markdown]
# # Insurance claims fraud model
# Synthetic claims (fixed seed), a scikit-learn pipeline, a train/test split and the usual metrics.

# %%
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import average_precision_score, classification_report, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

SEED = 42
rng = np.random.default_rng(SEED)

# %% [markdown]
# ## Data

# %%
n = 20_000
claims = pd.DataFrame({
    "claim_amount": np.round(rng.lognormal(8.2, 0.9, n), 2),
    "policy_tenure_years": np.round(rng.gamma(2.0, 3.0, n), 1),
    "customer_age": rng.integers(18, 90, n),
    "prior_claims": rng.poisson(0.6, n),
    "vehicle_type": rng.choice(["sedan", "suv", "truck", "van", "motorbike"], n, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
    "region": rng.choice(["north", "south", "east", "west", "central"], n),
    "incident_type": rng.choice(["collision", "theft", "fire", "vandalism", "weather"], n, p=[0.5, 0.15, 0.05, 0.15, 0.15]),
    "claim_date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
    "police_report": rng.random(n) < 0.6,
    "days_to_report": rng.integers(0, 60, n),
})
# missing values, as in any real extract
claims.loc[rng.random(n) < 0.04, "claim_amount"] = np.nan
claims.loc[rng.random(n) < 0.07, "policy_tenure_years"] = np.nan

logit = (-4.6
         + 0.9 * np.log(claims["claim_amount"].fillna(3000) / 3000)
         + 0.45 * claims["prior_claims"]
         - 1.1 * claims["police_report"]
         + 1.3 * (claims["incident_type"] == "theft")
         + 0.9 * (claims["incident_type"] == "fire")
         + 0.035 * claims["days_to_report"]
         - 0.06 * claims["policy_tenure_years"].fillna(6))
claims["is_fraud"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
# recorded by the CRM; a protected attribute, so it never goes into the model
claims["customer_gender"] = rng.choice(["female", "male"], n)
print(f"fraud rate: {claims['is_fraud'].mean():.2%}")
claims.head()

# %% [markdown]
# ## Train / test split
# Out of time, as the model will be used: train on the older claims, hold out the newest quarter.
# The claim date orders the split and is not a feature. The gender column is a protected
# attribute: kept out of the model, and kept beside it (in `claims`) for the fairness check.

# %%
not_features = ["is_fraud", "claim_date", "customer_gender"]
cutoff = claims["claim_date"].quantile(0.75)
train = claims[claims["claim_date"] <= cutoff]
test = claims[claims["claim_date"] > cutoff]
X_train, y_train = train.drop(columns=not_features), train["is_fraud"]
X_test, y_test = test.drop(columns=not_features), test["is_fraud"]
print(f"train: claims up to {cutoff:%Y-%m-%d} ({len(train):,}); test: after ({len(test):,})")

# %% [markdown]
# ## Model

# %%
def log_amount(values):
    return np.log1p(np.asarray(values, dtype=float))


numeric = ["policy_tenure_years", "customer_age", "prior_claims", "days_to_report"]
categorical = ["vehicle_type", "region", "incident_type"]

preprocess = ColumnTransformer([
    ("amount", make_pipeline(SimpleImputer(strategy="median"), FunctionTransformer(log_amount)),
     ["claim_amount"]),
    ("num", SimpleImputer(strategy="median"), numeric),
    ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                          OneHotEncoder(handle_unknown="ignore", sparse_output=False)), categorical),
    ("flag", "passthrough", ["police_report"]),
])
model = Pipeline([
    ("prep", preprocess),
    ("clf", HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=SEED)),
])
model.fit(X_train, y_train)

# %% [markdown]
# ## Evaluation

# %%
proba = model.predict_proba(X_test)[:, 1]
print(f"ROC AUC: {roc_auc_score(y_test, proba):.3f}")
print(f"PR AUC:  {average_precision_score(y_test, proba):.3f}")
print(classification_report(y_test, model.predict(X_test), digits=3))
