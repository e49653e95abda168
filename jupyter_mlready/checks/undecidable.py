"""Findings for a check that applies but cannot decide: always ``error``, never ``skip``
(``skip`` only means "does not apply here"), with what is missing and how to supply it."""

from __future__ import annotations

import numpy as np

from .registry import CheckContext, Finding


def no_target(ctx: CheckContext, train: bool = True) -> Finding | None:
    """``error`` when the target needed to compute metrics is missing: a check that applies
    but cannot decide is never a skip."""
    missing = [
        role
        for role, ds in (("hold-out", ctx.holdout), ("training", ctx.train if train else None))
        if ds is not None and ds.y is None
    ]
    if not missing:
        return None
    return Finding(
        "error",
        f"Cannot decide: no {' or '.join(missing)} target, so no metric can be computed.",
        remedy="Pass the target with the data: --holdout X_test,y_test (and --train "
        "X_train,y_train), or --target COLUMN for a frame that holds it.",
    )


def one_class(ctx: CheckContext, train: bool = True) -> Finding | None:
    """``error`` when a classification target has a single class: no metric can rank it."""
    if ctx.task != "classification":
        return None
    for role, ds in (("hold-out", ctx.holdout), ("training", ctx.train if train else None)):
        if ds is not None and ds.y is not None and len(ds.y) and ds.y.nunique(dropna=True) < 2:
            value = ds.y.dropna().iloc[0] if ds.y.notna().any() else None
            value = value.item() if isinstance(value, np.generic) else value  # 1, not np.int64(1)
            rows = f"{len(ds.y):,} row{'s' if len(ds.y) != 1 else ''}"
            return Finding(
                "error",
                f"Cannot decide: the {role} target has one class ({value!r}) in "
                f"{rows}, so no classification metric can be computed.",
                {"role": role, "rows": int(len(ds.y)), "class": str(value)},
                remedy="Split the data so both sets hold every class (stratify=y), or check "
                "that the target column is the one you meant.",
            )
    return None
