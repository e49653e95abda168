"""drift.train_holdout: per-feature distribution shift between training and hold-out."""

from __future__ import annotations

from ..profile import build_profile, compare_feature
from . import CheckContext, Finding, check


def _level(row: dict, p) -> str:
    psi = row.get("psi") or 0.0
    ks = row.get("ks") or 0.0
    # numeric features: a shift counts only where the KS test also says it is real (small samples)
    sig = row.get("ks_significant", True)
    if sig and (psi >= p.drift_psi_fail or ks >= p.drift_ks_fail):
        return "fail"
    if sig and (psi >= p.drift_psi_warn or ks >= p.drift_ks_warn):
        return "warn"
    return "pass"


@check("drift.train_holdout")
def train_holdout(ctx: CheckContext) -> Finding:
    """How far has each feature moved between training and hold-out (PSI and KS effect sizes)?

    Decisions use effect sizes, not p-values: PSI minus its sampling-noise floor, and the KS
    statistic D only where it is also significant. So 1M rows do not turn negligible shifts into
    alarms, and 200 rows do not turn noise into one. Date/time features are reported but cap at
    "warn": they move by design when the split is by time."""
    p = ctx.policy
    profile = ctx.extras.get("reference_profile") or ctx.cached(
        "reference_profile", lambda: build_profile(ctx.train.X, p.seed, p.drift_sample_rows)
    )
    rows = []
    for col, ref in profile["features"].items():
        if col not in ctx.holdout.X.columns:
            continue
        r = compare_feature(ref, ctx.holdout.X[col])
        r["feature"] = col
        level = _level(r, p)
        if r["kind"] == "datetime" and level == "fail":
            level = "warn"
        r["status"] = level
        rows.append({k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()})
    rows.sort(key=lambda r: -(r.get("psi") or 0.0))
    fails = [r for r in rows if r["status"] == "fail"]
    warns = [r for r in rows if r["status"] == "warn"]
    evidence = {
        "features": rows,
        "thresholds": {
            "psi_warn": p.drift_psi_warn,
            "psi_fail": p.drift_psi_fail,
            "ks_warn": p.drift_ks_warn,
            "ks_fail": p.drift_ks_fail,
        },
        "train_rows_profiled": profile["rows"],
        "holdout_rows": ctx.holdout.rows,
    }

    def names(rs):
        return ", ".join(
            f"'{r['feature']}' (PSI {r.get('psi') or 0:.2f}"
            + (f", KS {r['ks']:.2f})" if r.get("ks") is not None else ")")
            for r in rs[:5]
        )

    remedy = (
        "Check how the hold-out was drawn (time window, population, a pipeline change). If "
        "production looks like the hold-out, retrain on data that covers it."
    )
    if fails:
        return Finding(
            "fail",
            f"{len(fails)} feature(s) shifted strongly: {names(fails)}.",
            evidence,
            remedy=remedy,
        )
    if warns:
        return Finding(
            "warn",
            f"{len(warns)} feature(s) shifted moderately: {names(warns)}.",
            evidence,
            remedy=remedy,
        )
    top = rows[0] if rows else None
    tail = f" (largest PSI: '{top['feature']}' {top.get('psi') or 0:.3f})" if top else ""
    return Finding(
        "pass",
        f"No feature shifted beyond the thresholds across {len(rows)} features{tail}.",
        evidence,
    )
