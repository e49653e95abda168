"""The probes stage: the standalone readiness test file engineering can own
(``<out>/tests/test_<name>_readiness.py`` and the pickled model beside it). The properties
themselves are ``jupyter_mlready.probes``."""

from __future__ import annotations

from pathlib import Path

from ..policy import Policy
from ..probes import ProbeFiles, write_probe_tests
from ..records import Contract, Subject


def write_tests(
    subject: Subject, contract: Contract, policy: Policy, out: Path, name: str
) -> ProbeFiles:
    """Write the generated property tests for ``subject`` into ``out/tests``."""
    return write_probe_tests(subject, contract, policy, out, name)
