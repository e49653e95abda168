"""The data contract checked on a Spark DataFrame (issue 18), never collected to the driver.

The pandas path (``contract.validate_frame`` then ``checks.contract_holdout.summarize_failures``)
runs pandera, which on Spark would run one job per rule. Here the same rules cost a small,
bounded number of jobs:

1. the frame's **schema** (no job): a contract column missing (``column_in_dataframe``), a column
   the contract does not know (``column_in_schema``), a column whose Spark type the contract's
   kind cannot take (``column values must be <kind>``);
2. **one aggregate pass** (one job, however many columns): the row count, every column's missing
   values (null, and NaN for float / double: pandas counts NaN as missing), and for every rule of
   every column the number of rows violating it: ``not_nullable``, ``in_range(low, high)``,
   ``isin([...])``, and the whole-number test of an integer column sent as float / decimal;
3. **examples** only for the value rules that failed, worst first, at most
   ``MAX_EXAMPLE_JOBS`` of them: ``where(rule).select(column).distinct().orderBy(column)
   .limit(examples)``, one job each: it reads the frame once but brings back at most
   ``examples`` values. The other failures' examples need no job (a missing value is shown as
   pandas shows it: ``nan``, ``NaT``, ``None``; a wrong type by the Spark type's name).

The failures have exactly the shape and the check names of the pandas path (pandera's names:
``not_nullable``, ``in_range(4.3, 14.9)``, ``isin(['a', 'b'])``, ``column values must be float``,
``column_in_dataframe``, ``column_in_schema``), so ``judge_contract``'s rules and the report read
them unchanged. The counts are exact: no sample is involved.

pyspark is imported inside the functions only: the module imports without it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..records import ColumnSpec, Contract

if TYPE_CHECKING:  # pragma: no cover
    from ..checks.contract_holdout import ContractJudgement

#: at most this many value rules get example values (one small job each); the others keep []
MAX_EXAMPLE_JOBS = 20
#: summarize_failures lists at most this many missing / unknown columns per frame-level check
FRAME_LEVEL_LISTED = 50

NOT_NULLABLE = "not_nullable"
MISSING_COLUMN = "column_in_dataframe"
UNKNOWN_COLUMN = "column_in_schema"

# Spark type families, by DataType.typeName()
_INTEGRAL = frozenset({"byte", "short", "integer", "long"})
_FLOATING = frozenset({"float", "double"})
_DECIMAL = frozenset({"decimal"})
_NUMERIC = _INTEGRAL | _FLOATING | _DECIMAL
_STRING = frozenset({"string", "varchar", "char"})
_TEMPORAL = frozenset({"date", "timestamp", "timestamp_ntz"})
_NULL = frozenset({"void"})  # a column of untyped nulls: fits every kind
#: types Spark can take distinct values of and sort (examples of others are cast to text)
_ORDERABLE = _NUMERIC | _STRING | _TEMPORAL | frozenset({"boolean"})

#: per contract kind: the Spark types it takes as they are
_ACCEPTS = {
    "float": _NUMERIC | _NULL,  # pandas takes int columns for a float column too
    "integer": _INTEGRAL | _NULL,  # float / decimal: only when every value is whole (checked)
    "boolean": frozenset({"boolean"}) | _NULL,
    "string": _STRING | _NULL,
    "datetime": _TEMPORAL | _NULL,
}
#: integer columns sent as these types pass when every value is a whole number (as in pandas)
_WHOLE_CHECKED = _FLOATING | _DECIMAL


def _missing_shown(type_name: str) -> str:
    """How pandas shows a missing value of this Spark type after ``toPandas()``: the example of
    a ``not_nullable`` failure, as the pandas path shows it."""
    if type_name in _NUMERIC | _STRING:
        return "nan"
    if type_name in ("timestamp", "timestamp_ntz"):
        return "NaT"
    return "None"  # booleans, dates, nested values: an object column


@dataclass(frozen=True)
class SparkContractResult:
    """A Spark frame against a contract: the failures (``summarize_failures``' shape and check
    names, worst first), the exact row count and missing values per contract column, and what
    it cost: ``jobs`` counts the actions run (the aggregate, each example query; with adaptive
    query execution Spark's UI shows each as two jobs, its shuffle stage and its result), and
    ``seconds``."""

    failures: list[dict]
    rows: int
    null_counts: dict[str, int]
    jobs: int
    seconds: float


@dataclass
class _Rule:
    """One rule of one present column, counted in the aggregate pass."""

    column: str
    check: str
    cond: Any  # pyspark Column, true where a row violates the rule; None: the missing values
    order: int  # the failure's place before the stable sort by rate
    shown: list[str] | None = None  # a fixed example; None: fetch distinct violating values
    whole_column: bool = False  # a column-level failure (a dtype test): every row counts
    count: int = 0


def _col(name: str):
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _type_name(data_type: Any) -> str:
    return str(data_type.typeName())


def _missing(name: str, type_name: str):
    """True where pandas would see a missing value: null, and NaN in a float / double column."""
    from pyspark.sql import functions as F

    c = _col(name)
    if type_name in _FLOATING:
        return c.isNull() | F.isnan(c)
    return c.isNull()


def range_name(spec: ColumnSpec) -> str:
    """pandera's name of the column's range check (``build_schema``'s in_range)."""
    if spec.kind == "datetime":
        import pandas as pd

        return f"in_range({pd.Timestamp(spec.low)}, {pd.Timestamp(spec.high)})"
    return f"in_range({spec.low}, {spec.high})"


def isin_name(spec: ColumnSpec) -> str:
    """pandera's name of the column's allowed-values check."""
    return f"isin({list(spec.categories or ())})"


def dtype_name(kind: str) -> str:
    """pandera's name of a failed dtype check (its error message, ``contract._dtype_check``)."""
    return f"column values must be {kind}"


def _has_range(spec: ColumnSpec) -> bool:
    return spec.kind in ("float", "integer", "datetime") and spec.low is not None


def _has_isin(spec: ColumnSpec) -> bool:
    return spec.categories is not None and spec.kind in ("category", "string")


def _range_cond(spec: ColumnSpec, name: str, type_name: str):
    """True where a present value lies outside [low, high] (±inf included, as in pandas)."""
    from pyspark.sql import functions as F

    c = _col(name)
    if spec.kind == "datetime":
        import pandas as pd

        target = "timestamp_ntz" if type_name == "timestamp_ntz" else "timestamp"
        bounds = [
            None if b is None else F.lit(pd.Timestamp(b).isoformat()).cast(target)
            for b in (spec.low, spec.high)
        ]
        value = c.cast("timestamp") if type_name == "date" else c
    else:
        bounds = [None if b is None else F.lit(float(b)) for b in (spec.low, spec.high)]
        value = c
    outside = None
    if bounds[0] is not None:
        outside = value < bounds[0]
    if bounds[1] is not None:
        above = value > bounds[1]
        outside = above if outside is None else (outside | above)
    if outside is None:
        return F.lit(False)
    return ~_missing(name, type_name) & outside


def _allowed(categories: tuple, type_name: str) -> list | None:
    """The allowed values comparable with a Spark column, with Python's equality (pandas'
    ``isin``): text only equals text, numbers equal numbers (True == 1), booleans equal
    booleans (and 0 / 1). None: no value of this type can equal an allowed value."""
    if type_name in _STRING:
        return [c for c in categories if isinstance(c, str)]
    numbers = [c for c in categories if isinstance(c, (bool, int, float)) and not _is_nan(c)]
    if type_name == "boolean":
        return sorted({bool(c) for c in numbers if c in (0, 1)})
    if type_name in _NUMERIC:
        if type_name in _INTEGRAL and all(float(c).is_integer() for c in numbers):
            return sorted({int(c) for c in numbers})
        return sorted({float(c) for c in numbers})
    return None


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _isin_cond(spec: ColumnSpec, name: str, type_name: str):
    """True where a present value is not one of the allowed values."""
    present = ~_missing(name, type_name)
    allowed = _allowed(tuple(spec.categories or ()), type_name)
    if not allowed:  # nothing comparable is allowed: every present value violates
        return present
    return present & ~_col(name).isin(allowed)


def _whole_cond(name: str, type_name: str):
    """True where a present value of an integer column sent as float / decimal is not whole
    (``inf`` is not: pandas' ``inf % 1`` is NaN)."""
    c = _col(name)
    return ~_missing(name, type_name) & ~(c % 1 == 0)


def _failure(column: str, check: str, rows: int, total: int, examples: list[str]) -> dict:
    return {
        "column": column,
        "check": check,
        "rows": int(rows),
        "rate": round(rows / total, 6) if total else 0.0,
        "examples": examples,
    }


def spark_failures(
    contract: Contract,
    frame: Any,
    *,
    examples: int = 5,
    max_example_jobs: int = MAX_EXAMPLE_JOBS,
) -> SparkContractResult:
    """``frame`` (a Spark DataFrame) against ``contract``: what
    ``summarize_failures(validate_frame(contract, X), len(X))`` says of the same rows as pandas,
    from one aggregate job plus at most ``max_example_jobs`` small example jobs."""
    from pyspark.sql import functions as F

    started = time.perf_counter()
    types = {f.name: _type_name(f.dataType) for f in frame.schema.fields}
    known = {c.name for c in contract.columns}
    # decided from the schema alone: a column missing, a column the contract does not know
    frame_level = [
        (n, MISSING_COLUMN)
        for n in [c.name for c in contract.columns if c.name not in types][:FRAME_LEVEL_LISTED]
    ] + [(n, UNKNOWN_COLUMN) for n in [n for n in types if n not in known][:FRAME_LEVEL_LISTED]]

    whole: list[_Rule] = []  # decided from the schema alone: every row of one column
    rules: list[_Rule] = []  # counted by the aggregate pass
    for index, spec in enumerate(contract.columns):
        if spec.name not in types:
            continue
        name, tname = spec.name, types[spec.name]
        order = 4 * index  # the column's rules in schema order: nulls, dtype, range, isin
        if not spec.nullable:
            rules.append(_Rule(name, NOT_NULLABLE, None, order, [_missing_shown(tname)]))
        comparable = True
        accepts = _ACCEPTS.get(spec.kind)  # None: a category column takes any type
        if accepts is not None and tname not in accepts:
            if spec.kind == "integer" and tname in _WHOLE_CHECKED:
                cond = _whole_cond(name, tname)
                rules.append(_Rule(name, dtype_name(spec.kind), cond, order + 1, [tname], True))
            else:
                whole.append(_Rule(name, dtype_name(spec.kind), None, order + 1, [tname], True))
                comparable = False
        if _has_range(spec):
            if not comparable:  # pandas: a TypeError comparing the values with the range
                shown = [f"{tname} values cannot be compared with the range"]
                whole.append(_Rule(name, range_name(spec), None, order + 2, shown, True))
            elif tname not in _NULL:
                cond = _range_cond(spec, name, tname)
                rules.append(_Rule(name, range_name(spec), cond, order + 2))
        if _has_isin(spec) and tname not in _NULL:
            rules.append(_Rule(name, isin_name(spec), _isin_cond(spec, name, tname), order + 3))

    present = [c.name for c in contract.columns if c.name in types]
    exprs = [F.count(F.lit(1)).alias("rows")]
    exprs += [
        F.count(F.when(_missing(n, types[n]), 1)).alias(f"n{i}") for i, n in enumerate(present)
    ]
    exprs += [
        F.count(F.when(r.cond, 1)).alias(f"r{j}") for j, r in enumerate(rules) if r.cond is not None
    ]
    counts = frame.agg(*exprs).collect()[0]  # the one pass over the frame: one row back
    jobs = 1
    rows = int(counts["rows"])
    null_counts = {n: int(counts[f"n{i}"]) for i, n in enumerate(present)}
    for j, rule in enumerate(rules):
        rule.count = null_counts[rule.column] if rule.cond is None else int(counts[f"r{j}"])
    for rule in whole:
        rule.count = rows

    failed = [r for r in rules if r.count] + whole
    # examples of the value rules that failed, worst first, one bounded job each
    wanted = [r for r in failed if r.shown is None]
    wanted.sort(key=lambda r: (-r.count, r.order))
    for rule in wanted[: max_example_jobs if examples > 0 else 0]:
        rule.shown = _examples(frame, rule, types[rule.column], examples)
        jobs += 1
    failed.sort(key=lambda r: r.order)
    failures = [_frame_level(n, chk, rows) for n, chk in frame_level] + [
        _failure(r.column, r.check, rows if r.whole_column else r.count, rows, r.shown or [])
        for r in failed
    ]
    failures.sort(key=lambda f: -f["rate"])
    return SparkContractResult(
        failures=failures,
        rows=rows,
        null_counts=null_counts,
        jobs=jobs,
        seconds=time.perf_counter() - started,
    )


def _frame_level(name: str, check: str, rows: int) -> dict:
    """A column missing from the frame, or unknown to the contract, as summarize_failures shows
    it: every row, rate 1 (even of an empty frame)."""
    return {"column": name, "check": check, "rows": rows, "rate": 1.0, "examples": [name[:80]]}


def _examples(frame: Any, rule: _Rule, type_name: str, k: int) -> list[str]:
    """Up to ``k`` distinct values violating ``rule`` (the smallest, for a stable answer): one
    bounded job."""
    value = _col(rule.column)
    if type_name not in _ORDERABLE:
        value = value.cast("string")
    rows = frame.where(rule.cond).select(value.alias("v")).distinct().orderBy("v").limit(k)
    return [str(r["v"])[:80] for r in rows.collect()]


def spark_null_rate_rises(contract: Contract, result: SparkContractResult, policy: Any) -> list:
    """``checks.contract_holdout.null_rate_rises`` from the exact missing-value counts of
    ``spark_failures``: nullable columns whose share of missing values rose significantly above
    the training share, by at least ``policy.drift_null_warn``."""
    from ..checks.contract_holdout import NULL_RATE
    from ..profile import null_share_rise

    out = []
    rows = result.rows
    for spec in contract.columns:
        if not spec.nullable or spec.name not in result.null_counts or not rows:
            continue
        missing = result.null_counts[spec.name]
        share = missing / rows
        rise, real = null_share_rise(spec.null_fraction, 0, float(share), rows)
        if real and rise >= policy.drift_null_warn:
            out.append(
                {
                    "column": spec.name,
                    "check": NULL_RATE,
                    "rows": int(missing),
                    "rate": round(float(share), 6),
                    "rise": round(rise, 6),
                    "examples": [f"training {spec.null_fraction:.1%} missing"],
                }
            )
    return out


def spark_judge_contract(
    contract: Contract, frame: Any, policy: Any, *, examples: int = 5
) -> tuple[ContractJudgement, SparkContractResult]:
    """``judge_contract`` for a Spark frame: the same decision (pass / warn / fail) from the
    exact counts of ``spark_failures``, and that result (rows, missing values, jobs, seconds)."""
    result = spark_failures(contract, frame, examples=examples)
    nulls = spark_null_rate_rises(contract, result, policy)
    from ..checks.contract_holdout import judge_failures

    return judge_failures(list(result.failures), nulls, policy), result
