# %% [markdown]
# # Flavor fixture: LightGBM regressor (clean)
# House-price model: `LGBMRegressor` on numeric features (some missing, which LightGBM routes
# natively) and the neighborhood as an integer code, declared categorical to LightGBM
# (`categorical_feature`). A pandas `category` column would break every served request: a
# scoring server hands the model plain strings. Hold-out from the same distribution.
# Expected verdict: **ready**.
# %%
import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(21)
n = 3000
hoods = ["Riverside", "Old Town", "Hillcrest", "Harbor", "University", "Northgate"]
premium = dict(zip(hoods, [1.25, 1.10, 1.35, 1.45, 0.95, 0.85]))
houses = pd.DataFrame({
    "sqft": rng.normal(1700, 450, n).clip(400, 5000).round(0),
    "bedrooms": rng.integers(1, 6, n),
    "bathrooms": rng.integers(1, 4, n),
    "year_built": rng.integers(1920, 2023, n),
    "lot_size": rng.lognormal(8.5, 0.5, n).round(0),
    "neighborhood": pd.Categorical(rng.choice(hoods, n), categories=hoods),
})
houses.loc[rng.random(n) < 0.07, "lot_size"] = np.nan
houses["price"] = (
    (120 * houses["sqft"] + 15_000 * houses["bathrooms"] + 800 * (houses["year_built"] - 1920)
     + 4 * houses["lot_size"].fillna(5000))
    * houses["neighborhood"].map(premium).astype(float)
    + rng.normal(0, 25_000, n)
).round(-2)

# %%
houses["neighborhood"] = houses["neighborhood"].cat.codes
X = houses.drop(columns="price")
y = houses["price"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# %%
model = lgb.LGBMRegressor(n_estimators=100, learning_rate=0.08, num_leaves=15,
                          min_child_samples=20, n_jobs=2, random_state=0, verbose=-1)
model.fit(X_train, y_train, categorical_feature=["neighborhood"])
print("hold-out MAE", round(mean_absolute_error(y_test, model.predict(X_test))))
print("baseline MAE", round(mean_absolute_error(y_test, np.full(len(y_test), y_train.mean()))))
