"""Contract: a pandera schema inferred from the training features, then tightened.

Tightening, relative to ``pandera.infer_schema``:
- ``coerce=False``: numbers sent as strings fail instead of being silently converted;
- dtype families instead of exact dtypes (int32 vs int64 is not drift; "3.5" for a float is);
- text columns with at most ``policy.max_categories`` values get an allowed-values (isin) check;
- numeric / date ranges are the training [min, max] widened by ``policy.range_margin`` of the
  width on each side, never below 0 for a column that was never negative;
- nullable only where training had nulls.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .policy import Policy
from .records import ColumnSpec, Contract, Subject

KINDS = ("float", "integer", "boolean", "category", "string", "datetime")


def column_kind(s: pd.Series) -> str:
    """One of KINDS for a pandas column."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(s.dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(s.dtype):
        return "integer"
    if pd.api.types.is_float_dtype(s.dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if s.dtype == object and _inferred(s) == "boolean":  # object column holding only bools
        return "boolean"
    return "string"


def _inferred(s: pd.Series) -> str:
    """pandas' C-speed scan of an object column: "string", "boolean", "empty", "mixed", ..."""
    return pd.api.types.infer_dtype(s, skipna=True)


def _numeric_spec(name: str, s: pd.Series, kind: str, policy: Policy) -> ColumnSpec:
    values = s.to_numpy(dtype="float64", na_value=np.nan)
    finite = values[np.isfinite(values)]
    nulls = float(np.isnan(values).mean()) if len(values) else 0.0
    if len(finite) == 0:
        return ColumnSpec(name, kind, str(s.dtype), nullable=True, null_fraction=nulls)
    lo, hi = float(finite.min()), float(finite.max())
    return numeric_range_spec(name, kind, str(s.dtype), lo, hi, bool(s.isna().any()), nulls, policy)


def numeric_range_spec(
    name: str,
    kind: str,
    dtype: str,
    lo: float,
    hi: float,
    nullable: bool,
    nulls: float,
    policy: Policy,
) -> ColumnSpec:
    """A number column's spec from its training [``lo``, ``hi``]: the allowed range widened by
    ``range_margin`` of the width on each side, never below 0 for a column never negative."""
    width = hi - lo if hi > lo else max(abs(hi), 1.0)
    low, high = lo - policy.range_margin * width, hi + policy.range_margin * width
    if lo >= 0:
        low = max(low, 0.0)
    if kind == "integer":
        low, high = float(np.floor(low)), float(np.ceil(high))
    return ColumnSpec(
        name,
        kind,
        dtype,
        nullable=nullable,
        null_fraction=nulls,
        min=lo,
        max=hi,
        low=low,
        high=high,
        positive_only=bool(lo > 0),
        non_negative=bool(lo >= 0),
    )


def _datetime_spec(name: str, s: pd.Series, policy: Policy) -> ColumnSpec:
    non_null = s.dropna()
    nulls = float(s.isna().mean()) if len(s) else 0.0
    if non_null.empty:
        return ColumnSpec(name, "datetime", str(s.dtype), True, nulls)
    return datetime_range_spec(
        name, str(s.dtype), non_null.min(), non_null.max(), bool(s.isna().any()), nulls, policy
    )


def datetime_range_spec(
    name: str,
    dtype: str,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    nullable: bool,
    nulls: float,
    policy: Policy,
) -> ColumnSpec:
    """A date/time column's spec from its training [``lo``, ``hi``], widened as numbers are."""
    width = (hi - lo) if hi > lo else pd.Timedelta(days=1)
    low, high = lo - policy.range_margin * width, hi + policy.range_margin * width
    return ColumnSpec(
        name,
        "datetime",
        dtype,
        nullable,
        nulls,
        min=lo.isoformat(),
        max=hi.isoformat(),
        low=low.isoformat(),
        high=high.isoformat(),
    )


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def infer_column(name: str, s: pd.Series, policy: Policy) -> ColumnSpec:
    kind = column_kind(s)
    nullable = bool(s.isna().any())
    nulls = float(s.isna().mean()) if len(s) else 0.0
    if kind in ("float", "integer"):
        return _numeric_spec(name, s, kind, policy)
    if kind == "datetime":
        return _datetime_spec(name, s, policy)
    if kind == "boolean":
        return ColumnSpec(name, kind, str(s.dtype), nullable, nulls, categories=(False, True))
    if kind == "category":
        # a declared domain is the allowed-values list, unless it is an identifier's (ten times
        # max_categories): a 100k-value list would bloat every contract file and check nothing
        domain = s.dtype.categories
        cats = (
            tuple(_plain(c) for c in domain) if len(domain) <= 10 * policy.max_categories else None
        )
        return ColumnSpec(name, kind, str(s.dtype), nullable, nulls, categories=cats)
    values = s.dropna().unique()
    seen: tuple | None = None
    plain = all(isinstance(_plain(v), (str, int, float, bool)) for v in values[:1000])
    if len(values) <= policy.max_categories and plain:  # JSON/YAML-plain values only
        seen = tuple(sorted((_plain(v) for v in values), key=str))
    return ColumnSpec(name, "string", str(s.dtype), nullable, nulls, categories=seen)


def _dtype_check(kind: str):
    import pandera.pandas as pa

    tests = {
        "float": lambda s: (
            pd.api.types.is_float_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype)
        ),
        "integer": lambda s: (
            pd.api.types.is_integer_dtype(s.dtype)
            or (pd.api.types.is_float_dtype(s.dtype) and bool(((s.dropna() % 1) == 0).all()))
        ),
        # infer_dtype scans object columns in C (a Python isinstance per value took seconds at
        # 1M rows)
        "boolean": lambda s: (
            pd.api.types.is_bool_dtype(s.dtype) or _inferred(s) in ("boolean", "empty")
        ),
        "category": lambda s: True,
        "string": lambda s: _inferred(s) in ("string", "empty"),
        "datetime": lambda s: pd.api.types.is_datetime64_any_dtype(s.dtype),
    }
    return pa.Check(
        tests[kind],
        element_wise=False,
        name=f"dtype_is_{kind}",
        error=f"column values must be {kind}",
    )


