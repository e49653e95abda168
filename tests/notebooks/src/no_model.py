# %% [markdown]
# Data exploration only: no model yet.
# %%
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

rng = np.random.default_rng(0)
n = 2000
df = pd.DataFrame({
    "income": rng.normal(50_000, 12_000, n).round(0),
    "age": rng.integers(18, 80, n),
    "tenure_months": rng.integers(0, 120, n),
    "plan": rng.choice(["basic", "plus", "premium"], n),
})
df.loc[rng.random(n) < 0.05, "income"] = np.nan
logit = -1.0 + 0.00006 * (df["income"].fillna(50_000) - 50_000) - 0.04 * (df["tenure_months"] - 60) + 1.2 * (df["plan"] == "basic")
df["churned"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)

# %%
X = df.drop(columns="churned")
y = df["churned"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

