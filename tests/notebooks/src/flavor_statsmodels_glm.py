# %% [markdown]
# # Flavor fixture: statsmodels binomial GLM via the formula API (defect: a categorical term)
# Loan-approval model: `smf.glm("approved ~ ...", data=train_df, family=sm.families.Binomial())`;
# `train_df` / `test_df` hold the 0/1 target `approved`. Hold-out from the same distribution,
# a good model, but `C(purpose)` in the formula: a loan purpose never seen in training makes
# patsy refuse the whole request without naming the column. Expected: **not ready**, caught by
# `robustness.unseen_categories`.
# %%
import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(43)
n = 3000
applications = pd.DataFrame({
    "credit_score": rng.normal(670, 70, n).round(0).clip(300, 850),
    "debt_ratio": rng.beta(2, 5, n).round(3),
    "employment_years": rng.integers(0, 35, n),
    "purpose": rng.choice(["car", "home", "education", "business"], n, p=[0.4, 0.3, 0.15, 0.15]),
})
z = (0.02 * (applications["credit_score"] - 670) - 5 * (applications["debt_ratio"] - 0.28)
     + 0.05 * applications["employment_years"] - 0.7 * (applications["purpose"] == "business"))
applications["approved"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)

# %%
train_df, test_df = train_test_split(applications, test_size=0.3, random_state=0)

# %%
model = smf.glm("approved ~ credit_score + debt_ratio + employment_years + C(purpose)",
                data=train_df, family=sm.families.Binomial()).fit()
print(model.summary().tables[1])
print("hold-out AUC", round(roc_auc_score(test_df["approved"], model.predict(test_df)), 3))
