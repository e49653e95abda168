"""contract.holdout: the hold-out data against the contract inferred from training data."""

from __future__ import annotations

from dataclasses import dataclass

from ..contract import validate_frame
from ..profile import null_share_rise
from .registry import CheckContext, Finding, Input, Score, check
from .sections import CONTRACT

#: pandera's checks of the frame's columns (a column missing, one the schema does not know)
FRAME_LEVEL = ("column_in_dataframe", "column_in_schema")


def summarize_failures(failure_cases, rows: int, examples: int = 5) -> list[dict]:
    """Per column and check: how many rows fail, and a few distinct example values."""
    out: list[dict] = []
    if failure_cases is None or len(failure_cases) == 0:
        return out
    fc = failure_cases.copy()
    fc["column"] = fc["column"].astype(str)
    fc["check"] = fc["check"].astype(str)
    for (column, chk), group in fc.groupby(["column", "check"], sort=False):
        if chk in FRAME_LEVEL:  # pandera names the schema; the failure case is the column
            for missing in group["failure_case"].drop_duplicates().head(50):
                out.append(
                    {
                        "column": str(missing),
                        "check": chk,
                        "rows": rows,
                        "rate": 1.0,
                        "examples": [str(missing)[:80]],
                    }
                )
            continue
        row_level = group["index"].notna().sum()
        count = int(row_level) if row_level else int(rows)
        values = [str(v)[:80] for v in group["failure_case"].drop_duplicates().head(examples)]
        out.append(
            {
                "column": column,
                "check": chk,
                "rows": count,
                "rate": round(count / rows, 6) if rows else 0.0,
                "examples": values,
            }
        )
    out.sort(key=lambda r: -r["rate"])
    return out


MIN_ROWS_TO_FAIL = 5
NULL_RATE = "null_rate_above_training"
# pandera names a failed check by its error message ("column values must be integer") or its name
STRUCTURAL = ("dtype_is", "column values must be ", "column_in_", "column_in_dataframe")


def null_rate_rises(contract, X, policy) -> list[dict]:
    """Nullable columns whose share of missing values in ``X`` is significantly above the
    training share the contract recorded, by at least ``policy.drift_null_warn``."""
    out = []
    for spec in contract.columns:
        if not spec.nullable or spec.name not in X.columns or not len(X):
            continue  # a non-nullable column is enforced by the schema itself
        missing = X[spec.name].isna()
        rise, real = null_share_rise(spec.null_fraction, 0, float(missing.mean()), len(X))
        if real and rise >= policy.drift_null_warn:
            out.append(
                {
                    "column": spec.name,
                    "check": NULL_RATE,
                    "rows": int(missing.sum()),
                    "rate": round(float(missing.mean()), 6),
                    "rise": round(rise, 6),
                    "examples": [f"training {spec.null_fraction:.1%} missing"],
                }
            )
    return out


@dataclass(frozen=True)
class ContractJudgement:
    """A frame against the contract: every violation (per column and rule, worst first), the
    structural ones (a missing column, a wrong type), and those frequent enough to fail."""

    failures: list[dict]
    structural: list[dict]
    too_many: list[dict]

    @property
    def status(self) -> str:
        if self.structural or self.too_many:
            return "fail"
        return "warn" if self.failures else "pass"

    def describe(self, top: int = 3) -> str:
        return "; ".join(
            f"'{f['column']}' {f['check']}: {f['rows']:,} rows ({f['rate']:.2%}), "
            f"e.g. {f['examples'][:3]}"
            for f in self.failures[:top]
        )


def is_structural(failure: dict) -> bool:
    """A violation of the frame's shape (a column missing or extra, a wrong type), not of a
    value: the model cannot be fed the frame as it is."""
    return failure["check"].startswith(STRUCTURAL) or failure["column"] in ("None", "nan")


def judge_contract(contract, X, policy) -> ContractJudgement:
    """``X`` against ``contract`` under ``policy`` (see :func:`judge_failures`)."""
    return judge_failures(
        summarize_failures(validate_frame(contract, X), len(X)),
        null_rate_rises(contract, X, policy),
        policy,
    )


