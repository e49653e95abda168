"""screen: which rows of a request break the data contract, and why (the guard's check).

A request arrives as JSON, so some of its types are the wire's, not the caller's: a missing number
in a one-row request is ``None`` in an object column, a date is an ISO string. ``screen_rows``
reads them for what they mean before validating (an all-``None`` numeric column is a column of
missing numbers; an ISO string in a datetime column is that date). It never turns text into a
number: ``"12.5"`` in a float column is a type violation, as the contract says.

Steps, for one request frame:

1. a contract column absent from the frame makes every row invalid (``column_in_dataframe``);
2. columns the contract does not know are dropped (MLflow's own signature enforcement ignores
   extra inputs the same way), the rest are put in the contract's order;
3. per value, the type: a row holding text in a float column, a number in a text column, a
   fraction in an integer column or an unreadable date fails ``dtype_is_<kind>`` on its own,
   so the other rows of the request still count (pandera's dtype check is per column);
4. the remaining rows, typed, are checked against the contract's value rules (ranges, allowed
   values, nulls where not nullable) with numpy (``_value_failures``: the same rules and names
   as the pandera schema, in a fraction of a millisecond per request); values it cannot compare
   (mixed time zones) go through ``contract.validate_frame`` instead, where a failure pandera
   reports for the whole column (no row index) makes every remaining row invalid.

The result keeps both views: one reason (or None) per input row, for "flag" mode, and the
per-column-and-rule summary (``checks.contract_holdout.summarize_failures``' shape), for the
"reject" message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..checks.contract_holdout import summarize_failures
from ..contract import validate_frame
from ..records import ColumnSpec, Contract

#: pandera reports the contract's dtype checks by their error text
_DTYPE_ERROR = "column values must be "
_SCHEMA_LEVEL = ("column_in_dataframe", "column_in_schema")
_EXAMPLE_CHARS = 40
_RULE_CHARS = 80  # an isin() of many allowed values is cut


@dataclass(frozen=True)
class Screen:
    """A request frame against the contract.

    Attributes:
        valid: the rows that satisfy the contract (their original index), contract columns
            in contract order, typed (numbers as numbers, dates as datetimes).
        reasons: one entry per input row, in order: None when valid, else
            ``"column 'x': rule failed (value)"`` joined by ``"; "``.
        failures: per column and rule, worst first: ``column``, ``check``, ``rows``, ``rate``,
            ``examples``.
    """

    valid: pd.DataFrame
    reasons: tuple[str | None, ...]
    failures: tuple[dict, ...]

    @property
    def ok(self) -> bool:
        return not self.failures

    def describe(self, rows: int) -> str:
        """One clause per failing column and rule: ``column 'amount': dtype_is_float failed on
        2 of 3 rows (e.g. 'abc')``."""
        parts = []
        for f in self.failures:
            seen = ", ".join(repr(e) for e in f["examples"][:3])
            example = f" (e.g. {seen})" if seen else ""
            if f["check"] == "column_in_dataframe":
                parts.append(f"column '{f['column']}': column_in_dataframe failed (it is missing)")
                continue
            parts.append(
                f"column '{f['column']}': {f['check']} failed on {f['rows']} of {rows} rows"
                f"{example}"
            )
        return "; ".join(parts)


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 1] + "…"


def _is_real(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
        v, (bool, np.bool_)
    )


def _per_value(s: pd.Series, test) -> np.ndarray:
    return np.fromiter((bool(test(v)) for v in s.to_numpy(dtype=object)), bool, len(s))


def _as_datetime(s: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(s, errors="coerce", format="ISO8601")
    except (TypeError, ValueError):  # mixed time zones, odd objects: one value at a time
        return pd.Series(
            [pd.to_datetime(v, errors="coerce") for v in s.to_numpy(dtype=object)],
            index=s.index,
            dtype=object,
        )


def _numbers_dtype(dtype) -> bool:
    """A dtype that holds numbers (booleans are not numbers here)."""
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _held_as_numbers(spec: ColumnSpec, dtype) -> bool:
    """A number column whose dtype already says every value is of its kind."""
    return (
        spec.kind in ("float", "integer")
        and _numbers_dtype(dtype)
        and not (spec.kind == "integer" and pd.api.types.is_float_dtype(dtype))
    )


def _wrong_type(spec: ColumnSpec, s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(rows whose value is not of the column's kind, the column read for its meaning)."""
    present = s.notna().to_numpy()
    dtype = s.dtype
    none = np.zeros(len(s), bool)
    if spec.kind in ("float", "integer"):
        if not _numbers_dtype(dtype):
            bad = present & ~_per_value(s, _is_real)
            s = pd.to_numeric(s.where(~bad), errors="coerce")
        else:
            bad = none
        if spec.kind == "integer" and pd.api.types.is_float_dtype(s.dtype):
            with np.errstate(invalid="ignore"):
                bad = bad | (present & (s.to_numpy(dtype="float64") % 1 != 0))
        return bad, s
    if spec.kind == "boolean" and not pd.api.types.is_bool_dtype(dtype):
        return present & ~_per_value(s, lambda v: isinstance(v, (bool, np.bool_))), s
    if spec.kind == "string":
        return present & ~_per_value(s, lambda v: isinstance(v, str)), s
    if spec.kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(dtype):
        read = _as_datetime(s)
        return present & read.isna().to_numpy(), read
    return none, s


