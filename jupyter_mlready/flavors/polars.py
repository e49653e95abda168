"""polars frames at the edge: the notebook keeps them, the checks read pandas.

A model fitted on polars frames keeps the column names (``feature_names_in_``) and predicts on a
pandas frame with the same columns, which is also what an MLflow scoring server hands it. So
discovery converts the notebook's polars ``DataFrame`` / ``Series`` (and a ``LazyFrame``, which
is collected) to pandas once; the contract is inferred and validated on the converted frames,
and the report says so. polars is never imported unless the notebook already did.
"""

from __future__ import annotations

import sys
from typing import Any

EDGE_NOTE = (
    "polars frames converted to pandas at the edge (DataFrame.to_pandas()); the contract is "
    "inferred and validated on the pandas frames, as an MLflow scoring server hands them to "
    "the model"
)


def is_polars(obj: Any) -> bool:
    if "polars" not in sys.modules:
        return False
    return type(obj).__module__.split(".")[0] == "polars" and type(obj).__name__ in (
        "DataFrame",
        "Series",
        "LazyFrame",
    )


def to_pandas(obj: Any) -> Any:
    """The pandas equivalent of a polars DataFrame / Series / LazyFrame."""
    if type(obj).__name__ == "LazyFrame":
        obj = obj.collect()
    return obj.to_pandas()


def pandas_namespace(namespace: dict) -> tuple[dict, list[str]]:
    """``namespace`` with its polars frames as pandas, and the names that were converted.
    A frame that cannot be converted is left out (it cannot be the model's data)."""
    converted: list[str] = []
    out = {}
    for name, value in namespace.items():
        if is_polars(value):
            try:
                value = to_pandas(value)
            except Exception:  # noqa: BLE001 - e.g. an object column polars cannot export
                continue
            converted.append(name)
        out[name] = value
    return out, converted