def judge_failures(failures: list[dict], nulls: list[dict], policy) -> ContractJudgement:
    """The decision on violations found (by pandera, or by Spark's exact counts): a value
    outside the range / allowed set fails when it is frequent (above
    ``contract_max_failure_rate`` and at least ``MIN_ROWS_TO_FAIL`` rows, so one unusual row in
    50 is a warning, not a verdict); a nullable column whose missing values rose far above
    training's share (``drift_null_fail``) fails; a structural violation always fails."""
    failures = sorted(failures + nulls, key=lambda f: -f["rate"])
    limit = policy.contract_max_failure_rate
    too_many = [
        f
        for f in failures
        if f["check"] != NULL_RATE and f["rate"] > limit and f["rows"] >= MIN_ROWS_TO_FAIL
    ]
    too_many += [f for f in nulls if f["rise"] >= policy.drift_null_fail]
    structural = [f for f in failures if is_structural(f)]
    # a column of the wrong type fails its value rules too (a range compared with text): the
    # type is the finding, the rest is noise
    retyped = {f["column"] for f in structural}
    failures = [f for f in failures if is_structural(f) or f["column"] not in retyped]
    too_many = [f for f in too_many if is_structural(f) or f["column"] not in retyped]
    return ContractJudgement(failures, structural, too_many)


@check(
    "contract.holdout",
    section=CONTRACT,
    needs=(Input.HOLDOUT,),
    on_spark="exact",
    scores=(
        Score(
            "data-1",
            "auto",
            "A contract (types, ranges, allowed values, nullability) is "
            "inferred from training data, saved as contract.py / contract.yaml and enforced on "
            "the hold-out.",
        ),
        Score(
            "monitoring-2",
            "auto",
            "The invariants inferred from training data (the contract) are checked on the "
            "hold-out.",
        ),
    ),
)
def contract_holdout(ctx: CheckContext) -> Finding:
    """Does the hold-out data satisfy the contract inferred from training data?"""
    X = ctx.holdout.X
    spark = ctx.holdout.spark
    engine: dict = {}
    if spark is not None:  # every row, exactly, in a bounded number of Spark jobs
        from ..spark.contract import spark_judge_contract
        from ..spark.inputs import require_all_rows

        judged, counted = spark_judge_contract(
            ctx.contract, spark.frame.select(*[f"`{c}`" for c in spark.features]), ctx.policy
        )
        require_all_rows(counted.rows, spark.rows, "the contract check over the hold-out")
        rows, columns = counted.rows, len(spark.features)
        engine = {"name": "spark", "jobs": counted.jobs, "seconds": round(counted.seconds, 3)}
    else:
        judged = judge_contract(ctx.contract, X, ctx.policy)
        rows, columns = len(X), len(X.columns)
    failures = judged.failures
    limit = ctx.policy.contract_max_failure_rate
    evidence = {
        "rows": rows,
        "columns": columns,
        "failures": failures[:50],
        "max_failure_rate": limit,
    }
    if engine:
        evidence["engine"] = engine
    if not failures:
        return Finding(
            "pass",
            f"All {rows:,} hold-out rows satisfy the contract "
            f"({len(ctx.contract.columns)} columns).",
            evidence,
        )
    desc = judged.describe()
    remedy = (
        "If the hold-out is right, the training data did not cover production: retrain on "
        "representative data or widen the contract (range_margin, max_categories). If the "
        "hold-out is wrong, fix the upstream feed."
    )
    if judged.status == "fail":
        return Finding(
            "fail",
            f"{len(failures)} contract violation(s) on the hold-out, worst: {desc}.",
            evidence,
            remedy=remedy,
        )
    return Finding(
        "warn",
        f"A few hold-out rows fall outside the contract (each column ≤ {limit:.0%} "
        f"or fewer than {MIN_ROWS_TO_FAIL} rows): {desc}.",
        evidence,
        remedy=remedy,
    )
