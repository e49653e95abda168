"""The sections of the validation notebook and the check ids each one produces.

Shared by the generator (one markdown header + one code cell per section) and the kernel side
(which checks a section runs). Registered checks that no section names (third-party plugins)
run in the ``more`` section, so every registered check except ``reproducibility.rerun`` (a fact
about the notebook, not the artifact) is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    check_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # every registered check of these categories too


SECTIONS = (
    Section("load", "Load the artifact"),
    Section(
        "fresh_kernel",
        "Fresh kernel: the artifact reproduces the notebook",
        ("reproducibility.fresh_kernel",),
    ),
    Section("contract", "Data contract on the hold-out", ("contract.holdout",)),
    Section(
        "properties",
        "Property tests",
        (
            "robustness.missing_values",
            "robustness.unseen_categories",
            "robustness.extreme_values",
            "robustness.empty_input",
            "robustness.input_format",
            "output.contract",
            "determinism",
            "batch_invariance",
        ),
        ("robustness", "output"),
    ),
    Section(
        "performance",
        "Performance: baseline, thresholds, champion",
        ("performance.baseline", "performance.thresholds", "performance.champion"),
        ("performance",),
    ),
    Section("leakage", "Leakage", ("leakage.overlap", "leakage.target_proxy"), ("leakage",)),
    Section("drift", "Drift between training and hold-out", ("drift.train_holdout",), ("drift",)),
    Section("latency", "Latency", ("latency",), ("latency",)),
    Section("more", "Other registered checks"),
    Section("verdict", "Verdict"),
)

#: Checks the validation notebook never runs: they are facts about the notebook re-run (CLI).
NOT_IN_VALIDATION = ("reproducibility.rerun",)

#: Checks that read only data from the bundle, so they still run when the artifact fails to load.
MODEL_FREE = ("contract.holdout", "leakage.overlap", "leakage.target_proxy", "drift.train_holdout")


def section(name: str) -> Section:
    for s in SECTIONS:
        if s.name == name:
            return s
    raise KeyError(f"no validation section {name!r}; known: {', '.join(s.name for s in SECTIONS)}")


def specs_for(name: str, specs: list) -> list:
    """The registered check specs a section runs, in registry order."""
    claimed = {i for s in SECTIONS for i in s.check_ids} | set(NOT_IN_VALIDATION)
    claimed_cats = {c for s in SECTIONS for c in s.categories}
    sec = section(name)
    if name == "more":
        return [
            s
            for s in specs
            if s.id not in claimed
            and s.category not in claimed_cats
            and s.id.split(".")[0] not in claimed_cats
        ]
    return [
        s
        for s in specs
        if s.id not in NOT_IN_VALIDATION and (s.id in sec.check_ids or s.category in sec.categories)
    ]


def section_of(check_id: str, category: str = "") -> str:
    """The section that produces ``check_id`` (``more`` for unknown third-party checks)."""
    for s in SECTIONS:
        if check_id in s.check_ids or (category and category in s.categories):
            return s.name
    return "more"
