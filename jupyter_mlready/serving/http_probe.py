"""http_probe: what a live scoring server answers, and how fast (standard library HTTP only).

Requests are ``POST /invocations`` with ``Content-Type: application/json`` and the body
``{"dataframe_split": {"columns": [...], "data": [[...], ...]}}`` (no index: the server numbers
the rows). Values are written the way MLflow's own client writes them (``json.dumps`` with
``NaN`` allowed, which the server's ``json.loads`` reads): a missing float is ``NaN`` (the column
stays numeric), ``None`` / ``pd.NA`` / ``NaT`` are ``null``, timestamps are ISO 8601 strings,
numpy scalars are plain numbers. One keep-alive connection serves a whole measurement; every
request has a socket timeout, so nothing waits forever.

``classify`` names what one request got, from the bodies MLflow 3.17's scoring server writes
(see ``guard``'s docstring for the exact shapes):

- "answered": 2xx with one prediction per row;
- "flagged": 2xx where a guarded model in "flag" mode answered a row with a null prediction and
  a reason naming the column (``mlready_invalid_reason``);
- "rejected": 4xx whose body names the column (and the rule when it says): the guard's
  ``mlready_failures``, MLflow's "Model is missing inputs ['x']", "Failed to convert column x
  to type 'float64'", "Incompatible input types for column x";
- "crash": a stack trace from inside the model, whatever the status (the server answers 400
  with ``stack_trace`` for any non-MLflow exception in ``predict``);
- "unclear": a 4xx (or odd 2xx) that does not say which column;
- "server_error": 5xx, or no HTTP answer at all (refused, reset);
- "hang": no answer within the timeout, or the server's own request timeout (504 "Request
  processing time exceeded limit").

The server echoes the request frame in its messages ("Failed to predict data '<repr>'") and the
signature's column list ("with schema '[...]'"): those echoes are cut before looking for a
column name, so a column is "named" only when the error is about it.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from .guard import REASON

OUTCOMES = ("answered", "flagged", "rejected", "crash", "unclear", "server_error", "hang")
BODY_CHARS = 500
DEFAULT_TIMEOUT_S = 10.0
INVOCATIONS = "/invocations"
_TRACE = "Traceback (most recent call last)"
_ECHOES = (
    re.compile(r"Failed to predict data '.*?'\. ?\n?Error: ", re.S),
    re.compile(r"Failed to enforce schema of data '.*?' with schema '.*?'\. ?Error: ", re.S),
    re.compile(r"\nInput: \n.*", re.S),
)


@dataclass(frozen=True)
class Response:
    """One HTTP exchange: ``status`` None when no answer came (``timed_out`` or ``error``)."""

    status: int | None
    body: str
    seconds: float
    timed_out: bool = False
    error: str | None = None


@dataclass(frozen=True)
class Answer:
    """What a request got: one of OUTCOMES, the column and rule the answer names (the first
    when several; all names in ``columns``), a one-line ``detail`` and the body's start."""

    outcome: str
    status: int | None
    seconds: float
    column: str | None = None
    rule: str | None = None
    columns: tuple[str, ...] = ()
    detail: str = ""
    body: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["columns"] = list(self.columns)
        d["seconds"] = round(self.seconds, 4)
        return d


# ---------------------------------------------------------------- requests


def _plain(v, numeric: bool = False):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        # in a float column NaN / inf stay (json writes NaN, Infinity; the server reads them
        # and the column stays numeric); elsewhere a NaN is pandas' missing value: null
        return v if numeric or v == v else None
    if isinstance(v, (pd.Timestamp, datetime, date)):
        return v.isoformat()
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v).isoformat()
    if isinstance(v, pd.Timedelta):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (str, int, bool, list, dict)):
        return v
    try:
        return None if pd.isna(v) else str(v)
    except (TypeError, ValueError):
        return str(v)


def frame_payload(frame: pd.DataFrame) -> bytes:
    """The ``dataframe_split`` JSON body for ``frame``."""
    numeric = [pd.api.types.is_float_dtype(d) and isinstance(d, np.dtype) for d in frame.dtypes]
    columns = [frame[c].tolist() for c in frame.columns]
    data = [[_plain(v, f) for v, f in zip(row, numeric)] for row in zip(*columns)]
    body = {"dataframe_split": {"columns": [str(c) for c in frame.columns], "data": data}}
    return json.dumps(body, default=str).encode("utf-8")


