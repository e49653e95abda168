"""Columns beside the features: a sensitive attribute, a time column or a declared slice that the
model does not take as input, found next to the hold-out in the notebook.

A sensitive attribute is often *not* a model input, and should not be. Fairness, out-of-time and
slice checks still need it, row for row with the hold-out. It is found, in this order:

1. ``--sensitive VAR``: a notebook variable (a Series or array with one value per hold-out row,
   or a Series indexed like the hold-out), or the name of a column of a frame in the notebook;
2. a column of another DataFrame in the notebook whose index holds every hold-out row (the frame
   the split was made from, ``df.drop(columns=[...])``), when the policy names it
   (``sensitive_features``, ``time_column``, ``slices``) or its name says it is sensitive (gender,
   sex, age band, race, ethnicity, religion, nationality, marital status) or, when no feature is
   a date, it holds dates.

The result is ``Dataset.side`` (same index as ``X``) for the hold-out and, where the same frame
covers them, the training rows. Nothing here changes the features.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pandas as pd

from .errors import MlreadyError
from .records import Dataset, Subject

#: name tokens of protected attributes (matched on a column name's words, any case)
SENSITIVE_TOKENS = frozenset(
    {
        "gender",
        "sex",
        "race",
        "racial",
        "ethnicity",
        "ethnic",
        "religion",
        "religious",
        "nationality",
        "marital",
        "citizenship",
        "disability",
    }
)
#: "age" alone is a number of years; an age band or group is a protected grouping
AGE_GROUP_TOKENS = frozenset({"band", "group", "bracket", "bucket", "range", "cohort", "grp"})


class SensitiveVariableError(MlreadyError):
    """``--sensitive VAR`` names nothing usable in the notebook."""


def words(name: str) -> list[str]:
    """A column name's words: ``"CustomerGender"`` and ``"customer_gender"`` -> customer, gender."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def sensitive_by_name(names) -> list[str]:
    """The names among ``names`` that read as a protected attribute (gender, sex, age band, race,
    ethnicity, religion, nationality, marital status...)."""
    found = []
    for name in names:
        tokens = set(words(name))
        if tokens & SENSITIVE_TOKENS or ("age" in tokens and tokens & AGE_GROUP_TOKENS):
            found.append(str(name))
    return found


def declared_slice_columns(policy) -> list[str]:
    """The columns the policy's ``slices`` entries name (``"region"``, ``"region=north"``)."""
    return [str(s).split("=", 1)[0].strip() for s in policy.slices]


def _is_datetime(s: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    # a Spark DateType column arrives in pandas as datetime.date objects
    return s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) == "date"


def _as_time(s: pd.Series) -> pd.Series:
    """datetime.date objects as datetime64 (what the time-aware checks read); else ``s``."""
    return pd.to_datetime(s) if s.dtype == object and _is_datetime(s) else s


def _wanted(name: str, policy, dates_wanted: bool, series: pd.Series) -> bool:
    if name in policy.sensitive_features or name == policy.time_column:
        return True
    if name in declared_slice_columns(policy) or sensitive_by_name([name]):
        return True
    return dates_wanted and _is_datetime(series)


def _covers(frame: pd.DataFrame, index: pd.Index) -> bool:
    try:
        return bool(frame.index.is_unique and len(index) and index.isin(frame.index).all())
    except TypeError:
        return False


def _aligned(values: Any, X: pd.DataFrame) -> pd.Series | None:
    """``values`` row for row with ``X``: by index for a Series indexed like X, by position for
    anything with one value per row; None when neither fits."""
    if isinstance(values, pd.Series):
        if _covers(values.to_frame(), X.index):
            return values.loc[X.index]
        if len(values) == len(X):
            return pd.Series(values.to_numpy(), index=X.index, name=values.name)
        return None
    if hasattr(values, "__len__") and not isinstance(values, (str, bytes, dict)):
        try:
            if len(values) == len(X) and getattr(values, "ndim", 1) == 1:
                return pd.Series(list(values), index=X.index)
        except TypeError:
            return None
    return None


def _count(value: Any) -> str:
    return f"{len(value):,}" if hasattr(value, "__len__") else "no"


