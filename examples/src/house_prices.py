# %% [markdown]
# # House price regression
# A synthetic housing market, `train_df` / `test_df` with the target as a column, a random forest.

# %%
import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

rng = np.random.default_rng(7)
n = 6000
houses = pd.DataFrame({
    "living_area_m2": rng.normal(110, 35, n).clip(25, 400).round(1),
    "rooms": rng.integers(1, 8, n),
    "year_built": rng.integers(1920, 2024, n),
    "distance_to_center_km": rng.gamma(2.0, 4.0, n).round(2),
    "neighbourhood": rng.choice(["old town", "harbour", "suburbs", "university", "industrial"], n),
    "has_garden": rng.random(n) < 0.45,
})
price = (2500 * houses["living_area_m2"]
         + 9000 * houses["rooms"]
         - 6000 * houses["distance_to_center_km"]
         + 400 * (houses["year_built"] - 1950)
         + houses["neighbourhood"].map({"old town": 60000, "harbour": 90000, "suburbs": 10000,
                                        "university": 30000, "industrial": -20000})
         + 15000 * houses["has_garden"])
houses["price"] = (price + rng.normal(0, 25000, n)).round(-2)
houses.describe()

# %%
train_df = houses.sample(frac=0.8, random_state=1)
test_df = houses.drop(train_df.index)
features = [c for c in houses.columns if c != "price"]

# %%
reg = make_pipeline(
    make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["neighbourhood"]),
                            remainder="passthrough"),
    RandomForestRegressor(n_estimators=80, min_samples_leaf=3, n_jobs=1, random_state=0),
)
reg.fit(train_df[features], train_df["price"])

# %%
pred = reg.predict(test_df[features])
print(f"MAE: {mean_absolute_error(test_df['price'], pred):,.0f}   R2: {r2_score(test_df['price'], pred):.3f}")
