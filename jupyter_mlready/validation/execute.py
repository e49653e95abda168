"""Execute the validation notebook with papermill in a fresh kernel and collect its results.

``run_validation`` never raises for a failure of the notebook: a failing cell, a cell timeout
(``policy.cell_timeout``), a dead kernel become ``ValidationOutcome.error`` (with the cell index,
its section and the message), every check the notebook did not get to becomes ``error`` (the
gate fails closed), and the partial executed notebook is kept in ``out``.

Load failures are decided in the kernel (see ``kernel_api``): a missing notebook-local module or
global is the finding of the check that reads the load failure (``fail``, naming the module; the
checks that need the model cannot run, so they are ``error`` and the verdict is error, exit 2);
any other load failure (unknown URI, registry down) makes that check ``error`` and sets
``error`` here with the load cell's index (verdict error, exit 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import load_checks
from ..kernels import ENGINE_NAME, register_engine
from ..policy import policy_from_dict
from ..records import CheckResult
from ..stages.gate import apply_waivers, decide
from .generate import NOTEBOOK_NAME, cell_sections, generate_notebook, write_notebook
from .sections import titles as section_titles

EXECUTED_NAME = "validation_executed.ipynb"
RESULTS_NAME = "validation_results.json"
ERROR_TAG = "papermill-error-cell-tag"

Progress = Callable[[str, str, float], None]


@dataclass(frozen=True)
class ValidationOutcome:
    """What the validation notebook decided, and where its evidence is.

    Attributes:
        results: one CheckResult per check the notebook is responsible for (registry order).
        verdict: "ready", "not_ready" or "error" (error whenever ``error`` is set).
        notebook: the generated (unexecuted) notebook; executed_notebook: the executed one,
            kept on failure too; results_path: the kernel's results file.
        timings: seconds: "kernel_start", "setup", "artifact_load", "sections" {name: s},
            "execute" (papermill wall time), "total".
        error: None, or {"stage", "type", "message", "cell_index", "section", "executed_notebook"}.
        load: the kernel's facts about loading the artifact (loader, class, error).
        generated_tests: the generated pytest file's run in the kernel (reported, not gating:
            the registered property checks decide; the file is for engineering to own).
    """

    results: tuple[CheckResult, ...]
    verdict: str
    notebook: Path
    executed_notebook: Path
    results_path: Path
    timings: dict = field(default_factory=dict)
    error: dict | None = None
    load: dict | None = None
    generated_tests: dict | None = None  # the generated pytest file's run: outcomes, failures

    @property
    def ids(self) -> set[str]:
        return {r.id for r in self.results}


def _noop(stage: str, step: str, fraction: float) -> None:
    pass


def current_tracking_uri() -> str | None:
    """The tracking URI this process uses, absolute, for the kernel (which runs elsewhere)."""
    uri = None
    if "mlflow" in sys.modules:
        uri = sys.modules["mlflow"].get_tracking_uri()
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI")
    if uri and uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        path = Path(uri[len("sqlite:///") :])
        if not path.is_absolute():
            uri = "sqlite:///" + str(path.resolve())
    return uri


def trust_overrides(policy) -> dict:
    """The local policy's trust keys, always passed: the kernel never takes them from the bundle.
    ``allow_pickle`` is also on when ``mlready check --allow-pickle`` started this process's
    kernels (``MLREADY_ALLOW_PICKLE``)."""
    from ..registry.trust import allow_pickle_from_env

    return {
        "trusted_registries": list(policy.trusted_registries) if policy is not None else [],
        "allow_pickle": bool(policy is not None and policy.allow_pickle) or allow_pickle_from_env(),
    }


def _policy_overrides(policy, bundle_dir: Path) -> dict:
    """The caller's policy values that differ from the policy stored in the bundle, and the
    caller's trust keys (always)."""
    if policy is None:
        return trust_overrides(None)
    stored = json.loads((bundle_dir / "policy.json").read_text())
    diff = {k: v for k, v in policy.to_dict().items() if stored.get(k) != v}
    return diff | trust_overrides(policy)


def run_validation(
    model_uri: str,
    bundle_dir: str | Path,
    out: str | Path,
    policy=None,
    champion_uri: str | None = None,
    progress: Progress | None = None,
    *,
    name: str | None = None,
    tests_path: str | None = None,
    tracking_uri: str | None = None,
    champion_reason: str | None = None,
    kernel_name: str = "python3",
    kernel=None,
) -> ValidationOutcome:
    """Generate ``<out>/validation.ipynb`` for ``model_uri`` and execute it in a fresh kernel.

    Args:
        model_uri: ``models:/NAME/VERSION`` or ``runs:/RUN_ID/model``.
        bundle_dir: the evidence bundle folder (``bundle.write_bundle``'s ``<out>/bundle``).
        out: folder for the generated and executed notebooks and the results file.
        policy: the Policy in force (values differing from the bundle's become overrides), or None.
        champion_uri: the version holding the ready alias, compared by the checks
            that read the champion;
            champion_reason: why there is none (shown by those checks).
        progress: called as ``progress("validation", section title, fraction)``.
        kernel: a ``KernelAhead`` started early (see ``warm_kernel``), or None to start one now.
    """
    out = Path(out).resolve()
    bundle_dir = Path(bundle_dir).resolve()
    params = {
        "model_uri": model_uri,
        "bundle_dir": str(bundle_dir),
        "champion_uri": champion_uri,
        "champion_reason": None if champion_uri else champion_reason,
        "results_path": str(out / RESULTS_NAME),
        "policy_overrides": _policy_overrides(policy, bundle_dir),
        "tests_path": tests_path,
        "tracking_uri": tracking_uri or current_tracking_uri(),
    }
    nb = generate_notebook(params, name=name)
    path = write_notebook(nb, out / NOTEBOOK_NAME)
    timeout = policy.cell_timeout if policy is not None else _stored_timeout(bundle_dir)
    return execute_validation(
        path, out, params, timeout, progress, kernel_name=kernel_name, kernel=kernel
    )


