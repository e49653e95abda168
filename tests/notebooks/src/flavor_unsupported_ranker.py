# %% [markdown]
# # Flavor fixture: learning to rank (unsupported)
# Search ranking with `LGBMRanker` fitted with query groups (`group=`); the target is a graded
# relevance per (query, document). Expected: **error** (exit 2) that names the LGBMRanker and
# says ranking is not a supported task.
# %%
import lightgbm as lgb
import numpy as np
import pandas as pd

rng = np.random.default_rng(73)
n_queries, per_query = 300, 10
n = n_queries * per_query
docs = pd.DataFrame({
    "query_id": np.repeat(np.arange(n_queries), per_query),
    "bm25": rng.gamma(2, 3, n).round(3),
    "click_rate": rng.beta(2, 8, n).round(4),
    "doc_age_days": rng.integers(0, 1000, n),
    "title_match": rng.integers(0, 2, n),
})
score = 0.3 * docs["bm25"] + 8 * docs["click_rate"] + 1.2 * docs["title_match"] - 0.001 * docs["doc_age_days"]
docs["relevance"] = pd.cut(score + rng.normal(0, 0.8, n), [-np.inf, 1.5, 2.5, 3.5, np.inf], labels=False)

# %%
features = ["bm25", "click_rate", "doc_age_days", "title_match"]
train = docs[docs["query_id"] < 220]
test = docs[docs["query_id"] >= 220]
X_train, y_train = train[features], train["relevance"]
X_test, y_test = test[features], test["relevance"]
group_train = train.groupby("query_id").size().to_numpy()

ranker = lgb.LGBMRanker(n_estimators=60, learning_rate=0.1, num_leaves=15, n_jobs=2,
                        random_state=0, verbose=-1)
ranker.fit(X_train, y_train, group=group_train)
test.assign(score=ranker.predict(X_test)).head(10)
