"""Trust: what may load from a registry, decided from the MLmodel file before anything loads.

One rule for every path that loads a model from MLflow (the gate's artifact, the champion,
``mlready validate models:/…``):

* formats that run no code on load load from anywhere: a flavor's native format (XGBoost
  JSON / UBJ, a LightGBM booster's text file, CatBoost), and skops when every type the file needs
  is on *our* list (the estimators and internal data classes of the installed scikit-learn,
  numpy's types). The ``skops_trusted_types`` an MLmodel file lists are the artifact's own claim:
  they never extend that list;
* what runs code on load (a pickle or cloudpickle file, Python code bundled with the model, a
  format we cannot vouch for) loads only from a registry the *local* policy trusts: a store on
  this machine's disk (the embedded ``.mlready/`` store, or any ``sqlite:///`` store) or a
  tracking URI in ``trusted_registries``; or with ``allow_pickle`` / ``--allow-pickle``.

An artifact's logged policy never extends that trust, and never loosens a threshold:
``floor_policy`` merges it over the local policy so that it can only tighten.

Reading the MLmodel file is YAML (``yaml.safe_load``); listing a skops file's types reads its
schema. Neither runs code from the artifact. mlflow, skops and scikit-learn are imported inside
functions.
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import MlreadyError
from ..flavors import NATIVE_FLAVORS

#: Set by ``mlready check --allow-pickle`` for the kernels it starts (the check itself runs in
#: the notebook's kernel); read where the validation kernel's parameters are built.
ALLOW_PICKLE_ENV = "MLREADY_ALLOW_PICKLE"
#: Policy keys only the local policy sets: an artifact's logged values are ignored.
TRUST_KEYS = ("trusted_registries", "allow_pickle")
#: the types a skops file of a LightGBM scikit-learn model needs (mlflow.lightgbm trusts the
#: same); trusted when the installed lightgbm has them
LIGHTGBM_SKOPS_TYPES = (
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
)
CODE_RUNNING = ("pickle", "cloudpickle", "code", "unknown")

#: scikit-learn modules whose classes hold fitted data only (trees, histogram predictors, losses):
#: the types a skops file of a tree ensemble or a gradient-boosting model needs besides the ones
#: skops trusts by default. Their classes are read from the installed scikit-learn.
SKLEARN_DATA_MODULES = (
    "sklearn.tree._tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor",
    "sklearn.ensemble._hist_gradient_boosting.binning",
    "sklearn._loss.loss",
    "sklearn._loss.link",
    "sklearn.neighbors._kd_tree",
    "sklearn.neighbors._ball_tree",
    "sklearn.utils._bunch",
)


class UntrustedArtifactError(MlreadyError):
    """A model (or a bundle file) was not loaded: loading it would run code from a registry the
    local policy does not trust.

    Attributes:
        uri: what was not loaded; source: the registry it came from;
        flavor, serialization: from its MLmodel file.
    """

    def __init__(
        self,
        message: str,
        *,
        remedy: str,
        uri: str | None = None,
        source: str | None = None,
        flavor: str | None = None,
        serialization: str | None = None,
    ):
        super().__init__(f"{message}. {remedy}")
        self.uri = uri
        self.source = source
        self.flavor = flavor
        self.serialization = serialization
        self.remedy = remedy
        self.trust: dict | None = None  # the decision, when one was made from an MLmodel file

    @classmethod
    def refusing(cls, trust: Trust) -> UntrustedArtifactError:
        err = cls(
            trust.reason,
            remedy=trust.remedy or remedy_for(trust.source),
            uri=trust.uri,
            source=trust.source,
            flavor=trust.flavor,
            serialization=trust.serialization,
        )
        err.trust = trust.to_dict()
        return err


# -- the MLmodel file ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelFormat:
    """How a model folder is serialized, as its MLmodel file says.

    Attributes:
        flavor: the flavor it is loaded with ("sklearn" when present, else what the pyfunc
            flavor delegates to).
        serialization: "skops", "pickle", "cloudpickle", "native" (the flavor's own format),
            "code" (the model is Python code) or "unknown".
        file: the serialized model, relative to the folder.
        claimed_types: the MLmodel file's ``skops_trusted_types``: the artifact's claim.
        code: the folder of Python code bundled with the model (imported on load), or None.
        flavors: every flavor the file lists.
    """

    flavor: str
    serialization: str
    file: str | None = None
    claimed_types: tuple[str, ...] = ()
    code: str | None = None
    flavors: tuple[str, ...] = ()

    @property
    def runs_code(self) -> bool:
        return self.serialization in CODE_RUNNING or bool(self.code)

    def what_runs(self, uri: str) -> str:
        """What loading ``uri`` would run, in one clause."""
        file = f" ({self.file})" if self.file else ""
        if self.serialization in ("pickle", "cloudpickle"):
            return f"loading {uri} unpickles a {self.serialization} file{file}"
        if self.serialization == "code":
            return f"loading {uri} runs the Python code it is made of{file}"
        if self.serialization == "unknown":
            return (
                f"loading {uri} goes through the '{self.flavor}' flavor, whose format "
                "jupyter_mlready cannot vouch for"
            )
        return f"loading {uri} imports the Python code bundled with it ({self.code}/)"


def _native(flavor: str, conf: dict) -> tuple[str, str | None]:
    """(serialization, file) of a flavor other than sklearn / python_model pyfunc."""
    data = conf.get("data") or conf.get("model_data") or conf.get("pickled_model")
    data = str(data) if data else None
    if flavor == "xgboost":
        native = str(conf.get("model_format", "xgb")) in ("json", "ubj", "xgb")
        module_ok = str(conf.get("model_class", "xgboost.core.Booster")).startswith("xgboost.")
        return ("native" if native and module_ok else "unknown"), data
    if flavor == "lightgbm":
        if str(conf.get("model_class", "lightgbm.basic.Booster")) == "lightgbm.basic.Booster":
            return "native", data
        fmt = str(conf.get("serialization_format", "cloudpickle"))
        return (fmt if fmt in ("pickle", "cloudpickle", "skops") else "unknown"), data
    if flavor == "catboost":  # the model class is chosen among catboost's own by name
        return "native", data
    if flavor == "statsmodels":
        return "pickle", data
    return "unknown", data


def read_model_format(mlmodel_text: str) -> ModelFormat:
    """The flavor and serialization of a model folder, from its MLmodel file's text."""
    import yaml

    doc = yaml.safe_load(mlmodel_text) or {}
    flavors = doc.get("flavors") if isinstance(doc, dict) else None
    if not isinstance(flavors, dict) or not flavors:
        return ModelFormat("unknown", "unknown")
    names = tuple(sorted(map(str, flavors)))
    pyfunc = flavors.get("python_function") or {}
    pyfunc = pyfunc if isinstance(pyfunc, dict) else {}
    if isinstance(flavors.get("sklearn"), dict):
        conf = flavors["sklearn"]
        fmt = str(conf.get("serialization_format", "pickle"))
        return ModelFormat(
            "sklearn",
            fmt if fmt in ("skops", "pickle", "cloudpickle") else "unknown",
            str(conf.get("pickled_model") or "") or None,
            tuple(str(t) for t in conf.get("skops_trusted_types") or ()),
            conf.get("code") or pyfunc.get("code") or None,
            names,
        )
    loader = str(pyfunc.get("loader_module") or "")
    # a model served behind the contract guard (jupyter_mlready.serving.guard) keeps the loader
    # it wraps: the format is that loader's
    loader = str(pyfunc.get("mlready_original_loader") or loader)
    if pyfunc and loader == "mlflow.pyfunc.model":
        code_model = pyfunc.get("model_code_path")
        return ModelFormat(
            "python_function",
            "code" if code_model else "cloudpickle",
            str(code_model or pyfunc.get("python_model") or "") or None,
            (),
            pyfunc.get("code") or None,
            names,
        )
    flavor = loader.removeprefix("mlflow.") if loader.startswith("mlflow.") else ""
    if flavor not in flavors:
        flavor = next((n for n in names if n != "python_function"), "python_function")
    found = flavors.get(flavor)
    conf = found if isinstance(found, dict) else {}
    serialization, file = _native(flavor, conf)
    claimed = (
        tuple(str(t) for t in conf.get("skops_trusted_types") or ())
        if serialization == "skops"
        else ()
    )
    return ModelFormat(
        flavor, serialization, file, claimed, conf.get("code") or pyfunc.get("code") or None, names
    )


# -- our list of skops types --------------------------------------------------------------------
def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@functools.lru_cache(maxsize=1)
def our_trusted_types() -> frozenset[str]:
    """The types jupyter_mlready lets skops construct from any registry: every estimator of the
    installed scikit-learn, the data classes of ``SKLEARN_DATA_MODULES``, numpy's scalar and dtype
    types. Classes only: never a function."""
    import importlib
    import inspect

    import numpy as np

    names: set[str] = set()
    try:
        from sklearn.utils import all_estimators

        names.update(_name(cls) for _, cls in all_estimators())
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        pass
    for module in SKLEARN_DATA_MODULES:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        names.update(
            _name(obj)
            for _, obj in inspect.getmembers(mod, inspect.isclass)
            if obj.__module__ == module
        )
    names.update(_installed_library_types(LIGHTGBM_SKOPS_TYPES))
    names.add("numpy.dtype")
    names.update(_name(t) for t in vars(np.dtypes).values() if isinstance(t, type))
    names.update(f"numpy.{t.__name__}" for t in set(np.sctypeDict.values()))
    return frozenset(names)


def _installed_library_types(candidates: tuple[str, ...]) -> set[str]:
    """The classes among ``candidates`` that the installed libraries define (a class only)."""
    import importlib
    import inspect

    found = set()
    for name in candidates:
        module, _, attr = name.rpartition(".")
        try:
            obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
        if inspect.isclass(obj):
            found.add(name)
    return found


def skops_file_types(path: str | Path) -> list[str]:
    """The types a skops file needs beyond those skops trusts by default (its schema, read
    without constructing anything)."""
    import skops.io as sio

    return list(sio.get_untrusted_types(file=Path(path)))


# -- registries ---------------------------------------------------------------------------------
def normalize_uri(uri: str) -> str:
    """A tracking URI in one spelling: no trailing slash, scheme and host in lower case."""
    uri = str(uri).strip().rstrip("/")
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"
    if parts.scheme == "sqlite" and uri.startswith("sqlite:///"):
        return "sqlite:///" + os.path.abspath(uri[len("sqlite:///") :])
    return uri


def is_local_store(uri: str | None) -> bool:
    """A store on this machine's disk: a ``sqlite:///`` database, a ``file:`` URI or a path."""
    if not uri:
        return False
    uri = str(uri)
    scheme = urlsplit(uri).scheme
    if scheme == "":  # a path, not a name such as "databricks"
        return uri.startswith(("/", "./", "../", "~"))
    return scheme in ("sqlite", "file")


def redact(uri: str | None) -> str | None:
    """``uri`` without a user name or password, for messages."""
    if not uri:
        return uri
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def registry_trusted(source: str | None, trusted_registries=()) -> tuple[bool, str]:
    """(trusted, why) for the registry (tracking URI) or local folder ``source``."""
    shown = redact(source)
    if source and normalize_uri(source) in {normalize_uri(u) for u in trusted_registries}:
        return True, f"{shown} is in trusted_registries of the local policy"
    if is_local_store(source):
        return True, f"{shown} is a store on this machine's disk"
    return False, f"{shown or 'the registry'} is not a registry the local policy trusts"


def remedy_for(source: str | None) -> str:
    where = f"'{source}'" if source else "the registry's tracking URI"
    return (
        f"Add {where} to trusted_registries in your local policy (mlready.toml or "
        "[tool.mlready] in pyproject.toml), or pass --allow-pickle."
    )


def allow_pickle_from_env() -> bool:
    return os.environ.get(ALLOW_PICKLE_ENV, "").strip().lower() in ("1", "true", "yes")


# -- the decision -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trust:
    """Whether a model may load, and how.

    Attributes:
        allowed: False: it must not load (``reason`` says what would run, ``remedy`` how to allow
            it).
        flavor, serialization: from the MLmodel file.
        trusted_types: the types skops may construct on this load (empty for other formats).
        loader: "skops" (skops with ``trusted_types``, jupyter_mlready's list) or "mlflow" (the
            flavor's own loader).
        claimed_types: the MLmodel file's own ``skops_trusted_types``.
    """

    allowed: bool
    uri: str
    source: str | None
    flavor: str
    serialization: str
    reason: str
    remedy: str | None = None
    trusted_types: tuple[str, ...] = ()
    loader: str = "mlflow"
    registry_trusted: bool = False
    claimed_types: tuple[str, ...] = field(default_factory=tuple)

    @property
    def line(self) -> str:
        """One line for a terminal or a notebook: what loads, or why not."""
        types = ", ".join(self.trusted_types) or "none beyond skops' defaults"
        what = f"flavor {self.flavor}, serialization {self.serialization}"
        if self.serialization == "skops":
            what += f", trusted types: {types}"
        if not self.allowed:
            return f"{self.uri} NOT loaded ({what}): {self.reason}. {self.remedy}"
        return f"{self.uri} loads with {what} ({self.reason})"

    def to_dict(self) -> dict:
        return {
            "allowed": self.allowed,
            "uri": self.uri,
            "source": self.source,
            "registry_trusted": self.registry_trusted,
            "flavor": self.flavor,
            "serialization": self.serialization,
            "trusted_types": list(self.trusted_types),
            "claimed_types": list(self.claimed_types),
            "loader": self.loader,
            "reason": self.reason,
            "remedy": self.remedy,
            "line": self.line,
        }


def decide(
    uri: str,
    fmt: ModelFormat,
    source: str | None,
    *,
    trusted_registries=(),
    allow_pickle: bool = False,
    file_types: list[str] | None = None,
) -> Trust:
    """May ``uri`` (serialized as ``fmt``, from the registry or folder ``source``) load?

    ``file_types``: for skops, the types the file needs (``skops_file_types``); None when they
    could not be read.
    """
    trusted, why = registry_trusted(source, trusted_registries)
    shown = redact(source)

    def verdict(
        allowed: bool, reason: str, types: tuple[str, ...] = (), loader: str = "mlflow"
    ) -> Trust:
        return Trust(
            allowed,
            uri,
            shown,
            fmt.flavor,
            fmt.serialization,
            reason,
            None if allowed else remedy_for(shown),
            types,
            loader,
            trusted,
            fmt.claimed_types,
        )

    skops = fmt.serialization == "skops"
    if trusted or allow_pickle:
        # the flavor's loader, as MLflow does it: for skops with the MLmodel file's own list
        how = why if trusted else f"{shown} is not trusted; allowed by allow_pickle"
        return verdict(True, how, fmt.claimed_types if skops else ())
    if fmt.runs_code:
        return verdict(False, f"{fmt.what_runs(uri)}: that runs code from the registry {shown}")
    if skops:
        if file_types is None:
            return verdict(
                False,
                f"the types in the skops file of {uri} could not be read, so loading it could "
                f"run code from the registry {shown}",
            )
        foreign = [t for t in file_types if t not in our_trusted_types()]
        if foreign:
            return verdict(
                False,
                f"loading {uri} with skops would construct types that only the artifact's own "
                f"MLmodel file vouches for ({', '.join(foreign)}): that can run code from the "
                f"registry {shown}",
            )
        return verdict(
            True,
            f"skops, with jupyter_mlready's own list of trusted types, not the artifact's; {why}",
            tuple(file_types),
            "skops",
        )
    return verdict(True, f"the {fmt.flavor} flavor's native format runs no code")


def inspect_folder(
    local: str | Path,
    uri: str,
    source: str | None,
    *,
    trusted_registries=(),
    allow_pickle: bool = False,
) -> tuple[ModelFormat, Trust]:
    """Read a downloaded model folder's MLmodel file (and, for skops, its file's types); decide."""
    folder = Path(local)
    try:
        fmt = read_model_format((folder / "MLmodel").read_text())
    except (OSError, ValueError) as exc:
        fmt = ModelFormat("unknown", "unknown")
        if not (folder / "MLmodel").exists():
            raise FileNotFoundError(f"{uri} has no MLmodel file: not an MLflow model") from exc
    types = None
    if fmt.serialization == "skops" and fmt.file:
        try:
            types = skops_file_types(_inside(folder, fmt.file))
        except Exception:  # noqa: BLE001 - unreadable: decide() refuses it from untrusted places
            types = None
    trust = decide(
        uri,
        fmt,
        source,
        trusted_registries=trusted_registries,
        allow_pickle=allow_pickle,
        file_types=types,
    )
    return fmt, trust


def _inside(folder: Path, relative: str) -> Path:
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ValueError(f"the MLmodel file names {relative!r}, outside the model folder")
    return path


def load_folder(local: str | Path, fmt: ModelFormat, trust: Trust) -> tuple[Any, str]:
    """Load a model folder as ``trust`` allows; (model, how it was loaded).

    Raises:
        UntrustedArtifactError: ``trust`` refuses it (nothing from the folder ran).
    """
    if not trust.allowed:
        raise UntrustedArtifactError.refusing(trust)
    folder = Path(local)
    if trust.loader == "skops":
        import skops.io as sio

        assert fmt.file is not None  # decide() chose skops from a file it read
        model = sio.load(_inside(folder, fmt.file), trusted=list(trust.trusted_types))
        return model, "skops.io.load with jupyter_mlready's trusted types"
    import importlib

    import mlflow.pyfunc

    # the flavor's own loader gives the object the notebook built, with all its methods
    if fmt.flavor == "sklearn" or fmt.flavor in NATIVE_FLAVORS:
        loader = importlib.import_module(f"mlflow.{fmt.flavor}")
        return loader.load_model(str(folder)), f"mlflow.{fmt.flavor}.load_model"
    return mlflow.pyfunc.load_model(str(folder)), "mlflow.pyfunc.load_model"


_DOWNLOADS: list[tempfile.TemporaryDirectory] = []  # kept while this process may use the model


def download_model(uri: str, tracking_uri: str | None = None) -> Path:
    """The model folder of ``uri``: the folder itself for a local path, else a download (bytes
    only: nothing is loaded) into a temporary folder that lives as long as this process."""
    local = Path(uri[len("file://") :] if uri.startswith("file://") else uri)
    if "://" not in uri and not uri.startswith(("models:/", "runs:/")) and local.is_dir():
        return local
    import mlflow.artifacts

    from ..environ import temporary_environ

    tmp = tempfile.TemporaryDirectory(prefix="mlready-model-")
    _DOWNLOADS.append(tmp)
    # a models:/ URI resolves through the registry URI, which MLflow takes from the environment
    # (not from ``tracking_uri``): both name the same store here
    where = (
        {"MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_REGISTRY_URI": tracking_uri}
        if tracking_uri
        else {}
    )
    with temporary_environ(where):
        return Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=uri, dst_path=tmp.name, tracking_uri=tracking_uri
            )
        )


