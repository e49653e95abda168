"""After hand-off: ``mlready monitor`` checks live batches against a registered version.

The flow (:mod:`.run`): read the batch (:mod:`.batch`) → resolve the version and read what the
bundle stores for monitoring, never a training row (:mod:`.reference`) → the monitor checks
(``jupyter_mlready.checks.live_inputs`` / ``live_outputs``) → monitor.json and the reports →
one MLflow run per batch (:mod:`.tracking`).
"""

from __future__ import annotations

from .run import FILENAME, monitor
from .tracking import format_history, history

__all__ = ["FILENAME", "format_history", "history", "monitor"]
