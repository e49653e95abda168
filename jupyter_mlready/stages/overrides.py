"""The explicit choices a person passes to a check (``--model``, ``--train``, ...), kept apart
from discovery so the CLI and the magic parse them without importing pandas."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Overrides:
    """Explicit choices from ``--model``, ``--train``, ``--holdout``, ``--target``,
    ``--sensitive``."""

    model: str | None = None
    train: tuple[str, ...] | None = None  # (X,) or (X, Y)
    holdout: tuple[str, ...] | None = None
    target: str | None = None
    sensitive: tuple[str, ...] = ()  # --sensitive VAR: sensitive attributes beside the features


def parse_pair(value: str | None) -> tuple[str, ...] | None:
    """``"X_train,y_train"`` -> ("X_train", "y_train"); ``"train_df"`` -> ("train_df",)."""
    if not value:
        return None
    parts = tuple(p.strip() for p in str(value).replace(" ", ",").split(",") if p.strip())
    return parts or None