def source_of(uri: str, tracking_uri: str | None) -> str | None:
    """Where ``uri`` comes from, for the trust decision: the folder for a local path, else the
    tracking URI (the registry)."""
    if uri.startswith("file://"):
        return uri
    if "://" not in uri and not uri.startswith(("models:/", "runs:/")) and Path(uri).exists():
        return str(Path(uri).resolve())
    return tracking_uri


# -- the policy floor ---------------------------------------------------------------------------
#: How each policy key is tightened. A key in none of these (waivers, the trust keys, keys added
#: later without a rule here) keeps the local value: the artifact's is ignored.
LOWER_IS_TIGHTER = frozenset(
    {
        "serving_p95_ms",
        "range_margin",
        "contract_max_failure_rate",
        "champion_max_regression",
        "overlap_warn",
        "overlap_fail",
        "target_proxy_warn",
        "target_proxy_fail",
        "drift_psi_warn",
        "drift_psi_fail",
        "drift_ks_warn",
        "drift_ks_fail",
        "drift_null_warn",
        "drift_null_fail",
        "batch_tolerance",
        "latency_p95_ms",
        "cell_timeout",  # a shorter limit can only turn a result into an error
        "slice_max_drop",
        "slice_min_rows",
        "fairness_max_parity_difference",
        "fairness_max_odds_difference",
        "max_data_age_days",
        "privacy_min_share",
    }
)
HIGHER_IS_TIGHTER = frozenset(
    {
        "max_categories",
        "baseline_min_improvement",
        "interval_level",
        "property_examples",
        "property_seconds",
        "drift_sample_rows",
        "feature_value_rows",
        "feature_value_seconds",
        "simpler_seconds",
        "simpler_rows",
        "time_segments",
        "spark_sample_rows",
    }
)
TRUE_IS_TIGHTER = frozenset({"strict"})
UNION_IS_TIGHTER = frozenset(
    {
        "monotonic_increasing",
        "monotonic_decreasing",
        "invariant",
        "slices",
        "forbidden_features",
        "sensitive_features",
    }
)
ORDERED = {  # later: tighter
    "clear_rejection": ("pass", "warn"),
    "on_invalid": ("flag", "reject"),
    "store_data": ("sample", "reference"),
}
#: Facts about the model rather than bounds: the artifact's value unless the local policy sets
#: its own.
DESCRIPTIVE = frozenset(
    {
        "seed",
        "registry_alias",
        "store_training_data",
        "time_column",
        "allowed_features",
        "spark_staging_dir",
    }
)


