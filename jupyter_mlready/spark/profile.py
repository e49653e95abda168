"""Drift on Spark (issue 18): the training reference profile and a comparison with it, computed
by Spark aggregations over every row; nothing but small tables comes back to the driver.

:func:`spark_profile` returns :func:`jupyter_mlready.profile.build_profile`'s format (the bundle
stores it and ``mlready monitor`` reads it back unchanged), plus an ``engine`` key:

- **exact**: ``rows``, every feature's ``null_share`` (null, and NaN in a float column, as pandas
  counts them), ``ks_n``, ``mean`` and ``std`` (population, ``ddof=0`` as numpy), each bin's
  ``shares`` against the edges it stores, every text column's category shares (its
  ``MAX_CATEGORIES`` most frequent values; ties broken by value, where pandas keeps the order of
  appearance);
- **exact when small**: a column with at most ``ks_points`` finite values keeps them all (the
  exact empirical CDF) and its edges are numpy's quantiles of them, as in pandas;
- **approximate beyond**: the bin ``edges`` are Spark's ``percentile_approx`` at the deciles
  pandas takes, and the KS reference points its values at ``SKETCH_POINTS`` evenly spaced levels
  ``j / (points - 1)`` (first and last included, as pandas takes them), each within a rank error
  of ``relative_error`` (``1 / ACCURACY``, recorded) of the exact quantile: a KS D against them is
  within ``1 / (points - 1) + relative_error`` (about 6e-4) of the exact D. The profile records
  ``points`` and ``relative_error`` in ``engine``.

Jobs: one aggregation for the counts, means and standard deviations; one for the quantiles (or
the values of small columns); one for the bin counts; one for the top categories of all text
columns. Four, however wide the frame.

:func:`spark_feature_drift` compares a Spark frame (a hold-out, a live batch) with a profile in
one Spark action: each Arrow batch is read with the pandas path's own conversions
(:func:`jupyter_mlready.profile.series_counts`' rules: ``_numeric``, ``dropna().astype(str)``)
into mergeable partial counts (null and finite counts, sums, bin counts, the counts of values
between and at the reference points, category counts), which Spark sums and reduces per feature.
The null shares, PSI (against the stored bins), KS D (over **every** value against the stored
reference points: exact, where the pandas path samples 200,000), the means and the unseen shares
are exact; the unseen *examples* are the most frequent unseen values among each batch's
``UNSEEN_CANDIDATES`` most frequent ones (illustrations, not counts). The arithmetic from counts to
PSI and its noise floor is :func:`jupyter_mlready.profile.compare_counts`, shared with pandas.

pyspark is imported inside the functions only: the module imports without it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..profile import (
    BINS,
    MAX_CATEGORIES,
    ColumnCounts,
    _numeric,
    compare_counts,
    ks_points,
)

__all__ = ["SparkDrift", "spark_feature_counts", "spark_feature_drift", "spark_profile"]

NUMERIC_KINDS = ("float", "integer", "datetime")
#: unseen values each Arrow batch sends on as example candidates
UNSEEN_CANDIDATES = 20
#: examples of unseen values kept per feature (as the pandas path)
UNSEEN_EXAMPLES = 5


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


#: KS reference points of a column sketched by ``percentile_approx`` (more than its own rank
#: error resolves, and each level costs the sketch a query: 20,000 take seconds per column)
SKETCH_POINTS = 2_001
#: ``percentile_approx``'s accuracy: a rank error of at most 1e-4
ACCURACY = 10_000


# ---- the profile ------------------------------------------------------------------------------


def _value(frame: Any, name: str, kind: str) -> Any:
    """The numeric value pandas' ``profile._numeric`` gives a column (null where it gives NaN,
    inf kept): numbers as doubles; date / times as seconds since 1970 of the wall-clock time in
    the session's time zone (what ``toPandas`` gives pandas)."""
    from pyspark.sql import functions as F

    c = F.col(_quoted(name))
    tname = frame.schema[name].dataType.typeName()
    if tname in ("timestamp", "timestamp_ntz", "date"):
        tz = frame.sparkSession.conf.get("spark.sql.session.timeZone")
        wall = F.from_utc_timestamp(c.cast("timestamp"), tz)
        v = F.unix_micros(wall).cast("double") / F.lit(1e6)
    else:
        v = c.cast("double")
    return F.when(~F.isnan(v), v)


