"""Performance checks: the trivial baseline, the policy's thresholds, the current champion."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..formatting import MAX_LIST, fmt_number, fmt_value, truncate
from ..intervals import Estimate
from ..metrics import (
    Outputs,
    baseline_outputs,
    compute_metrics,
    decide,
    estimate_metrics,
    improvement,
    paired_improvement,
    primary_metrics,
)
from ..policy import LOWER_IS_BETTER
from ..probes.outcome import unscored
from ..views import Cell, Table, View
from .registry import CheckContext, Finding, Input, Score, check, skip
from .sections import PERFORMANCE
from .undecidable import no_target, one_class


@dataclass(frozen=True)
class ScoredHoldout:
    """The hold-out rows the model gave a prediction for, with their target and outputs.

    A model may decline a row: statsmodels returns NaN for a row with a missing value. The
    metrics are computed on the scored rows; ``unscored`` says how many were left out, and the
    findings say so (``robustness`` and ``output.contract`` judge the refusal itself).
    """

    y: Any
    outputs: Outputs
    keep: np.ndarray  # bool per hold-out row: scored

    @property
    def unscored(self) -> int:
        return int((~self.keep).sum())

    def rows_of(self, values):
        """``values`` (one per hold-out row) restricted to the scored rows."""
        if values is None or self.unscored == 0:
            return values
        return np.asarray(values)[self.keep]


def scored_holdout(ctx: CheckContext) -> ScoredHoldout:
    """The hold-out's scored rows, computed once per run."""

    def compute():
        pred = np.asarray(ctx.holdout_predictions())
        proba = (
            ctx.holdout_proba() if ctx.task == "classification" and ctx.model.has_proba else None
        )
        keep = ~unscored(pred, proba)
        y = ctx.holdout.y
        if keep.all():
            return ScoredHoldout(y, Outputs(pred, proba), keep)
        proba = np.asarray(proba)[keep] if proba is not None else None
        # the labels left, in their own dtype again (object only held the NaN)
        labels = pd.Series(pred[keep]).infer_objects().to_numpy()
        return ScoredHoldout(y[keep] if y is not None else None, Outputs(labels, proba), keep)

    return ctx.cached("scored_holdout", compute)


def spark_metrics(ctx: CheckContext):
    """The model's exact hold-out metrics computed on Spark (every row of a Spark hold-out
    scored where it lives, :mod:`jupyter_mlready.spark.holdout`), once per run; None when the
    hold-out is not a Spark frame holding its target."""
    spark = ctx.holdout.spark if ctx.holdout is not None else None
    if spark is None or spark.target is None or ctx.model is None:
        return None
    from ..spark.holdout import spark_holdout_metrics

    def compute():
        try:
            return spark_holdout_metrics(
                ctx.model,
                ctx.holdout,
                ctx.train,
                task=ctx.task,
                level=ctx.policy.interval_level,
                seed=ctx.policy.seed,
            )
        except Exception as exc:  # noqa: BLE001 - each check that needs it errors with it
            return exc

    found = ctx.cached("spark_holdout_metrics", compute)
    if isinstance(found, Exception):
        raise found
    return found


def _spark_computed(ctx: CheckContext):
    """:func:`spark_metrics`' result when a check of this run computed it, else None."""
    found = ctx.cache.get("spark_holdout_metrics")
    return None if isinstance(found, Exception) else found


def _unscored(ctx: CheckContext) -> tuple[int, int] | None:
    """(hold-out rows without a prediction, hold-out rows), from what a check computed."""
    found = _spark_computed(ctx)
    if found is not None:
        return found.unscored, int(found.estimates.rows)
    if "scored_holdout" in ctx.cache:
        return scored_holdout(ctx).unscored, len(ctx.holdout.X)
    return None


#: above this share of hold-out rows without a prediction, the performance checks fail
MAX_UNSCORED_SHARE = 0.05


