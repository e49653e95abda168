"""Shared by the peer scripts: build the claims data + model, time phases, print one JSON line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ (claims.py)

import claims  # noqa: E402


def parse_args(tool: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=f"Run {tool} on the claims benchmark and print JSON timings."
    )
    p.add_argument("--rows", default="10k", help="10k, 100k, 1m or a number")
    p.add_argument("--out", default=".", help="folder for the HTML report")
    return p.parse_args()


class Phases:
    """Wall-clock seconds per phase, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._t0 = time.perf_counter()

    def __call__(self, name: str, func, *args, **kwargs):
        t = time.perf_counter()
        result = func(*args, **kwargs)
        self.seconds[name] = round(time.perf_counter() - t, 3)
        return result

    def total(self) -> float:
        return round(time.perf_counter() - self._t0, 3)


def build_data(rows: str, phases: Phases):
    """(X_train, X_test, y_train, y_test, model), timed as 'generate' and 'fit'."""
    frame = phases("generate", claims.make_claims, rows)
    X_train, X_test, y_train, y_test = phases("split", claims.split, frame)
    model = phases("fit", claims.make_pipeline().fit, X_train, y_train)
    return X_train, X_test, y_train, y_test, model


def report(tool: str, version: str, rows: str, phases: Phases, html: Path, **extra) -> None:
    doc = {
        "tool": tool,
        "version": version,
        "rows": claims.parse_rows(rows),
        "seconds": phases.seconds,
        "total_in_process": phases.total(),
        "html": str(html),
        "html_bytes": html.stat().st_size if html.exists() else None,
        **extra,
    }
    print(json.dumps(doc))
