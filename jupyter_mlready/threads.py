"""Native thread pools (OpenMP, BLAS) limited to one thread, for many tiny predictions.

Waking an OpenMP pool for a frame of a few rows costs more than the rows (and on a busy machine
far more), and a per-request server worker runs one row on one thread anyway. The libraries to
limit are looked up once per set of imported modules: threadpoolctl's lookup reads every loaded
shared library's headers (about 4 ms each time, paid per example in a generated test file).
"""

from __future__ import annotations

import contextlib
import sys

_controller: tuple[int, object] | None = None  # (len(sys.modules) when looked up, controller)


def one_native_thread():
    """A context manager limiting every native thread pool to one thread (a no-op without
    threadpoolctl, which comes with scikit-learn)."""
    global _controller
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    modules = len(sys.modules)  # a new import may have loaded a new native library
    if _controller is None or _controller[0] != modules:
        _controller = (modules, ThreadpoolController())
    return _controller[1].limit(limits=1)
