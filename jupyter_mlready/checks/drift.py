"""drift.train_holdout: per-feature distribution shift between training and hold-out."""

from __future__ import annotations

from dataclasses import replace

from ..formatting import fmt_number, truncate
from ..profile import compare_feature, dataset_profile
from ..views import Bar, Cell, Table, View
from .registry import CheckContext, Finding, Input, Score, check
from .sections import DRIFT

MAX_FEATURES_SHOWN = 50


def _level(row: dict, p) -> str:
    psi = row.get("psi") or 0.0
    ks = row.get("ks") or 0.0
    # numeric features: a shift counts only where the KS test also says it is real (small samples)
    sig = row.get("ks_significant", True)
    # a column turning to missing values is drift too (PSI and KS see only the values present)
    nulls = (row.get("null_share_rise") or 0.0) if row.get("null_share_significant") else 0.0
    if sig and (psi >= p.drift_psi_fail or ks >= p.drift_ks_fail) or nulls >= p.drift_null_fail:
        return "fail"
    if sig and (psi >= p.drift_psi_warn or ks >= p.drift_ks_warn) or nulls >= p.drift_null_warn:
        return "warn"
    return "pass"


def _what(r: dict) -> str:
    """What moved, for a summary: PSI, KS, and the missing values when their share rose."""
    parts = [f"PSI {r.get('psi') or 0:.2f}"]
    if r.get("ks") is not None:
        parts.append(f"KS {r['ks']:.2f}")
    if r.get("null_share_significant") and (r.get("null_share_rise") or 0) > 0:
        parts.append(
            f"missing {r.get('null_share_train') or 0:.0%} → {r.get('null_share_holdout') or 0:.0%}"
        )
    return ", ".join(parts)


def _num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _feature_row(f: dict, top: float, ticks: tuple) -> tuple[Cell, ...]:
    psi, ks = _num(f.get("psi")), _num(f.get("ks"))
    status = str(f.get("status") or "pass")
    mean_train, mean_holdout = _num(f.get("mean_train")), _num(f.get("mean_holdout"))
    mean = ""
    if mean_train is not None and mean_holdout is not None and f.get("kind") != "datetime":
        mean = f"{fmt_number(mean_train)} → {fmt_number(mean_holdout)}"
    nulls = (
        f"{fmt_number(_num(f.get('null_share_train')) or 0.0, 'share')} → "
        f"{fmt_number(_num(f.get('null_share_holdout')) or 0.0, 'share')}"
    )
    unseen = _num(f.get("unseen_share"))
    return (
        Cell(truncate(f.get("feature"), 80), status=status),
        Cell(truncate(f.get("kind"), 20), muted=True),
        Cell(fmt_number(psi) if psi is not None else "—"),
        Cell(bar=Bar((psi or 0.0) / top, status, ticks)),
        Cell(fmt_number(ks) if ks is not None else "—"),
        Cell(mean),
        Cell(nulls),
        Cell(fmt_number(unseen, "share") if unseen else ""),
    )


def drift_table(check: dict, doc: dict) -> View:
    """The features with the largest PSI, with a bar against the warn and fail thresholds."""
    return drift_view(check, "hold-out")


def drift_view(
    check: dict, against: str, name: str = "drift", nav: str = "Drift", reference: str = "train"
) -> View:
    """:func:`drift_table` for drift between training and ``against`` (the hold-out, a batch);
    ``name`` and ``nav``: the view's anchor and navigation label (unique in one report)."""
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    summary = truncate(check.get("summary"), 400)
    feats = [f for f in ev.get("features") or [] if isinstance(f, dict)]
    view = View(
        name,
        f"Drift between training and {against}",
        summary=summary,
        check=str(check.get("id")),
        shows=("features",),
        nav=nav,
    )
    if not feats:
        return view
    thresholds = ev.get("thresholds") or {}
    psi_fail = _num(thresholds.get("psi_fail")) or 0.25
    psi_warn = _num(thresholds.get("psi_warn")) or 0.10
    feats = sorted(feats, key=lambda f: -(_num(f.get("psi")) or 0.0))
    shown = feats[:MAX_FEATURES_SHOWN]
    top = max([_num(f.get("psi")) or 0.0 for f in shown] + [psi_fail * 1.2])
    ticks = ((psi_warn / top, "warn"), (psi_fail / top, "fail"))
    columns = (
        "feature",
        "kind",
        "PSI",
        f"PSI (warn {fmt_number(psi_warn)}, fail {fmt_number(psi_fail)})",
        "KS D",
        f"mean {reference} → {against}",
        "nulls",
        "unseen",
    )
    rows = tuple(_feature_row(f, top, ticks) for f in shown)
    notes = []
    if len(feats) > len(shown):
        notes.append(f"Showing the {len(shown)} features with the largest PSI of {len(feats):,}.")
    ks = ""
    if _num(thresholds.get("ks_warn")):
        ks = (
            f" (warn {fmt_number(_num(thresholds.get('ks_warn')))}, fail "
            f"{fmt_number(_num(thresholds.get('ks_fail')))})"
        )
    notes.append(
        f"PSI is corrected for sampling noise; KS D counts only where significant{ks}. "
        "Vertical marks: warn and fail thresholds."
    )
    table = Table(columns, rows, numeric=(2, 4, 5, 6, 7))
    return replace(view, blocks=(table,), notes=tuple(notes))


