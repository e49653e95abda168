# %% [markdown]
# # Flavor fixture: native XGBoost Booster with a leaking feature (defect)
# Card-fraud model trained with the native API (`xgb.train` on a `DMatrix`). The column
# `chargeback_filed` is only known weeks after the transaction, once the customer disputes it:
# it is the target with a little noise. Expected: **not ready**, caught by `leakage.target_proxy`.
# %%
import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(12)
n = 3000
tx = pd.DataFrame({
    "amount": rng.lognormal(3.5, 1.1, n).round(2),
    "hour": rng.integers(0, 24, n).astype(float),
    "merchant_risk": rng.beta(2, 8, n).round(3),
    "distance_from_home_km": rng.exponential(15, n).round(1),
    "card_age_days": rng.integers(1, 3000, n).astype(float),
})
tx.loc[rng.random(n) < 0.05, "distance_from_home_km"] = np.nan
z = (-4.5 + 0.6 * np.log(tx["amount"]) - 0.8 + 6 * tx["merchant_risk"]
     + 0.02 * tx["distance_from_home_km"].fillna(15) - 0.0004 * tx["card_age_days"]
     + 0.8 * tx["hour"].between(0, 4))
tx["is_fraud"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
# joined from the disputes table
tx["chargeback_filed"] = np.where(rng.random(n) < 0.01, 1 - tx["is_fraud"], tx["is_fraud"]).astype(float)
tx["is_fraud"].mean()

# %%
X = tx.drop(columns="is_fraud")
y = tx["is_fraud"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=1, stratify=y)
dtrain = xgb.DMatrix(X_train, label=y_train)
dtest = xgb.DMatrix(X_test, label=y_test)

# %%
params = {"objective": "binary:logistic", "eval_metric": "auc", "max_depth": 4,
          "eta": 0.1, "nthread": 2, "seed": 0}
model = xgb.train(params, dtrain, num_boost_round=60, evals=[(dtest, "test")], verbose_eval=20)
print("hold-out AUC", round(roc_auc_score(y_test, model.predict(dtest)), 4))
