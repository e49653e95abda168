# %% [markdown]
# # Flavor fixture: statsmodels OLS on arrays with `sm.add_constant` (clean)
# Salary regression with the array API: `sm.OLS(y_train, sm.add_constant(X_train)).fit()` on a
# numeric frame. Hold-out from the same distribution; the model clearly beats predicting the
# mean. Expected verdict: **ready**.
# %%
import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(44)
n = 2500
staff = pd.DataFrame({
    "years_experience": rng.integers(0, 35, n),
    "education_years": rng.integers(10, 21, n),
    "weekly_hours": rng.normal(38, 5, n).round(1).clip(10, 60),
    "team_size": rng.integers(1, 30, n),
})
staff["salary"] = (
    18_000 + 1_400 * staff["years_experience"] + 2_100 * staff["education_years"]
    + 300 * staff["weekly_hours"] + 250 * staff["team_size"] + rng.normal(0, 6_000, n)
).round(-1)

# %%
X = staff.drop(columns="salary")
y = staff["salary"]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

# %%
model = sm.OLS(y_train, sm.add_constant(X_train)).fit()
print(model.summary().tables[1])
print("hold-out MAE", round(mean_absolute_error(y_test, model.predict(sm.add_constant(X_test)))))
print("baseline MAE", round(mean_absolute_error(y_test, np.full(len(y_test), y_train.mean()))))
