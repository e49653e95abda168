# %% [markdown]
# # Flavor fixture: native LightGBM Booster, hold-out from a shifted population (defect)
# Delivery-time model trained with the native API (`lgb.train` on a `Dataset`). Training data is
# from the suburban depots; the "hold-out" is last month's downtown pilot, where orders are much
# shorter trips with more items and far more congestion. Expected: **not ready**, caught by
# `drift.train_holdout`.
# %%
import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error

def make_orders(n, rng, downtown=False):
    frame = pd.DataFrame({
        "distance_km": rng.gamma(4, 2.5 if not downtown else 0.6, n).round(2),
        "items": rng.poisson(3 if not downtown else 7, n) + 1,
        "congestion_index": rng.beta(2, 5, n).round(3) if not downtown else rng.beta(6, 2, n).round(3),
        "hour": rng.integers(8, 22, n),
        "driver_experience_months": rng.integers(0, 60, n),
    })
    frame["minutes"] = (8 + 2.2 * frame["distance_km"] + 0.9 * frame["items"]
                        + 14 * frame["congestion_index"] - 0.05 * frame["driver_experience_months"]
                        + rng.normal(0, 3, n)).round(1)
    return frame

rng = np.random.default_rng(22)
suburban = make_orders(2500, rng)
downtown_pilot = make_orders(800, rng, downtown=True)

# %%
features = ["distance_km", "items", "congestion_index", "hour", "driver_experience_months"]
X_train, y_train = suburban[features], suburban["minutes"]
X_test, y_test = downtown_pilot[features], downtown_pilot["minutes"]

# %%
params = {"objective": "regression", "learning_rate": 0.1, "num_leaves": 15,
          "num_threads": 2, "seed": 0, "verbose": -1}
model = lgb.train(params, lgb.Dataset(X_train, label=y_train), num_boost_round=80)
print("hold-out MAE", round(mean_absolute_error(y_test, model.predict(X_test)), 2))