def _effective_thresholds(thresholds: dict, has_proba: bool) -> dict:
    """The bounds ``Policy.threshold_for`` would apply (the default classification floor becomes
    balanced_accuracy for a model without probabilities)."""
    from ..policy import _default_thresholds

    out = {task: dict(bounds) for task, bounds in thresholds.items()}
    default = _default_thresholds()["classification"]
    if not has_proba and out.get("classification") == default:
        out["classification"] = {"balanced_accuracy": 0.55}
    return out


def _tighter_thresholds(ours: dict, theirs: dict, notes: list[str]) -> dict:
    from ..policy import LOWER_IS_BETTER

    merged = {task: dict(bounds) for task, bounds in ours.items()}
    for task, bounds in theirs.items():
        into = merged.setdefault(task, {})
        for metric, bound in bounds.items():
            key = f"thresholds.{task}.{metric}"
            if metric not in into:
                into[metric] = bound
                notes.append(f"{key} = {bound:g}: added by the artifact's policy")
                continue
            tighter = min if metric in LOWER_IS_BETTER else max
            value = tighter(into[metric], bound)
            if value != into[metric]:
                notes.append(f"{key} = {bound:g}: the artifact's, tighter than {into[metric]:g}")
            elif bound != into[metric]:
                notes.append(
                    f"{key}: the artifact's {bound:g} ignored (looser than {into[metric]:g})"
                )
            into[metric] = value
    return merged


