"""Masking personal data in what a check reports: its summary, evidence, repro and remedy.

A model input flagged as personal data (``ctx.cache["personal_data"]``, {column: kind}) still
reaches the validation kernel, and any check may quote its values: a slice named after an
e-mail, a shrunk example in a repro snippet, a traceback. Everything a check reports goes to
readiness.json, the report, summary.md and the executed validation notebook, all logged, so the
runner passes every result through :func:`scrub_finding` (one choke point, whatever the check).

Two ways a value is found, both masked with :func:`detect.mask` (the shape, never the value):

- by value: the distinct values of the flagged columns (:func:`personal_values`, at most
  ``MAX_VALUES``) looked up as whole strings, as tokens of longer text (split on quotes,
  whitespace, commas, brackets, ``=``, ``:``), as runs of letter/digit groups with their
  separators dropped (``4111 1111 1111 1111``, ``91,234,567``), as a cut prefix
  (``averylongname@exa…``), and as numbers (``str(value)``);
- by kind: for each flagged kind, candidates in free text (an e-mail's shape; runs of digit groups
  with separators for cards, phones, IBANs, IPs, HKID and national ids) verified by the
  detectors of :mod:`.detect`.

Nothing is done when no column is flagged: :func:`scrub_finding` returns its argument.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from . import detect

#: distinct values kept per context at most (the kind patterns still find the others)
MAX_VALUES = 200_000
#: a value shorter than this, or holding no digit and no "@", is no one's data of the kinds
#: detected (a flagged column's "n/a", "0" or "unknown"): never masked by value
MIN_VALUE_CHARS = 5
#: letters and digits a value needs to be looked up without its separators
MIN_COMPACT_CHARS = 7
MAX_COMPACT_CHARS = 34  # the longest IBAN
MAX_GROUPS = 8  # letter/digit groups joined into one candidate at most
SEPARATORS = frozenset(" -./():,")  # between the groups of one value (1 or 2 of them)
CUT = "…"  # what formatting.truncate leaves where it cut a text

_MAYBE = re.compile(r"[0-9@]")  # every kind holds a digit, except an e-mail (which holds "@")
_TOKEN = re.compile(r"""[^\s'"`,()\[\]{}<>=;|]+""")
_TRAILING = ".!?:"
_GROUP = re.compile(r"[A-Za-z0-9]+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_DIGITS = re.compile(r"^\d+$")
_ANY_DIGIT = re.compile(r"\d")
MIN_RUN_CHARS = 4  # letters and digits of the shortest value a detector finds (an IPv4 address)

#: the detectors tried on a run of letter/digit groups, by kind (e-mails have their own pattern)
_RUN_DETECTORS: dict[str, Callable[[str], bool]] = {
    kind: fn for kind, fn, _ in detect.DETECTORS if kind != "email"
} | {"phone": detect.is_phone}


class Reported(Protocol):
    """What a check reports (a Finding, a CheckResult)."""

    @property
    def summary(self) -> str: ...
    @property
    def evidence(self) -> dict: ...
    @property
    def repro(self) -> str | None: ...
    @property
    def remedy(self) -> str | None: ...


F = TypeVar("F", bound=Reported)


@dataclass(frozen=True)
class PersonalValues:
    """The values of the personal-data columns, indexed for lookup.

    Attributes:
        exact: value (stripped, casefolded) -> kind.
        compact: the value's letters and digits (upper case) -> kind, for values that may be
            written with other separators (not e-mails).
        ordered: the keys of ``exact``, sorted (a cut value is found by its prefix).
        capped: more distinct values than ``MAX_VALUES``: the first ones are kept.
        labels: masked value -> its number in this context (``#3``), filled as values are masked:
            two values masked alike stay apart (two slices ``j***@***.com #1`` and ``#2``); the
            number tells the order first seen, nothing of the value.
    """

    exact: dict[str, str]
    compact: dict[str, str]
    ordered: tuple[str, ...]
    capped: bool = False
    labels: dict[str, int] = field(default_factory=dict)


def _texts(s: pd.Series) -> list[str]:
    """A column's distinct values as the text a check would write (integers without ``.0``)."""
    values = pd.unique(s.dropna().to_numpy(dtype=object))
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)):
            continue
        if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
            v = int(v)
        out.append(str(v.item() if isinstance(v, np.generic) else v).strip())
    return out


