"""What the validation notebook's cells call, one method per section.

Runs inside the fresh validation kernel. Each section runs its checks through the registry with
``CheckContext(where="validation")``, shows a compact table, and appends its results to the
results file (JSON, rewritten after every section, so a crash later keeps what was done).

An artifact that fails to load is not an exception here: a missing notebook-local module or
global (ImportError / AttributeError / NameError while unpickling) IS the finding of
the check that reads the load failure (status ``fail``); any other load failure (unknown URI,
registry unreachable) is ``error``. Checks that need the model are then skipped; the checks that
read only bundle data (contract, leakage, drift) still run.

What loads follows ``registry.trust``: the model folder is downloaded (bytes only), its MLmodel
file read, and a pickle-based model (or one with bundled code) loads only from a registry the
*local* policy trusts, or with ``allow_pickle``. Those two come from ``policy_overrides`` (the
caller's local policy), never from the policy logged in the bundle. A refusal is the load
finding (``error``, with what would have run and how to allow it); a refused champion is a
``champion_error`` (the champion comparison is an error with the same remedy). The generated
pytest file is regenerated here from the bundle (contract, policy), never taken from the registry.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checks import CheckContext, Input, load_checks, run_checks
from ..environ import temporary_environ
from ..memory import return_freed_memory
from ..model import ModelAdapter
from ..policy import policy_from_dict
from ..readiness import to_jsonable
from ..records import CheckResult
from ..registry.bundle import LoadedBundle, adapter_for, load_bundle
from ..registry.store import HTTP_LIMITS
from ..registry.trust import (
    TRUST_KEYS,
    Trust,
    UntrustedArtifactError,
    download_model,
    inspect_folder,
    load_folder,
    registry_trusted,
    source_of,
)
from ..stages.gate import apply_waivers, decide
from . import display as show
from .sections import specs_for

RESULTS_SCHEMA = 1
MISSING_CODE = (
    ImportError,
    AttributeError,
    NameError,
)  # what unpickling raises for notebook-only code


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost ImportError/AttributeError/NameError in the chain, else ``exc``."""
    seen = set()
    cur: BaseException | None = exc
    found = None
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, MISSING_CODE):
            found = cur
        cur = cur.__cause__ or cur.__context__
    return found or exc


@dataclass(frozen=True)
class TrustSettings:
    """The local policy's trust: never read from the artifact."""

    trusted_registries: tuple[str, ...] = ()
    allow_pickle: bool = False
    tracking_uri: str | None = None  # the registry models:/ URIs come from

    @classmethod
    def from_overrides(cls, overrides: dict | None, tracking_uri: str | None) -> TrustSettings:
        o = overrides or {}
        return cls(
            tuple(str(u) for u in o.get("trusted_registries") or ()),
            o.get("allow_pickle") is True,
            tracking_uri,
        )


@dataclass(frozen=True)
class LoadedArtifact:
    model: Any
    loader: str
    flavors: list[str]
    trust: Trust
    folder: Path | None = None  # the downloaded model folder (what a scoring server serves)


def load_registry_model(model_uri: str, settings: TrustSettings | None = None) -> LoadedArtifact:
    """Download ``model_uri``, decide from its MLmodel file whether it may load (``trust``), and
    load it: the sklearn flavor when logged (so predict_proba exists), else pyfunc — and when the
    pyfunc is our wrapper around an object, that object itself, so the gate tests the same
    ``predict`` / ``predict_proba`` the notebook had (never fewer methods).

    Raises:
        UntrustedArtifactError: loading would run code from a registry the local policy does not
            trust (nothing from the artifact ran).
    """
    settings = settings or TrustSettings()
    tracking = settings.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or None
    if tracking is None and not model_uri.startswith("file://"):
        import mlflow

        tracking = mlflow.get_tracking_uri()
    local = download_model(model_uri, tracking)
    fmt, trust = inspect_folder(
        local,
        model_uri,
        source_of(model_uri, tracking),
        trusted_registries=settings.trusted_registries,
        allow_pickle=settings.allow_pickle,
    )
    model, loader = load_folder(local, fmt, trust)
    if loader == "mlflow.pyfunc.load_model":
        inner = wrapped_object(model)
        if inner is not None:
            return LoadedArtifact(
                inner, loader + " + unwrap_python_model().model", list(fmt.flavors), trust, local
            )
    return LoadedArtifact(model, loader, list(fmt.flavors), trust, local)


