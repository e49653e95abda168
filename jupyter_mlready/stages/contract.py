"""The contract stage: a pandera contract inferred from the training features, written out for
review (contract.py, contract.yaml, contract.json). The inference itself is
``jupyter_mlready.contract``."""

from __future__ import annotations

from pathlib import Path

from ..contract import infer_contract, write_contract
from ..policy import Policy
from ..records import Contract, Subject


def infer(subject: Subject, policy: Policy, out: Path) -> Contract:
    """Infer the contract of ``subject``'s training features and write it into ``out``."""
    contract = infer_contract(subject, policy)
    write_contract(contract, out)
    return contract