def _missing(frame: Any, name: str) -> Any:
    """True where pandas sees a missing value: null, and NaN in a float / double column."""
    from pyspark.sql import functions as F

    c = F.col(_quoted(name))
    if frame.schema[name].dataType.typeName() in ("float", "double"):
        return c.isNull() | F.isnan(c)
    return c.isNull()


def _text(frame: Any, name: str) -> Any:
    """A column as ``astype(str)`` shows its values (booleans as ``True`` / ``False``)."""
    from pyspark.sql import functions as F

    c = F.col(_quoted(name))
    if frame.schema[name].dataType.typeName() == "boolean":
        return F.when(c, F.lit("True")).when(~c, F.lit("False"))
    return c.cast("string")


def _finite(v: Any) -> Any:
    from pyspark.sql import functions as F

    return F.when(v.isNotNull() & (F.abs(v) != F.lit(float("inf"))), v)


@dataclass(frozen=True)
class _Numeric:
    name: str
    kind: str
    finite: Any  # the Column of finite values (null elsewhere)


def spark_profile(
    frame: Any,
    features: Sequence[str],
    kinds: Mapping[str, str],
    *,
    seed: int = 0,
    points: int | None = None,
) -> dict:
    """The reference profile of ``features`` of a Spark frame, in ``build_profile``'s format
    (see the module's docstring for what is exact), from every row.

    Args:
        frame: the training frame.
        features: the columns to profile, in order.
        kinds: column -> ``contract.column_kind`` of its pandas sample (decides numeric vs text).
        seed: recorded only: nothing is sampled.
        points: KS reference points per feature (default ``ks_points(len(features))``).

    Returns:
        ``{"rows", "features": {...}, "engine": {"name": "spark", "jobs", "relative_error",
        "seconds", "seed"}}``.
    """
    from pyspark.sql import functions as F

    started = time.perf_counter()
    points = points or ks_points(len(features))
    sketched = min(points, SKETCH_POINTS)
    numeric = [
        _Numeric(n, kinds[n], _finite(_value(frame, n, kinds[n])))
        for n in features
        if kinds.get(n) in NUMERIC_KINDS
    ]
    texts = [n for n in features if kinds.get(n) not in NUMERIC_KINDS]
    # job 1: the counts, means and standard deviations
    exprs = [F.count(F.lit(1)).alias("rows")]
    exprs += [F.count(F.when(_missing(frame, n), 1)).alias(f"m{i}") for i, n in enumerate(features)]
    for i, col in enumerate(numeric):
        exprs += [
            F.count(col.finite).alias(f"f{i}"),
            F.avg(col.finite).alias(f"a{i}"),
            F.stddev_pop(col.finite).alias(f"s{i}"),
        ]
    facts = frame.agg(*exprs).collect()[0]
    jobs = 1
    rows = int(facts["rows"])
    entries: dict[str, dict] = {}
    for i, n in enumerate(features):
        missing = int(facts[f"m{i}"])
        entries[n] = {
            "kind": kinds.get(n, "string"),
            "rows": rows,
            "null_share": missing / rows if rows else 0.0,
        }
    finite = {col.name: int(facts[f"f{i}"]) for i, col in enumerate(numeric)}
    present = [col for col in numeric if finite[col.name]]
    if present:
        edges = _edges_and_points(frame, present, finite, points, sketched)
        jobs += 1
        shares = _bin_shares(frame, present, edges)
        jobs += 1
        for i, col in enumerate(numeric):
            if not finite[col.name]:
                continue
            inner, sample = edges[col.name]
            std = facts[f"s{i}"]
            entries[col.name].update(
                edges=inner.tolist(),
                shares=shares[col.name],
                sample=sample.tolist(),
                ks_n=finite[col.name],
                mean=float(facts[f"a{i}"]),
                std=float(std) if std is not None else 0.0,
            )
    if texts:
        categories = _top_categories(frame, texts, rows, facts, features)
        jobs += 1
        for n in texts:
            entries[n]["categories"] = categories.get(n, {})
    return {
        "rows": rows,
        "features": {str(n): entries[n] for n in features},
        "engine": {
            "name": "spark",
            "jobs": jobs,
            "relative_error": 1.0 / ACCURACY,
            "points": {"exact_up_to": points, "sketched": sketched},
            "seconds": round(time.perf_counter() - started, 3),
            "seed": seed,
        },
    }


