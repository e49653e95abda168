"""Check strength: the policy every benchmark run is held to, and the evidence that it was.

A faster check is only a win when it checks as much as before. ``bench.py`` writes
``PINNED_POLICY`` (the values ``jupyter_mlready.policy.Policy`` defaults to as of issue 19, the
ones that govern how hard the checks look) to a TOML file, passes it to every ``mlready check``
with ``--policy FILE``, and after each run asserts from readiness.json that

- the policy in force is the pinned one (``policy.values``);
- every built-in check of the gate ran (``checks.registry.builtin_ids``): none missing, none
  ``error``, none ``skip`` except where it cannot apply (``ALLOWED_SKIPS``: no champion in an
  empty store, no sensitive column in the data, no time column in the wide data); the reason
  each one gave is kept;
- each property test ran at least the policy's ``property_examples`` (``evidence.examples``)
  with the policy's ``seed`` and exercised every column it applies to (``columns_exercised`` =
  ``columns_applicable``);
- the latency check took at least ``LATENCY_MIN_SAMPLES`` one-row samples
  (``evidence.per_row.samples``: a p95 needs 20 to be more than the maximum) against the policy's
  budget (``budget_p95_ms``); the serving check answered at least ``SERVING_MIN_REQUESTS``
  one-row requests (``evidence.latency.requests`` / ``answered``) against the policy's budget
  and ``on_invalid``;
- every interval is at the policy's ``interval_level`` (any ``interval_level`` key in any
  evidence) and every bootstrap interval drew at least ``BOOTSTRAP_MIN_RESAMPLES`` resamples
  (the ``method`` text, "bootstrap (400 resamples)");
- the drift check used the policy's thresholds (``evidence.thresholds``).

``assess`` returns ``{"ok", "problems", "skipped", "evidence"}``; the harness stores it per run.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

#: The default policy, pinned: a product default that changes does not change what the
#: benchmark asks of a check. Written as TOML by ``write_policy``.
PINNED_POLICY: dict = {
    "strict": False,
    "seed": 0,
    "range_margin": 0.10,
    "max_categories": 50,
    "contract_max_failure_rate": 0.01,
    "baseline_min_improvement": 0.02,
    "champion_max_regression": 0.01,
    "overlap_warn": 0.0,
    "overlap_fail": 0.01,
    "target_proxy_warn": 0.95,
    "target_proxy_fail": 0.99,
    "drift_psi_warn": 0.10,
    "drift_psi_fail": 0.25,
    "drift_ks_warn": 0.10,
    "drift_ks_fail": 0.20,
    "drift_null_warn": 0.05,
    "drift_null_fail": 0.20,
    "drift_sample_rows": 200_000,
    "property_examples": 100,
    "property_seconds": 1.0,
    "clear_rejection": "warn",
    "batch_tolerance": 1e-6,
    "latency_p95_ms": 50.0,
    "serving_p95_ms": 50.0,
    "on_invalid": "reject",
    "slice_max_drop": 0.05,
    "slice_min_rows": 30,
    "fairness_max_parity_difference": 0.10,
    "fairness_max_odds_difference": 0.10,
    "feature_value_rows": 5_000,
    "feature_value_seconds": 1.0,
    "simpler_seconds": 1.5,
    "simpler_rows": 20_000,
    "time_segments": 4,
    "max_data_age_days": 365,
    "privacy_min_share": 0.30,
    "spark_sample_rows": 50_000,
    "cell_timeout": 600,
    "interval_level": 0.90,
    "thresholds": {"classification": {"roc_auc": 0.65}, "regression": {"r2": 0.20}},
}

#: Checks that may skip in a benchmark run, and why they do not apply there.
ALLOWED_SKIPS = {
    "performance.champion": "every run logs to its own copy of an empty store: no champion",
    "fairness.groups": "the data has no sensitive column and the policy declares none",
    "performance.out_of_time": "the data has no date or time column (the wide data)",
}
LATENCY_MIN_SAMPLES = 20
SERVING_MIN_REQUESTS = 20
#: ``jupyter_mlready.intervals.BOOTSTRAP_REPS`` as of issue 19.
BOOTSTRAP_MIN_RESAMPLES = 400
DRIFT_THRESHOLDS = {
    "psi_warn": "drift_psi_warn",
    "psi_fail": "drift_psi_fail",
    "ks_warn": "drift_ks_warn",
    "ks_fail": "drift_ks_fail",
    "null_warn": "drift_null_warn",
    "null_fail": "drift_null_fail",
}
_RESAMPLES = re.compile(r"bootstrap \((\d+) resamples")


# --------------------------------------------------------------------------- the policy file


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def policy_toml(values: dict) -> str:
    """``values`` as TOML: scalars and lists at the top, one table per nested mapping."""
    lines = ["# The benchmark's pinned default policy (benchmarks/strength.py)."]
    tables = []
    for key, value in values.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, table in tables:
        for name, inner in table.items():
            lines += ["", f"[{key}.{name}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in inner.items()]
    return "\n".join(lines) + "\n"


def write_policy(path: Path, values: dict = PINNED_POLICY) -> Path:
    """Write the policy file and load it the way ``mlready check --policy`` does (a key the
    product no longer knows fails here, before any run)."""
    from jupyter_mlready.policy import load_policy

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(policy_toml(values))
    load_policy(path, path.parent)
    return path


def product_default_differences(values: dict = PINNED_POLICY) -> dict:
    """Pinned keys whose product default is now different: {key: {"pinned", "default"}}."""
    from jupyter_mlready.policy import Policy

    defaults = Policy().to_dict()
    return {
        k: {"pinned": v, "default": defaults.get(k)}
        for k, v in values.items()
        if defaults.get(k) != v
    }


@functools.cache
def expected_checks() -> tuple[str, ...]:
    """The gate's built-in checks, every one of which a run must report (listed once: it
    imports every check module)."""
    from jupyter_mlready.checks.registry import builtin_ids

    return builtin_ids()


# --------------------------------------------------------------------------- the assertions


def _walk(value: object, path: str = "") -> Iterator[tuple[str, str, object]]:
    """(path, key, value) of every key in nested evidence."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, str(k), v
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")


