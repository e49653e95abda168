# %% [markdown]
# # Spark fixture: claims data as Spark DataFrames, a scikit-learn model fitted on a sample (clean)
# The data lives in Spark: `train_sdf` and `test_sdf` come from `randomSplit` and keep the target
# column `fraud`. The model is fitted on a pandas sample of the training split, the way teams fit
# scikit-learn on Spark data. Expected verdict: **ready**; contract, counts and overlap are
# computed on Spark over every row. Its parameters make the defect variants: hold-out rows copied
# from training (`copy_rows`) and negative claim amounts (`negative_amounts`).
# %% tags=["parameters"]
copy_rows = 0  # hold-out rows copied from training (the leakage variant sets it)
negative_amounts = False  # the defect variant: hold-out rows with policy_years == 0 get amount -50
# %%
import os
import sys
import tempfile

import numpy as np
import pandas as pd
from pyspark.sql import SparkSession
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
spark = (
    SparkSession.builder.master("local[2]")
    .appName("claims")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.shuffle.partitions", "4")
    .config("spark.driver.maxResultSize", "4m")
    .config("spark.sql.warehouse.dir", tempfile.mkdtemp())
    .getOrCreate()
)
# %%
rng = np.random.default_rng(18)
n = 12_000
claims = pd.DataFrame({
    "amount": rng.gamma(2.0, 400.0, n).round(2),
    "policy_years": rng.integers(0, 30, n),
    "channel": rng.choice(["agent", "online", "phone"], n),
    "prior_claims": rng.poisson(0.7, n),
})
z = -2.2 + claims["amount"] / 900 + 0.6 * claims["prior_claims"] - 0.03 * claims["policy_years"]
claims["fraud"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
claims_sdf = spark.createDataFrame(claims)
train_sdf, test_sdf = claims_sdf.randomSplit([0.75, 0.25], seed=7)
if negative_amounts:
    from pyspark.sql import functions as F

    test_sdf = test_sdf.withColumn(
        "amount", F.when(F.col("policy_years") == 0, F.lit(-50.0)).otherwise(F.col("amount"))
    )
if copy_rows:
    test_sdf = test_sdf.unionByName(train_sdf.limit(copy_rows))
# %%
train_pd = train_sdf.sample(fraction=0.5, seed=1).toPandas()
features = ["amount", "policy_years", "channel", "prior_claims"]
model = make_pipeline(
    make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["channel"]), remainder="passthrough"),
    HistGradientBoostingClassifier(max_iter=60, random_state=0),
)
model.fit(train_pd[features], train_pd["fraud"])
