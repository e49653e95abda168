"""fairness.groups: selection rates and error rates across sensitive groups (fairlearn).

The groups come from the policy's ``sensitive_features`` (declared: they can fail) and from
columns whose name reads as a protected attribute (detected: they only warn; "sex" in a species
classifier is not a protected group). A sensitive attribute is often not a model input: a column
beside the features (``Dataset.side``, e.g. from ``--sensitive VAR``) counts as well as a
feature. A numeric attribute (age) is cut into quantile bands.

Classification: per group, fairlearn's ``MetricFrame`` of selection rate, true and false positive
rate, and the demographic-parity and equalized-odds differences (largest gap between groups).
Binary: the positive class is the model's second class. Multi-class: one-vs-rest for each class,
and the attribute's differences are the largest over the classes. Regression: per group, MAE and
mean prediction; the parity gap is the largest gap in mean prediction over the target's standard
deviation, the error gap the largest gap in MAE over the hold-out's MAE, held to the same two
bounds. Groups with fewer than ``slice_min_rows`` rows are listed, not judged. Each difference
has a seeded bootstrap interval at the policy's level; a declared attribute fails only when the
interval's optimistic end is over the bound ("insufficient evidence" when it straddles it).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..formatting import fmt_number, truncate
from ..intervals import Estimate, bootstrap
from ..metrics import decide
from ..side_columns import sensitive_by_name, side_or_feature
from ..views import Cell, Facts, Table, View
from .groups import SECTION, group_by_column, num
from .performance import scored_holdout, states_unscored_rows
from .registry import CheckContext, Finding, Input, Score, check, skip
from .undecidable import no_target, one_class

MAX_GROUPS_KEPT = 30
#: judged rows fairlearn's MetricFrame and the bootstrap work on (a seeded sample above it)
FAIRLEARN_ROWS = 20_000


@dataclass(frozen=True)
class _Rows:
    """The judged rows of one attribute: group code (0..G-1), target, prediction."""

    g: np.ndarray
    y: np.ndarray
    pred: np.ndarray
    groups: int


def _gap(values: np.ndarray) -> float:
    present = values[np.isfinite(values)]
    return float(present.max() - present.min()) if len(present) > 1 else math.nan


def _rates(r: _Rows, idx: np.ndarray, positive) -> tuple[float, float]:
    """(demographic-parity difference, equalized-odds difference) of one-vs-rest ``positive``
    on rows ``idx``."""
    g = r.g[idx]
    yb = (r.y[idx] == positive).astype(float)
    pb = (r.pred[idx] == positive).astype(float)
    n = np.bincount(g, minlength=r.groups).astype(float)
    pos = np.bincount(g, yb, minlength=r.groups)
    neg = n - pos
    with np.errstate(invalid="ignore", divide="ignore"):
        sel = np.bincount(g, pb, minlength=r.groups) / n
        tpr = np.bincount(g, pb * yb, minlength=r.groups) / pos
        fpr = np.bincount(g, pb * (1 - yb), minlength=r.groups) / neg
    return _gap(sel), max(_gap(tpr), _gap(fpr))


def _regression_gaps(r: _Rows, idx: np.ndarray, scale: tuple[float, float]) -> tuple[float, float]:
    g = r.g[idx]
    n = np.bincount(g, minlength=r.groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pred = np.bincount(g, r.pred[idx], minlength=r.groups) / n
        mae = np.bincount(g, np.abs(r.y[idx] - r.pred[idx]), minlength=r.groups) / n
    return _gap(mean_pred) / scale[0], _gap(mae) / scale[1]


def _interval(stat, n: int, level: float, seed: int, value: float) -> Estimate:
    if not math.isfinite(value):
        return Estimate(value, -math.inf, math.inf, n, "undefined")
    found = bootstrap(stat, n, level, seed, value)
    if found is None:
        return Estimate(value, 0.0, 1.0, n, "bootstrap undefined: too few rows of a group")
    low, high, how = found
    return Estimate(value, max(low, 0.0), high, n, how)


def _classification_groups(labels: np.ndarray, y: np.ndarray, pred: np.ndarray, positive) -> list:
    """fairlearn's MetricFrame by group, one-vs-rest for ``positive``."""
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = MetricFrame(
            metrics={
                "rows": count,
                "selection_rate": selection_rate,
                "true_positive_rate": true_positive_rate,
                "false_positive_rate": false_positive_rate,
            },
            y_true=(y == positive).astype(int),
            y_pred=(pred == positive).astype(int),
            sensitive_features=pd.Series(labels, name="group"),
        ).by_group
    return [
        {
            "group": str(group),
            "rows": int(row["rows"]),
            "selection_rate": num(row["selection_rate"]),
            "true_positive_rate": num(row["true_positive_rate"]),
            "false_positive_rate": num(row["false_positive_rate"]),
        }
        for group, row in frame.iterrows()
    ]


