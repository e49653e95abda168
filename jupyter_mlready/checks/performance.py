"""Performance checks: the trivial baseline, the policy's thresholds, the current champion."""

from __future__ import annotations

from ..formatting import MAX_LIST, fmt_number, fmt_value, truncate
from ..metrics import baseline_metrics, compute_metrics, improvement, primary_metrics
from ..policy import LOWER_IS_BETTER
from ..views import Cell, Table, View
from .registry import CheckContext, Finding, Input, Score, check, skip
from .sections import PERFORMANCE
from .undecidable import no_target, one_class


def model_metrics(ctx: CheckContext) -> dict:
    """Hold-out metrics of the model, computed once per run."""

    def compute():
        y = ctx.holdout.y
        proba = ctx.holdout_proba() if ctx.task == "classification" else None
        return compute_metrics(ctx.task, y, ctx.holdout_predictions(), proba, ctx.model.classes)

    return ctx.cached("model_metrics", compute)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


@check(
    "performance.baseline",
    section=PERFORMANCE,
    needs=(Input.MODEL,),
    scores=(
        Score("infrastructure-4"),
        Score(
            "model-5",
            "partial",
            "The model is compared with a trivial baseline (class priors / mean) on the hold-out.",
        ),
    ),
)
def baseline(ctx: CheckContext) -> Finding:
    """Does the model beat a trivial baseline on a metric that fits the task and the class
    balance?"""
    undecidable = no_target(ctx) or one_class(ctx)
    if undecidable is not None:
        return undecidable
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
        return Finding(
            "error",
            "Cannot decide: no metric fits both the model and the baseline "
            f"(model: {', '.join(ours) or 'none'}; baseline: {', '.join(base) or 'none'}).",
            evidence,
            remedy="Report this: a task the baseline does not cover is a bug of ours.",
        )
    if losing:
        worst = next(r for r in rows if r["metric"] == losing[0])
        return Finding(
            "fail",
            f"The model does not beat the {name} baseline on {', '.join(losing)} "
            f"({worst['metric']}: model {_fmt(worst['model'])} "
            f"vs baseline {_fmt(worst['baseline'])}, "
            f"needs +{margin}).",
            evidence,
            remedy="Check the features carry signal (leakage of noise, wrong target, broken "
            "preprocessing); for imbalanced classes use class weights or resampling.",
        )
    parts = ", ".join(f"{r['metric']} {_fmt(r['model'])} vs {_fmt(r['baseline'])}" for r in rows)
    return Finding("pass", f"Beats the {name} baseline: {parts}.", evidence)


def _evidence(doc: dict, check_id: str) -> dict:
    for c in doc.get("checks") or []:
        if isinstance(c, dict) and c.get("id") == check_id:
            return raw if isinstance(raw := c.get("evidence"), dict) else {}
    return {}


def metrics_table(check: dict, doc: dict) -> View | None:
    """One row per metric: model value, policy bound, baseline, champion (from performance.*)."""
    thr = raw if isinstance(raw := check.get("evidence"), dict) else {}
    base = _evidence(doc, "performance.baseline")
    champ = _evidence(doc, "performance.champion")
    model_metrics = dict(base.get("model_metrics") or {}) | dict(thr.get("model_metrics") or {})
    bounds = {r.get("metric"): r for r in thr.get("thresholds") or [] if isinstance(r, dict)}
    base_metrics = base.get("baseline_metrics") or {}
    compared = {r.get("metric") for r in base.get("comparisons") or [] if isinstance(r, dict)}
    champions = {r.get("metric"): r for r in champ.get("comparisons") or [] if isinstance(r, dict)}
    names = list(model_metrics) + [m for m in bounds if m not in model_metrics]
    if not names:
        return None
    rows, muted = [], []
    for i, m in enumerate(names[:MAX_LIST]):
        b = bounds.get(m)
        bound = Cell("—")
        if b:
            sign = "≤" if b.get("direction") == "max" else "≥"
            bound = Cell(
                f"{sign} {fmt_number(b.get('bound'))}", status="pass" if b.get("ok") else "fail"
            )
        c = champions.get(m)
        vs = f"{fmt_value(c.get('champion'), m)} (Δ {fmt_value(c.get('change'), m)})" if c else None
        rows.append(
            (
                Cell(truncate(m, 60)),
                Cell(fmt_value(model_metrics.get(m), m), strong=True),
                bound,
                Cell(fmt_value(base_metrics.get(m), m) if m in base_metrics else "—"),
                Cell(vs or "—"),
            )
        )
        if not (m in compared or m in bounds):
            muted.append(i)
    base_name = f" ({truncate(base.get('baseline'), 80)})" if base.get("baseline") else ""
    champ_name = f" ({truncate(champ.get('champion'), 200)})" if champ.get("champion") else ""
    columns = (
        "metric",
        "model",
        "policy threshold",
        "baseline" + base_name,
        "champion" + champ_name,
    )
    notes = [truncate(base.get("note"), 300)] if base.get("note") else []
    notes.append("Grey rows are reported but not used to decide.")
    table = Table(columns, tuple(rows), numeric=(1, 2, 3, 4), muted_rows=tuple(muted))
    return View("metrics", "Metrics on the hold-out", (table,), notes=tuple(notes), nav="Metrics")