def _stored_timeout(bundle_dir: Path) -> int:
    try:
        return int(json.loads((bundle_dir / "policy.json").read_text()).get("cell_timeout", 600))
    except (OSError, ValueError):
        return 600


def _stop_serving(state: dict) -> None:
    """The scoring server the kernel started runs in its own process group, so it outlives a
    kernel that died or timed out before the serving check stopped it: stop what is left."""
    pid = ((state.get("load") or {}).get("serving") or {}).get("pid")
    if isinstance(pid, int) and pid > 1:
        from ..serving.server import stop_group

        stop_group(pid)


def execute_validation(
    notebook: str | Path,
    out: str | Path,
    parameters: dict,
    cell_timeout: int,
    progress: Progress | None = None,
    kernel_name: str = "python3",
    kernel=None,
) -> ValidationOutcome:
    """Execute a generated validation notebook with ``parameters``; collect its results.

    ``kernel`` (a KernelAhead) is used and shut down; without it papermill starts a fresh kernel."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    progress = progress or _noop
    t_total = time.perf_counter()
    notebook, out = Path(notebook), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    executed = out / EXECUTED_NAME
    results_path = Path(parameters["results_path"])
    results_path.unlink(missing_ok=True)
    n_cells = (
        len(nbformat.read(str(notebook), as_version=4).cells) + 1
    )  # papermill adds the injected-parameters cell
    titles = section_titles()
    starts: list[tuple[int, float]] = []

    def hook(cell, index: int | None) -> None:
        if cell.get("cell_type") != "code":
            return
        starts.append((index if index is not None else -1, time.perf_counter()))
        sec = cell.get("metadata", {}).get("mlready", {}).get("section") or "parameters"
        progress("validation", titles.get(sec, sec), (index or 0) / n_cells)

    register_engine()
    error = None
    t_exec0 = t_exec = time.perf_counter()
    progress("validation", "starting a fresh kernel", 0.0)
    # an empty folder to run in: the kernel started ahead has its own
    folder = (
        contextlib.nullcontext(kernel.cwd)
        if kernel is not None
        else tempfile.TemporaryDirectory(prefix="mlready-validation-")
    )
    with folder as cwd:
        try:
            pm.execute_notebook(
                str(notebook),
                str(executed),
                parameters=parameters,
                kernel_name=kernel_name,
                engine_name=ENGINE_NAME,
                mlready_hook=hook,
                mlready_kernel=kernel,
                cwd=cwd,
                progress_bar=False,
                execution_timeout=cell_timeout,
            )
        except PapermillExecutionError as exc:
            error = {
                "stage": "validation",
                "type": exc.ename,
                "cell_index": exc.cell_index,
                "execution_count": exc.exec_count,
                "message": f"cell {exc.cell_index} raised {exc.ename}: {str(exc.evalue)[:1000]}",
            }
        except Exception as exc:  # cell timeout, dead kernel, kernel that does not start
            index = starts[-1][0] if starts else None
            kind = type(exc).__name__
            what = (
                f"timed out after {cell_timeout} s (policy cell_timeout)"
                if "Timeout" in kind
                else f"failed: {kind}: {str(exc)[:1000]}"
            )
            error = {
                "stage": "validation",
                "type": kind,
                "cell_index": index,
                "message": f"cell {index} {what}" if index is not None else f"the kernel {what}",
            }
            if kernel is not None:
                error["kernel_log"] = str(kernel.log_path)
        finally:
            if kernel is not None:
                kernel.shutdown()
    t_exec = time.perf_counter() - t_exec
    state = _read_state(results_path)
    _stop_serving(state)
    sections_by_cell = _sections_of(executed)
    if error is not None:
        failed_cell = error.get("cell_index")
        error["section"] = sections_by_cell.get(failed_cell) if failed_cell is not None else None
        error["executed_notebook"] = str(executed)
        error["message"] += f". The partial executed notebook is {executed}."
    elif state.get("load") and state["load"].get("finding") == "error":
        index = next((i for i, s in sections_by_cell.items() if s == "load"), None)
        error = {
            "stage": "validation",
            "type": "ArtifactLoadError",
            "cell_index": index,
            "section": "load",
            "message": f"cell {index}: the artifact did not load: {state['load'].get('error')}",
            "executed_notebook": str(executed),
        }
        if state["load"].get("remedy"):
            error["remedy"] = state["load"]["remedy"]
    elif not state.get("verdict"):
        error = {
            "stage": "validation",
            "type": "NoResult",
            "cell_index": None,
            "section": None,
            "message": f"the validation notebook wrote no verdict to {results_path}",
            "executed_notebook": str(executed),
        }
    results = _collect(state, error)
    timings = _timings(state, starts, t_exec0, t_exec, t_total)
    strict = bool((state.get("policy") or {}).get("strict", False))
    waive = policy_from_dict({"waive": (state.get("policy") or {}).get("waive") or []}).waive
    verdict = "error" if error else decide(list(apply_waivers(results, waive)), strict)
    _annotate(executed, verdict, timings, error)
    progress("validation", "done", 1.0)
    tests = ((state.get("sections") or {}).get("properties") or {}).get("pytest")
    return ValidationOutcome(
        results, verdict, notebook, executed, results_path, timings, error, state.get("load"), tests
    )


def _read_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _sections_of(executed: Path) -> dict[int, str]:
    """Cell index (in the executed notebook, with the injected cell) -> section."""
    import nbformat

    try:
        nb = nbformat.read(str(executed), as_version=4)
        # papermill puts an error banner cell on top of a failed notebook: index as it executed
        nb.cells = [c for c in nb.cells if ERROR_TAG not in c.get("metadata", {}).get("tags", [])]
        return cell_sections(nb)
    except Exception:  # noqa: BLE001 - no executed notebook: the kernel never started
        return {}


def _collect(state: dict, error: dict | None) -> tuple[CheckResult, ...]:
    """The notebook's results in registry order; a check it did not reach is an error."""
    got = {r["id"]: CheckResult.from_dict(r) for r in state.get("results", [])}
    out = []
    for spec in load_checks():
        if not spec.runs("validation"):
            continue
        if spec.id in got:
            out.append(got.pop(spec.id))
        else:
            where = (
                f"cell {error.get('cell_index')} ({error.get('section') or 'kernel'})"
                if error
                else "an unknown point"
            )
            reason = error["message"] if error else "no result recorded"
            out.append(
                CheckResult(
                    spec.id,
                    "error",
                    f"Not run: the validation notebook failed at {where}.",
                    {"validation_error": reason},
                    category=spec.category,
                    remedy="Open the executed validation notebook, fix the failing cell's "
                    "cause, and re-run `mlready validate`.",
                )
            )
    out.extend(got.values())
    return tuple(out)


