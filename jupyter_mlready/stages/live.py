"""From a live kernel to a fresh re-run: ``%mlready check`` never hands off the live kernel's state.

A live kernel can hold a model no top-to-bottom run produces (cells run out of order, deleted
cells, unsaved edits). So the magic does not check the live objects itself: it writes what the
live model predicts on its hold-out (:func:`write_live_reference`), then re-executes the *saved*
notebook in a fresh kernel, exactly as ``mlready check NOTEBOOK`` does. Inside that re-run, right
after discovery and before any artifact or alias, :func:`compare_with_live` checks that the fresh
model reproduces the live model's predictions on the same hold-out rows. The version logged is the
re-run's, proven identical to the live one; any difference is a ``fail`` of the re-run check, so
no alias moves.

Tolerance: class labels must be identical; numeric outputs (regression values, probabilities)
may differ by at most the policy's ``batch_tolerance`` (1e-6 absolute). The same code on the same
data gives bitwise-equal floats in the same process; across processes the summation order of
threaded BLAS can move the last bits, never 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..hashing import row_hashes
from ..probes.outcome import differing_rows
from ..records import Subject

LIVE_REFERENCE = "live_reference.npz"


def _storable(values) -> np.ndarray:
    """An array ``np.savez`` stores without pickle (labels of any type as text)."""
    arr = np.asarray(values)
    return arr.astype(str) if arr.dtype == object else arr


def write_live_reference(subject: Subject, out: Path) -> Path:
    """What the live model predicts on the live hold-out, with the rows' fingerprints."""
    X = subject.holdout.X
    arrays = {
        "predict": _storable(subject.model.predict(X)),
        "row_hashes": row_hashes(X),
    }
    if subject.task == "classification" and subject.model.has_proba:
        arrays["predict_proba"] = np.asarray(subject.model.predict_proba(X), dtype=float)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LIVE_REFERENCE
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub types allow_pickle as a kwarg
    path.with_suffix(".json").write_text(
        json.dumps(
            {
                "model": subject.model_var,
                "holdout": subject.holdout.x_var,
                "rows": int(len(X)),
            }
        )
    )
    return path


def unusable_reference(path: Path, reason: str) -> Path:
    """A reference that says why the live kernel could not give one (the re-run then fails the
    comparison with that reason instead of passing without it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(json.dumps({"unusable": reason}))
    path.unlink(missing_ok=True)
    return path


def compare_with_live(subject: Subject, path: str | Path, tolerance: float) -> dict:
    """Facts for the re-run check: does the fresh model reproduce the live one on the same rows?
    ``ok`` is True only when every row matches."""
    path = Path(path)
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    facts: dict = {"reference": str(path), "tolerance": tolerance}
    if meta.get("unusable") or not path.exists():
        reason = meta.get("unusable") or f"the live kernel's reference {path} is missing"
        return {**facts, "ok": False, "reason": reason}
    with np.load(path, allow_pickle=False) as ref:
        live = {k: ref[k] for k in ref.files}
    X = subject.holdout.X
    facts["rows"] = int(len(X))
    hashes = row_hashes(X)
    if len(hashes) != len(live["row_hashes"]) or not np.array_equal(hashes, live["row_hashes"]):
        missing = int((~np.isin(live["row_hashes"], hashes)).sum())
        return {
            **facts,
            "ok": False,
            "live_rows": int(len(live["row_hashes"])),
            "live_rows_not_in_rerun": missing,
            "reason": f"the fresh run's hold-out ({len(hashes):,} rows) is not the live kernel's "
            f"({len(live['row_hashes']):,} rows, {missing:,} of them not in the fresh run): the "
            "live data came from state a top-to-bottom run does not produce",
        }
    fresh = _storable(subject.model.predict(X))
    if fresh.shape != live["predict"].shape:
        differ, gap = max(len(fresh), len(live["predict"])), 0.0
    else:
        rows, gap = differing_rows(fresh, live["predict"], tolerance)
        differ = int(rows.sum())
    facts.update(predict_rows_differ=differ, compared=["predict"])
    if fresh.dtype.kind in "fc":  # labels differ or not: no size of difference to state
        facts["max_abs_diff"] = gap
    if "predict_proba" in live and subject.model.has_proba:
        proba = np.asarray(subject.model.predict_proba(X), dtype=float)
        facts["compared"].append("predict_proba")
        if proba.shape != live["predict_proba"].shape:
            facts["max_proba_diff"] = None
            facts.update(ok=False, reason="the probabilities have a different shape")
            return facts
        facts["max_proba_diff"] = float(np.max(np.abs(proba - live["predict_proba"]), initial=0))
    proba_gap = facts.get("max_proba_diff") or 0.0
    facts["ok"] = differ == 0 and proba_gap <= tolerance
    if not facts["ok"]:
        facts["reason"] = (
            f"{differ:,} of {len(X):,} hold-out predictions differ"
            + (f" (largest difference {gap:.3g})" if gap else "")
            + (f"; probabilities differ by up to {proba_gap:.3g}" if proba_gap > tolerance else "")
        )
    return facts