def load_artifact_model(model_uri: str, flavor: str | None = None, settings=None):
    """``load_registry_model`` as (model, loader name, the artifact's flavors)."""
    done = load_registry_model(model_uri, settings)
    return done.model, done.loader, done.flavors


def wrapped_object(pyfunc_model):
    """The object inside our pyfunc wrapper (``PredictWrapper.model``), or None."""
    try:
        python_model = pyfunc_model.unwrap_python_model()
    except Exception:  # noqa: BLE001 - not a python_model pyfunc (another flavor's)
        return None
    if type(python_model).__name__ != "PredictWrapper":
        return None
    return getattr(python_model, "model", None)


def load_failure_facts(exc: BaseException, model_uri: str) -> dict:
    """The finding for an artifact that does not load in the fresh kernel."""
    if isinstance(exc, UntrustedArtifactError):
        return {
            "status": "error",
            "evidence": {
                "refused": True,
                "source": exc.source,
                "flavor": exc.flavor,
                "serialization": exc.serialization,
                "message": str(exc),
                "trust": exc.trust,
            },
            "repro": None,  # the repro would be running the code that was refused
            "summary": f"The artifact {model_uri} was not loaded: {exc}",
            "remedy": exc.remedy,
        }
    cause = _root_cause(exc)
    message = f"{type(cause).__name__}: {cause}"
    evidence = {
        "exception": type(cause).__name__,
        "message": str(cause)[:2000],
        "outer_exception": f"{type(exc).__name__}: {str(exc)[:500]}",
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-3000:],
    }
    repro = (
        f"import mlflow\nmlflow.pyfunc.load_model({model_uri!r})  "
        "# in a fresh Python, outside the notebook folder"
    )
    if isinstance(cause, MISSING_CODE):
        return {
            "status": "fail",
            "evidence": evidence,
            "repro": repro,
            "summary": f"The artifact does not load outside the notebook: {message}",
            "remedy": "The model refers to code that exists only beside or inside the notebook "
            "(a module written next to it, a class or function defined in a cell). Move "
            "that code into an installable package, or log it with "
            "log_model(..., code_paths=['mytransform.py']).",
        }
    return {
        "status": "error",
        "evidence": evidence,
        "repro": repro,
        "summary": f"The artifact {model_uri} could not be loaded: {message}",
        "remedy": "Check the model URI and that the MLflow tracking server is reachable "
        "(MLFLOW_TRACKING_URI), then re-run `mlready validate`.",
    }


