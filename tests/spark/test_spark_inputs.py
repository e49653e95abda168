"""Spark inputs: references and fingerprints, staging once, the seeded sample, row hashes equal
to the pandas path's, the exact overlap count, and discovery's edge (real local Spark)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.errors import DiscoveryError, SparkError
from jupyter_mlready.hashing import row_hashes
from jupyter_mlready.spark.hashing import HASH, hash_dtypes, spark_overlap, with_row_hashes
from jupyter_mlready.spark.reference import frame_facts, read_reference, reference_of
from jupyter_mlready.spark.sample import seeded_sample, to_pandas


def _frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 100.0, n),
            "visits": rng.integers(0, 20, n),
            "region": rng.choice(["north", "south", "east"], n),
            "member": rng.random(n) > 0.5,
        }
    )
    df.loc[5, "amount"] = np.nan
    df["label"] = (df["amount"].fillna(0) > 200).astype(int)
    return df


def test_row_hashes_equal_the_pandas_path_for_the_same_rows(spark):
    pdf = _frame()
    sdf = spark.createDataFrame(pdf)
    features = ["amount", "visits", "region", "member"]
    _, _, nulls = frame_facts(sdf)
    dtypes = hash_dtypes([sdf], features, [nulls])
    hashed = to_pandas(with_row_hashes(sdf, features, dtypes))[HASH].to_numpy()
    expected = row_hashes(to_pandas(sdf)[features]).view(np.int64)
    assert np.array_equal(hashed, expected)


def test_an_integer_column_with_missing_values_only_in_the_hold_out_still_matches(spark):
    pdf = _frame(500)[["visits", "region"]]
    hold = pdf.iloc[:40].astype({"visits": "float64"})
    hold.loc[hold.index[0], "visits"] = np.nan  # the copied rows are still copies
    train_s, hold_s = spark.createDataFrame(pdf), spark.createDataFrame(hold)
    nulls = [frame_facts(f)[2] for f in (train_s, hold_s)]
    dtypes = hash_dtypes([train_s, hold_s], ["visits", "region"], nulls)
    assert dtypes["visits"] == "float64"  # widened for both frames
    counted = spark_overlap(train_s, hold_s, ["visits", "region"], dtypes)
    assert counted.holdout_in_train == 39  # every copied row with a value
    assert counted.holdout_rows == 40 and counted.train_rows == 500


def test_overlap_counts_exactly_and_gives_examples(spark):
    pdf = _frame(4000)
    features = ["amount", "visits", "region", "member"]
    train = spark.createDataFrame(pdf)
    fresh = _frame(1000, seed=1)
    fresh["amount"] += 1e-3  # no copies by chance
    hold = spark.createDataFrame(pd.concat([pdf.iloc[:123], fresh]))
    nulls = [frame_facts(f)[2] for f in (train, hold)]
    counted = spark_overlap(train, hold, features, hash_dtypes([train, hold], features, nulls))
    assert (counted.holdout_rows, counted.holdout_in_train) == (1123, 123)
    assert len(counted.examples) == 5 and set(counted.examples[0]) == set(features)
    assert counted.jobs == 3


def test_a_built_frame_is_staged_once_and_read_back_with_its_fingerprint(spark, tmp_path):
    sdf = spark.createDataFrame(_frame()).where("visits > 2")
    ref, staged, nulls = reference_of(sdf, "train", str(tmp_path))
    assert ref.kind == "staged" and ref.location.startswith(str(tmp_path))
    assert ref.rows == sdf.count() and nulls["amount"] == int(_frame()["amount"].isna().sum())
    files = sorted(p.name for p in (tmp_path / ref.location.rsplit("/", 1)[-1]).iterdir())
    again, _, _ = reference_of(sdf, "train", str(tmp_path))  # same data: not written again
    assert again == ref
    assert sorted(p.name for p in (tmp_path / ref.location.rsplit("/", 1)[-1]).iterdir()) == files
    back = read_reference(spark, ref, "training data")
    assert frame_facts(back)[1] == ref.fingerprint


def test_files_and_tables_are_referenced_where_they_are(spark, tmp_path):
    sdf = spark.createDataFrame(_frame(800))
    path = str(tmp_path / "claims.parquet")
    sdf.write.parquet(path)
    ref, frame, _ = reference_of(spark.read.parquet(path), "holdout", str(tmp_path / "stage"))
    assert (ref.kind, ref.format) == ("files", "parquet") and ref.location.endswith(
        "claims.parquet"
    )
    assert not (tmp_path / "stage").exists()  # nothing staged
    spark.sql(f"CREATE TABLE IF NOT EXISTS mlready_claims USING parquet LOCATION '{path}'")
    try:
        tref, _, _ = reference_of(spark.table("mlready_claims"), "holdout", str(tmp_path / "s"))
        # this session's catalog lives in memory (no Hive): another session could not find the
        # table by name, so the table's files are the reference (a Hive or Unity catalog's
        # table is referenced by name, with its Delta version)
        assert spark.conf.get("spark.sql.catalogImplementation") == "in-memory"
        assert tref.kind == "files" and tref.location.endswith("claims.parquet")
        assert tref.fingerprint == ref.fingerprint
        assert not (tmp_path / "s").exists()  # nothing staged
    finally:
        spark.sql("DROP TABLE IF EXISTS mlready_claims")


def test_changed_data_behind_a_reference_is_an_error_naming_it(spark, tmp_path):
    path = str(tmp_path / "hold.parquet")
    spark.createDataFrame(_frame(600)).write.parquet(path)
    ref, _, _ = reference_of(spark.read.parquet(path), "holdout", str(tmp_path / "stage"))
    spark.createDataFrame(_frame(700, seed=3)).write.mode("overwrite").parquet(path)
    with pytest.raises(SparkError, match="not the data the notebook checked") as info:
        read_reference(spark, ref, "hold-out")
    assert "600 rows" in str(info.value) and info.value.cause == "fingerprint mismatch"
    gone = ref.__class__(**{**ref.to_dict(), "location": str(tmp_path / "nowhere")})
    with pytest.raises(SparkError, match="Could not read the hold-out"):
        read_reference(spark, gone, "hold-out")


def test_the_seeded_sample_is_bounded_and_repeatable(spark):
    sdf = spark.createDataFrame(_frame(5000))
    a = seeded_sample(sdf, 5000, 700, seed=7)
    b = seeded_sample(sdf, 5000, 700, seed=7)
    assert len(a) == 700 and a.equals(b)
    assert len(seeded_sample(sdf, 5000, 10_000, seed=7)) == 5000


def test_discovery_refuses_features_and_target_in_separate_spark_frames(spark, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlready.spark.inputs import attach_spark, sampled_namespace
    from jupyter_mlready.stages.discover import discover

    pdf = _frame(400)
    X, y = pdf[["amount", "visits"]].fillna(0), pdf["label"]
    model = LogisticRegression().fit(X, y)
    ns = {
        "model": model,
        "X_train": spark.createDataFrame(X),
        "y_train": spark.createDataFrame(y.to_frame()),
        "X_test": spark.createDataFrame(X),
        "y_test": spark.createDataFrame(y.to_frame()),
    }
    sampled, found = sampled_namespace(
        ns, set(), out=tmp_path, staging_dir=None, sample_rows=1000, seed=0
    )
    subject = discover(sampled)
    with pytest.raises(DiscoveryError, match="share no row order"):
        attach_spark(subject, found, seed=0)


def _subject(spark, tmp_path, ns: dict, sample_rows: int = 1000):
    from jupyter_mlready.spark.inputs import attach_spark, sampled_namespace
    from jupyter_mlready.stages.discover import discover

    sampled, found = sampled_namespace(
        ns, set(), out=tmp_path, staging_dir=None, sample_rows=sample_rows, seed=0
    )
    return attach_spark(discover(sampled), found, seed=0), sampled


def test_side_columns_of_a_spark_hold_out_come_from_its_own_rows(spark, tmp_path):
    """A sensitive attribute and a date beside the features: read from the hold-out's own
    sample, never from another frame that merely has as many rows (a Spark sample's index is a
    position, not a key)."""
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlready.policy import Policy
    from jupyter_mlready.side_columns import attach_side_columns

    rng = np.random.default_rng(4)
    pdf = _frame(6000)
    pdf["gender"] = np.where(np.arange(6000) < 4000, "M", rng.choice(["F", "M"], 6000))
    pdf["first_seen"] = pd.Timestamp("2024-01-01").date()  # a Spark DateType column
    train, hold = pdf.iloc[:4000], pdf.iloc[4000:]  # every training row is "M"
    features = ["amount", "visits"]
    model = LogisticRegression().fit(train[features].fillna(0), train["label"])
    sdf_hold = spark.createDataFrame(hold)
    assert sdf_hold.schema["first_seen"].dataType.typeName() == "date"
    ns = {
        "model": model,
        "train_sdf": spark.createDataFrame(train).fillna(0, subset=["amount"]),
        "test_sdf": sdf_hold.fillna(0, subset=["amount"]),
        "raw": pdf,  # the whole pandas data: as many rows as the sample, other rows
    }
    subject, sampled = _subject(spark, tmp_path, ns)
    subject = attach_side_columns(subject, sampled, Policy())
    side = subject.holdout.side
    assert side is not None and set(side.columns) >= {"gender", "first_seen"}
    own = sampled["test_sdf"]
    assert side["gender"].tolist() == own.loc[subject.holdout.X.index, "gender"].tolist()
    assert set(side["gender"]) == {"F", "M"}  # the hold-out's mix, not raw's first rows
    assert pd.api.types.is_datetime64_any_dtype(side["first_seen"])
    assert subject.discovery["side"]["gender"]["how"] == "column of test_sdf"


def test_a_decimal_column_is_a_number_in_the_sample(spark):
    from pyspark.sql import functions as F

    sdf = spark.createDataFrame(_frame(300)).withColumn(
        "amount", F.col("amount").cast("decimal(10,2)")
    )
    pdf = to_pandas(sdf)
    assert pdf["amount"].dtype == np.float64 and pdf["amount"].isna().sum() == 1


def test_spark_frames_not_named_like_a_split_are_named_in_the_error(spark, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlready.pipeline import CheckOptions, check_namespace

    pdf = _frame(500).fillna(0)
    model = LogisticRegression().fit(pdf[["amount", "visits"]], pdf["label"])
    ns = {"model": model, "sdf_a": spark.createDataFrame(pdf), "sdf_b": spark.createDataFrame(pdf)}
    doc = check_namespace(ns, CheckOptions(out=str(tmp_path / "out"), hand_off=False)).data
    assert doc["verdict"] == "error" and doc["error"]["type"] == "DiscoveryError"
    message = doc["error"]["message"]
    assert "Spark frames not named like a split were not considered: sdf_a, sdf_b" in message
    assert "--train TRAIN_SDF --holdout HOLDOUT_SDF --target COL" in message


def test_a_stopped_session_is_an_error_with_the_reason(spark, tmp_path):
    """Last in the module: it stops the module's session."""
    from jupyter_mlready.spark.inputs import sampled_namespace

    frame = spark.createDataFrame(_frame(50))
    spark.stop()
    with pytest.raises(SparkError, match="cannot run a job") as info:
        sampled_namespace(
            {"train_sdf": frame}, set(), out=tmp_path, staging_dir=None, sample_rows=10, seed=0
        )
    assert "Start the SparkSession again" in str(info.value)
