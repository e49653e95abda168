# %% [markdown]
# # Flavor fixture: clustering only (unsupported)
# Customer segmentation with `KMeans`: a fitted model with `predict`, but no target and no
# train / hold-out labels. Expected: **error** (exit 2) that names the KMeans model and says
# clustering is not a supported task.
# %%
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(71)
n = 2000
customers = pd.DataFrame({
    "recency_days": rng.exponential(40, n).round(0),
    "frequency": rng.poisson(6, n),
    "monetary": rng.gamma(2, 60, n).round(2),
})
scaled = StandardScaler().fit_transform(customers)

# %%
kmeans = KMeans(n_clusters=4, n_init=10, random_state=0).fit(scaled)
customers["segment"] = kmeans.labels_
customers.groupby("segment").mean().round(1)
