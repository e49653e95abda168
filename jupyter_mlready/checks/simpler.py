"""model.simpler: is a simple reference model, fitted in the gate, as good as this one?

The reference is a logistic regression (classification) or a ridge regression on the same
features: numbers imputed with the median and scaled, dates as days, categories, text and
booleans imputed with the most frequent value and one-hot encoded (the 20 most frequent values
of each). It is fitted on the training sample (at most ``simpler_rows`` rows) within
``simpler_seconds``: a pilot fit on a few rows says how many rows fit the budget, and a larger
fit is cut down to those, and the evidence says so. Both models are then compared on the same
hold-out rows, on the primary metrics, with paired intervals (``metrics.paired_improvement``,
as the trivial baseline is compared in ``performance.baseline``).
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..flavors.support import final_step
from ..formatting import fmt_value, truncate
from ..intervals import Estimate, auc_difference
from ..metrics import Outputs, compute_metrics, improvement, paired_improvement, primary_metrics
from ..views import Cell, Facts, Table, View
from .performance import model_metrics, model_outputs, scored_holdout, states_unscored_rows
from .registry import CheckContext, Finding, Input, Score, Section, check
from .undecidable import no_target, one_class

MODEL = Section(
    "model",
    "Model: tuning and a simpler reference",
    "Whether the hyperparameters were searched rather than left at library defaults, and "
    "whether a simple linear model on the same features, fitted here, is as good: the "
    "complexity of the model has to earn its place.",
    order=55,
)

#: the most one-hot columns per categorical feature (the most frequent values)
TOP_CATEGORIES = 20
#: iterations of the logistic regression's solver: bounded, the fit is budgeted
MAX_ITER = 300
#: rows of the pilot fit that measures how many rows fit the time budget
PILOT_ROWS = 2_000
#: classes of estimators that are linear models already (besides sklearn.linear_model)
LINEAR_NAMES = frozenset({"LinearSVC", "LinearSVR"})
#: transformers that make a linear model non-linear in its inputs
EXPANDERS = frozenset(
    {
        "PolynomialFeatures",
        "SplineTransformer",
        "Nystroem",
        "RBFSampler",
        "AdditiveChi2Sampler",
        "SkewedChi2Sampler",
        "PolynomialCountSketch",
        "KBinsDiscretizer",
    }
)
#: hold-out rows encoded and scored at a time by the reference model
SCORE_CHUNK = 50_000
#: metrics whose paired interval is a bootstrap: computed on a seeded sample of this many rows
BOOTSTRAP_SAMPLE = 5_000
BOOTSTRAPPED = frozenset({"average_precision", "balanced_accuracy", "f1_macro", "rmse"})
REFERENCE = {
    "classification": "logistic regression",
    "regression": "ridge regression",
}


class _Unfit(Exception):
    """The reference model cannot be fitted: the reason is the message."""


def _parts(model: Any) -> list[Any]:
    """The objects a model is made of (its nested parameters and pipeline steps)."""
    found = [model]
    try:
        found += list(model.get_params(deep=True).values())
    except Exception:  # noqa: BLE001 - not an sklearn-style estimator
        pass
    return found


def _linear_already(ctx: CheckContext) -> str | None:
    """The model's class when it is already a linear model on its inputs, else None."""
    if ctx.model.flavor == "statsmodels":
        return ctx.model.class_name
    final = final_step(ctx.model.model)
    cls = type(final)
    linear = cls.__module__.startswith("sklearn.linear_model") or cls.__name__ in LINEAR_NAMES
    if not linear:
        return None
    if any(type(part).__name__ in EXPANDERS for part in _parts(ctx.model.model)):
        return None
    return f"{cls.__module__}.{cls.__qualname__}"


def _kinds(X: pd.DataFrame) -> dict[str, str]:
    """Each column's kind for the reference model: numeric, datetime, timedelta or category."""
    kinds = {}
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_bool_dtype(s):
            kinds[str(col)] = "category"
        elif pd.api.types.is_datetime64_any_dtype(s):
            kinds[str(col)] = "datetime"
        elif pd.api.types.is_timedelta64_dtype(s):
            kinds[str(col)] = "timedelta"
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_complex_dtype(s):
            kinds[str(col)] = "numeric"
        else:
            kinds[str(col)] = "category"
    return kinds


