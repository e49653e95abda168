"""Row fingerprints shared by the checks and the bundle: one hash per feature row (index
ignored), and the share of hold-out index labels that are also training labels."""

from __future__ import annotations

import numpy as np
import pandas as pd


def row_hashes(X: pd.DataFrame) -> np.ndarray:
    """One uint64 per row over the feature values (index ignored)."""
    frame = X
    for c in X.columns:  # unhashable cells (lists, dicts) hash by their text
        if X[c].dtype == object and pd.api.types.infer_dtype(X[c], skipna=True) not in (
            "string",
            "boolean",
            "empty",
        ):
            if frame is X:
                frame = X.copy()
            frame[c] = frame[c].map(
                lambda v: v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)
            )
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex)


def index_overlap_rate(train_X, holdout_X) -> float | None:
    """Share of hold-out rows whose pandas index label is also a training label; None when either
    side has a default RangeIndex (positions, not record ids). A fact about the notebook's frames:
    the bundle records it (``notebook_facts``), so the validation notebook judges it too."""
    idx_t, idx_h = getattr(train_X, "index", None), getattr(holdout_X, "index", None)
    if (
        idx_t is None
        or idx_h is None
        or _default_index(idx_t)
        or _default_index(idx_h)
        or not len(idx_h)
    ):
        return None
    return float(idx_h.isin(idx_t).mean())
