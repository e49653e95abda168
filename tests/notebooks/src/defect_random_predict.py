# %% [markdown]
# # Defect fixture: predict draws random numbers
# A "calibration jitter" wrapper adds noise at prediction time, so the same request gives a
# different answer each time. Expected: `determinism` fails.

# %%
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(3)
n = 1500
data = pd.DataFrame({"score": rng.normal(600, 80, n).round(), "utilisation": rng.random(n).round(3)})
data["default"] = (rng.random(n) < 1 / (1 + np.exp((data["score"] - 550) / 40))).astype(int)
X_train, X_test, y_train, y_test = train_test_split(
    data.drop(columns="default"), data["default"], test_size=0.25, random_state=0)


# %%
class JitteredClassifier:
    """Adds a little noise to the probabilities "to break ties"."""

    def __init__(self, inner):
        self.inner = inner
        self.classes_ = inner.classes_
        self.feature_names_in_ = inner.feature_names_in_

    def predict_proba(self, X):
        p = self.inner.predict_proba(X)[:, 1]
        p = np.clip(p + np.random.normal(0, 0.02, len(p)), 0, 1)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


model = JitteredClassifier(RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train))
