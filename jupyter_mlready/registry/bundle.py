"""The evidence bundle: everything a fresh kernel needs to re-check a model without the notebook.

Layout of ``<out>/bundle/`` (logged with the MLflow run as artifact folder ``bundle/``)::

    subject.json                 task, target, classes, features, input kind, discovery,
                                 fingerprints
    policy.json                  the policy in force
    contract.json                the contract (authoritative; contract.yaml / contract.py sit in
                                 <out>)
    data/holdout.parquet         hold-out features
    data/holdout_target.parquet  its target
    data/train_sample.parquet    up to TRAIN_SAMPLE_ROWS training rows
                                 (+ train_sample_target.parquet)
    data/train_row_hashes.npy    one uint64 per training row (overlap without the data)
    data/reference_profile.json  per-feature bins / shares / samples (drift without the data)
    data/reference_predictions.npz  the notebook model's predictions (+ probabilities) on the
                                    hold-out
    data/train_full.parquet      only when policy.store_training_data is true

Frames are parquet; a column parquet cannot store (a mixed-type object column) goes beside it in
``<name>.mixed.json``. Reading a bundle executes no code: parquet, JSON and numpy arrays without
pickles. A ``.pkl`` frame (bundles written before) is read only from a registry the local policy
trusts (``load_bundle(..., allow_pickle=True)``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NotRequired, TypedDict

import numpy as np
import pandas as pd

from ..contract import contract_from_dict
from ..errors import MlreadyError
from ..hashing import row_hashes
from ..model import ModelAdapter
from ..policy import Policy, policy_from_dict
from ..profile import build_profile
from ..provenance import frame_sha256
from ..records import Contract, Dataset, Subject
from .trust import UntrustedArtifactError, remedy_for

TRAIN_SAMPLE_ROWS = 20_000
#: Bumped whenever a stored file's meaning changes (e.g. units in the reference profile), so an old
#: bundle is refused with a clear message instead of giving silently wrong drift or overlap results.
BUNDLE_FORMAT = 1


class BundleFormatError(MlreadyError):
    """The bundle cannot be read: written by an incompatible version of jupyter_mlready, or a
    file of it is missing, corrupt or truncated."""


def _read(root: Path, rel: str, read):
    """``read(root / rel)``; a missing, corrupt or truncated file is a BundleFormatError naming
    it (not a parquet or JSON error from deep inside the reader)."""
    try:
        return read(root / rel)
    except (UntrustedArtifactError, BundleFormatError):
        raise
    except Exception as exc:
        raise BundleFormatError(
            f"The bundle {root} is unreadable: {rel} is missing, corrupt or truncated "
            f"({type(exc).__name__}: {str(exc)[:300]}). Re-run `mlready check` on the notebook "
            "to log the model and its bundle again."
        ) from exc


TARGET_COLUMN = "__target__"


def _dtypes_path(path: Path) -> Path:
    return path.with_name(path.stem + ".dtypes.json")


def _mixed_path(path: Path) -> Path:
    return path.with_name(path.stem + ".mixed.json")


def _parquet_ok(column: pd.Series) -> bool:
    import pyarrow as pa

    try:
        pa.Table.from_pandas(column.to_frame(), preserve_index=False)
        return True
    except Exception:  # noqa: BLE001 - pyarrow's conversion errors have several types
        return False


def _plain(value):
    """A cell of a mixed-type column as JSON: numbers, text, booleans and None as they are,
    dates tagged, anything else as its text."""
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        return {"$datetime": pd.Timestamp(value).isoformat()}
    return str(value)


def _unplain(value):
    if isinstance(value, dict) and "$datetime" in value:
        return pd.Timestamp(value["$datetime"])
    return value


def _write_frame(frame: pd.DataFrame, path: Path) -> list[Path]:
    frame = frame.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    # parquet has no second-resolution timestamps (pandas 3's default for dates): it stores ms,
    # so the exact dtypes are kept beside the file and restored on reading
    _dtypes_path(path).write_text(json.dumps({c: str(t) for c, t in frame.dtypes.items()}))
    try:
        frame.to_parquet(path, index=False)
        return [path]
    except Exception:  # pyarrow refuses mixed-type object columns: those go to JSON, never pickle
        mixed = [c for c in frame.columns if not _parquet_ok(frame[c])]
        frame.drop(columns=mixed).to_parquet(path, index=False)
        side = _mixed_path(path)
        side.write_text(
            json.dumps(
                {
                    "rows": len(frame),
                    "order": list(frame.columns),
                    "columns": {c: [_plain(v) for v in frame[c].tolist()] for c in mixed},
                },
                default=str,
            )
        )
        return [path, side]


def _restore_datetime_units(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    try:
        written = json.loads(_dtypes_path(path).read_text())
    except (OSError, ValueError):
        return frame
    for col, dtype in written.items():
        if (
            col in frame.columns
            and dtype.startswith("datetime64")
            and str(frame[col].dtype) != dtype
        ):
            try:
                frame[col] = frame[col].astype(dtype)
            except (TypeError, ValueError):
                pass
    return frame


def _read_frame(path: Path, allow_pickle: bool = False, source: str | None = None):
    if path.exists():
        frame = pd.read_parquet(path)
        side = _mixed_path(path)
        if side.exists():
            doc = json.loads(side.read_text())
            if not len(frame.columns):  # parquet without columns keeps no row count
                frame = pd.DataFrame(index=pd.RangeIndex(int(doc["rows"])))
            for col, values in doc["columns"].items():
                frame[col] = pd.Series([_unplain(v) for v in values], dtype=object)
            frame = frame[doc["order"]]
        return _restore_datetime_units(frame, path)
    pkl = path.with_suffix(".pkl")
    if pkl.exists():
        if not allow_pickle:
            raise UntrustedArtifactError(
                f"the bundle {path.parent.parent} stores {pkl.name} as a pickle (written by an "
                f"older jupyter_mlready): reading it runs code from {source or 'its registry'}",
                remedy=remedy_for(source)
                + " Or re-run `mlready check` on the notebook to log the bundle again.",
                uri=str(pkl),
                source=source,
                serialization="pickle",
            )
        return pd.read_pickle(pkl)
    return None


def _write_target(y, path: Path) -> list[Path]:
    if y is None:
        return []
    return _write_frame(pd.DataFrame({TARGET_COLUMN: np.asarray(y)}), path)


def _read_target(path: Path, allow_pickle: bool = False, source: str | None = None):
    frame = _read_frame(path, allow_pickle, source)
    return None if frame is None else frame[TARGET_COLUMN]


class _ReferencePredictions(TypedDict):
    """The arrays of ``data/reference_predictions.npz``."""

    predict: np.ndarray
    predict_proba: NotRequired[np.ndarray]


@dataclass(frozen=True)
class Bundle:
    """A written bundle folder and what it holds."""

    path: Path
    files: tuple[str, ...]
    stored: dict  # human-readable: what data is stored and what is not


def notebook_facts(subject: Subject) -> dict:
    """What only the notebook's objects show and the gate needs (the bundle's frames lose it)."""
    from ..hashing import index_overlap_rate

    return {"index_overlap_rate": index_overlap_rate(subject.train.X, subject.holdout.X)}


def write_bundle(
    subject: Subject,
    contract: Contract,
    policy: Policy,
    out: Path,
    reference_profile: dict | None = None,
    cache: dict | None = None,
) -> Bundle:
    """Write ``<out>/bundle/`` for ``subject``; returns what was written.

    ``cache`` is the checks' ``CheckContext.cache`` of the same run: what the checks already
    computed on the same frames and model (hold-out predictions, training row hashes, the
    reference profile, the data fingerprints) is reused instead of computed again (two full
    predictions at 1M rows).
    """
    cache = cache or {}
    reference_profile = reference_profile or cache.get("reference_profile")
    root = Path(out) / "bundle"
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    hold, train = subject.holdout, subject.train
    files += _write_frame(hold.X, data / "holdout.parquet")
    files += _write_target(hold.y, data / "holdout_target.parquet")
    sample = train.X
    ys = train.y
    if train.rows > TRAIN_SAMPLE_ROWS:
        idx = np.sort(
            np.random.default_rng(policy.seed).choice(train.rows, TRAIN_SAMPLE_ROWS, replace=False)
        )
        sample, ys = train.X.iloc[idx], (train.y.iloc[idx] if train.y is not None else None)
    files += _write_frame(sample, data / "train_sample.parquet")
    files += _write_target(ys, data / "train_sample_target.parquet")
    hashes = cache.get("train_row_hashes")
    np.save(data / "train_row_hashes.npy", hashes if hashes is not None else row_hashes(train.X))
    files.append(data / "train_row_hashes.npy")
    profile = reference_profile or build_profile(train.X, policy.seed, policy.drift_sample_rows)
    (data / "reference_profile.json").write_text(json.dumps(profile))
    files.append(data / "reference_profile.json")
    pred = cache["holdout_predict"] if "holdout_predict" in cache else subject.model.predict(hold.X)
    proba = None
    if subject.task == "classification":
        proba = (
            cache["holdout_proba"]
            if "holdout_proba" in cache
            else subject.model.predict_proba(hold.X)
        )
    arrays: _ReferencePredictions = {"predict": np.asarray(pred)}
    if proba is not None:
        arrays["predict_proba"] = np.asarray(proba, dtype=float)
    if arrays["predict"].dtype == object:
        arrays["predict"] = arrays["predict"].astype(str)
    np.savez_compressed(data / "reference_predictions.npz", **arrays)
    files.append(data / "reference_predictions.npz")
    stored = {
        "holdout": f"all {hold.rows:,} rows (features and target)",
        "train": f"a uniform sample of {len(sample):,} of {train.rows:,} rows, "
        "row hashes of all rows, and a per-feature reference profile",
    }
    if policy.store_training_data:
        files += _write_frame(train.X, data / "train_full.parquet")
        files += _write_target(train.y, data / "train_full_target.parquet")
        stored["train"] = f"all {train.rows:,} rows (policy store_training_data = true)"
    (root / "contract.json").write_text(json.dumps(contract.to_dict(), indent=2, default=str))
    (root / "policy.json").write_text(json.dumps(policy.to_dict(), indent=2))
    meta = {
        "bundle_format": BUNDLE_FORMAT,
        "task": subject.task,
        "target": subject.target_name,
        "model_var": subject.model_var,
        "classes": list(subject.model.classes) if subject.model.classes is not None else None,
        "features": list(subject.feature_names),
        "input_kind": subject.model.input_kind,
        "flavor": subject.model.flavor,
        "model_class": subject.model.class_name,
        "has_proba": subject.model.has_proba,
        "discovery": subject.discovery,
        "fingerprints": cache.get("fingerprints")
        or {
            role: {"rows": ds.rows, "sha256": frame_sha256(ds.X, ds.y)}
            for role, ds in (("train", train), ("holdout", hold))
        },
        "stored": stored,
        "notebook_facts": notebook_facts(subject),
    }
    (root / "subject.json").write_text(json.dumps(meta, indent=2, default=str))
    names = ["subject.json", "policy.json", "contract.json"] + [
        str(Path(f).relative_to(root)) for f in files
    ]
    return Bundle(root, tuple(names), stored)


@dataclass(frozen=True)
class LoadedBundle:
    """A bundle read back: data as Datasets, plus the reference artefacts."""

    path: Path
    meta: dict
    policy: Policy
    contract: Contract
    holdout: Dataset
    train_sample: Dataset
    train_row_hashes: np.ndarray
    reference_profile: dict
    reference_predictions: dict  # "predict" and maybe "predict_proba"

    @property
    def task(self) -> str:
        return self.meta["task"]


def _read_meta(root: Path) -> dict:
    """subject.json, refused unless written in the bundle format this version reads."""
    meta = _read(root, "subject.json", lambda p: json.loads(p.read_text()))
    if not isinstance(meta, dict) or meta.get("bundle_format") != BUNDLE_FORMAT:
        found = meta.get("bundle_format", "unversioned") if isinstance(meta, dict) else "unknown"
        raise BundleFormatError(
            f"{root} has bundle format {found}, this jupyter_mlready reads format "
            f"{BUNDLE_FORMAT}. Re-run `mlready check` on the notebook to log the model again."
        )
    return meta


def load_bundle(
    path: str | Path, allow_pickle: bool = False, source: str | None = None
) -> LoadedBundle:
    """Read a bundle; nothing in it is executed.

    Args:
        allow_pickle: read ``.pkl`` frames of older bundles (only for a bundle from a registry the
            local policy trusts); refused otherwise (``UntrustedArtifactError``).
        source: where the bundle came from (the tracking URI), for that refusal's message.
    """
    root = Path(path)
    if not (root / "subject.json").exists():
        raise FileNotFoundError(f"{root} is not a jupyter_mlready bundle (no subject.json)")
    meta = _read_meta(root)
    policy = _read(
        root, "policy.json", lambda p: policy_from_dict(json.loads(p.read_text()), str(p))
    )
    contract = _read(root, "contract.json", lambda p: contract_from_dict(json.loads(p.read_text())))

    def required_frame(p: Path):
        found = _read_frame(p, allow_pickle, source)
        if found is None:  # a target may be absent (no target), the features never
            raise FileNotFoundError(f"{p} does not exist")
        return found

    def frame(name: str):
        return _read(root, f"data/{name}.parquet", required_frame)

    def target(name: str):
        return _read(root, f"data/{name}.parquet", lambda p: _read_target(p, allow_pickle, source))

    hold = Dataset(frame("holdout"), target("holdout_target"), "holdout", "holdout_target")
    train = Dataset(
        frame("train_sample"), target("train_sample_target"), "train_sample", "train_sample_target"
    )
    return LoadedBundle(
        root,
        meta,
        policy,
        contract,
        hold,
        train,
        _read(root, "data/train_row_hashes.npy", lambda p: np.load(p, allow_pickle=False)),
        _read(root, "data/reference_profile.json", lambda p: json.loads(p.read_text())),
        _read(root, "data/reference_predictions.npz", _arrays),
    )


#: what ``mlready monitor`` reads of a bundle: no hold-out or training rows
MONITOR_FILES = (
    "subject.json",
    "policy.json",
    "contract.json",
    "data/reference_profile.json",
    "data/reference_predictions.npz",
)


@dataclass(frozen=True)
class MonitorReference:
    """What a live batch is compared with, read from a bundle's :data:`MONITOR_FILES`: the
    training profile (bins, quantiles, category shares, null shares) and the hold-out's
    predictions, never a training row."""

    path: Path
    meta: dict
    policy: dict  # the logged policy's values (the local policy is floored by them)
    contract: Contract
    reference_profile: dict
    reference_predictions: dict

    @property
    def task(self) -> str:
        return self.meta["task"]


def _arrays(p: Path) -> dict:
    with np.load(p, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def load_monitor_reference(path: str | Path) -> MonitorReference:
    """Read a bundle's :data:`MONITOR_FILES` (the others need not be there); nothing in them is
    executed."""
    root = Path(path)
    return MonitorReference(
        root,
        _read_meta(root),
        _read(root, "policy.json", lambda p: json.loads(p.read_text())),
        _read(root, "contract.json", lambda p: contract_from_dict(json.loads(p.read_text()))),
        _read(root, "data/reference_profile.json", lambda p: json.loads(p.read_text())),
        _read(root, "data/reference_predictions.npz", _arrays),
    )


def adapter_for(model, bundle: LoadedBundle | MonitorReference) -> ModelAdapter:
    """Wrap a model loaded from the registry with what the bundle knows about its input and
    classes."""
    meta = bundle.meta
    classes = tuple(meta["classes"]) if meta.get("classes") is not None else None
    adapter = ModelAdapter(
        model=model,
        input_kind=meta.get("input_kind", "frame"),
        flavor=meta.get("flavor", "pyfunc"),
        classes=classes,
        has_proba=False,
    )
    # probabilities as the notebook's model gave them: its own predict_proba, or its library's
    # (a statsmodels Logit's or a booster's predict), never fewer than the notebook had
    return replace(adapter, has_proba=bool(meta.get("has_proba")) and adapter.can_predict_proba)