def _regression_groups(labels: np.ndarray, y: np.ndarray, pred: np.ndarray) -> list:
    from fairlearn.metrics import MetricFrame, count
    from sklearn.metrics import mean_absolute_error

    frame = MetricFrame(
        metrics={
            "rows": count,
            "mae": mean_absolute_error,
            "mean_prediction": lambda yt, yp: float(np.mean(yp)),
            "mean_target": lambda yt, yp: float(np.mean(yt)),
        },
        y_true=y,
        y_pred=pred,
        sensitive_features=pd.Series(labels, name="group"),
    ).by_group
    return [
        {"group": str(group), "rows": int(row["rows"])}
        | {k: num(row[k]) for k in ("mae", "mean_prediction", "mean_target")}
        for group, row in frame.iterrows()
    ]


def _differences(groups: list[dict]) -> tuple[float, float]:
    """(demographic-parity difference, equalized-odds difference) from MetricFrame's groups:
    fairlearn's between-groups definitions (largest gap of selection rate; the larger of the
    TPR and FPR gaps)."""

    def gap(key: str) -> float:
        return _gap(np.asarray([g[key] if g[key] is not None else math.nan for g in groups]))

    return gap("selection_rate"), float(
        np.nanmax([gap("true_positive_rate"), gap("false_positive_rate"), -math.inf])
    )


def _attribute(ctx: CheckContext, column: str, declared: bool) -> dict:
    """One sensitive attribute's groups, differences and decision."""
    p = ctx.policy
    scored = scored_holdout(ctx)
    hold = ctx.holdout
    values = side_or_feature(hold, column)
    assert values is not None
    values = pd.Series(np.asarray(values)[scored.keep]).reset_index(drop=True)
    source = "feature" if column in hold.X.columns else "side column"
    out: dict = {"column": column, "declared": declared, "source": source}
    grouping = group_by_column(column, values)
    if grouping is None:
        reason = "a single group in the hold-out"
        return out | {"status": "fail" if declared else "pass", "judged": False, "reason": reason}
    out["grouping"] = grouping.kind
    if grouping.left_out:
        out["values_not_grouped"] = grouping.left_out
    rows = grouping.rows()
    big = [i for i, r in enumerate(rows) if len(r) >= p.slice_min_rows]
    out["too_small"] = [
        {"group": grouping.names[i], "rows": len(r)}
        for i, r in enumerate(rows)
        if len(r) < p.slice_min_rows
    ][:MAX_GROUPS_KEPT]
    if len(big) < 2:
        reason = f"fewer than two groups with at least {p.slice_min_rows} rows"
        return out | {"status": "fail" if declared else "pass", "judged": False, "reason": reason}
    idx = np.concatenate([rows[i] for i in big])
    codes = np.concatenate([np.full(len(rows[i]), j) for j, i in enumerate(big)])
    out["rows_judged"] = len(idx)
    if len(idx) > FAIRLEARN_ROWS:  # MetricFrame and the bootstrap on a seeded sample
        pick = np.sort(np.random.default_rng(p.seed).choice(len(idx), FAIRLEARN_ROWS, False))
        idx, codes = idx[pick], codes[pick]
    out["rows_used"] = len(idx)
    labels = np.asarray([grouping.names[i] for i in big], dtype=object)[codes]
    y = np.asarray(scored.y)[idx]
    pred = np.asarray(scored.outputs.pred)[idx]
    level, seed = p.interval_level, p.seed
    if ctx.task == "regression":
        y, pred = y.astype(float), pred.astype(float)
        r = _Rows(codes, y, pred, len(big))
        std = float(np.std(np.asarray(scored.y, dtype=float)))
        mae = float(np.mean(np.abs(np.asarray(scored.y, float) - scored.outputs.pred)))
        scale = (std or 1.0, mae or 1.0)
        every = np.arange(len(idx))
        dp, eo = _regression_gaps(r, every, scale)
        dp_est = _interval(lambda i: _regression_gaps(r, i, scale)[0], len(idx), level, seed, dp)
        eo_est = _interval(lambda i: _regression_gaps(r, i, scale)[1], len(idx), level, seed, eo)
        out["groups"] = _regression_groups(labels, y, pred)
        out["measures"] = {
            "parity_difference": "largest gap in mean prediction between groups, over the "
            "hold-out target's standard deviation",
            "odds_difference": "largest gap in MAE between groups, over the hold-out's MAE",
        }
    else:
        classes = list(ctx.model.classes or sorted(pd.unique(np.asarray(scored.y))))
        positives = [classes[1]] if len(classes) == 2 else classes
        r = _Rows(codes, y, pred, len(big))
        tables = {str(c): _classification_groups(labels, y, pred, c) for c in positives}
        diffs = [(c, *_differences(tables[str(c)])) for c in positives]
        worst_class, _, _ = max(diffs, key=lambda d: np.nanmax([d[1], d[2], -1.0]))
        dp = float(np.nanmax([d[1] for d in diffs]))
        eo = float(np.nanmax([d[2] for d in diffs]))

        def stat(which: int):
            return lambda i: float(np.nanmax([_rates(r, i, c)[which] for c in positives]))

        dp_est = _interval(stat(0), len(idx), level, seed, dp)
        eo_est = _interval(stat(1), len(idx), level, seed, eo)
        out["groups"] = tables[str(worst_class)]
        out["positive_class"] = str(worst_class)
        out["one_vs_rest"] = len(positives) > 1
        if len(positives) > 1:
            out["by_class"] = [
                {"class": str(c), "parity_difference": num(d), "odds_difference": num(e)}
                for c, d, e in diffs
            ]
    out["groups"] = out["groups"][:MAX_GROUPS_KEPT]
    decisions = {
        "parity_difference": decide(dp_est, p.fairness_max_parity_difference, True),
        "odds_difference": decide(eo_est, p.fairness_max_odds_difference, True),
    }
    status = "pass"
    if "missed" in decisions.values():
        status = "fail" if declared else "warn"
    elif "undecided" in decisions.values() and declared:
        status = "fail"
    return out | {
        "judged": True,
        "parity_difference": dp_est.to_dict(),
        "odds_difference": eo_est.to_dict(),
        "decisions": decisions,
        "status": status,
    }


