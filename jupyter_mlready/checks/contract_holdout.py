"""contract.holdout: the hold-out data against the contract inferred from training data."""

from __future__ import annotations

from ..contract import validate_frame
from ..profile import null_share_rise
from .registry import CheckContext, Finding, Input, Score, check
from .sections import CONTRACT


def summarize_failures(failure_cases, rows: int, examples: int = 5) -> list[dict]:
    """Per column and check: how many rows fail, and a few distinct example values."""
    out: list[dict] = []
    if failure_cases is None or len(failure_cases) == 0:
        return out
    fc = failure_cases.copy()
    fc["column"] = fc["column"].astype(str)
    fc["check"] = fc["check"].astype(str)
    for (column, chk), group in fc.groupby(["column", "check"], sort=False):
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


def null_rate_rises(ctx: CheckContext) -> list[dict]:
    """Nullable columns whose share of missing values in the hold-out is significantly above the
    training share the contract recorded, by at least ``policy.drift_null_warn``."""
    X = ctx.holdout.X
    out = []
    for spec in ctx.contract.columns:
        if not spec.nullable or spec.name not in X.columns or not len(X):
            continue  # a non-nullable column is enforced by the schema itself
        missing = X[spec.name].isna()
        rise, real = null_share_rise(spec.null_fraction, 0, float(missing.mean()), len(X))
        if real and rise >= ctx.policy.drift_null_warn:
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


@check(
    "contract.holdout",
    section=CONTRACT,
    needs=(Input.HOLDOUT,),
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
            "partial",
            "The contract holds on the hold-out; contract.py can validate serving inputs.",
        ),
    ),
)
def contract_holdout(ctx: CheckContext) -> Finding:
    """Does the hold-out data satisfy the contract inferred from training data?"""
    X = ctx.holdout.X
    failures = summarize_failures(validate_frame(ctx.contract, X), len(X))
    nulls = null_rate_rises(ctx)
    failures = sorted(failures + nulls, key=lambda f: -f["rate"])
    limit = ctx.policy.contract_max_failure_rate
    evidence = {
        "rows": len(X),
        "columns": len(X.columns),
        "failures": failures[:50],
        "max_failure_rate": limit,
    }
    if not failures:
        return Finding(
            "pass",
            f"All {len(X):,} hold-out rows satisfy the contract "
            f"({len(ctx.contract.columns)} columns).",
            evidence,
        )
    structural = [
        f
        for f in failures
        if f["check"].startswith(("dtype_is", "column_in_", "column_in_dataframe"))
        or f["column"] in ("None", "nan")
    ]
    # a value outside the range / allowed set fails when it is frequent: above the policy's rate
    # and at least MIN_ROWS_TO_FAIL rows, so one unusual row in a 50-row hold-out is a warning,
    # not a verdict
    too_many = [
        f
        for f in failures
        if f["check"] != NULL_RATE and f["rate"] > limit and f["rows"] >= MIN_ROWS_TO_FAIL
    ]
    # a nullable column whose missing values rose far above training's share
    too_many += [f for f in nulls if f["rise"] >= ctx.policy.drift_null_fail]
    top = failures[0]
    desc = "; ".join(
        f"'{f['column']}' {f['check']}: {f['rows']:,} rows ({f['rate']:.2%}), "
        f"e.g. {f['examples'][:3]}"
        for f in failures[:3]
    )
    remedy = (
        "If the hold-out is right, the training data did not cover production: retrain on "
        "representative data or widen the contract (range_margin, max_categories). If the "
        "hold-out is wrong, fix the upstream feed."
    )
    if structural or too_many:
        return Finding(
            "fail",
            f"{len(failures)} contract violation(s) on the hold-out, worst: {desc}.",
            evidence,
            remedy=remedy,
        )
    return (
        Finding(
            "warn",
            f"A few hold-out rows fall outside the contract (each column ≤ {limit:.0%} "
            f"or fewer than {MIN_ROWS_TO_FAIL} rows): "
            f"{desc}.",
            evidence,
            remedy=remedy,
        )
        if top
        else Finding("pass", "", evidence)
    )
