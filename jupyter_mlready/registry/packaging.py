"""How a model becomes an MLflow model folder: flavor, serialization, code paths, requirements.

``plan_packaging`` looks at everything the model references (one pickling pass) and decides:

* flavor — the library's own MLflow flavor for XGBoost, LightGBM, CatBoost and statsmodels
  (``NATIVE_FLAVORS``), ``sklearn`` for scikit-learn estimators, otherwise a generic pyfunc
  wrapper;
* serialization — the library's own file for XGBoost (UBJSON), LightGBM boosters (model text)
  and CatBoost (.cbm); pickle for statsmodels results, stored without their training data;
  skops when every type it does not trust by default comes from an installed library or a
  bundled module (those types are trusted explicitly and listed), otherwise cloudpickle, with
  the risk stated: loading a pickle runs code;
* code paths — modules imported from ``.py`` files in the project that are not installed;
* pip requirements — pinned to the installed versions of the libraries the model references
  (MLflow's own inference of requirements costs 4–7 s).

mlflow, skops and cloudpickle are imported inside functions.
"""

from __future__ import annotations

import functools
import io
import logging
import sys
import types
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import ArtifactError
from ..flavors import NATIVE_FLAVORS, boosters, library_of
from ..flavors import statsmodels as sm_flavor
from ..model import ModelAdapter
from ..probes.serving import unschemable_columns
from .trust import LIGHTGBM_SKOPS_TYPES

ALWAYS = ("numpy", "pandas")  # the model's input and output
NOT_REQUIREMENTS = frozenset({"mlflow", "mlflow-skinny", "jupyter_mlready", "jupyter-mlready"})
RISK = {
    "native": "The library's own model file: no pickle, no code runs on load; it loads from any "
    "registry.",
    "pickle": "pickle (the flavor's only format): loading a pickle runs code. jupyter_mlready "
    "loads this model only from the local store or a registry in the local policy's "
    "trusted_registries, or with --allow-pickle.",
    "skops": "skops: no pickle. From a registry the local policy does not trust, jupyter_mlready "
    "loads it only when every type it needs is on jupyter_mlready's own list (scikit-learn's "
    "estimators and data classes), never on the strength of the trusted types its MLmodel file "
    "lists: those are the artifact's claim.",
    "cloudpickle": "cloudpickle: loading a pickle runs code. jupyter_mlready loads this model only "
    "from the local store or a registry in the local policy's trusted_registries, or with "
    "--allow-pickle.",
}


@dataclass(frozen=True)
class Packaging:
    """The decisions for one model, all stated in plain terms for the report."""

    flavor: str  # "sklearn" | "pyfunc" | one of NATIVE_FLAVORS
    serialization: str  # "native" | "skops" | "pickle" | "cloudpickle"
    risk: str
    reason: str  # why this serialization
    trusted_types: tuple[str, ...] = ()
    code_paths: tuple[str, ...] = ()
    pip_requirements: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: what is saved when it is not the notebook's object (statsmodels: a copy without data)
    stored_model: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict:
        return {
            "flavor": self.flavor,
            "serialization": self.serialization,
            "risk": self.risk,
            "reason": self.reason,
            "trusted_types": list(self.trusted_types),
            "code_paths": list(self.code_paths),
            "pip_requirements": list(self.pip_requirements),
            "notes": list(self.notes),
        }


class _Null(io.RawIOBase):
    def write(self, b):  # large numpy arrays arrive as pickle.PickleBuffer (protocol 5)
        with memoryview(b) as view:
            return view.nbytes


def referenced_modules(obj) -> tuple[set[str], set[str]]:
    """Every module a pickle of ``obj`` refers to (classes, functions, module globals), and the
    names of the functions and classes defined in the notebook itself (``__main__``)."""
    import cloudpickle

    seen: set[str] = set()
    in_notebook: set[str] = set()

    class Scanner(cloudpickle.CloudPickler):
        def persistent_id(self, o):
            if isinstance(o, types.ModuleType):
                seen.add(o.__name__)
            elif isinstance(o, (type, types.FunctionType, types.BuiltinFunctionType)):
                module = getattr(o, "__module__", None) or "builtins"
                seen.add(module)
                if module == "__main__":
                    in_notebook.add(f"__main__.{getattr(o, '__qualname__', '?')}")
            else:
                seen.add(type(o).__module__)
                if type(o).__module__ == "__main__":
                    in_notebook.add(f"__main__.{type(o).__qualname__}")
            return None

    Scanner(_Null(), protocol=5).dump(obj)
    return seen, in_notebook