def _frames(
    namespace: dict, skip: set[int], train_index: pd.Index | None = None
) -> list[tuple[str, pd.DataFrame]]:
    """The notebook's DataFrames, the likeliest source first: one that also holds the training
    rows (the frame the split was made from), then the widest."""
    found = [
        (name, value)
        for name, value in namespace.items()
        if isinstance(value, pd.DataFrame) and not name.startswith("_") and id(value) not in skip
    ]

    def rank(item: tuple[str, pd.DataFrame]) -> tuple[bool, int]:
        holds_train = train_index is not None and _covers(item[1], train_index)
        return (not holds_train, -len(item[1].columns))

    return sorted(found, key=rank)


def _own_sample(namespace: dict, ds: Dataset) -> pd.DataFrame | None:
    """The seeded sample of a Spark input, with every column of its frame (the namespace holds
    it under the frame's name); None for a pandas input."""
    if ds.spark is None:
        return None
    frame = namespace.get(ds.x_var)
    return frame if isinstance(frame, pd.DataFrame) else None


def _sources(
    namespace: dict, subject: Subject, skip: set[int]
) -> tuple[list[tuple[str, pd.DataFrame]], pd.DataFrame | None]:
    """(the frames that may hold the hold-out's side columns, the frame holding the training
    rows' when it is a Spark sample). A Spark sample's index is a row position, not a key: any
    other frame with as many rows would "cover" it and hold other rows, so a Spark input's side
    columns come from its own sample only."""
    train_own = _own_sample(namespace, subject.train)
    if subject.holdout.spark is None:
        return _frames(namespace, skip, subject.train.X.index), train_own
    own = _own_sample(namespace, subject.holdout)
    return ([(subject.holdout.x_var, own)] if own is not None else []), train_own


def _train_values(
    frame: pd.DataFrame, train_own: pd.DataFrame | None, col: str, train_X: pd.DataFrame
) -> pd.Series | None:
    """The training rows' values of ``col``: from the training sample of a Spark input, else
    from ``frame`` when it holds the training rows."""
    source = train_own if train_own is not None else frame
    if col not in source.columns or not _covers(source, train_X.index):
        return None
    return _as_time(source.loc[train_X.index, col])


def _from_variable(var: str, namespace: dict, subject: Subject) -> dict[str, tuple]:
    """``--sensitive VAR``: {column: (holdout values, train values or None, how)}."""
    hold_X, train_X = subject.holdout.X, subject.train.X
    if subject.holdout.spark is not None and var not in hold_X.columns:
        # a Spark hold-out has no row order to align a notebook variable with: a column only
        frames, train_own = _sources(namespace, subject, set())
        for frame_name, frame in frames:
            if var in frame.columns:
                train = _train_values(frame, train_own, var, train_X)
                hold = _as_time(frame.loc[hold_X.index, var])
                return {var: (hold, train, f"--sensitive {var} ({frame_name})")}
        raise SensitiveVariableError(
            f"--sensitive {var}: the hold-out is a Spark frame without a column {var!r}; "
            "name a column of the Spark hold-out frame (a separate variable has no row order "
            "to match Spark rows with)."
        )
    data = var in namespace and not callable(namespace[var])
    if data and not isinstance(namespace[var], pd.DataFrame):
        value = namespace[var]
        hold = _aligned(value, hold_X)
        if hold is None:
            raise SensitiveVariableError(
                f"--sensitive {var}: the variable has {_count(value)} values, and the hold-out "
                f"has {len(hold_X):,} rows; give one value per hold-out "
                "row (or a Series indexed like the hold-out)."
            )
        name = str(getattr(value, "name", None) or var)
        train = _aligned(value, train_X) if isinstance(value, pd.Series) else None
        return {name: (hold, train, f"--sensitive {var}")}
    if var in hold_X.columns:
        return {var: (None, None, f"--sensitive {var} (a feature)")}
    for frame_name, frame in _frames(namespace, set(), train_X.index):
        if var in frame.columns and _covers(frame, hold_X.index):
            train = frame.loc[train_X.index, var] if _covers(frame, train_X.index) else None
            return {var: (frame.loc[hold_X.index, var], train, f"--sensitive {var} ({frame_name})")}
    raise SensitiveVariableError(
        f"--sensitive {var}: no variable of that name, and no column of that name in a frame "
        "that holds the hold-out rows. Name a Series with one value per hold-out row, or a column "
        "of the frame the hold-out was split from."
    )