def _retype(spec: ColumnSpec, s: pd.Series) -> pd.Series:
    """A column of valid rows in its natural dtype (object columns left by a bad row)."""
    if s.dtype != object:
        return s
    if spec.kind in ("float", "integer"):
        return pd.to_numeric(s)
    if spec.kind == "boolean" and s.notna().all():
        return s.astype(bool)
    if spec.kind == "datetime":
        return pd.to_datetime(s)
    return s


def _rule(check: str) -> str:
    if check.startswith(_DTYPE_ERROR):
        return "dtype_is_" + check[len(_DTYPE_ERROR) :]
    return check if len(check) <= _RULE_CHARS else check[: _RULE_CHARS - 1] + "…"


def _normalized(fc: pd.DataFrame) -> pd.DataFrame:
    """Failure cases with the column a schema-level failure is about, and dtype checks named
    ``dtype_is_<kind>`` (pandera reports them by their error text)."""
    fc = fc.copy()
    schema_level = fc["check"].astype(str).isin(_SCHEMA_LEVEL)
    fc.loc[schema_level, "column"] = fc.loc[schema_level, "failure_case"]
    fc["column"] = fc["column"].astype(str)
    fc["check"] = fc["check"].astype(str).map(_rule)
    return fc


def _value_failures(specs: dict[str, ColumnSpec], X: pd.DataFrame) -> list:
    """(column, rule, row positions) for each value rule of the contract that rows of ``X``
    (typed, the contract's columns) break: a missing value where the column is not nullable,
    a number or date outside the range, a value outside the allowed set. The rules and their
    names are ``contract.build_schema``'s, checked with numpy instead of pandera: a one-row
    request takes well under a millisecond instead of several."""
    out = []
    numeric = _numeric_rules(specs, X)  # every plain number column at once
    for name, spec in specs.items():
        if name in numeric:
            missing, outside = numeric[name]
            if not spec.nullable and missing.any():
                out.append((name, "not_nullable", np.flatnonzero(missing)))
            if outside.any():
                out.append((name, f"in_range({spec.low}, {spec.high})", np.flatnonzero(outside)))
            continue
        s = X[name]
        values = s.to_numpy()
        missing = np.asarray(pd.isna(values), dtype=bool)
        if not spec.nullable and missing.any():
            out.append((name, "not_nullable", np.flatnonzero(missing)))
        if spec.kind in ("float", "integer") and spec.low is not None and values.dtype != object:
            x = values.astype("float64")
            with np.errstate(invalid="ignore"):
                outside = ~((x >= float(spec.low)) & (x <= float(spec.high))) & ~missing  # type: ignore[arg-type]
            if outside.any():
                out.append((name, f"in_range({spec.low}, {spec.high})", np.flatnonzero(outside)))
        elif spec.kind in ("float", "integer", "datetime") and spec.low is not None:
            low, high = spec.low, spec.high
            if spec.kind == "datetime":
                low, high = pd.Timestamp(low), pd.Timestamp(high)
            present = s[~missing]
            outside = ~((present >= low) & (present <= high)).to_numpy(dtype=bool)
            if outside.any():
                rows = np.flatnonzero(~missing)[outside]
                out.append((name, f"in_range({spec.low}, {spec.high})", rows))
        if spec.categories is not None and spec.kind in ("category", "string"):
            allowed = set(spec.categories)
            unknown = np.fromiter(
                (not m and v not in allowed for v, m in zip(values, missing)), bool, len(values)
            )
            if unknown.any():
                rule = _rule(f"isin({list(spec.categories)})")
                out.append((name, rule, np.flatnonzero(unknown)))
    return out


