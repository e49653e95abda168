# %% [markdown]
# # Flavor fixture: multi-output classification (unsupported)
# Support-ticket tagging: `MultiOutputClassifier` predicts two labels per ticket (`is_billing`,
# `is_urgent`); `y_train` / `y_test` have two columns. Expected: **error** (exit 2) that names the
# model and the two-column target as unsupported.
# %%
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.multioutput import MultiOutputClassifier

rng = np.random.default_rng(72)
n = 2000
tickets = pd.DataFrame({
    "words": rng.poisson(60, n),
    "mentions_invoice": rng.integers(0, 2, n),
    "exclamation_marks": rng.poisson(1, n),
    "customer_tier": rng.integers(1, 4, n),
    "hour": rng.integers(0, 24, n),
})
labels = pd.DataFrame({
    "is_billing": (rng.random(n) < 1 / (1 + np.exp(-(-1 + 2.5 * tickets["mentions_invoice"])))).astype(int),
    "is_urgent": (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 0.8 * tickets["exclamation_marks"]
                                                     + 0.4 * tickets["customer_tier"])))).astype(int),
})

# %%
X_train, X_test, y_train, y_test = train_test_split(tickets, labels, test_size=0.3, random_state=0)
model = MultiOutputClassifier(LogisticRegression(max_iter=1000)).fit(X_train, y_train)
print("subset accuracy", round(model.score(X_test, y_test), 3))