def states_unscored_rows(check_fn: Callable[[CheckContext], Finding]):
    """A performance check whose finding says how many hold-out rows the model declined (and
    were left out of its metrics), when it declined any."""

    @functools.wraps(check_fn)
    def wrapper(ctx: CheckContext) -> Finding:
        finding = check_fn(ctx)
        counts = _unscored(ctx)
        if finding.status not in ("pass", "warn", "fail") or counts is None:
            return finding
        left_out, rows = counts
        if not left_out:
            return finding
        note = (
            f" {left_out:,} of {rows:,} hold-out rows got no prediction (NaN) "
            "and are not scored here: the model declines rows with a missing value "
            "(robustness.missing_values)."
        )
        evidence = {**finding.evidence, "unscored_holdout_rows": left_out}
        if left_out > MAX_UNSCORED_SHARE * rows:  # metrics of a few rows do not speak for all
            return Finding(
                "fail",
                f"The model gives no prediction for {left_out:,} of {rows:,} hold-out rows "
                f"({left_out / rows:.1%}, more than {MAX_UNSCORED_SHARE:.0%}): its metrics on "
                f"the others cannot stand for the model. {finding.summary}",
                evidence,
                finding.repro,
                "Handle missing values in the model (impute inside the pipeline, or fit on "
                "rows like those it will see), or drop them before scoring by design and "
                "document it.",
            )
        return replace(finding, summary=finding.summary + note, evidence=evidence)

    return wrapper


def model_metrics(ctx: CheckContext) -> dict:
    """Hold-out metrics of the model (its scored rows), computed once per run."""

    def compute():
        scored = scored_holdout(ctx)
        return compute_metrics(
            ctx.task, scored.y, scored.outputs.pred, scored.outputs.proba, ctx.model.classes
        )

    return ctx.cached("model_metrics", compute)


def model_outputs(ctx: CheckContext) -> Outputs:
    return scored_holdout(ctx).outputs


def model_estimates(ctx: CheckContext) -> dict[str, Estimate]:
    """The hold-out metrics with their intervals at the policy's ``interval_level``."""

    def compute():
        return estimate_metrics(
            ctx.task,
            scored_holdout(ctx).y,
            model_outputs(ctx),
            ctx.model.classes,
            ctx.policy.interval_level,
            ctx.policy.seed,
            points=model_metrics(ctx),
        )

    return ctx.cached("model_estimates", compute)


def evidence_of_rows(ctx: CheckContext) -> str:
    """How much evidence the hold-out holds: rows, and the minority class that limits it."""
    found = _spark_computed(ctx)
    if found is not None:
        n = found.estimates.n
        return f"{n:,} hold-out row{'s' if n != 1 else ''} (every row, on Spark)"
    y = scored_holdout(ctx).y
    n = f"{len(y):,} hold-out row{'s' if len(y) != 1 else ''}"
    if ctx.task != "classification":
        return n
    counts = y.value_counts()
    classes = ctx.model.classes if ctx.model is not None else None
    if classes is not None and len(classes) == 2:
        positives = int(counts.get(classes[1], 0))
        return f"{n} ({positives:,} positive{'s' if positives != 1 else ''})"
    return f"{n} (the rarest class has {int(counts.min()):,})" if len(counts) else n


def _interval_fields(est: Estimate) -> dict:
    """An estimate's interval as a comparison row carries it."""
    interval = est.to_dict()
    return {"low": interval["low"], "high": interval["high"], "interval": interval}


def _missed_and_undecided(rows: list[dict]) -> tuple[list[str], list[str]]:
    """(metrics whose decision is "missed", metrics it is "undecided" for), in row order."""
    missed = [r["metric"] for r in rows if r["decision"] == "missed"]
    return missed, [r["metric"] for r in rows if r["decision"] == "undecided"]


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _interval(low: float | None, high: float | None) -> str:
    """``[low, high]``; an end that could not be bounded (stored as null) is infinite."""
    return f"[{'−∞' if low is None else f'{low:.2f}'}, {'∞' if high is None else f'{high:.2f}'}]"


def _level(ctx: CheckContext) -> str:
    return f"{ctx.policy.interval_level:.0%}"


_SPARK_PAIRED = (
    "exact metrics on every row; the paired intervals from the seeded sample, centred on the "
    "exact difference and scaled to all rows"
)

_AUC_OVER_CONSTANT = " (ROC AUC against the constant baseline: the exact DeLong interval)"


def _spark_gain(ctx: CheckContext, on_spark, metric: str, sampled: Estimate, points, m: int):
    """The improvement over the trivial baseline on every Spark row (spark.holdout)."""
    from ..spark.holdout import auc_over_constant, on_all_rows

    ours, theirs = points
    model_auc = on_spark.estimates.estimates.get("roc_auc")
    binary = len(ctx.model.classes or ()) == 2
    if metric == "roc_auc" and theirs == 0.5 and binary and model_auc is not None:
        return auc_over_constant(model_auc, theirs)  # a constant score: exact
    return on_all_rows(sampled, improvement(metric, ours, theirs), m, on_spark.estimates.n)


