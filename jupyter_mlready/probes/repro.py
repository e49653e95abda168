"""Runnable Python for a failing example: build the frame, call the model, show the problem."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def value_literal(v: Any) -> str:
    """Python source for one cell value."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA:
        return "None"
    if v is pd.NaT:
        return "pd.NaT"
    if isinstance(v, float):
        if math.isnan(v):
            return "np.nan"
        if math.isinf(v):
            return "np.inf" if v > 0 else "-np.inf"
        return repr(v)
    if isinstance(v, pd.Timestamp):
        return f"pd.Timestamp({v.isoformat()!r})"
    if isinstance(v, (bool, int, str)):
        return repr(v)
    return repr(v)


def column_literal(s: pd.Series) -> str:
    """Source for one column that rebuilds its values and dtype."""
    values = "[" + ", ".join(value_literal(v) for v in s.astype(object).tolist()) + "]"
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = "[" + ", ".join(value_literal(c) for c in s.cat.categories) + "]"
        return f"pd.Categorical({values}, categories={cats})"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return f"pd.Series({values}, dtype={str(s.dtype)!r})"
    return f"pd.Series({values}, dtype={str(s.dtype)!r})"


def frame_literal(frame: pd.DataFrame, indent: str = "    ") -> str:
    """``pd.DataFrame({...})`` source that rebuilds ``frame`` (values, dtypes, column order)."""
    if len(frame.columns) == 0:
        return f"pd.DataFrame(index=range({len(frame)}))"
    items = [f"{indent}{str(name)!r}: {column_literal(frame[name])}," for name in frame.columns]
    return "pd.DataFrame({\n" + "\n".join(items) + "\n})"


def call_line(input_kind: str, method: str = "predict", frame: str = "X") -> str:
    arg = f"{frame}.to_numpy()" if input_kind == "array" else frame
    return f"model.{method}({arg})"


def snippet(title: str, load_line: str, frame: pd.DataFrame, body: list[str]) -> str:
    """A complete snippet: header comment, imports, the model, the frame, then ``body``."""
    lines = [f"# {line}" for line in title.splitlines()]
    lines += [
        "import numpy as np",
        "import pandas as pd",
        "",
        load_line,
        f"X = {frame_literal(frame)}",
    ]
    return "\n".join(lines + body) + "\n"
