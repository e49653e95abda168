"""performance.slices: the hold-out metric on each slice of the data against the whole hold-out.

Slices are each value of a category, text or boolean column, quantile bins of a number, of the
features and of the columns beside them (``Dataset.side``), and the slices the policy declares
(``slices``: ``"column"`` or ``"column=value"``). Every slice's metric carries an interval at the
policy's level, corrected (Bonferroni) for the number of slices tested, so wide data does not
turn noise into alarms. A slice found by the search that is surely worse than the whole hold-out
by more than ``slice_max_drop`` warns; only a declared slice can fail.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..formatting import fmt_number, truncate
from ..intervals import auc_estimate, t_value, wilson
from ..side_columns import side_or_feature
from ..views import Bars, Cell, Table, View
from .groups import SECTION, Grouping, bonferroni, group_by_column, num, select_value
from .performance import scored_holdout, states_unscored_rows
from .registry import CheckContext, Finding, Input, Score, check
from .undecidable import no_target, one_class

#: seconds the per-slice intervals may take; slices left are listed, never silently dropped
SEARCH_SECONDS = 1.0
#: slices kept in the evidence (the worst first)
MAX_SLICES_KEPT = 200
SHOWN = 15  # rows of the report's table
BARS = 8  # bars of the report's chart


def expected_auc(p: np.ndarray) -> float:
    """The ROC AUC a slice would have if the model's probabilities ``p`` were right on it: each
    row is positive with probability p_i, so a (positive i, negative j) pair occurs with weight
    p_i (1 - p_j) and is ordered right when p_i > p_j (half when tied). Ratio of the expected
    counts, O(n log n).

    Slicing by a feature the model relies on narrows the scores within the slice, and every
    such slice has a lower AUC than the whole hold-out even for a perfect model; compared with
    this expectation, a slice is only worse when the model is worse there than it says."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    if len(p) < 2:
        return math.nan
    order = np.argsort(p, kind="stable")
    ps = p[order]
    neg = 1.0 - ps
    values, starts, counts = np.unique(ps, return_index=True, return_counts=True)
    neg_by_value = np.add.reduceat(neg, starts)
    below = np.concatenate([[0.0], np.cumsum(neg_by_value)[:-1]])  # negatives weight below
    # for row i at value v: weight of negatives strictly below, plus half of the others tied
    tie_index = np.repeat(np.arange(len(values)), counts)
    concordant = ps * (below[tie_index] + 0.5 * (neg_by_value[tie_index] - neg))
    pairs = ps.sum() * neg.sum() - float(np.sum(ps * neg))
    return float(concordant.sum() / pairs) if pairs > 0 else math.nan


