"""Spark frames at the edge of discovery.

Discovery reads names, columns and a few rows: it runs unchanged on a seeded pandas sample of
each Spark frame named like a split (``train_sdf``, ``test_df``) or named by ``--train`` /
``--holdout``. Each of those frames is first recorded by reference (and staged when built in the
notebook, :mod:`.reference`), and the sample is drawn from what was recorded, so the sample, the
exact checks and a later kernel all read the same rows. After discovery, the datasets that came
from a Spark frame carry it (:class:`jupyter_mlready.records.SparkData`).

A Spark frame has no row order shared with another frame: the target must be a column of the
same frame (``--train train_sdf --target label``), never a separate Spark frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import DiscoveryError
from ..records import Dataset, SparkData, Subject
from ..stages.discover import name_split
from .reference import SparkReference, reference_of, staging_folder
from .sample import seeded_sample
from .session import is_spark_frame, require_alive

EDGE_NOTE = (
    "Spark frames: recorded by reference (table, files, or staged parquet) with a fingerprint; "
    "contract, counts, overlap, predictions and metrics are computed exactly on Spark, drift "
    "from mergeable sketches, the other checks on a seeded sample"
)


@dataclass(frozen=True)
class SparkCandidate:
    frame: Any  # the frame as recorded (the staged copy for a built frame)
    reference: SparkReference
    null_counts: dict
    sample_rows: int


def require_all_rows(processed: int, recorded: int, what: str) -> None:
    """Fail closed: an answer computed over fewer (or more) rows than the input has is no
    answer. Raises (the check is then an ``error``) naming both counts."""
    if processed != recorded:
        raise RuntimeError(f"{what} processed {processed:,} rows, the input has {recorded:,}")


def spark_names(namespace: dict) -> list[str]:
    return [n for n, v in namespace.items() if not n.startswith("_") and is_spark_frame(v)]


def with_spark_hint(exc: DiscoveryError, namespace: dict, found: dict) -> DiscoveryError:
    """A data discovery error that also names the Spark frames left out (not named like a split)
    and the flags that pick them: without it, the message lists only the pandas frames (often the
    model's fitting sample) and never the data."""
    if exc.role not in ("training data", "hold-out data"):
        return exc
    left = [n for n in spark_names(namespace) if n not in found]
    if not left:
        return exc
    return DiscoveryError(
        exc.role,
        f"{exc.reason}; Spark frames not named like a split were not considered: "
        + ", ".join(left[:10]),
        exc.candidates,
        "--train TRAIN_SDF --holdout HOLDOUT_SDF --target COL",
    )


def sampled_namespace(
    namespace: dict,
    named: set[str],
    *,
    out: Path,
    staging_dir: str | None,
    sample_rows: int,
    seed: int,
    progress=None,
) -> tuple[dict, dict[str, SparkCandidate]]:
    """``namespace`` with each candidate Spark frame (named like a split, or in ``named``)
    replaced by its seeded pandas sample, and the candidates; other Spark frames are left out
    (they cannot be the model's data without a name saying so)."""
    names = spark_names(namespace)
    if not names:
        return namespace, {}
    staging = staging_folder(out, staging_dir)
    ns = {k: v for k, v in namespace.items() if k not in names}
    found: dict[str, SparkCandidate] = {}
    checked_sessions: set[int] = set()
    for name in names:
        if name not in named and name_split(name) is None:
            continue
        frame = namespace[name]
        session = frame.sparkSession
        if id(session) not in checked_sessions:
            require_alive(session, f"The Spark session of '{name}'")
            checked_sessions.add(id(session))
        if progress is not None:
            progress(f"recording Spark frame '{name}' by reference")
        ref, recorded, nulls = reference_of(frame, _role(name), staging)
        sample = seeded_sample(recorded, ref.rows, sample_rows, seed)
        ns[name] = sample
        found[name] = SparkCandidate(recorded, ref, nulls, len(sample))
    for name in _shadowed(ns, found, named):
        ns.pop(name)
    return ns, found


def _shadowed(ns: dict, found: dict[str, SparkCandidate], named: set[str]) -> list[str]:
    """pandas frames of a split that also has a Spark frame, holding none but its columns: the
    sample the model was fitted on (``train_pd = train_sdf.sample(...).toPandas()``), not the
    data. The Spark frame is the whole split; they are left out of discovery unless named."""
    import pandas as pd

    splits: dict[str, set[str]] = {}
    for name, c in found.items():
        split = name_split(name)
        if split is not None:
            splits.setdefault(split, set()).update(c.reference.columns)
    out = []
    for name, value in ns.items():
        split = name_split(name)
        if name in named or name in found or split not in splits:
            continue
        if isinstance(value, pd.DataFrame) and {str(c) for c in value.columns} <= splits[split]:
            out.append(name)
    return out


def _role(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60]


def _target_of(ds: Dataset) -> str | None:
    """The target column of a dataset built from one frame (``y_var == "frame['col']"``)."""
    if ds.y_var is None:
        return None
    prefix = f"{ds.x_var}["
    if ds.y_var.startswith(prefix) and ds.y_var.endswith("]"):
        inner = ds.y_var[len(prefix) : -1]
        return inner[1:-1] if inner[:1] in "'\"" else inner
    return ""  # another variable


def attach_spark(subject: Subject, found: dict[str, SparkCandidate], seed: int) -> Subject:
    """``subject`` with SparkData on each dataset that came from a Spark frame."""
    if not found:
        return subject
    roles = {}
    for role, ds in (("train", subject.train), ("holdout", subject.holdout)):
        flag = "--train" if role == "train" else "--holdout"
        x_spark = ds.x_var in found
        y_spark = ds.y_var in found and ds.y_var != ds.x_var
        target = _target_of(ds)
        if y_spark or (x_spark and target == ""):
            raise DiscoveryError(
                "training data" if role == "train" else "hold-out data",
                f"features '{ds.x_var}' and target '{ds.y_var}' are separate frames, and "
                "Spark frames share no row order",
                [ds.x_var, str(ds.y_var)],
                f"{flag} FRAME --target COL (one Spark frame holding the target column)",
            )
        if not x_spark:
            continue
        c = found[ds.x_var]
        data = SparkData(
            frame=c.frame,
            reference=c.reference,
            features=tuple(subject.feature_names),
            target=target,
            null_counts=c.null_counts,
            sample_rows=c.sample_rows,
            seed=seed,
        )
        roles[role] = replace(ds, spark=data)
    if not roles:
        return subject
    spark_used = sorted(ds.x_var for ds in roles.values())
    discovery = {
        **subject.discovery,
        "frames": {"library": "spark", "variables": spark_used, "how": EDGE_NOTE},
    }
    return replace(
        subject,
        discovery=discovery,
        train=roles.get("train", subject.train),
        holdout=roles.get("holdout", subject.holdout),
    )


def data_facts(ds: Dataset) -> dict:
    """readiness.json's ``data.<role>`` for a Spark input: the exact rows and columns, a sha256
    of the Spark fingerprint, how it is referenced and what the sampled checks read."""
    import hashlib

    sd = ds.spark
    assert sd is not None
    return {
        "rows": sd.rows,
        "columns": len(sd.features),
        "sha256": hashlib.sha256(sd.reference.fingerprint.encode()).hexdigest(),
        "engine": "spark",
        "reference": sd.reference.to_dict(),
        "sample": {"rows": sd.sample_rows, "seed": sd.seed},
    }
