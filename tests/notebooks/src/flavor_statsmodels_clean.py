# %% [markdown]
# # Flavor fixture: statsmodels logit via the formula API (clean)
# Churn model fitted with `smf.logit("churned ~ age + income + plan_plus + plan_premium",
# data=train_df)`, the plan one-hot encoded with `pd.get_dummies` beforehand (a new plan then
# has no column to break); the frames `train_df` and `test_df` hold the target column `churned`.
# Hold-out from the same distribution; the model clearly beats the class-prior baseline.
# Expected verdict: **ready**.
# %%
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(41)
n = 3000
customers = pd.DataFrame({
    "age": rng.integers(18, 80, n),
    "income": (rng.lognormal(10.7, 0.35, n) / 1000).round(1),  # in thousands
    "plan": rng.choice(["basic", "plus", "premium"], n, p=[0.5, 0.3, 0.2]),
})
z = (1.8 - 0.035 * customers["age"] - 0.012 * (customers["income"] - 45)
     + 0.9 * (customers["plan"] == "basic") - 0.6 * (customers["plan"] == "premium"))
customers["churned"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)

customers = pd.get_dummies(customers, columns=["plan"], drop_first=True, dtype=int)

# %%
train_df, test_df = train_test_split(customers, test_size=0.3, random_state=0)

# %%
model = smf.logit("churned ~ age + income + plan_plus + plan_premium", data=train_df).fit(disp=0)
print(model.summary())
print("hold-out AUC", round(roc_auc_score(test_df["churned"], model.predict(test_df)), 3))
