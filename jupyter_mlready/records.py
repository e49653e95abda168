"""Plain frozen records passed from one stage to the next.

Each stage takes earlier records and returns its own; nothing here imports a stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeGuard, get_args

#: What a check may return.
Status = Literal["pass", "warn", "fail", "error", "skip"]
#: What a check record may say: a check's status, or "waived": a warn or fail the policy accepted
#: on purpose (the record's ``waiver`` keeps the original status). Only the gate waives; a check
#: never returns "waived" itself.
RecordStatus = Literal["pass", "warn", "fail", "error", "skip", "waived"]
Verdict = Literal["ready", "not_ready", "error"]
STATUSES: tuple[str, ...] = get_args(Status)
RECORD_STATUSES: tuple[str, ...] = get_args(RecordStatus)
VERDICTS: tuple[str, ...] = get_args(Verdict)
#: worst first: how every rendering sorts statuses
STATUS_ORDER = {"error": 0, "fail": 1, "warn": 2, "waived": 3, "pass": 4, "skip": 5}
STATUS_ICONS = {"pass": "✔", "warn": "!", "fail": "✘", "error": "‼", "skip": "–", "waived": "~"}
VERDICT_LABELS = {
    "ready": "Ready",
    "not_ready": "Not ready",
    "error": "Error",
    "ok": "OK",  # mlready monitor
    "alert": "Alert",
}


def is_status(value: object) -> TypeGuard[Status]:
    """Whether ``value`` is one of STATUSES."""
    return value in STATUSES


def count_statuses(statuses: Iterable[str]) -> list[tuple[str, int]]:
    """(status, how many), worst first: the one count every rendering shows."""
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    return sorted(counts.items(), key=lambda kv: STATUS_ORDER.get(kv[0], 9))


@dataclass(frozen=True)
class Dataset:
    """Features (always a DataFrame) and an optional target, with the variables they came from."""

    X: Any  # pandas.DataFrame
    y: Any  # pandas.Series | None
    x_var: str
    y_var: str | None = None
    # columns beside the features, row for row with X (same index): a sensitive attribute, a time
    # column or a declared slice the model does not take (jupyter_mlready.side_columns); or None
    side: Any = None
    # a Spark input (jupyter_mlready.spark): X, y and side are then a seeded sample of it, and
    # the exact checks read ``spark.frame``; None for pandas / numpy / polars data
    spark: SparkData | None = None

    @property
    def rows(self) -> int:
        """Rows of X (for a Spark input: of the sample)."""
        return int(len(self.X))


@dataclass(frozen=True)
class SparkData:
    """A Spark input: the whole frame the exact checks read (features, target and the columns
    beside them), how a fresh kernel reads it again, and the seeded sample the other checks
    read (``Dataset.X``)."""

    frame: Any  # pyspark.sql.DataFrame
    reference: Any  # spark.reference.SparkReference
    features: tuple[str, ...]
    target: str | None
    null_counts: dict  # column -> exact count of nulls (NaN counted as missing)
    sample_rows: int
    seed: int

    @property
    def rows(self) -> int:
        return int(self.reference.rows)

    def describe_sample(self) -> str:
        return f"a seeded sample of {self.sample_rows:,} of {self.rows:,} rows (seed {self.seed})"


@dataclass(frozen=True)
class Subject:
    """What is being checked: the model, its data, the task, and how each was found."""

    model: Any  # jupyter_mlready.model.ModelAdapter
    model_var: str
    task: str  # "classification" | "regression"
    train: Dataset
    holdout: Dataset
    target_name: str | None
    discovery: dict = field(default_factory=dict)  # role -> {"var": ..., "how": ...}

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.train.X.columns)


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the contract, in plain JSON-friendly terms."""

    name: str
    kind: str  # "float" | "integer" | "boolean" | "category" | "string" | "datetime"
    dtype: str  # the pandas dtype seen in training
    nullable: bool
    null_fraction: float = 0.0
    min: float | str | None = None  # training minimum (numbers, or ISO date)
    max: float | str | None = None
    low: float | str | None = None  # allowed range, with margin
    high: float | str | None = None
    categories: tuple | None = None  # allowed values for category/string/boolean
    positive_only: bool = False  # every training value > 0
    non_negative: bool = False  # every training value >= 0

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["categories"] is not None:
            d["categories"] = list(d["categories"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ColumnSpec:
        d = dict(d)
        if d.get("categories") is not None:
            d["categories"] = tuple(d["categories"])
        return cls(**d)


@dataclass(frozen=True)
class Contract:
    """The inferred data contract: a pandera schema plus its plain description."""

    columns: tuple[ColumnSpec, ...]
    schema: Any  # pandera.pandas.DataFrameSchema (coerce=False), or None: built when first needed
    range_margin: float
    max_categories: int

    def pandera_schema(self) -> Any:
        """The pandera schema, built from the columns on first use when it was not given (a
        scoring server's guard screens rows with numpy and imports pandera only if it must)."""
        if self.schema is None:
            from .contract import build_schema

            object.__setattr__(self, "schema", build_schema(self.columns))
        return self.schema

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "range_margin": self.range_margin,
            "max_categories": self.max_categories,
            "columns": [c.to_dict() for c in self.columns],
        }


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check. ``status`` is one of STATUSES, or "waived" once the gate applied
    a policy waiver (``stages.gate.apply_waivers``).

    ``waiver`` is set when a policy waiver names this check and the finding was a warn, fail or
    error: ``{"state": "applied" | "expired" | "not_applied", "status": the check's own status,
    "note": one sentence, "waivers": [the policy's waivers involved]}``. Absent otherwise, and
    then absent from ``to_dict()`` too (documents without waivers keep their shape)."""

    id: str
    status: RecordStatus
    summary: str
    evidence: dict = field(default_factory=dict)
    repro: str | None = None
    seconds: float = 0.0
    category: str = ""
    remedy: str | None = None
    waiver: dict | None = None

    def to_dict(self) -> dict:
        d = {
            "id": self.id,
            "category": self.category,
            "status": self.status,
            "summary": self.summary,
            "evidence": self.evidence,
            "repro": self.repro,
            "remedy": self.remedy,
            "seconds": round(float(self.seconds), 4),
        }
        if self.waiver is not None:
            d["waiver"] = self.waiver
        return d

    @classmethod
    def from_dict(cls, d: dict) -> CheckResult:
        return cls(
            id=d["id"],
            status=d["status"],
            summary=d.get("summary", ""),
            evidence=d.get("evidence") or {},
            repro=d.get("repro"),
            seconds=float(d.get("seconds") or 0.0),
            category=d.get("category", ""),
            remedy=d.get("remedy"),
            waiver=d.get("waiver") if isinstance(d.get("waiver"), dict) else None,
        )
