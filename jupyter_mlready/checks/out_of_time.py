"""Out-of-time quality and staleness: does quality decay from older to newer hold-out periods, and
how old are the training data and the model? (ML Test Score Model 4, Monitoring 4)"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from ..intervals import z_value
from ..metrics import LOWER_IS_BETTER, compute_metrics, estimate_metrics, primary_metrics
from ..side_columns import side_or_feature, words
from ..views import Bar, Cell, Facts, Table, View
from .performance import model_metrics, scored_holdout
from .registry import CheckContext, Finding, Input, Score, check, skip
from .sections import PERFORMANCE

TIME_WORDS = frozenset({"date", "time", "timestamp", "ts", "day", "month", "created", "at", "when"})


def _is_time(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s)


def find_time_column(ctx: CheckContext) -> tuple[str | None, str]:
    """(column, how it was chosen); (None, why) when there is none. Raises ValueError for a
    declared column that is not there."""
    declared = ctx.policy.time_column
    hold = ctx.holdout
    if declared:
        if side_or_feature(hold, declared) is None:
            known = [str(c) for c in hold.X.columns] + (
                [str(c) for c in hold.side.columns] if hold.side is not None else []
            )
            raise ValueError(
                f"the policy's time_column {declared!r} is neither a feature nor a column beside "
                f"the hold-out (known: {', '.join(known[:20])})"
            )
        values = _as_time(side_or_feature(hold, declared))
        if not values.notna().any():
            raise ValueError(
                f"the policy's time_column {declared!r} holds no value that reads as a date or time"
            )
        return declared, "policy time_column"
    frames = [hold.X] + ([hold.side] if hold.side is not None else [])
    found = [str(c) for f in frames for c in f.columns if _is_time(f[c])]
    if not found:
        return None, "no date or time column among the features or beside the hold-out"
    # a name that says time first ("claim_date" before "birth_date" only by order)
    ranked = sorted(found, key=lambda c: not (set(words(c)) & TIME_WORDS))  # stable: by order
    return ranked[0], "detected: the " + ("only" if len(found) == 1 else "first") + " date column"


def _as_time(values) -> pd.Series:
    """Times as naive UTC datetimes; text (dates read from a CSV) is parsed, unparseable
    values become missing."""
    s = pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce", utc=True)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.astype("datetime64[ns]")


def _segment_rows(times: pd.Series, k: int, min_rows: int) -> list[np.ndarray]:
    """Positions of the rows with a time, in ``k`` time-ordered groups of equal size (fewer when
    the rows do not fill them)."""
    known = np.flatnonzero(times.notna().to_numpy())
    order = known[np.argsort(times.to_numpy()[known], kind="stable")]
    k = max(2, min(k, len(order) // max(min_rows, 1)))
    return [part for part in np.array_split(order, k) if len(part)]


def _segment_metric(ctx: CheckContext, rows: np.ndarray, metric: str, y, out) -> dict:
    yy = np.asarray(y)[rows]
    pred = np.asarray(out.pred)[rows]
    proba = None if out.proba is None else np.asarray(out.proba)[rows]
    from ..metrics import Outputs

    points = compute_metrics(ctx.task, yy, pred, proba, ctx.model.classes)
    if metric not in points:
        return {"value": None, "low": None, "high": None, "n": len(rows)}
    est = estimate_metrics(
        ctx.task,
        yy,
        Outputs(pred, proba),
        ctx.model.classes,
        ctx.policy.interval_level,
        ctx.policy.seed,
        points={metric: points[metric]},
    )[metric]
    return est.to_dict()


def _decay(first: dict, last: dict, metric: str, level: float) -> dict | None:
    """Oldest minus newest (positive: worse now), with a normal interval from the two
    segments' intervals (independent rows)."""
    ends = [first.get(k) for k in ("value", "low", "high")] + [
        last.get(k) for k in ("value", "low", "high")
    ]
    if any(v is None or not math.isfinite(v) for v in ends):
        return None
    z = z_value(level)
    se1 = (first["high"] - first["low"]) / (2 * z)
    se2 = (last["high"] - last["low"]) / (2 * z)
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    value = sign * (first["value"] - last["value"])
    half = z * math.hypot(se1, se2)
    return {"value": value, "low": value - half, "high": value + half}


