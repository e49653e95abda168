"""Environment variables set for the length of a block, then restored exactly."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping


@contextlib.contextmanager
def temporary_environ(values: Mapping[str, str], keep_existing: bool = False) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` inside the block; with ``keep_existing`` a variable the
    user already set wins. Afterwards every variable is back to what it was (or unset)."""
    saved = {k: os.environ.get(k) for k in values}
    for k, v in values.items():
        if not (keep_existing and k in os.environ):
            os.environ[k] = v
    try:
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old