def _describe(a: dict) -> str:
    if not a.get("judged"):
        return f"'{a['column']}' ({a.get('reason')})"
    dp, eo = a["parity_difference"], a["odds_difference"]

    def show(e: dict) -> str:
        return f"{fmt_number(e['value'])} [{fmt_number(e['low'])}, {fmt_number(e['high'])}]"

    return f"'{a['column']}' (parity difference {show(dp)}, equalized-odds difference {show(eo)})"


def fairness_view(check: dict, doc: dict) -> View | None:
    """Per sensitive attribute: its groups' rates, and the two differences against the bounds."""
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    attrs = [a for a in ev.get("attributes") or [] if isinstance(a, dict) and a.get("groups")]
    if not attrs:
        return None
    blocks: list = []
    regression = ev.get("task") == "regression"
    keys = (
        ("mae", "mean_prediction", "mean_target")
        if regression
        else ("selection_rate", "true_positive_rate", "false_positive_rate")
    )
    for a in attrs:
        dp = a.get("parity_difference") or {}
        eo = a.get("odds_difference") or {}
        how = "declared" if a.get("declared") else "detected by name"
        blocks.append(
            Facts(
                (
                    ("attribute", f"{truncate(a.get('column'), 80)} ({how}, {a.get('source')})"),
                    (
                        "parity difference",
                        f"{fmt_number(dp.get('value'))} [{fmt_number(dp.get('low'))}, "
                        f"{fmt_number(dp.get('high'))}] (bound {fmt_number(ev.get('max_parity'))})",
                    ),
                    (
                        "equalized-odds difference",
                        f"{fmt_number(eo.get('value'))} [{fmt_number(eo.get('low'))}, "
                        f"{fmt_number(eo.get('high'))}] (bound {fmt_number(ev.get('max_odds'))})",
                    ),
                    ("status", str(a.get("status"))),
                )
            )
        )
        rows = tuple(
            (Cell(truncate(g.get("group"), 80)), Cell(fmt_number(g.get("rows"))))
            + tuple(Cell(fmt_number(g.get(k), "rate")) for k in keys)
            for g in a["groups"]
            if isinstance(g, dict)
        )
        blocks.append(Table(("group", "rows", *keys), rows, numeric=(1, 2, 3, 4)))
    notes = [
        f"Intervals at {fmt_number(ev.get('interval_level'))} (seeded bootstrap). Groups with "
        f"fewer than {ev.get('min_rows')} rows are listed in the evidence, not judged. Only "
        "declared attributes can fail; attributes detected by name only warn."
    ]
    return View(
        "fairness",
        "Fairness across sensitive groups",
        tuple(blocks),
        summary=truncate(check.get("summary"), 400),
        check=str(check.get("id")),
        notes=tuple(notes),
        shows=("attributes",),
        nav="Fairness",
    )


