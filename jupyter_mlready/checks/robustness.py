"""Robustness and output properties, driven by hypothesis strategies from the contract.

Every check here runs one property (``jupyter_mlready.probes.properties``) over frames drawn
from a pool of valid rows (a sample of ``ctx.train.X`` plus synthetic contract rows), so it
works the same in the notebook and in the validation notebook (where ``ctx.train`` may be a
sample), whatever the data size.

Status:
- ``fail`` when the model crashes inside (see ``probes.outcome`` for the rule that separates a
  crash from a clear rejection), returns invalid output, or answers differently for the same
  information; ``repro`` holds the minimal example hypothesis shrank to, as runnable Python.
- ``policy.clear_rejection`` ("warn" by default) when every problem input was rejected with a
  clear error: an input error that names the offending input (the column; for a whole-frame or
  malformed input, the shape, the emptiness or the non-finite value) and matches no known
  library crash (``probes.error_corpus``).
- ``pass`` otherwise.

Declared expectations (``policy.monotonic_increasing`` / ``monotonic_decreasing`` /
``invariant``, CheckList's DIR and INV tests) are part of ``output.contract``: a prediction that
moves the wrong way breaks the contract of the output as much as a NaN does, and keeping them
there keeps the check ids of DESIGN.md unchanged.

Examples per property: ``policy.property_examples``, capped so that one property takes about
``policy.property_seconds`` of CPU with this model (its CPU time per call is measured before the
run, so the count does not depend on how busy the machine is). The examples are
evaluated stacked, a few model calls for all of them (``probes.screen``); only a property that
finds something broken runs them one by one to shrink the failure. Every edge case hypothesis
did not draw (one per column and kind) is then evaluated once, in shared frames
(``probes.stacks``), so every column a property applies to is exercised whatever the width. The
evidence records the examples run, the seed, the evaluation ("stacked" or "one by one") with its
model calls, the seconds spent generating examples and in the model, and the columns exercised
out of those the property applies to; beyond ``CASES_LISTED`` edge cases it lists the broken and
rejected ones first and counts every kind.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..probes.kinds import Property
from ..threads import one_native_thread
from .property_view import PROPERTIES
from .registry import CheckContext, Finding, Input, Probe, Score, check

if TYPE_CHECKING:  # for annotations only: _run imports the module when a property runs
    from ..probes.properties import PropertyRun

GENERATION_SECONDS = 0.004  # budget per generated example (hypothesis draw + mutation)
STACKED = 10  # examples per model call when they are evaluated stacked (typical; see probes.screen)
MIN_EXAMPLES = 10
CALLS: dict[str, int] = {Property.VALID_OUTPUT: 2, Property.REPEAT: 2, Property.ALONE: 2}

REMEDIES = {
    "missing": "Impute every column inside the pipeline (SimpleImputer, or an estimator that "
    "accepts NaN such as HistGradientBoosting), or validate requests with the contract "
    "(contract.py) at the service boundary and reject them with an error naming the column.",
    "unseen": "Encode with OneHotEncoder(handle_unknown='ignore') or OrdinalEncoder(handle_unknown="
    "'use_encoded_value', unknown_value=-1); normalise case and whitespace before encoding; "
    "or reject values outside the contract's allowed list at the boundary.",
    "extreme": "Clip inputs to the contract's range or reject out-of-range values at the "
    "boundary, and guard output transforms (exp, division) against overflow.",
    "empty": "Return an empty result for an empty batch before calling the model; make sure a "
    "single row works (no code that assumes two or more rows).",
    "format": "Validate requests with the contract (coerce=False) before predict, and select "
    "columns by name (fit on a DataFrame / use a ColumnTransformer), never by position.",
    "output": "Post-process outputs inside the model (clip, renormalise probabilities, map "
    "labels), and fix the step that produces them; see the repro.",
    "determinism": "Remove randomness from predict: fix random_state in every component, do not "
    "sample or add noise at prediction time.",
    "batch": "Transform each row with statistics learned at fit time (StandardScaler fitted on "
    "training), never with the statistics of the incoming batch.",
}
_REMEDY_OF = {
    "missing": "missing",
    "unseen": "unseen",
    "recased": "unseen",
    "zero_rows": "empty",
    "one_row": "empty",
    "numbers_as_text": "format",
    "category_as_text": "format",
    "reordered": "format",
    "extra_column": "format",
    "missing_column": "format",
}
REJECTION_REMEDY = (
    "Clear rejections are acceptable if the service turns them into an error response "
    'naming the column; document them. Set clear_rejection = "pass" in the policy '
    "to accept them without a warning."
)


# -- shared machinery ---------------------------------------------------------------------------


def _pool(ctx: CheckContext):
    from ..probes.pool import example_pool

    real = getattr(ctx.train, "X", None) if ctx.train is not None else None
    return ctx.cached("probes.pool", lambda: example_pool(ctx.contract, real, seed=ctx.policy.seed))


def _seconds_per_call(ctx: CheckContext) -> float:
    """The median CPU time of three predictions on three valid rows, after a warm-up call.

    CPU time of this thread (the model runs on one native thread here), not wall time: a
    machine busy with other work must not cut the examples a property runs."""

    def measure() -> float:
        frame = _pool(ctx).iloc[:3]
        times = []
        with one_native_thread():
            for _ in range(4):
                t = time.thread_time()
                try:
                    ctx.model.predict(frame)
                except Exception:  # the properties will report it
                    pass
                times.append(time.thread_time() - t)
        return sorted(times[1:])[1]

    return ctx.cached("probes.seconds_per_call", measure)


def _examples(ctx: CheckContext, prop: str) -> int:
    return max(MIN_EXAMPLES, min(int(ctx.policy.property_examples), _budget(ctx, prop)))


def _budget(ctx: CheckContext, prop: str) -> int:
    """The examples that fit ``policy.property_seconds`` with this model's CPU cost per call."""
    # examples are evaluated stacked (probes.screen): about one model call per STACKED examples
    per_example = CALLS.get(prop, 1) * _seconds_per_call(ctx) / STACKED + GENERATION_SECONDS
    return int(ctx.policy.property_seconds / per_example)