def feature_drift(profile: dict, X, p) -> list[dict]:
    """Each profiled feature of ``X`` against its training reference, with its status under
    policy ``p``, the largest PSI first. Date/time features cap at "warn": they move by design
    when the split (or time itself) moves on."""
    compared = []
    for col, ref in profile["features"].items():
        if col not in X.columns:
            continue
        compared.append(compare_feature(ref, X[col]) | {"feature": col})
    return judged_drift(compared, p)


def judged_drift(compared: list[dict], p) -> list[dict]:
    """``compare_feature``'s dicts (with their ``feature``), each with its status under policy
    ``p`` (date/time features cap at "warn"), rounded, the largest PSI first."""
    rows = []
    for r in compared:
        level = _level(r, p)
        if r["kind"] == "datetime" and level == "fail":
            level = "warn"
        r["status"] = level
        rows.append({k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()})
    rows.sort(key=lambda r: -(r.get("psi") or 0.0))
    return rows


def spark_drift(profile: dict, frame, p) -> tuple[list[dict], dict]:
    """:func:`feature_drift` of a Spark frame (every row, one Spark action), and its ``engine``
    evidence (rows read, jobs, seconds, what is exact)."""
    from ..spark.profile import spark_feature_drift

    compared, counted = spark_feature_drift(profile, frame)
    return judged_drift(compared, p), counted.engine()


def drift_thresholds(p) -> dict:
    return {
        "psi_warn": p.drift_psi_warn,
        "psi_fail": p.drift_psi_fail,
        "ks_warn": p.drift_ks_warn,
        "ks_fail": p.drift_ks_fail,
        "null_warn": p.drift_null_warn,
        "null_fail": p.drift_null_fail,
    }


def drifted_names(rows: list[dict], top: int = 5) -> str:
    """``'a' (PSI 0.31, KS 0.22), 'b' (...)`` for a summary."""
    return ", ".join(f"'{r['feature']}' ({_what(r)})" for r in rows[:top])


def train_profile(ctx: CheckContext) -> dict:
    """The training reference profile, computed once per run (the bundle stores it): on Spark
    from every training row, else from the pandas frame (``profile.dataset_profile``)."""
    p = ctx.policy
    return ctx.cached(
        "reference_profile", lambda: dataset_profile(ctx.train, p.seed, p.drift_sample_rows)
    )


@check(
    "drift.train_holdout",
    section=DRIFT,
    needs=(Input.TRAIN, Input.HOLDOUT),
    on_spark="sketch",
    scores=(Score("model-4", "related"), Score("monitoring-4", "related")),
    view=drift_table,
)
def train_holdout(ctx: CheckContext) -> Finding:
    """How far has each feature moved between training and hold-out (PSI and KS effect sizes)?

    Decisions use effect sizes, not p-values: PSI minus its sampling-noise floor, and the KS
    statistic D only where it is also significant. So 1M rows do not turn negligible shifts into
    alarms, and 200 rows do not turn noise into one. Date/time features are reported but cap at
    "warn": they move by design when the split is by time.

    On Spark (train and hold-out both Spark frames): the profile from every training row, the
    hold-out compared over every row (mergeable per-partition counts; quantiles sketched): a
    Spark train or hold-out is read whole, never sampled."""
    p = ctx.policy
    profile = ctx.reference_profile or train_profile(ctx)
    hold_spark = ctx.holdout.spark
    evidence: dict = {"thresholds": drift_thresholds(p), "train_rows_profiled": profile["rows"]}
    if hold_spark is not None:
        from ..spark.inputs import require_all_rows

        rows, engine = spark_drift(profile, hold_spark.frame, p)
        require_all_rows(engine["rows"], hold_spark.rows, "the drift comparison of the hold-out")
        evidence.update(holdout_rows=hold_spark.rows)
    else:
        rows = feature_drift(profile, ctx.holdout.X, p)
        evidence.update(holdout_rows=ctx.holdout.rows)
        engine = {"name": "spark", "rows": ctx.holdout.rows} if ctx.train.spark else {}
    if engine and isinstance(profile.get("engine"), dict):
        engine["profile"] = profile["engine"]
    evidence = {"features": rows, **evidence}
    if engine:
        evidence["engine"] = engine
    remedy = (
        "Check how the hold-out was drawn (time window, population, a pipeline change). If "
        "production looks like the hold-out, retrain on data that covers it."
    )
    return drift_finding(rows, evidence, remedy, "")


def drift_finding(rows: list[dict], evidence: dict, remedy: str, what: str) -> Finding:
    """fail when a feature shifted strongly, warn when moderately, else pass; ``what`` names
    the comparison in the summary (" from training")."""
    fails = [r for r in rows if r["status"] == "fail"]
    warns = [r for r in rows if r["status"] == "warn"]
    if fails:
        return Finding(
            "fail",
            f"{len(fails)} feature(s) shifted strongly{what}: {drifted_names(fails)}.",
            evidence,
            remedy=remedy,
        )
    if warns:
        return Finding(
            "warn",
            f"{len(warns)} feature(s) shifted moderately{what}: {drifted_names(warns)}.",
            evidence,
            remedy=remedy,
        )
    top = rows[0] if rows else None
    tail = f" (largest PSI: '{top['feature']}' {top.get('psi') or 0:.3f})" if top else ""
    return Finding(
        "pass",
        f"No feature shifted beyond the thresholds{what} across {len(rows)} features{tail}.",
        evidence,
    )
