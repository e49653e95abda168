"""readiness.json's ``spark`` record: what ran on Spark, over how many rows, and what read a sample.

Built from the document's own parts (``data.<role>`` of a Spark input, each check's evidence), so
the notebook kernel's checks and the validation kernel's read the same way:

- ``inputs``: per role, the exact row count, how the input is referenced and the seeded sample
  the sampled checks read (rows, seed);
- ``checks``: per check that read a Spark input, ``on`` = "spark" (every row: ``rows`` processed,
  ``jobs`` and ``seconds`` when the check counted them) or "sample" (``sample`` rows of ``of``);
- ``all_rows``: every check that ran on Spark processed exactly an input's rows (a check whose
  count differs is an ``error`` already: this says it was verified);
- ``jobs`` / ``seconds``: the Spark actions the checks ran, and their time, summed (checks that
  share one computation, named by their engine's ``computation``, count it once);
- ``sessions``: per kernel (``notebook``, ``validation``), every Spark job its session ran for
  the check — recording the inputs, the samples, the profile and the checks — and their time.
"""

from __future__ import annotations

from typing import Any

__all__ = ["spark_record"]


def _inputs(data: dict) -> dict:
    return {
        role: {
            "rows": rec.get("rows"),
            "reference": (rec.get("reference") or {}).get("kind"),
            "sample": rec.get("sample"),
        }
        for role, rec in data.items()
        if isinstance(rec, dict) and rec.get("engine") == "spark"
    }


def _processed(evidence: dict, engine: dict) -> int | None:
    """The rows a check that ran on Spark processed (the hold-out's, for the gate's checks)."""
    for value in (engine.get("rows"), evidence.get("holdout_rows"), evidence.get("rows")):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _check_entry(check: dict) -> dict | None:
    raw = check.get("evidence")
    evidence: dict = raw if isinstance(raw, dict) else {}
    engine = evidence.get("engine")
    if isinstance(engine, dict) and engine.get("name") == "spark":
        entry: dict[str, Any] = {"on": "spark", "status": check.get("status")}
        rows = _processed(evidence, engine)
        if rows is not None:
            entry["rows"] = rows
        for key in ("jobs", "seconds", "computation"):
            if isinstance(engine.get(key), (int, float, str)):
                entry[key] = engine[key]
        return entry
    sample = evidence.get("spark_sample")
    if isinstance(sample, dict) and sample:
        role = "holdout" if "holdout" in sample else next(iter(sample))
        read = sample[role] if isinstance(sample[role], dict) else {}
        return {
            "on": "sample",
            "status": check.get("status"),
            "sample": read.get("rows"),
            "of": read.get("of"),
            "seed": read.get("seed"),
        }
    return None


def spark_record(data: dict, checks: list[dict], sessions: dict | None = None) -> dict | None:
    """The ``spark`` record of a document whose ``data`` holds a Spark input; None otherwise.
    ``sessions``: per kernel ("notebook", "validation"), the Spark jobs its session ran for the
    check (``spark.session.jobs_after``)."""
    inputs = _inputs(data or {})
    if not inputs:
        return None
    per_check = {
        c["id"]: entry for c in checks if isinstance(c, dict) and (entry := _check_entry(c))
    }
    on_spark = {i: e for i, e in per_check.items() if e["on"] == "spark"}
    input_rows = {rec.get("rows") for rec in inputs.values()}
    counted = [e["rows"] for e in on_spark.values() if "rows" in e]
    # checks that share one computation (the hold-out's scoring) name it: counted once
    once = {e.get("computation") or check_id: e for check_id, e in on_spark.items()}
    record = {
        "inputs": inputs,
        "checks": per_check,
        "all_rows": bool(counted) and all(r in input_rows for r in counted),
        "jobs": int(sum(e.get("jobs", 0) for e in once.values())),
        "seconds": round(float(sum(e.get("seconds", 0.0) for e in once.values())), 3),
    }
    kept = {
        k: {"jobs": int(v.get("jobs") or 0), "seconds": float(v.get("seconds") or 0.0)}
        for k, v in (sessions or {}).items()
        if isinstance(v, dict)
    }
    if kept:
        record["sessions"] = kept
    return record
