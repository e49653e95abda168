"""A live batch: read from a parquet file or folder, a CSV file, or a DataFrame in a notebook
(pandas or polars), and split into the model's features and the target.

On Spark (``spark:db.table``, a parquet / ORC folder with ``engine="spark"``, or a Spark
DataFrame in a notebook), the batch stays on Spark: it is recorded by reference with its exact row
count, null counts and fingerprint (one job; a frame built in the notebook is staged once as
parquet, as ``mlready check`` does, so every check reads the same rows), and ``LiveBatch.frame`` is
a seeded sample of it for what reads a sample. The monitor checks read ``Dataset.spark``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import MlreadyError, UsageError
from ..records import Dataset, SparkData

PARQUET = (".parquet", ".pq")
#: DATA naming a Spark catalog table: ``spark:db.table``
SPARK_PREFIX = "spark:"
#: the formats Spark reads a batch folder as (self-describing: the types are the files')
SPARK_FORMATS = {".orc": "orc"}
CSV = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".tsv")


class BatchReadError(MlreadyError):
    """The batch could not be read (missing, unreadable or not a table): the tool could not do
    its job, so ``mlready monitor`` exits 2 and says why."""


@dataclass(frozen=True)
class LiveBatch:
    """The batch as read, and where it came from.

    Attributes:
        frame: every column of the batch (a Spark batch: its seeded sample).
        source: the path, the table or the notebook variable.
        format: "parquet", "csv", "dataframe", "orc" or "table".
        spark: a Spark batch as recorded (``spark.inputs.SparkCandidate``: the frame, its
            reference with the exact row count, the null counts); None for pandas.
        seed: the seed of a Spark batch's sample.
    """

    frame: pd.DataFrame
    source: str
    format: str
    spark: Any = None
    seed: int = 0

    @property
    def rows(self) -> int:
        if self.spark is not None:
            return int(self.spark.reference.rows)
        return int(len(self.frame))

    @property
    def engine(self) -> str:
        return "spark" if self.spark is not None else "pandas"


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if path.is_dir() or name.endswith(PARQUET):
        return "parquet"
    if name.endswith(CSV):
        return "csv"
    return None


def _read_csv(path: Path, kinds: dict[str, str]) -> pd.DataFrame:
    """A CSV as the contract's types would have it: CSV has no types, so a text column of
    digits (a zip code) stays text and a date column is parsed as dates (a column the parser
    cannot read that way stays as it is, and the contract names it)."""
    sep = "\t" if path.name.lower().endswith(".tsv") else ","
    header = [str(c) for c in pd.read_csv(path, sep=sep, nrows=0).columns]
    text = {c: "str" for c in header if kinds.get(c) in ("string", "category")}
    frame = pd.read_csv(path, sep=sep, low_memory=False, dtype=text or None)
    for c in header:
        if kinds.get(c) == "datetime" and not pd.api.types.is_datetime64_any_dtype(frame[c]):
            parsed = pd.to_datetime(frame[c], errors="coerce", format="ISO8601")
            if parsed.notna().sum() == frame[c].notna().sum():  # every date read
                frame[c] = parsed
    return frame


@dataclass(frozen=True)
class SparkOptions:
    """How a Spark batch is read: ``engine`` ("spark" reads a path with Spark; a Spark frame or
    ``spark:TABLE`` is read with Spark whatever it says), where a frame built in the notebook is
    staged, and the seeded sample the sampled parts read."""

    engine: str | None = None
    staging: str = "spark-staging"
    sample_rows: int = 50_000
    seed: int = 0


def wants_spark(data: Any, engine: str | None) -> bool:
    """Whether ``data`` is read with Spark: a Spark DataFrame, ``spark:TABLE``, or a path with
    ``engine="spark"``."""
    from ..spark.session import is_spark_frame

    if is_spark_frame(data):
        return True
    if isinstance(data, str) and data.startswith(SPARK_PREFIX):
        return True
    return engine == "spark" and isinstance(data, (str, Path))


def _spark_source(data: Any) -> tuple[Any, str, str]:
    """(frame, source, format) of a Spark batch, read lazily in the active (or a new default)
    session."""
    from ..spark.session import is_spark_frame

    if is_spark_frame(data):
        return data, "a Spark DataFrame", "dataframe"
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    text = str(data)
    if text.startswith(SPARK_PREFIX):
        table = text[len(SPARK_PREFIX) :]
        return spark.table(table), table, "table"
    fmt = next((f for ext, f in SPARK_FORMATS.items() if text.lower().endswith(ext)), "parquet")
    if "://" not in text:
        path = Path(text).expanduser()
        if not path.exists():
            raise BatchReadError(f"The batch {path} does not exist.")
        if _kind(path) == "csv":
            raise UsageError(
                f"{path} is a CSV file: with --engine spark, pass a parquet or ORC file or "
                "folder, or a table (spark:db.table); or drop --engine spark."
            )
        text = str(path.resolve())
    return spark.read.format(fmt).load(text), text, fmt


def read_spark_batch(data: Any, options: SparkOptions, name: str | None = None) -> LiveBatch:
    """A Spark batch, recorded by reference (exact rows, null counts, fingerprint: one job) with
    its seeded pandas sample.

    Raises:
        BatchReadError: the table or files cannot be read, or the session cannot run a job.
        UsageError: pyspark is not installed, or the path is a CSV file.
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise UsageError(
            "Reading the batch with Spark needs pyspark: pip install 'jupyter_mlready[spark]'."
        ) from None
    from ..errors import SparkError
    from ..spark.inputs import SparkCandidate
    from ..spark.reference import reference_of
    from ..spark.sample import seeded_sample
    from ..spark.session import first_line

    try:
        frame, source, fmt = _spark_source(data)
        ref, recorded, nulls = reference_of(frame, "batch", options.staging)
        sample = seeded_sample(recorded, ref.rows, options.sample_rows, options.seed)
    except (BatchReadError, UsageError):
        raise
    except SparkError as exc:
        raise BatchReadError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - a missing table, unreadable files, a dead session
        raise BatchReadError(
            f"The batch {data if isinstance(data, str) else 'frame'} could not be read with "
            f"Spark: {first_line(exc)}"
        ) from exc
    candidate = SparkCandidate(recorded, ref, nulls, len(sample))
    return LiveBatch(sample, name or source, fmt, candidate, options.seed)


