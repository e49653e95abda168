"""The contract of a Spark training set, from every training row, not only the sample.

The contract is inferred on the seeded sample like any pandas frame (kinds, dtypes, the pandera
checks), then its facts that a sample gets wrong are replaced by exact ones from the whole
training frame: a sample of 50,000 of 10M rows misses the extremes and the rare values, and the
contract would then flag (and the scoring server's guard refuse) values the model was trained on.

- nullable and the share of missing values: from the exact null counts recorded with the input;
- number and date/time ranges: the training minimum and maximum of every row (NaN and ±inf left
  out, as the pandas path does), widened by ``range_margin`` as before;
- allowed values of a text column: every distinct value when there are at most
  ``max_categories`` of them, else none (as the pandas path decides on its rows).

Two Spark jobs at most, however wide the frame: one aggregate (minima, maxima, approximate
distinct counts), and one ``collect_set`` over the text columns with few distinct values
(bounded: each set holds at most twice ``max_categories`` values by the approximate count,
whose error is far below that slack).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from ..contract import build_schema, datetime_range_spec, numeric_range_spec
from ..policy import Policy
from ..records import ColumnSpec, Contract, SparkData

__all__ = ["TrainingContract", "whole_training_contract"]


@dataclass(frozen=True)
class TrainingContract:
    contract: Contract
    widened: tuple[str, ...]  # the columns whose facts changed from the sample's
    jobs: int
    seconds: float


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _finite(name: str) -> Any:
    from pyspark.sql import functions as F

    v = _col(name).cast("double")
    return F.when(~F.isnan(v) & (F.abs(v) != F.lit(float("inf"))), v)


def _aggregates(specs: tuple[ColumnSpec, ...]) -> list:
    from pyspark.sql import functions as F

    out = []
    for i, spec in enumerate(specs):
        if spec.kind in ("float", "integer"):
            out += [
                F.min(_finite(spec.name)).alias(f"lo{i}"),
                F.max(_finite(spec.name)).alias(f"hi{i}"),
            ]
        elif spec.kind == "datetime":
            out += [F.min(_col(spec.name)).alias(f"lo{i}"), F.max(_col(spec.name)).alias(f"hi{i}")]
        elif spec.kind == "string" and spec.categories is not None:
            out.append(F.approx_count_distinct(_col(spec.name), 0.05).alias(f"nd{i}"))
    return out


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def whole_training_contract(
    contract: Contract, data: SparkData, policy: Policy
) -> TrainingContract:
    """``contract`` (inferred on the seeded sample) with its nullability, ranges and allowed
    values from every row of the Spark training frame (see the module's docstring)."""
    from pyspark.sql import functions as F

    start = time.perf_counter()
    specs = contract.columns
    frame = data.frame
    rows = max(int(data.rows), 1)
    aggregates = _aggregates(specs)
    jobs = 0
    found: dict = {}
    if aggregates:
        found = frame.agg(*aggregates).collect()[0].asDict()
        jobs += 1
    few = [
        i
        for i, spec in enumerate(specs)
        if f"nd{i}" in found and int(found[f"nd{i}"] or 0) <= 2 * policy.max_categories
    ]
    sets: dict = {}
    if few:
        sets = (
            frame.agg(*[F.collect_set(_col(specs[i].name)).alias(f"set{i}") for i in few])
            .collect()[0]
            .asDict()
        )
        jobs += 1
    out: list[ColumnSpec] = []
    widened: list[str] = []
    for i, spec in enumerate(specs):
        nulls = int(data.null_counts.get(spec.name, 0))
        new = replace(spec, nullable=nulls > 0, null_fraction=nulls / rows)
        lo, hi = found.get(f"lo{i}"), found.get(f"hi{i}")
        if spec.kind in ("float", "integer") and lo is not None and hi is not None:
            new = numeric_range_spec(
                spec.name,
                spec.kind,
                spec.dtype,
                float(lo),
                float(hi),
                new.nullable,
                new.null_fraction,
                policy,
            )
        elif spec.kind == "datetime" and lo is not None and hi is not None:
            new = datetime_range_spec(
                spec.name,
                spec.dtype,
                pd.Timestamp(lo),
                pd.Timestamp(hi),
                new.nullable,
                new.null_fraction,
                policy,
            )
        elif f"nd{i}" in found:
            values = sets.get(f"set{i}")
            categories = None
            if values is not None and len(values) <= policy.max_categories:
                categories = tuple(sorted((_plain(v) for v in values), key=str))
            new = replace(new, categories=categories)
        if (new.nullable, new.low, new.high, new.categories) != (
            spec.nullable,
            spec.low,
            spec.high,
            spec.categories,
        ):
            widened.append(spec.name)
        out.append(new)
    columns = tuple(out)
    widened_contract = replace(contract, columns=columns, schema=build_schema(columns))
    return TrainingContract(widened_contract, tuple(widened), jobs, time.perf_counter() - start)
