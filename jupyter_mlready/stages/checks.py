"""The checks stage in the notebook's kernel: the checks registered to run there (facts about
the notebook itself, such as its fresh re-run). The gate's checks run in the validation
notebook; they run here only when the gate cannot run, so their findings are not lost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..checks import CheckContext, CheckSpec, load_checks, run_checks
from ..records import CheckResult, Dataset


@dataclass(frozen=True)
class NotebookChecks:
    """What the notebook kernel checked, and what it leaves to the gate."""

    context: CheckContext
    results: tuple[CheckResult, ...]
    deferred: tuple[CheckSpec, ...]  # the gate's checks (run here only if the gate cannot run)
    released: bool = False  # the notebook's data was released (stages.release): no data here

    def run_deferred(self, on_result: Callable[[CheckResult], None] | None = None):
        """The gate's checks, run on the in-memory model (when the artifact was never logged).
        After the data was released they cannot run here: each is an error, never a skip."""
        if self.released:
            results = tuple(
                CheckResult(
                    s.id,
                    "error",
                    "Not run: the validation stage did not run, and the notebook's data was "
                    "released once the artifact was logged.",
                    category=s.category,
                    remedy="See the validation stage's error, fix its cause, and check again.",
                )
                for s in self.deferred
            )
            if on_result is not None:
                for r in results:
                    on_result(r)
            return results
        return tuple(run_checks(self.context, list(self.deferred), on_result))

    def without_data(self, train: Dataset, holdout: Dataset) -> NotebookChecks:
        """This record with the released (emptied) frames in its context, and no namespace or
        cached arrays: what stays once the notebook's data is released."""
        context = replace(self.context, train=train, holdout=holdout, namespace=None, cache={})
        return replace(self, context=context, released=True)


def split_checks(specs: list[CheckSpec]) -> tuple[list[CheckSpec], list[CheckSpec]]:
    """(checks the notebook kernel runs, checks left to the gate)."""
    return (
        [s for s in specs if s.runs("notebook")],
        [s for s in specs if s.runs("validation") and not s.runs("notebook")],
    )


def check_notebook(
    context: CheckContext, on_result: Callable[[CheckResult], None] | None = None
) -> NotebookChecks:
    """Run the checks registered for the notebook kernel on ``context``."""
    mine, deferred = split_checks(load_checks())
    return NotebookChecks(context, tuple(run_checks(context, mine, on_result)), tuple(deferred))
