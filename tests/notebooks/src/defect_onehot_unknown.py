# %% [markdown]
# # Defect fixture: one-hot encoder that errors on unknown categories
# `OneHotEncoder()` defaults to handle_unknown="error": the first new product line in production
# crashes the model. Expected: `robustness.unseen_categories` fails.

# %%
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

rng = np.random.default_rng(2)
n = 2000
data = pd.DataFrame({
    "basket_value": rng.gamma(2.0, 40.0, n).round(2),
    "items": rng.integers(1, 12, n),
    "product_line": rng.choice(["garden", "kitchen", "toys", "books"], n),
    "channel": rng.choice(["web", "app", "store"], n),
})
data["returned"] = (rng.random(n) < 0.1 + 0.2 * (data["product_line"] == "toys")).astype(int)
X_train, X_test, y_train, y_test = train_test_split(
    data.drop(columns="returned"), data["returned"], test_size=0.25, random_state=0)

# %%
model = Pipeline([
    ("prep", ColumnTransformer([
        ("cat", OneHotEncoder(sparse_output=False), ["product_line", "channel"]),
    ], remainder="passthrough")),
    ("clf", HistGradientBoostingClassifier(max_iter=50, random_state=0)),
])
model.fit(X_train, y_train)
