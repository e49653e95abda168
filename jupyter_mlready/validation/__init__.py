"""The gate: a validation notebook generated from ``templates/`` and executed by papermill in a
fresh kernel against the logged artifact.

- ``generate``: builds the notebook with nbformat from the cell-list template.
- ``execute``: ``run_validation`` runs it with papermill and returns a ``ValidationOutcome``.
- ``kernel_api``: what the notebook's cells call, one method per section.
- ``sections``: which checks each section runs.

Nothing heavy is imported here: papermill and mlflow load only when a validation runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .execute import ValidationOutcome, run_validation

__all__ = ["run_validation", "ValidationOutcome"]


def __getattr__(name: str):
    if name in __all__:
        from . import execute

        return getattr(execute, name)
    raise AttributeError(name)
