"""Hand freed memory back to the system, in the processes a check runs for a long time.

Two allocators keep what a process frees: glibc keeps heap blocks below its mmap threshold
(most of a frame's columns), and Arrow's memory pool (mimalloc by default; pandas 3 keeps
string columns there) keeps its segments. Neither shrinks the resident set until asked. A
check's peak memory is the sum over its processes (the CLI, the notebook kernel, the
validation kernel and the scoring server), so what one of them keeps after its work is done
counts against all of them. Asking costs a few milliseconds.
"""

from __future__ import annotations

import ctypes
import sys


def return_freed_memory() -> None:
    """Ask Arrow's memory pool (when pyarrow is loaded) and glibc to release the memory this
    process has freed. A no-op where neither applies."""
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        try:
            arrow.default_memory_pool().release_unused()
        except Exception:  # noqa: BLE001 - a courtesy: never a reason for a check to fail
            pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