def build_schema(columns: tuple[ColumnSpec, ...]):
    """The pandera DataFrameSchema (coerce=False, strict) for a tuple of ColumnSpecs."""
    import pandera.pandas as pa

    cols = {}
    for c in columns:
        checks = [_dtype_check(c.kind)]
        if c.kind in ("float", "integer") and c.low is not None:
            checks.append(pa.Check.in_range(c.low, c.high, ignore_na=True))
        elif c.kind == "datetime" and c.low is not None:
            checks.append(
                pa.Check.in_range(pd.Timestamp(c.low), pd.Timestamp(c.high), ignore_na=True)
            )
        if c.categories is not None and c.kind in ("category", "string"):
            checks.append(pa.Check.isin(list(c.categories), ignore_na=True))
        cols[c.name] = pa.Column(None, checks=checks, nullable=c.nullable, required=True)
    return pa.DataFrameSchema(cols, coerce=False, strict=True, name="mlready_contract")


def infer_contract(subject: Subject, policy: Policy) -> Contract:
    """Infer the tightened contract from the training features."""
    X = subject.train.X
    specs = tuple(infer_column(str(name), X[name], policy) for name in X.columns)
    return Contract(
        columns=specs,
        schema=build_schema(specs),
        range_margin=policy.range_margin,
        max_categories=policy.max_categories,
    )


def contract_from_dict(d: dict) -> Contract:
    specs = tuple(ColumnSpec.from_dict(c) for c in d["columns"])
    return Contract(
        columns=specs,
        schema=None,  # built on first use (Contract.pandera_schema)
        range_margin=d["range_margin"],
        max_categories=d["max_categories"],
    )


def load_contract(path: str | Path) -> Contract:
    return contract_from_dict(json.loads(Path(path).read_text()))


def contract_source(contract: Contract) -> str:
    """Readable Python that rebuilds the same pandera schema (for review and for services)."""
    lines = [
        '"""Data contract inferred by jupyter_mlready from the training features.',
        "",
        f"Ranges are the training [min, max] widened by {contract.range_margin:.0%} of the width "
        "on each",
        "side; allowed values come from training; coerce=False so numbers sent as strings fail.",
        '"""',
        "import pandas as pd",
        "import pandera.pandas as pa",
        "",
        "",
        "def _kind(name, test):",
        "    return pa.Check(test, element_wise=False, name=f'dtype_is_{name}')",
        "",
        "",
        "IS_FLOAT = _kind('float', lambda s: pd.api.types.is_float_dtype(s.dtype) "
        "or pd.api.types.is_integer_dtype(s.dtype))",
        "IS_INTEGER = _kind('integer', lambda s: pd.api.types.is_integer_dtype(s.dtype) "
        "or (pd.api.types.is_float_dtype(s.dtype) "
        "and bool(((s.dropna() % 1) == 0).all())))",
        "IS_BOOLEAN = _kind('boolean', lambda s: pd.api.types.is_bool_dtype(s.dtype) "
        "or bool(s.dropna().map(lambda v: isinstance(v, bool)).all()))",
        "IS_CATEGORY = _kind('category', lambda s: True)",
        "IS_STRING = _kind('string', "
        "lambda s: bool(s.dropna().map(lambda v: isinstance(v, str)).all()))",
        "IS_DATETIME = _kind('datetime', lambda s: pd.api.types.is_datetime64_any_dtype(s.dtype))",
        "",
        "schema = pa.DataFrameSchema(",
        "    {",
    ]
    for c in contract.columns:
        checks = [f"IS_{c.kind.upper()}"]
        if c.kind in ("float", "integer") and c.low is not None:
            checks.append(f"pa.Check.in_range({c.low!r}, {c.high!r}, ignore_na=True)")
        elif c.kind == "datetime" and c.low is not None:
            checks.append(
                f"pa.Check.in_range(pd.Timestamp({c.low!r}), pd.Timestamp({c.high!r}), "
                "ignore_na=True)"
            )
        if c.categories is not None and c.kind in ("category", "string"):
            checks.append(f"pa.Check.isin({list(c.categories)!r}, ignore_na=True)")
        comment = f"  # training: {c.dtype}, nulls {c.null_fraction:.1%}"
        lines.append(
            f"        {c.name!r}: pa.Column(None, checks=[{', '.join(checks)}], "
            f"nullable={c.nullable}),{comment}"
        )
    lines += [
        "    },",
        "    coerce=False,",
        "    strict=True,",
        "    name='mlready_contract',",
        ")",
        "",
    ]
    return "\n".join(lines)


