"""data.privacy: personal data in the training and hold-out frames, found before anything is
logged (the registry is where data leaks to), and what is kept out of the registry."""

from __future__ import annotations

import time
from dataclasses import replace

from ..formatting import fmt_number, truncate
from ..privacy.detect import KIND_LABELS, SAMPLE, label, scan_frames
from ..privacy.redact import actions
from ..side_columns import columns_beside
from ..views import Cell, Table, View
from .registry import CheckContext, Finding, Input, Score, Section, check

PRIVACY = Section(
    "privacy",
    "Personal data",
    "Columns whose values look like personal data (e-mail addresses, phone numbers, card "
    "numbers, IBANs, IP addresses, national identity numbers), found by the share of values "
    "that match, before anything is logged. Their values are kept out of the registry.",
    order=12,
)
MAX_SCANNED_LISTED = 200


def _statsmodels_rows(model) -> int:
    """Rows of training data a statsmodels results object still holds (0: none, or not one)."""
    if getattr(model, "flavor", None) != "statsmodels":
        return 0
    data = getattr(getattr(getattr(model, "model", None), "model", None), "data", None)
    endog = getattr(data, "endog", None)
    try:
        return int(len(endog)) if endog is not None else 0
    except TypeError:
        return 0


def _sentence(col: str, info: dict) -> str:
    return f"'{col}' holds {label(info['kind'])} ({info['share']:.0%} of values)"


def _more(n: int) -> str:
    return f"; {n} more column{'s' if n > 1 else ''}" if n else ""


def _redacted(columns: dict, store_data: str) -> dict[str, list[str]]:
    """Logged file -> the personal-data columns kept out of it."""
    feats = [c for c, v in columns.items() if v["feature"]]
    side = [c for c, v in columns.items() if not v["feature"]]
    out: dict[str, list[str]] = {}
    if side:
        out["bundle/data/holdout_side.parquet"] = side
        out["bundle/data/train_sample_side.parquet"] = side
    if feats:
        out["bundle/data/holdout.parquet (stored in <out>/local_data/ by reference)"] = feats
        out["bundle/data/train_sample.parquet (stored in <out>/local_data/ by reference)"] = feats
        out["bundle/data/reference_profile.json"] = feats
        out["bundle/contract.json, contract/"] = feats
        out["model input example"] = feats
    if store_data == "reference" and not feats:
        out["bundle/data/ (every frame stored in <out>/local_data/ by reference)"] = list(columns)
    return out


def privacy_view(check: dict, doc: dict) -> View | None:
    """A table: column, kind, share of values, model input, what was done."""
    ev = raw if isinstance(raw := check.get("evidence"), dict) else {}
    columns = ev.get("columns") if isinstance(ev.get("columns"), dict) else {}
    view = View(
        "privacy",
        "Personal data",
        summary=truncate(check.get("summary"), 400),
        check=str(check.get("id")),
        shows=("columns",),
        nav="Privacy",
    )
    if not columns:
        return view
    rows = []
    for col, info in columns.items():
        if not isinstance(info, dict):
            continue
        feature = bool(info.get("feature"))
        done = [truncate(d, 160) for d in info.get("done") or [] if isinstance(d, str)]
        rows.append(
            (
                Cell(truncate(col, 80), status="fail" if feature else "warn", code=True),
                Cell(truncate(info.get("label") or info.get("kind"), 60)),
                Cell(fmt_number(info.get("share") or 0.0, "share")),
                Cell("yes" if feature else "no", strong=feature),
                Cell(done[0] if done else "", lines=tuple(done[1:])),
            )
        )
    table = Table(
        ("column", "kind", "share of values", "model input?", "what was done"),
        tuple(rows),
        numeric=(2,),
    )
    notes = [truncate(w, 400) for w in ev.get("warnings") or [] if isinstance(w, str)]
    return replace(view, blocks=(table,), notes=tuple(notes))


#: rows of a Spark hold-out's other columns scanned for personal data (a seeded sample)
SPARK_BESIDE_ROWS = 20_000


def _beside(ctx: CheckContext) -> dict:
    """{name: the columns beside the features, at hold-out rows}: the notebook's frames that hold
    the hold-out rows, or for a Spark hold-out a seeded sample of its frame's other columns (a
    pandas frame's index says nothing of a Spark frame's rows)."""
    spark = ctx.holdout.spark
    if spark is None:
        return columns_beside(ctx.namespace, ctx.holdout.X, ctx.train.X)
    from ..spark.sample import beside_sample

    found = beside_sample(spark, min(SPARK_BESIDE_ROWS, spark.sample_rows), spark.seed)
    return {} if found is None else {ctx.holdout.x_var: found}