def policy_problems(doc: dict, policy: dict) -> list[str]:
    in_force = (doc.get("policy") or {}).get("values") or {}
    return [
        f"policy.{k} in force is {in_force.get(k)!r}, pinned {v!r}"
        for k, v in policy.items()
        if in_force.get(k) != v
    ]


def coverage_problems(checks: dict, expected: Iterable[str]) -> tuple[list[str], dict]:
    """Missing, erred and skipped checks; returns (problems, {allowed skip: its reason})."""
    problems, skipped = [], {}
    for cid in expected:
        if cid not in checks:
            problems.append(f"{cid}: missing from readiness.json")
    for cid, c in checks.items():
        status, summary = c.get("status"), str(c.get("summary") or "")[:160]
        if status == "error":
            problems.append(f"{cid}: error ({summary})")
        elif status == "skip" and cid in ALLOWED_SKIPS:
            skipped[cid] = summary or ALLOWED_SKIPS[cid]
        elif status == "skip":
            problems.append(f"{cid}: skipped ({summary})")
    return problems, skipped


def property_problems(checks: dict, policy: dict) -> tuple[list[str], dict]:
    """Each property test: examples, seed, columns exercised."""
    problems, examples = [], {}
    for cid, c in checks.items():
        ev = c.get("evidence") or {}
        if "examples_requested" not in ev or c.get("status") == "skip":
            continue
        n = ev.get("examples")
        examples[cid] = n
        budget = ev.get("examples_budget")
        # fewer than property_examples only where the policy's CPU budget says so: a model too
        # slow for property_seconds (its CPU cost per call is in the evidence, not the load)
        asked = policy["property_examples"]
        if isinstance(budget, int) and budget < asked:
            from jupyter_mlready.checks.robustness import MIN_EXAMPLES

            asked = max(budget, MIN_EXAMPLES)
        if not isinstance(n, int) or n < asked:
            problems.append(
                f"{cid}: {n} property examples, policy property_examples = "
                f"{policy['property_examples']} (requested {ev.get('examples_requested')}, "
                f"CPU budget {budget} at {ev.get('model_call_cpu_ms')} ms per call)"
            )
        if ev.get("seed") != policy["seed"]:
            problems.append(f"{cid}: property seed {ev.get('seed')}, policy seed {policy['seed']}")
        if ev.get("columns_exercised") != ev.get("columns_applicable"):
            problems.append(
                f"{cid}: {ev.get('columns_exercised')} of {ev.get('columns_applicable')} "
                "applicable columns exercised"
            )
    return problems, examples


def latency_problems(checks: dict, policy: dict) -> tuple[list[str], dict]:
    ev = (checks.get("latency") or {}).get("evidence") or {}
    if not ev:
        return [], {}
    samples = (ev.get("per_row") or {}).get("samples")
    problems = []
    if not isinstance(samples, int) or samples < LATENCY_MIN_SAMPLES:
        problems.append(f"latency: {samples} one-row samples, fewer than {LATENCY_MIN_SAMPLES}")
    if ev.get("budget_p95_ms") != policy["latency_p95_ms"]:
        problems.append(
            f"latency: budget {ev.get('budget_p95_ms')} ms, policy {policy['latency_p95_ms']} ms"
        )
    return problems, {"latency_samples": samples}


