# %% [markdown]
# # Flavor fixture: statsmodels OLS on arrays, refit on all data (defect)
# Energy-use regression with the array API: `sm.OLS(y_train, sm.add_constant(X_train)).fit()`.
# After the split, the analyst "refits the final model on everything we have", so every hold-out
# row is also a training row and the hold-out error is optimistic. Expected: **not ready**,
# caught by `leakage.overlap`.
# %%
import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(42)
n = 2500
buildings = pd.DataFrame({
    "floor_area_m2": rng.normal(900, 250, n).clip(150, 3000).round(0),
    "occupants": rng.integers(5, 200, n),
    "outdoor_temp_c": rng.normal(12, 8, n).round(1),
    "building_age": rng.integers(0, 80, n),
    "insulation_score": rng.uniform(1, 10, n).round(1),
})
buildings["kwh_per_day"] = (
    40 + 0.35 * buildings["floor_area_m2"] + 1.5 * buildings["occupants"]
    - 4.0 * buildings["outdoor_temp_c"] + 0.8 * buildings["building_age"]
    - 12 * buildings["insulation_score"] + rng.normal(0, 30, n)
).round(1)

# %%
X = buildings.drop(columns="kwh_per_day")
y = buildings["kwh_per_day"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

# %%
# final model: use all the data we have
X_train = pd.concat([X_train, X_test])
y_train = pd.concat([y_train, y_test])
model = sm.OLS(y_train, sm.add_constant(X_train)).fit()
print(model.summary().tables[1])
print("hold-out MAE", round(mean_absolute_error(y_test, model.predict(sm.add_constant(X_test))), 2))