def _timings(
    state: dict, starts: list[tuple[int, float]], t_exec0: float, t_exec: float, t_total: float
) -> dict:
    sections = {name: s.get("seconds", 0.0) for name, s in (state.get("sections") or {}).items()}
    timings = {
        "kernel_start": None,
        "setup": state.get("setup_seconds", 0.0),
        "artifact_load": sections.get("load", 0.0),
        "sections": sections,
        "execute": round(t_exec, 4),
    }
    if state.get("spark_jobs"):  # the Spark jobs this kernel's session ran (count, seconds)
        timings["spark_jobs"] = state["spark_jobs"]
    if starts:  # papermill's call to the first cell start: kernel launch and connection
        timings["kernel_start"] = round(starts[0][1] - t_exec0, 4)
    timings["total"] = round(time.perf_counter() - t_total, 4)
    return timings


def _annotate(executed: Path, verdict: str, timings: dict, error: dict | None) -> None:
    """Record the outcome in the executed notebook's metadata (``metadata.mlready.outcome``)."""
    import nbformat

    if not executed.exists():
        return
    try:
        nb = nbformat.read(str(executed), as_version=4)
        nb.metadata.setdefault("mlready", {})["outcome"] = {
            "verdict": verdict,
            "timings": timings,
            "error": error,
        }
        nbformat.write(nb, str(executed))
    except Exception:  # noqa: BLE001 - metadata is a courtesy, never a reason to fail
        pass


def merge_results(in_kernel: list[CheckResult], outcome: ValidationOutcome) -> list[CheckResult]:
    """The gate's results: the validation notebook's replace the notebook kernel's for the ids it
    produced; the others (facts about the notebook, run in its kernel) stay, in order."""
    gate = {r.id: r for r in outcome.results}
    return [gate.pop(r.id, r) for r in in_kernel] + list(gate.values())


def outcome_record(outcome: ValidationOutcome) -> dict:
    """readiness.json's ``validation`` section: where the evidence is, what happened."""
    return {
        "notebook": str(outcome.notebook),
        "executed_notebook": str(outcome.executed_notebook),
        "results": str(outcome.results_path),
        "verdict": outcome.verdict,
        "error": outcome.error,
        "load": {k: v for k, v in (outcome.load or {}).items() if k != "tracking_uri"},
        "generated_tests": outcome.generated_tests,
        "timings": outcome.timings,
    }
