# %% [markdown]
# # Flavor fixture: polars data, ordinal encoder that errors on a new store (defect)
# Basket-size regression prepared in polars; `X_train` etc. are polars objects. The store id is
# encoded with `OrdinalEncoder()`, whose default `handle_unknown="error"` crashes on the first
# store opened after training. Expected: **not ready**, caught by `robustness.unseen_categories`.
# %%
import numpy as np
import polars as pl
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import mean_absolute_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

rng = np.random.default_rng(52)
n = 3000
stores = [f"S{i:02d}" for i in range(1, 13)]
store_effect = dict(zip(stores, rng.normal(0, 8, len(stores))))
visits = pl.DataFrame({
    "store": rng.choice(stores, n).tolist(),
    "weekday": rng.integers(0, 7, n),
    "loyalty_member": rng.integers(0, 2, n),
    "promo_items": rng.poisson(2, n),
    "minutes_in_store": rng.gamma(4, 6, n).round(1),
})
visits = visits.with_columns(
    (20 + 1.1 * pl.col("minutes_in_store") + 6 * pl.col("promo_items") + 9 * pl.col("loyalty_member")
     + 4 * (pl.col("weekday") >= 5).cast(pl.Int64)
     + pl.col("store").replace_strict(store_effect, return_dtype=pl.Float64)
     + pl.Series(rng.normal(0, 6, n))).round(2).alias("basket_eur")
)

# %%
df = visits.sample(fraction=1.0, shuffle=True, seed=1)
cut = int(0.75 * df.height)
X_train, y_train = df.head(cut).drop("basket_eur"), df.head(cut)["basket_eur"]
X_test, y_test = df.tail(df.height - cut).drop("basket_eur"), df.tail(df.height - cut)["basket_eur"]

# %%
model = Pipeline([
    ("prep", ColumnTransformer([("store", OrdinalEncoder(), ["store"])], remainder="passthrough")),
    ("reg", HistGradientBoostingRegressor(max_iter=100, random_state=0)),
])
model.fit(X_train, y_train)
print("hold-out MAE", round(mean_absolute_error(y_test.to_numpy(), model.predict(X_test)), 2))
