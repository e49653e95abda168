"""The validation notebook's check sections, derived from the check registry.

One markdown header and one code cell per registered section that has a check running in the
validation notebook (``runs_in`` holds "validation"), in report order. A check registered by a
plugin gets its own section the same way; nothing here names a check.
"""

from __future__ import annotations

from ..checks import CheckSpec, Section, by_section, load_checks

FIXED = {"setup": "reading the evidence bundle", "load": "Load the artifact", "verdict": "Verdict"}


def validation_sections(
    specs: list[CheckSpec] | None = None,
) -> list[tuple[Section, list[CheckSpec]]]:
    """(section, its checks that run in the validation notebook), in report order."""
    specs = load_checks() if specs is None else specs
    found = []
    for section, members in by_section(specs):
        runnable = [s for s in members if s.runs("validation")]
        if runnable:
            found.append((section, runnable))
    return found


def specs_for(name: str, specs: list[CheckSpec]) -> list[CheckSpec]:
    """The checks a section of the validation notebook runs, in registry order."""
    for section, members in validation_sections(specs):
        if section.name == name:
            return members
    known = ", ".join(s.name for s, _ in validation_sections(specs))
    raise KeyError(f"no validation section {name!r}; known: {known}")


def titles(specs: list[CheckSpec] | None = None) -> dict[str, str]:
    """Section name -> title, the fixed cells included (for progress lines)."""
    return FIXED | {s.name: s.title for s, _ in validation_sections(specs)}