def _encode(X: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """The columns as the reference model reads them: floats (dates as days since 1970) and
    strings (missing values kept as NaN for the imputer)."""
    out = {}
    for col, kind in kinds.items():
        s = X[col]
        if kind == "datetime":
            values = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
            days = (values - pd.Timestamp(0)) / pd.Timedelta(days=1)
            out[col] = pd.to_numeric(days, errors="coerce").astype(float)
        elif kind == "timedelta":
            out[col] = (s / pd.Timedelta(days=1)).astype(float)
        elif kind == "numeric":
            out[col] = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            missing = np.asarray(s.isna())
            text = np.asarray(s.astype(str), dtype=object)
            text[missing] = np.nan
            out[col] = text
    frame = pd.DataFrame(out, index=X.index)
    numeric = [c for c, k in kinds.items() if k != "category"]
    if numeric:  # ±inf cannot be scaled: as missing
        frame[numeric] = frame[numeric].replace([np.inf, -np.inf], np.nan)
    return frame


def _columns(X: pd.DataFrame, kinds: dict[str, str]) -> tuple[list[str], list[str], list[dict]]:
    """(numeric columns, categorical columns, dropped columns with the reason) of the encoded
    training sample."""
    numeric, categorical, dropped = [], [], []
    for col, kind in kinds.items():
        s = X[col]
        if s.isna().all():
            dropped.append({"column": col, "reason": "no value in the training sample"})
        elif s.nunique(dropna=True) < 2:
            dropped.append({"column": col, "reason": "constant in the training sample"})
        elif kind == "category":
            categorical.append(col)
        else:
            numeric.append(col)
    return numeric, categorical, dropped


def _pipeline(task: str, numeric: list[str], categorical: list[str]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts = []
    if numeric:
        parts.append(
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            )
        )
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", max_categories=TOP_CATEGORIES)
        parts.append(
            (
                "categorical",
                Pipeline(
                    [("impute", SimpleImputer(strategy="most_frequent")), ("onehot", encoder)]
                ),
                categorical,
            )
        )
    learner = LogisticRegression(max_iter=MAX_ITER) if task == "classification" else Ridge()
    return Pipeline([("columns", ColumnTransformer(parts)), ("model", learner)])


def _fit(task: str, X: pd.DataFrame, y: pd.Series, numeric, categorical) -> tuple[Any, float]:
    from sklearn.exceptions import ConvergenceWarning

    pipe = _pipeline(task, numeric, categorical)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            pipe.fit(X, y)
        except Exception as exc:
            raise _Unfit(f"{type(exc).__name__}: {truncate(exc, 400)}") from exc
    return pipe, time.perf_counter() - start


def _training(ctx: CheckContext) -> tuple[pd.DataFrame, pd.Series, int]:
    """The training rows with a target (a seeded sample of at most ``simpler_rows``), and how
    many there were."""
    X, y = ctx.train.X, ctx.train.y
    keep = np.asarray(y.notna())
    if ctx.task == "regression":
        values = pd.to_numeric(y, errors="coerce")
        if values[keep].isna().any():
            raise _Unfit("the training target holds values that are not numbers")
        keep = keep & np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        y = values.astype(float)
    rows = np.flatnonzero(keep)
    available = len(rows)
    cap = max(1, int(ctx.policy.simpler_rows))
    if available > cap:
        rows = np.sort(np.random.default_rng(ctx.policy.seed).choice(rows, cap, replace=False))
    return X.iloc[rows], y.iloc[rows], available


def _budgeted_fit(ctx: CheckContext, X: pd.DataFrame, y: pd.Series, numeric, categorical) -> dict:
    """Fit within ``simpler_seconds``: a pilot fit on PILOT_ROWS rows says how many rows fit."""
    budget = float(ctx.policy.simpler_seconds)
    n = len(X)
    facts: dict = {"budget_seconds": budget, "rows_reduced": False}
    if n > PILOT_ROWS:
        order = np.random.default_rng(ctx.policy.seed + 1).permutation(n)
        X, y = X.iloc[order], y.iloc[order]  # any prefix is a random sample
        pilot, seconds = _fit(
            ctx.task, X.iloc[:PILOT_ROWS], y.iloc[:PILOT_ROWS], numeric, categorical
        )
        facts["pilot_seconds"] = round(seconds, 4)
        fits = int(PILOT_ROWS * (budget - seconds) / max(seconds, 1e-6) * 0.8)
        if fits < PILOT_ROWS:  # the pilot itself used the budget
            facts.update(rows_reduced=True, fit_seconds=round(seconds, 4), rows=PILOT_ROWS)
            return {**facts, "pipeline": pilot}
        if fits < n:
            facts["rows_reduced"] = True
            X, y = X.iloc[:fits], y.iloc[:fits]
    pipe, seconds = _fit(ctx.task, X, y, numeric, categorical)
    learner = pipe.named_steps["model"]
    iterations = np.ravel(getattr(learner, "n_iter_", 0))  # a ridge regression has none
    facts.update(
        pipeline=pipe,
        fit_seconds=round(seconds, 4),
        rows=len(X),
        converged=bool(ctx.task != "classification" or int(iterations.max()) < MAX_ITER),
    )
    return facts


def _outputs(ctx: CheckContext, pipe: Any, X: pd.DataFrame, kinds: dict[str, str]) -> Outputs:
    """The reference model's hold-out outputs, its probabilities in the model's class order.
    The rows are encoded and scored SCORE_CHUNK at a time: the same outputs (each row is
    scored alone), without the encoded and one-hot copies of a large hold-out in memory at
    once."""
    parts = [
        _chunk_outputs(ctx, pipe, _encode(X.iloc[start : start + SCORE_CHUNK], kinds))
        for start in range(0, len(X), SCORE_CHUNK)
    ] or [_chunk_outputs(ctx, pipe, _encode(X, kinds))]
    pred = np.concatenate([p.pred for p in parts])
    if parts[0].proba is None:
        return Outputs(pred)
    return Outputs(pred, np.concatenate([p.proba for p in parts]))


def _chunk_outputs(ctx: CheckContext, pipe: Any, X: pd.DataFrame) -> Outputs:
    pred = np.asarray(pipe.predict(X))
    if ctx.task != "classification":
        return Outputs(pred.astype(float))
    own = list(pipe.classes_)
    classes = list(ctx.model.classes) if ctx.model.classes is not None else own
    where = {c: i for i, c in enumerate(classes)}
    strangers = [c for c in own if c not in where]
    if strangers:
        raise _Unfit(
            f"the training target's classes {strangers[:5]} are not among the model's classes "
            f"{classes[:10]}"
        )
    proba = np.zeros((len(X), len(classes)))
    proba[:, [where[c] for c in own]] = pipe.predict_proba(X)
    return Outputs(pred, proba)


def _macro_auc_difference(y, ours: Outputs, theirs: Outputs, classes, level: float) -> Estimate:
    """Paired interval of the macro one-vs-rest AUC difference of a multi-class model: DeLong per
    class, and the half-widths averaged (the worst case, classes perfectly correlated), so it
    costs a few sorts instead of hundreds of bootstrapped AUCs."""
    truth = np.asarray(y)
    diffs, halves = [], []
    for k, c in enumerate(classes):
        positive = (truth == c).astype(int)
        if 0 < positive.sum() < len(positive):
            est = auc_difference(
                positive, np.asarray(ours.proba)[:, k], np.asarray(theirs.proba)[:, k], level
            )
            diffs.append(est.value)
            halves.append((est.high - est.low) / 2)
    if not diffs:
        return Estimate(math.nan, -math.inf, math.inf, len(truth), "undefined")
    value, half = float(np.mean(diffs)), float(np.mean(halves))
    method = "paired DeLong per class, half-widths averaged (worst case)"
    return Estimate(value, max(value - half, -1.0), min(value + half, 1.0), len(truth), method)


def _compare(ctx: CheckContext, metric: str, y, theirs: Outputs, points: tuple) -> dict:
    """One primary metric: the model against the reference, with the improvement's paired
    interval. A bootstrapped interval is computed on a seeded sample of BOOTSTRAP_SAMPLE rows
    (wider, never narrower, than on every row); the values are the whole hold-out's."""
    p = ctx.policy
    ours = model_outputs(ctx)
    classes = ctx.model.classes
    rows_used = len(y)
    multi_auc = (
        metric == "roc_auc"
        and classes is not None
        and len(classes) > 2
        and ours.proba is not None
        and theirs.proba is not None
    )
    if multi_auc:
        gain = _macro_auc_difference(y, ours, theirs, classes, p.interval_level)
        gain = Estimate(improvement(metric, *points), gain.low, gain.high, gain.n, gain.method)
    else:
        y_used, a, b = y, ours, theirs
        if metric in BOOTSTRAPPED and len(y) > BOOTSTRAP_SAMPLE:
            rng = np.random.default_rng(p.seed)
            pick = np.sort(rng.choice(len(y), BOOTSTRAP_SAMPLE, replace=False))
            y_used, a, b = y.iloc[pick], _rows_of(ours, pick), _rows_of(theirs, pick)
            rows_used = BOOTSTRAP_SAMPLE
        gain = paired_improvement(
            ctx.task, metric, y_used, a, b, classes, p.interval_level, p.seed, points=points
        )
    interval = gain.to_dict()
    decision = "better" if gain.low > 0 else "worse" if gain.high < 0 else "as good"
    return {
        "metric": metric,
        "model": points[0],
        "simple": points[1],
        "improvement": interval["value"],
        "low": interval["low"],
        "high": interval["high"],
        "interval": interval,
        "interval_rows": rows_used,
        "decision": decision,
    }


def _rows_of(out: Outputs, pick: np.ndarray) -> Outputs:
    proba = None if out.proba is None else np.asarray(out.proba)[pick]
    return Outputs(np.asarray(out.pred)[pick], proba)


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.4g}"