class Validation:
    """The state of one validation run inside the kernel."""

    def __init__(
        self,
        model_uri: str,
        bundle_dir: str,
        results_path: str,
        champion_uri: str | None = None,
        policy_overrides: dict | None = None,
        tests_path: str | None = None,
        tracking_uri: str | None = None,
        champion_reason: str | None = None,
    ):
        self.t0 = time.perf_counter()
        if tracking_uri:
            os.environ["MLFLOW_TRACKING_URI"] = tracking_uri
        # this kernel exists for this run: an unreachable registry fails in seconds, as in the
        # notebook's kernel, not after MLflow's default retries (minutes); the user's own win
        for key, value in HTTP_LIMITS.items():
            os.environ.setdefault(key, value)
        self.model_uri = model_uri
        self.champion_uri = champion_uri
        self.champion_reason = champion_reason or "No model version holds the ready alias yet."
        self.results_path = Path(results_path)
        self.tests_path = tests_path  # not run: the test file is regenerated from the bundle
        # trust comes from the caller's local policy (the overrides), never from the bundle's
        self.trust = TrustSettings.from_overrides(
            policy_overrides, tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
        )
        source = source_of(model_uri, self.trust.tracking_uri)
        bundle_trusted = (
            registry_trusted(source, self.trust.trusted_registries)[0] or self.trust.allow_pickle
        )
        self.bundle: LoadedBundle = load_bundle(bundle_dir, bundle_trusted, source)
        return_freed_memory()  # what reading the bundle's files allocated and dropped
        values = self.bundle.policy.to_dict()
        for key in TRUST_KEYS:
            values.pop(key, None)
        values.update(policy_overrides or {})
        self.policy = policy_from_dict(values, "validation parameters")
        self.model: ModelAdapter | None = None  # set by load_artifact
        self.raw_model: Any = None  # the object MLflow loaded
        b = self.bundle
        self.ctx = CheckContext(
            model=None,
            task=b.task,
            train=b.train_sample,
            holdout=b.holdout,
            contract=b.contract,
            policy=self.policy,
            where="validation",
            model_uri=model_uri,
            out=str(self.results_path.parent),
            reference_predictions=b.reference_predictions,
            reference_profile=b.reference_profile,
            train_row_hashes=b.train_row_hashes,
            notebook_facts=b.meta.get("notebook_facts") or {},
            # the personal-data columns the notebook's checks flagged ({column: kind}): every
            # check's result is masked of their values (checks.registry.run_check)
            cache={
                "personal_data": {
                    str(c): str(v.get("kind") if isinstance(v, dict) else v)
                    for c, v in (b.meta.get("personal_data") or {}).items()
                }
            },
        )
        self.specs = load_checks()
        self.state: dict = {
            "schema": RESULTS_SCHEMA,
            "model_uri": model_uri,
            "bundle_dir": str(bundle_dir),
            "champion_uri": champion_uri,
            "policy": self.policy.to_dict(),
            "load": None,
            "sections": {},
            "results": [],
            "verdict": None,
            "setup_seconds": 0.0,
        }
        self.state["setup_seconds"] = round(time.perf_counter() - self.t0, 4)
        self._write()

    # -- bookkeeping -------------------------------------------------------------------------
    def _write(self) -> None:
        self.results_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.results_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(to_jsonable(self.state), indent=1, allow_nan=False))
        tmp.replace(self.results_path)

    def _record(self, name: str, results: list[CheckResult], seconds: float, **extra) -> None:
        self.state["sections"][name] = {
            "seconds": round(seconds, 4),
            "checks": [r.id for r in results],
            **extra,
        }
        done = {r.id for r in results}
        self.state["results"] = [r for r in self.state["results"] if r["id"] not in done]
        self.state["results"] += [r.to_dict() for r in results]
        self._write()

    # -- sections ----------------------------------------------------------------------------
    def load_artifact(self) -> dict:
        """Load the logged model (and the champion, if any) from MLflow in this fresh kernel."""
        t = time.perf_counter()
        facts: dict = {
            "model_uri": self.model_uri,
            "ok": False,
            "tracking_uri": os.environ.get("MLFLOW_TRACKING_URI"),
        }
        try:
            t_import = time.perf_counter()
            import mlflow  # noqa: F401 - timed apart: about 1.3 s of every load

            facts["import_mlflow_seconds"] = round(time.perf_counter() - t_import, 4)
            loaded = load_registry_model(self.model_uri, self.trust)
            facts["trust"] = loaded.trust.to_dict()
            print(f"mlready: {loaded.trust.line}")
            self.raw_model = loaded.model
            self.model = self.ctx.model = adapter_for(loaded.model, self.bundle)
            self.ctx.artifact_folder = str(loaded.folder) if loaded.folder else None
            self._start_serving(loaded.folder, facts)
            facts.update(
                ok=True,
                loader=loaded.loader,
                flavors=loaded.flavors,
                model_class=self.model.class_name,
                predict_proba=self.model.has_proba,
            )
        except Exception as exc:  # noqa: BLE001 - the failure is a finding, recorded below
            self.ctx.load_failure = load_failure_facts(exc, self.model_uri)
            facts.update(
                error=f"{type(exc).__name__}: {exc}"[:1000],
                finding=self.ctx.load_failure["status"],
                remedy=self.ctx.load_failure.get("remedy"),
            )
            if isinstance(exc, UntrustedArtifactError):
                facts["trust"] = exc.trust or {"allowed": False, "line": str(exc)}
                print(f"mlready: {facts['trust']['line']}")
        facts["seconds"] = round(time.perf_counter() - t, 4)
        t_champ = time.perf_counter()
        if self.champion_uri and self.model is not None:
            self.ctx.champion_uri = self.champion_uri
            try:
                champ = load_registry_model(self.champion_uri, self.trust)
                facts["champion_trust"] = champ.trust.to_dict()
                self.ctx.champion = adapter_for(champ.model, self.bundle)
            except UntrustedArtifactError as exc:  # refused: an error with the remedy, no skip
                facts["champion_trust"] = exc.trust or {"allowed": False, "line": str(exc)}
                self.ctx.champion_error = f"it was not loaded: {exc}"
            except Exception as exc:  # noqa: BLE001 - the champion check reports it as an error
                self.ctx.champion_error = f"it could not be loaded: {type(exc).__name__}: {exc}"[
                    :500
                ]
            facts["champion_seconds"] = round(time.perf_counter() - t_champ, 4)
        elif not self.champion_uri:
            self.ctx.champion_reason = self.champion_reason
        return_freed_memory()
        self.state["load"] = facts
        self.state["sections"]["load"] = {
            "seconds": round(time.perf_counter() - t, 4),
            "checks": [],
        }
        self._write()
        show.load_facts(facts, self.bundle)
        return facts

    def _start_serving(self, folder: Path | None, facts: dict) -> None:
        """Start MLflow's scoring server for the artifact now, once it has passed the trust
        decision and loaded here: it boots while the other sections run, and the serving
        check (which stops it) finds it ready."""
        if folder is None or not any(Input.SERVING in s.needs for s in self.specs):
            return
        from ..serving import start_server

        try:
            self.ctx.serving = start_server(folder, self.results_path.parent / "serving")
            facts["serving"] = {
                "url": self.ctx.serving.url,
                "log": str(self.ctx.serving.log_path),
                "pid": self.ctx.serving.pid,
            }
        except Exception as exc:  # noqa: BLE001 - the serving check then says it could not run
            facts["serving"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}

    def run_section(self, name: str) -> list[CheckResult]:
        """Run the checks of one section, show them, and append them to the results file."""
        t = time.perf_counter()
        specs = specs_for(name, self.specs)
        # a check runs when what it reads is here: without a loaded artifact, only the checks
        # that read the bundle's data alone (and the one reporting the load failure)
        runnable = [s for s in specs if all(self.ctx.has(n) for n in s.needs)]
        probes = any(s.probe is not None for s in specs)
        extra = {}
        with _single_threaded(probes):
            by_id = {r.id: r for r in run_checks(self.ctx, runnable)}
            if probes:
                extra["pytest"] = self._generated_tests()
        # this kernel's resident set counts against the check's peak with the notebook kernel
        # and the scoring server: what a section freed goes back before the next one
        return_freed_memory()
        results = [
            by_id.get(s.id)
            or CheckResult(  # it applies, and could not be checked: never a skip
                s.id,
                "error",
                "Not run: the artifact did not load in the fresh kernel (see the load section).",
                category=s.category,
                remedy="Make the artifact loadable (see the load section's error), then "
                "check again.",
            )
            for s in specs
        ]
        self._record(name, results, time.perf_counter() - t, **extra)
        earlier = [r for r in self.state["results"] if r["id"] not in {x.id for x in results}]
        show.section_results(specs, results, extra, earlier)
        return results

    def _generated_tests(self) -> dict:
        """Regenerate the readiness test file from the bundle (never the file logged with the
        run: a file from the registry is code) and run it inside this kernel; capture the
        summary."""
        if self.model is None:
            return {"ran": False, "reason": "the artifact did not load"}
        path = regenerate_tests(
            self.bundle, self.policy, self.results_path.parent, self.model_uri, self.raw_model
        )
        # The registered property checks above decide; this run proves the file engineering keeps
        # works against the artifact, so a smoke-sized run is enough (the file's default is 100).
        # It loads MLREADY_MODEL_URI: the object this kernel loaded from that URI is handed over.
        from ..testing import already_loaded

        with already_loaded(self.model_uri, self.raw_model):
            return run_pytest_file(
                path,
                {
                    "MLREADY_MODEL_URI": self.model_uri,
                    "MLREADY_MAX_EXAMPLES": str(GENERATED_FILE_EXAMPLES),
                    "MLREADY_BUNDLE_DIR": str(self.bundle.path),
                    "MLREADY_CONTRACT": str(self.bundle.path / "contract.json"),
                },
            )

    def finish(self) -> str:
        """Decide the verdict from every result of this notebook and write it."""
        raw = [CheckResult.from_dict(r) for r in self.state["results"]]
        results = list(apply_waivers(raw, self.policy.waive))  # the verdict the gate will see
        verdict = decide(results, self.policy.strict)
        if self.ctx.serving is not None:  # a server no check stopped (its section never ran)
            self.ctx.serving.stop()
        self.state["verdict"] = verdict
        self.state["total_seconds"] = round(time.perf_counter() - self.t0, 4)
        spark = next(
            (d.spark for d in (self.bundle.holdout, self.bundle.train_sample) if d.spark), None
        )
        if spark is not None:  # every job of this kernel's session was the check's
            from ..spark.session import jobs_after

            self.state["spark_jobs"] = jobs_after(spark.frame.sparkSession, -1)
        self._write()
        show.verdict(verdict, results)
        return verdict