def write_contract(contract: Contract, out: Path) -> dict[str, Path]:
    """Write contract.json (authoritative), contract.yaml (pandera) and contract.py into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "contract.json",
        "yaml": out / "contract.yaml",
        "py": out / "contract.py",
    }
    paths["json"].write_text(json.dumps(contract.to_dict(), indent=2, default=str))
    paths["py"].write_text(contract_source(contract))
    paths["yaml"].write_text(_yaml_text(yaml_schema(contract.columns)))
    return paths


def _yaml_text(schema) -> str:
    """``schema.to_yaml()``, with libyaml's emitter when PyYAML has it (the same text, several
    times faster for a contract of thousands of columns)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", None)
    if dumper is None:
        return schema.to_yaml()
    from pandera.io.pandas_io import serialize_schema

    return yaml.dump(serialize_schema(schema), Dumper=dumper, sort_keys=False)


def yaml_schema(columns: tuple[ColumnSpec, ...]):
    """A pandera schema using only serializable checks, for ``contract.yaml``.

    It pins the exact training dtypes (pandera's own dtype check) where ``build_schema`` accepts
    a dtype family, and leaves date ranges to ``contract.py`` (YAML cannot hold timestamps).
    Load it with ``pandera.pandas.DataFrameSchema.from_yaml``.
    """
    import pandera.pandas as pa

    cols = {}
    for c in columns:
        checks = []
        if c.kind in ("float", "integer") and c.low is not None:
            checks.append(pa.Check.in_range(c.low, c.high))
        if c.categories is not None and c.kind in ("category", "string"):
            checks.append(pa.Check.isin(list(c.categories)))
        dtype = None if c.kind in ("string", "datetime", "category") else c.dtype
        cols[c.name] = pa.Column(dtype, checks=checks, nullable=c.nullable, required=True)
    return pa.DataFrameSchema(cols, coerce=False, strict=True, name="mlready_contract")


def _passing_numeric(contract: Contract, frame: pd.DataFrame) -> set[str]:
    """Plain numeric columns that certainly pass every check of the contract, decided for all of
    them at once: right dtype family, every value inside the range, no missing value unless
    the column is nullable. pandera then validates only the other columns (it checks one column
    at a time: seconds on a frame of thousands of columns)."""
    specs = {
        c.name: c
        for c in contract.columns
        if c.kind in ("float", "integer") and c.low is not None and c.name in frame.columns
    }
    names = [
        n
        for n, d in frame.dtypes.items()
        if n in specs and isinstance(d, np.dtype) and d.kind in "iuf"
    ]
    if not names or not len(frame):
        return set()
    values = frame[names].to_numpy(dtype="float64")
    missing = np.isnan(values)
    low = np.array([float(specs[n].low) for n in names])  # type: ignore[arg-type]
    high = np.array([float(specs[n].high) for n in names])  # type: ignore[arg-type]
    inside = ((values >= low) & (values <= high)) | missing
    ok = inside.all(axis=0)
    ok &= np.array([specs[n].nullable for n in names]) | ~missing.any(axis=0)
    with np.errstate(invalid="ignore"):  # inf % 1: outside the range anyway
        whole = (np.where(missing, 0.0, values) % 1 == 0).all(axis=0)
    integral = (
        np.array([specs[n].kind == "float" or frame.dtypes[n].kind in "iu" for n in names]) | whole
    )
    return {n for n, good in zip(names, ok & integral) if good}


def validate_frame(contract: Contract, frame: pd.DataFrame) -> pd.DataFrame | None:
    """Validate lazily; return pandera's failure_cases frame, or None when the frame conforms.

    When the frame has exactly the contract's columns, the numeric columns that certainly pass
    (``_passing_numeric``) are left out of pandera's run: the same failures, in a fraction of
    the time on a wide frame."""
    import pandera.errors as pe

    schema = contract.pandera_schema()
    if set(map(str, frame.columns)) == {c.name for c in contract.columns}:
        passing = _passing_numeric(contract, frame)
        if passing:  # a schema of the other columns only (select_columns deep-copies all)
            rest = [c for c in frame.columns if c not in passing]
            schema = build_schema(tuple(c for c in contract.columns if c.name not in passing))
            frame = frame[rest]
    try:
        schema.validate(frame, lazy=True)
        return None
    except pe.SchemaErrors as exc:
        return exc.failure_cases