def _interval(low: float | None, high: float | None) -> str:
    return f"[{'−∞' if low is None else f'{low:.3f}'}, {'∞' if high is None else f'{high:.3f}'}]"


def simpler_view(check: dict, doc: dict) -> View | None:
    """Metric / model / simple model / improvement with its interval, and the reference's facts."""
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    comparisons = [r for r in ev.get("comparisons") or [] if isinstance(r, dict)]
    if not comparisons:
        return None

    def num(v) -> float | None:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    status_of = {"better": "pass", "worse": "fail", "as good": "warn"}
    rows = tuple(
        (
            Cell(truncate(r.get("metric"), 40)),
            Cell(_fmt(num(r.get("model"))), strong=True),
            Cell(_fmt(num(r.get("simple")))),
            Cell(
                f"{_fmt(num(r.get('improvement')))} "
                f"{_interval(num(r.get('low')), num(r.get('high')))}"
            ),
            Cell(str(r.get("decision") or "—"), status=status_of.get(str(r.get("decision")))),
        )
        for r in comparisons
    )
    level = num(ev.get("interval_level"))
    cols = raw if isinstance(raw := ev.get("columns"), dict) else {}
    facts = [
        ("reference", truncate(ev.get("reference"), 120)),
        ("fitted on", f"{fmt_value(ev.get('train_rows'))} training rows"),
        ("fit", f"{fmt_value(ev.get('fit_seconds'))} s of {fmt_value(ev.get('budget_seconds'))} s"),
        ("compared on", f"{fmt_value(ev.get('holdout_rows'))} hold-out rows"),
    ]
    for kind in ("numeric", "categorical", "datetime"):
        if cols.get(kind):
            facts.append((kind, truncate(", ".join(map(str, cols[kind])), 200)))
    dropped = [d for d in ev.get("dropped") or [] if isinstance(d, dict)]
    if dropped:
        facts.append(
            (
                "dropped",
                truncate("; ".join(f"{d.get('column')}: {d.get('reason')}" for d in dropped), 300),
            )
        )
    notes = ["Improvement: positive when the model is better (relative for error metrics)."]
    if level is not None:
        notes.append(f"Paired {level:.0%} intervals on the same hold-out rows.")
    return View(
        "simpler-model",
        "A simpler reference model",
        (
            Facts(tuple(facts)),
            Table(
                ("metric", "model", "simple model", "improvement", "model is"),
                rows,
                numeric=(1, 2, 3),
            ),
        ),
        summary=truncate(check.get("summary"), 400),
        check=str(check.get("id")),
        notes=tuple(notes),
        shows=("comparisons",),
        nav="Simpler model",
    )