def _run(ctx: CheckContext, prop: str, **kwargs):
    from ..probes.properties import run_property

    examples = kwargs.pop("examples", None) or _examples(ctx, prop)
    return run_property(
        prop,
        ctx.model,
        ctx.contract,
        _pool(ctx),
        ctx.task,
        seed=ctx.policy.seed,
        examples=examples,
        tolerance=ctx.policy.batch_tolerance,
        **kwargs,
    )


def _timing(run, ctx: CheckContext, prop: str) -> dict:
    gen = run.seconds_generation
    budget = _budget(ctx, prop)
    return {
        "seed": run.seed,
        "examples": run.examples,
        "examples_requested": run.examples_requested,
        "examples_policy": int(ctx.policy.property_examples),
        # fewer than the policy asks only for a model too slow for policy.property_seconds
        "examples_budget": budget,
        "model_call_cpu_ms": round(_seconds_per_call(ctx) * 1000, 3),
        "seconds": round(run.seconds, 4),
        "seconds_generation": round(gen, 4),
        "seconds_model": round(run.seconds_model, 4),
        "evaluation": run.evaluation,
        "model_calls": run.model_calls,
        "examples_per_second_generated": round(run.examples / gen, 1) if gen > 0 else None,
        # every column the property applies to goes through the model (probes.stacks)
        "columns_applicable": len(run.applicable),
        "columns_exercised": len(run.exercised & run.applicable),
        "edge_cases_swept": run.swept,
        **({"edge_cases_undecided": run.undecided} if run.undecided else {}),
    }


def _load_line(ctx: CheckContext) -> str:
    uri = ctx.model_uri
    path = Path(ctx.out or ".") / "tests" / "model.pkl"
    if uri:
        ref = repr(str(uri))
    elif path.is_file():
        ref = repr(str(path))
    else:
        return "model = ...  # TODO: the fitted model (in the notebook: your model variable)"
    return (
        "from jupyter_mlready.testing import load_model\n\n"
        f"model = load_model({ref})  # or use the model object in your notebook"
    )