def _single_threaded(on: bool):
    """Property tests predict on many tiny frames: one native thread is faster for those (waking
    an OpenMP pool per call dominates on a busy machine) and changes no result."""
    import contextlib

    if not on:
        return contextlib.nullcontext()
    from ..threads import one_native_thread

    return one_native_thread()


GENERATED_FILE_EXAMPLES = 3
REGENERATED_DIR = "generated_tests"


def regenerate_tests(
    bundle: LoadedBundle, policy, out: Path, model_uri: str, model: Any = None
) -> Path:
    """Write the readiness test file for ``bundle`` into ``<out>/generated_tests/``, generated
    here (``probes.codegen``) from the bundle's task and contract and the policy in force, as the
    validation notebook itself is. The folder gets its own ``pytest.ini`` so no configuration or
    conftest.py from around it takes part. ``model``: the loaded model, whose input kind the file
    pins when the model cannot tell it by itself (the bundle knows it)."""
    from ..probes.codegen import pinned_input_kind, readiness_file_name, render_test_module

    name = model_uri.removeprefix("models:/").split("/")[0].split("@")[0]
    if model_uri == name or not name:
        name = str(bundle.meta.get("model_var") or "model")
    folder = out / REGENERATED_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    path = folder / readiness_file_name(name)
    pinned = (
        pinned_input_kind(model, bundle.meta.get("input_kind", "frame"))
        if model is not None
        else None
    )
    path.write_text(render_test_module(name, bundle.task, policy, pinned))
    return path


