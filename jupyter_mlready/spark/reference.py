"""Each Spark input recorded by reference, so that a fresh kernel reads the very same data.

A notebook's Spark DataFrame is a lazy plan bound to the notebook's session: the validation
kernel cannot see it, and a bundle cannot hold 100M rows. So every input is recorded as

- ``table``: a catalog table read as it is (``spark.table("db.claims")``), with its version when
  the table format keeps one (Delta);
- ``files``: parquet / ORC files read as they are (``spark.read.parquet(path)``);
- ``staged``: anything else (joined, filtered, built in the notebook) is written once as parquet
  under the staging folder (policy ``spark_staging_dir``) and read back from there, so the checks
  and every later kernel read the same rows — a plan with ``rand()`` or an unseeded sample would
  give other rows on every evaluation.

and a **fingerprint**: the row count and the sum of Spark's ``xxhash64`` of every row, an
order-independent digest computed by one distributed job. The validation kernel computes it again
on what it reads; a different fingerprint is an error, never a silent pass on other data.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import SparkError
from .session import first_line

#: file formats that carry their own schema: read back exactly as they were read
SELF_DESCRIBING = ("parquet", "orc")
STAGED_MARK = "_MLREADY_FINGERPRINT"


@dataclass(frozen=True)
class SparkReference:
    """How another kernel reads one input, and how it proves it read the same rows."""

    kind: str  # "table" | "files" | "staged"
    location: str  # table name, or the folder / file path
    format: str | None  # "parquet", "orc" (files and staged); None for a table
    rows: int
    fingerprint: str  # "<rows>:<sum of xxhash64>"
    columns: tuple[str, ...]
    version: str | None = None  # a table format's version / snapshot (Delta), when it has one
    files: int | None = None  # how many files the read covered

    def to_dict(self) -> dict:
        d = asdict(self)
        d["columns"] = list(self.columns)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> SparkReference:
        d = dict(d)
        d["columns"] = tuple(d.get("columns") or ())
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def describe(self) -> str:
        where = {
            "table": f"table {self.location}",
            "files": f"{self.format} files at {self.location}",
            "staged": f"staged as parquet at {self.location}",
        }[self.kind]
        version = f" (version {self.version})" if self.version else ""
        return f"{where}{version}: {self.rows:,} rows, fingerprint {self.fingerprint[:24]}"


def frame_facts(frame: Any) -> tuple[int, str, dict[str, int]]:
    """(rows, fingerprint, nulls per column) in one Spark job. The fingerprint is
    ``"<rows>:<sum of xxhash64 of every row>"``; NaN counts as missing, as in pandas."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    floats = {
        f.name for f in frame.schema.fields if isinstance(f.dataType, (DoubleType, FloatType))
    }
    exprs = [
        F.count(F.lit(1)).alias("n"),
        F.sum(F.xxhash64(*[F.col(f"`{c}`") for c in frame.columns]).cast("decimal(38,0)")).alias(
            "h"
        ),
    ]
    for i, c in enumerate(frame.columns):
        missing = F.col(f"`{c}`").isNull()
        if c in floats:
            missing = missing | F.isnan(F.col(f"`{c}`"))
        exprs.append(F.sum(missing.cast("long")).alias(f"_null_{i}"))
    row = frame.agg(*exprs).collect()[0]
    rows = int(row["n"])
    nulls = {c: int(row[f"_null_{i}"] or 0) for i, c in enumerate(frame.columns)}
    return rows, f"{rows}:{row['h'] if row['h'] is not None else 0}", nulls


def fingerprint(frame: Any) -> tuple[int, str]:
    """(rows, fingerprint) of a frame, in one Spark job (see :func:`frame_facts`)."""
    rows, digest, _ = frame_facts(frame)
    return rows, digest


def _plan(frame: Any) -> Any:
    return frame._jdf.queryExecution().analyzed()


def _source(frame: Any) -> tuple[str, str, str | None, int | None] | None:
    """("table", name, None, files) or ("files", path, format, files) when the frame reads a
    table or self-describing files as they are; None for anything built on top of them."""
    try:
        plan = _plan(frame)
        kind = plan.getClass().getSimpleName()
        if kind == "SubqueryAlias":
            child = plan.child().getClass().getSimpleName()
            if child not in ("LogicalRelation", "HiveTableRelation", "DataSourceV2Relation"):
                return None
            if not _session_catalog(frame):
                return "table", str(plan.identifier().toString()), None, _files(frame)
            # an in-memory catalog's table is unknown to any other session: its files are not
            return _files_source(plan.child(), frame) if child == "LogicalRelation" else None
        if kind == "LogicalRelation":
            return _files_source(plan, frame)
    except Exception:  # noqa: BLE001 - Spark Connect, another Spark version: stage it
        return None
    return None


def _files_source(plan: Any, frame: Any) -> tuple[str, str, str | None, int | None] | None:
    """("files", root, format, files) for a relation over one folder of self-describing files."""
    relation = plan.relation()
    fmt = str(relation.fileFormat().toString()).lower()
    paths = relation.location().rootPaths()
    roots = [str(paths.apply(i).toString()) for i in range(paths.size())]
    if fmt in SELF_DESCRIBING and len(roots) == 1:
        return "files", roots[0], fmt, _files(frame)
    return None


