"""Edge-case mutators: what production sends that curated training data did not contain.

A :class:`Mutation` says what it does to which column, and what the model owes in return:

- ``expect="handle"``: input production *will* send (NaN in any column, a category never seen,
  values far outside the training range, a single row). The model must return a valid
  prediction, or reject it with a clear error: an input error naming the column that matches no
  known library crash (``probes.outcome``). Anything else (e.g. sklearn's "Input X contains NaN")
  is a crash.
- ``expect="may_reject"``: malformed input (numbers as strings, +/-inf, reordered / extra /
  missing columns, zero rows). Rejecting it with an input error that names the column, the
  shape, the emptiness or the non-finite value is fine. When
  ``same_output`` is set the mutation keeps the information, so an accepted frame must give the
  same prediction as the original (a model that reads columns by position fails here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..records import ColumnSpec, Contract
from .kinds import Property

EXTRA_COLUMN = "unexpected_extra_column"
UNSEEN = "__unseen__"

MUTATION_CHECKS = {
    Property.MISSING: ("missing",),
    Property.UNSEEN: ("unseen", "recased"),
    Property.EXTREME: (
        "far_above",
        "far_below",
        "zero",
        "negative",
        "inf",
        "-inf",
        "far_future",
        "far_past",
    ),
    Property.EMPTY: ("zero_rows", "one_row"),
    Property.FORMAT: (
        "numbers_as_text",
        "category_as_text",
        "reordered",
        "extra_column",
        "missing_column",
    ),
}

_DESCRIBE = {
    "missing": "NaN / None in column {c!r}",
    "unseen": "a category never seen in training in column {c!r} ({v!r})",
    "recased": "a seen category with different case/whitespace in column {c!r} ({v!r})",
    "far_above": "a value far above the training range in column {c!r} ({v!r})",
    "far_below": "a value far below the training range in column {c!r} ({v!r})",
    "zero": "zero in column {c!r}",
    "negative": "a negative value in column {c!r} where training was never negative ({v!r})",
    "inf": "+inf in column {c!r}",
    "-inf": "-inf in column {c!r}",
    "far_future": "a date far after the training range in column {c!r} ({v})",
    "far_past": "a date far before the training range in column {c!r} ({v})",
    "zero_rows": "a frame with zero rows",
    "one_row": "a frame with one row",
    "numbers_as_text": "numbers sent as strings in column {c!r}",
    "category_as_text": "category column {c!r} sent as plain strings",
    "reordered": "the columns in a different order",
    "extra_column": f"an extra column {EXTRA_COLUMN!r}",
    "missing_column": "column {c!r} missing",
}


@dataclass(frozen=True)
class Mutation:
    """One edge case: ``kind`` applied to ``column`` (None for whole-frame mutations)."""

    kind: str
    column: str | None = None
    expect: str = "handle"  # "handle" | "may_reject"
    same_output: bool = False
    value: Any = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.column}" if self.column is not None else self.kind

    def describe(self) -> str:
        return _DESCRIBE[self.kind].format(c=self.column, v=self.value)

    def apply(self, frame: pd.DataFrame, rows: tuple[int, ...]) -> pd.DataFrame:
        """A new frame with this mutation applied to positions ``rows`` (cell mutations)."""
        return _APPLY[self.kind](self, frame.copy(), list(rows))


def _width(lo: float, hi: float) -> float:
    return max(hi - lo, abs(hi), abs(lo), 1.0)


def _cell(column: pd.Series, rows: list[int], value: Any, dtype: Any = None) -> pd.Series:
    """``column`` with ``value`` at positions ``rows``, upcast only as far as the value needs."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        if value is not None and not pd.isna(value) and value not in column.cat.categories:
            column = column.cat.add_categories([value])
        column = column.copy()
        column.iloc[rows] = np.nan if value is None else value
        return column
    values = column.astype(object).tolist()
    for r in rows:
        values[r] = value
    if dtype is not None:
        return pd.Series(values, index=column.index, dtype=dtype)
    try:
        return pd.Series(values, index=column.index, dtype=column.dtype)
    except (TypeError, ValueError):
        return pd.Series(values, index=column.index).infer_objects()


def _missing_value(dtype) -> tuple[Any, Any]:
    """(value, dtype) that puts a missing value into a column of ``dtype``."""
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return pd.NaT, dtype
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iufb":
        return pd.NA, dtype  # a nullable Int64 / Float64 / boolean column holds pd.NA itself
    if pd.api.types.is_bool_dtype(dtype):
        return None, object
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        return np.nan, "float64"
    return None, None


