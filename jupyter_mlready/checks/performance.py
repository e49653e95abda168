"""Performance checks: the trivial baseline, the policy's thresholds, the current champion."""

from __future__ import annotations

from ..metrics import baseline_metrics, compute_metrics, improvement, primary_metrics
from ..policy import LOWER_IS_BETTER
from . import CheckContext, Finding, check, skip


def model_metrics(ctx: CheckContext) -> dict:
    """Hold-out metrics of the model, computed once per run."""

    def compute():
        y = ctx.holdout.y
        proba = ctx.holdout_proba() if ctx.task == "classification" else None
        return compute_metrics(ctx.task, y, ctx.holdout_predictions(), proba, ctx.model.classes)

    return ctx.cached("model_metrics", compute)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


@check("performance.baseline")
def baseline(ctx: CheckContext) -> Finding:
    """Does the model beat a trivial baseline on a metric that fits the task and the class balance?"""
    if ctx.holdout.y is None or ctx.train.y is None:
        return skip("No target for the training or hold-out data, so no metric can be computed.")
    ours = model_metrics(ctx)
    base, name = baseline_metrics(ctx.task, ctx.train.y, ctx.holdout.y, ctx.model.classes)
    margin = ctx.policy.baseline_min_improvement
    rows, losing = [], []
    for metric in primary_metrics(ctx.task, ours):
        if metric not in ours or metric not in base:
            continue
        gain = improvement(metric, ours[metric], base[metric])
        rows.append(
            {
                "metric": metric,
                "model": ours[metric],
                "baseline": base[metric],
                "improvement": gain,
                "required": margin,
            }
        )
        if gain < margin:
            losing.append(metric)
    evidence = {
        "baseline": name,
        "comparisons": rows,
        "model_metrics": ours,
        "baseline_metrics": base,
    }
    if "accuracy" in ours:
        evidence["note"] = (
            f"Accuracy is not used to decide: the majority-class baseline already "
            f"reaches {base['accuracy']:.1%} here."
        )
    if not rows:
        return skip("No metric fits both the model and the baseline.", **evidence)
    if losing:
        worst = next(r for r in rows if r["metric"] == losing[0])
        return Finding(
            "fail",
            f"The model does not beat the {name} baseline on {', '.join(losing)} "
            f"({worst['metric']}: model {_fmt(worst['model'])} vs baseline {_fmt(worst['baseline'])}, "
            f"needs +{margin}).",
            evidence,
            remedy="Check the features carry signal (leakage of noise, wrong target, broken "
            "preprocessing); for imbalanced classes use class weights or resampling.",
        )
    parts = ", ".join(f"{r['metric']} {_fmt(r['model'])} vs {_fmt(r['baseline'])}" for r in rows)
    return Finding("pass", f"Beats the {name} baseline: {parts}.", evidence)


@check("performance.thresholds")
def thresholds(ctx: CheckContext) -> Finding:
    """Do the hold-out metrics meet the policy's thresholds?"""
    if ctx.holdout.y is None:
        return skip("No hold-out target, so no metric can be computed.")
    ours = model_metrics(ctx)
    bounds = ctx.policy.threshold_for(ctx.task, ctx.model.has_proba)
    rows, failing, unknown = [], [], []
    for metric, bound in bounds.items():
        if metric not in ours:
            unknown.append(metric)
            continue
        lower = metric in LOWER_IS_BETTER
        ok = ours[metric] <= bound if lower else ours[metric] >= bound
        rows.append(
            {
                "metric": metric,
                "value": ours[metric],
                "bound": bound,
                "direction": "max" if lower else "min",
                "ok": bool(ok),
            }
        )
        if not ok:
            failing.append(metric)
    evidence = {"thresholds": rows, "model_metrics": ours, "unavailable": unknown}
    if not rows:
        return skip(
            f"None of the policy's thresholds ({', '.join(bounds) or 'none'}) apply to this "
            f"model's metrics ({', '.join(ours)}).",
            **evidence,
        )
    if failing:
        desc = "; ".join(
            f"{r['metric']} {_fmt(r['value'])} {'>' if r['direction'] == 'max' else '<'} "
            f"{_fmt(r['bound'])}"
            for r in rows
            if not r["ok"]
        )
        return Finding(
            "fail",
            f"Below the policy's thresholds: {desc}.",
            evidence,
            remedy="Improve the model, or change the threshold in [tool.mlready.thresholds] "
            "if the policy was wrong (a reviewer should agree).",
        )
    desc = ", ".join(f"{r['metric']} {_fmt(r['value'])}" for r in rows)
    return Finding("pass", f"Meets every threshold: {desc}.", evidence)


@check("performance.champion")
def champion(ctx: CheckContext) -> Finding:
    """Is the candidate at least as good as the version that holds the `ready` alias, on the same hold-out?"""
    champ = ctx.extras.get("champion")
    if champ is None:
        reason = ctx.extras.get("champion_reason") or "No model version holds the ready alias yet."
        return skip(reason)
    if ctx.holdout.y is None:
        return skip("No hold-out target, so the models cannot be compared.")
    ours = model_metrics(ctx)
    pred = champ.predict(ctx.holdout.X)
    proba = champ.predict_proba(ctx.holdout.X) if ctx.task == "classification" else None
    theirs = compute_metrics(ctx.task, ctx.holdout.y, pred, proba, champ.classes)
    allowed = ctx.policy.champion_max_regression
    rows, worse = [], []
    for metric in primary_metrics(ctx.task, ours):
        if metric in ours and metric in theirs:
            gain = improvement(metric, ours[metric], theirs[metric])
            rows.append(
                {
                    "metric": metric,
                    "candidate": ours[metric],
                    "champion": theirs[metric],
                    "change": gain,
                    "allowed_regression": allowed,
                }
            )
            if gain < -allowed:
                worse.append(metric)
    evidence = {"champion": ctx.extras.get("champion_uri"), "comparisons": rows}
    if worse:
        return Finding(
            "fail",
            f"Worse than the champion {ctx.extras.get('champion_uri')} on "
            f"{', '.join(worse)} beyond the allowed {allowed}.",
            evidence,
            remedy="Keep the champion, or raise champion_max_regression if the trade-off is intended.",
        )
    desc = ", ".join(f"{r['metric']} {_fmt(r['candidate'])} vs {_fmt(r['champion'])}" for r in rows)
    return Finding(
        "pass",
        f"At least as good as the champion {ctx.extras.get('champion_uri')}: {desc}.",
        evidence,
    )