def _error(reason: str, evidence: dict) -> Finding:
    return Finding(
        "error",
        f"Cannot fit the simple reference model: {reason}.",
        evidence,
        remedy="The comparison needs a training sample with a target the reference can learn "
        "(two classes or more, numbers for a regression) and at least one feature that varies. "
        "Fix the data, or report it if the data looks fine.",
    )


@check(
    "model.simpler",
    section=MODEL,
    runs_in=("validation",),
    needs=(Input.MODEL, Input.TRAIN, Input.HOLDOUT, Input.TARGET),
    scores=(
        Score(
            "model-5",
            "auto",
            "A linear reference model is fitted in the gate on the same features and compared "
            "with the model on the hold-out, with paired intervals.",
        ),
    ),
    view=simpler_view,
)
@states_unscored_rows
def simpler(ctx: CheckContext) -> Finding:
    """Is a simple reference model (linear, on the same features) as good as this one?

    ``pass`` when the model is surely better than the reference on at least one primary metric
    (the paired interval of its improvement above zero) and surely worse on none; otherwise
    ``warn``: the complexity has to earn its place. Never ``fail``: a reviewer weighs the
    trade-off. ``pass`` too when the model is itself a linear model on its inputs (no
    polynomial or spline expansion): it is the simple model; ``error`` when the reference cannot
    be fitted (one class, no feature that varies, a target it cannot learn)."""
    undecidable = no_target(ctx) or one_class(ctx)
    if undecidable is not None:
        return undecidable
    linear = _linear_already(ctx)
    if linear is not None:
        # the test is met by construction: the simple model is the one handed off (a person
        # would not fit a second linear model to compare with the first)
        return Finding(
            "pass",
            f"The model is itself a linear model ({linear}) on its inputs: it is the simple model, "
            "with no complexity to weigh against a linear reference.",
            {"model_class": linear, "linear": True},
        )
    p = ctx.policy
    reference = (
        f"{REFERENCE[ctx.task]} on median-imputed, scaled numbers (dates as days) and one-hot "
        f"encoded categories (the {TOP_CATEGORIES} most frequent values each)"
    )
    evidence: dict = {"reference": reference, "interval_level": p.interval_level}
    try:
        X_train, y_train, available = _training(ctx)
        kinds = _kinds(X_train)
        encoded = _encode(X_train, kinds)
        numeric, categorical, dropped = _columns(encoded, kinds)
        evidence.update(
            columns={
                "numeric": [c for c in numeric if kinds[c] == "numeric"],
                "categorical": categorical,
                "datetime": [c for c in numeric if kinds[c] in ("datetime", "timedelta")],
            },
            dropped=dropped,
            train_rows_available=available,
        )
        if not numeric and not categorical:
            raise _Unfit(
                "no feature varies in the training sample"
                + (f" ({', '.join(d['column'] for d in dropped[:10])})" if dropped else "")
            )
        if ctx.task == "classification" and y_train.nunique() < 2:
            raise _Unfit(f"the training sample holds one class ({y_train.iloc[0]!r})")
        fit = _budgeted_fit(ctx, encoded, y_train, numeric, categorical)
        pipe = fit.pop("pipeline")
        evidence["train_rows"] = fit.pop("rows")
        evidence.update(fit)
        scored = scored_holdout(ctx)
        X_hold = ctx.holdout.X[scored.keep] if scored.unscored else ctx.holdout.X
        theirs = _outputs(ctx, pipe, X_hold, kinds)
    except _Unfit as exc:
        return _error(str(exc), evidence)
    ours = model_metrics(ctx)
    simple = compute_metrics(ctx.task, scored.y, theirs.pred, theirs.proba, ctx.model.classes)
    rows = [
        _compare(ctx, metric, scored.y, theirs, (ours[metric], simple[metric]))
        for metric in primary_metrics(ctx.task, ours)
        if metric in ours and metric in simple
    ]
    evidence.update(
        comparisons=rows,
        model_metrics=ours,
        simple_metrics=simple,
        holdout_rows=len(scored.y),
    )
    if not rows:
        return Finding(
            "error",
            "Cannot compare with the simple reference: no primary metric fits both "
            f"(model: {', '.join(ours) or 'none'}; simple: {', '.join(simple) or 'none'}).",
            evidence,
            remedy="Report this: a task the reference does not cover is a bug of ours.",
        )
    level = f"{p.interval_level:.0%}"

    def described(r: dict) -> str:
        return (
            f"{r['metric']}: model {_fmt(r['model'])}, simple {_fmt(r['simple'])}, the model's "
            f"improvement {_interval(r['low'], r['high'])}"
        )

    reduced = ""
    if evidence.get("rows_reduced"):
        reduced = (
            f" (The reference was fitted on {evidence['train_rows']:,} of "
            f"{available:,} training rows to stay within {p.simpler_seconds:g} s.)"
        )
    better = [r for r in rows if r["decision"] == "better"]
    worse = [r for r in rows if r["decision"] == "worse"]
    if better and not worse:
        return Finding(
            "pass",
            f"The model is clearly better than a simple {REFERENCE[ctx.task]}: "
            + "; ".join(described(r) for r in rows)
            + f" at {level}.{reduced}",
            evidence,
        )
    if worse:
        what = f"The simple {REFERENCE[ctx.task]} is better than the model on " + ", ".join(
            r["metric"] for r in worse
        )
    else:
        what = (
            f"A simple {REFERENCE[ctx.task]} is as good as the model: no primary metric shows a "
            "measurable improvement"
        )
    return Finding(
        "warn",
        f"{what} ({'; '.join(described(r) for r in rows)} at {level}): the complexity has to "
        f"earn its place.{reduced}",
        evidence,
        remedy="Prefer the simpler model unless the complex one brings something the hold-out "
        "metrics do not show (calibration, a slice, a business metric); say why in the review. "
        "A larger hold-out narrows the intervals.",
    )
