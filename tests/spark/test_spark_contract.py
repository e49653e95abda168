"""The contract on Spark (issue 18): the same failures, check names and exact counts as the pandas
path (pandera), from one aggregate job plus a few bounded example jobs, never collecting the
frame (real local Spark, ``spark.driver.maxResultSize`` 4m)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.checks.contract_holdout import (
    judge_contract,
    null_rate_rises,
    summarize_failures,
)
from jupyter_mlready.contract import infer_contract, validate_frame
from jupyter_mlready.policy import Policy
from jupyter_mlready.spark.contract import (
    MAX_EXAMPLE_JOBS,
    dtype_name,
    isin_name,
    range_name,
    spark_failures,
    spark_judge_contract,
    spark_null_rate_rises,
)

POLICY = Policy()


def _train(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "amount": rng.uniform(1.0, 1000.0, n),
            "ratio": rng.random(n),
            "visits": rng.integers(0, 20, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "tier": pd.Categorical(rng.choice(["gold", "silver"], n)),
            "member": rng.random(n) > 0.5,
            "since": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        }
    )
    df.loc[df.sample(frac=0.1, random_state=seed).index, "ratio"] = np.nan  # nullable
    return df


def _contract(train: pd.DataFrame):
    return infer_contract(SimpleNamespace(train=SimpleNamespace(X=train)), POLICY)


TRAIN = _train()
CONTRACT = _contract(TRAIN)


def _pandas(contract, X: pd.DataFrame) -> list[dict]:
    return summarize_failures(validate_frame(contract, X), len(X))


def _spark_frame(spark, X: pd.DataFrame):
    X = X.copy()
    for name in X.columns:
        if isinstance(X[name].dtype, pd.CategoricalDtype):
            X[name] = X[name].astype(str)  # Spark has no categorical: its values, as text
    return spark.createDataFrame(X)


def _by_rule(failures: list[dict]) -> dict:
    return {(f["column"], f["check"]): f for f in failures}


def _structural(check: str) -> bool:
    return check.startswith("column values must be ")


def assert_same(spark_failures_: list[dict], pandas_failures: list[dict]) -> None:
    """Same rules, exact rows and rates, same keys; the examples as sets, except where pandera's
    example is an artefact (a dtype test's ``False``, a range compared with text's TypeError)."""
    got, want = _by_rule(spark_failures_), _by_rule(pandas_failures)
    assert set(got) == set(want), (sorted(got), sorted(want))
    for key, w in want.items():
        g = got[key]
        assert set(g) == set(w), key
        assert (g["rows"], g["rate"]) == (w["rows"], w["rate"]), (key, g, w)
        retyped = any(_structural(c) for col, c in want if col == key[0])
        if not _structural(key[1]) and not retyped:
            assert set(g["examples"]) == set(w["examples"]), (key, g, w)
        assert all(isinstance(e, str) for e in g["examples"])
    rates = [f["rate"] for f in spark_failures_]
    assert rates == sorted(rates, reverse=True)  # worst first, as summarize_failures


def _holdout(n: int = 2000, seed: int = 1) -> pd.DataFrame:
    return _train(n, seed)


def test_check_names_are_panderas():
    schema = CONTRACT.schema
    for spec in CONTRACT.columns:
        names = {c.error for c in schema.columns[spec.name].checks}
        assert dtype_name(spec.kind) in names
        if spec.kind in ("float", "integer", "datetime"):
            assert range_name(spec) in names
        if spec.kind in ("category", "string"):
            assert isin_name(spec) in names


def test_a_clean_hold_out_has_no_failure_in_one_job(spark):
    hold = _holdout()
    assert _pandas(CONTRACT, hold) == []
    result = spark_failures(CONTRACT, _spark_frame(spark, hold))
    assert result.failures == []
    assert result.jobs == 1
    assert result.rows == len(hold)
    assert result.null_counts == {c: int(hold[c].isna().sum()) for c in hold.columns}
    assert result.seconds > 0


def test_value_violations_equal_the_pandas_path(spark):
    hold = _holdout()
    hold.loc[0:9, "amount"] = 1e6  # above the range
    hold.loc[10, "amount"] = -np.inf  # below it: inf is a value, not a missing one
    hold.loc[11, "amount"] = np.inf
    hold.loc[12:14, "amount"] = np.nan  # missing in a column that never was
    hold.loc[20:24, "visits"] = -3
    hold.loc[30:60, "region"] = "atlantis"
    hold.loc[61, "region"] = "mars"
    hold.loc[62:63, "region"] = None  # missing in a non-nullable text column
    hold["tier"] = hold["tier"].cat.add_categories(["platinum"])
    hold.loc[70:72, "tier"] = "platinum"
    hold.loc[80:81, "since"] = pd.Timestamp("2031-05-01")
    hold.loc[82, "since"] = pd.NaT
    hold.loc[90:99, "ratio"] = 7.5  # nullable, out of range
    expected = _pandas(CONTRACT, hold)
    result = spark_failures(CONTRACT, _spark_frame(spark, hold))
    assert_same(result.failures, expected)
    checks = {(f["column"], f["check"]) for f in result.failures}
    amount = CONTRACT.column("amount")
    assert ("amount", f"in_range({amount.low}, {amount.high})") in checks
    assert ("region", "not_nullable") in checks and ("since", "not_nullable") in checks
    assert result.null_counts["amount"] == 3 and result.null_counts["ratio"] == int(
        hold["ratio"].isna().sum()
    )
    # one aggregate job, then one example job per failing value rule (range / allowed values)
    value_rules = [f for f in result.failures if f["check"].startswith(("in_range", "isin"))]
    assert result.jobs == 1 + len(value_rules)


def test_structural_violations_need_no_job(spark):
    hold = _holdout(500)
    hold = hold.drop(columns=["ratio"])  # missing
    hold["extra"] = 1  # unknown to the contract
    hold["amount"] = hold["amount"].round(2).astype(str)  # text where a float is expected
    hold["since"] = hold["since"].dt.strftime("%Y-%m-%d")  # text where a datetime is expected
    hold["member"] = hold["member"].astype(int)  # a number where a boolean is expected
    hold["region"] = np.arange(len(hold)) % 3  # numbers where text is expected
    expected = _pandas(CONTRACT, hold)
    result = spark_failures(CONTRACT, _spark_frame(spark, hold))
    assert_same(result.failures, expected)
    got = _by_rule(result.failures)
    assert got[("ratio", "column_in_dataframe")]["examples"] == ["ratio"]
    assert got[("extra", "column_in_schema")]["rate"] == 1.0
    assert got[("amount", "column values must be float")]["examples"] == ["string"]
    assert got[("member", "column values must be boolean")]["rows"] == 500
    judged, _ = spark_judge_contract(CONTRACT, _spark_frame(spark, hold), POLICY)
    assert judged.status == judge_contract(CONTRACT, hold, POLICY).status == "fail"
    # value rules need a job only for region's allowed values (numbers are never text)
    assert result.jobs == 2


def test_integer_column_sent_as_float_is_checked_for_whole_numbers(spark):
    hold = _holdout(400)
    hold["visits"] = hold["visits"].astype("float64")
    whole = spark_failures(CONTRACT, _spark_frame(spark, hold))
    assert whole.failures == _pandas(CONTRACT, hold) == []
    hold.loc[3, "visits"] = 1.5
    hold.loc[4, "visits"] = np.nan
    expected = _pandas(CONTRACT, hold)
    result = spark_failures(CONTRACT, _spark_frame(spark, hold))
    assert_same(result.failures, expected)
    assert ("visits", "column values must be integer") in _by_rule(result.failures)


def test_nan_is_missing_as_in_pandas(spark):
    from pyspark.sql import types as T

    train = pd.DataFrame({"x": np.linspace(0.0, 10.0, 50)})
    contract = _contract(train)
    values = [1.0, float("nan"), None, 3.0, float("inf"), float("nan")]
    schema = T.StructType([T.StructField("x", T.DoubleType())])
    frame = spark.createDataFrame([(v,) for v in values], schema)  # NaN stays NaN, not null
    result = spark_failures(contract, frame)
    expected = _pandas(contract, pd.DataFrame({"x": [np.nan if v is None else v for v in values]}))
    assert_same(result.failures, expected)
    got = _by_rule(result.failures)
    assert got[("x", "not_nullable")]["rows"] == 3
    assert got[("x", range_name(contract.column("x")))]["examples"] == ["inf"]
    assert result.null_counts == {"x": 3}


def test_date_and_timestamp_ntz_columns_take_a_datetime_range(spark):
    from pyspark.sql import functions as F

    hold = _holdout(300)
    hold.loc[0:4, "since"] = pd.Timestamp("2030-01-01")
    frame = _spark_frame(spark, hold)
    since = CONTRACT.column("since")
    rule = range_name(since)
    for cast in ("date", "timestamp_ntz"):
        result = spark_failures(CONTRACT, frame.withColumn("since", F.col("since").cast(cast)))
        got = _by_rule(result.failures)
        assert set(got) == {("since", rule)}, got
        assert got[("since", rule)]["rows"] == 5
    dates = spark_failures(CONTRACT, frame.withColumn("since", F.col("since").cast("date")))
    assert dates.failures[0]["examples"] == [str(dt.date(2030, 1, 1))]


def test_jobs_do_not_grow_with_the_number_of_columns(spark):
    rng = np.random.default_rng(3)

    def wide(columns: int, rows: int = 1000) -> pd.DataFrame:
        return pd.DataFrame({f"c{i}": rng.uniform(i, i + 2.0, rows) for i in range(columns)})

    jobs = {}
    for columns in (5, 40):
        contract = _contract(wide(columns))
        clean = spark_failures(contract, spark.createDataFrame(wide(columns)))
        assert clean.failures == [], clean.failures[:3]
        jobs[columns] = clean.jobs
    assert jobs == {5: 1, 40: 1}
    # every one of 40 columns violated: the example jobs are capped, the counts stay exact
    contract = _contract(wide(40))
    hold = wide(40)
    for i in range(40):  # 10 to 16 rows of every column
        hold.iloc[: 10 + i % 7, i] = 1e9
    frame = spark.createDataFrame(hold)
    result = spark_failures(contract, frame, max_example_jobs=4)  # the default cap is 20
    assert len(result.failures) == 40
    assert result.jobs == 1 + 4
    counts = {(f["column"], f["rows"]) for f in result.failures}
    assert counts == {(f["column"], f["rows"]) for f in _pandas(contract, hold)}
    shown = [f for f in result.failures if f["examples"]]
    assert all(f["examples"] == ["1000000000.0"] for f in shown)
    assert {f["rows"] for f in shown} == {16}  # the worst rules get the examples
    assert spark_failures(contract, frame, examples=0).jobs == 1
    assert MAX_EXAMPLE_JOBS == 20


def test_the_spark_job_count_is_the_actions_counted(spark):
    """Spark's own job count (status tracker) for one clean check: small and the same for 5 and
    40 columns."""
    sc = spark.sparkContext
    counted = {}
    for columns in (5, 40):
        train = pd.DataFrame({f"c{i}": np.arange(500.0) + i for i in range(columns)})
        contract = _contract(train)
        frame = spark.createDataFrame(train)
        group = f"mlready-contract-{columns}"
        sc.setJobGroup(group, "contract")
        try:
            result = spark_failures(contract, frame)
        finally:
            sc.setJobGroup("", "")
        counted[columns] = len(sc.statusTracker().getJobIdsForGroup(group))
        assert result.jobs == 1
    assert counted[5] == counted[40] <= 2, counted


def test_a_large_frame_is_never_collected(spark):
    from pyspark.sql import functions as F

    train = pd.DataFrame(
        {
            "x": np.linspace(0.0, 100.0, 500),
            "k": np.arange(500) % 10,
            "label": np.where(np.arange(500) % 2, "yes", "no"),
            "text": [f"row {i:06d} " + "y" * 40 for i in range(500)],
        }
    )
    contract = _contract(train)
    n = 200_000
    frame = (
        spark.range(n)
        .select(
            F.when(F.col("id") % 1000 == 0, F.lit(500.0))
            .otherwise((F.col("id") % 100).cast("double"))
            .alias("x"),
            (F.col("id") % 10).alias("k"),
            F.when(F.col("id") % 4000 == 0, F.lit("maybe"))
            .when(F.col("id") % 2 == 0, F.lit("no"))
            .otherwise(F.lit("yes"))
            .alias("label"),
            F.concat(F.lit("row "), F.col("id").cast("string"), F.lit(" " + "z" * 40)).alias(
                "text"
            ),
        )
        .repartition(4)
    )
    result = spark_failures(contract, frame)
    got = _by_rule(result.failures)
    assert result.rows == n
    assert got[("x", range_name(contract.column("x")))]["rows"] == n // 1000
    assert got[("label", isin_name(contract.column("label")))]["rows"] == n // 4000
    assert got[("label", isin_name(contract.column("label")))]["examples"] == ["maybe"]
    assert result.jobs == 3  # one aggregate, one example job per failing rule
    assert result.null_counts == {"x": 0, "k": 0, "label": 0, "text": 0}


@pytest.mark.parametrize(
    ("damage", "status"),
    [("clean", "pass"), ("few", "warn"), ("many", "fail"), ("nulls", "fail")],
)
def test_judgement_equals_the_pandas_path(spark, damage, status):
    rng = np.random.default_rng(7)
    n = 2000
    train = _train(n, seed=5)
    for i in range(8):
        train[f"extra_{i}"] = rng.uniform(i, i + 4.0, n)
    train["maybe"] = np.where(rng.random(n) < 0.02, np.nan, rng.random(n))  # 2% missing
    contract = _contract(train)
    hold = _train(n, seed=6)
    for i in range(8):
        hold[f"extra_{i}"] = rng.uniform(i, i + 4.0, n)
    hold["maybe"] = np.where(rng.random(n) < 0.02, np.nan, rng.random(n))
    if damage == "few":
        hold.loc[0:2, "extra_3"] = 1e6
        hold.loc[5, "region"] = "atlantis"
    elif damage == "many":
        hold.loc[0:199, "extra_5"] = -1e6
    elif damage == "nulls":
        hold.loc[0:799, "maybe"] = np.nan  # a nullable column's missing share rises to ~40%
    frame = _spark_frame(spark, hold)
    judged, result = spark_judge_contract(contract, frame, POLICY)
    want = judge_contract(contract, hold, POLICY)
    assert judged.status == want.status == status
    assert _by_rule(judged.too_many).keys() == _by_rule(want.too_many).keys()
    assert _by_rule(judged.structural).keys() == _by_rule(want.structural).keys()
    assert spark_null_rate_rises(contract, result, POLICY) == null_rate_rises(
        contract, hold, POLICY
    )
    assert result.jobs <= 1 + len(result.failures)


def test_a_spark_training_contract_takes_its_facts_from_every_row(spark, tmp_path):
    """Inferred on a 500-row sample of 20,000 rows, the contract would miss the extremes, the
    rare value and the missing values; every training row gives them (two Spark jobs)."""
    from jupyter_mlready.records import Dataset, SparkData
    from jupyter_mlready.spark.reference import reference_of
    from jupyter_mlready.spark.sample import seeded_sample
    from jupyter_mlready.spark.training_contract import whole_training_contract

    rng = np.random.default_rng(5)
    n = 20_000
    df = pd.DataFrame(
        {
            "amount": rng.uniform(1.0, 1000.0, n),
            "channel": rng.choice(["agent", "online"], n),
            "code": [f"c{i}" for i in range(n)],  # an identifier: no allowed values
        }
    )
    df.loc[7, "amount"] = 250_000.0
    df.loc[[11, 12, 13], "channel"] = "broker"
    df.loc[[21, 22], "amount"] = np.nan
    ref, frame, nulls = reference_of(spark.createDataFrame(df), "train", str(tmp_path / "s"))
    sample = seeded_sample(frame, ref.rows, 500, seed=0)
    assert sample["amount"].max() < 1000 and "broker" not in set(sample["channel"])
    data = SparkData(frame, ref, tuple(df.columns), None, nulls, 500, 0)
    subject = SimpleNamespace(train=Dataset(sample, None, "train_sdf", None, spark=data))
    policy = Policy(max_categories=50)
    on_sample = infer_contract(subject, policy)  # type: ignore[arg-type]
    whole = whole_training_contract(on_sample, data, policy)
    amount, channel, code = (whole.contract.column(c) for c in ("amount", "channel", "code"))
    assert amount.max == 250_000.0 and amount.high > 250_000.0
    assert amount.nullable and amount.null_fraction == 2 / n
    assert channel.categories == ("agent", "broker", "online")
    assert code.categories is None and on_sample.column("code").categories is None
    assert set(whole.widened) >= {"amount", "channel"} and whole.jobs == 2
    # the widened contract accepts every training row: no rule fails on the training frame
    result = spark_failures(whole.contract, frame)
    assert not result.failures, result.failures
