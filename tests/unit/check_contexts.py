"""How the unit tests of single checks build the context the validation notebook gives them: the
fitted model behind its adapter, the training and hold-out data, no contract, the policy."""

from __future__ import annotations

from jupyter_mlready.checks import CheckContext
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Dataset


def validation_context(model, task, train, holdout, policy=None, hold_side=None) -> CheckContext:
    """``train`` and ``holdout`` are (X, y) pairs; ``hold_side``: columns beside the hold-out."""
    return CheckContext(
        ModelAdapter.wrap(model, task),
        task,
        Dataset(*train, "X_train", "y_train"),
        Dataset(*holdout, "X_test", "y_test", side=hold_side),
        None,
        policy or Policy(),
        where="validation",
    )
