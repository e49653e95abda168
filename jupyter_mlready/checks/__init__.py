"""The checks: the registry (:mod:`.registry`) and the built-in checks, one module per concern.

Every check declares all its facets in one registration (see :func:`.registry.check`); the
validation notebook's sections, the report's views, the generated test file's properties and the
ML Test Score scorecard are all derived from the registry.
"""

from __future__ import annotations

from .registry import (
    ENTRY_POINT_GROUP,
    CheckContext,
    CheckSpec,
    Finding,
    Input,
    Probe,
    Score,
    Section,
    builtin_ids,
    by_section,
    check,
    load_checks,
    run_check,
    run_checks,
    skip,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "CheckContext",
    "CheckSpec",
    "Finding",
    "Input",
    "Probe",
    "Score",
    "Section",
    "builtin_ids",
    "check",
    "load_checks",
    "run_check",
    "run_checks",
    "by_section",
    "skip",
]