def read_batch(
    data: Any,
    name: str | None = None,
    kinds: dict | None = None,
    spark: SparkOptions | None = None,
) -> LiveBatch:
    """A batch from ``data``: a DataFrame (pandas, polars), or the path of a parquet file, a
    folder of parquet files (a partitioned dataset), or a CSV / TSV file (compressed or not),
    read with the contract's column ``kinds`` (name -> "datetime", "string", ...). A Spark
    DataFrame, ``spark:db.table``, or a path with ``spark.engine == "spark"`` is read with
    Spark (:func:`read_spark_batch`).

    Raises:
        BatchReadError: the file is missing, unreadable or holds no table.
        UsageError: ``data`` is neither a frame nor a path of a supported kind.
    """
    from ..flavors.polars import is_polars, to_pandas

    options = spark or SparkOptions()
    if wants_spark(data, options.engine):
        return read_spark_batch(data, options, name)
    if is_polars(data):
        data = to_pandas(data)
    if isinstance(data, pd.DataFrame):
        return LiveBatch(data, name or "a DataFrame", "dataframe")
    if not isinstance(data, (str, Path)):
        raise UsageError(
            f"The batch must be a DataFrame or the path of a parquet file or folder or a CSV "
            f"file, not {type(data).__name__}."
        )
    path = Path(data).expanduser()
    if not path.exists():
        raise BatchReadError(f"The batch {path} does not exist.")
    kind = _kind(path)
    if kind is None:
        raise UsageError(
            f"Cannot tell the format of {path}: pass a .parquet file, a folder of parquet files, "
            "or a .csv / .tsv file."
        )
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = _read_csv(path, kinds or {})
    except Exception as exc:  # noqa: BLE001 - any reader failure: say what and why
        raise BatchReadError(
            f"The batch {path} could not be read as {kind}: {type(exc).__name__}: {str(exc)[:300]}"
        ) from exc
    return LiveBatch(frame, str(path), kind)


def split_batch(
    batch: LiveBatch, features: list[str], target: str | None, default_target: str | None
) -> tuple[Dataset, dict]:
    """The batch's features (the model's columns that are present, in the model's order) and
    its target, with what was decided: the target column used (``--target``, else a column
    named like the training target), and the columns ignored.

    Raises:
        UsageError: ``--target`` names a column the batch does not have.
    """
    frame = batch.frame
    columns = [str(c) for c in frame.columns]
    if target is not None and target not in columns:
        raise UsageError(
            f"--target {target!r} is not a column of the batch. Its columns: "
            f"{', '.join(columns[:30])}{' ...' if len(columns) > 30 else ''}."
        )
    how = "--target"
    if target is None and default_target and default_target in columns:
        target, how = default_target, "named like the training target"
    present = [c for c in features if c in frame.columns]
    ignored = [c for c in columns if c not in features and c != target]
    y = frame[target] if target is not None else None
    facts = {
        "target": target,
        "target_how": how if target is not None else None,
        "ignored_columns": ignored[:100],
        "ignored_count": len(ignored),
    }
    spark_data = None
    if batch.spark is not None:
        c = batch.spark
        spark_data = SparkData(
            frame=c.frame,
            reference=c.reference,
            features=tuple(present),
            target=target,
            null_counts=c.null_counts,
            sample_rows=c.sample_rows,
            seed=batch.seed,
        )
    return Dataset(frame[present], y, batch.source, target, spark=spark_data), facts
