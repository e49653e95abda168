"""The contract stage: a pandera contract inferred from the training features, written out for
review (contract.py, contract.yaml, contract.json). The inference itself is
``jupyter_mlready.contract``."""

from __future__ import annotations

from pathlib import Path

from ..contract import infer_contract, write_contract
from ..policy import Policy
from ..records import Contract, Subject


def infer(subject: Subject, policy: Policy, out: Path) -> Contract:
    """Infer the contract of ``subject``'s training features and write it into ``out``. A Spark
    training set's contract is inferred on its sample, then takes its ranges, nullability and
    allowed values from every training row (``spark.training_contract``)."""
    contract = infer_contract(subject, policy)
    if subject.train.spark is not None:
        from ..spark.training_contract import whole_training_contract

        contract = whole_training_contract(contract, subject.train.spark, policy).contract
    write_contract(contract, out)
    return contract