@dataclass(frozen=True)
class _Scorer:
    """The metric of one slice, with its interval, against the whole hold-out's."""

    metric: str
    lower_is_better: bool
    note: str
    y: np.ndarray  # class codes (classification) or floats
    pred: np.ndarray  # predicted class codes, or values
    score: np.ndarray | None  # positive-class probability (binary ROC AUC)
    k: int  # classes

    def overall(self, level: float) -> dict:
        return self.estimate(np.arange(len(self.y)), level, reference=True)

    def _recalls(self, idx: np.ndarray) -> dict[int, tuple[float, int]]:
        y, p = self.y[idx], self.pred[idx]
        return {
            c: (float(np.sum(p[y == c] == c)), int(np.sum(y == c)))
            for c in range(self.k)
            if (y == c).any()
        }

    def _balanced(self, idx: np.ndarray, level: float) -> dict:
        """Balanced accuracy over the classes present in the slice, against the whole hold-out's
        recall of those same classes (a slice of one class is compared on that class only)."""
        own = self._recalls(idx)
        every = self._recalls(np.arange(len(self.y)))
        ends = [wilson(hits, n, level) for hits, n in own.values()]
        return {
            "metric": "balanced_accuracy",
            "value": float(np.mean([h / n for h, n in own.values()])),
            "low": float(np.mean([e[0] for e in ends])),
            "high": float(np.mean([e[1] for e in ends])),
            "reference": float(np.mean([every[c][0] / every[c][1] for c in own])),
            "method": "Wilson per class, averaged",
        }

    def estimate(self, idx: np.ndarray, level: float, reference: bool = False) -> dict:
        if self.metric == "rmse":
            sq = (self.y[idx] - self.pred[idx]) ** 2
            n, mean = len(sq), float(sq.mean())
            half = (
                t_value(level, n - 1) * float(sq.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
            )
            return {
                "metric": "rmse",
                "value": math.sqrt(mean),
                "low": math.sqrt(max(mean - half, 0.0)),
                "high": math.sqrt(mean + half),
                "method": "Student t on squared errors",
            }
        if self.metric == "roc_auc":
            assert self.score is not None
            truth = self.y[idx]
            if 0 < truth.sum() < len(truth):
                est = auc_estimate(truth, self.score[idx], level)
                return {
                    "metric": "roc_auc",
                    "value": est.value,
                    "low": est.low,
                    "high": est.high,
                    "method": est.method,
                    "expected": expected_auc(self.score[idx]),
                }
            if reference:
                raise ValueError("the hold-out holds one class")
        return self._balanced(idx, level)


def _scorer(ctx: CheckContext) -> _Scorer:
    scored = scored_holdout(ctx)
    out = scored.outputs
    if ctx.task == "regression":
        return _Scorer(
            "rmse",
            True,
            "RMSE per slice; the drop is relative to the whole hold-out's RMSE.",
            np.asarray(scored.y, dtype=float),
            np.asarray(out.pred, dtype=float),
            None,
            0,
        )
    classes = list(ctx.model.classes or sorted(pd.unique(np.asarray(scored.y))))
    y = np.asarray(pd.Categorical(np.asarray(scored.y), categories=classes).codes, dtype=int)
    pred = np.asarray(pd.Categorical(np.asarray(out.pred), categories=classes).codes, dtype=int)
    if out.proba is not None and len(classes) == 2:
        return _Scorer(
            "roc_auc",
            False,
            "ROC AUC per slice (DeLong interval), compared with the AUC the model's own "
            "probabilities expect on that slice, shifted by the whole hold-out's observed minus "
            "expected AUC: slicing by a feature the model relies on narrows the scores and lowers "
            "any slice's AUC, so the whole hold-out's AUC would be the wrong yardstick. A slice "
            "holding one class has no AUC and is compared on balanced accuracy over that class "
            "(its recall) with the whole hold-out's recall of it.",
            y,
            pred,
            np.asarray(out.proba, dtype=float)[:, 1],
            2,
        )
    why = (
        "multi-class ROC AUC per slice would need a bootstrap per slice"
        if out.proba is not None
        else "the model has no predict_proba"
    )
    return _Scorer(
        "balanced_accuracy",
        False,
        f"Balanced accuracy per slice ({why}): over the classes present in the slice, against "
        "the whole hold-out's recall of those classes.",
        y,
        pred,
        None,
        len(classes),
    )


@dataclass
class _Slice:
    column: str
    value: str
    origin: str  # "feature" | "side column"
    kind: str  # "values" | "quantile bins" | "declared value"
    rows: np.ndarray
    declared: bool = False
    explicit: bool = False  # declared as "column=value"


def _declared(ctx: CheckContext) -> tuple[dict[str, list[str] | None], list[str]]:
    """{column: None (every value) or [values]} from the policy's ``slices``, and the columns
    it names that the hold-out does not hold."""
    wanted: dict[str, list[str] | None] = {}
    unknown = []
    for entry in ctx.policy.slices:
        column, has_value, value = str(entry).partition("=")
        column, value = column.strip(), value.strip()
        if side_or_feature(ctx.holdout, column) is None:
            unknown.append(column)
            continue
        if not has_value:
            wanted[column] = None
        elif column not in wanted or wanted[column] is not None:
            wanted.setdefault(column, [])
            wanted[column].append(value)  # type: ignore[union-attr]
    return wanted, unknown


def _columns(ctx: CheckContext) -> list[tuple[str, pd.Series, str]]:
    hold = ctx.holdout
    cols = [(str(c), hold.X[c], "feature") for c in hold.X.columns]
    if hold.side is not None:
        features = {str(c) for c in hold.X.columns}
        cols += [(str(c), hold.side[c], "side column") for c in hold.side.columns]
        cols = [c for c in cols if c[2] == "feature" or c[0] not in features]
    return cols


def _matching(values: pd.Series, value: str) -> np.ndarray:
    """Row positions whose value is ``value`` (numbers compared as numbers)."""
    if value == "(missing)":
        return np.flatnonzero(values.isna().to_numpy())
    mask = values.astype(str).to_numpy() == value
    if pd.api.types.is_numeric_dtype(values):
        try:
            mask |= values.to_numpy(dtype=float) == float(value)
        except (TypeError, ValueError):
            pass
    return np.flatnonzero(mask)


def _slices(ctx: CheckContext) -> tuple[list[_Slice], dict, list[str]]:
    """Every slice of the scored hold-out rows, the values left out per column, and declared
    "column=value" entries that match no row."""
    keep = scored_holdout(ctx).keep
    declared, _ = _declared(ctx)
    found: list[_Slice] = []
    left_out: dict[str, int] = {}
    no_rows: list[str] = []
    for column, series, origin in _columns(ctx):
        values = pd.Series(np.asarray(series)[keep]) if not keep.all() else series
        values = values.reset_index(drop=True)
        g: Grouping | None = group_by_column(column, values)
        whole = column in declared and declared[column] is None
        taken: set[int] = set()
        for value in declared.get(column) or []:
            i = select_value(g, value) if g is not None else None
            if i is not None:
                taken.add(i)
                continue
            rows = _matching(values, value)
            if not len(rows):
                no_rows.append(f"{column}={value}")
                continue
            found.append(_Slice(column, value, origin, "declared value", rows, True, True))
        if g is None:
            continue
        if g.left_out:
            left_out[column] = g.left_out
        for i, (name, rows) in enumerate(zip(g.names, g.rows(), strict=True)):
            found.append(
                _Slice(column, name, origin, g.kind, rows, whole or i in taken, i in taken)
            )
    return found, left_out, no_rows


def _drop(s: dict, lower_is_better: bool) -> tuple[float, float, float]:
    """How much worse the slice is than the whole hold-out (value, low, high): absolute for a
    score, relative for an error."""
    ref = s["reference"]
    if lower_is_better:
        if ref > 0:
            return s["value"] / ref - 1, s["low"] / ref - 1, s["high"] / ref - 1
        return s["value"] - ref, s["low"] - ref, s["high"] - ref
    return ref - s["value"], ref - s["high"], ref - s["low"]


def _decision(low: float, high: float, bound: float) -> str:
    if high <= bound:
        return "met"
    return "missed" if low > bound else "undecided"


def _row(s: _Slice, est: dict | None, bound: float, lower: bool, level: float) -> dict:
    row: dict = {
        "column": s.column,
        "value": s.value,
        "slice": f"{s.column} = {s.value}"
        if s.kind != "quantile bins"
        else f"{s.column} in {s.value}",
        "kind": s.kind,
        "origin": s.origin,
        "declared": s.declared,
        "rows": len(s.rows),
    }
    if est is None:
        return row
    drop, low, high = _drop(est, lower)
    decision = _decision(low, high, bound)
    status = "pass"
    if decision == "missed":
        status = "fail" if s.declared else "warn"
    elif decision == "undecided" and s.declared:
        status = "fail"
    return row | {
        "metric": est["metric"],
        "value_metric": num(est["value"]),
        "low": num(est["low"]),
        "high": num(est["high"]),
        "overall": num(est["reference"]),  # what the slice is compared with
        "compared_with": "expected" if "expected" in est else "overall",
        "method": est["method"],
        "drop": num(drop),
        "drop_low": num(low),
        "drop_high": num(high),
        "level": level,
        "decision": decision,
        "status": status,
    }


def _what(r: dict) -> str:
    return (
        f"'{r['slice']}' ({r['metric']} {r['value_metric']:.3g} "
        f"[{fmt_number(r['low'])}, {fmt_number(r['high'])}] vs {r['overall']:.3g} "
        f"{'expected' if r.get('compared_with') == 'expected' else 'overall'}, "
        f"{r['rows']:,} rows)"
    )


def _names(rows: list[dict], top: int = 3) -> str:
    more = f" and {len(rows) - top} more" if len(rows) > top else ""
    return "; ".join(_what(r) for r in rows[:top]) + more


_SEVERITY = {"fail": 0, "warn": 1, "pass": 2}


def slices_view(check: dict, doc: dict) -> View | None:
    """The slices, the worst first: rows, metric with its interval, drop vs overall, status;
    and a bar chart of the largest drops."""
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    rows = [r for r in ev.get("slices") or [] if isinstance(r, dict) and "drop" in r]
    if not rows:
        return None
    metric = str(ev.get("metric") or "metric")
    relative = bool(ev.get("lower_is_better"))

    def drop_text(v) -> str:
        if not isinstance(v, (int, float)):
            return "—"
        return f"{v:+.1%}" if relative else f"{v:+.3f}"

    table_rows = []
    for r in rows[:SHOWN]:
        interval = ""
        if isinstance(r.get("low"), (int, float)) and isinstance(r.get("high"), (int, float)):
            interval = f" [{fmt_number(r['low'])}, {fmt_number(r['high'])}]"
        value = r.get("value_metric")
        status = str(r.get("status") or "pass")
        table_rows.append(
            (
                Cell(
                    truncate(r.get("slice"), 100), lines=("declared",) if r.get("declared") else ()
                ),
                Cell(fmt_number(r.get("rows"))),
                Cell(
                    (fmt_number(value) if isinstance(value, (int, float)) else "—") + interval,
                    lines=(truncate(r.get("metric"), 40),) if r.get("metric") != metric else (),
                ),
                Cell(
                    f"{drop_text(r.get('drop'))} [{drop_text(r.get('drop_low'))}, "
                    f"{drop_text(r.get('drop_high'))}]"
                ),
                Cell("", status=status, chip=True),  # the chip says the status
            )
        )
    overall = raw if isinstance(raw := ev.get("overall"), dict) else {}
    yardstick = "expected" if any(r.get("compared_with") == "expected" for r in rows) else "overall"
    table = Table(
        (
            "slice",
            "rows",
            metric,
            f"drop vs {yardstick}" + (" (relative)" if relative else ""),
            "status",
        ),
        tuple(table_rows),
        numeric=(1, 2, 3),
    )
    worst = sorted(
        (r for r in rows if isinstance(r.get("drop"), (int, float)) and r["drop"] > 0),
        key=lambda r: -r["drop"],
    )[:BARS]
    blocks: list = [table]
    if worst:
        top = max(r["drop"] for r in worst)
        blocks.append(
            Bars(
                f"Largest drops of {metric} against the "
                + ("slice's expected value" if yardstick == "expected" else "whole hold-out"),
                tuple(
                    (truncate(r.get("slice"), 60), r["drop"] / top, drop_text(r["drop"]))
                    for r in worst
                ),
            )
        )
    notes = [
        f"Whole hold-out: {metric} {fmt_number(overall.get('value'))}. Intervals at "
        f"{fmt_number(ev.get('interval_level'))} corrected for {ev.get('slices_tested', 0):,} "
        f"slices tested (Bonferroni); bound on the drop: {fmt_number(ev.get('max_drop'))}"
        + (" (relative)." if relative else ".")
    ]
    if len(rows) > SHOWN:
        notes.append(f"Showing the {SHOWN} worst of {len(rows):,} slices judged.")
    if ev.get("too_small_count"):
        notes.append(
            f"{ev['too_small_count']:,} slices with fewer than {ev.get('min_rows')} rows are "
            "listed in the evidence, not judged."
        )
    return View(
        "slices",
        "Performance per slice",
        tuple(blocks),
        summary=truncate(check.get("summary"), 400),
        check=str(check.get("id")),
        notes=tuple(notes),
        shows=("slices",),
        nav="Slices",
    )


@check(
    "performance.slices",
    section=SECTION,
    runs_in=("validation",),
    needs=(Input.MODEL, Input.HOLDOUT, Input.TARGET),
    scores=(
        Score(
            "model-6",
            "auto",
            "The hold-out metric on every category value, numeric quantile bin and declared "
            "slice, against the whole hold-out with intervals corrected for the slices tested.",
        ),
    ),
    view=slices_view,
)
@states_unscored_rows
def slices(ctx: CheckContext) -> Finding:
    """Is the model much worse on some slice of the data (a category value, a numeric bin, a
    slice declared in the policy) than on the whole hold-out, with enough rows to be sure?

    A slice's metric has an interval at the policy's level, Bonferroni-corrected for the number
    of slices tested. A slice found by the search warns when even its interval's optimistic end
    is worse than the whole hold-out by more than ``slice_max_drop``: every real model has a
    weakest slice, so the search never fails. A slice declared in the policy fails when it is
    surely worse by more than that, and fails with "insufficient evidence" when its interval
    straddles the bound."""
    undecidable = no_target(ctx, train=False) or one_class(ctx, train=False)
    if undecidable is not None:
        return undecidable
    p = ctx.policy
    declared, unknown = _declared(ctx)
    known = [c for c, _, _ in _columns(ctx)]
    if unknown:
        return Finding(
            "error",
            f"The policy declares slices on column(s) the hold-out does not hold: "
            f"{', '.join(repr(c) for c in unknown)} (known columns: "
            f"{truncate(', '.join(known), 300)}).",
            {"unknown_columns": unknown, "known_columns": known[:200]},
            remedy="Fix the names in the policy's `slices`, or keep the column beside the "
            "hold-out (--sensitive VAR, or in the frame the hold-out was split from).",
        )
    scorer = _scorer(ctx)
    found, left_out, no_rows = _slices(ctx)
    if no_rows:
        return Finding(
            "error",
            f"Declared slice(s) {', '.join(no_rows)} match no hold-out row: check the values.",
            {"no_rows": no_rows, "declared_slices": list(p.slices)},
            remedy="Use a value the column holds (as shown in the report's slice table), or "
            "declare the whole column to slice it by each value.",
        )
    judged = [s for s in found if len(s.rows) >= p.slice_min_rows]
    small = [s for s in found if len(s.rows) < p.slice_min_rows]
    n_declared = sum(s.declared for s in judged)
    level_search = bonferroni(p.interval_level, len(judged))
    level_declared = bonferroni(p.interval_level, n_declared)
    overall = scorer.overall(p.interval_level)
    offset = overall["value"] - overall.get("expected", math.nan)
    bound = p.slice_max_drop
    start = time.perf_counter()
    rows, unjudged = [], []
    # declared first, then the largest slices: the time budget never leaves a declared one out
    for s in sorted(judged, key=lambda s: (not s.declared, -len(s.rows))):
        if not s.declared and time.perf_counter() - start > SEARCH_SECONDS:
            unjudged.append(_row(s, None, bound, scorer.lower_is_better, level_search))
            continue
        level = level_declared if s.declared else level_search
        est = scorer.estimate(s.rows, level)
        if "expected" in est and math.isfinite(est["expected"]) and math.isfinite(offset):
            # what the whole hold-out's AUC says this slice should score: the AUC the model's
            # own probabilities expect on it, shifted by the whole hold-out's observed-minus-
            # expected (the model's overall calibration)
            est["reference"] = min(1.0, est["expected"] + offset)
            est["expected"] = num(est["expected"])
        est.setdefault("reference", overall["value"])
        rows.append(_row(s, est, bound, scorer.lower_is_better, level))
    # explicitly declared "column=value" slices too small to judge: insufficient evidence
    too_small_declared = [
        _row(s, None, bound, scorer.lower_is_better, level_declared)
        | {"status": "fail", "decision": "undecided"}
        for s in small
        if s.explicit
    ]
    rows.sort(key=lambda r: (_SEVERITY[r["status"]], -(r["drop"] or 0.0)))
    flagged = [r for r in rows if r["status"] == "warn"]
    missed = [r for r in rows if r["status"] == "fail" and r["decision"] == "missed"]
    undecided = [r for r in rows if r["status"] == "fail" and r["decision"] == "undecided"]
    evidence = {
        "metric": scorer.metric,
        "metric_note": scorer.note,
        "lower_is_better": scorer.lower_is_better,
        "overall": {
            "value": num(overall["value"]),
            "low": num(overall["low"]),
            "high": num(overall["high"]),
            "n": len(scorer.y),
            "method": overall["method"],
        },
        "slices": rows[:MAX_SLICES_KEPT],
        "slices_tested": len(judged),
        "slices_declared": n_declared,
        "correction": "Bonferroni",
        "corrected_level": level_search,
        "corrected_level_declared": level_declared,
        "interval_level": p.interval_level,
        "max_drop": bound,
        "min_rows": p.slice_min_rows,
        "declared_slices": list(p.slices),
        "columns": len({s.column for s in found}),
        "too_small": [
            {"slice": f"{s.column} = {s.value}", "rows": len(s.rows), "declared": s.declared}
            for s in small[:50]
        ],
        "too_small_count": len(small),
        "values_not_sliced": left_out,
        "not_judged_time_budget": [r["slice"] for r in unjudged[:50]],
        "not_judged_time_budget_count": len(unjudged),
        "search_seconds": SEARCH_SECONDS,
    }
    if len(rows) > MAX_SLICES_KEPT:
        evidence["slices_kept"] = MAX_SLICES_KEPT
    kind = "relative " if scorer.lower_is_better else ""
    if missed:
        return Finding(
            "fail",
            f"{len(missed)} declared slice(s) are surely worse than the whole hold-out by more "
            f"than the policy's {kind}bound of {bound}: {_names(missed)}.",
            evidence,
            remedy="Improve the model on these slices (more training rows of them, features "
            "that describe them, a separate model), or raise slice_max_drop if the policy was "
            "wrong (a reviewer should agree).",
        )
    if undecided or too_small_declared:
        evidence["insufficient_evidence"] = True
        parts = [
            f"'{r['slice']}' has {r['rows']:,} rows (fewer than slice_min_rows {p.slice_min_rows})"
            for r in too_small_declared
        ] + [
            f"{_what(r)}: its drop's interval [{fmt_number(r['drop_low'])}, "
            f"{fmt_number(r['drop_high'])}] straddles {bound}"
            for r in undecided
        ]
        return Finding(
            "fail",
            f"Insufficient evidence for {len(parts)} declared slice(s): {'; '.join(parts[:3])}"
            + (f" and {len(parts) - 3} more" if len(parts) > 3 else "")
            + ".",
            evidence,
            remedy="Hold out more rows of the declared slices, so the bound on their drop can be "
            "decided.",
        )
    tested = (
        f"{len(judged):,} slices of {evidence['columns']} columns tested at "
        f"{p.interval_level:.0%} corrected for their number"
    )
    if flagged:
        return Finding(
            "warn",
            f"{len(flagged)} slice(s) found by the search are clearly worse than the whole "
            f"hold-out (by more than {bound}{' relative' if kind else ''}): {_names(flagged)}. "
            f"{tested[0].upper()}{tested[1:]}; searched slices only warn.",
            evidence,
            remedy="Look at these slices: a data-quality problem, a population the training data "
            "lacks, or a harder part of the problem. If one matters to the business, declare it "
            "in the policy's `slices` to hold it to slice_max_drop.",
        )
    if not rows:
        return Finding(
            "pass",
            f"No slice to judge: {len(small)} slice(s) have fewer than {p.slice_min_rows} rows"
            if small
            else "No slice to judge: every column holds a single value.",
            evidence,
        )
    worst = max(rows, key=lambda r: r["drop"] or 0.0)
    return Finding(
        "pass",
        f"No slice is clearly worse than the whole hold-out by more than {bound}"
        f"{' relative' if kind else ''} ({tested}); the weakest is {_what(worst)}.",
        evidence,
    )