def _repro(ctx: CheckContext, run) -> str | None:
    from ..probes.repro import call_line, frame_literal, snippet

    if run.failure is None:
        return None
    case, outcome = run.failure
    kind = ctx.model.input_kind
    title = (
        f"{run.check}: minimal failing example found by hypothesis (seed={run.seed}, "
        f"{run.examples} examples{', flaky' if run.flaky else ''})\n"
        f"edge case: {case.describe()}\nresult: {outcome.detail[:300]}"
    )
    proba = ctx.model.has_proba
    method = "predict_proba" if proba else "predict"
    if run.check == Property.REPEAT:
        body = [
            f"a = {call_line(kind, method)}",
            f"b = {call_line(kind, method)}",
            "print(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)).max())"
            "  # expected 0",
        ]
    elif run.check == Property.ALONE:
        i = case.position
        body = [
            f"batch = {call_line(kind, method)}",
            f"alone = {call_line(kind, method, f'X.iloc[[{i}]]')}",
            f"print(batch[{i}], alone[0])  # expected equal",
        ]
    elif case.other is not None:
        call = "model.predict_proba({})[:, -1]" if proba else "model.predict({})"
        arg = "{}.to_numpy()" if kind == "array" else "{}"
        body = [
            f"X_moved = {frame_literal(case.other)}",
            f"print({call.format(arg.format('X'))}, {call.format(arg.format('X_moved'))})"
            f"  # {case.describe()}",
        ]
    elif outcome.verdict == "crash" or outcome.verdict == "rejected":
        body = [f"{call_line(kind)}  # raises {outcome.error}"]
    elif outcome.verdict == "differs" and case.mutation is not None:
        body = [
            f"X_original = {frame_literal(case.base)}",
            f"print({call_line(kind)}, {call_line(kind, frame='X_original')})  # expected equal",
        ]
    else:
        body = [f"print({call_line(kind)})"]
        if proba:
            body.append(f"print({call_line(kind, 'predict_proba')})")
        body[-1] += f"  # {outcome.detail[:200]}"
    return snippet(title, _load_line(ctx), case.frame, body)


def _worst(counts: dict) -> str:
    for verdict in ("crash", "bad_output", "differs", "rejected", "ok"):
        if counts.get(verdict):
            return verdict
    return "ok"


def _cases(run) -> list[dict]:
    out = []
    for entry in run.tally.values():
        result = _worst(entry["counts"])
        first = entry["first"].get(result, {})
        out.append(
            {
                "edge_case": entry["describe"],
                "mutation": entry["mutation"],
                "column": entry["column"],
                "expect": entry["expect"],
                "result": result,
                "graceful": result in ("ok", "rejected"),
                "counts": entry["counts"],
                "detail": first.get("detail"),
                "raised_in": first.get("raised_in"),
                "rule": first.get("rule"),
            }
        )
    return out


CASES_LISTED = 200  # edge cases listed one by one in the evidence; beyond, counts per kind


def _listed(cases: list[dict]) -> dict:
    """The evidence of the edge cases: every one while there are at most ``CASES_LISTED``; on a
    wide frame (thousands: one per column and kind) the broken ones first, then the rejected,
    then the fine ones up to ``CASES_LISTED``, the counts of every kind and result, and the
    columns behind a warn or fail (``flagged_columns``, which the gate's column waivers read)."""
    if len(cases) <= CASES_LISTED:
        return {"cases": cases}
    rank = {"crash": 0, "bad_output": 0, "differs": 0, "rejected": 1, "ok": 2}
    flagged = [c for c in cases if not c["graceful"] or c["result"] == "rejected"]
    named = all(c["column"] is not None for c in flagged)
    listed = sorted(cases, key=lambda c: rank.get(c["result"], 0))[:CASES_LISTED]
    if not named:  # the gate reads the table itself: every flagged row stays in it
        marked = {id(c) for c in flagged}
        rest = [c for c in listed if id(c) not in marked]
        listed = flagged + rest[: max(0, CASES_LISTED - len(flagged))]
    by_kind: dict[str, dict[str, int]] = {}
    for c in cases:
        counts = by_kind.setdefault(str(c["mutation"]), {})
        counts[c["result"]] = counts.get(c["result"], 0) + 1
    out = {
        "cases": listed,
        "cases_total": len(cases),
        "cases_by_kind": by_kind,
    }
    if named:
        out["flagged_columns"] = sorted({str(c["column"]) for c in flagged})
    return out


def _mutation_finding(ctx: CheckContext, prop: str, nothing_to_probe: str | None = None) -> Finding:
    from ..probes.mutators import mutations_for

    if not mutations_for(prop, ctx.contract):
        return Finding("pass", nothing_to_probe or "Nothing to probe.", {"cases": []})
    run = _run(ctx, prop)
    cases = _cases(run)
    broken = [c for c in cases if not c["graceful"]]
    rejected = [c for c in cases if c["result"] == "rejected"]
    evidence = {
        **_timing(run, ctx, prop),
        **_listed(cases),
        "rule": "graceful = valid output, or a clear rejection: an input error that names the "
        "offending input (the column; for a whole-frame or malformed input, the shape, "
        "emptiness or non-finite value) and matches no known library crash; anything else "
        "raised, or invalid/different output, is broken",
    }
    if broken:
        first = run.failure[1] if run.failure else None
        kinds = sorted({_REMEDY_OF.get(c["mutation"], "extreme") for c in broken})
        evidence["falsifying_example"] = repr(run.failure[0]) if run.failure else None
        summary = (
            f"Broken on {len(broken)} of {len(cases)} edge cases, e.g. "
            f"{broken[0]['edge_case']}: {(first.detail if first else broken[0]['detail'])[:200]}"
        )
        return Finding(
            "fail", summary, evidence, _repro(ctx, run), " ".join(REMEDIES[k] for k in kinds)
        )
    if rejected:
        names = ", ".join(c["edge_case"] for c in rejected[:3]) + (
            " ..." if len(rejected) > 3 else ""
        )
        summary = (
            f"No crash on {len(cases)} edge cases ({run.examples} examples); {len(rejected)} "
            f"rejected with a clear error: {names}."
        )
        return Finding(ctx.policy.clear_rejection, summary, evidence, None, REJECTION_REMEDY)
    return Finding(
        "pass",
        f"Valid predictions on all {len(cases)} edge cases ({run.examples} examples).",
        evidence,
    )