def run_pytest_file(path: Path, env: dict) -> dict:
    """``pytest.main`` on one file inside this kernel, with a plugin collecting the outcomes.

    No conftest.py is loaded and the configuration is the file's own folder's ``pytest.ini``
    when there is one: nothing around the file runs."""
    import pytest

    outcomes: dict[str, int] = {}
    failures: list[dict] = []

    class Collect:
        def pytest_runtest_logreport(self, report):
            if report.when == "call" or report.outcome != "passed":  # setup/teardown only if broken
                kind = (
                    report.outcome
                    if report.when == "call" or report.outcome == "skipped"
                    else "error"
                )
                outcomes[kind] = outcomes.get(kind, 0) + 1
                if report.outcome == "failed" and len(failures) < 10:
                    failures.append({"test": report.nodeid, "message": str(report.longrepr)[-800:]})

    t = time.perf_counter()
    with temporary_environ(env):
        # A smoke run inside a busy kernel: plain asserts (the helpers raise readable messages
        # themselves; rewriting imported modules cost 0.5 s), no end-of-session gc sweeps.
        ini = path.parent / "pytest.ini"
        config = ["-c", str(ini), "--rootdir", str(path.parent)] if ini.is_file() else []
        code = pytest.main(
            [
                str(path),
                *config,
                "--noconftest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--no-header",
                "-rN",
                "--assert=plain",
                "-p",
                "no:unraisableexception",
                "-p",
                "no:threadexception",
            ],
            plugins=[Collect()],
        )
    return {
        "ran": True,
        "path": str(path),
        "exit_code": int(code),
        "outcomes": outcomes,
        "failures": failures,
        "seconds": round(time.perf_counter() - t, 3),
    }


def start(
    model_uri: str,
    bundle_dir: str,
    results_path: str,
    champion_uri: str | None = None,
    policy_overrides: dict | None = None,
    tests_path: str | None = None,
    tracking_uri: str | None = None,
    champion_reason: str | None = None,
) -> Validation:
    """Begin a validation run (the notebook's first code cell after the parameters)."""
    return Validation(
        model_uri,
        bundle_dir,
        results_path,
        champion_uri,
        policy_overrides,
        tests_path,
        tracking_uri,
        champion_reason,
    )


__all__ = ["Validation", "start"]