@check(
    "fairness.groups",
    section=SECTION,
    runs_in=("validation",),
    needs=(Input.MODEL, Input.HOLDOUT, Input.TARGET),
    scores=(
        Score(
            "model-7",
            "auto",
            "Selection rate and TPR / FPR per sensitive group (fairlearn MetricFrame), with the "
            "demographic-parity and equalized-odds differences against the policy's bounds.",
        ),
    ),
    view=fairness_view,
)
@states_unscored_rows
def fairness(ctx: CheckContext) -> Finding:
    """Across sensitive groups (declared in the policy, or detected by name), are selection rates
    and true / false positive rates close enough: demographic-parity and equalized-odds
    differences within the policy's bounds?

    Declared attributes (``sensitive_features``) fail when surely over a bound; attributes
    detected by name only warn. Skipped, with the reason, when there is no such attribute."""
    p = ctx.policy
    hold = ctx.holdout
    columns = [str(c) for c in hold.X.columns]
    if hold.side is not None:
        columns += [str(c) for c in hold.side.columns if str(c) not in columns]
    declared = [str(c) for c in p.sensitive_features]
    missing = [c for c in declared if side_or_feature(hold, c) is None]
    if missing:
        return Finding(
            "error",
            f"Declared sensitive feature(s) {', '.join(repr(c) for c in missing)} not in the "
            "hold-out; pass it with --sensitive VAR or keep it in the frame the hold-out was "
            f"split from (hold-out columns: {truncate(', '.join(columns), 300)}).",
            {"missing": missing, "known_columns": columns[:200]},
            remedy="Pass the attribute with --sensitive VAR (one value per hold-out row), keep "
            "it in the frame the hold-out was split from, or fix the name in sensitive_features.",
        )
    detected = [c for c in sensitive_by_name(columns) if c not in declared]
    if not declared and not detected:
        return skip(
            "no sensitive attribute: none declared in the policy (sensitive_features), none "
            "detected by name among the hold-out columns; use --sensitive VAR",
            columns_seen=len(columns),
        )
    undecidable = no_target(ctx, train=False) or one_class(ctx, train=False)
    if undecidable is not None:
        return undecidable
    attrs = [_attribute(ctx, c, True) for c in declared] + [
        _attribute(ctx, c, False) for c in detected
    ]
    evidence = {
        "task": ctx.task,
        "declared": declared,
        "detected": detected,
        "attributes": attrs,
        "max_parity": p.fairness_max_parity_difference,
        "max_odds": p.fairness_max_odds_difference,
        "min_rows": p.slice_min_rows,
        "interval_level": p.interval_level,
        "interval": "seeded percentile bootstrap of each difference (point estimates from "
        "fairlearn); no correction across attributes",
    }
    who = []
    if declared:
        who.append(f"declared: {', '.join(declared)}")
    if detected:
        who.append(f"detected by name: {', '.join(detected)}")
    where = f" ({'; '.join(who)})"
    bounds = (
        f"parity ≤ {p.fairness_max_parity_difference}, "
        f"equalized odds ≤ {p.fairness_max_odds_difference}"
    )
    failing = [a for a in attrs if a["status"] == "fail"]
    missed = [a for a in failing if a.get("judged") and "missed" in a["decisions"].values()]
    if missed:
        return Finding(
            "fail",
            f"Declared sensitive attribute(s) over the policy's bounds ({bounds}) at "
            f"{p.interval_level:.0%}: {'; '.join(_describe(a) for a in missed)}{where}.",
            evidence,
            remedy="Look at the groups' rates in the report: rebalance or reweight the training "
            "data, fix features that stand in for the attribute, or use a fairness-aware method "
            "(fairlearn ThresholdOptimizer / ExponentiatedGradient). Change the bounds only with "
            "a reviewer's agreement.",
        )
    if failing:
        evidence["insufficient_evidence"] = True
        return Finding(
            "fail",
            f"Insufficient evidence for declared sensitive attribute(s): "
            f"{'; '.join(_describe(a) for a in failing)} cannot be decided against {bounds}"
            f"{where}.",
            evidence,
            remedy="Hold out more rows of the smaller groups, so the differences can be decided.",
        )
    warned = [a for a in attrs if a["status"] == "warn"]
    if warned:
        return Finding(
            "warn",
            f"Attribute(s) detected by name are over the bounds ({bounds}): "
            f"{'; '.join(_describe(a) for a in warned)}{where}. Detected attributes only warn: "
            "declare the attribute in sensitive_features if it is a protected group here.",
            evidence,
            remedy="If the column is a protected attribute, declare it in sensitive_features and "
            'fix the gap; if it is not ("sex" in a species classifier), ignore this warning or '
            "waive it.",
        )
    return Finding(
        "pass",
        f"Within the bounds ({bounds}) for {'; '.join(_describe(a) for a in attrs)}{where}.",
        evidence,
    )