def _valid_rows_finding(
    ctx: CheckContext, prop: str, ok: str, remedy: str
) -> tuple[Finding, object]:
    run = _run(ctx, prop)
    evidence = _timing(run, ctx, prop)
    if run.failure is not None:
        case, outcome = run.failure
        evidence["falsifying_example"] = repr(case)
        evidence["result"] = outcome.verdict
        return Finding("fail", outcome.detail[:300], evidence, _repro(ctx, run), remedy), run
    return Finding("pass", ok.format(n=run.examples), evidence), run


# -- the checks -----------------------------------------------------------------------------------


def _probe(prop: Property, name: str, doc: str, *scores: Score) -> dict:
    """The registration facets every property check shares: its section, what it reads, its
    test in the generated pytest file."""
    return {
        "section": PROPERTIES,
        "needs": (Input.MODEL,),
        "probe": Probe(prop, name, doc),
        "scores": scores,
    }


@check(
    "robustness.missing_values",
    **_probe(
        Property.MISSING,
        "missing_values",
        "NaN / None in any column: a valid prediction or a clear rejection, never a crash.",
        Score(
            "data-7",
            "partial",
            "Property tests push edge cases through the model's own preprocessing.",
        ),
        Score("monitoring-5"),
    ),
)
def missing_values(ctx: CheckContext) -> Finding:
    """NaN / None in each column: valid output or a clear rejection, never a crash inside the model?

    Every column is probed, not only those with nulls in training: a feed that never had a null
    gets one the day an upstream system changes, and the model must not crash on it.
    """
    return _mutation_finding(ctx, Property.MISSING)


@check(
    "robustness.unseen_categories",
    **_probe(
        Property.UNSEEN,
        "unseen_categories",
        "Category values never seen in training: handled or clearly rejected.",
        Score("data-7", "related"),
    ),
)
def unseen_categories(ctx: CheckContext) -> Finding:
    """Category values never seen in training: handled or clearly rejected?"""
    return _mutation_finding(
        ctx,
        Property.UNSEEN,
        "No category or text column in the contract: no unseen values to probe.",
    )


@check(
    "robustness.extreme_values",
    **_probe(
        Property.EXTREME,
        "extreme_values",
        "Values far outside the training range, +/-inf, zero, negatives: no crash, finite output.",
        Score(
            "monitoring-5",
            "auto",
            "Property tests feed NaN, ±inf and extreme values and "
            "require finite outputs or a clear rejection.",
        ),
        Score("data-7", "related"),
    ),
)
def extreme_values(ctx: CheckContext) -> Finding:
    """Values far outside the training range, +/-inf, zero, negatives where training was
    positive?"""
    return _mutation_finding(
        ctx,
        Property.EXTREME,
        "No numeric or date column in the contract: no extremes to probe.",
    )


@check(
    "robustness.empty_input",
    **_probe(
        Property.EMPTY,
        "empty_input",
        "Zero rows and one row: valid output or a clear error.",
        Score("infrastructure-2", "related"),
    ),
)
def empty_input(ctx: CheckContext) -> Finding:
    """Zero rows and one row: valid output or a clear error?"""
    return _mutation_finding(ctx, Property.EMPTY)


@check(
    "robustness.input_format",
    **_probe(
        Property.FORMAT,
        "input_format",
        "Numbers as strings, reordered / extra / missing columns: same answer or a clear error.",
        Score("data-7", "partial"),
        Score("monitoring-3", "related"),
    ),
)
def input_format(ctx: CheckContext) -> Finding:
    """Numbers as strings, reordered, extra or missing columns?"""
    return _mutation_finding(ctx, Property.FORMAT)


