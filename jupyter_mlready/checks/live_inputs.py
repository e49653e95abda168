"""``mlready monitor``'s input checks: a live batch against the contract and against the training
profile stored in the bundle (no training rows needed).

A Spark batch (``Dataset.spark``) is checked on Spark over every row: the contract's counts in
one aggregate job (``spark.contract``), drift from mergeable per-partition counts in one action
(``spark.profile``); only the format-drift examples (a number column arriving as text) read the
batch's seeded sample, and say so."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .contract_holdout import MIN_ROWS_TO_FAIL, judge_contract
from .drift import drift_finding, drift_thresholds, drift_view, feature_drift, spark_drift
from .registry import CheckContext, Finding, Input, Score, Section, check

LIVE_INPUTS = Section(
    "live_inputs",
    "Live batch: contract and drift",
    "The batch against the contract inferred from training data (types, ranges, categories, "
    "missing values) and against the training profile stored with the model version (PSI and "
    "KS effect sizes, the change in each column's share of missing values).",
    order=15,
)

#: a numeric or date column arriving as text is named as format drift when at least this share
#: of its non-missing values parse as numbers (dates)
PARSE_SHARE = 0.9


def _parse_share(values: pd.Series, kind: str) -> float:
    text = values.dropna().astype(str).str.strip()
    if not len(text):
        return 0.0
    if kind == "datetime":
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    else:
        parsed = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    return float(parsed.notna().mean())


def format_drift(contract, X: pd.DataFrame) -> list[dict]:
    """Columns whose values arrive in another format than training's: numbers or dates sent as
    text (most values parse), with examples. The contract's type check fails on them too; this
    says why, in the words an engineer searches the feed for."""
    out = []
    for spec in contract.columns:
        if spec.kind not in ("float", "integer", "datetime") or spec.name not in X.columns:
            continue
        s = X[spec.name]
        is_text = s.dtype == object or pd.api.types.is_string_dtype(s.dtype)
        if not is_text or not s.notna().any():
            continue
        share = _parse_share(s, spec.kind)
        if share >= PARSE_SHARE:
            what = "dates" if spec.kind == "datetime" else "numbers"
            out.append(
                {
                    "column": spec.name,
                    "format": f"{what}_as_text",
                    "parses": round(share, 4),
                    "examples": [repr(v)[:60] for v in s.dropna().unique()[:3]],
                    "summary": f"'{spec.name}' arrives as text ({what} as strings, e.g. "
                    f"{', '.join(repr(v)[:30] for v in s.dropna().unique()[:2])})",
                }
            )
    return out


def missing_columns(contract, X: pd.DataFrame) -> list[str]:
    return [c.name for c in contract.columns if c.name not in X.columns]


def spark_live_judgement(ctx: CheckContext) -> tuple[Any, int, dict]:
    """The Spark batch against the contract, every row (one aggregate job plus a few bounded
    example jobs), computed once per run: (judgement, rows counted, engine evidence).

    Raises:
        RuntimeError: the rows counted differ from the batch's recorded count (fail closed).
    """

    def compute() -> tuple[Any, int, dict]:
        from ..spark.contract import spark_judge_contract
        from ..spark.inputs import require_all_rows

        spark = ctx.live_batch.spark
        present = [c.name for c in ctx.contract.columns if c.name in spark.frame.columns]
        judged, counted = spark_judge_contract(
            ctx.contract, spark.frame.select(*[_quoted(c) for c in present]), ctx.policy
        )
        require_all_rows(counted.rows, spark.rows, "the contract check over the batch")
        engine = {"name": "spark", "jobs": counted.jobs, "seconds": round(counted.seconds, 3)}
        return judged, counted.rows, engine

    judged, rows, engine = ctx.cached("live_spark_judgement", compute)
    return judged, rows, dict(engine)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@check(
    "monitor.contract",
    section=LIVE_INPUTS,
    runs_in=("monitor",),
    needs=(Input.LIVE_BATCH,),
    scores=(
        Score(
            "monitoring-2",
            "auto",
            "Each live batch is validated against the contract inferred from training data.",
        ),
    ),
)
def live_contract(ctx: CheckContext) -> Finding:
    """Does the live batch satisfy the contract: columns, types, ranges, categories, missing
    values?"""
    X = ctx.live_batch.X
    spark = ctx.live_batch.spark
    formats = format_drift(ctx.contract, X)
    missing = missing_columns(ctx.contract, X)
    limit = ctx.policy.contract_max_failure_rate
    engine: dict = {}
    if spark is not None:
        judged, rows, engine = spark_live_judgement(ctx)
        if formats:
            engine["format_drift"] = f"examples from {spark.describe_sample()}"
    else:
        judged, rows = judge_contract(ctx.contract, X, ctx.policy), len(X)
    evidence = {
        "rows": rows,
        "columns": len(X.columns),
        "failures": judged.failures[:50],
        "format_drift": formats,
        "missing_columns": missing,
        "max_failure_rate": limit,
    }
    if engine:
        evidence["engine"] = engine
    if not judged.failures:
        return Finding(
            "pass",
            f"All {rows:,} rows of the batch satisfy the contract "
            f"({len(ctx.contract.columns)} columns).",
            evidence,
        )
    parts = []
    if missing:
        parts.append(f"missing column(s): {', '.join(repr(c) for c in missing[:10])}")
    parts += [f["summary"] for f in formats[:5]]
    named = set(missing) | {f["column"] for f in formats}
    rest = [f for f in judged.failures if f["column"] not in named]
    if rest:
        parts.append(
            "; ".join(
                f"'{f['column']}' {f['check']}: {f['rows']:,} rows ({f['rate']:.2%}), "
                f"e.g. {f['examples'][:3]}"
                for f in rest[:3]
            )
        )
    desc = "; ".join(parts)
    remedy = (
        "Fix the upstream feed (a column renamed, retyped or gone quiet), or, if production "
        "really changed, retrain on data that covers it and check the notebook again."
    )
    if judged.status == "fail":
        return Finding(
            "fail",
            f"{len(judged.failures)} contract violation(s) in the batch: {desc}.",
            evidence,
            remedy=remedy,
        )
    return Finding(
        "warn",
        f"A few rows of the batch fall outside the contract (each column ≤ {limit:.0%} or "
        f"fewer than {MIN_ROWS_TO_FAIL} rows): {desc}.",
        evidence,
        remedy=remedy,
    )


def _live_drift_table(check: dict, doc: dict):
    return drift_view(check, "this batch", "live-drift")


@check(
    "monitor.drift",
    section=LIVE_INPUTS,
    runs_in=("monitor",),
    needs=(Input.LIVE_BATCH, Input.REFERENCE_PROFILE),
    scores=(
        Score(
            "monitoring-3",
            "partial",
            "Each live batch is compared with the training profile stored with the version.",
        ),
    ),
    view=_live_drift_table,
)
def live_drift(ctx: CheckContext) -> Finding:
    """How far has each feature of the live batch moved from training (PSI and KS effect sizes,
    the share of missing values)?

    The same rules as the gate's ``drift.train_holdout``, against the training profile stored in
    the bundle: effect sizes corrected for sampling noise, so a 1M-row batch does not turn a
    negligible shift into an alert and a 100-row batch does not turn noise into one."""
    p = ctx.policy
    X = ctx.live_batch.X
    spark = ctx.live_batch.spark
    profile = ctx.reference_profile or {}
    engine: dict = {}
    if spark is not None:
        from ..spark.inputs import require_all_rows

        rows, engine = spark_drift(profile, spark.frame, p)
        if rows:
            require_all_rows(engine["rows"], spark.rows, "the drift comparison of the batch")
        batch_rows = spark.rows
    else:
        rows, batch_rows = feature_drift(profile, X, p), len(X)
    evidence = {
        "features": rows,
        "thresholds": drift_thresholds(p),
        "train_rows_profiled": profile.get("rows"),
        "batch_rows": batch_rows,
    }
    if engine:
        evidence["engine"] = engine
    remedy = (
        "Find what changed upstream (a new source, a pipeline change, a new population). If "
        "production really moved, retrain on recent data and check the notebook again."
    )
    return drift_finding(rows, evidence, remedy, " from training")