#: Import names whose distribution is named differently (saves a full scan of installed packages).
KNOWN_DISTRIBUTIONS = {
    "sklearn": "scikit-learn",
    "yaml": "PyYAML",
    "PIL": "pillow",
    "cv2": "opencv-python",
    "skimage": "scikit-image",
    "dateutil": "python-dateutil",
}


@functools.lru_cache(maxsize=1)
def _distributions() -> Mapping[str, list[str]]:
    return metadata.packages_distributions()  # scans every installed package: ~1 s, last resort


@functools.lru_cache(maxsize=256)
def _same_name_distribution(top: str) -> str | None:
    name = KNOWN_DISTRIBUTIONS.get(top, top)
    try:
        metadata.distribution(name)
        return name
    except metadata.PackageNotFoundError:
        return None


def distributions_of(top: str) -> tuple[str, ...]:
    """Distribution(s) providing the import name ``top`` (fast path: same or known name)."""
    name = _same_name_distribution(top)
    return (name,) if name else tuple(_distributions().get(top, ()))


def module_origin(top: str) -> tuple[str, str | None]:
    """("stdlib" | "notebook" | "installed" | "local" | "unknown", file) for a top-level module
    name."""
    if top in sys.stdlib_module_names or top in ("builtins", "__builtin__"):
        return "stdlib", None
    if top == "__main__":
        return "notebook", None
    file = getattr(sys.modules.get(top), "__file__", None)
    if file is None:  # compiled helper modules (e.g. Cython's), namespace packages
        return "unknown", None
    if "site-packages" in file or "dist-packages" in file or _same_name_distribution(top):
        return "installed", file
    return "local", file


def _requirement(dist: str) -> str | None:
    if dist in NOT_REQUIREMENTS:
        return None
    try:
        return f"{dist}=={metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return None


def plan_packaging(
    adapter: ModelAdapter, project: Path, model_var: str = "model", check_rows=None
) -> Packaging:
    """Decide flavor, serialization, code paths and requirements for ``adapter.model``.
    ``check_rows``: rows a statsmodels copy without training data must predict the same on."""
    model = adapter.model
    try:
        modules, in_notebook = referenced_modules(model)
    except Exception as exc:
        raise ArtifactError(
            f"Cannot serialize the model `{model_var}` ({adapter.class_name}): "
            f"{type(exc).__name__}: {exc}. "
            "Remove what cannot be pickled (open files, locks, connections, generators) from "
            "the model before the check, or wrap it in an object that rebuilds them on load.",
            obj=model_var,
            reason=str(exc),
        ) from None
    tops = {m.split(".")[0] for m in modules if m}
    dists, code_paths, notes, by_value = set(ALWAYS), [], [], []
    project = project.resolve()
    for top in sorted(tops):
        origin, file = module_origin(top)
        if origin == "installed":
            dists.update(distributions_of(top) or (top,))
        elif origin == "notebook":
            by_value.append(top)
        elif origin == "local":
            assert file is not None  # module_origin gives "local" only with the module's file
            path = Path(file).resolve()
            path = path.parent if path.name == "__init__.py" else path
            if path.is_relative_to(project):
                code_paths.append(str(path))
            else:
                notes.append(
                    f"Module `{top}` ({path}) is neither installed nor inside the project "
                    f"{project}: it is not bundled, so loading the model needs it importable."
                )
    stored = None
    if adapter.flavor in NATIVE_FLAVORS:
        flavor = adapter.flavor
        serialization, reason, trusted = _native_serialization(model)
        if flavor == "statsmodels":
            stored, note = sm_flavor.without_training_data(model, check_rows)
            notes.append(note[0].upper() + note[1:] + ".")
    else:
        flavor = "sklearn" if adapter.flavor == "sklearn" else "pyfunc"
        serialization, reason, trusted = _choose_serialization(
            model, flavor, code_paths, in_notebook
        )
    if serialization in ("skops", "cloudpickle"):
        dists.add(serialization)
    reqs = sorted(r for r in map(_requirement, dists) if r)
    if code_paths:
        notes.append(
            "Notebook-local code is bundled with the model (code_paths): "
            + ", ".join(Path(p).name for p in code_paths)
            + "."
        )
    if by_value:
        notes.append(
            "Functions or classes defined in the notebook itself are stored by value "
            "inside the pickle."
        )
    return Packaging(
        flavor,
        serialization,
        RISK[serialization],
        reason,
        tuple(trusted),
        tuple(code_paths),
        tuple(reqs),
        tuple(notes),
        stored,
    )


