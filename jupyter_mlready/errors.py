"""Errors: one root, subclasses carry the facts, messages end with the fix."""

from __future__ import annotations

from pathlib import Path


class MlreadyError(Exception):
    """Root of every error jupyter_mlready raises on purpose.

    The CLI maps any ``MlreadyError`` to exit code 2 and prints ``str(error)``.
    """

    exit_code = 2
    #: what to do about it, when the message's last sentence is not enough on its own
    remedy: str | None = None

    def fields(self) -> dict:
        """The facts this error carries (role, candidates, flag, cell index, ...), for
        readiness.json's ``error.fields``: every public attribute set on the instance."""
        return {
            k: v
            for k, v in vars(self).items()
            if not k.startswith("_")
            and k != "remedy"
            and isinstance(v, (str, int, float, bool, list, type(None)))
        }


class UsageError(MlreadyError):
    """Bad command-line or magic arguments."""


class NotebookError(MlreadyError):
    """The notebook file is missing, not a notebook, or failed to execute."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        cell_index: int | None = None,
        ename: str | None = None,
        evalue: str | None = None,
    ):
        super().__init__(message)
        self.path = path
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue


class DiscoveryError(MlreadyError):
    """Discovery found nothing, or more than one candidate, for a role.

    Attributes:
        role: "model", "train" or "holdout".
        candidates: the variable names that were considered.
        flag: the flag that resolves it, e.g. ``--model VAR``.
    """

    def __init__(self, role: str, reason: str, candidates: list[str], flag: str):
        found = ", ".join(candidates) if candidates else "nothing"
        super().__init__(
            f"Could not decide the {role}: {reason}. Found: {found}. Pass {flag} to say which one."
        )
        self.role = role
        self.reason = reason
        self.candidates = candidates
        self.flag = flag
        self.remedy = f"Pass {flag} to say which one."


class UnsupportedModelError(MlreadyError):
    """The model is of a kind the checks do not apply to (clustering, ranking, forecasting,
    multi-output): computing a verdict as if it were a classifier would be wrong.

    Attributes:
        variable: the notebook variable holding it.
        model_class: its class, ``module.Name``.
        kind: what it is ("clustering", "ranking", "forecasting", "multi-output", ...).
    """

    def __init__(self, *, variable: str, model_class: str, kind: str, why: str, remedy: str):
        super().__init__(
            f"The model `{variable}` ({model_class}) is a {kind} model: {why}. "
            f"jupyter_mlready checks models that predict one label or one number per row "
            f"from columns of features: {SUPPORTED}. {remedy}"
        )
        self.variable = variable
        self.model_class = model_class
        self.kind = kind
        self.remedy = remedy


#: the one-line list of supported model types (README: "Supported models")
SUPPORTED = (
    "scikit-learn classifiers and regressors (pipelines and searches included), XGBoost, "
    "LightGBM and CatBoost (scikit-learn API or native Booster), statsmodels regression, "
    "Logit / Probit / binomial GLM / MNLogit results (formula or array API), and any object "
    "whose predict(frame) returns one label or number per row"
)


class DataError(MlreadyError):
    """The data found cannot be checked as it is (e.g. two columns with one name).

    Attributes:
        role: "training data" or "hold-out data".
        variable: the notebook variable holding it.
        columns: the offending column names.
    """

    def __init__(self, message: str, *, role: str, variable: str, columns: list[str], remedy: str):
        super().__init__(f"{message} {remedy}")
        self.role = role
        self.variable = variable
        self.columns = columns
        self.remedy = remedy


class PolicyError(MlreadyError):
    """A policy file is unreadable or has an unknown key or a bad value."""


class RegistryError(MlreadyError):
    """The MLflow tracking server / registry is unreachable or refused a call.

    Attributes:
        tracking_uri: the store that failed (None when unknown).
        doing: what was being done, e.g. "registering model version".
    """

    def __init__(self, message: str, *, tracking_uri: str | None = None, doing: str | None = None):
        super().__init__(message)
        self.tracking_uri = tracking_uri
        self.doing = doing


class SparkError(MlreadyError):
    """Spark could not do what a check needed: the session is stopped or its JVM died, a job
    failed, a referenced table or file is gone, or the data read back is not the data recorded.

    Attributes:
        doing: what was being done, e.g. "counting the hold-out rows".
        cause: the first line of what Spark said.
    """

    def __init__(self, message: str, *, doing: str, cause: str | None = None, remedy: str):
        super().__init__(f"{message} {remedy}")
        self.doing = doing
        self.cause = cause
        self.remedy = remedy


class ArtifactError(MlreadyError):
    """The model cannot be stored as an MLflow model.

    Attributes:
        obj: the variable (or object) that could not be stored.
        reason: what the serializer said.
    """

    def __init__(self, message: str, *, obj: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.obj = obj
        self.reason = reason


class OutputError(MlreadyError):
    """The results folder (``--out``) cannot be created or written, or another check is writing
    to it.

    Attributes:
        path: the file or folder that could not be written.
        reason: what the operating system said (e.g. "No space left on device").
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        reason: str | None = None,
        remedy: str | None = None,
    ):
        super().__init__(message)
        self.path = path
        self.reason = reason
        self.remedy = remedy


def output_error(path, exc: OSError) -> OutputError:
    """An OutputError for ``exc`` raised while writing ``path``: what failed, why, what to do."""
    import errno

    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        why = "the disk is full (No space left on device)"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST) and not Path(path).is_dir():
        why = f"a part of that path is a file, not a folder ({reason})"
    else:
        why = reason
    fix = "Free space there, or pass --out to a folder you can write to."
    return OutputError(
        f"Cannot write {path}: {why}. {fix}", path=str(path), reason=reason, remedy=fix
    )


class Interrupted(KeyboardInterrupt):
    """A termination signal (SIGTERM, SIGHUP) turned into an interrupt by the CLI, so a check
    stops the way Ctrl-C stops it: its kernels are shut down and readiness.json says error.

    Attributes:
        signal_name: e.g. "SIGTERM".
    """

    def __init__(self, signal_name: str):
        super().__init__(signal_name)
        self.signal_name = signal_name
