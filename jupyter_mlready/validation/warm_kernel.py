"""Start the validation kernel early, while the notebook kernel is still logging the artifact.

A fresh kernel costs about 3 s before the validation notebook's first real cell: the process
start, then importing MLflow, skops, scikit-learn, pandera and our kernel API. None of that
depends on the artifact, so ``start_warm_kernel`` launches the kernel and queues those imports
(``silent=True``: no output, no execution count) as soon as the model is found; the checks
and the MLflow logging in the notebook kernel overlap with it. papermill then executes the
validation notebook in this kernel (``kernels.KernelAhead``), and kills it when it is done.

The kernel is still fresh in the sense the gate needs: it has none of the notebook's
variables and runs in an empty temporary folder, so a model that needs notebook-local code
fails the fresh-kernel check exactly as before. Only installed libraries are
imported ahead; a name that fails to import is ignored here (the notebook's cells report it).

The kernel's own stderr (jupyter's start-up warnings, a crash's last words) goes to a log file
in the output folder instead of the user's terminal.

The MLflow store modules are imported too (that is SQLAlchemy and alembic, 0.6 s), but no store
is opened: see ``warm_up_code``.
"""

from __future__ import annotations

from pathlib import Path

from ..kernels import KernelAhead

#: What every validation notebook imports, in the order its cells need them.
WARM_IMPORTS = (
    "jupyter_mlready.validation.kernel_api",
    "mlflow",
    "mlflow.sklearn",
    "mlflow.pyfunc",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_store",
    "skops.io",
    "pandera.pandas",
    "hypothesis",
    "jupyter_mlready.checks.robustness",
)

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
        if (
            module
            and module not in found
            and not module.startswith(("builtins", "__main__", "numpy", "pandas"))
        ):
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
    database lock for minutes (MLflow retries), and the kernel would then hang the validation.

    The imported modules' objects live as long as the kernel, so they are then moved out of the
    garbage collector's sight (``gc.freeze``): the full collections that follow (hypothesis runs
    one before its first test in a thread, 0.2 s over all of MLflow and scikit-learn) skip them."""
    names = ", ".join(repr(m) for m in modules)
    return (
        "def __mlready_warm():\n"
        "    import gc, importlib\n"
        f"    for name in ({names},):\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except Exception:\n"
        "            pass\n"
        "    gc.freeze()\n"
        "__mlready_warm()\n"
        "del __mlready_warm\n"
    )


def start_warm_kernel(
    out: str | Path, kernel_name: str = "python3", extra_modules: tuple[str, ...] = ()
) -> KernelAhead | None:
    """The validation kernel, launched now in an empty temporary folder with the imports queued;
    its stderr goes to ``<out>/validation_kernel.log``. None when it cannot start (papermill then
    starts its own and reports the failure the usual way). A kernel started early for ``out``
    (``start_early``) is taken instead, with ``extra_modules`` queued on it."""
    early = _EARLY.pop(str(Path(out).resolve()), None)
    if early is not None and early.km.is_alive() and early.queue(warm_up_code(extra_modules)):
        return early
    if early is not None:  # died or already released: a new one, as if none had been started
        early.shutdown()
    return KernelAhead.start(
        Path(out) / KERNEL_LOG, kernel_name, code=warm_up_code(WARM_IMPORTS + tuple(extra_modules))
    )


#: validation kernels started before the notebook's cells, by results folder (``start_early``)
_EARLY: dict[str, KernelAhead] = {}


def start_early(out: str | Path) -> None:
    """Start the validation kernel for ``out`` now, in the kernel of a notebook's fresh re-run
    before its first cell (``kernels.early_validation_kernel_code``): its start-up and imports (3 s)
    overlap with the notebook's own cells instead of following them. It is as fresh as one
    started later: an empty temporary folder, none of the notebook's variables, and the model's
    own modules are queued when the model is found (``start_warm_kernel``). A notebook that
    fails never reaches the check: its kernel is killed, and this kernel (a child that polls its
    parent, ``JPY_PARENT_PID``) exits with it."""
    key = str(Path(out).resolve())
    if key not in _EARLY:
        kernel = KernelAhead.start(Path(key) / KERNEL_LOG, code=warm_up_code(WARM_IMPORTS))
        if kernel is not None:
            _EARLY[key] = kernel