def _missing(m: Mutation, f: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    value, dtype = _missing_value(f[m.column].dtype)
    f[m.column] = _cell(f[m.column], rows, value, dtype)
    return f


def _set_value(m: Mutation, f: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    col = f[m.column]
    value = m.value
    dtype: str | type[object] | None = None
    if pd.api.types.is_integer_dtype(col.dtype) and not float(value).is_integer():
        dtype = "float64"
    elif pd.api.types.is_bool_dtype(col.dtype):
        dtype = object
    f[m.column] = _cell(col, rows, value, dtype)
    return f


def _set_date(m: Mutation, f: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    value = pd.Timestamp(m.value)
    zone = getattr(f[m.column].dtype, "tz", None)
    if zone is not None and value.tz is not None:  # keep the column's zone (and dtype)
        value = value.tz_convert(zone)
    f[m.column] = _cell(f[m.column], rows, value)
    return f


def _as_text(m: Mutation, f: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    col = f[m.column]
    f[m.column] = pd.Series(
        [None if pd.isna(v) else str(v) for v in col.astype(object)], index=col.index, dtype=object
    )
    return f


def _reordered(m: Mutation, f: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    return f[list(reversed(f.columns))]


def _extra(m: Mutation, f: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    f[EXTRA_COLUMN] = 1.0
    return f


def _drop(m: Mutation, f: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    return f.drop(columns=[m.column])


_APPLY = {
    "missing": _missing,
    "unseen": _set_value,
    "recased": _set_value,
    "far_above": _set_value,
    "far_below": _set_value,
    "zero": _set_value,
    "negative": _set_value,
    "inf": _set_value,
    "-inf": _set_value,
    "far_future": _set_date,
    "far_past": _set_date,
    "zero_rows": lambda m, f, r: f.iloc[:0],
    "one_row": lambda m, f, r: f.iloc[r[:1]],
    "numbers_as_text": _as_text,
    "category_as_text": _as_text,
    "reordered": _reordered,
    "extra_column": _extra,
    "missing_column": _drop,
}


# Edge cases in one cell, keeping the frame's shape (many of them share one frame); edge cases
# that change a whole column (many columns can change in one frame); the rest change the frame.
CELL_KINDS = frozenset(
    {
        "missing",
        "unseen",
        "recased",
        "far_above",
        "far_below",
        "zero",
        "negative",
        "far_future",
        "far_past",
        "inf",
        "-inf",
    }
)
COLUMN_KINDS = frozenset({"numbers_as_text", "category_as_text", "missing_column"})


def _plain_numeric(dtype) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind in "iuf"


def _numeric_target(dtype, items: list[tuple[Mutation, list[int]]]) -> tuple[np.dtype | None, list]:
    """The dtype a plain numeric column ends with after ``items`` (applied one after the other,
    as ``_missing`` / ``_set_value`` upcast it), and each item's value; ``(None, [])`` when an
    item needs the general path (dates, text, a non-numeric value)."""
    if not _plain_numeric(dtype):
        return None, []
    target, values = dtype, []
    for m, _ in items:
        value: Any
        if m.kind == "missing":
            value, target = np.nan, np.dtype("float64")
        elif _APPLY.get(m.kind) is _set_value and isinstance(m.value, (int, float, np.number)):
            value = m.value
            if dtype.kind in "iu" and not float(value).is_integer():
                target = np.dtype("float64")
            elif dtype.kind in "iu" and not np.iinfo(dtype).min <= value <= np.iinfo(dtype).max:
                return None, []  # the mutators widen the integer type: the general path
        else:
            return None, []
        values.append(value)
    return target, values


def _texts(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``_as_text`` of several columns at once (one pass over their cells)."""
    values = frame[names].astype(object).to_numpy()
    flat = [None if pd.isna(v) else str(v) for v in values.ravel()]
    cells = np.empty(len(flat), dtype=object)
    cells[:] = flat
    return pd.DataFrame(cells.reshape(values.shape), columns=names, index=frame.index, dtype=object)


def apply_many(frame: pd.DataFrame, edits: list[tuple[Mutation, tuple[int, ...]]]) -> pd.DataFrame:
    """``frame`` with every edit applied: the same frame as ``Mutation.apply`` one edit after the
    other, built in one pass (``apply`` copies the whole frame per edit: thousands of edge cases
    on a frame of thousands of columns took seconds). Cell edge cases of plain numeric columns
    are written into one numpy block per dtype; other columns go through the mutators one column
    at a time. Only cell and column edge cases (``CELL_KINDS``, ``COLUMN_KINDS``)."""
    cells: dict[str, list[tuple[Mutation, list[int]]]] = {}
    text: list[str] = []
    dropped: set[str] = set()
    for m, rows in edits:
        if m.kind in CELL_KINDS:
            cells.setdefault(str(m.column), []).append((m, list(rows)))
        elif m.kind in ("numbers_as_text", "category_as_text"):
            text.append(str(m.column))
        elif m.kind == "missing_column":
            dropped.add(str(m.column))
        else:
            raise ValueError(f"{m.kind!r} changes the whole frame: apply it on its own")
    blocks: dict[np.dtype, list[tuple[str, list]]] = {}
    changed: dict[str, pd.Series] = {}
    for name, items in cells.items():
        target, values = _numeric_target(frame[name].dtype, items)
        if target is None:
            one = frame[[name]]
            for m, at in items:
                one = m.apply(one, tuple(at))
            changed[name] = one[name]
        else:
            blocks.setdefault(target, []).append((name, list(zip(items, values))))
    parts = []
    for target, members in blocks.items():
        names = [name for name, _ in members]
        # every column already of the target dtype joins the block: the new frame keeps one
        # block per dtype instead of a patchwork (which made every column lookup slow)
        names += [c for c, d in frame.dtypes.items() if d == target and c not in cells]
        block = frame[names].to_numpy(dtype=target, copy=True)
        for j, (_, pairs) in enumerate(members):
            for (_, rows), value in pairs:
                block[rows, j] = value
        parts.append(pd.DataFrame(block, columns=names, index=frame.index))
    plain = [n for n in dict.fromkeys(text) if n not in cells]
    for name in text:  # after the cell edits of the same column, as one edit after the other
        if name in cells:
            edited = [p for p in parts if name in p.columns]
            base = changed[name] if name in changed else (edited[0] if edited else frame)[name]
            changed[name] = _as_text(Mutation("numbers_as_text", name), base.to_frame(), [])[name]
    replaced_later = set(changed) | set(plain) | dropped  # columns the blocks must not keep
    parts = [p.drop(columns=[n for n in p.columns if n in replaced_later]) for p in parts]
    if plain:
        parts.append(_texts(frame, plain))
    if changed:
        parts.append(pd.DataFrame(changed, index=frame.index))
    replaced = {n for p in parts for n in p.columns}
    if not replaced:
        return frame.drop(columns=list(dropped)) if dropped else frame.copy()
    columns = list(frame.columns)
    keep = frame.drop(columns=[c for c in columns if c in replaced or c in dropped])
    order = [c for c in columns if c not in dropped]
    # copy(): one block per dtype again (column lookups in the model stay fast)
    return pd.concat([keep, *parts], axis=1)[order].copy()


def _numeric_mutations(c: ColumnSpec) -> list[Mutation]:
    if c.min is None:
        return []
    assert c.max is not None  # the contract records a numeric column's min and max together
    w = _width(float(c.min), float(c.max))
    cast = round if c.kind == "integer" else float
    out = [
        Mutation("far_above", c.name, value=cast(float(c.max) + 10 * w)),
        Mutation("far_below", c.name, value=cast(float(c.min) - 10 * w)),
        Mutation("zero", c.name, value=0 if c.kind == "integer" else 0.0),
    ]
    if c.non_negative:
        out.append(Mutation("negative", c.name, value=cast(-max(float(c.max), 1.0))))
    out += [
        Mutation("inf", c.name, "may_reject", value=float("inf")),
        Mutation("-inf", c.name, "may_reject", value=float("-inf")),
    ]
    return out


def _date_mutations(c: ColumnSpec) -> list[Mutation]:
    if c.min is None:
        return []
    start, end = pd.Timestamp(c.min), pd.Timestamp(c.max)
    span = max(end - start, pd.Timedelta(days=365))
    # the caps in the column's own time zone: tz-aware and naive times do not compare
    future = min(end + 10 * span, pd.Timestamp("2200-01-01", tz=end.tz))
    past = max(start - 10 * span, pd.Timestamp("1800-01-01", tz=start.tz))
    return [
        Mutation("far_future", c.name, value=future.isoformat()),
        Mutation("far_past", c.name, value=past.isoformat()),
    ]


def _category_mutations(c: ColumnSpec) -> list[Mutation]:
    out = [Mutation("unseen", c.name, value=UNSEEN)]
    seen = [v for v in (c.categories or ()) if isinstance(v, str)]
    if seen:
        recased = seen[0].upper() if seen[0].upper() != seen[0] else f" {seen[0]} "
        if recased not in seen:
            out.append(Mutation("recased", c.name, value=recased))
    return out


def mutations_for(prop: str, contract: Contract) -> list[Mutation]:
    """Every mutation a check probes, in a fixed order (hypothesis shrinks toward the first)."""
    cols = contract.columns
    if prop == Property.MISSING:
        return [Mutation("missing", c.name) for c in cols]
    if prop == Property.UNSEEN:
        return [m for c in cols if c.kind in ("category", "string") for m in _category_mutations(c)]
    if prop == Property.EXTREME:
        out: list[Mutation] = []
        for c in cols:
            if c.kind in ("float", "integer"):
                out += _numeric_mutations(c)
            elif c.kind == "datetime":
                out += _date_mutations(c)
        return out
    if prop == Property.EMPTY:
        return [Mutation("one_row"), Mutation("zero_rows", expect="may_reject")]
    if prop == Property.FORMAT:
        out = [
            Mutation("numbers_as_text", c.name, "may_reject", True)
            for c in cols
            if c.kind in ("float", "integer")
        ]
        out += [
            Mutation("category_as_text", c.name, "may_reject", True)
            for c in cols
            if c.kind == "category"
        ]
        if len(cols) > 1:
            out.append(Mutation("reordered", expect="may_reject", same_output=True))
        out.append(Mutation("extra_column", expect="may_reject", same_output=True))
        out += [Mutation("missing_column", c.name, "may_reject") for c in cols]
        return out
    raise KeyError(f"{prop!r} is not a mutation property; known: {', '.join(MUTATION_CHECKS)}")
