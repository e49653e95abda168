"""The seeded sample of a Spark input that the sampled checks read (property tests, latency, the
target-proxy screen, slices, the simpler model, feature value, fairness): a bounded number of
rows brought to the driver as pandas, the same rows for the same data and seed. Its size and seed
are recorded in readiness.json."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd

#: rows of each input the sampled checks read, unless the policy says otherwise
DEFAULT_SAMPLE_ROWS = 50_000


def to_pandas(frame: Any) -> pd.DataFrame:
    """``frame.toPandas()`` without pyspark's "pandas >= 3 is not fully supported" warning (the
    conversions used here are tested under the project's pandas). A ``DecimalType`` column, an
    object column of ``decimal.Decimal`` in pandas, becomes float64: a number, as the Spark paths
    read it (``hashing.hash_dtypes``, ``scoring``), not text to the contract and the probes."""
    from pyspark.sql.types import DecimalType

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas.*")
        pdf = frame.toPandas()
    for field in frame.schema.fields:
        if isinstance(field.dataType, DecimalType) and field.name in pdf.columns:
            pdf[field.name] = pdf[field.name].astype("float64")
    return pdf


def beside_sample(data: Any, rows: int, seed: int) -> pd.DataFrame | None:
    """A seeded sample of at most ``rows`` rows of the columns of a Spark input
    (:class:`~jupyter_mlready.records.SparkData`) that are neither features nor its target:
    what sits beside the model's inputs (ids, contact details, dates). None when there are
    none."""
    skip = {*data.features, data.target}
    beside = [c for c in data.frame.columns if c not in skip]
    if not beside:
        return None
    quoted = ["`" + c.replace("`", "``") + "`" for c in beside]
    return seeded_sample(data.frame.select(*quoted), data.rows, rows, data.seed)


def sample_fraction(rows: int, k: int) -> float:
    """A Bernoulli fraction that yields at least ``k`` of ``rows`` rows with overwhelming
    probability (mean plus five standard deviations); the surplus is cut by ``limit``."""
    if rows <= 0:
        return 1.0
    return min(1.0, (k + 5.0 * math.sqrt(k) + 10.0) / rows)


def seeded_sample(frame: Any, rows: int, k: int, seed: int) -> pd.DataFrame:
    """At most ``k`` rows of ``frame`` (which has ``rows`` rows), uniformly at random with
    ``seed``, as pandas. The whole frame when it has no more than ``k`` rows."""
    if rows <= k:
        return to_pandas(frame)
    picked = frame.sample(withReplacement=False, fraction=sample_fraction(rows, k), seed=seed)
    return to_pandas(picked.limit(k))
