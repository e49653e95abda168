"""Reproducibility: the notebook re-runs top to bottom; the logged artifact predicts the same."""

from __future__ import annotations

import numpy as np

from ..probes.outcome import differing_rows
from .registry import CheckContext, Finding, Input, Score, check, skip
from .sections import REPRODUCIBILITY


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@check(
    "reproducibility.rerun",
    section=REPRODUCIBILITY,
    runs_in=("notebook",),
    needs=(Input.RERUN,),
    waivable=False,  # no hand-off without a passing fresh re-run, whatever the policy says
    scores=(
        Score(
            "model-1",
            "partial",
            "The notebook that builds the model is fingerprinted and re-run top to bottom.",
        ),
        Score(
            "infrastructure-1",
            "auto",
            "The notebook re-trains in a fresh kernel, and the logged "
            "artifact predicts exactly what the notebook's model predicted.",
        ),
        Score(
            "infrastructure-3",
            "auto",
            "Notebook to registered artifact to fresh-kernel validation runs end to end.",
        ),
    ),
)
def rerun(ctx: CheckContext) -> Finding:
    """Does the notebook run top to bottom in a fresh kernel (and, from a live kernel, reproduce
    the live model)?

    Never skipped: without a fresh re-run there is no hand-off. From ``%mlready`` the saved
    notebook is re-executed and its model must predict what the live model predicts on the same
    hold-out rows (labels exactly, numbers within ``batch_tolerance``)."""
    facts = ctx.rerun
    if facts is None or facts.get("ran") is False:
        facts = facts or {}
        command = f"mlready check {facts.get('notebook') or 'NOTEBOOK.ipynb'}"
        return Finding(
            "error",
            "Not re-run in a fresh kernel: "
            + (
                facts.get("reason")
                or "the model was checked in the kernel that holds it, whose state a "
                "top-to-bottom run may not reproduce"
            )
            + f". No hand-off without a fresh re-run: run `{command}`.",
            facts,
            remedy=f"Save the notebook and run `{command}` (or %mlready check in JupyterLab or "
            "VS Code, which know the notebook's file and re-run it).",
        )
    if facts.get("ok"):
        live = facts.get("live")
        if live is not None and not live.get("ok"):
            return Finding(
                "fail",
                "The saved notebook ran top to bottom in a fresh kernel, but does not reproduce "
                f"the live kernel's model: {live.get('reason')}.",
                facts,
                repro=f"papermill {facts.get('notebook', 'NOTEBOOK.ipynb')} out.ipynb",
                remedy="The live model depends on hidden state (cells run out of order or "
                "edited since, deleted cells, unsaved changes) or on unseeded randomness (a "
                "model or a split without random_state). Seed them, save the notebook, restart "
                "the kernel, run all, and check again.",
            )
        same = ""
        if live is not None:
            what = " and ".join(live.get("compared") or ["predict"])
            same = (
                f", and reproduces the live model's {what} on all {live.get('rows', 0):,} "
                "hold-out rows"
            )
        return Finding(
            "pass",
            f"The notebook ran top to bottom in a fresh kernel "
            f"({facts.get('cells', '?')} code cells, {facts.get('seconds', 0):.1f} s){same}.",
            facts,
        )
    idx = facts.get("cell_index")
    where = (
        f"The {_ordinal(idx + 1)} cell (index {idx})" if isinstance(idx, int) else "The notebook"
    )
    return Finding(
        "fail",
        f"{where} failed in a fresh kernel: {facts.get('ename')}: {facts.get('evalue')}",
        facts,
        repro=f"papermill {facts.get('notebook', 'NOTEBOOK.ipynb')} out.ipynb",
        remedy=facts.get("remedy")  # a timeout or a dead kernel says what to do about it
        or "The notebook depends on hidden state (cells run out of order, deleted cells, files "
        "made by hand). Restart the kernel, run all, and fix the first failing cell.",
    )


