"""Start the validation kernel early, while the notebook kernel is still logging the artifact.

A fresh kernel costs about 3 s before the validation notebook's first real cell: the process
start, then importing MLflow, skops, scikit-learn, pandera and our kernel API. None of that
depends on the artifact, so ``WarmKernel.start`` launches the kernel and queues those imports
(``silent=True``: no output, no execution count) as soon as the model is found; the checks
and the MLflow logging in the notebook kernel overlap with it. papermill then executes the
validation notebook in this kernel (``km=``), and the kernel is killed when it is done.

The kernel is still fresh in the sense the gate needs: it has none of the notebook's
variables and runs in an empty temporary folder, so a model that needs notebook-local code
fails ``reproducibility.fresh_kernel`` exactly as before. Only installed libraries are
imported ahead; a name that fails to import is ignored here (the notebook's cells report it).

The kernel's own stderr (jupyter's start-up warnings, a crash's last words) goes to a log file
in the output folder instead of the user's terminal.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

#: What every validation notebook imports, in the order its cells need them.
WARM_IMPORTS = ("jupyter_mlready.validation.kernel_api", "mlflow", "mlflow.sklearn", "mlflow.pyfunc",
                "skops.io", "pandera.pandas", "hypothesis", "jupyter_mlready.checks.robustness")

KERNEL_LOG = "validation_kernel.log"


def model_modules(model) -> tuple[str, ...]:
    """The modules defining the classes inside a fitted model (pipeline steps, nested estimators),
    so unpickling it finds them imported. Only names; nothing is imported here."""
    seen: set[int] = set()
    found: list[str] = []

    def walk(obj, depth: int) -> None:
        if depth > 6 or id(obj) in seen:
            return
        seen.add(id(obj))
        module = getattr(type(obj), "__module__", "") or ""
        if module and module not in found and not module.startswith(("builtins", "__main__", "numpy", "pandas")):
            found.append(module)
        if isinstance(obj, (list, tuple)):
            for item in obj[:50]:
                walk(item, depth + 1)
        elif isinstance(obj, dict):
            for item in list(obj.values())[:50]:
                walk(item, depth + 1)
        elif hasattr(obj, "get_params") and hasattr(obj, "__dict__"):
            for value in vars(obj).values():
                if hasattr(value, "get_params") or isinstance(value, (list, tuple, dict)):
                    walk(value, depth + 1)

    try:
        walk(model, 0)
    except Exception:  # noqa: BLE001 - a hint only
        pass
    return tuple(found[:40])


def warm_up_code(modules: tuple[str, ...]) -> str:
    """Python that imports ``modules`` one by one and ignores the ones that fail. It touches no
    MLflow store: opening a SQLite store while the notebook kernel writes to it can block on the
    database lock for minutes (MLflow retries), and the kernel would then hang the validation."""
    names = ", ".join(repr(m) for m in modules)
    return ("def __mlready_warm():\n"
            "    import importlib\n"
            f"    for name in ({names},):\n"
            "        try:\n"
            "            importlib.import_module(name)\n"
            "        except Exception:\n"
            "            pass\n"
            "__mlready_warm()\n"
            "del __mlready_warm\n")


class WarmKernel:
    """A started kernel with the validation imports queued; hand ``km`` to papermill."""

    def __init__(self, km, client, folder: tempfile.TemporaryDirectory, log_handle, log_path: Path):
        self.km = km
        self.cwd = folder.name
        self.log_path = log_path
        self._client = client  # holds the queued warm-up request until the kernel reads it
        self._folder = folder
        self._log = log_handle
        self._closed = False

    @classmethod
    def start(cls, out: str | Path, kernel_name: str = "python3", extra_modules: tuple[str, ...] = ()):
        """Launch the kernel and queue the imports; None when it cannot start (papermill then
        starts its own and reports the failure the usual way)."""
        from jupyter_client.manager import KernelManager

        folder = tempfile.TemporaryDirectory(prefix="mlready-validation-")
        log_path = Path(out) / KERNEL_LOG
        log = km = None
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(log_path, "ab")  # noqa: SIM115 - closed in shutdown()
            km = KernelManager(kernel_name=kernel_name)
            km.start_kernel(cwd=folder.name, stderr=log, stdout=log)
            # The request waits in the client's socket until the kernel is listening, so the
            # client stays open until shutdown (closing it now would drop the request).
            client = km.client()
            client.start_channels()
            client.execute(warm_up_code(WARM_IMPORTS + tuple(extra_modules)),
                           silent=True, store_history=False)
        except Exception:  # noqa: BLE001 - no warm kernel: the validation starts one as before
            if km is not None and km.has_kernel:
                km.shutdown_kernel(now=True)
            if log is not None:
                log.close()
            folder.cleanup()
            return None
        return cls(km, client, folder, log, log_path)

    def release_client(self) -> None:
        """Close the client that queued the warm-up (the kernel has read the request by the time
        papermill connects its own client; two open clients in one process can stall nbclient)."""
        if self._client is not None:
            self._client.stop_channels()
            self._client = None

    def shutdown(self) -> None:
        """Kill the kernel now (its results are already on disk) and remove its folder. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.release_client()
        try:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - best effort: the process may be gone already
            pass
        try:
            self.km.cleanup_resources()
        except Exception:  # noqa: BLE001
            pass
        self._log.close()
        self._folder.cleanup()

