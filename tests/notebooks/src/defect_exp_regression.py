# %% [markdown]
# # Defect fixture: a regression that returns inf on extreme input
# Shipping cost is modelled on the log scale and exponentiated back in float32 (the serving
# format); a distance far outside training overflows to inf. Expected: `robustness.extreme_values` fails.

# %%
import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(5)
n = 2000
data = pd.DataFrame({
    "distance_km": rng.uniform(1, 200, n).round(1),
    "weight_kg": rng.uniform(0.1, 50, n).round(2),
})
data["cost"] = np.exp(1 + 0.05 * data["distance_km"] + 0.03 * data["weight_kg"] + rng.normal(0, 0.1, n))
X_train, X_test, y_train, y_test = train_test_split(
    data.drop(columns="cost"), data["cost"], test_size=0.25, random_state=0)


# %%
def to_cost(log_cost):
    return np.exp(np.asarray(log_cost, dtype=np.float32))


model = TransformedTargetRegressor(LinearRegression(), func=np.log, inverse_func=to_cost, check_inverse=False)
model.fit(X_train, y_train)
