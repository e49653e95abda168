"""Errors: one root, subclasses carry the facts, messages end with the fix."""

from __future__ import annotations


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