def attach_side_columns(
    subject: Subject, namespace: dict, policy, sensitive_vars: tuple[str, ...] = ()
) -> Subject:
    """``subject`` with ``side`` frames on its data (see the module doc); unchanged when the
    notebook holds no such column."""
    hold_X, train_X = subject.holdout.X, subject.train.X
    if not isinstance(hold_X, pd.DataFrame):
        return subject
    features = set(map(str, hold_X.columns))
    target = subject.target_name
    found: dict[str, tuple] = {}
    named_features: list[str] = []  # --sensitive naming a feature: declared, nothing to add
    for var in sensitive_vars:
        for col, entry in _from_variable(var, namespace, subject).items():
            if entry[0] is not None:
                found[col] = entry
            else:
                named_features.append(col)
    if named_features:
        subject = replace(
            subject, discovery={**subject.discovery, "sensitive_named": named_features}
        )
    has_dates = any(_is_datetime(hold_X[c]) for c in hold_X.columns)
    dates_wanted = not policy.time_column and not has_dates
    frames, train_own = _sources(namespace, subject, {id(hold_X), id(train_X)})
    for frame_name, frame in frames:
        if not _covers(frame, hold_X.index):
            continue
        for col in frame.columns:
            name = str(col)
            if name in features or name in found or name == target:
                continue
            if not _wanted(name, policy, dates_wanted, frame[col]):
                continue
            train = _train_values(frame, train_own, col, train_X)
            found[name] = (_as_time(frame.loc[hold_X.index, col]), train, f"column of {frame_name}")
    if not found:
        return subject
    hold_side = pd.DataFrame({c: v[0] for c, v in found.items()}, index=hold_X.index)
    train_cols = {c: v[1] for c, v in found.items() if v[1] is not None}
    train_side = pd.DataFrame(train_cols, index=train_X.index) if train_cols else None
    discovery = {
        **subject.discovery,
        "side": {c: {"how": v[2], "train": v[1] is not None} for c, v in found.items()},
    }
    return replace(
        subject,
        holdout=replace(subject.holdout, side=hold_side),
        train=replace(subject.train, side=train_side),
        discovery=discovery,
    )


def side_or_feature(ds: Dataset, column: str) -> pd.Series | None:
    """A column of ``ds``, from its features or its side columns (None: neither has it)."""
    if column in ds.X.columns:
        return ds.X[column]
    if ds.side is not None and column in ds.side.columns:
        return ds.side[column]
    return None


def with_named_sensitive(policy, subject: Subject):
    """``policy`` with the attributes named by ``--sensitive`` added to its
    ``sensitive_features``: naming one on the command line declares it, as the policy would (so
    the fairness check judges it against the bounds, and the logged policy says so)."""
    named = [
        column
        for column, found in (subject.discovery.get("side") or {}).items()
        if str(found.get("how", "")).startswith("--sensitive")
    ] + list(subject.discovery.get("sensitive_named") or [])
    extra = tuple(c for c in named if c not in policy.sensitive_features)
    if not extra:
        return policy
    return replace(policy, sensitive_features=tuple(policy.sensitive_features) + extra)


def columns_beside(namespace: dict | None, subject_X, train_X=None, limit: int = 3) -> dict:
    """{frame name: its columns that are not features, at the hold-out's rows} for the notebook
    frames (at most ``limit``) that hold every hold-out row: what sits beside the features."""
    if not namespace or not isinstance(subject_X, pd.DataFrame):
        return {}
    skip = {id(subject_X)} | ({id(train_X)} if train_X is not None else set())
    features = set(map(str, subject_X.columns))
    out: dict[str, pd.DataFrame] = {}
    for name, frame in _frames(namespace, skip, None if train_X is None else train_X.index):
        if len(out) >= limit:
            break
        if not _covers(frame, subject_X.index):
            continue
        extra = [c for c in frame.columns if str(c) not in features]
        if extra:
            out[name] = frame.loc[subject_X.index, extra]
    return out
