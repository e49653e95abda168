"""The policy: every threshold the gate uses, with a documented default.

Looked up in this order (first found wins):
1. ``--policy FILE`` (a TOML file; keys at top level or under ``[tool.mlready]``);
2. ``mlready.toml`` in the notebook's folder or any parent;
3. ``[tool.mlready]`` in the nearest ``pyproject.toml`` (notebook's folder, then parents).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PolicyError


def _default_thresholds() -> dict:
    return {
        # metric -> bound. Metrics where lower is better (rmse, mae, log_loss) are maxima,
        # every other metric is a minimum.
        # Defaults are floors that catch a broken or useless model, not business targets: set yours.
        "classification": {"roc_auc": 0.65},
        "regression": {"r2": 0.20},
    }


LOWER_IS_BETTER = frozenset({"rmse", "mae", "log_loss", "brier"})
#: The metrics the gate computes, per task (``jupyter_mlready.metrics``): a threshold on any other
#: name is refused when the policy loads, never silently ignored.
KNOWN_METRICS = {
    "classification": (
        "accuracy",
        "balanced_accuracy",
        "f1_macro",
        "roc_auc",
        "average_precision",
        "brier",
        "log_loss",
    ),
    "regression": ("rmse", "mae", "r2"),
}


@dataclass(frozen=True)
class Waiver:
    """A finding accepted on purpose: ``{check, column?, reason, owner, expires}`` in the policy's
    ``waive`` list. It applies until ``expires`` (inclusive); it never waives an ``error``."""

    check: str
    reason: str
    owner: str
    expires: dt.date
    column: str | None = None

    def expired(self, today: dt.date | None = None) -> bool:
        return (today or dt.date.today()) > self.expires

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["expires"] = self.expires.isoformat()
        if self.column is None:
            del d["column"]
        return d


WAIVER_KEYS = ("check", "column", "reason", "owner", "expires")


def _waiver(value: object, where: str) -> Waiver:
    if not isinstance(value, dict):
        raise PolicyError(
            f"{where} must be a table {{check, column?, reason, owner, expires}}, got {value!r}."
        )
    unknown = sorted(set(map(str, value)) - set(WAIVER_KEYS))
    if unknown:
        raise PolicyError(
            f"{where}: unknown key(s) {', '.join(unknown)}. Known: {', '.join(WAIVER_KEYS)}."
        )
    missing = [k for k in ("check", "reason", "owner", "expires") if not value.get(k)]
    if missing:
        raise PolicyError(
            f"{where} needs {', '.join(missing)}: a waiver says what is accepted, why, by whom "
            "and until when."
        )
    expires = value["expires"]
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    elif isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError as exc:
            raise PolicyError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD).") from exc
    elif not isinstance(expires, dt.date):
        raise PolicyError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD).")
    column = value.get("column")
    return Waiver(
        check=str(value["check"]),
        reason=str(value["reason"]),
        owner=str(value["owner"]),
        expires=expires,
        column=None if column is None else str(column),
    )


@dataclass(frozen=True)
class Policy:
    """Thresholds in force. Each field's comment is its documentation (shown by
    ``mlready policy``)."""

    strict: bool = False  # treat every "warn" as "fail"
    seed: int = 0  # seed for sampling and property tests
    # contract
    range_margin: float = (
        0.10  # allowed range = training [min, max] widened by this fraction of its width on each
        # side
    )
    max_categories: int = (
        50  # text columns with at most this many distinct values get an allowed-values check
    )
    contract_max_failure_rate: float = (
        0.01  # hold-out rows of a column allowed outside the contract before "fail" (any
        # violation is at least "warn")
    )
    # performance
    thresholds: dict = field(
        default_factory=_default_thresholds
    )  # per task: metric -> minimum (maximum for rmse/mae/log_loss/brier)
    baseline_min_improvement: float = (
        0.02  # the model must beat the trivial baseline by this (absolute for scores, relative
        # for errors)
    )
    champion_max_regression: float = (
        0.01  # allowed drop of each metric against the current champion (absolute; relative for
        # errors)
    )
    # leakage
    overlap_warn: float = (
        0.0  # fraction of hold-out rows also in training above which the overlap check warns
    )
    overlap_fail: float = 0.01  # ... and fails
    target_proxy_warn: float = (
        0.95  # single-feature score (ROC AUC, or R^2) on the hold-out that warns
    )
    target_proxy_fail: float = (
        0.99  # ... and fails: one feature alone predicts the target almost perfectly
    )
    # drift (effect sizes, not p-values: large samples do not raise false alarms)
    drift_psi_warn: float = 0.10  # population stability index above which a feature warns
    drift_psi_fail: float = 0.25  # ... and fails
    drift_ks_warn: float = 0.10  # Kolmogorov-Smirnov statistic D (an effect size) that warns
    drift_ks_fail: float = 0.20  # ... and fails
    drift_null_warn: float = 0.05  # rise in a column's share of missing values that warns
    drift_null_fail: float = 0.20  # ... and fails (both only where the rise is significant)
    drift_sample_rows: int = 200_000  # rows per side used for drift statistics (uniform sample)
    # robustness
    property_examples: int = 100  # hypothesis examples per property
    property_seconds: float = (
        1.0  # CPU budget per property; a model too slow for it gets fewer examples than
        # property_examples (evidence["examples"] / ["examples_budget"] say how many ran / fit)
    )
    clear_rejection: str = (
        "warn"  # status when the model rejects out-of-contract input with a clear error: "pass"
        # or "warn"
    )
    monotonic_increasing: tuple = ()  # features on which the prediction must not decrease (DIR)
    monotonic_decreasing: tuple = ()  # features on which the prediction must not increase (DIR)
    invariant: tuple = ()  # features the prediction must not depend on (INV)
    batch_tolerance: float = (
        1e-6  # absolute tolerance for batch invariance / determinism of numeric outputs
    )
    # latency
    latency_p95_ms: float = 50.0  # per-row p95 latency budget in milliseconds
    # serving (the serving check: the artifact behind MLflow's scoring server)
    serving_p95_ms: float = 50.0  # one-row request p95 over HTTP on 127.0.0.1, in milliseconds
    on_invalid: str = (
        "reject"  # what the served artifact does with a row that breaks the contract: "reject"
        # (HTTP 4xx naming the column and rule) or "flag" (200, a null prediction and the reason)
    )
    # ML Test Score checks (issue 17)
    slices: tuple = ()  # declared slices: a column name (each of its values is a slice; numbers
    # in quantile bins) or "column=value"; only declared slices can fail the slices check
    slice_max_drop: float = 0.05  # a declared slice fails when its metric is surely worse than
    # the whole hold-out's by more than this (absolute; relative for error metrics)
    slice_min_rows: int = 30  # slices with fewer hold-out rows are listed, never judged
    forbidden_features: tuple = ()  # column names or glob patterns the model must not take
    allowed_features: tuple = ()  # glob patterns every feature must match (empty: any name)
    sensitive_features: tuple = ()  # protected attributes (fairness groups; a model input warns
    # unless allowed_features names it)
    fairness_max_parity_difference: float = 0.10  # demographic-parity difference (selection
    # rates) over a declared sensitive feature's groups above which the fairness check fails
    fairness_max_odds_difference: float = 0.10  # equalized-odds difference (TPR / FPR) bound
    feature_value_rows: int = 5_000  # hold-out rows sampled for permutation importance
    feature_value_seconds: float = 1.0  # time budget of permutation importance (fewer repeats
    # when the model is slow; evidence says how many ran)
    simpler_seconds: float = 1.5  # time budget to fit the simple reference model
    simpler_rows: int = 20_000  # training rows the simple reference model is fitted on
    time_column: str = ""  # the data's time column ("": detected, a datetime column)
    time_segments: int = 4  # time-ordered hold-out segments the out-of-time check compares
    max_data_age_days: int = 365  # warn when the newest training row is older than this
    store_data: str = "sample"  # what the bundle keeps of the data: "sample" (hold-out rows and
    # a training sample, personal-data columns removed) or "reference" (no rows: their location
    # and fingerprint only)
    spark_staging_dir: str = ""  # where Spark frames built in the notebook are written once as
    # parquet so a fresh kernel reads the same rows ("": <out>/spark-staging; on a cluster, a
    # location every node reads)
    spark_sample_rows: int = 50_000  # rows of each Spark input the sampled checks read (property
    # tests, latency, slices, the simpler model, ...); the exact checks read every row
    privacy_min_share: float = 0.30  # share of a text column's values that must look like personal
    # data (e-mail, phone, card, IBAN, IP, national id) for the privacy check to flag the column
    # registry and execution
    registry_alias: str = "ready"  # alias moved to a version only when it is ready
    cell_timeout: int = 600  # seconds a validation-notebook cell may run
    store_training_data: bool = (
        False  # log the full training data with the artifact (default: profile + row hashes only)
    )
    # statistics
    interval_level: float = (
        0.90  # two-sided confidence level of metric intervals (each end a one-sided 95% bound):
        # a bound is met when the interval's conservative end clears it, missed when its
        # optimistic end does not, otherwise the check fails with "insufficient evidence"
    )
    # trust (local policy only: an artifact's logged policy never extends these)
    trusted_registries: tuple = ()  # tracking URIs pickle-based artifacts may load from, besides
    # the embedded local store
    allow_pickle: bool = False  # load pickle-based artifacts from any registry (--allow-pickle)
    # waivers
    waive: tuple = ()  # findings accepted on purpose: {check, column?, reason, owner, expires}

    def threshold_for(self, task: str, has_proba: bool = True) -> dict:
        """Bounds for the task. A classifier without predict_proba has no ROC AUC: under the
        default policy it is held to balanced_accuracy >= 0.55 instead; a policy that sets its own
        classification thresholds gets exactly those."""
        bounds = dict(self.thresholds.get(task, {}))
        # only the default bound is replaced: a probability metric the policy asks for itself
        # is never weakened without saying so (the thresholds check is then an error)
        if task == "classification" and not has_proba and bounds == _default_thresholds()[task]:
            bounds = {"balanced_accuracy": 0.55}
        return bounds

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        d["waive"] = [w.to_dict() for w in self.waive]
        return d


FIELDS = {f.name: f for f in dataclasses.fields(Policy)}


def policy_from_dict(values: dict, source: str = "<dict>") -> Policy:
    """Build a Policy from plain values, rejecting unknown keys and wrong types."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise PolicyError(
            f"{source}: unknown policy key(s) {', '.join(unknown)}. "
            f"Known keys: {', '.join(sorted(FIELDS))}."
        )
    kwargs = {}
    default = Policy()
    for key, value in values.items():
        current = getattr(default, key)
        if key == "thresholds":
            if not isinstance(value, dict):
                raise PolicyError(
                    f"{source}: 'thresholds' must be a table of task -> metric -> bound."
                )
            merged = _default_thresholds()
            for task, metrics in value.items():
                if task not in KNOWN_METRICS:
                    raise PolicyError(
                        f"{source}: unknown task thresholds.{task}; known: "
                        f"{', '.join(KNOWN_METRICS)}."
                    )
                if not isinstance(metrics, dict):
                    raise PolicyError(
                        f"{source}: thresholds.{task} must be a table metric -> number."
                    )
                unknown = sorted(set(map(str, metrics)) - set(KNOWN_METRICS[task]))
                if unknown:
                    raise PolicyError(
                        f"{source}: unknown {task} metric(s) in thresholds.{task}: "
                        f"{', '.join(unknown)}. Known: {', '.join(KNOWN_METRICS[task])}."
                    )
                merged[task] = {str(m): float(b) for m, b in metrics.items()}
            value = merged
        elif key == "waive":
            if not isinstance(value, (list, tuple)):
                raise PolicyError(f"{source}: 'waive' must be a list of tables, got {value!r}.")
            value = tuple(_waiver(w, f"{source}: waive[{i}]") for i, w in enumerate(value))
        elif isinstance(current, bool):
            if not isinstance(value, bool):
                raise PolicyError(f"{source}: '{key}' must be true or false, got {value!r}.")
        elif isinstance(current, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise PolicyError(f"{source}: '{key}' must be a number, got {value!r}.")
            value = type(current)(value)
        elif isinstance(current, tuple):
            if not isinstance(value, (list, tuple)):
                raise PolicyError(f"{source}: '{key}' must be a list, got {value!r}.")
            value = tuple(str(v) for v in value)
        elif isinstance(current, str):
            value = str(value)
        kwargs[key] = value
    if not 0.5 <= kwargs.get("interval_level", 0.90) < 1:
        raise PolicyError(f"{source}: 'interval_level' must be in [0.5, 1), e.g. 0.90.")
    if kwargs.get("clear_rejection", "warn") not in ("pass", "warn"):
        raise PolicyError(f'{source}: \'clear_rejection\' must be "pass" or "warn".')
    if kwargs.get("on_invalid", "reject") not in ("reject", "flag"):
        raise PolicyError(f'{source}: \'on_invalid\' must be "reject" or "flag".')
    if kwargs.get("store_data", "sample") not in ("sample", "reference"):
        raise PolicyError(f'{source}: \'store_data\' must be "sample" or "reference".')
    return dataclasses.replace(default, **kwargs)


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise PolicyError(f"Policy file {path} does not exist. Check the --policy path.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"Policy file {path} is not valid TOML: {exc}. Fix the syntax.") from exc


def find_policy_source(start: Path) -> tuple[Path | None, dict]:
    """Return (file, values) of the nearest mlready.toml or pyproject [tool.mlready]."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for d in (folder, *folder.parents):
        candidate = d / "mlready.toml"
        if candidate.is_file():
            data = _read_toml(candidate)
            return candidate, data.get("tool", {}).get("mlready", data)
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            data = _read_toml(candidate)
            section = data.get("tool", {}).get("mlready")
            if section is not None:
                return candidate, section
    return None, {}


#: the policy key holding per-notebook sections: ``[notebooks."claims_*.ipynb"]``
NOTEBOOK_SECTIONS = "notebooks"


def _scoped(values: dict, start: str | Path, source: str) -> tuple[dict, str]:
    """The policy values for the notebook at ``start``: the top-level keys, then those of every
    ``[notebooks."PATTERN"]`` section whose pattern (a file name or a glob) matches the
    notebook's file name, in file order. Every section is validated, matching or not (a typo
    in another notebook's section is an error now, not when that notebook is checked)."""
    sections = values.get(NOTEBOOK_SECTIONS)
    top = {k: v for k, v in values.items() if k != NOTEBOOK_SECTIONS}
    if sections is None:
        return top, source
    if not isinstance(sections, dict) or not all(isinstance(v, dict) for v in sections.values()):
        raise PolicyError(
            f"{source}: '{NOTEBOOK_SECTIONS}' must hold tables, e.g. [notebooks.\"churn.ipynb\"] "
            "with the keys that notebook overrides."
        )
    name = Path(start).name if str(start).endswith(".ipynb") else None
    merged, used = dict(top), []
    for pattern, extra in sections.items():
        policy_from_dict({**top, **extra}, f'{source} [notebooks."{pattern}"]')
        if name is not None and fnmatch.fnmatch(name, pattern):
            merged.update(extra)
            used.append(pattern)
    if used:
        source += " " + " ".join(f'[notebooks."{p}"]' for p in used)
    return merged, source


def load_policy(
    policy_file: str | Path | None = None, start: str | Path = "."
) -> tuple[Policy, str]:
    """Load the policy in force for the notebook (or folder) ``start``; returns (policy, where
    it came from). A policy may hold per-notebook sections (``[notebooks."NAME.ipynb"]``)."""
    if policy_file:
        path = Path(policy_file)
        data = _read_toml(path)
        values, source = _scoped(data.get("tool", {}).get("mlready", data), start, str(path))
        return policy_from_dict(values, source), source
    found, values = find_policy_source(Path(start))
    if found is None:
        return Policy(), "defaults"
    values, source = _scoped(values, start, str(found))
    return policy_from_dict(values, source), source
