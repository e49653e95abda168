# %% [markdown]
# # Flavor fixture: CatBoost classifier with string categoricals and string labels (clean)
# Subscription-renewal model: `CatBoostClassifier` with `cat_features` given as column names,
# string categorical columns, numeric columns with missing values (CatBoost's default
# `nan_mode="Min"`), and labels `"yes"` / `"no"`. CatBoost encodes unseen category values
# natively. Hold-out from the same distribution. Expected verdict: **ready**.
# %%
import tempfile

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(31)
n = 3000
subs = pd.DataFrame({
    "plan": rng.choice(["basic", "standard", "family", "student"], n, p=[0.35, 0.35, 0.2, 0.1]),
    "country": rng.choice(["DE", "FR", "NL", "ES", "IT", "PL"], n),
    "payment_method": rng.choice(["card", "paypal", "sepa", "gift"], n, p=[0.5, 0.25, 0.2, 0.05]),
    "months_active": rng.integers(1, 60, n).astype(float),
    "weekly_hours": rng.gamma(2, 3, n).round(1),
    "support_tickets": rng.poisson(0.6, n).astype(float),
})
subs.loc[rng.random(n) < 0.08, "weekly_hours"] = np.nan
z = (-2.2 + 0.06 * subs["months_active"] + 0.25 * subs["weekly_hours"].fillna(3)
     - 0.9 * subs["support_tickets"] + 1.2 * (subs["plan"] == "family")
     - 1.5 * (subs["plan"] == "student") - 2.0 * (subs["payment_method"] == "gift"))
subs["renewed"] = np.where(rng.random(n) < 1 / (1 + np.exp(-z)), "yes", "no")
subs["renewed"].value_counts()

# %%
X = subs.drop(columns="renewed")
y = subs["renewed"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)

# %%
model = CatBoostClassifier(
    iterations=100, depth=4, learning_rate=0.1, random_seed=0, thread_count=2,
    cat_features=["plan", "country", "payment_method"],
    train_dir=tempfile.mkdtemp(prefix="catboost_"), verbose=0,
)
model.fit(X_train, y_train)
print(model.classes_)
print("hold-out AUC", round(roc_auc_score(y_test == "yes", model.predict_proba(X_test)[:, 1]), 3))
