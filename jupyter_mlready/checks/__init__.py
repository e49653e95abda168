"""The check registry: checks are plugins found through the ``jupyter_mlready.checks`` entry points.

A check is a function decorated with :func:`check`, taking a :class:`CheckContext` and returning a
:class:`Finding`. Its docstring's first line is the question it answers. Built-in checks are
registered through the same entry-point group third-party packages use::

    [project.entry-points."jupyter_mlready.checks"]
    "mycompany.fairness" = "mycompany.checks:fairness"

A check never raises on purpose: the runner turns any exception into status ``error`` (the gate
fails closed), and a check whose inputs are missing returns ``skip`` with the reason.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from ..records import STATUSES, CheckResult

ENTRY_POINT_GROUP = "jupyter_mlready.checks"

#: The stable check ids of DESIGN.md, in report order.
BUILTIN_IDS = (
    "reproducibility.rerun",
    "reproducibility.fresh_kernel",
    "contract.holdout",
    "robustness.missing_values",
    "robustness.unseen_categories",
    "robustness.extreme_values",
    "robustness.empty_input",
    "robustness.input_format",
    "output.contract",
    "determinism",
    "batch_invariance",
    "leakage.overlap",
    "leakage.target_proxy",
    "performance.baseline",
    "performance.thresholds",
    "performance.champion",
    "drift.train_holdout",
    "latency",
)


@dataclass(frozen=True)
class Finding:
    """What a check found. The runner adds id, category and timing."""

    status: str
    summary: str
    evidence: dict = field(default_factory=dict)
    repro: str | None = None
    remedy: str | None = None


def skip(reason: str, **evidence) -> Finding:
    return Finding("skip", reason, evidence)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    category: str
    question: str
    func: Callable[[Any], Finding]


def check(id: str, category: str | None = None) -> Callable:
    """Mark a function as a check with a stable ``id``; the docstring states its question."""

    def decorate(func: Callable) -> Callable:
        question = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else id
        func.__mlready_check__ = CheckSpec(id, category or id.split(".")[0], question, func)
        return func

    return decorate


@dataclass
class CheckContext:
    """Everything a check may read. Built in the notebook kernel or in the validation notebook.

    Attributes:
        model: a ModelAdapter (predict / predict_proba).
        task: "classification" or "regression".
        train, holdout: Dataset records (train may be a sample in the validation notebook).
        contract: the Contract; policy: the Policy.
        where: "notebook" (fast in-kernel pass) or "validation" (fresh kernel, logged artifact).
        extras: optional inputs some checks use: "rerun" (notebook re-execution facts),
            "reference_predictions", "champion" (a ModelAdapter), "train_row_hashes", ...
    """

    model: Any
    task: str
    train: Any
    holdout: Any
    contract: Any
    policy: Any
    where: str = "notebook"
    extras: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per run (e.g. hold-out predictions shared by several checks)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def holdout_predictions(self):
        return self.cached("holdout_predict", lambda: self.model.predict(self.holdout.X))

    def holdout_proba(self):
        return self.cached("holdout_proba", lambda: self.model.predict_proba(self.holdout.X))


def _spec_of(obj: Any, name: str) -> CheckSpec:
    spec = getattr(obj, "__mlready_check__", None)
    if spec is None:
        raise TypeError(f"entry point {name!r} does not point to a function decorated with @check")
    return spec


def load_checks(select: tuple[str, ...] | None = None) -> list[CheckSpec]:
    """All registered checks: built-ins in DESIGN order, then third-party ones by id."""
    specs: dict[str, CheckSpec] = {}
    broken: list[CheckSpec] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = _spec_of(ep.load(), ep.name)
        except Exception as exc:  # a broken plugin is reported as an error result, never dropped
            message = f"{type(exc).__name__}: {exc}"
            broken.append(
                CheckSpec(
                    ep.name, ep.name.split(".")[0], "plugin failed to load", _failing(message)
                )
            )
            continue
        specs.setdefault(spec.id, spec)
    if not any(i in specs for i in BUILTIN_IDS):  # running from a source tree without install
        specs.update(_builtin_specs())
    ordered = [specs[i] for i in BUILTIN_IDS if i in specs]
    ordered += sorted((s for s in specs.values() if s.id not in BUILTIN_IDS), key=lambda s: s.id)
    ordered += broken
    if select:
        ordered = [s for s in ordered if s.id in select]
    return ordered


def _failing(message: str) -> Callable:
    def run(ctx):
        raise RuntimeError(message)

    return run


def _builtin_specs() -> dict[str, CheckSpec]:
    from . import (
        contract_holdout,
        drift,
        latency,
        leakage,
        performance,
        reproducibility,
        robustness,
    )

    found = {}
    for module in (
        reproducibility,
        contract_holdout,
        robustness,
        leakage,
        performance,
        drift,
        latency,
    ):
        for obj in vars(module).values():
            spec = getattr(obj, "__mlready_check__", None)
            if spec is not None:
                found[spec.id] = spec
    return found


def run_check(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    """Run one check; an exception or a malformed return becomes status ``error``."""
    start = time.perf_counter()
    try:
        finding = spec.func(ctx)
        if not isinstance(finding, Finding) or finding.status not in STATUSES:
            raise TypeError(
                f"check returned {finding!r}; expected a Finding with a status in {STATUSES}"
            )
        elapsed = time.perf_counter() - start
        return CheckResult(
            spec.id,
            finding.status,
            finding.summary,
            finding.evidence,
            finding.repro,
            elapsed,
            spec.category,
            finding.remedy,
        )
    except Exception as exc:
        elapsed = time.perf_counter() - start
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return CheckResult(
            spec.id,
            "error",
            f"The check crashed: {type(exc).__name__}: {exc}",
            {
                "exception": type(exc).__name__,
                "message": str(exc)[:2000],
                "traceback": "".join(tb[-6:])[-4000:],
            },
            None,
            elapsed,
            spec.category,
            "A crashed check blocks the gate. Fix the cause above, or report a bug if it is ours.",
        )


def run_checks(
    ctx: CheckContext,
    specs: list[CheckSpec] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run every check in order; never raises."""
    results = []
    for spec in specs if specs is not None else load_checks():
        result = run_check(spec, ctx)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
