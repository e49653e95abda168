"""serving: the model as MLflow serves it, probed over HTTP (the building blocks of the
serving check in ``checks.serving``).

The flow, in the order data goes through these modules:

1. ``guard.add_guard(model_dir, contract, on_invalid)``: before serving, the model folder's
   ``python_function`` flavor validates every request against the contract (``screen``) and
   rejects (HTTP 400 naming the column and rule) or flags the bad rows; the native flavor stays.
2. ``server.start_server(model, log_dir)``: spawn MLflow's scoring server early, in parallel with
   other work; it returns a ``PendingServer`` at once.
3. ``PendingServer.wait_healthy(timeout)``: a ``RunningServer`` (url, port, pid, load seconds,
   log path) once ``/ping`` answers 200, else ``ServerStartError`` with the log's tail.
4. ``http_probe.measure_latency(url, rows, n)``: one-row request percentiles and one batch.
5. ``http_probe.probe(url, bad_rows, columns)`` -> ``Answer``: answered, flagged, rejected
   (naming the column), crash, unclear, server_error or hang.
6. ``PendingServer.stop()``: SIGTERM then SIGKILL to the whole process group; checks nothing
   is left running or listening. ``scoring_server(...)`` is steps 2, 3 and 6 as one ``with``.

Importing this package is light (no mlflow): ``guard`` imports mlflow only when it runs.
"""

from __future__ import annotations

from .guard import GUARD_FILE, ON_INVALID, PREDICTION, REASON, GuardedModel, add_guard
from .http_probe import (
    OUTCOMES,
    Answer,
    Client,
    Response,
    classify,
    frame_payload,
    invoke,
    measure_latency,
    probe,
)
from .screen import Screen, screen_rows
from .server import (
    PendingServer,
    RunningServer,
    ServerStartError,
    StopReport,
    scoring_server,
    start_server,
)

__all__ = [
    "GUARD_FILE",
    "ON_INVALID",
    "OUTCOMES",
    "PREDICTION",
    "REASON",
    "Answer",
    "Client",
    "GuardedModel",
    "PendingServer",
    "Response",
    "RunningServer",
    "Screen",
    "ServerStartError",
    "StopReport",
    "add_guard",
    "classify",
    "frame_payload",
    "invoke",
    "measure_latency",
    "probe",
    "scoring_server",
    "screen_rows",
    "start_server",
]
