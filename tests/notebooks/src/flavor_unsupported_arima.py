# %% [markdown]
# # Flavor fixture: time-series forecast with ARIMA (unsupported)
# Daily demand forecast with statsmodels `ARIMA(...).fit()` on a date-indexed series; the last
# 60 days are held out. Expected: **error** (exit 2) that names the ARIMA results object and says
# time-series forecasting is not a supported task.
# %%
import numpy as np
import pandas as pd
from statsmodels.tsa.arima.model import ARIMA

rng = np.random.default_rng(74)
dates = pd.date_range("2022-01-01", periods=730, freq="D")
noise = np.zeros(len(dates))
for t in range(1, len(dates)):
    noise[t] = 0.6 * noise[t - 1] + rng.normal(0, 5)
demand = pd.Series(200 + 0.05 * np.arange(len(dates)) + 15 * np.sin(2 * np.pi * dates.day_of_week / 7) + noise,
                   index=dates, name="units")

# %%
y_train, y_test = demand.iloc[:-60], demand.iloc[-60:]
model = ARIMA(y_train, order=(2, 0, 1), trend="ct").fit()
forecast = model.forecast(steps=60)
print("MAE", round(float(np.mean(np.abs(forecast - y_test))), 2))