def _native_serialization(model) -> tuple[str, str, list[str]]:
    """(serialization, reason, trusted types) for a library logged with its own flavor."""
    library = library_of(model)
    if library == "xgboost":
        return "native", "XGBoost's own format (UBJSON), through mlflow.xgboost.", []
    if library == "catboost":
        return "native", "CatBoost's own format (.cbm), through mlflow.catboost.", []
    if library == "lightgbm" and boosters.library(model):
        return "native", "LightGBM's own model file, through mlflow.lightgbm.", []
    if library == "lightgbm":
        return (
            "skops",
            "skops, through mlflow.lightgbm (its format for the scikit-learn API): no "
            "arbitrary code on load.",
            list(LIGHTGBM_SKOPS_TYPES),
        )
    return (
        "pickle",
        "statsmodels results pickled through mlflow.statsmodels (the flavor's only format), "
        "without their training data.",
        [],
    )


def _choose_serialization(
    model, flavor: str, code_paths: list[str], in_notebook: set[str]
) -> tuple[str, str, list[str]]:
    if flavor != "sklearn":
        return (
            "cloudpickle",
            "Not a scikit-learn estimator: stored through a generic pyfunc wrapper.",
            [],
        )
    if in_notebook:  # skops stores these by reference: a fresh process cannot import them
        return (
            "cloudpickle",
            "skops stores functions and classes by reference, and these are defined "
            f"in the notebook itself: {', '.join(sorted(in_notebook))}.",
            [],
        )
    try:
        import skops.io as sio

        untrusted = sio.get_untrusted_types(data=sio.dumps(model))
    except Exception as exc:
        return "cloudpickle", f"skops cannot store this model ({type(exc).__name__}: {exc}).", []
    bundled = {Path(p).stem for p in code_paths}

    def loadable(type_name: str) -> bool:  # importable where the model is loaded
        top = type_name.split(".")[0]
        origin = module_origin(top)[0]
        return origin == "installed" or (origin == "local" and top in bundled)

    blocking = [t for t in untrusted if not loadable(t)]
    if blocking:
        return (
            "cloudpickle",
            "skops stores functions and classes by reference, and these are defined "
            f"in the notebook itself: {', '.join(blocking)}.",
            [],
        )
    why = "skops (no arbitrary code on load)"
    if untrusted:
        why += f"; {len(untrusted)} library type(s) trusted explicitly"
    return "skops", why + ".", list(untrusted)


@contextmanager
def quiet_mlflow():
    """Silence MLflow's own warnings (we state the risks ourselves) for the duration."""
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


@contextmanager
def _no_mismatch_scan():
    """Skip MLflow's check of our requirements against the environment: they are the installed
    versions by construction, and the check scans every installed distribution (~1.2 s)."""
    import mlflow.utils.environment as env

    original = getattr(env, "warn_dependency_requirement_mismatches", None)
    if original is None:  # a future MLflow moved it: keep its behaviour
        yield
        return
    env.warn_dependency_requirement_mismatches = lambda *a, **k: None
    try:
        yield
    finally:
        env.warn_dependency_requirement_mismatches = original