def _edges_and_points(
    frame: Any, numeric: list[_Numeric], finite: dict[str, int], points: int, sketched: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per column: (bin edges, KS reference points), in one job. A column with at most
    ``points`` finite values brings them back (sorted: the exact empirical CDF, and numpy's
    quantiles for the edges, as in pandas); the others ``percentile_approx`` at the deciles
    and at ``j / (sketched - 1)``."""
    from pyspark.sql import functions as F

    deciles = np.linspace(0, 1, BINS + 1)[1:-1]
    levels = [float(q) for q in deciles] + [float(j) / (sketched - 1) for j in range(sketched)]
    # one SQL literal for the levels (a Column per level costs a py4j call each)
    array = "array(" + ",".join(f"{q!r}D" for q in levels) + ")"
    exprs = []
    for i, col in enumerate(numeric):
        if finite[col.name] <= points:
            exprs.append(F.sort_array(F.collect_list(col.finite)).alias(f"q{i}"))
        else:
            exprs.append(F.percentile_approx(col.finite, F.expr(array), ACCURACY).alias(f"q{i}"))
    row = frame.agg(*exprs).collect()[0]
    out = {}
    for i, col in enumerate(numeric):
        values = np.asarray(row[f"q{i}"], dtype=float)
        if finite[col.name] <= points:
            out[col.name] = (np.unique(np.quantile(values, deciles)), values)
        else:
            out[col.name] = (np.unique(values[: len(deciles)]), values[len(deciles) :])
    return out


def _bin_index(v: Any, edges: np.ndarray) -> Any:
    """``searchsorted(edges, v, side="right")``: how many edges are <= v."""
    from pyspark.sql import functions as F

    index = F.lit(0)
    for e in edges:
        index = index + F.when(v >= F.lit(float(e)), 1).otherwise(0)
    return index


def _bin_shares(
    frame: Any, numeric: list[_Numeric], edges: dict[str, tuple[np.ndarray, np.ndarray]]
) -> dict[str, list[float]]:
    """Each column's share of finite values per bin of its edges, counted exactly in one job."""
    from pyspark.sql import functions as F

    exprs = [F.count(F.lit(1)).alias("rows")]
    for i, col in enumerate(numeric):
        index = _bin_index(col.finite, edges[col.name][0])
        exprs += [
            F.count(F.when(col.finite.isNotNull() & (index == b), 1)).alias(f"b{i}_{b}")
            for b in range(len(edges[col.name][0]) + 1)
        ]
        exprs.append(F.count(col.finite).alias(f"n{i}"))
    row = frame.agg(*exprs).collect()[0]
    out = {}
    for i, col in enumerate(numeric):
        n = int(row[f"n{i}"])
        counts = np.array(
            [int(row[f"b{i}_{b}"]) for b in range(len(edges[col.name][0]) + 1)], dtype=np.int64
        )
        out[col.name] = (counts / n).tolist()
    return out


def _top_categories(
    frame: Any, texts: list[str], rows: int, facts: Any, features: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Each text column's ``MAX_CATEGORIES`` most frequent values with their share of the
    present values, for all text columns in one job (at most that many rows per column back)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    pairs = F.array(
        *[F.struct(F.lit(i).alias("f"), _text(frame, n).alias("v")) for i, n in enumerate(texts)]
    )
    counted = (
        frame.select(F.explode(pairs).alias("p"))
        .select("p.f", "p.v")
        .where(F.col("v").isNotNull())
        .groupBy("f", "v")
        .count()
    )
    rank = F.row_number().over(Window.partitionBy("f").orderBy(F.desc("count"), F.asc("v")))
    top = counted.withColumn("r", rank).where(F.col("r") <= MAX_CATEGORIES).collect()
    index = {n: features.index(n) for n in texts}
    out: dict[str, dict[str, float]] = {n: {} for n in texts}
    for r in sorted(top, key=lambda r: (r["f"], r["r"])):
        name = texts[r["f"]]
        present = rows - int(facts[f"m{index[name]}"])
        out[name][str(r["v"])] = int(r["count"]) / present if present else 0.0
    return out


# ---- a comparison with the profile ------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    """What each Arrow batch needs of one feature's reference."""

    index: int
    name: str
    edges: np.ndarray | None = None  # numeric: the bin edges
    points: np.ndarray | None = None  # numeric: the distinct reference points, sorted
    categories: frozenset[str] | None = None  # text


def _references(profile: dict, columns: Sequence[str]) -> list[_Reference]:
    refs: list[_Reference] = []
    for name, ref in (profile.get("features") or {}).items():
        if name not in columns:
            continue
        i = len(refs)
        if "edges" in ref:
            points = np.unique(np.asarray(ref["sample"], dtype=float))
            refs.append(_Reference(i, name, np.asarray(ref["edges"], dtype=float), points))
        elif "categories" in ref:
            refs.append(_Reference(i, name, categories=frozenset(ref["categories"])))
        else:
            refs.append(_Reference(i, name))
    return refs


_PARTIAL_FIELDS = (("f", "int"), ("part", "string"), ("key", "string"), ("idx", "long"))


def _partial_schema() -> Any:
    from pyspark.sql import types as T

    kinds = {"int": T.IntegerType(), "string": T.StringType(), "long": T.LongType()}
    fields = [T.StructField(n, kinds[t], True) for n, t in _PARTIAL_FIELDS]
    fields += [T.StructField("count", T.LongType()), T.StructField("total", T.DoubleType())]
    return T.StructType(fields)


def _partial_rows(ref: _Reference, s: pd.Series) -> list[tuple]:
    """One Arrow batch's mergeable counts of one feature, as rows of ``_partial_schema``:
    ``n`` (rows, nulls), numeric: ``finite`` (count, sum), ``bin`` (idx, count), ``ks``
    (bucket, count: bucket 2j holds the values strictly between the reference points j-1 and
    j, bucket 2j+1 those equal to point j); text: ``cat`` (a reference category, count),
    ``unseen`` (count), ``example`` (an unseen value, count)."""
    f = ref.index
    out: list[tuple] = [
        (f, "n", None, 0, int(len(s)), 0.0),
        (f, "n", None, 1, int(s.isna().sum()), 0.0),
    ]
    if ref.edges is not None and ref.points is not None:
        v = _numeric(s)
        finite = v[np.isfinite(v)]
        out.append((f, "finite", None, 0, int(len(finite)), float(finite.sum())))
        bins = np.bincount(np.searchsorted(ref.edges, finite, side="right"), minlength=0)
        out += [(f, "bin", None, int(b), int(c), 0.0) for b, c in enumerate(bins) if c]
        k = len(ref.points)
        j = np.searchsorted(ref.points, finite, side="left")
        equal = (j < k) & (ref.points[np.minimum(j, k - 1)] == finite)
        buckets = np.bincount(2 * j + equal.astype(np.int64))
        out += [(f, "ks", None, int(b), int(c), 0.0) for b, c in enumerate(buckets) if c]
    elif ref.categories is not None:
        counts = s.dropna().astype(str).value_counts()
        known = counts.index.isin(list(ref.categories))
        out += [(f, "cat", str(v), 0, int(c), 0.0) for v, c in counts[known].items()]
        unseen = counts[~known]
        out.append((f, "unseen", None, 0, int(unseen.sum()), 0.0))
        out += [
            (f, "example", str(v), 0, int(c), 0.0)
            for v, c in unseen.head(UNSEEN_CANDIDATES).items()
        ]
    return out


def _partials(batches: Iterator[pd.DataFrame], refs: list[_Reference]) -> Iterator[pd.DataFrame]:
    columns = ["f", "part", "key", "idx", "count", "total"]
    for batch in batches:
        rows: list[tuple] = []
        for ref in refs:
            rows += _partial_rows(ref, batch[ref.name])
        yield pd.DataFrame(rows, columns=columns).astype(
            {"f": "int32", "idx": "int64", "count": "int64", "total": "float64"}
        )


def _ks_from_buckets(ref_sample: np.ndarray, points: np.ndarray, buckets: np.ndarray) -> float:
    """The two-sample KS D between the reference points (with their multiplicities) and the new
    values whose bucket counts are ``buckets`` (see :func:`_partial_rows`): the supremum is
    reached at a reference point or just below one, so the buckets give it exactly."""
    k = len(points)
    counts = np.zeros(2 * k + 1, dtype=np.int64)
    counts[: len(buckets)] = buckets
    m = int(counts.sum())
    cdf_new = np.cumsum(counts) / m
    at_point = np.searchsorted(ref_sample, points, side="right") / len(ref_sample)
    cdf_ref = np.empty(2 * k + 1)
    cdf_ref[0::2] = np.concatenate(([0.0], at_point))  # between points j-1 and j
    cdf_ref[1::2] = at_point  # at point j
    return float(np.max(np.abs(cdf_ref - cdf_new)))


def _reduce(group: pd.DataFrame, refs: list[_Reference], samples: dict[int, np.ndarray]) -> dict:
    """One feature's merged counts as a JSON-ready dict (run on an executor, per feature)."""
    f = int(group["f"].iloc[0])
    ref = refs[f]
    parts = {p: g for p, g in group.groupby("part")}

    def total(part: str, idx: int = 0, column: str = "count") -> float:
        g = parts.get(part)
        if g is None:
            return 0
        return g.loc[g["idx"] == idx, column].sum()

    out: dict = {"f": f, "rows": int(total("n", 0)), "missing": int(total("n", 1))}
    if ref.edges is not None and ref.points is not None:
        out["finite"] = int(total("finite"))
        out["sum"] = float(total("finite", 0, "total"))
        bins = np.zeros(len(ref.edges) + 1, dtype=np.int64)
        if "bin" in parts:
            g = parts["bin"]
            np.add.at(bins, g["idx"].to_numpy(dtype=np.int64), g["count"].to_numpy(np.int64))
        out["bins"] = bins.tolist()
        if out["finite"] and "ks" in parts:
            g = parts["ks"]
            buckets = np.zeros(2 * len(ref.points) + 1, dtype=np.int64)
            np.add.at(buckets, g["idx"].to_numpy(dtype=np.int64), g["count"].to_numpy(np.int64))
            out["ks"] = _ks_from_buckets(samples[f], ref.points, buckets)
    elif ref.categories is not None:
        cats = parts.get("cat")
        out["cats"] = (
            {str(k): int(v) for k, v in cats.groupby("key")["count"].sum().items()}
            if cats is not None
            else {}
        )
        out["unseen"] = int(total("unseen"))
        ex = parts.get("example")
        if ex is not None:
            merged = ex.groupby("key")["count"].sum().reset_index()
            merged = merged.sort_values(["count", "key"], ascending=[False, True])
            out["examples"] = [str(k)[:60] for k in merged["key"].head(UNSEEN_EXAMPLES)]
    return out


@dataclass(frozen=True)
class SparkDrift:
    """The per-feature counts of a Spark frame against a profile, and what they cost."""

    counts: dict[str, ColumnCounts]
    rows: int  # rows the comparison read (every feature reads every row)
    jobs: int
    seconds: float

    def engine(self, **more: Any) -> dict:
        return {
            "name": "spark",
            "rows": self.rows,
            "jobs": self.jobs,
            "seconds": round(self.seconds, 3),
            "exact": "null shares, PSI, KS D (every value against the stored reference points), "
            "means, unseen shares; unseen examples: frequent candidates",
            **more,
        }


def spark_feature_counts(profile: dict, frame: Any) -> SparkDrift:
    """:class:`ColumnCounts` of every profiled feature that ``frame`` has, from one Spark action
    over every row (see the module's docstring).

    Raises:
        RuntimeError: features were counted over different numbers of rows (fail closed).
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    started = time.perf_counter()
    refs = _references(profile, [str(c) for c in frame.columns])
    if not refs:
        return SparkDrift({}, 0, 0, time.perf_counter() - started)
    features = profile["features"]
    samples = {
        r.index: np.sort(np.asarray(features[r.name]["sample"], dtype=float))
        for r in refs
        if r.points is not None
    }
    read = frame.select(*[F.col(_quoted(r.name)) for r in refs])
    merged = (
        read.mapInPandas(lambda it: _partials(it, refs), _partial_schema())
        .groupBy("f", "part", "key", "idx")
        .agg(F.sum("count").alias("count"), F.sum("total").alias("total"))
    )
    out_schema = T.StructType([T.StructField("result", T.StringType())])

    def reduce_feature(group: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"result": [json.dumps(_reduce(group, refs, samples))]})

    found = merged.groupBy("f").applyInPandas(reduce_feature, out_schema).collect()
    results = {int(d["f"]): d for d in (json.loads(r["result"]) for r in found)}
    counts = {}
    for ref in refs:
        counts[ref.name] = _column_counts(ref, results.get(ref.index, {}))
    rows = {c.rows for c in counts.values()}
    if len(rows) > 1:
        raise RuntimeError(f"the drift comparison counted different rows per feature: {rows}")
    return SparkDrift(counts, rows.pop(), 1, time.perf_counter() - started)


def _column_counts(ref: _Reference, r: dict) -> ColumnCounts:
    rows, missing = int(r.get("rows", 0)), int(r.get("missing", 0))
    if ref.edges is not None:
        finite = int(r.get("finite", 0))
        if not finite:
            return ColumnCounts(rows, missing)
        return ColumnCounts(
            rows,
            missing,
            finite=finite,
            bins=np.asarray(r["bins"], dtype=np.int64),
            mean=float(r["sum"]) / finite,
            ks=float(r["ks"]),
            ks_m=finite,
        )
    if ref.categories is not None:
        present = rows - missing
        cats = r.get("cats") or {}
        return ColumnCounts(
            rows,
            missing,
            shares={c: (cats.get(c, 0) / present if present else 0.0) for c in ref.categories},
            unseen_share=int(r.get("unseen", 0)) / present if present else 0.0,
            unseen_examples=tuple(r.get("examples") or ()),
        )
    return ColumnCounts(rows, missing)


def spark_feature_drift(profile: dict, frame: Any) -> tuple[list[dict], SparkDrift]:
    """``compare_feature`` of every profiled feature ``frame`` has (the dicts, before the
    status), and the counts they came from: one Spark action."""
    counted = spark_feature_counts(profile, frame)
    rows = []
    for name, counts in counted.counts.items():
        rows.append({"feature": name} | compare_counts(profile["features"][name], counts))
    return rows, counted