@check(
    "performance.baseline",
    section=PERFORMANCE,
    needs=(Input.MODEL,),
    on_spark="exact",
    scores=(
        Score("infrastructure-4"),
        Score("model-5", "related"),  # a trivial baseline; the simpler-model check earns it
    ),
)
@states_unscored_rows
def baseline(ctx: CheckContext) -> Finding:
    """Does the model beat a trivial baseline on a metric that fits the task and the class
    balance?"""
    undecidable = no_target(ctx) or one_class(ctx)
    if undecidable is not None:
        return undecidable
    on_spark = spark_metrics(ctx)
    exact = on_spark is not None and on_spark.baseline is not None
    sample_ours = model_metrics(ctx)
    y = scored_holdout(ctx).y
    out, name = baseline_outputs(ctx.task, ctx.train.y, len(y), ctx.model.classes)
    sample_base = compute_metrics(ctx.task, y, out.pred, out.proba, ctx.model.classes)
    ours, base = sample_ours, sample_base
    if exact:  # the points on every row; the paired intervals see spark.holdout's docstring
        assert on_spark is not None and on_spark.baseline is not None
        ours, base, name = on_spark.points, on_spark.baseline, on_spark.baseline_name or name
    margin = ctx.policy.baseline_min_improvement
    rows: list[dict] = []
    for metric in primary_metrics(ctx.task, ours):
        if not all(metric in m for m in (ours, base, sample_ours, sample_base)):
            continue
        gain = paired_improvement(
            ctx.task,
            metric,
            y,
            model_outputs(ctx),
            out,
            ctx.model.classes,
            ctx.policy.interval_level,
            ctx.policy.seed,
            points=(sample_ours[metric], sample_base[metric]),
        )
        if exact:
            assert on_spark is not None
            points = (ours[metric], base[metric])
            gain = _spark_gain(ctx, on_spark, metric, gain, points, len(y))
        rows.append(
            {
                "metric": metric,
                "model": ours[metric],
                "baseline": base[metric],
                "improvement": gain.value,
                **_interval_fields(gain),
                "required": margin,
                "decision": decide(gain, margin),
            }
        )
    losing, undecided = _missed_and_undecided(rows)
    evidence = {
        "baseline": name,
        "comparisons": rows,
        "model_metrics": ours,
        "baseline_metrics": base,
        "interval_level": ctx.policy.interval_level,
    }
    if exact:
        assert on_spark is not None
        evidence["engine"] = on_spark.engine(intervals=_SPARK_PAIRED + _AUC_OVER_CONSTANT)
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
            f"vs baseline {_fmt(worst['baseline'])}, improvement "
            f"{_interval(worst['low'], worst['high'])} at {_level(ctx)}, needs +{margin}).",
            evidence,
            remedy="Check the features carry signal (leakage of noise, wrong target, broken "
            "preprocessing); for imbalanced classes use class weights or resampling.",
        )
    if undecided:
        r = next(r for r in rows if r["metric"] == undecided[0])
        evidence["insufficient_evidence"] = True
        return Finding(
            "fail",
            f"Insufficient evidence: whether the model beats the {name} baseline on "
            f"{r['metric']} cannot be decided from {evidence_of_rows(ctx)}: the improvement's "
            f"{_level(ctx)} interval {_interval(r['low'], r['high'])} straddles +{margin}.",
            evidence,
            remedy="Hold out more rows (of the minority class, for classification), or lower "
            "interval_level if the policy allows it.",
        )
    parts = ", ".join(
        f"{r['metric']} {_fmt(r['model'])} vs {_fmt(r['baseline'])}, improvement "
        f"{_interval(r['low'], r['high'])}"
        for r in rows
    )
    return Finding("pass", f"Beats the {name} baseline: {parts}.", evidence)


def _evidence(doc: dict, check_id: str) -> dict:
    for c in doc.get("checks") or []:
        if isinstance(c, dict) and c.get("id") == check_id:
            return raw if isinstance(raw := c.get("evidence"), dict) else {}
    return {}