def save_model_folder(
    adapter: ModelAdapter,
    plan: Packaging,
    path: Path,
    *,
    input_example=None,
    signature=None,
    mlflow_model=None,
    model_var: str = "model",
) -> None:
    """Write the MLflow model folder at ``path`` following ``plan``."""
    common = dict(
        signature=signature,
        input_example=input_example,
        mlflow_model=mlflow_model,
        pip_requirements=list(plan.pip_requirements),
        code_paths=list(plan.code_paths) or None,
    )
    try:
        with quiet_mlflow(), _no_mismatch_scan():
            if plan.flavor in NATIVE_FLAVORS:
                _save_native(adapter.model, plan, path, common)
            elif plan.flavor == "sklearn":
                import mlflow.sklearn

                mlflow.sklearn.save_model(
                    adapter.model,
                    str(path),
                    serialization_format=plan.serialization,
                    skops_trusted_types=list(plan.trusted_types) or None,
                    pyfunc_predict_fn="predict",
                    **common,
                )
            else:
                import cloudpickle
                import mlflow.pyfunc

                from . import pyfunc_wrapper

                cloudpickle.register_pickle_by_value(pyfunc_wrapper)
                try:
                    mlflow.pyfunc.save_model(
                        str(path),
                        python_model=pyfunc_wrapper.PredictWrapper(
                            adapter.model, adapter.input_kind
                        ),
                        **common,
                    )
                finally:
                    cloudpickle.unregister_pickle_by_value(pyfunc_wrapper)
    except ArtifactError:
        raise
    except Exception as exc:
        raise ArtifactError(
            f"MLflow cannot save the model `{model_var}` ({adapter.class_name}) as {plan.flavor} / "
            f"{plan.serialization}: {type(exc).__name__}: {str(exc)[:300]}. "
            "Make the model picklable (no open files, locks or connections), "
            "or file a bug with this message.",
            obj=model_var,
            reason=str(exc),
        ) from None


def _save_native(model, plan: Packaging, path: Path, common: dict) -> None:
    """Save with the library's own MLflow flavor (``plan.flavor``)."""
    if plan.flavor == "xgboost":
        import mlflow.xgboost

        mlflow.xgboost.save_model(model, str(path), model_format="ubj", **common)
    elif plan.flavor == "lightgbm":
        import mlflow.lightgbm

        extra = (
            {"serialization_format": "skops", "skops_trusted_types": list(plan.trusted_types)}
            if plan.serialization == "skops"
            else {}
        )
        mlflow.lightgbm.save_model(model, str(path), **extra, **common)
    elif plan.flavor == "catboost":
        import mlflow.catboost

        mlflow.catboost.save_model(model, str(path), **common)
    else:
        import mlflow.statsmodels

        # remove_data changes the object it is given: only ever the copy, never the notebook's
        if plan.stored_model is None:
            raise ArtifactError("statsmodels results are saved from their copy without data")
        mlflow.statsmodels.save_model(plan.stored_model, str(path), remove_data=True, **common)


def signature_and_example(
    adapter: ModelAdapter, X, rows: int = 5, sample: int = 200, predictions=None
):
    """(signature, input example, note): the example is a few hold-out rows. Never raises.

    Input types come from ``sample`` rows; the output type from ``predictions`` (the hold-out
    predictions already computed, e.g. the bundle's) or from predicting the example. A view over
    a library's own output (statsmodels' and a booster's probabilities) gives an input schema
    only: the served model returns what the library's ``predict`` does.

    A frame with a column MLflow's schema cannot type faithfully (pandas ``category``; nullable
    ``Int64`` / ``Float64`` / ``boolean`` holding a missing value) gets neither: MLflow would
    type a category as a string, refuse its own example, and make the served model reject every
    request.
    """
    unfaithful = unschemable_columns(X)
    if unfaithful:
        shown = ", ".join(f"'{c}' ({t})" for c, t in unfaithful[:5])
        return (
            None,
            None,
            (
                f"No signature or input example: MLflow's schema cannot type {shown} faithfully "
                "(it would turn a category into a string and reject the model's own input); the "
                "served model receives requests unchecked, so validate them with the contract"
            ),
        )
    try:
        from mlflow.models import infer_signature

        example = X.head(rows)
        if adapter.predictor is not adapter.model:
            output = None
        elif predictions is not None:
            output = predictions[:rows]
        else:
            output = adapter.predict(example)
        with quiet_mlflow():
            sig = infer_signature(X.head(sample), output)
        return sig, example, None
    except Exception as exc:
        return None, None, f"No signature or input example: {type(exc).__name__}: {str(exc)[:200]}"
