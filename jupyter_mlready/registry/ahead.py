"""The registry opened ahead, in the notebook kernel, while the contract, the property tests and
the notebook's own checks are written.

Before a model is logged, the notebook kernel must import MLflow (1.4 s), open the store (0.8 s
for an existing SQLite store: SQLAlchemy's engine and the schema check), look up the champion
and, for a scikit-learn model, import skops (0.6 s). None of that depends on the contract or the
checks, so :func:`open_registry_ahead` starts it in a background thread as soon as the model and
its name are known; the artifact stage then finds MLflow imported and the store open (MLflow
keeps one store per tracking URI in the process), and the checks stage collects the champion.

The thread only looks things up: it writes nothing to the registry. Whatever it raises is kept
and the same work is done again, in the stage that needs it, where it fails or succeeds in the
usual way: :meth:`RegistryAhead.champion` is never worse than calling
:func:`~jupyter_mlready.registry.artifact.champion_extras` there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class RegistryAhead:
    """The champion lookup running in a background thread (see the module doc)."""

    notebook: str | None
    name: str
    alias: str
    task: str
    skops: bool = False  # also import skops (a scikit-learn model is stored with it)
    _found: dict | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> RegistryAhead:
        self._thread = threading.Thread(
            target=self._look_up, name="mlready-registry-ahead", daemon=True
        )
        self._thread.start()
        return self

    def _look_up(self) -> None:
        try:
            from .artifact import champion_extras

            self._found = champion_extras(self.notebook, self.name, self.alias, self.task)
            if self.skops:
                import skops.io  # noqa: F401  (the artifact stage serializes with it)
        except BaseException:  # noqa: BLE001  the stage that needs it does it again, and reports
            pass

    def champion(self) -> dict:
        """``champion_extras``'s record: the thread's, or (if it failed) looked up now."""
        if self._thread is not None:
            self._thread.join()
        if self._found is not None:
            return self._found
        from .artifact import champion_extras

        return champion_extras(self.notebook, self.name, self.alias, self.task)


def open_registry_ahead(
    notebook: str | None, name: str, alias: str, task: str, flavor: str
) -> RegistryAhead:
    """Start looking up the champion of ``name`` (and importing what logging needs)."""
    return RegistryAhead(notebook, name, alias, task, skops=flavor == "sklearn").start()
