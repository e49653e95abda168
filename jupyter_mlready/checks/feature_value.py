"""features.value: does every feature earn its place? Permutation importance on the hold-out.

Each feature's column is shuffled in a seeded sample of the hold-out (``feature_value_rows``) and
the model's per-row loss is compared with its loss on the intact rows. The loss is the task's
primary metric written per row: the Brier score of the class probabilities (the ranking metrics
that decide, ROC AUC and average precision, have no per-row form), the balanced error rate of the
labels (each row weighted by its class's share, so the mean is 1 − balanced accuracy), or the
absolute error (MAE) of a regression. The repeats (as many as ``feature_value_seconds`` allows,
at least two unless the budget runs out) are averaged per row, and the importance is the mean of
those per-row differences with its Student-t interval: the interval carries both the sampling
noise of the rows and the randomness of the shuffles. A feature whose interval reaches zero, or
whose importance is below a tiny epsilon (0.1% of the model's loss), adds nothing measurable.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..formatting import fmt_number, truncate
from ..intervals import mean_interval
from ..views import Bars, Cell, Table, View
from .registry import CheckContext, Finding, Input, Score, Section, check
from .undecidable import no_target, one_class

FEATURES = Section(
    "features",
    "Features: policy and value",
    "Whether each feature is allowed by the policy, and whether it earns its place: permutation "
    "importance on the hold-out, with an interval. A feature that adds nothing measurable is still "
    "an input the service must receive, validate and keep stable.",
    order=80,
)

#: repeats of each feature's shuffle: at least MIN_REPEATS unless the budget runs out
MIN_REPEATS = 2
MAX_REPEATS = 3
#: the fewest sampled rows the budget may shrink the sample to
MIN_ROWS = 500
#: the sample sizes a slow model's sample is cut to (the largest that fits the budget)
ROW_STEPS = (500, 1_000, 2_000, 5_000, 10_000, 20_000)
#: the first full shuffle of every feature may take up to this many budgets
FIRST_PASS_CAP = 5.0
#: the shuffled copies of several features are scored in one model call of at most this many
#: cells (rows x columns)
STACK_CELLS = 2_000_000
#: below this many rows, an importance interval that reaches zero but also reaches a measurable
#: loss cannot tell a useless feature from a useful one: insufficient evidence
MIN_DECIDE_ROWS = 200
#: importance below this share of the model's loss counts as nothing, even when surely positive
EPSILON_SHARE = 1e-3
#: numeric feature pairs at least this correlated are noted (permutation importance splits
#: credit between them)
CORRELATED = 0.8
MAX_CORRELATION_COLUMNS = 200
SHOWN = 25


@dataclass(frozen=True)
class _Loss:
    """The per-row loss of the model on a frame: name, what it stands for, and the function."""

    name: str
    note: str
    of: Callable[[pd.DataFrame], np.ndarray]


def _loss(ctx: CheckContext, y: pd.Series) -> _Loss:
    model = ctx.model
    if ctx.task == "regression":
        truth = y.to_numpy(dtype=float)
        return _Loss(
            "absolute error",
            "MAE per row (the regression's primary metrics are RMSE and MAE)",
            lambda X: np.abs(np.asarray(model.predict(X), dtype=float).reshape(-1) - truth),
        )
    classes = list(model.classes) if model.classes is not None else sorted(pd.unique(y))
    codes = np.asarray(pd.Categorical(y.to_numpy(), categories=classes).codes, dtype=int)
    if model.has_proba:
        onehot = np.zeros((len(codes), len(classes)))
        known = codes >= 0
        onehot[np.flatnonzero(known), codes[known]] = 1.0

        def brier(X: pd.DataFrame) -> np.ndarray:
            proba = np.asarray(model.predict_proba(X), dtype=float)
            return ((proba - onehot) ** 2).sum(axis=1)

        return _Loss(
            "Brier score",
            "Brier score of the class probabilities per row (a per-row stand-in for the ranking "
            "metrics that decide, ROC AUC and average precision)",
            brier,
        )
    counts = np.bincount(codes[codes >= 0], minlength=len(classes)).astype(float)
    present = int((counts > 0).sum())
    weight = np.where(codes >= 0, len(codes) / (present * counts[np.maximum(codes, 0)]), 1.0)
    truth_labels = y.to_numpy()

    def balanced_error(X: pd.DataFrame) -> np.ndarray:
        pred = np.asarray(model.predict(X)).reshape(-1)
        wrong = (pred != truth_labels).astype(float)
        wrong[np.asarray(pd.isna(pred))] = np.nan
        return wrong * weight

    return _Loss(
        "balanced error",
        "misclassification per row weighted by its class's share (its mean is 1 − balanced "
        "accuracy, the primary metric of a classifier without probabilities)",
        balanced_error,
    )


def _correlated_pairs(X: pd.DataFrame) -> list[dict]:
    """Numeric feature pairs with |Pearson r| >= CORRELATED, the strongest first."""
    numeric = X.select_dtypes("number").iloc[:, :MAX_CORRELATION_COLUMNS]
    numeric = numeric.loc[:, numeric.nunique(dropna=True) > 1]
    if numeric.shape[1] < 2:
        return []
    corr = numeric.astype(float).corr().to_numpy()
    names = [str(c) for c in numeric.columns]
    pairs: list[dict] = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = float(corr[i, j])
            if math.isfinite(r) and abs(r) >= CORRELATED:
                pairs.append({"features": [names[i], names[j]], "r": round(r, 3)})
    pairs.sort(key=lambda p: -abs(p["r"]))
    return pairs[:50]


def _sample(
    ctx: CheckContext, rows: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.Series]:
    """A seeded random sample of the hold-out rows with a target, in random order."""
    X, y = ctx.holdout.X, ctx.holdout.y
    has_target = np.flatnonzero(np.asarray(y.notna()))
    order = rng.permutation(has_target)[:rows]
    return X.iloc[order], y.iloc[order]


def _error(col: str, exc: Exception, evidence: dict) -> Finding:
    return Finding(
        "error",
        f"The model crashed on the hold-out with feature '{col}' shuffled: "
        f"{type(exc).__name__}: {truncate(exc, 300)}",
        {**evidence, "feature": col, "exception": type(exc).__name__, "message": str(exc)[:2000]},
        remedy="A shuffled column holds the same values as before, only on other rows: a model "
        "that cannot score it depends on row order or on combinations of values. Fix the model.",
    )


@dataclass
class _Run:
    """What ran: per feature, the per-row sums of loss differences and how many repeats."""

    sums: np.ndarray  # features x rows
    counts: np.ndarray  # features x rows (a NaN difference counts nothing)
    repeats: np.ndarray  # per feature: shuffles done
    stopped_early: bool = False


def _permute(
    ctx: CheckContext,
    X: pd.DataFrame,
    y: pd.Series,
    base: np.ndarray,
    budget: float,
    start: float,
) -> _Run | tuple[str, Exception]:
    """Shuffle each feature in turn, ``MAX_REPEATS`` times unless the budget runs out.

    The shuffled copies of several features go to the model stacked in one frame (at most
    ``STACK_CELLS`` cells): a model's fixed cost per call is paid once per stack, not once per
    feature. The permutations are drawn in the same order either way, and a prediction does not
    depend on the rows beside it (``batch_invariance`` checks that), so the result is the same
    as shuffling one feature at a time; a stack the model cannot score is re-run one feature at
    a time, which names the feature."""
    cols = [str(c) for c in X.columns]
    rng = np.random.default_rng(ctx.policy.seed + 1)
    n = len(X)
    per_stack = max(1, STACK_CELLS // max(1, n * X.shape[1]))
    stacks = [range(i, min(i + per_stack, len(cols))) for i in range(0, len(cols), per_stack)]
    losses: dict[int, _Loss] = {}  # the loss of k stacked copies of the rows
    run = _Run(
        np.zeros((len(cols), n)),
        np.zeros((len(cols), n), dtype=int),
        np.zeros(len(cols), dtype=int),
    )
    for r in range(MAX_REPEATS):
        elapsed = time.perf_counter() - start
        per_repeat = elapsed / r if r else 0.0
        if r >= MIN_REPEATS and elapsed + per_repeat > budget:
            break
        for stack in stacks:
            # one full shuffle of every feature always runs (the same features are judged on a
            # busy machine as on a quiet one), unless it alone takes FIRST_PASS_CAP budgets
            cap = budget if r else budget * FIRST_PASS_CAP
            if (r or stack.start) and time.perf_counter() - start > cap:
                run.stopped_early = True
                return run
            shuffled = [_shuffled(X, j, rng.permutation(n)) for j in stack]
            k = len(shuffled)
            if k not in losses:
                losses[k] = _loss(ctx, pd.concat([y] * k, ignore_index=True))
            try:
                scored = losses[k].of(pd.concat(shuffled, ignore_index=True)).reshape(k, n)
            except Exception:  # which feature? one at a time names it (or scores them all)
                one = losses.setdefault(1, _loss(ctx, y.reset_index(drop=True)))
                rows = []
                for j, frame in zip(stack, shuffled, strict=True):
                    try:
                        rows.append(one.of(frame.reset_index(drop=True)))
                    except Exception as exc:  # a model that cannot score shuffled rows
                        return cols[j], exc
                scored = np.vstack(rows)
            for j, loss in zip(stack, scored, strict=True):
                diff = loss - base
                ok = np.isfinite(diff)
                run.sums[j, ok] += diff[ok]
                run.counts[j, ok] += 1
                run.repeats[j] += 1
    return run


def _shuffled(X: pd.DataFrame, j: int, order: np.ndarray) -> pd.DataFrame:
    """``X`` with its ``j``-th column's values moved to the rows of ``order`` (``X`` itself is
    left as it is: ``isetitem`` never writes into the shared column)."""
    frame = X.copy(deep=False)
    frame.isetitem(j, X.iloc[:, j].iloc[order].set_axis(X.index))
    return frame


def _feature_rows(run: _Run, cols: list[str], level: float, eps: float, base: float) -> list[dict]:
    rows: list[dict] = []
    for j, col in enumerate(cols):
        if run.repeats[j] == 0:
            rows.append({"feature": col, "measured": False, "repeats": 0})
            continue
        seen = run.counts[j] > 0
        per_row = run.sums[j, seen] / run.counts[j, seen]
        value, low, high = mean_interval(per_row, level)
        earns = bool(math.isfinite(low) and low > 0 and value >= eps)
        rows.append(
            {
                "feature": col,
                "measured": True,
                "importance": _finite(value),
                "low": _finite(low),
                "high": _finite(high),
                "share_of_loss": _finite(value / base) if base > 0 else None,
                "rows": int(seen.sum()),
                "repeats": int(run.repeats[j]),
                "earns": earns,
                # an interval below epsilon is surely nothing; one reaching above it is noise
                "negligible": bool(math.isfinite(high) and high < eps),
            }
        )
    rows.sort(key=lambda r: -math.inf if r.get("importance") is None else -r["importance"])
    return rows


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _names(rows: list[dict], top: int = 8) -> str:
    shown = ", ".join(str(r["feature"]) for r in rows[:top])
    return shown + (f" and {len(rows) - top} more" if len(rows) > top else "")


def _interval(r: dict) -> str:
    low, high = r.get("low"), r.get("high")
    lo = "−∞" if low is None else fmt_number(float(low))
    hi = "∞" if high is None else fmt_number(float(high))
    return f"[{lo}, {hi}]"


def value_view(check: dict, doc: dict) -> View | None:
    """Bars of each feature's importance (largest first) and a table with the intervals."""
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    feats = [f for f in ev.get("features") or [] if isinstance(f, dict)]
    if not feats:
        return None

    def num(v) -> float | None:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    shown = feats[:SHOWN]
    peak = max([num(f.get("importance")) or 0.0 for f in shown] + [0.0])
    bars = tuple(
        (
            truncate(f.get("feature"), 40),
            max(0.0, (num(f.get("importance")) or 0.0) / peak) if peak > 0 else 0.0,
            fmt_number(num(f.get("importance"))) if f.get("measured") else "not measured",
        )
        for f in shown
    )
    partners: dict[str, list[str]] = {}
    for pair in ev.get("correlated_pairs") or []:
        names = pair.get("features") if isinstance(pair, dict) else None
        if isinstance(names, list) and len(names) == 2:
            a, b = str(names[0]), str(names[1])
            partners.setdefault(a, []).append(b)
            partners.setdefault(b, []).append(a)
    rows = []
    for f in shown:
        name = str(f.get("feature"))
        if not f.get("measured"):
            verdict, status = "not measured (time budget)", "skip"
        elif f.get("earns"):
            verdict, status = "earns its place", "pass"
        else:
            verdict, status = "nothing measurable", "warn"
        share = num(f.get("share_of_loss"))
        rows.append(
            (
                Cell(truncate(name, 80), status=status),
                Cell(fmt_number(num(f.get("importance"))) if f.get("measured") else "—"),
                Cell(_interval(f) if f.get("measured") else "—"),
                Cell(f"{share:.2%}" if share is not None else "—"),
                Cell(verdict, muted=status != "warn"),
                Cell(truncate(", ".join(partners.get(name, [])), 120), muted=True),
            )
        )
    level = num(ev.get("interval_level"))
    notes = [
        f"Importance: rise of the per-row {truncate(ev.get('loss'), 60)} when the feature is "
        f"shuffled, on {fmt_number(ev.get('rows'))} hold-out rows, {fmt_number(ev.get('repeats'))} "
        "shuffle(s) per feature" + (f"; {level:.0%} interval." if level is not None else ".")
    ]
    if partners:
        notes.append(
            "Correlated features split the credit: each may look useless while the pair matters."
        )
    if len(feats) > len(shown):
        notes.append(f"Showing {len(shown)} of {len(feats):,} features.")
    table = Table(
        ("feature", "importance", "interval", "share of loss", "verdict", "correlated with"),
        tuple(rows),
        numeric=(1, 2, 3),
    )
    return View(
        "feature-value",
        "Feature value: permutation importance on the hold-out",
        (Bars("importance", bars), table),
        summary=truncate(check.get("summary"), 400),
        check=str(check.get("id")),
        notes=tuple(notes),
        shows=("features",),
        nav="Feature value",
    )


