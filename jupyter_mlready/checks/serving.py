"""serving.endpoint: the logged artifact behind MLflow's real scoring server on 127.0.0.1.

The validation kernel starts the server from the downloaded artifact as soon as the artifact has
loaded (and so passed the trust decision), so it boots while the other sections run
(``jupyter_mlready.serving.start_server``). This check then waits until it answers ``/ping``
(the load time is recorded), sends one-row requests of hold-out rows over HTTP (p50 / p95 /
p99 against ``serving_p95_ms``) and one batch, then requests that break the contract one rule at
a time, and a valid row with a missing value the contract allows. Every answer is read, not just
its status: MLflow's scoring server answers *any* exception in ``predict`` with HTTP 400 and the
traceback in the body, so a 400 proves nothing (``serving.http_probe.classify``).

What the policy's ``on_invalid`` asks of the served artifact (the contract guard logged with it,
``serving.guard``): ``"reject"`` — a 4xx naming the column and the rule; ``"flag"`` — a 200 with
a null prediction and the reason for the invalid row (MLflow's own signature rejects a missing
column or text in a number column before the guard sees it: a 4xx naming the column is graceful
there too). A stack trace from inside the model, a 5xx, a hang or a 4xx naming nothing fails.
The server is stopped at the end and must leave nothing running or listening.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..formatting import fmt_number
from .registry import CheckContext, Finding, Input, Score, Section, check

SERVING = Section(
    "serving",
    "Serving: the artifact behind a real scoring server",
    "MLflow's scoring server is started on 127.0.0.1 for the logged artifact: it must load, "
    "answer one-row requests within the policy's p95 budget over HTTP, and answer requests "
    "that break the contract gracefully (never a stack trace, a 5xx or a hang).",
    order=90,  # last: the server, started when the artifact loaded, boots while the rest runs
)

START_TIMEOUT_S = 120.0  # the server must answer /ping within this long after it was started
REQUESTS = 60  # distinct one-row requests timed over HTTP
REPEATS = 2  # each sent twice in a row, the faster answer counts (as the latency check does)
LATENCY_BUDGET_S = 0.6  # no new request after this long, once MIN_REQUESTS were timed
MIN_REQUESTS = 20
BATCH_ROWS = 200
REQUEST_TIMEOUT_S = 20.0  # per request: nothing may hang
UNSEEN = "__mlready_unseen__"


@dataclass(frozen=True)
class BadRequest:
    """One request that breaks (or, for ``kind == "allowed_null"``, keeps) the contract."""

    kind: str  # missing_column | numbers_as_text | out_of_range | unseen_category | null |
    # allowed_null
    column: str
    frame: pd.DataFrame
    breaks_contract: bool = True
    structural: bool = False  # MLflow's signature may reject it before the guard


def valid_rows(ctx: CheckContext, n: int) -> pd.DataFrame:
    """Up to ``n`` rows a client may send: hold-out rows that satisfy the contract (a hold-out
    can hold a few that do not: ``contract.holdout`` judges those), topped up with training
    rows, which the contract was inferred from."""
    from ..serving import screen_rows

    frames = [ctx.holdout.X.head(4 * n)]
    if ctx.train is not None:
        frames.append(ctx.train.X.head(4 * n))
    out = []
    for frame in frames:
        reasons = screen_rows(ctx.contract, frame).reasons
        out.append(frame[np.array([r is None for r in reasons], dtype=bool)])
        if sum(len(f) for f in out) >= n:
            break
    return pd.concat(out).head(n)


def _first(specs, test):
    return next((c for c in specs if test(c)), None)


def bad_requests(contract, holdout: pd.DataFrame) -> list[BadRequest]:
    """One request per contract rule that a production feed breaks, built from a hold-out row:
    a missing column, a number sent as text, a value out of range, an unseen category, a
    missing value where training had none; and a missing value where the contract allows one
    (the model behind the guard must answer it)."""
    row = holdout.head(1).reset_index(drop=True)
    cols = [c for c in contract.columns if c.name in row.columns]
    out: list[BadRequest] = []
    numeric = _first(cols, lambda c: c.kind in ("float", "integer"))
    if cols:
        first = numeric or cols[0]
        out.append(
            BadRequest("missing_column", first.name, row.drop(columns=[first.name]), True, True)
        )
    if numeric is not None:
        text = row.astype({numeric.name: object})
        text.loc[0, numeric.name] = "not a number"
        out.append(BadRequest("numbers_as_text", numeric.name, text, True, True))
    ranged = _first(cols, lambda c: c.kind in ("float", "integer") and c.high is not None)
    if ranged is not None:
        far = row.copy()
        span = float(ranged.high) - float(ranged.low)
        value = float(ranged.high) + 10 * abs(span) + 1
        if ranged.kind == "integer":
            value = float(np.ceil(value))
        far = far.astype({ranged.name: float})
        far.loc[0, ranged.name] = value
        out.append(BadRequest("out_of_range", ranged.name, far))
    categorical = _first(cols, lambda c: c.kind in ("category", "string") and c.categories)
    if categorical is not None:
        unseen = row.astype({categorical.name: object})
        unseen.loc[0, categorical.name] = UNSEEN
        out.append(BadRequest("unseen_category", categorical.name, unseen))
    strict = _first(cols, lambda c: not c.nullable)
    if strict is not None:
        out.append(BadRequest("null", strict.name, _with_missing(row, strict.name)))
    allowed = _first(cols, lambda c: c.nullable)
    if allowed is not None:
        out.append(
            BadRequest("allowed_null", allowed.name, _with_missing(row, allowed.name), False)
        )
    return out


def _with_missing(row: pd.DataFrame, column: str) -> pd.DataFrame:
    frame = row.copy()
    if pd.api.types.is_numeric_dtype(frame[column].dtype) and not pd.api.types.is_bool_dtype(
        frame[column].dtype
    ):
        frame = frame.astype({column: float})
        frame.loc[0, column] = np.nan
    else:
        frame = frame.astype({column: object})
        frame.loc[0, column] = None
    return frame


def _judge(request: BadRequest, answer, on_invalid: str) -> str | None:
    """What is wrong with the answer to ``request`` under ``on_invalid`` (None: graceful)."""
    outcome = answer.outcome
    if outcome in ("crash", "server_error", "hang"):
        return {
            "crash": "a stack trace from inside the model",
            "server_error": f"a server error ({answer.status})",
            "hang": "no answer (the request hung)",
        }[outcome]
    if not request.breaks_contract:
        return None if outcome in ("answered", "flagged") else f"{outcome}, not an answer"
    names = set(answer.columns) | ({answer.column} if answer.column else set())
    if outcome in ("rejected", "flagged") and request.column not in names:
        return f"{outcome}, without naming column '{request.column}'"
    if on_invalid == "reject":
        return None if outcome == "rejected" else f"{outcome}, not a 4xx naming the column"
    if outcome == "flagged" or (outcome == "rejected" and request.structural):
        return None
    return f"{outcome}, not a 200 flagging the row"


@check(
    "serving.endpoint",
    section=SERVING,
    needs=(Input.MODEL, Input.HOLDOUT, Input.SERVING),
    scores=(
        Score(
            "infrastructure-3",
            "partial",
            "The logged artifact is loaded and queried in MLflow's real scoring server before "
            "the alias moves.",
        ),
        Score(
            "monitoring-6",
            "partial",
            "Latency over HTTP (p50 / p95 / p99) of the served artifact is measured against "
            "the policy's budget at every hand-off.",
        ),
        Score(
            "monitoring-2",
            "auto",
            "The served artifact checks every live request against the same contract and "
            "rejects or flags a violating row naming the column and the rule (verified here with "
            "broken requests); `mlready monitor` alerts on violations in live batches.",
        ),
    ),
)
def endpoint(ctx: CheckContext) -> Finding:
    """Does the artifact load and answer behind a real scoring server on 127.0.0.1: load time, p95
    over HTTP, bad rows answered gracefully (a 4xx naming the column, or flagged), never a stack
    trace, a 5xx or a hang?"""
    from ..serving import ServerStartError, measure_latency, probe

    server = ctx.serving
    policy = ctx.policy
    evidence: dict = {"on_invalid": policy.on_invalid, "budget_p95_ms": policy.serving_p95_ms}
    if server is None:  # the in-memory model, checked because the gate could not run
        return Finding(
            "error",
            "Not served: no logged artifact loaded in a fresh kernel, so no scoring server was "
            "started for it.",
            evidence,
            remedy="Fix the error that kept the artifact from being logged or loaded; the "
            "serving check runs on the logged artifact.",
        )
    try:
        try:
            running = server.wait_healthy(timeout=START_TIMEOUT_S)
        except ServerStartError as exc:
            evidence.update(log=str(exc.log_path), log_tail=exc.log_tail[-4000:])
            return Finding(
                "error",
                f"The scoring server did not start: {exc}",
                evidence,
                remedy="Read the server's log above: the artifact must load where MLflow serves "
                "it (its requirements, its code, the jupyter_mlready contract guard).",
            )
        evidence.update(url=running.url, load_seconds=running.load_seconds)
        rows = valid_rows(ctx, BATCH_ROWS)
        if not len(rows):
            return Finding(
                "error",
                "Cannot measure the served artifact: no hold-out or training row satisfies the "
                "contract, so every request would be refused.",
                evidence,
            )
        latency = measure_latency(
            running.url,
            rows,
            REQUESTS,
            timeout=REQUEST_TIMEOUT_S,
            repeats=REPEATS,
            budget_s=LATENCY_BUDGET_S,
            min_requests=MIN_REQUESTS,
        )
        evidence["latency"] = latency
        columns = [c.name for c in ctx.contract.columns]
        answers = []
        for request in bad_requests(ctx.contract, rows):
            answer = probe(running.url, request.frame, columns, timeout=REQUEST_TIMEOUT_S)
            wrong = _judge(request, answer, policy.on_invalid)
            answers.append(
                {
                    "kind": request.kind,
                    "column": request.column,
                    "breaks_contract": request.breaks_contract,
                    "ok": wrong is None,
                    "problem": wrong,
                    "answer": answer.to_dict(),
                }
            )
        evidence["requests"] = answers
    finally:
        stopped = server.stop()
        evidence["stop"] = {
            "signal": stopped.signal,
            "seconds": stopped.seconds,
            "left_running": list(stopped.leftover),
            "port_open": stopped.port_open,
        }
    return _finding(evidence, latency, answers, stopped, policy)


def _finding(evidence: dict, latency: dict, answers: list[dict], stopped, policy) -> Finding:
    problems = [f"{a['kind']} in '{a['column']}': {a['problem']}" for a in answers if not a["ok"]]
    batch = latency.get("batch") or {}
    if latency.get("answered", 0) < latency.get("requests", 0):
        problems.append(
            f"{latency['requests'] - latency['answered']} of {latency['requests']} valid one-row "
            f"requests were not answered (statuses {latency.get('statuses')})"
        )
    if batch and not (isinstance(batch.get("status"), int) and 200 <= batch["status"] < 300):
        problems.append(f"the batch of {batch.get('rows')} valid rows got {batch.get('status')}")
    if stopped.leftover or stopped.port_open:
        problems.append(
            f"the server left processes {list(stopped.leftover)} running"
            if stopped.leftover
            else "the server's port stayed open after it was stopped"
        )
    p95 = latency.get("p95_ms")
    budget = policy.serving_p95_ms
    timing = (
        f"loaded in {fmt_number(evidence['load_seconds'])} s; one-row p50 "
        f"{fmt_number(latency.get('p50_ms'))} ms, p95 {fmt_number(p95)} ms, p99 "
        f"{fmt_number(latency.get('p99_ms'))} ms over HTTP (budget p95 {fmt_number(budget)} ms)"
    )
    if problems:
        return Finding(
            "fail",
            f"Served, the artifact fails: {'; '.join(problems[:5])}. ({timing})",
            evidence,
            remedy="A request that breaks the contract must be answered by the contract guard "
            f"(on_invalid = {policy.on_invalid!r}), never reach the model and crash it; fix the "
            "model for rows the contract accepts.",
        )
    if p95 is not None and p95 > budget:
        return Finding(
            "fail",
            f"Too slow behind the server: {timing}.",
            evidence,
            remedy="Make the model faster per request (fewer trees, no per-call set-up), or "
            "raise serving_p95_ms if the service allows it.",
        )
    graceful = sum(a["ok"] and a["breaks_contract"] for a in answers)
    mode = "rejected with the column named" if policy.on_invalid == "reject" else "flagged"
    return Finding(
        "pass",
        f"Served by MLflow's scoring server: {timing}; {graceful} request(s) breaking the "
        f"contract {mode}, none crashed; stopped cleanly.",
        evidence,
    )