def _numeric_rules(
    specs: dict[str, ColumnSpec], X: pd.DataFrame
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{column: (missing, out of range)} for the number columns held as numbers, checked as one
    float block: a request with thousands of columns pays a few array operations, not a pandas
    call per column."""
    dtypes = X.dtypes.to_dict()
    names = [
        n
        for n, spec in specs.items()
        if spec.kind in ("float", "integer") and _numbers_dtype(dtypes[n])
    ]
    if not names:
        return {}
    block = X[names].to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(block)
    low = np.array([-np.inf if specs[n].low is None else float(specs[n].low) for n in names])  # type: ignore[arg-type]
    high = np.array([np.inf if specs[n].high is None else float(specs[n].high) for n in names])  # type: ignore[arg-type]
    bounded = np.array([specs[n].low is not None for n in names])
    with np.errstate(invalid="ignore"):
        outside = ~((block >= low) & (block <= high)) & ~missing & bounded
    return {n: (missing[:, j], outside[:, j]) for j, n in enumerate(names)}


def screen_rows(contract: Contract, frame: pd.DataFrame) -> Screen:
    """Which rows of ``frame`` satisfy ``contract``; see the module docstring for the steps."""
    n = len(frame)
    frame = frame.rename(columns=str)
    specs = {c.name: c for c in contract.columns}
    missing = [name for name in specs if name not in frame.columns]
    if missing:
        why = "; ".join(f"column '{m}': column_in_dataframe failed (missing)" for m in missing)
        absent = tuple(
            {"column": m, "check": "column_in_dataframe", "rows": n, "rate": 1.0, "examples": []}
            for m in missing
        )
        return Screen(frame.iloc[0:0], (why,) * n, absent)

    X = frame[list(specs)].reset_index(drop=True)
    reasons: list[list[str]] = [[] for _ in range(n)]
    failures: list[dict] = []
    bad_any = np.zeros(n, bool)
    dtypes = X.dtypes.to_dict()
    for name, spec in specs.items():
        if _held_as_numbers(spec, dtypes[name]):
            continue  # no pandas call per column for the common case (wide requests)
        column = X[name]
        bad, read = _wrong_type(spec, column)
        if read is not column:  # setting every column would split pandas' blocks each time
            X[name] = read
        if bad.any():
            values = frame[name].to_numpy(dtype=object)
            rule = f"dtype_is_{spec.kind}"
            for i in np.flatnonzero(bad):
                reasons[i].append(f"column '{name}': {rule} failed ({_short(repr(values[i]))})")
            examples = list(dict.fromkeys(_short(values[i]) for i in np.flatnonzero(bad)))[:5]
            count = int(bad.sum())
            failures.append(
                {
                    "column": name,
                    "check": rule,
                    "rows": count,
                    "rate": round(count / n, 6),
                    "examples": examples,
                }
            )
            bad_any |= bad

    keep = np.flatnonzero(~bad_any)
    rest = X.iloc[keep].reset_index(drop=True)
    for name, dtype in rest.dtypes.to_dict().items():
        if pd.api.types.is_object_dtype(dtype):  # a bad row left it as objects: retype it
            rest[name] = _retype(specs[name], rest[name])
    try:  # the contract's value rules, vectorized: what a request pays on every call
        found = _value_failures(specs, rest) if len(rest) else []
    except (TypeError, ValueError):  # values the fast path cannot compare: pandera decides
        found = None
    if found is not None:
        for name, check, rows in found:
            values = rest[name].to_numpy(dtype=object)
            for j in rows:
                reasons[keep[j]].append(f"column '{name}': {check} failed ({_short(values[j])})")
            failures.append(
                {
                    "column": name,
                    "check": check,
                    "rows": len(rows),
                    "rate": round(len(rows) / n, 6),
                    "examples": list(dict.fromkeys(_short(values[j]) for j in rows))[:5],
                }
            )
    fc = validate_frame(contract, rest) if len(rest) and found is None else None
    if fc is not None and len(fc):
        fc = _normalized(fc)
        for column, check, case, at in zip(
            fc["column"], fc["check"], fc["failure_case"], fc["index"]
        ):
            detail = f"column '{column}': {check} failed"
            if pd.isna(at):  # about the whole column: every remaining row
                for i in keep:
                    reasons[i].append(detail)
            else:
                reasons[keep[int(at)]].append(f"{detail} ({_short(case)})")
        failures += summarize_failures(fc, n)
    failures.sort(key=lambda f: -f["rate"])

    joined = tuple("; ".join(r) if r else None for r in reasons)
    good = [i for i in range(n) if joined[i] is None]
    valid = rest.iloc[[int(np.searchsorted(keep, i)) for i in good]].copy()
    valid.index = frame.index[good]
    return Screen(valid, joined, tuple(failures))