def _expectations(ctx: CheckContext) -> tuple[list[dict], PropertyRun | None, list[str]]:
    """Run each declared DIR / INV expectation; returns (results, first failing run, problems)."""
    declared = [(f, "increasing") for f in ctx.policy.monotonic_increasing]
    declared += [(f, "decreasing") for f in ctx.policy.monotonic_decreasing]
    declared += [(f, "invariant") for f in ctx.policy.invariant]
    results: list[dict] = []
    failing: PropertyRun | None = None
    problems: list[str] = []
    names = {c.name: c for c in ctx.contract.columns}
    for feature, mode in declared:
        spec = names.get(feature)
        if spec is None:
            problems.append(
                f"policy declares {feature!r} {mode}, but it is not a feature "
                f"(features: {', '.join(names)})"
            )
            continue
        if mode != "invariant" and (spec.kind not in ("float", "integer") or spec.low is None):
            problems.append(
                f"policy declares {feature!r} {mode}, but it is not numeric ({spec.kind})"
            )
            continue
        run = _run(
            ctx,
            Property.EXPECTATION,
            feature=feature,
            mode=mode,
            examples=max(MIN_EXAMPLES, _examples(ctx, Property.VALID_OUTPUT) // 2),
        )
        results.append(
            {
                "feature": feature,
                "expectation": mode,
                "examples": run.examples,
                "result": run.failure[1].verdict if run.failure else "ok",
                "detail": run.failure[1].detail if run.failure else None,
            }
        )
        if run.failure and failing is None:
            failing = run
    return results, failing, problems


@check(
    "output.contract",
    **_probe(
        Property.VALID_OUTPUT,
        "output_contract",
        "One prediction per row, finite, known labels, probabilities in [0, 1] summing to 1.",
        Score(
            "infrastructure-2",
            "partial",
            "Generated property tests (pytest) check the model's outputs and invariances.",
        ),
        Score("monitoring-5"),
    ),
)
def output_contract(ctx: CheckContext) -> Finding:
    """One prediction per row, finite, known labels, probabilities in [0,1] summing to 1?

    Also runs the expectations declared in the policy (monotonic_increasing, monotonic_decreasing,
    invariant: CheckList's DIR and INV tests) and fails when one is violated.
    """
    finding, _run_ = _valid_rows_finding(
        ctx,
        Property.VALID_OUTPUT,
        "Valid output on {n} frames of valid rows (one prediction per row, "
        "finite, known labels, probabilities in [0, 1] summing to 1).",
        REMEDIES["output"],
    )
    results, failing, problems = _expectations(ctx)
    evidence = {**finding.evidence, "expectations": results}
    if problems:
        evidence["expectation_problems"] = problems
        return Finding(
            "error",
            "The policy's declared expectations cannot be tested: " + "; ".join(problems) + ".",
            evidence,
            finding.repro,
            "Fix monotonic_increasing / monotonic_decreasing / invariant in the policy.",
        )
    if finding.status == "fail" or failing is None:
        summary = finding.summary
        if results and finding.status == "pass":
            summary += f" {len(results)} declared expectation(s) hold."
        return Finding(finding.status, summary, evidence, finding.repro, finding.remedy)
    assert failing.failure is not None  # _expectations keeps a run only when it failed
    case, outcome = failing.failure
    evidence["falsifying_example"] = repr(case)
    return Finding(
        "fail",
        f"Declared expectation violated: {outcome.detail[:300]}",
        evidence,
        _repro(ctx, failing),
        "Constrain the model (e.g. monotonic_cst in HistGradientBoosting), drop the "
        "feature it must ignore, or correct the declaration in the policy.",
    )


@check(
    "determinism",
    **_probe(
        Property.REPEAT,
        "determinism",
        "The same rows predicted twice give the same output.",
        Score("infrastructure-2", "partial"),
        Score("infrastructure-1", "related"),
    ),
)
def determinism(ctx: CheckContext) -> Finding:
    """Does the same input twice give the same output?"""
    return _valid_rows_finding(
        ctx,
        Property.REPEAT,
        "The same rows predicted twice give the same output ({n} frames).",
        REMEDIES["determinism"],
    )[0]


@check(
    "batch_invariance",
    **_probe(
        Property.ALONE,
        "batch_invariance",
        "A row predicted alone gives the same output as in a batch.",
        Score("infrastructure-2", "partial"),
        Score("infrastructure-5", "related"),
    ),
)
def batch_invariance(ctx: CheckContext) -> Finding:
    """Is a row predicted alone equal to the same row predicted in a batch?"""
    return _valid_rows_finding(
        ctx,
        Property.ALONE,
        "Rows predicted alone equal the same rows predicted in a batch ({n} frames).",
        REMEDIES["batch"],
    )[0]
