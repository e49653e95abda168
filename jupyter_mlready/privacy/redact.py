"""Keeping the values of personal-data columns out of what is logged: the reference profile, the
contract and the input example logged with the model. Each function returns a new object (the
argument is not changed) and leaves the other columns as they were."""

from __future__ import annotations

import copy
from collections.abc import Iterable

import pandas as pd

from ..records import ColumnSpec, Contract

PLACEHOLDER = "redacted"
#: what the profile keeps of a personal-data column (no bins, samples, categories or means)
PROFILE_KEEPS = ("kind", "rows", "null_share")
#: the contract's fields that hold values seen in training
CONTRACT_VALUES = ("min", "max", "low", "high", "categories")


def redact_profile(profile: dict, columns: Iterable[str]) -> dict:
    """The reference profile with only kind, rows and null share for ``columns`` (plus
    ``"redacted": true``): their bins, quantile samples and top categories are values."""
    names = set(columns)
    out = copy.deepcopy(profile)
    for name, entry in (out.get("features") or {}).items():
        if name in names and isinstance(entry, dict):
            out["features"][name] = {k: entry[k] for k in PROFILE_KEEPS if k in entry} | {
                "redacted": True
            }
    return out


def redact_contract(contract: Contract, columns: Iterable[str]) -> tuple[Contract, list[str]]:
    """The contract without the training values of ``columns`` (allowed values, ranges), and one
    line per column that lost some: the contract no longer checks those values."""
    from ..contract import contract_from_dict

    names = set(columns)
    notes: list[str] = []
    specs = []
    for spec in contract.columns:
        held = [f for f in CONTRACT_VALUES if getattr(spec, f) is not None]
        if spec.name in names and held:
            d = spec.to_dict() | dict.fromkeys(CONTRACT_VALUES)
            d["positive_only"] = d["non_negative"] = False
            spec = ColumnSpec.from_dict(d)
            what = "allowed values" if "categories" in held else "range"
            notes.append(f"'{spec.name}': its {what} removed from the contract")
        specs.append(spec.to_dict())
    if not notes:
        return contract, []
    doc = contract.to_dict() | {"columns": specs}
    return contract_from_dict(doc), notes


def placeholder(s: pd.Series):
    """A value of the column's type that is no one's data: 0, False, the epoch or ``"redacted"``."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return False
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return 0
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return pd.Timestamp(0, tz=getattr(dtype, "tz", None))
    return PLACEHOLDER


def redact_example(example, columns: Iterable[str]):
    """The input example with every value of ``columns`` replaced by a placeholder of the
    column's type (the rows and the other columns unchanged); not a frame: unchanged."""
    if not isinstance(example, pd.DataFrame):
        return example
    names = [c for c in example.columns if str(c) in set(map(str, columns))]
    if not names:
        return example
    out = example.copy()
    for col in names:
        value = placeholder(out[col])
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = pd.Series([value] * len(out), index=out.index, dtype=object)
        else:
            out[col] = pd.Series([value] * len(out), index=out.index).astype(out[col].dtype)
    return out


def drop_columns(frame: pd.DataFrame | None, columns: Iterable[str]) -> pd.DataFrame | None:
    """``frame`` without ``columns`` (None stays None)."""
    if frame is None:
        return None
    names = set(map(str, columns))
    keep = [c for c in frame.columns if str(c) not in names]
    return frame if len(keep) == len(frame.columns) else frame[keep]


def actions(feature: bool, store_data: str) -> list[str]:
    """What is done with one personal-data column before anything is logged (the check's evidence
    and the bundle's ``stored`` text say the same)."""
    if not feature:
        return ["never stored: the side-column files are written without it"]
    where = (
        "all data frames are stored outside the registry, by path and sha256 (store_data = "
        "reference)"
        if store_data == "reference"
        else "the frames holding it (hold-out, training sample) are stored outside the registry "
        "in <out>/local_data/, by path and sha256 (store_data = sample)"
    )
    return [
        where,
        "its bins, samples and categories are dropped from the reference profile",
        "its allowed values and range are removed from the contract",
        "its values in the model's input example are replaced by a placeholder",
        "the model itself may still carry values it learned (an encoder's categories): only "
        "dropping the feature removes them",
    ]