@check(
    "data.privacy",
    section=PRIVACY,
    runs_in=("notebook",),
    needs=(Input.TRAIN, Input.HOLDOUT),
    scores=(
        Score(
            "data-5",
            "auto",
            "Training and hold-out columns are scanned for personal data (e-mail, phone, card, "
            "IBAN, IP, national ids) by value before anything is logged; a model input holding "
            "them fails, and their values are kept out of the logged bundle, profile, contract, "
            "input example and every finding: the registry receives no personal value.",
        ),
    ),
    view=privacy_view,
)
def privacy(ctx: CheckContext) -> Finding:
    """Does the training or hold-out data, and so anything logged to the registry (bundle, input
    example), hold personal data: e-mail addresses, phone numbers, card numbers, IBANs, IP
    addresses, HKID and other national identity numbers?

    A column is flagged when at least ``privacy_min_share`` of its sampled values match one kind.
    Fails when a flagged column is a model input; warns when personal data sits only beside the
    features (it is kept out of the registry). Evidence never holds a value, at most a masked
    example.
    """
    t0 = time.perf_counter()
    policy = ctx.policy
    frames = {
        "training features": ctx.train.X,
        "hold-out features": ctx.holdout.X,
        "hold-out side columns": ctx.holdout.side,
        "training side columns": ctx.train.side,
    }
    # the notebook's other frames holding the hold-out rows (the frame the split was made from):
    # their columns beside the features are never logged, but a reviewer should know
    for name, beside in _beside(ctx).items():
        frames[f"'{name}' beside the features"] = beside
    found = scan_frames(frames, policy.privacy_min_share, policy.seed)
    ctx.cache["personal_data"] = {col: info["kind"] for col, info in found.items()}
    features = {str(c) for c in ctx.train.X.columns} | {str(c) for c in ctx.holdout.X.columns}
    scanned = sorted({str(c) for f in frames.values() if f is not None for c in f.columns}, key=str)
    columns = {
        col: {
            "kind": info["kind"],
            "label": label(info["kind"]),
            "share": info["share"],
            "checked": info["checked"],
            "example": info["example"],
            "feature": col in features,
            "found_in": info["in"],
            "done": actions(col in features, policy.store_data),
        }
        for col, info in sorted(found.items(), key=lambda kv: (-kv[1]["share"], kv[0]))
    }
    warnings = []
    rows = _statsmodels_rows(ctx.model)
    if rows:
        warnings.append(
            f"The statsmodels results object still holds its {rows:,} training rows "
            "(model.data; no remove_data()): any pickle of it carries them. The logged model is "
            "saved without them (remove_data); call results.remove_data() before pickling it "
            "yourself."
        )
    evidence = {
        "columns": columns,
        "store_data": policy.store_data,
        "redacted": _redacted(columns, policy.store_data),
        "min_share": policy.privacy_min_share,
        "sample_per_column": SAMPLE,
        "scanned": scanned[:MAX_SCANNED_LISTED],
        "scanned_count": len(scanned),
        "detectors": list(KIND_LABELS.values()),
        "warnings": warnings,
        "seconds": round(time.perf_counter() - t0, 4),
    }
    inputs = [c for c, v in columns.items() if v["feature"]]
    if inputs:
        head = inputs[0]
        return Finding(
            "fail",
            f"{_sentence(head, columns[head])} and is a model input{_more(len(inputs) - 1)}. "
            "Its values are kept out of the bundle, the input example, the reports and the "
            "logged notebooks; the model itself carries what it learned from it (an encoder's "
            "categories), so this version must not be handed off.",
            evidence,
            remedy=(
                f"Drop {', '.join(repr(c) for c in inputs[:5])} from the features before "
                "training, or replace it by something that identifies no one (a one-way hash "
                "with a secret salt, an e-mail's domain, a phone number's country); keep "
                "identifiers out of the features. Meanwhile its values are kept out of the "
                "registry (see 'redacted')."
            ),
        )
    if columns:
        head = next(iter(columns))
        return Finding(
            "warn",
            f"{_sentence(head, columns[head])} beside the features{_more(len(columns) - 1)}; "
            "the model does not take it, and it is kept out of the registry.",
            evidence,
            remedy=(
                "Nothing to change in the model. Drop the column from the notebook's frames if "
                "no check needs it; it is never logged."
            ),
        )
    extra = f" Note: {warnings[0]}" if warnings else ""
    return Finding(
        "pass",
        f"No column holds personal data: {len(scanned):,} columns scanned for "
        f"{len(KIND_LABELS)} kinds (at least {policy.privacy_min_share:.0%} of values "
        f"matching flags a column).{extra}",
        evidence,
    )