def documented_estimates(doc: dict) -> dict:
    """The hold-out metrics with their intervals as a readiness document records them (metric
    -> {"value", "low", "high", ...}); {} when it holds none."""
    metrics = _evidence(doc, "performance.thresholds").get("metrics")
    return metrics if isinstance(metrics, dict) else {}


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
    intervals = raw if isinstance(raw := thr.get("metrics"), dict) else {}
    names = list(model_metrics) + [m for m in bounds if m not in model_metrics]
    if not names:
        return None

    def value_cell(m: str) -> Cell:
        text = fmt_value(model_metrics.get(m), m)
        est = intervals.get(m)
        if isinstance(est, dict) and ("low" in est or "high" in est):
            low, high = est.get("low"), est.get("high")
            if all(v is None or isinstance(v, (int, float)) for v in (low, high)):
                text += f" {_interval(low, high)}"
        return Cell(text, strong=True)

    rows, muted = [], []
    for i, m in enumerate(names[:MAX_LIST]):
        b = bounds.get(m)
        bound = Cell("—")
        if b:
            sign = "≤" if b.get("direction") == "max" else "≥"
            undecided = b.get("decision") == "undecided"
            bound = Cell(
                f"{sign} {fmt_number(b.get('bound'))}"
                + (" (insufficient evidence)" if undecided else ""),
                status="pass" if b.get("ok") else "fail",
            )
        c = champions.get(m)
        vs = f"{fmt_value(c.get('champion'), m)} (Δ {fmt_value(c.get('change'), m)})" if c else None
        rows.append(
            (
                Cell(truncate(m, 60)),
                value_cell(m),
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
    level = thr.get("interval_level")
    if isinstance(level, (int, float)) and not isinstance(level, bool):
        notes.append(
            f"Model values show their {level:.0%} interval: a bound is met when the interval's "
            "conservative end clears it, missed when even its optimistic end does not, and "
            "otherwise not decided (insufficient evidence)."
        )
    notes.append("Grey rows are reported but not used to decide.")
    table = Table(columns, tuple(rows), numeric=(1, 2, 3, 4), muted_rows=tuple(muted))
    return View("metrics", "Metrics on the hold-out", (table,), notes=tuple(notes), nav="Metrics")


@check(
    "performance.thresholds",
    section=PERFORMANCE,
    needs=(Input.MODEL,),
    on_spark="exact",
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
@states_unscored_rows
def thresholds(ctx: CheckContext) -> Finding:
    """Do the hold-out metrics meet the policy's thresholds?"""
    undecidable = no_target(ctx, train=False) or one_class(ctx, train=False)
    if undecidable is not None:
        return undecidable
    on_spark = spark_metrics(ctx)
    if on_spark is not None:  # every row, exactly
        ours, estimates = on_spark.points, on_spark.estimates.estimates
    else:
        ours, estimates = model_metrics(ctx), model_estimates(ctx)
    bounds = ctx.policy.threshold_for(ctx.task, ctx.model.has_proba)
    rows: list[dict] = []
    unknown: list[str] = []
    for metric, bound in bounds.items():
        if metric not in ours:
            unknown.append(metric)
            continue
        est = estimates[metric]
        lower = metric in LOWER_IS_BETTER
        decision = decide(est, bound, lower)
        rows.append(
            {
                "metric": metric,
                "value": est.value,
                "low": est.to_dict()["low"],
                "high": est.to_dict()["high"],
                "bound": bound,
                "direction": "max" if lower else "min",
                "decision": decision,
                "ok": decision == "met",
            }
        )
    failing, undecided = _missed_and_undecided(rows)
    evidence = {
        "thresholds": rows,
        "model_metrics": ours,
        "metrics": {m: e.to_dict() for m, e in estimates.items()},
        "interval_level": ctx.policy.interval_level,
        "unavailable": unknown,
    }
    if on_spark is not None:
        evidence["engine"] = on_spark.engine()
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

    def bound_text(r: dict) -> str:
        return f"{'≤' if r['direction'] == 'max' else '≥'} {_fmt(r['bound'])}"

    if failing:
        desc = "; ".join(
            f"{r['metric']} {_fmt(r['value'])} {_interval(r['low'], r['high'])} misses "
            f"{bound_text(r)}"
            for r in rows
            if r["decision"] == "missed"
        )
        return Finding(
            "fail",
            f"Below the policy's thresholds: {desc} (even the interval's optimistic end, at "
            f"{_level(ctx)}).",
            evidence,
            remedy="Improve the model, or change the threshold in [tool.mlready.thresholds] "
            "if the policy was wrong (a reviewer should agree).",
        )
    if undecided:
        evidence["insufficient_evidence"] = True
        desc = "; ".join(
            f"{r['metric']} cannot be decided from {evidence_of_rows(ctx)}: {_level(ctx)} "
            f"interval {_interval(r['low'], r['high'])} straddles {_fmt(r['bound'])}"
            for r in rows
            if r["decision"] == "undecided"
        )
        return Finding(
            "fail",
            f"Insufficient evidence: {desc}.",
            evidence,
            remedy="Hold out more rows (of the minority class, for classification): the bound "
            "is met only when the interval's conservative end clears it.",
        )
    desc = ", ".join(
        f"{r['metric']} {_fmt(r['value'])} {_interval(r['low'], r['high'])} {bound_text(r)}"
        for r in rows
    )
    return Finding("pass", f"Meets every threshold at {_level(ctx)}: {desc}.", evidence)


@check(
    "performance.champion",
    section=PERFORMANCE,
    needs=(Input.MODEL, Input.CHAMPION),
    on_spark="exact",
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
@states_unscored_rows
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
    on_spark = spark_metrics(ctx)
    sample_ours = ours = model_metrics(ctx)
    scored = scored_holdout(ctx)  # both models judged on the rows the candidate scored
    try:
        pred = scored.rows_of(champ.predict(ctx.holdout.X))
        proba = champ.predict_proba(ctx.holdout.X) if ctx.task == "classification" else None
    except Exception as exc:  # noqa: BLE001 - the champion cannot read this hold-out
        return Finding(
            "error",
            f"The champion {ctx.champion_uri} cannot score this hold-out "
            f"({type(exc).__name__}: {str(exc)[:300]}): its inputs differ from the candidate's "
            "(a feature added or dropped?), so the two cannot be compared on the same rows.",
            {"champion": ctx.champion_uri, "error": f"{type(exc).__name__}: {str(exc)[:1000]}"},
            remedy="If the inputs changed on purpose, compare the two versions by hand, then "
            "take the alias off the champion (MlflowClient().delete_registered_model_alias("
            "NAME, ALIAS)) so the next check compares with no champion, and say why in the "
            "review. Otherwise, give the hold-out the columns the champion needs.",
        )
    proba = scored.rows_of(proba)
    sample_theirs = theirs = compute_metrics(ctx.task, scored.y, pred, proba, champ.classes)
    if on_spark is not None:  # both models on every row
        from ..spark.holdout import on_all_rows, spark_model_points

        ours = on_spark.points
        theirs = spark_model_points(champ, ctx.holdout, task=ctx.task, seed=ctx.policy.seed).points
    allowed = ctx.policy.champion_max_regression
    rows: list[dict] = []
    for metric in primary_metrics(ctx.task, ours):
        if all(metric in m for m in (ours, theirs, sample_ours, sample_theirs)):
            change = paired_improvement(
                ctx.task,
                metric,
                scored.y,
                model_outputs(ctx),
                Outputs(np.asarray(pred), proba),
                ctx.model.classes,
                ctx.policy.interval_level,
                ctx.policy.seed,
                points=(sample_ours[metric], sample_theirs[metric]),
            )
            if on_spark is not None:
                exact = improvement(metric, ours[metric], theirs[metric])
                change = on_all_rows(change, exact, len(scored.y), on_spark.estimates.n)
            rows.append(
                {
                    "metric": metric,
                    "candidate": ours[metric],
                    "champion": theirs[metric],
                    "change": change.value,
                    **_interval_fields(change),
                    "allowed_regression": allowed,
                    "decision": decide(change, -allowed),
                }
            )
    worse, undecided = _missed_and_undecided(rows)
    evidence = {
        "champion": ctx.champion_uri,
        "comparisons": rows,
        "interval_level": ctx.policy.interval_level,
    }
    if on_spark is not None:
        evidence["engine"] = on_spark.engine(intervals=_SPARK_PAIRED)
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
            f"{', '.join(worse)} beyond the allowed {allowed} (change "
            + ", ".join(
                f"{r['metric']} {_interval(r['low'], r['high'])}"
                for r in rows
                if r["metric"] in worse
            )
            + f" at {_level(ctx)}).",
            evidence,
            remedy=(
                "Keep the champion, or raise champion_max_regression if the trade-off is intended."
            ),
        )
    if undecided:
        evidence["insufficient_evidence"] = True
        r = next(r for r in rows if r["metric"] == undecided[0])
        return Finding(
            "fail",
            f"Insufficient evidence: whether the candidate is within {allowed} of the champion "
            f"{ctx.champion_uri} on {r['metric']} cannot be decided from {evidence_of_rows(ctx)}: "
            f"the paired change's {_level(ctx)} interval {_interval(r['low'], r['high'])} "
            f"straddles −{allowed}.",
            evidence,
            remedy="Hold out more rows, so the comparison can be decided.",
        )
    desc = ", ".join(
        f"{r['metric']} {_fmt(r['candidate'])} vs {_fmt(r['champion'])} "
        f"(change {_interval(r['low'], r['high'])})"
        for r in rows
    )
    return Finding(
        "pass",
        f"At least as good as the champion {ctx.champion_uri} (within {allowed}, at "
        f"{_level(ctx)}): {desc}.",
        evidence,
    )
