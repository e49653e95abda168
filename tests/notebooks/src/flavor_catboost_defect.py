# %% [markdown]
# # Flavor fixture: CatBoost model that only looks good (defect)
# Claims-escalation model on imbalanced data (about 8% escalate). The features that carried the
# signal were dropped in an earlier clean-up, so the model predicts "no" for nearly everyone; its
# 92% accuracy is just the class prior. Expected: **not ready**, caught by `performance.baseline`.
# %%
import numpy as np
import pandas as pd
from catboost import CatBoostClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(32)
n = 3000
claims = pd.DataFrame({
    "claim_type": rng.choice(["auto", "home", "travel", "health"], n),
    "channel": rng.choice(["web", "phone", "agent"], n),
    "region": rng.choice(["north", "south", "east", "west"], n),
    "claim_amount": rng.lognormal(7, 1, n).round(2),
    "policy_years": rng.integers(0, 25, n).astype(float),
    "prior_claims": rng.poisson(0.4, n).astype(float),
})
escalation_score = rng.normal(0, 1, n)  # adjuster notes: not available any more
claims["escalated"] = np.where(escalation_score + rng.normal(0, 0.3, n) > 1.4, "yes", "no")
claims["escalated"].value_counts(normalize=True)

# %%
X = claims.drop(columns="escalated")
y = claims["escalated"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)

# %%
model = CatBoostClassifier(iterations=100, depth=6, learning_rate=0.05, random_seed=0,
                           thread_count=2, cat_features=["claim_type", "channel", "region"],
                           allow_writing_files=False, verbose=0)
model.fit(X_train, y_train)
print("hold-out accuracy", round(accuracy_score(y_test, model.predict(X_test)), 3))
