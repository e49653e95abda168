# %% [markdown]
# # Defect fixture: no imputer
# Training data has no missing values, so nobody added an imputer; production sends NaN and
# LogisticRegression raises "Input X contains NaN". Expected: `robustness.missing_values` fails.

# %%
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

rng = np.random.default_rng(1)
n = 2000
data = pd.DataFrame({
    "income": rng.normal(50_000, 15_000, n).round(2),
    "age": rng.integers(18, 80, n),
    "segment": rng.choice(["retail", "business", "premium"], n),
})
data["churn"] = (rng.random(n) < 1 / (1 + np.exp((data["income"] - 50_000) / 20_000))).astype(int)
X_train, X_test, y_train, y_test = train_test_split(
    data.drop(columns="churn"), data["churn"], test_size=0.25, random_state=0)

# %%
model = Pipeline([
    ("prep", ColumnTransformer([
        ("num", StandardScaler(), ["income", "age"]),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["segment"]),
    ])),
    ("clf", LogisticRegression(max_iter=500)),
])
model.fit(X_train, y_train)
