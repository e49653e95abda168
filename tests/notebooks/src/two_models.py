# %% [markdown]
# Two models, neither named as the final one.
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

# %%
numeric = [c for c in X_train.columns if c != "plan"]
model = Pipeline([
    ("prep", ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
    ])),
    ("clf", LogisticRegression(max_iter=500)),
])
model.fit(X_train, y_train)
print("test accuracy", model.score(X_test, y_test))

# %%
from sklearn.ensemble import RandomForestClassifier
rf_model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train.drop(columns="plan").fillna(0), y_train)
lr_model = LogisticRegression(max_iter=300).fit(X_train.drop(columns="plan").fillna(0), y_train)
del model