def _tighter(key: str, ours, theirs, default) -> tuple[Any, str | None]:
    """(merged value, None when the local value stands / "tighter" / "ignored")."""
    if theirs == ours:
        return ours, None
    if key in LOWER_IS_TIGHTER:
        return (theirs, "tighter") if theirs < ours else (ours, "ignored")
    if key in HIGHER_IS_TIGHTER:
        return (theirs, "tighter") if theirs > ours else (ours, "ignored")
    if key in TRUE_IS_TIGHTER:
        return (True, "tighter") if theirs else (ours, "ignored")
    if key in UNION_IS_TIGHTER:
        union = tuple(dict.fromkeys([*ours, *theirs]))
        return (union, "tighter") if union != tuple(ours) else (ours, None)
    if key in ORDERED:
        order = ORDERED[key]
        if theirs in order and ours in order and order.index(theirs) > order.index(ours):
            return theirs, "tighter"
        return ours, "ignored"
    if key in DESCRIPTIVE:
        return (theirs, "the artifact's") if ours == default else (ours, None)
    return ours, "ignored"


def floor_policy(local, logged: dict | None, has_proba: bool = True):
    """The policy in force when re-checking a logged artifact: the local policy, tightened (never
    loosened) by the policy logged with it.

    Returns (Policy, notes): one note per key where the artifact's value was taken or ignored.
    """
    from ..errors import PolicyError
    from ..policy import FIELDS, Policy, policy_from_dict

    default = Policy()
    values = local.to_dict()
    notes: list[str] = []
    for key, raw in (logged or {}).items():
        if key not in FIELDS:
            notes.append(f"{key}: ignored (not a policy key of this jupyter_mlready)")
            continue
        if key in TRUST_KEYS or key == "waive":
            if raw and raw != values[key]:
                notes.append(f"{key}: the artifact's value ignored (local policy only)")
            continue
        try:
            theirs = getattr(policy_from_dict({key: raw}, "the artifact's policy"), key)
        except PolicyError as exc:
            notes.append(f"{key}: the artifact's value ignored ({exc})")
            continue
        ours = getattr(local, key)
        if key == "thresholds":
            values[key] = _tighter_thresholds(
                _effective_thresholds(ours, has_proba),
                _effective_thresholds(theirs, has_proba),
                notes,
            )
            continue
        merged, how = _tighter(key, ours, theirs, getattr(default, key))
        if how == "ignored":
            notes.append(f"{key}: the artifact's {theirs!r} ignored (would loosen {ours!r})")
        elif how:
            notes.append(f"{key} = {merged!r}: {how} (local {ours!r})")
        values[key] = list(merged) if isinstance(merged, tuple) else merged
    return policy_from_dict(values, "the local policy, tightened by the artifact's"), notes
