"""Shared by the peer scripts: build the benchmark data + model, time phases, print one JSON line.

The data is the claims benchmark (``claims.py``) by default, or the wide benchmark
(``wide_data.py``) with ``--features N``: N numeric + 3 categorical columns.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ (claims.py, ...)

import claims  # noqa: E402
import wide_data  # noqa: E402


def parse_args(tool: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=f"Run {tool} on the claims (or wide) benchmark and print JSON timings."
    )
    p.add_argument("--rows", default="10k", help="10k, 100k, 1m or a number")
    p.add_argument(
        "--features",
        type=int,
        default=0,
        help="the wide benchmark with this many numeric features (default 0: the claims data)",
    )
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


@dataclass
class PeerData:
    """The split, the fitted model and how a peer should read the columns."""

    X_train: object
    X_test: object
    y_train: object
    y_test: object
    model: object
    target: str
    numerical: list[str]
    categorical: list[str]
    datetime: list[str]


def build_data(args: argparse.Namespace, phases: Phases) -> PeerData:
    """The data of ``args`` (claims, or wide with ``--features``) and the fitted model, timed
    as 'generate', 'split' and 'fit'."""
    rows = claims.parse_rows(args.rows)
    if args.features:
        X, y = phases("generate", wide_data.make_wide, rows, args.features)
        X_train, X_test, y_train, y_test = phases("split", wide_data.split, X, y)
        model = phases("fit", wide_data.make_pipeline(X_train).fit, X_train, y_train)
        return PeerData(
            X_train,
            X_test,
            y_train,
            y_test,
            model,
            target=wide_data.TARGET,
            numerical=wide_data.numeric_columns(X_train),
            categorical=wide_data.categorical_columns(X_train),
            datetime=[],
        )
    frame = phases("generate", claims.make_claims, rows)
    X_train, X_test, y_train, y_test = phases("split", claims.split, frame)
    model = phases("fit", claims.make_pipeline().fit, X_train, y_train)
    return PeerData(
        X_train,
        X_test,
        y_train,
        y_test,
        model,
        target=claims.TARGET,
        numerical=[*claims.FLOAT_COLUMNS, *claims.COUNT_COLUMNS],
        categorical=claims.categorical_columns(),
        datetime=list(claims.DATE_COLUMNS),
    )


def report(
    tool: str, version: str, args: argparse.Namespace, phases: Phases, html: Path, **extra
) -> None:
    doc = {
        "tool": tool,
        "version": version,
        "rows": claims.parse_rows(args.rows),
        "features": args.features or None,
        "seconds": phases.seconds,
        "total_in_process": phases.total(),
        "html": str(html),
        "html_bytes": html.stat().st_size if html.exists() else None,
        **extra,
    }
    print(json.dumps(doc))