def personal_values(
    personal: Mapping[str, str],
    frames: Iterable[pd.DataFrame | None],
    limit: int = MAX_VALUES,
) -> PersonalValues:
    """The distinct values of the ``personal`` columns ({column: kind}) found in ``frames``
    (features, side columns), at most ``limit`` of them."""
    exact: dict[str, str] = {}
    compact: dict[str, str] = {}
    capped = False
    for frame in frames:
        if frame is None or not isinstance(frame, pd.DataFrame):
            continue
        names = {str(c): c for c in frame.columns}
        for col, kind in personal.items():
            if col not in names or capped:
                continue
            for text in _texts(frame[names[col]]):
                if len(exact) >= limit:
                    capped = True
                    break
                if len(text) < MIN_VALUE_CHARS or not _MAYBE.search(text):
                    continue
                exact.setdefault(text.casefold(), kind)
                if kind != "email":
                    key = "".join(_GROUP.findall(text)).upper()
                    if MIN_COMPACT_CHARS <= len(key) <= MAX_COMPACT_CHARS:
                        compact.setdefault(key, kind)
    return PersonalValues(exact, compact, tuple(sorted(exact)), capped)


class _Masker:
    """One pass over a finding: masks strings, numbers and keys, and counts what it masked."""

    def __init__(self, kinds: Iterable[str], values: PersonalValues | None) -> None:
        self.kinds = frozenset(kinds)
        self.values = values or PersonalValues({}, {}, ())
        self.detectors = [(k, fn) for k, fn in _RUN_DETECTORS.items() if k in self.kinds]
        self.email = "email" in self.kinds
        self.masked = 0
        self.seen: dict[tuple[str, bool], tuple[str, int]] = {}  # text -> (masked, values in it)

    # -- lookups ---------------------------------------------------------------------------
    def _value_kind(self, text: str) -> str | None:
        """The kind of ``text`` when it is one of the values (whole, or without separators)."""
        kind = self.values.exact.get(text.strip().casefold())
        if kind is None and self.values.compact and len(text) <= 3 * MAX_COMPACT_CHARS:
            key = "".join(_GROUP.findall(text)).upper()
            if MIN_COMPACT_CHARS <= len(key) <= MAX_COMPACT_CHARS:
                kind = self.values.compact.get(key)
        return kind

    def _cut_kind(self, prefix: str) -> str | None:
        """A kind when ``prefix`` (what is left of a cut text) starts one of the values."""
        p = prefix.casefold()
        if len(p) < MIN_VALUE_CHARS:
            return None
        ordered = self.values.ordered
        i = bisect.bisect_left(ordered, p)
        return "cut" if i < len(ordered) and ordered[i].startswith(p) else None

    def _detected(self, text: str) -> str | None:
        """The flagged kind a detector finds ``text`` to be."""
        for kind, fn in self.detectors:
            if fn(text):
                return kind
        return None

    # -- spans of one text -----------------------------------------------------------------
    def _token_spans(self, text: str, spans: list) -> None:
        for m in _TOKEN.finditer(text):
            token, start = m.group(), m.start()
            if not _MAYBE.search(token):
                continue
            parts = [(token, start)]
            if ":" in token:  # "email:a@b.com" (an IPv6 address is also found by its groups)
                at = start
                for part in token.split(":"):
                    parts.append((part, at))
                    at += len(part) + 1
            for part, at in parts:
                if CUT in part:
                    head = part.split(CUT, 1)[0]
                    kind = self._cut_kind(head)
                    if kind:
                        spans.append((at, at + len(head), kind))
                    continue
                bare = part.rstrip(_TRAILING)
                kind = self.values.exact.get(bare.casefold()) if bare else None
                if kind:
                    spans.append((at, at + len(bare), kind))
                    if at == start:  # the whole token: its parts are inside it
                        break

    def _email_spans(self, text: str, spans: list) -> None:
        if "@" not in text:
            return
        # the shape is enough here (the detector's full validation costs 0.1 ms a value): a
        # text shaped like an e-mail address in a run with an e-mail column is masked
        for m in _EMAIL.finditer(text):
            spans.append((m.start(), m.end(), "email"))

    def _group_spans(self, text: str, spans: list) -> None:
        """Runs of letter/digit groups joined by 1-2 separators (``4111 1111 1111 1111``,
        ``+852 9123 4567``, ``A123456(3)``, ``10.0.0.1``): looked up without separators, and
        given to the flagged kinds' detectors."""
        groups = [(m.start(), m.end(), m.group().upper()) for m in _GROUP.finditer(text)]
        digits = [bool(_ANY_DIGIT.search(g[2])) for g in groups]
        if not any(digits):
            return
        joined = [False] + [
            len(gap := text[groups[j - 1][1] : groups[j][0]]) <= 2 and set(gap) <= SEPARATORS
            for j in range(1, len(groups))
        ]
        covered = [(a, b) for a, b, _ in spans]
        compact = self.values.compact
        for i in range(len(groups)):
            first = groups[i][0]
            if any(a <= first < b for a, b in covered):
                continue
            key = ""
            has_digit = False
            for j in range(i, min(len(groups), i + MAX_GROUPS)):
                if j > i and not joined[j]:
                    break
                key += groups[j][2]
                has_digit = has_digit or digits[j]
                if len(key) > MAX_COMPACT_CHARS:
                    break
                if not has_digit or len(key) < MIN_RUN_CHARS:
                    continue
                start, end = first, groups[j][1]
                if start and text[start - 1] in "+(":
                    start -= 1
                if end < len(text) and text[end] == ")":
                    end += 1
                kind = compact.get(key) if len(key) >= MIN_COMPACT_CHARS else None
                if kind is None and self.detectors:
                    kind = self._detected(text[start:end])
                    if kind is None and text[start] in "+(":
                        kind = self._detected(text[start + 1 : end])
                if kind:
                    spans.append((start, end, kind))

    # -- masking ---------------------------------------------------------------------------
    def text(self, text: str, code: bool = False) -> str:
        """``text`` with every personal value in it masked. ``code``: Python source (a repro):
        a masked number becomes zeros, so the snippet still parses."""
        if not _MAYBE.search(text):
            return text
        known = self.seen.get((text, code))
        if known is None:
            known = self.seen[(text, code)] = self._text(text, code)
        self.masked += known[1]
        return known[0]

    def _text(self, text: str, code: bool) -> tuple[str, int]:
        kind = self._value_kind(text)
        if kind is not None:
            return self._mask(text.strip(), kind, code), 1
        spans: list[tuple[int, int, str]] = []
        if self.values.exact:
            self._token_spans(text, spans)
        if self.email:
            self._email_spans(text, spans)
        if self.values.compact or self.detectors:
            self._group_spans(text, spans)
        if not spans:
            return text, 0
        spans.sort()
        out, at = [], 0
        merged: list[list] = []
        for start, end, kind in spans:
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end, kind])
        for start, end, kind in merged:
            out += [text[at:start], self._mask(text[start:end], kind, code)]
            at = end
        return "".join(out) + text[at:], len(merged)

    def _mask(self, text: str, kind: str, code: bool = False) -> str:
        """``text`` masked (:func:`detect.mask`) and numbered (``#2``): the same value has the
        same number wherever it is written (``4111 1111 1111 1111``, ``4111111111111111``)."""
        if code and _DIGITS.match(text):
            return "0" * len(text)  # zeros only: a valid Python integer literal
        masked = detect.mask(text, kind)
        if kind == "cut":  # a cut value: which one is not known
            return masked
        same = text.strip().casefold() if kind == "email" else "".join(_GROUP.findall(text))
        labels = self.values.labels
        number = labels.setdefault(same.upper(), len(labels) + 1)
        return f"{masked} #{number}"

    def number(self, value: int | float) -> Any:
        """A number that is a personal value (a card number in an integer column) as its masked
        text; any other number unchanged."""
        if isinstance(value, float):
            if not np.isfinite(value) or not value.is_integer():
                return value
            as_int = int(value)
        else:
            as_int = int(value)
        if abs(as_int) < 100_000:
            return value
        text = str(as_int)
        kind = self._value_kind(text) or self._detected(text)
        if kind is None:
            return value
        self.masked += 1
        return self._mask(text, kind)

    def any(self, obj: Any) -> Any:
        """``obj`` with every string (dict keys too, recursively) and number masked."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, (bool, np.bool_)) or obj is None:
            return obj
        if isinstance(obj, (int, float, np.integer, np.floating)):
            return self.number(obj.item() if isinstance(obj, np.generic) else obj)
        if isinstance(obj, dict):
            out: dict = {}
            for key, value in obj.items():
                new = self.any(key) if isinstance(key, (str, int, float)) else key
                if new != key:
                    new, n = str(new), 2
                    base = new
                    while new in out or new in obj:  # a masked key equal to another: both kept
                        new = f"{base} ({n})"
                        n += 1
                out[new] = self.any(value)
            return out
        if isinstance(obj, list):
            return [self.any(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self.any(v) for v in obj)
        if isinstance(obj, (set, frozenset)):
            return [self.any(v) for v in obj]
        shown = str(obj)  # an object a later step writes as its text (to_jsonable)
        masked = self.text(shown)
        return masked if masked != shown else obj


def scrub_finding(finding: F, personal: Mapping[str, str], values: PersonalValues | None) -> F:
    """A copy of ``finding`` (a Finding or a CheckResult: status, summary, evidence, repro,
    remedy) with every personal value masked in its summary, evidence (keys, values, nested),
    repro and remedy; ``finding`` itself when ``personal`` is empty or nothing was masked.

    Args:
        personal: {column: kind} of the personal-data columns.
        values: their values (:func:`personal_values`); None: found by kind only.
    """
    if not personal:
        return finding
    m = _Masker(kinds_of(personal).values(), values)
    summary = m.text(finding.summary)
    evidence = m.any(finding.evidence)
    repro = finding.repro
    repro = m.text(repro, code=True) if isinstance(repro, str) else repro
    remedy = finding.remedy
    remedy = m.text(remedy) if isinstance(remedy, str) else remedy
    if not m.masked:
        return finding
    if isinstance(evidence, dict):
        evidence = evidence | {"personal_data_masked": m.masked}
    return dataclasses.replace(  # type: ignore[type-var]
        finding, summary=summary, evidence=evidence, repro=repro, remedy=remedy
    )


def kinds_of(personal: Mapping) -> dict[str, str]:
    """{column: kind} from ``cache["personal_data"]`` ({column: kind}) or a bundle's
    ``meta["personal_data"]`` ({column: {"kind", "label", "feature"}})."""
    out = {}
    for col, kind in personal.items():
        if isinstance(kind, Mapping):
            kind = kind.get("kind")
        out[str(col)] = str(kind)
    return out


def context_values(cache: dict, personal: Mapping[str, str], frames: Callable) -> PersonalValues:
    """:func:`personal_values` computed once per context: kept in ``cache["personal_values"]``
    with the columns it was built for (rebuilt when they change). ``frames()`` returns the frames
    to read."""
    held = cache.get("personal_values")
    if isinstance(held, tuple) and len(held) == 2 and held[0] == dict(personal):
        return held[1]
    values = personal_values(kinds_of(personal), frames())
    cache["personal_values"] = (dict(personal), values)
    return values