class Client:
    """One keep-alive HTTP/1.1 connection to ``url``; reconnects when the server closed it."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT_S):
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._used = False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._used = None, False

    def post(self, body: bytes, path: str = INVOCATIONS) -> Response:
        headers = {"Content-Type": "application/json"}
        t0 = time.perf_counter()
        for _attempt in range(2):
            reused = self._used
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request("POST", path, body=body, headers=headers)
                r = self._conn.getresponse()
                data = r.read()
                self._used = True
                if (r.getheader("connection") or "").lower() == "close":
                    self.close()
                text = data.decode("utf-8", "replace")
                return Response(r.status, text, time.perf_counter() - t0)
            except TimeoutError:
                self.close()
                return Response(None, "", time.perf_counter() - t0, timed_out=True)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if reused:  # a keep-alive connection the server had closed: once more, fresh
                    continue
                return Response(None, "", time.perf_counter() - t0, error=_error(exc))
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                return Response(None, "", time.perf_counter() - t0, error=_error(exc))
        return Response(None, "", time.perf_counter() - t0, error="connection closed twice")


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def invoke(url: str, frame: pd.DataFrame, timeout: float = DEFAULT_TIMEOUT_S) -> Response:
    """One ``POST /invocations`` of ``frame`` on a fresh connection."""
    client = Client(url, timeout)
    try:
        return client.post(frame_payload(frame))
    finally:
        client.close()


def probe(
    url: str,
    frame: pd.DataFrame,
    columns: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Answer:
    """Send ``frame`` and classify the answer; ``columns``: every name the answer may be about
    (the contract's columns: a missing column is not in ``frame``)."""
    names = tuple(dict.fromkeys([*map(str, columns), *map(str, frame.columns)]))
    return classify(invoke(url, frame, timeout), rows=len(frame), columns=names)


# ---------------------------------------------------------------- classification


def _json(body: str) -> dict | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _last_line(trace: str) -> str:
    lines = [ln.strip() for ln in trace.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def strip_echoes(message: str) -> str:
    """The message without the request frame and signature MLflow repeats in it."""
    for pattern in _ECHOES:
        message = pattern.sub("", message)
    return message.strip()


def named_columns(message: str, columns: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(column, rule) pairs an error message is about, in order; with ``columns`` given, only
    those names count."""
    found: list[tuple[str, str]] = []
    for m in re.finditer(r"missing inputs \[(.*?)\]", message):
        found += [(c, "required") for c in re.findall(r"'([^']*)'", m[1])]
    for m in re.finditer(r"column '([^']+)': (.+?) failed", message):
        found.append((m[1], m[2]))
    for m in re.finditer(
        r"Failed to convert column (.+?) (?:from type \S+ )?to (?:type )?'?([\w.]+?)'?\.", message
    ):
        found.append((m[1], f"dtype {m[2]}"))
    for m in re.finditer(r"Incompatible input types for column (.+?)\. ", message):
        found.append((m[1], "dtype"))
    for m in re.finditer(r"input column '([^']+)' is required", message):
        found.append((m[1], "required"))
    if columns:
        found = [(c, r) for c, r in found if c in columns]
        seen = {c for c, _ in found}
        for c in columns:
            if c not in seen and re.search(rf"column '?{re.escape(c)}'?(?![\w-])", message):
                found.append((c, "unknown"))
    return list(dict.fromkeys(found))


def _answered(response: Response, parsed: dict | None, rows: int | None, body: str) -> Answer:
    predictions = parsed.get("predictions") if parsed else None
    if not isinstance(predictions, list):
        return Answer(
            "unclear",
            response.status,
            response.seconds,
            detail="2xx without a list of predictions",
            body=body,
        )
    if rows is not None and len(predictions) != rows:
        detail = f"{len(predictions)} predictions for {rows} rows"
        return Answer("unclear", response.status, response.seconds, detail=detail, body=body)
    reasons = [p.get(REASON) for p in predictions if isinstance(p, dict) and p.get(REASON)]
    if reasons:
        pairs = named_columns("; ".join(str(r) for r in reasons))
        return Answer(
            "flagged",
            response.status,
            response.seconds,
            column=pairs[0][0] if pairs else None,
            rule=pairs[0][1] if pairs else None,
            columns=tuple(dict.fromkeys(c for c, _ in pairs)),
            detail=f"{len(reasons)} of {len(predictions)} rows flagged: {reasons[0]}"[:300],
            body=body,
        )
    return Answer(
        "answered",
        response.status,
        response.seconds,
        detail=f"{len(predictions)} predictions",
        body=body,
    )


def classify(response: Response, rows: int | None = None, columns: Sequence[str] = ()) -> Answer:
    """Which of OUTCOMES ``response`` is (see the module docstring). ``rows``: how many rows
    were sent (a 2xx must have that many predictions); ``columns``: the names an error may be
    about (the contract's and the request's columns)."""
    body = response.body[:BODY_CHARS]
    status, seconds = response.status, response.seconds
    if response.timed_out:
        return Answer("hang", None, seconds, detail="no answer within the timeout")
    if status is None:
        return Answer("server_error", None, seconds, detail=response.error or "no answer")
    parsed = _json(response.body)
    trace = parsed.get("stack_trace") if parsed else None
    ok = 200 <= status < 300
    if trace or (not ok and _TRACE in response.body):
        text = str(trace or response.body[response.body.find(_TRACE) :])
        return Answer("crash", status, seconds, detail=_last_line(text), body=body)
    if ok:
        return _answered(response, parsed, rows, body)
    message = str(parsed.get("message", "")) if parsed else response.body
    if status == 504:
        return Answer("hang", status, seconds, detail=message.strip()[:300], body=body)
    if status >= 500:
        return Answer("server_error", status, seconds, detail=message.strip()[:300], body=body)
    pairs: list[tuple[str, str]] = []
    failures = parsed.get("mlready_failures") if parsed else None
    if isinstance(failures, list):
        pairs = [(str(f.get("column")), str(f.get("check"))) for f in failures if f.get("column")]
    reason = strip_echoes(message)
    pairs = pairs or named_columns(reason, columns)
    if 400 <= status < 500 and pairs:
        return Answer(
            "rejected",
            status,
            seconds,
            column=pairs[0][0],
            rule=pairs[0][1],
            columns=tuple(dict.fromkeys(c for c, _ in pairs)),
            detail=reason[:300],
            body=body,
        )
    return Answer("unclear", status, seconds, detail=reason[:300], body=body)


# ---------------------------------------------------------------- latency


def _percentiles(ms: list[float]) -> dict:
    if not ms:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 3),
        "p95_ms": round(float(p95), 3),
        "p99_ms": round(float(p99), 3),
        "max_ms": round(float(max(ms)), 3),
        "mean_ms": round(float(sum(ms) / len(ms)), 3),
    }


def measure_latency(
    url: str,
    rows: pd.DataFrame,
    n_requests: int = 50,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    warmup: int = 1,
    batch: bool = True,
    repeats: int = 1,
    budget_s: float | None = None,
    min_requests: int = 20,
) -> dict:
    """One-row requests (cycling through ``rows``) on one keep-alive connection, after
    ``warmup`` uncounted ones; then, with ``batch``, one request of all ``rows``. With
    ``repeats`` > 1 each request is sent that many times in a row and its fastest answer counts
    (as ``timeit`` advises: a slower repeat is another process taking the CPU, not the server);
    ``n_requests`` counts the distinct requests; with ``budget_s``, no new one starts once that
    many seconds have passed and ``min_requests`` were sent (``requests`` says how many were).

    Returns ``requests``, ``answered`` (2xx), ``timeouts``, ``statuses`` (count per status),
    ``p50_ms`` / ``p95_ms`` / ``p99_ms`` / ``max_ms`` / ``mean_ms`` over the 2xx answers (None
    when there was none), and ``batch``: ``rows``, ``ms``, ``status``, ``ms_per_row``."""
    if not len(rows):
        raise ValueError("measure_latency needs at least one row")
    payloads = [frame_payload(rows.iloc[[i]]) for i in range(min(len(rows), n_requests))]
    client = Client(url, timeout)
    try:
        for i in range(warmup):
            client.post(payloads[i % len(payloads)])
        ms: list[float] = []
        statuses: Counter = Counter()
        timeouts = 0
        started = time.perf_counter()
        sent = 0
        for k in range(n_requests):
            if (
                budget_s is not None
                and sent >= min_requests
                and time.perf_counter() - started > budget_s
            ):
                break
            sent += 1
            fastest = None
            for _ in range(max(1, repeats)):
                r = client.post(payloads[k % len(payloads)])
                if r.timed_out:
                    timeouts += 1
                    continue
                statuses[str(r.status)] += 1
                if r.status is not None and 200 <= r.status < 300:
                    fastest = r.seconds if fastest is None else min(fastest, r.seconds)
            if fastest is not None:
                ms.append(fastest * 1000.0)
        result: dict = {
            "url": url,
            "requests": sent,
            "answered": len(ms),
            "timeouts": timeouts,
            "statuses": dict(statuses),
            **_percentiles(ms),
        }
        if batch:
            r = client.post(frame_payload(rows))
            took = r.seconds * 1000.0
            result["batch"] = {
                "rows": len(rows),
                "ms": round(took, 3),
                "status": r.status,
                "timed_out": r.timed_out,
                "ms_per_row": round(took / len(rows), 4),
            }
        return result
    finally:
        client.close()
