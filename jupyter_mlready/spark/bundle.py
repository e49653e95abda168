"""What the bundle keeps of Spark inputs (``data/spark.json``), and how the validation kernel
reads them again.

The bundle holds the seeded samples (``holdout.parquet``, ``train_sample.parquet``) like any
bundle, for the sampled checks. For the exact checks it keeps no rows: ``spark.json`` records the
notebook session's settings (master and configuration) and, per input, its reference and
fingerprint (:mod:`.reference`). The validation kernel starts a session from those settings,
reads each reference and proves by the fingerprint that it read the data the notebook checked.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..records import Dataset, SparkData, Subject
from .reference import SparkReference, read_reference
from .session import session_settings, start_session

FILE = "spark.json"


def spark_record(subject: Subject) -> dict | None:
    """``spark.json``'s content for a subject with Spark inputs; None without any."""
    inputs = {}
    settings = None
    for role, ds in (("train", subject.train), ("holdout", subject.holdout)):
        sd = ds.spark
        if sd is None:
            continue
        settings = settings or session_settings(sd.frame.sparkSession)
        inputs[role] = {
            "reference": sd.reference.to_dict(),
            "features": list(sd.features),
            "target": sd.target,
            "null_counts": sd.null_counts,
            "sample_rows": sd.sample_rows,
            "seed": sd.seed,
        }
    if not inputs:
        return None
    return {"session": settings, "inputs": inputs}


def write_record(subject: Subject, data_dir: Path) -> Path | None:
    record = spark_record(subject)
    if record is None:
        return None
    path = data_dir / FILE
    path.write_text(json.dumps(record, indent=2, default=str))
    return path


def read_record(data_dir: Path) -> dict | None:
    path = data_dir / FILE
    return json.loads(path.read_text()) if path.exists() else None


def attach_record(record: dict, holdout: Dataset, train: Dataset) -> tuple[Dataset, Dataset]:
    """The bundle's datasets with their Spark inputs read again in a session started from the
    notebook's settings (raises SparkError when a reference cannot be read or is not the data
    recorded)."""
    spark = start_session(record.get("session") or {})
    out = {"holdout": holdout, "train": train}
    for role, entry in (record.get("inputs") or {}).items():
        ref = SparkReference.from_dict(entry["reference"])
        frame = read_reference(spark, ref, "hold-out" if role == "holdout" else "training data")
        data = SparkData(
            frame=frame,
            reference=ref,
            features=tuple(entry.get("features") or ()),
            target=entry.get("target"),
            null_counts=dict(entry.get("null_counts") or {}),
            sample_rows=int(entry.get("sample_rows") or 0),
            seed=int(entry.get("seed") or 0),
        )
        out[role] = replace(out[role], spark=data)
    return out["holdout"], out["train"]
