"""Kernels started ahead of papermill, and the papermill engine that runs a notebook in one.

A kernel costs about half a second to boot before its first cell, and the validation kernel
seconds more for its imports. ``KernelAhead.start`` launches the process right away (in a
given folder, or an empty temporary one), optionally queues code on it (``silent=True``: no
output, no execution count), and sends the kernel's own stderr (jupyter's start-up warnings, a
crash's last words) to a log file instead of the user's terminal. papermill then executes the
notebook in it through the ``mlready`` engine (``mlready_kernel=``), which kills the kernel at
once when the notebook is done, as if papermill had started it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

ENGINE_NAME = "mlready"
#: how long releasing a kernel started ahead waits for it to answer the code queued on it
QUEUED_REPLY_SECONDS = 120.0
NOTEBOOK_KERNEL_LOG = "notebook_kernel.log"  # `mlready check`: the re-executed notebook's kernel


ASYNC_CLIENT = "jupyter_client.asynchronous.AsyncKernelClient"


def blocking_client(km):
    """A blocking client of ``km``'s kernel (its own ``client()`` is the asynchronous one)."""
    from jupyter_client.blocking import BlockingKernelClient

    return BlockingKernelClient(**km.get_connection_info(session=True))


def early_validation_kernel_code(out: Path) -> str:
    """Python queued (silently) in the kernel of a notebook's fresh re-run before its first cell
    (``mlready check`` and ``%mlready``): the validation kernel for ``out`` starts now
    (``validation.warm_kernel.start_early``), so its start-up and imports run on the other core
    while the cells run. No name is left in the namespace the cells see. (Importing MLflow in a
    thread of this kernel instead was measured slower: the cells then wait for the interpreter
    lock as long as the import saves later.)"""
    return f"""
try:
    from jupyter_mlready.validation.warm_kernel import start_early as _mlready_start_early

    _mlready_start_early({str(out.resolve())!r})
    del _mlready_start_early
except Exception:
    pass
"""


def start_notebook_kernel(notebook: Path, out: Path, kernel_name: str) -> KernelAhead | None:
    """The kernel of a notebook's fresh re-run, started now in its folder, with the validation
    kernel's early start queued (``early_validation_kernel_code``); None when the path is not a
    notebook (the check then says why) or no kernel starts (papermill then reports it)."""
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        return None
    return KernelAhead.start(
        out / NOTEBOOK_KERNEL_LOG,
        kernel_name,
        cwd=notebook.resolve().parent,
        code=early_validation_kernel_code(out),  # the check cell is Python too
    )


class KernelAhead:
    """A started kernel; hand it to papermill with ``engine_name=ENGINE_NAME, mlready_kernel=``."""

    def __init__(
        self, km, client, cwd: str, folder, log_handle, log_path: Path, queued: str | None = None
    ):
        self.km = km
        self.cwd = cwd
        self.log_path = log_path
        self._client = client  # holds a queued request until the kernel reads it
        self._queued = queued  # that request's message id
        self._folder = folder  # the temporary folder we created, or None
        self._log = log_handle
        self._closed = False

    @classmethod
    def start(
        cls,
        log_path: str | Path,
        kernel_name: str = "python3",
        *,
        cwd: str | Path | None = None,
        code: str | None = None,
    ) -> KernelAhead | None:
        """Launch the kernel (in ``cwd``, else an empty temporary folder) and queue ``code``; None
        when it cannot start (papermill then starts its own and reports the failure the usual
        way)."""
        from jupyter_client.manager import KernelManager

        folder = None if cwd is not None else tempfile.TemporaryDirectory(prefix="mlready-kernel-")
        where = folder.name if folder is not None else str(cwd)
        log_path = Path(log_path)
        log = km = None
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(log_path, "ab")  # noqa: SIM115 - closed in shutdown()
            # nbclient needs an asynchronous client (``km.client()``): with a blocking one it
            # waits for output from a dead kernel forever instead of noticing the death.
            km = KernelManager(kernel_name=kernel_name, client_class=ASYNC_CLIENT)
            km.start_kernel(cwd=where, stderr=log, stdout=log)
            client = queued = None
            if code:
                # The request waits in the client's socket until the kernel is listening, so the
                # client stays open until it is released (closing it now would drop the request).
                client = blocking_client(km)
                client.start_channels()
                queued = client.execute(code, silent=True, store_history=False)
        except Exception:  # noqa: BLE001 - no kernel ahead: papermill starts one as usual
            if km is not None and km.has_kernel:
                km.shutdown_kernel(now=True)
            if log is not None:
                log.close()
            if folder is not None:
                folder.cleanup()
            return None
        return cls(km, client, where, folder, log, log_path, queued)

    def queue(self, code: str) -> bool:
        """Queue more ``code`` (silently) after what was queued at the start; False once the
        client has been released."""
        if self._client is None:
            return False
        self._queued = self._client.execute(code, silent=True, store_history=False)
        return True

    def release_client(self) -> None:
        """Close the client that queued the code, once the kernel has answered it (closed
        earlier, a request the kernel has not read yet is lost); two open clients in one process
        can stall nbclient. The kernel runs requests in order, so papermill's first cell would
        wait for the queued code anyway."""
        if self._client is None:
            return
        if self._queued is not None:
            import queue

            deadline = time.monotonic() + QUEUED_REPLY_SECONDS
            while time.monotonic() < deadline:
                try:
                    reply = self._client.get_shell_msg(timeout=0.5)
                except queue.Empty:  # still busy, or dead (papermill then reports it)
                    if not self.km.is_alive():
                        break
                    continue
                if reply.get("parent_header", {}).get("msg_id") == self._queued:
                    break
        self._client.stop_channels()
        self._client = None

    def shutdown(self) -> None:
        """Kill the kernel now (its results are already on disk) and remove its temporary folder.
        Idempotent."""
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
        if self._folder is not None:
            self._folder.cleanup()


def register_engine() -> None:
    """The ``mlready`` papermill engine: reports each cell start (``mlready_hook``, for progress
    and timings) and can run in a kernel started ahead (``mlready_kernel``, a KernelAhead)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class OwningClient(PapermillNotebookClient):
        """Runs in a kernel started ahead and shuts it down when done, as if it had started it."""

        def __init__(self, nb_man, km=None, **kw):
            super().__init__(nb_man, km=km, **kw)
            self.owns_km = True  # stop the channels and kill the kernel (immediately) at the end

    class MlreadyEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls, nb_man, kernel_name, mlready_hook=None, mlready_kernel=None, **kwargs
        ):
            if mlready_hook is not None:
                original = nb_man.cell_start

                def cell_start(cell, cell_index=None, **kw):
                    mlready_hook(cell, cell_index)
                    return original(cell, cell_index, **kw)

                nb_man.cell_start = cell_start
            if mlready_kernel is None:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            mlready_kernel.release_client()
            return OwningClient(
                nb_man,
                km=mlready_kernel.km,
                kernel_name=kernel_name,
                log=logger,
                timeout=kwargs.get("execution_timeout"),
                shutdown_kernel="immediate",
                startup_timeout=kwargs.get("start_timeout", 60),
                log_output=kwargs.get("log_output", False),
                stdout_file=kwargs.get("stdout_file"),
                stderr_file=kwargs.get("stderr_file"),
            ).execute()

    papermill_engines.register(ENGINE_NAME, MlreadyEngine)
