"""A live batch: read from a parquet file or folder, a CSV file, or a DataFrame in a notebook
(pandas or polars), and split into the model's features and the target."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import MlreadyError, UsageError
from ..records import Dataset

PARQUET = (".parquet", ".pq")
CSV = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".tsv")


class BatchReadError(MlreadyError):
    """The batch could not be read (missing, unreadable or not a table): the tool could not do
    its job, so ``mlready monitor`` exits 2 and says why."""


@dataclass(frozen=True)
class LiveBatch:
    """The batch as read, and where it came from.

    Attributes:
        frame: every column of the batch.
        source: the path, or the notebook variable.
        format: "parquet", "csv" or "dataframe".
    """

    frame: pd.DataFrame
    source: str
    format: str

    @property
    def rows(self) -> int:
        return int(len(self.frame))


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


def read_batch(data: Any, name: str | None = None, kinds: dict | None = None) -> LiveBatch:
    """A batch from ``data``: a DataFrame (pandas, polars), or the path of a parquet file, a
    folder of parquet files (a partitioned dataset), or a CSV / TSV file (compressed or not),
    read with the contract's column ``kinds`` (name -> "datetime", "string", ...).

    Raises:
        BatchReadError: the file is missing, unreadable or holds no table.
        UsageError: ``data`` is neither a frame nor a path of a supported kind.
    """
    from ..flavors.polars import is_polars, to_pandas

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
    return Dataset(frame[present], y, batch.source, target), facts
