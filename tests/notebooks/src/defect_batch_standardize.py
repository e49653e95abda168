# %% [markdown]
# # Defect fixture: standardizing with the batch's own statistics
# A hand-written scaler computes mean and standard deviation of whatever batch it is given, so a
# row scored alone gets a different answer than in a batch. Expected: `batch_invariance` fails.

# %%
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

rng = np.random.default_rng(4)
n = 2000
data = pd.DataFrame({"temperature": rng.normal(20, 6, n).round(1), "vibration": rng.gamma(2.0, 1.5, n).round(3)})
data["failure"] = (rng.random(n) < 1 / (1 + np.exp(-(data["vibration"] - 4)))).astype(int)
X_train, X_test, y_train, y_test = train_test_split(
    data.drop(columns="failure"), data["failure"], test_size=0.25, random_state=0)


# %%
class BatchScaler(BaseEstimator, TransformerMixin):
    def fit(self, X, y=None):
        self.feature_names_in_ = np.asarray(X.columns)
        return self

    def transform(self, X):
        X = X.astype(float)
        return ((X - X.mean()) / (X.std(ddof=0) + 1e-9)).fillna(0.0)


model = Pipeline([("scale", BatchScaler()), ("clf", LogisticRegression())])
model.fit(X_train, y_train)
