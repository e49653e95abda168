"""Drift on Spark: the training profile from Spark aggregations agrees with ``build_profile``
(exactly where it says so, within its stated rank error elsewhere), the comparison decides as the
pandas path does, the drift check runs on Spark over every row, and a frame too big to collect
(conftest's ``spark.driver.maxResultSize``) is profiled and compared without collecting it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.checks.drift import feature_drift, judged_drift
from jupyter_mlready.contract import column_kind
from jupyter_mlready.policy import Policy
from jupyter_mlready.profile import build_profile
from jupyter_mlready.spark.profile import spark_feature_drift, spark_profile


def _small(n: int = 4000, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    gaps = rng.normal(0, 1, n)
    gaps[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 400.0, n) + shift,
            "years": rng.integers(0, 30, n),
            "gaps": gaps,
            "channel": rng.choice(["agent", "online", "phone", "shop"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "vip": rng.random(n) < 0.2,
            "when": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 86_400 * 90, n), "s"),
        }
    )


def _kinds(X: pd.DataFrame) -> dict:
    return {c: column_kind(X[c]) for c in X.columns}


def test_a_small_frame_profiles_exactly_as_pandas(spark):
    X = _small()
    frame = spark.createDataFrame(X).repartition(3)
    back = frame.toPandas()  # what the Spark path's sample looks like (4,000 rows: small)
    got = spark_profile(frame, list(X.columns), _kinds(back))
    want = build_profile(back)
    assert got["rows"] == want["rows"] == 4000
    assert got["engine"]["name"] == "spark" and got["engine"]["jobs"] == 4
    for name, w in want["features"].items():
        g = got["features"][name]
        assert g["kind"] == w["kind"], name
        assert g["null_share"] == w["null_share"], name
        if "categories" in w:
            assert g["categories"] == pytest.approx(w["categories"]), name
            continue
        # at most ks_points finite values: all of them, sorted, and numpy's deciles
        assert g["sample"] == w["sample"], name
        assert g["edges"] == pytest.approx(w["edges"], rel=1e-12), name
        assert g["shares"] == pytest.approx(w["shares"], abs=1e-15), name
        assert g["ks_n"] == w["ks_n"], name
        assert g["mean"] == pytest.approx(w["mean"], rel=1e-9), name
        assert g["std"] == pytest.approx(w["std"], rel=1e-9), name


def test_the_comparison_equals_the_pandas_path(spark):
    train, hold = _small(seed=0), _small(n=3000, seed=1, shift=250.0)
    hold.loc[:40, "channel"] = "branch"  # unseen
    profile = build_profile(train)
    frame = spark.createDataFrame(hold).repartition(3)
    hold = frame.toPandas()
    p = Policy()
    want = {r["feature"]: r for r in feature_drift(profile, hold, p)}
    compared, counted = spark_feature_drift(profile, frame)
    got = {r["feature"]: r for r in judged_drift(compared, p)}
    assert counted.rows == 3000 and counted.jobs == 1
    assert set(got) == set(want)
    for name, w in want.items():
        g = got[name]
        assert g.keys() == w.keys(), name
        for key, value in w.items():
            if key == "unseen_examples":
                assert set(g[key]) == set(value), name
            elif isinstance(value, float):
                assert g[key] == pytest.approx(value, abs=1e-9), (name, key)
            else:
                assert g[key] == value, (name, key)
    assert got["amount"]["status"] == "fail" and got["years"]["status"] == "pass"
    assert got["channel"]["unseen_examples"] == ["branch"]


def _big(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    skewed = rng.lognormal(0.0, 1.0, n)
    skewed[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "a": rng.normal(shift, 1.0, n),
            "b": skewed,
            "c": rng.integers(0, 1000, n),
            "d": rng.normal(0.0, 1.0, n),
            "e": rng.choice([f"cat{i:03d}" for i in range(150)], n),
        }
    )


def _ecdf(values: np.ndarray, at: np.ndarray) -> np.ndarray:
    v = np.sort(values[np.isfinite(values)])
    return np.searchsorted(v, at, side="right") / len(v)


def test_a_frame_too_big_to_collect_is_profiled_and_compared_on_spark(spark):
    n = 150_000
    train = _big(n, 0)
    frame = spark.createDataFrame(train).repartition(4)
    with pytest.raises(Exception, match="maxResultSize|bigger than"):
        frame.collect()  # about 7 MB: more than the driver may receive (conftest: 4m)
    kinds = _kinds(train.head(1000))
    got = spark_profile(frame, list(train.columns), kinds)
    want = build_profile(train, sample_rows=n)  # every row: the exact reference
    err = got["engine"]["relative_error"]
    assert got["engine"]["jobs"] == 4 and err <= 1e-4
    assert got["rows"] == n
    for name in ("a", "b", "c", "d"):
        g, w = got["features"][name], want["features"][name]
        assert g["null_share"] == w["null_share"] and g["ks_n"] == w["ks_n"] == int(
            np.isfinite(train[name].to_numpy(float)).sum()
        )
        values = train[name].to_numpy(float)
        # each edge and reference point within the stated rank error of its level
        levels = np.linspace(0, 1, 11)[1:-1]
        if name != "c":  # a discrete column's edges coincide: fewer distinct ones
            assert len(g["edges"]) == len(w["edges"]) == 9
            assert np.all(np.abs(_ecdf(values, np.asarray(g["edges"])) - levels) <= err + 1e-5)
        points = len(g["sample"])
        assert points == got["engine"]["points"]["sketched"] == 2001 < len(w["sample"])
        j = np.arange(points) / (points - 1)
        finite = values[np.isfinite(values)]
        below = _ecdf(values, np.asarray(g["sample"]))
        assert np.all(below >= j - err - 1 / len(finite)), name
        if name != "c":  # continuous: the ECDF at a point is its level, within the error
            assert np.all(below <= j + err + 1 / len(finite)), name
        # the shares are exact for the edges stored
        edges = np.asarray(g["edges"])
        exact = np.bincount(np.searchsorted(edges, finite, side="right"), minlength=len(edges) + 1)
        assert g["shares"] == pytest.approx((exact / len(finite)).tolist(), abs=1e-12)
        assert g["mean"] == pytest.approx(w["mean"], rel=1e-9)
        assert g["std"] == pytest.approx(w["std"], rel=1e-9)
    assert got["features"]["e"]["categories"] == pytest.approx(want["features"]["e"]["categories"])
    # the same decisions as the pandas path on a shifted and an unshifted hold-out, on Spark
    hold = _big(n, 1, shift=0.6)
    hold_frame = spark.createDataFrame(hold).repartition(4)
    p = Policy()
    compared, counted = spark_feature_drift(got, hold_frame)
    assert counted.rows == n
    on_spark = {r["feature"]: r for r in judged_drift(compared, p)}
    on_pandas = {r["feature"]: r for r in feature_drift(want, hold, p)}
    for name in train.columns:
        assert on_spark[name]["status"] == on_pandas[name]["status"], name
    assert on_spark["a"]["status"] == "fail"
    assert {on_spark[c]["status"] for c in "bcde"} == {"pass"}
    # the KS D against the sketched points: within 1 / 2000 + the rank error of pandas'
    assert on_spark["a"]["ks"] == pytest.approx(on_pandas["a"]["ks"], abs=1 / 2000 + 2 * err)
    assert on_spark["a"]["psi"] == pytest.approx(on_pandas["a"]["psi"], rel=0.05)