def _training_range(ctx: CheckContext, column: str) -> tuple[str | None, str | None, str]:
    """The training data's time range: the contract's (all training rows) for a feature, else
    the training sample's."""
    names = {c.name for c in ctx.contract.columns} if ctx.contract is not None else set()
    spec = ctx.contract.column(column) if column in names else None
    if spec is not None and spec.min is not None and spec.max is not None:
        return str(spec.min), str(spec.max), "all training rows (the contract)"
    values = side_or_feature(ctx.train, column) if ctx.train is not None else None
    if values is None or not values.notna().any():
        return None, None, "unknown: the training rows carry no such column"
    t = _as_time(values)
    where = "the training sample" if ctx.where == "validation" else "all training rows"
    return t.min().isoformat(), t.max().isoformat(), where


def _logged_at(model_uri: str | None) -> str | None:
    """When the artifact was logged (its MLflow run's start), or None when unknown."""
    if not model_uri:
        return None
    try:
        import mlflow

        client = mlflow.MlflowClient()
        if model_uri.startswith("models:/"):
            name, _, version = model_uri[len("models:/") :].partition("/")
            run_id = client.get_model_version(name, version).run_id
        elif model_uri.startswith("runs:/"):
            run_id = model_uri[len("runs:/") :].split("/")[0]
        else:
            return None
        start = client.get_run(str(run_id)).info.start_time
        return dt.datetime.fromtimestamp(start / 1000, dt.UTC).isoformat(timespec="seconds")
    except Exception:  # noqa: BLE001 - the age is reported as unknown, the check still decides
        return None


def _naive(value: str) -> pd.Timestamp:
    """A time as naive UTC (a time zone in the data or the contract's ISO text is converted)."""
    t = pd.Timestamp(value)
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t


def _days_between(earlier: str | None, now: dt.datetime) -> float | None:
    if not earlier:
        return None
    later = pd.Timestamp(now).tz_convert("UTC").tz_localize(None)
    return round((later - _naive(earlier)).total_seconds() / 86400, 1)


def time_view(check: dict, doc: dict) -> View | None:
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    segs = ev.get("segments") or []
    if not segs:
        return None
    metric = ev.get("metric", "")
    values = [s.get("value") for s in segs if isinstance(s.get("value"), (int, float))]
    top = max(values) if values else 1.0
    rows = []
    for s in segs:
        v = s.get("value")
        text = "—" if v is None else f"{v:.3f}"
        if s.get("low") is not None and s.get("high") is not None:
            text += f" [{s['low']:.3f}, {s['high']:.3f}]"
        bar = Bar(max(0.0, v / top) if v is not None and top else 0.0) if v is not None else None
        rows.append(
            (
                Cell(f"{s.get('from', '')[:10]} → {s.get('to', '')[:10]}"),
                Cell(f"{s.get('rows', 0):,}"),
                Cell(text, bar=bar),
            )
        )
    facts = [
        ("time column", f"{ev.get('time_column')} ({ev.get('how')})"),
        ("training data", f"{ev.get('train_from', '?')} → {ev.get('train_to', '?')}"),
        ("split", ev.get("split", "")),
        ("data age", f"{ev.get('data_age_days')} days (max {ev.get('max_data_age_days')})"),
    ]
    if ev.get("model_age_days") is not None:
        facts.append(("model age", f"{ev['model_age_days']} days"))
    return View(
        "out-of-time",
        "Quality over time",
        (
            Facts(tuple((k, str(v)) for k, v in facts)),
            Table(("hold-out period", "rows", metric), tuple(rows), numeric=(1, 2)),
        ),
        status=check.get("status"),
        check=check.get("id"),
        nav="Over time",
    )