@check(
    "performance.thresholds",
    section=PERFORMANCE,
    needs=(Input.MODEL,),
    scores=(
        Score(
            "infrastructure-4",
            "auto",
            "The gate checks hold-out metrics against the policy before the registry alias moves.",
        ),
        Score("monitoring-7", "related"),
    ),
    view=metrics_table,
)
def thresholds(ctx: CheckContext) -> Finding:
    """Do the hold-out metrics meet the policy's thresholds?"""
    undecidable = no_target(ctx, train=False) or one_class(ctx, train=False)
    if undecidable is not None:
        return undecidable
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
    if unknown:  # the policy asks for a metric this model's output cannot give: never less
        return Finding(
            "error",
            f"Cannot decide: the policy's threshold(s) on {', '.join(unknown)} cannot be computed "
            f"for this model (its metrics: {', '.join(ours) or 'none'}).",
            evidence,
            remedy="A threshold on roc_auc, average_precision, brier or log_loss needs "
            "predict_proba; give the model one, or set thresholds on metrics it has.",
        )
    if not rows:
        return Finding(
            "error",
            "Cannot decide: the policy sets no threshold for this task.",
            evidence,
            remedy=f"Add [tool.mlready.thresholds.{ctx.task}] with at least one metric.",
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


@check(
    "performance.champion",
    section=PERFORMANCE,
    needs=(Input.MODEL, Input.CHAMPION),
    scores=(
        Score(
            "monitoring-7",
            "auto",
            "The candidate is compared with the current champion on the same hold-out.",
        ),
        Score("infrastructure-4", "related"),
        Score("infrastructure-7", "related"),
    ),
)
def champion(ctx: CheckContext) -> Finding:
    """Is the candidate at least as good as the version that holds the `ready` alias, on the
    same hold-out?"""
    champ = ctx.champion
    if ctx.champion_error:  # there is a champion, and it could not be compared: never a skip
        return Finding(
            "error",
            f"Cannot compare with the champion {ctx.champion_uri}: {ctx.champion_error}",
            {"champion": ctx.champion_uri},
            remedy="Make the champion loadable here (its dependencies installed, the registry "
            "reachable), or roll the alias back with `mlready rollback NAME`.",
        )
    if champ is None:
        reason = ctx.champion_reason or "No model version holds the ready alias yet."
        return skip(reason)
    undecidable = no_target(ctx, train=False)
    if undecidable is not None:
        return undecidable
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
    evidence = {"champion": ctx.champion_uri, "comparisons": rows}
    if not rows:
        return Finding(
            "error",
            f"Cannot compare with the champion {ctx.champion_uri}: no metric in common "
            f"(candidate: {', '.join(ours) or 'none'}; champion: {', '.join(theirs) or 'none'}).",
            evidence,
            remedy="The champion and the candidate must answer the same task with the same "
            "outputs (predict_proba on both, the same classes).",
        )
    if worse:
        return Finding(
            "fail",
            f"Worse than the champion {ctx.champion_uri} on "
            f"{', '.join(worse)} beyond the allowed {allowed}.",
            evidence,
            remedy=(
                "Keep the champion, or raise champion_max_regression if the trade-off is intended."
            ),
        )
    desc = ", ".join(f"{r['metric']} {_fmt(r['candidate'])} vs {_fmt(r['champion'])}" for r in rows)
    return Finding(
        "pass",
        f"At least as good as the champion {ctx.champion_uri}: {desc}.",
        evidence,
    )