def compare_predictions(ctx: CheckContext, reference: dict) -> Finding:
    """The artifact's hold-out predictions against the notebook model's, stored in the bundle."""
    X = ctx.holdout.X
    pred = np.asarray(ctx.holdout_predictions())
    ref = np.asarray(reference["predict"])
    evidence: dict = {"rows": int(len(X)), "compared": ["predict"]}
    repro = (
        "import mlflow, numpy as np, pandas as pd\n"
        f"model = mlflow.pyfunc.load_model({ctx.model_uri!r})\n"
        "X = pd.read_parquet('bundle/data/holdout.parquet')\n"
        "ref = np.load('bundle/data/reference_predictions.npz')\n"
        "print((np.asarray(model.predict(X)) != ref['predict']).sum(), 'rows differ')"
    )
    remedy = (
        "The artifact is not the notebook's model: it was refitted, depends on random state, "
        "or reads a notebook global at predict time. Log the fitted object itself and keep "
        "predict free of hidden state."
    )
    if pred.shape[0] != ref.shape[0]:
        return Finding(
            "fail",
            f"The artifact returned {pred.shape[0]} predictions for {ref.shape[0]} "
            "hold-out rows; the notebook model returned one per row.",
            evidence,
            repro,
            remedy,
        )
    rows, gap = differing_rows(pred, ref, ctx.policy.batch_tolerance)
    if ref.dtype.kind in "fc":
        evidence["max_abs_diff"] = gap
    same = ~rows
    differ = int(rows.sum())
    evidence["predict_rows_differ"] = differ
    evidence["example_rows"] = [int(i) for i in np.flatnonzero(~same)[:5]]
    if "predict_proba" in reference and getattr(ctx.model, "has_proba", False):
        proba = np.asarray(ctx.holdout_proba(), dtype=float)
        rp = np.asarray(reference["predict_proba"], dtype=float)
        evidence["compared"].append("predict_proba")
        if proba.shape != rp.shape:
            return Finding(
                "fail",
                f"The artifact's probabilities have shape {proba.shape}, the notebook "
                f"model's {rp.shape}.",
                evidence,
                repro,
                remedy,
            )
        gap = float(np.nanmax(np.abs(proba - rp))) if rp.size else 0.0
        evidence["max_proba_diff"] = gap
        if gap > ctx.policy.batch_tolerance:
            return Finding(
                "fail",
                f"The artifact's probabilities differ from the notebook model's by up "
                f"to {gap:.3g} (tolerance {ctx.policy.batch_tolerance:g}); "
                f"{differ} of {len(ref):,} labels differ.",
                evidence,
                repro,
                remedy,
            )
    if differ:
        return Finding(
            "fail",
            f"{differ:,} of {len(ref):,} hold-out predictions of the artifact differ "
            "from the notebook model's.",
            evidence,
            repro,
            remedy,
        )
    read = f"all {len(ref):,} hold-out rows"
    spark = ctx.holdout.spark
    if spark is not None and len(ref) < spark.rows:  # the bundle keeps the seeded sample
        read = f"{len(ref):,} hold-out rows (the seeded sample of the {spark.rows:,} on Spark)"
        evidence["spark_sample"] = {
            "holdout": {"rows": len(ref), "of": spark.rows, "seed": spark.seed}
        }
    return Finding(
        "pass",
        f"The artifact loads in a fresh kernel and reproduces the notebook model's "
        f"{' and '.join(evidence['compared'])} on {read}.",
        evidence,
    )


@check(
    "reproducibility.fresh_kernel",
    section=REPRODUCIBILITY,
    needs=(Input.LOAD_FAILURE,),
    scores=(
        Score("infrastructure-1"),
        Score("infrastructure-3"),
        Score(
            "infrastructure-6",
            "partial",
            "The artifact is loaded and predicts in a fresh process before it is promoted.",
        ),
        Score(
            "monitoring-3",
            "auto",
            "The served artifact, loaded in a fresh kernel, predicts "
            "what the training-time model predicted on the same rows.",
        ),
    ),
)
def fresh_kernel(ctx: CheckContext) -> Finding:
    """Does the logged artifact load in a fresh kernel and predict exactly what the notebook's
    model predicted?

    In the validation notebook, ``ctx.load_failure`` carries a load failure (the finding itself:
    e.g. ModuleNotFoundError for a notebook-local module), and otherwise the artifact's
    predictions are compared with ``ctx.reference_predictions`` from the bundle."""
    facts = ctx.load_failure
    if facts is not None:
        return Finding(
            facts["status"],
            facts["summary"],
            facts.get("evidence", {}),
            facts.get("repro"),
            facts.get("remedy"),
        )
    reference = ctx.reference_predictions
    if ctx.where == "validation" and reference is not None and ctx.model is not None:
        return compare_predictions(ctx, reference)
    return skip(
        "Checked in the validation notebook, against the logged artifact in a fresh kernel "
        "(`mlready validate`), not in the notebook's own kernel."
    )