@check(
    "performance.out_of_time",
    section=PERFORMANCE,
    needs=(Input.MODEL, Input.HOLDOUT, Input.TARGET),
    scores=(
        Score(
            "model-4",
            "auto",
            "The hold-out is scored in time-ordered periods and the decay from the oldest to the "
            "newest is measured with intervals.",
        ),
        Score(
            "monitoring-4",
            "auto",
            "The age of the newest training row is compared with max_data_age_days on every check "
            "and every `mlready validate` (a scheduled job alerts on a stale model).",
        ),
    ),
    view=time_view,
)
def out_of_time(ctx: CheckContext) -> Finding:
    """With a time column: does quality decay from older to newer hold-out periods; how old is the
    training data?

    The hold-out is cut into ``time_segments`` periods of equal row count; the task's primary
    metric is computed per period with its interval, and a drop from the oldest to the newest
    period surely larger than ``slice_max_drop`` warns. A hold-out that is not later than the
    training data (a random split) is said: the decay is then seen within the same period the
    model learned from, not its staleness. The newest training row older than
    ``max_data_age_days`` warns."""
    try:
        column, how = find_time_column(ctx)
    except ValueError as exc:
        return Finding(
            "error",
            f"Cannot evaluate over time: {exc}.",
            {"time_column": ctx.policy.time_column},
            remedy="Fix time_column in the policy, or keep the column beside the hold-out "
            "(in the frame it was split from), or pass it with --sensitive VAR.",
        )
    if column is None:
        return skip(f"No time column: {how}; set time_column in the policy if there is one.")
    p = ctx.policy
    times = _as_time(side_or_feature(ctx.holdout, column))
    scored = scored_holdout(ctx)
    times = times[scored.keep] if scored.unscored else times
    times = times.reset_index(drop=True)
    metric = primary_metrics(ctx.task, model_metrics(ctx))[0]
    now = dt.datetime.now(dt.UTC)
    train_from, train_to, range_from = _training_range(ctx, column)
    hold_from = times.min().isoformat() if times.notna().any() else None
    hold_to = times.max().isoformat() if times.notna().any() else None
    out_of_time_split = bool(train_to and hold_from and _naive(hold_from) >= _naive(train_to))
    split = (
        "out of time: the hold-out starts after the newest training row"
        if out_of_time_split
        else "random: the hold-out's period overlaps the training data's, so the decay below is "
        "seen within the period the model learned from, not its staleness"
    )
    data_age = _days_between(train_to, now)
    logged = _logged_at(ctx.model_uri) if ctx.where == "validation" else None
    evidence: dict = {
        "time_column": column,
        "how": how,
        "metric": metric,
        "train_from": train_from,
        "train_to": train_to,
        "train_range_from": range_from,
        "holdout_from": hold_from,
        "holdout_to": hold_to,
        "split": split,
        "out_of_time_split": out_of_time_split,
        "data_age_days": data_age,
        "max_data_age_days": p.max_data_age_days,
        "model_logged_at": logged,
        "model_age_days": _days_between(logged, now),
        "checked_at": now.isoformat(timespec="seconds"),
        "interval_level": p.interval_level,
        "rows_without_time": int(times.isna().sum()),
    }
    if not out_of_time_split:
        evidence["scorecard_limits"] = {
            "model-4": "the split is random, so the decay measured is within the training period; "
            "train on older data and hold out the newest to measure staleness"
        }
    segments = _segment_rows(times, p.time_segments, p.slice_min_rows)
    seg_records = []
    for rows in segments:
        record = _segment_metric(ctx, rows, metric, scored.y, scored.outputs)
        record.update(
            rows=int(len(rows)),
            **{
                "from": times.iloc[rows].min().isoformat(),
                "to": times.iloc[rows].max().isoformat(),
            },
        )
        seg_records.append(record)
    evidence["segments"] = seg_records
    problems = []
    remedy = []
    decay = (
        _decay(seg_records[0], seg_records[-1], metric, p.interval_level)
        if len(seg_records) > 1
        else None
    )
    evidence["decay"] = decay
    evidence["decay_bound"] = p.slice_max_drop
    if decay is not None and decay["low"] > p.slice_max_drop:
        problems.append(
            f"{metric} falls from {seg_records[0]['value']:.3f} in the oldest period to "
            f"{seg_records[-1]['value']:.3f} in the newest (drop {decay['value']:.3f}, "
            f"surely above {p.slice_max_drop})"
        )
        remedy.append(
            "Quality decays with time: retrain on recent data, weight recent rows, and set a "
            "retraining schedule; monitor live batches with `mlready monitor`."
        )
    if data_age is not None and data_age > p.max_data_age_days:
        problems.append(
            f"the newest training row ({str(train_to)[:10]}) is {data_age:.0f} days old, more than "
            f"max_data_age_days = {p.max_data_age_days}"
        )
        remedy.append("Retrain on recent data, or raise max_data_age_days if the world is slow.")
    if problems:
        return Finding(
            "warn", "Over time: " + "; ".join(problems) + ".", evidence, remedy=" ".join(remedy)
        )
    if len(seg_records) < 2:
        summary = f"Too few hold-out rows with a time to compare periods on '{column}'"
    else:
        summary = (
            f"No sure decay of {metric} over {len(seg_records)} hold-out periods of '{column}' "
            f"({seg_records[0]['value']:.3f} oldest, {seg_records[-1]['value']:.3f} newest)"
        )
    age = f"; training data {data_age:.0f} days old" if data_age is not None else ""
    split_note = "" if out_of_time_split else " (random split)"
    return Finding("pass", summary + split_note + age + ".", evidence)
