"""The one call every front end makes: the check's options, and the chain of stages run on a
namespace (``jupyter_mlready.stages.chain``).

``check_namespace`` runs in the kernel that holds the model (the magic's live kernel, or the
fresh kernel the CLI re-executed the notebook in). It never raises for a known failure: errors
become verdict "error" with the stage, the message and the remedy, and whatever was computed is
written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import readiness as rd
from .stages.chain import Progress, run_chain
from .stages.overrides import Overrides


@dataclass(frozen=True)
class CheckOptions:
    """Inputs of a check, as parsed by a front end."""

    out: str
    overrides: Overrides = field(default_factory=Overrides)
    policy_file: str | None = None
    notebook: str | None = None
    name: str | None = None
    rerun: dict | None = None  # set by the CLI: facts about the notebook's re-execution
    hand_off: bool = True  # False (--no-hand-off): check and report, register nothing
    # set by %mlready: the live model's hold-out predictions the fresh re-run must reproduce
    live_reference: str | None = None

    def to_json(self) -> str:
        keys = ("out", "policy_file", "notebook", "name", "rerun", "hand_off", "live_reference")
        d = {k: getattr(self, k) for k in keys}
        d["overrides"] = {
            k: getattr(self.overrides, k)
            for k in ("model", "train", "holdout", "target", "sensitive")
        }
        return json.dumps(d)

    @classmethod
    def from_json(cls, text: str) -> CheckOptions:
        d = json.loads(text)
        o = d.pop("overrides", {}) or {}
        for k in ("train", "holdout", "sensitive"):
            if o.get(k):
                o[k] = tuple(o[k])
        return cls(overrides=Overrides(**o), **d)


def check_namespace(
    namespace: dict, options: CheckOptions, progress: Progress | None = None
) -> rd.Readiness:
    """Run the whole check on a namespace and write results to ``options.out``."""
    return run_chain(namespace, options, progress)


def check_in_kernel(namespace: dict, options_json: str) -> None:
    """Entry point of the cell the CLI appends to the notebook it re-executes."""
    result = check_namespace(namespace, CheckOptions.from_json(options_json))
    print(result.summary_text())