def serving_problems(checks: dict, policy: dict) -> tuple[list[str], dict]:
    ev = (checks.get("serving.endpoint") or {}).get("evidence") or {}
    if not ev:
        return [], {}
    latency = ev.get("latency") or {}
    requests, answered = latency.get("requests"), latency.get("answered")
    problems = []
    if not isinstance(requests, int) or requests < SERVING_MIN_REQUESTS:
        problems.append(f"serving.endpoint: {requests} requests, fewer than {SERVING_MIN_REQUESTS}")
    elif answered != requests:
        problems.append(f"serving.endpoint: {answered} of {requests} requests answered")
    if ev.get("budget_p95_ms") != policy["serving_p95_ms"]:
        problems.append(
            f"serving.endpoint: budget {ev.get('budget_p95_ms')} ms, "
            f"policy {policy['serving_p95_ms']} ms"
        )
    if ev.get("on_invalid") != policy["on_invalid"]:
        problems.append(
            f"serving.endpoint: on_invalid {ev.get('on_invalid')!r}, "
            f"policy {policy['on_invalid']!r}"
        )
    return problems, {"serving_requests": requests}


def interval_problems(checks: dict, policy: dict) -> tuple[list[str], dict]:
    """Every ``interval_level`` is the policy's; every bootstrap drew enough resamples."""
    problems, levels, resamples = [], 0, []
    for cid, c in checks.items():
        for path, key, value in _walk(c.get("evidence") or {}):
            where = f"{cid}: {path + '.' if path else ''}{key}"
            if key == "interval_level":
                levels += 1
                if value != policy["interval_level"]:
                    problems.append(f"{where} = {value}, policy {policy['interval_level']}")
            elif key == "method" and isinstance(value, str):
                found = _RESAMPLES.search(value)
                if found:
                    resamples.append(int(found.group(1)))
                    if int(found.group(1)) < BOOTSTRAP_MIN_RESAMPLES:
                        problems.append(
                            f"{where}: {found.group(1)} bootstrap resamples, fewer than "
                            f"{BOOTSTRAP_MIN_RESAMPLES}"
                        )
    facts = {"intervals_at_level": levels, "bootstrap_min_resamples": min(resamples, default=None)}
    return problems, facts


def drift_problems(checks: dict, policy: dict) -> list[str]:
    used = ((checks.get("drift.train_holdout") or {}).get("evidence") or {}).get("thresholds")
    if used is None:
        return []
    return [
        f"drift.train_holdout: {k} = {used.get(k)}, policy {field} = {policy[field]}"
        for k, field in DRIFT_THRESHOLDS.items()
        if used.get(k) != policy[field]
    ]


def assess(doc: dict, policy: dict = PINNED_POLICY, expected: Iterable[str] | None = None) -> dict:
    """The strength record of one run's readiness.json (see the module docstring)."""
    checks = {c["id"]: c for c in doc.get("checks", [])}
    problems = policy_problems(doc, policy)
    found, skipped = coverage_problems(checks, expected_checks() if expected is None else expected)
    problems += found
    found, examples = property_problems(checks, policy)
    problems += found
    evidence: dict = {
        "properties": len(examples),
        "min_property_examples": min(
            (n for n in examples.values() if isinstance(n, int)), default=None
        ),
    }
    for part in (latency_problems, serving_problems, interval_problems):
        found, facts = part(checks, policy)
        problems += found
        evidence.update(facts)
    problems += drift_problems(checks, policy)
    return {"ok": not problems, "problems": problems, "skipped": skipped, "evidence": evidence}


def assess_file(path: Path, policy: dict = PINNED_POLICY) -> dict:
    """``assess`` of a readiness.json file; a missing file is a problem, not an exception."""
    if not path.is_file():
        return {"ok": False, "problems": [f"no {path.name}"], "skipped": {}, "evidence": {}}
    return assess(json.loads(path.read_text()), policy)


def combine(records: Iterable[dict]) -> dict | None:
    """Several runs' strength records as one: ok when all are, every distinct problem."""
    records = [r for r in records if r]
    if not records:
        return None
    problems = list(dict.fromkeys(p for r in records for p in r.get("problems", [])))
    skipped = {k: v for r in records for k, v in (r.get("skipped") or {}).items()}
    ok_runs = sum(1 for r in records if r.get("ok"))
    return {
        "ok": ok_runs == len(records),
        "runs": len(records),
        "ok_runs": ok_runs,
        "problems": problems,
        "skipped": skipped,
    }
