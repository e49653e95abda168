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
    data/holdout_side.parquet    columns beside the features (a sensitive attribute, a time
                                 column), row for row with the hold-out (+ train_sample_side:
                                 row for row with train_sample.parquet)

Personal data (``jupyter_mlready.privacy``): the columns the checks flagged (``cache
["personal_data"]``; when absent the bundle scans the frames itself: nothing unscanned is
logged) never reach the registry. A flagged side column is not stored at all. A flagged feature
is needed to predict, so the frames holding it go to ``<out>/local_data/`` (never uploaded: the
run logs ``<out>/bundle/`` only), and subject.json's ``data_reference`` records each by absolute
path, sha256 and rows; its bins, samples and categories leave the reference profile, and its
allowed values and range leave contract.json. With policy ``store_data = "reference"`` every
frame goes to ``<out>/local_data/`` that way. ``load_bundle`` reads a referenced frame from its
path and refuses (:class:`ReferencedDataError`) one that is missing or changed.

Frames are parquet; a column parquet cannot store (a mixed-type object column) goes beside it in
``<name>.mixed.json``. Reading a bundle executes no code: parquet, JSON and numpy arrays without
pickles. A ``.pkl`` frame (bundles written before) is read only from a registry the local policy
trusts (``load_bundle(..., allow_pickle=True)``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NotRequired, TypedDict

import numpy as np
import pandas as pd

from ..contract import contract_from_dict
from ..errors import MlreadyError
from ..hashing import row_hashes
from ..model import ModelAdapter
from ..policy import Policy, policy_from_dict
from ..privacy import detect, redact
from ..profile import dataset_profile
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


class ReferencedDataError(BundleFormatError):
    """A frame the bundle stores by reference (outside the registry) is missing or changed.

    Attributes:
        path: the referenced file; reason: "missing" or "changed".
    """

    def __init__(self, message: str, path: str, reason: str):
        super().__init__(message)
        self.path = path
        self.reason = reason


TARGET_COLUMN = "__target__"
LOCAL_DATA = "local_data"  # <out>/local_data/: frames kept out of the registry, by reference


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
    personal: dict = field(default_factory=dict)  # personal-data column -> {"kind", "feature"}

    @property
    def personal_features(self) -> tuple[str, ...]:
        """The model inputs that hold personal data (redacted from the input example)."""
        return tuple(c for c, v in self.personal.items() if v.get("feature"))


def notebook_facts(subject: Subject) -> dict:
    """What only the notebook's objects show and the gate needs (the bundle's frames lose it)."""
    from ..hashing import index_overlap_rate

    return {"index_overlap_rate": index_overlap_rate(subject.train.X, subject.holdout.X)}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _frame_files(path: Path) -> list[Path]:
    """The files one frame is written as: the parquet, and beside it its dtypes and mixed-type
    columns when present."""
    return [p for p in (path, _dtypes_path(path), _mixed_path(path)) if p.exists()]


def _reference(path: Path, rows: int) -> dict:
    """What subject.json records of a frame kept out of the registry: absolute path, sha256 and
    rows, and the sha256 of the files beside it."""
    path = path.resolve()
    return {
        "path": str(path),
        "sha256": _sha256(path),
        "rows": int(rows),
        "files": {p.name: _sha256(p) for p in _frame_files(path)[1:]},
    }


def _personal_data(subject: Subject, policy: Policy, cache: dict) -> tuple[dict, str]:
    """{column: kind} of the personal-data columns, and who found them: the checks of this run
    (``cache["personal_data"]``) or, when they did not run or crashed, this scan (fail closed:
    nothing unscanned is logged)."""
    known = cache.get("personal_data")
    if isinstance(known, dict):
        return {str(c): str(k) for c, k in known.items()}, "checks"
    frames = {
        "training features": subject.train.X,
        "hold-out features": subject.holdout.X,
        "hold-out side columns": subject.holdout.side,
        "training side columns": subject.train.side,
    }
    found = detect.scan_frames(frames, policy.privacy_min_share, policy.seed)
    return {c: info["kind"] for c, info in found.items()}, "bundle"


def _side_sample(train: Dataset, idx) -> pd.DataFrame | None:
    """The training side columns row for row with the training sample (None: none usable)."""
    side = train.side
    if not isinstance(side, pd.DataFrame) or len(side) != train.rows:
        return None
    return side if idx is None else side.iloc[idx]


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
    reference profile, the data fingerprints, the personal-data columns) is reused instead of
    computed again (two full predictions at 1M rows). Personal data: see the module doc.
    """
    cache = cache or {}
    reference_profile = reference_profile or cache.get("reference_profile")
    root = Path(out) / "bundle"
    data = root / "data"
    if data.exists():  # a file left by an earlier run (a frame now kept out) must not be logged
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True)
    local = Path(out) / LOCAL_DATA
    files: list[Path] = []
    references: dict[str, dict] = {}
    hold, train = subject.holdout, subject.train
    personal, found_by = _personal_data(subject, policy, cache)
    features = set(subject.feature_names) | {str(c) for c in hold.X.columns}
    inputs = [c for c in personal if c in features]
    by_reference = policy.store_data == "reference"

    def put(write, value, name: str, rows: int, outside: bool) -> None:
        """Write one frame (or target) into the bundle, or outside it by reference."""
        if value is None:
            return
        if not (outside or by_reference):
            files.extend(write(value, data / f"{name}.parquet"))
            return
        local.mkdir(parents=True, exist_ok=True)
        path = local / f"{name}.parquet"
        for stale in _frame_files(path):
            stale.unlink()
        if write(value, path):
            references[name] = _reference(path, rows)

    put(_write_frame, hold.X, "holdout", hold.rows, bool(inputs))
    put(_write_target, hold.y, "holdout_target", hold.rows, False)
    sample = train.X
    ys = train.y
    idx = None
    if train.rows > TRAIN_SAMPLE_ROWS:
        idx = np.sort(
            np.random.default_rng(policy.seed).choice(train.rows, TRAIN_SAMPLE_ROWS, replace=False)
        )
        sample, ys = train.X.iloc[idx], (train.y.iloc[idx] if train.y is not None else None)
    put(_write_frame, sample, "train_sample", len(sample), bool(inputs))
    put(_write_target, ys, "train_sample_target", len(sample), False)
    hold_side = redact.drop_columns(hold.side, personal)
    train_side = redact.drop_columns(_side_sample(train, idx), personal)
    if hold_side is not None and len(hold_side.columns):
        put(_write_frame, hold_side, "holdout_side", hold.rows, False)
    if train_side is not None and len(train_side.columns):
        put(_write_frame, train_side, "train_sample_side", len(train_side), False)
    if subject.holdout.spark is not None or subject.train.spark is not None:
        from ..spark.bundle import write_record

        written = write_record(subject, data)
        if written is not None:
            files.append(written)
    hashes = cache.get("train_row_hashes")
    np.save(data / "train_row_hashes.npy", hashes if hashes is not None else row_hashes(train.X))
    files.append(data / "train_row_hashes.npy")
    profile = reference_profile or dataset_profile(train, policy.seed, policy.drift_sample_rows)
    profile = redact.redact_profile(profile, inputs) if inputs else profile
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
    for role, ds in (("holdout", hold), ("train", train)):
        if ds.spark is not None:
            stored[role] = (
                f"{ds.spark.describe_sample()} for the sampled checks; all "
                f"{ds.spark.rows:,} rows by reference ({ds.spark.reference.describe()}), "
                "read again on Spark by the validation"
            )
    if policy.store_training_data:
        put(_write_frame, train.X, "train_full", train.rows, bool(inputs))
        put(_write_target, train.y, "train_full_target", train.rows, False)
        stored["train"] = f"all {train.rows:,} rows (policy store_training_data = true)"
    contract, contract_notes = redact.redact_contract(contract, inputs)
    if references:
        stored["data_reference"] = _reference_text(references, by_reference)
    if personal:
        stored["personal_data"] = _personal_text(personal, features, policy.store_data)
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
        "personal_data": {
            c: {"kind": k, "label": detect.label(k), "feature": c in features}
            for c, k in personal.items()
        },
        "personal_data_found_by": found_by,
        "contract_redacted": contract_notes,
        "data_reference": references,
    }
    (root / "subject.json").write_text(json.dumps(meta, indent=2, default=str))
    names = ["subject.json", "policy.json", "contract.json"] + [
        str(Path(f).relative_to(root)) for f in files
    ]
    return Bundle(root, tuple(names), stored, meta["personal_data"])


def _reference_text(references: dict, everything: bool) -> str:
    folder = str(Path(next(iter(references.values()))["path"]).parent)
    why = (
        "policy store_data = reference"
        if everything
        else "they hold personal data the model takes as input"
    )
    return (
        f"{', '.join(references)} stored outside the registry in {folder} ({why}): the bundle "
        "keeps their path, sha256 and rows; validating this version needs that folder"
    )


def _personal_text(personal: dict, features: set[str], store_data: str) -> str:
    parts = []
    for col, kind in personal.items():
        done = "; ".join(redact.actions(col in features, store_data))
        parts.append(f"'{col}' ({detect.label(kind)}) kept out of the registry: {done}")
    return ". ".join(parts) + "."


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


def _aligned_side(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """A side frame as read back (None when the bundle has none)."""
    return frame if frame is not None and len(frame.columns) else None


def _referenced(root: Path, name: str, ref: dict, reader):
    """A frame stored outside the registry, read from its path once every file of it has the
    sha256 the bundle recorded."""
    path = Path(str(ref.get("path")))
    expected = {path: ref.get("sha256")} | {
        path.with_name(n): h for n, h in (ref.get("files") or {}).items()
    }
    for p, digest in expected.items():
        if not p.exists():
            raise ReferencedDataError(
                f"The bundle {root} stores {name} outside the registry (personal data, or "
                f"policy store_data = reference), at {p}, which does not exist here. Validate "
                f"on the machine that ran `mlready check` (where {p.parent} is), copy that "
                "folder to the same path here, or re-run `mlready check` on the notebook.",
                str(p),
                "missing",
            )
        if _sha256(p) != digest:
            raise ReferencedDataError(
                f"The bundle {root} stores {name} outside the registry at {p}, and that file "
                "changed since the bundle was written (its sha256 differs): it is not the data "
                "the model was checked on. Re-run `mlready check` on the notebook to log it "
                "again.",
                str(p),
                "changed",
            )
    return _read(path.parent, path.name, reader)


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

    refs = meta.get("data_reference") or {}

    def required_frame(p: Path):
        found = _read_frame(p, allow_pickle, source)
        if found is None:  # a target may be absent (no target), the features never
            raise FileNotFoundError(f"{p} does not exist")
        return found

    def read(name: str, reader):
        if name in refs:
            return _referenced(root, name, refs[name], reader)
        return _read(root, f"data/{name}.parquet", reader)

    def frame(name: str):
        return read(name, required_frame)

    def target(name: str):
        return read(name, lambda p: _read_target(p, allow_pickle, source))

    def side(name: str):
        return read(name, lambda p: _read_frame(p, allow_pickle, source))

    hold = Dataset(
        frame("holdout"),
        target("holdout_target"),
        "holdout",
        "holdout_target",
        side=_aligned_side(side("holdout_side")),
    )
    train = Dataset(
        frame("train_sample"),
        target("train_sample_target"),
        "train_sample",
        "train_sample_target",
        side=_aligned_side(side("train_sample_side")),
    )
    from ..spark.bundle import read_record

    spark_inputs = read_record(root / "data")
    if spark_inputs is not None:  # the whole inputs, read again on Spark (fingerprints checked)
        from ..spark.bundle import attach_record

        hold, train = attach_record(spark_inputs, hold, train)
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
