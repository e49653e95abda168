"""Train <-> hold-out overlap on Spark: one hash per normalized feature row, computed in the
executors with the pandas path's own :func:`jupyter_mlready.hashing.row_hashes`, so a row hashes
to the same number on both engines; the overlap is counted exactly by one aggregation.

Normalization: each Arrow batch is given the dtype the column has in a pandas frame of the
*whole* input (``toPandas()``): an integer column with missing values anywhere is float64 in every
batch, a boolean one object. Both frames are hashed with the same dtypes, so a value is the
same number on both sides whatever the batch it falls in. The executors import jupyter_mlready:
on a cluster, install the package there (a cluster library).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..hashing import row_hashes

HASH = "_mlready_row_hash"


def hash_dtypes(frames: list[Any], features: list[str], nulls: list[dict]) -> dict[str, str]:
    """The pandas dtype each feature is hashed as: what ``toPandas()`` gives for the Spark type,
    widened when any of ``frames`` has a missing value in that column, or holds it as a
    fractional number where another holds integers (3 and 3.0 are one value)."""
    from pyspark.sql.types import BooleanType, FractionalType, IntegralType

    out: dict[str, str] = {}
    for name in features:
        kinds = [f[name].dataType for f in (fr.schema for fr in frames)]
        missing = any(n.get(name, 0) for n in nulls)
        if all(isinstance(k, IntegralType) for k in kinds):
            out[name] = "float64" if missing else "int64"
        elif all(isinstance(k, (IntegralType, FractionalType)) for k in kinds):
            out[name] = "float64"
        elif all(isinstance(k, BooleanType) for k in kinds):
            out[name] = "object" if missing else "bool"
    return out


def normalized(batch: pd.DataFrame, features: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    """One Arrow batch with the whole frame's dtypes (see the module doc)."""
    frame = batch[features]
    for name, dtype in dtypes.items():
        if str(frame[name].dtype) != dtype:
            frame = frame.assign(**{name: frame[name].astype(dtype)})
    return frame


def with_row_hashes(frame: Any, features: list[str], dtypes: dict[str, str], keep=()) -> Any:
    """``frame``'s ``keep`` columns and one signed 64-bit hash per row of ``features``."""
    from pyspark.sql.types import LongType, StructField, StructType

    kept = list(keep)
    schema = StructType([frame.schema[c] for c in kept] + [StructField(HASH, LongType(), False)])

    def hash_batches(batches):
        for batch in batches:
            hashes = row_hashes(normalized(batch, features, dtypes)).view(np.int64)
            out = batch[kept].reset_index(drop=True) if kept else pd.DataFrame(index=batch.index)
            yield out.assign(**{HASH: hashes})

    return frame.select(*[f"`{c}`" for c in dict.fromkeys(features + kept)]).mapInPandas(
        hash_batches, schema
    )


@dataclass(frozen=True)
class SparkOverlap:
    """Exact overlap counts from one aggregation over both frames' row hashes."""

    holdout_rows: int
    train_rows: int
    holdout_in_train: int
    train_duplicate_rows: int  # training rows whose hash occurs more than once in training
    examples: list[dict]  # a few hold-out rows that also occur in training (feature values)
    jobs: int


def spark_overlap(
    train: Any, holdout: Any, features: list[str], dtypes: dict[str, str], examples: int = 5
) -> SparkOverlap:
    """How many hold-out rows have a feature row equal to a training row, exactly."""
    from pyspark.sql import functions as F

    t = with_row_hashes(train, features, dtypes).select(
        HASH, F.lit(1).alias("t"), F.lit(0).alias("o")
    )
    o = with_row_hashes(holdout, features, dtypes).select(
        HASH, F.lit(0).alias("t"), F.lit(1).alias("o")
    )
    per_hash = t.unionByName(o).groupBy(HASH).agg(F.sum("t").alias("nt"), F.sum("o").alias("no"))
    row = per_hash.agg(
        F.sum("no").alias("holdout_rows"),
        F.sum("nt").alias("train_rows"),
        F.sum(F.when(F.col("nt") > 0, F.col("no")).otherwise(0)).alias("in_train"),
        F.sum(F.when(F.col("nt") > 1, F.col("nt")).otherwise(0)).alias("train_dups"),
    ).collect()[0]
    jobs = 1
    found: list[dict] = []
    in_train = int(row["in_train"] or 0)
    if in_train and examples:
        hits = [
            r[HASH]
            for r in per_hash.where((F.col("nt") > 0) & (F.col("no") > 0))
            .select(HASH)
            .limit(examples)
            .collect()
        ]
        rows = (
            with_row_hashes(holdout, features, dtypes, keep=features)
            .where(F.col(HASH).isin(hits))
            .drop(HASH)
            .limit(examples)
            .collect()
        )
        found = [{k: _plain(v) for k, v in r.asDict().items()} for r in rows]
        jobs += 2
    return SparkOverlap(
        int(row["holdout_rows"] or 0),
        int(row["train_rows"] or 0),
        in_train,
        int(row["train_dups"] or 0),
        found,
        jobs,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)
