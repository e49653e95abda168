"""Summarize a ``py-spy record --format raw --subprocesses`` profile of ``mlready check``.

Only the main thread's samples count (stacks through ``_run_module_as_main`` or the CLI's
``<module>``): py-spy also samples ipykernel's I/O threads, which sit in epoll and would
otherwise dominate. Usage: ``python benchmarks/profile_summary.py PROFILE.txt [--rate 50]``.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_LOCATION = re.compile(r" \(([^()]*?):\d+\)$")


def _frame(f: str) -> str:
    """Drop the line number from a frame's location.

    'run_check (jupyter_mlready/checks/__init__.py:183)'
    -> 'run_check (jupyter_mlready/checks/__init__.py)'.
    """
    return _LOCATION.sub(lambda m: f" ({m.group(1)})", f.strip())


def summarize(path: str, rate: float = 50.0, top: int = 25) -> dict:
    """Seconds per process, per step under ``check_namespace`` and per package function
    (inclusive)."""
    procs: Counter = Counter()
    steps: Counter = Counter()
    validation: Counter = Counter()
    inclusive: Counter = Counter()
    for line in open(path, encoding="utf-8", errors="replace"):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        procs_in = [f for f in frames if f.startswith("process ")]
        body = [f for f in frames if not f.startswith("process ")]
        if not body or not (
            body[0].startswith("_run_module_as_main") or body[0].startswith("<module>")
        ):
            continue  # not a main thread
        procs[procs_in[-1][:100] if procs_in else "?"] += n
        for i, f in enumerate(body):
            if f.startswith("check_namespace "):
                steps[_frame(body[i + 1]) if i + 1 < len(body) else "<self>"] += n
                break
            if f.startswith(
                "Validation."
            ):  # the validation notebook's kernel: method > what it calls
                inner = next(
                    (g for g in body[i + 1 :] if not g.startswith("Validation.")), "<self>"
                )
                validation[f"{_frame(f).split(' (')[0]} > {_frame(inner)}"] += n
                break
        for f in dict.fromkeys(_frame(f) for f in body):
            if "jupyter_mlready" in f or f.startswith("<module> (mlready"):
                inclusive[f] += n
    s = lambda c: [(k, round(v / rate, 2)) for k, v in c.most_common(top)]  # noqa: E731
    return {
        "processes": s(procs),
        "check_namespace_steps": s(steps),
        "validation_steps": s(validation),
        "package_inclusive": s(inclusive),
    }


def render(summary: dict) -> str:
    out = []
    for title, key in (
        ("main-thread seconds per process", "processes"),
        ("seconds per step of check_namespace", "check_namespace_steps"),
        ("seconds per step of the validation kernel", "validation_steps"),
        ("inclusive seconds per jupyter_mlready function", "package_inclusive"),
    ):
        out.append(f"== {title}")
        out += [f"{v:8.2f}  {k}" for k, v in summary[key]]
    return "\n".join(out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("profile")
    p.add_argument(
        "--rate", type=float, default=50.0, help="py-spy sampling rate used (-r), default 50"
    )
    p.add_argument("--top", type=int, default=25)
    a = p.parse_args()
    print(render(summarize(a.profile, a.rate, a.top)))