def _session_catalog(frame: Any) -> bool:
    """Whether the session's catalog lives in memory (pyspark without Hive support): its tables
    die with the session, so a fresh kernel cannot read them by name."""
    try:
        impl = frame.sparkSession.conf.get("spark.sql.catalogImplementation", "in-memory")
    except Exception:  # noqa: BLE001 - Spark Connect: the server's catalog outlives us
        return False
    return str(impl).lower() == "in-memory"


def _files(frame: Any) -> int | None:
    try:
        return len(frame.inputFiles())
    except Exception:  # noqa: BLE001
        return None


def _table_version(spark: Any, table: str) -> str | None:
    """A Delta table's current version; None for formats without one."""
    try:
        detail = spark.sql(f"DESCRIBE DETAIL {table}").select("format").collect()
        if not detail or str(detail[0]["format"]).lower() != "delta":
            return None
        history = spark.sql(f"DESCRIBE HISTORY {table} LIMIT 1").select("version").collect()
        return str(history[0]["version"]) if history else None
    except Exception:  # noqa: BLE001 - not a Delta table, or no DESCRIBE DETAIL
        return None


def staging_folder(out: Path, configured: str | None) -> str:
    """Where frames built in the notebook are staged: the policy's ``spark_staging_dir``, or
    ``<out>/spark-staging``. On a cluster, a location every node reads (a shared path, s3://)."""
    if configured:
        return str(configured).rstrip("/")
    return str((Path(out) / "spark-staging").resolve())


def _staged_path(folder: str, role: str, digest: str) -> str:
    short = hashlib.sha256(digest.encode()).hexdigest()[:16]
    return f"{folder}/{role}-{short}"


def _hadoop_path(spark: Any, path: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), p


def _already_staged(spark: Any, path: str, digest: str) -> bool:
    """Was this very data staged before (same fingerprint)? Then it is not written again."""
    try:
        fs, mark = _hadoop_path(spark, f"{path}/{STAGED_MARK}")
        if not fs.exists(mark):
            return False
        stream = fs.open(mark)
        try:
            data = bytearray()
            while (b := stream.read()) != -1:
                data.append(b)
        finally:
            stream.close()
        return data.decode().strip() == digest
    except Exception:  # noqa: BLE001 - an unreadable mark: stage again
        return False


def _mark_staged(spark: Any, path: str, digest: str) -> None:
    fs, mark = _hadoop_path(spark, f"{path}/{STAGED_MARK}")
    stream = fs.create(mark, True)
    try:
        stream.write(bytearray(digest.encode()))
    finally:
        stream.close()


def reference_of(frame: Any, role: str, staging: str) -> tuple[SparkReference, Any, dict[str, int]]:
    """The reference of one input, the frame the checks read from now on (the staged copy when
    the input was staged) and its exact null counts per column. Costs one job (the
    fingerprint), plus one write the first time a built frame is staged."""
    spark = frame.sparkSession
    doing = f"recording the {role} by reference"
    try:
        source = _source(frame)
        rows, digest, nulls = frame_facts(frame)
        columns = tuple(str(c) for c in frame.columns)
        if source is not None:
            kind, location, fmt, files = source
            version = _table_version(spark, location) if kind == "table" else None
            ref = SparkReference(kind, location, fmt, rows, digest, columns, version, files)
            return ref, frame, nulls
        path = _staged_path(staging, role, digest)
        if not _already_staged(spark, path, digest):
            frame.write.mode("overwrite").parquet(path)
            _mark_staged(spark, path, digest)
        staged = spark.read.parquet(path)
        ref = SparkReference("staged", path, "parquet", rows, digest, columns, None, _files(staged))
        return ref, staged, nulls
    except SparkError:
        raise
    except Exception as exc:  # noqa: BLE001 - a dead session, a failing plan, no write access
        raise SparkError(
            f"Could not record the {role} by reference ({first_line(exc)}).",
            doing=doing,
            cause=first_line(exc),
            remedy="Check that the Spark session is alive and that the staging folder "
            f"({staging}) is writable by every node (policy spark_staging_dir).",
        ) from exc


def read_reference(spark: Any, ref: SparkReference, role: str) -> Any:
    """The frame ``ref`` names, read in ``spark``; raises SparkError when it cannot be read or
    its fingerprint differs from the recorded one (other data than the notebook checked)."""
    doing = f"reading the {role} ({ref.describe()})"
    try:
        if ref.kind == "table":
            frame = spark.table(ref.location)
        else:
            frame = spark.read.format(ref.format or "parquet").load(ref.location)
        rows, digest = fingerprint(frame)
    except Exception as exc:  # noqa: BLE001 - gone, unreadable, a dead session
        raise SparkError(
            f"Could not read the {role} from {ref.describe()} ({first_line(exc)}).",
            doing=doing,
            cause=first_line(exc),
            remedy="The validation reads the data where the notebook's check recorded it: "
            "keep the table / files (and the staging folder) readable, or check the notebook "
            "again.",
        ) from exc
    if digest != ref.fingerprint:
        raise SparkError(
            f"The {role} read from {ref.describe()} is not the data the notebook checked: "
            f"{rows:,} rows with fingerprint {digest[:24]}, recorded {ref.rows:,} rows with "
            f"{ref.fingerprint[:24]}.",
            doing=doing,
            cause="fingerprint mismatch",
            remedy="The table or files changed since the check: check the notebook again "
            "(a new version), or restore the data the version was checked on.",
        )
    return frame