@check(
    "features.value",
    section=FEATURES,
    runs_in=("validation",),
    needs=(Input.MODEL, Input.HOLDOUT, Input.TARGET),
    scores=(
        Score(
            "data-2",
            "auto",
            "Permutation importance of every feature on the hold-out, with an interval; features "
            "that add nothing measurable are listed.",
        ),
        Score(
            "data-3",
            "partial",
            "The benefit side: importance per feature. The cost side (latency, upstream "
            "dependencies, maintenance) is for a person to weigh.",
        ),
    ),
    view=value_view,
)
def feature_value(ctx: CheckContext) -> Finding:
    """Does every feature earn its place (permutation importance on the hold-out, beyond noise)?

    A feature whose importance interval reaches zero, or whose importance is below 0.1% of the
    model's loss, is listed as adding nothing measurable (``warn``): it is still an input the
    service must receive. Seeded, sampled (``feature_value_rows``) and time-budgeted
    (``feature_value_seconds``, for the shuffles): a slow model gets fewer rows (in fixed steps)
    or repeats, and the evidence says how many ran. One shuffle of every feature always runs,
    up to five budgets, so a busy machine judges the same features as a quiet one; features a
    very slow model leaves unreached are listed as not measured, and the decision rests on those
    that were. With
    fewer than 200 sampled rows, an interval that reaches both zero and a measurable loss cannot
    decide: ``warn`` with "insufficient evidence" (not ``fail``: the worst this check can decide
    is a warning, so too little data to decide cannot block more than that). A model that crashes
    on shuffled rows is an ``error``."""
    undecidable = no_target(ctx, train=False) or one_class(ctx, train=False)
    if undecidable is not None:
        return undecidable
    p = ctx.policy
    start = time.perf_counter()
    budget = float(p.feature_value_seconds)
    rng = np.random.default_rng(p.seed)
    available = int(ctx.holdout.y.notna().sum())
    if available == 0 or ctx.holdout.X.shape[1] == 0:
        return Finding(
            "error",
            "Cannot decide: the hold-out has no row with a target, or the model no feature.",
            {"holdout_rows": ctx.holdout.rows, "features": int(ctx.holdout.X.shape[1])},
            remedy="Pass a hold-out with its target (--holdout X_test,y_test).",
        )
    X, y = _sample(ctx, max(1, int(p.feature_value_rows)), rng)
    cols = [str(c) for c in X.columns]
    evidence: dict = {
        "holdout_rows": ctx.holdout.rows,
        "budget_seconds": budget,
        "interval_level": p.interval_level,
        "seed": p.seed,
    }
    loss = _loss(ctx, y)
    base = loss.of(X)
    first = time.perf_counter() - start
    # two full repeats must fit the budget: a slow model is shuffled on fewer rows
    if first * len(cols) * MIN_REPEATS > budget and len(X) > MIN_ROWS:
        keep = max(MIN_ROWS, int(len(X) * budget / (first * len(cols) * MIN_REPEATS) * 0.8))
        # in steps, so that a little more load on the machine does not change the sample
        keep = max([s for s in ROW_STEPS if s <= keep] or [MIN_ROWS])
        if keep < len(X):
            evidence["rows_reduced_from"] = len(X)
            X, y = X.iloc[:keep], y.iloc[:keep]
            loss = _loss(ctx, y)
            base = loss.of(X)
    finite = np.isfinite(base)
    if not finite.all():  # rows the model declines (NaN) are left out
        evidence["unscored_rows"] = int((~finite).sum())
        X, y = X[finite], y[finite]
        loss = _loss(ctx, y)
        base = base[finite]
    if len(X) == 0:
        return Finding(
            "error",
            "Cannot decide: the model gives no prediction for any sampled hold-out row.",
            evidence,
            remedy="See robustness.missing_values: the model declines rows it should score.",
        )
    base_loss = float(base.mean())
    eps = max(EPSILON_SHARE * base_loss, 1e-12)
    evidence.update(
        loss=loss.name,
        loss_note=loss.note,
        model_loss=base_loss,
        epsilon=eps,
        rows=len(X),
        rows_sampled_from=available,
    )
    # the budget is for the shuffles: the intact rows' loss is needed whatever it costs
    ran = _permute(ctx, X, y, base, budget, time.perf_counter())
    if isinstance(ran, tuple):
        return _error(ran[0], ran[1], evidence)
    rows = _feature_rows(ran, cols, p.interval_level, eps, base_loss)
    measured = [r for r in rows if r["measured"]]
    unmeasured = [r["feature"] for r in rows if not r["measured"]]
    repeats = [r["repeats"] for r in measured]
    evidence.update(
        features=rows,
        repeats=min(repeats) if repeats else 0,
        max_repeats=MAX_REPEATS,
        budget_exhausted=bool(ran.stopped_early or (repeats and min(repeats) < MIN_REPEATS)),
        not_measured=unmeasured,
        seconds_used=round(time.perf_counter() - start, 3),
        correlated_pairs=_correlated_pairs(X),
    )
    useless = [r for r in measured if not r["earns"]]
    evidence["not_earning"] = [r["feature"] for r in useless]
    budget_note = ""
    if evidence["budget_exhausted"]:
        budget_note = (
            f" The time budget ({budget:g} s) ran out: "
            + (
                f"{len(unmeasured)} feature(s) not measured "
                f"({_names([{'feature': f} for f in unmeasured], 5)}); "
                if unmeasured
                else ""
            )
            + f"decided on {min(repeats)} shuffle(s) per feature."
        )
    paired = {f for pair in evidence["correlated_pairs"] for f in pair["features"]}
    correlated_useless = [r["feature"] for r in useless if r["feature"] in paired]
    if correlated_useless:
        evidence["note"] = (
            "Permutation importance splits credit between correlated features: "
            + ", ".join(correlated_useless[:10])
            + " may look useless because a correlated feature carries the same information."
        )
    undecided = [r for r in useless if not r["negligible"]] if len(X) < MIN_DECIDE_ROWS else []
    if undecided:
        evidence["insufficient_evidence"] = True
        return Finding(
            "warn",
            f"Insufficient evidence: with {len(X):,} hold-out rows, whether "
            f"{_names(undecided)} add anything cannot be decided (their importance intervals "
            f"reach both zero and a measurable loss).{budget_note}",
            evidence,
            remedy="Hold out more rows so each feature's importance can be told from noise.",
        )
    if useless:
        detail = ", ".join(f"{r['feature']} {_interval(r)}" for r in useless[:8])
        return Finding(
            "warn",
            f"{len(useless)} of {len(measured)} features add nothing measurable: "
            f"{_names(useless)} — each is an input the service must still receive "
            f"(importance on the per-row {loss.name}, {p.interval_level:.0%} interval: "
            f"{detail}).{budget_note}",
            evidence,
            remedy="Drop the features that add nothing and retrain (the fewer inputs, the less "
            "to validate, serve and keep stable), or keep them on purpose and waive this "
            "finding with the reason. Check correlated features together before dropping them.",
        )
    weakest = measured[-1]
    return Finding(
        "pass",
        f"All {len(measured)} features earn their place: shuffling each one raises the per-row "
        f"{loss.name} beyond noise (weakest: {weakest['feature']} {_interval(weakest)}, "
        f"{len(X):,} rows, {min(repeats)} shuffle(s) each).{budget_note}",
        evidence,
    )
