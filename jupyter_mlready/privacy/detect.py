"""Which columns hold personal data, decided by the share of a column's values that match.

One detector per kind, each a small function ``text -> bool``: e-mail addresses
(``email-validator``, no DNS), phone numbers (``phonenumbers``), payment card numbers (Luhn from
``python-stdnum`` *and* an issuer prefix with its lengths), IBANs (``stdnum.iban``), IP addresses
(``ipaddress``), the Hong Kong identity card number (HKID, written here: no library has it) and
national identity numbers with a check digit or a strict format (``stdnum``: Chinese resident id,
Aadhaar, Korean RRN, CPF, US SSN written AAA-GG-SSSS, DNI, codice fiscale, BSN).

A column is flagged when the share of its sampled values matching one kind reaches
``min_share`` (``policy.privacy_min_share``): an 8-digit amount column or random 16-digit ids
match now and then (a Luhn digit holds for one number in ten) and stay well below it. Text and
integer columns are scanned (an integer column may hold card or phone numbers; a float column
only when every value is a whole number, as pandas stores integers with missing values); dates
and booleans are not.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..side_columns import words

#: what each kind is, in words (summaries, the report, the bundle's "stored" text)
KIND_LABELS = {
    "email": "e-mail addresses",
    "phone": "phone numbers",
    "card": "payment card numbers",
    "iban": "IBANs",
    "ip": "IP addresses",
    "hkid": "Hong Kong identity card numbers (HKID)",
    "cn_ric": "Chinese resident identity numbers",
    "in_aadhaar": "Aadhaar numbers",
    "kr_rrn": "Korean resident registration numbers",
    "br_cpf": "Brazilian CPF numbers",
    "us_ssn": "US social security numbers",
    "es_dni": "Spanish DNI numbers",
    "it_codicefiscale": "Italian codici fiscali",
    "nl_bsn": "Dutch BSN numbers",
}

SAMPLE = 2_000  # values checked per column at most
STAGES = (200, 500, 1_000)  # after each, stop when the verdict is already clear (3 standard errors)
PHONE_REGIONS = ("HK", "US", "GB")  # region guesses for a number written without its country code
PHONE_NAME_WORDS = frozenset({"phone", "mobile", "tel", "telephone", "cell", "fax", "whatsapp"})


def label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


# -- detectors: text -> bool -------------------------------------------------------------------

_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_email(text: str) -> bool:
    """An e-mail address (syntax only: deliverability needs DNS, which is not here)."""
    if not _EMAIL_SHAPE.match(text):
        return False
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def is_ip(text: str) -> bool:
    """An IPv4 or IPv6 address (an IP is personal data under GDPR)."""
    if not (("." in text and text.count(".") == 3) or ":" in text) or len(text) > 45:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


_IBAN_SHAPE = re.compile(r"^[A-Za-z]{2}\d{2}[A-Za-z0-9 ]{10,36}$")


def is_iban(text: str) -> bool:
    if not _IBAN_SHAPE.match(text):
        return False
    from stdnum import iban

    return bool(iban.is_valid(text))


#: issuer prefixes (ranges of the number's first digits) and the lengths each issues
_CARD_ISSUERS: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (4, 4, (13, 16, 19)),  # Visa
    (51, 55, (16,)),  # Mastercard
    (2221, 2720, (16,)),  # Mastercard 2-series
    (34, 34, (15,)),  # American Express
    (37, 37, (15,)),
    (6011, 6011, (16, 17, 18, 19)),  # Discover
    (644, 649, (16, 17, 18, 19)),
    (65, 65, (16, 17, 18, 19)),
    (3528, 3589, (16, 17, 18, 19)),  # JCB
    (62, 62, (16, 17, 18, 19)),  # UnionPay
    (36, 36, (14, 15, 16, 17, 18, 19)),  # Diners Club
    (38, 38, (16, 17, 18, 19)),
    (300, 305, (14, 15, 16, 17, 18, 19)),
)
_CARD_SHAPE = re.compile(r"^\d{4}([ -]?\d{2,7}){2,4}$|^\d{13,19}$")


def _issuer_fits(digits: str) -> bool:
    for low, high, lengths in _CARD_ISSUERS:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


def is_card(text: str) -> bool:
    """A payment card number: 13 to 19 digits (spaces or dashes between groups allowed), a known
    issuer prefix with one of its lengths, and a valid Luhn check digit."""
    if not _CARD_SHAPE.match(text):
        return False
    digits = re.sub(r"[ -]", "", text)
    if not 13 <= len(digits) <= 19 or not _issuer_fits(digits):
        return False
    from stdnum import luhn

    return bool(luhn.is_valid(digits))


_HKID_SHAPE = re.compile(r"^([A-Z]{1,2})(\d{6})\s?(?:\(([0-9A])\)|([0-9A]))$")


def hkid_check_digit(letters: str, digits: str) -> str:
    """The HKID check digit: the 8 characters (a one-letter id counts a leading space as 36,
    letters A..Z as 10..35) weighted 9 down to 2; the check is 11 minus the sum modulo 11, with
    10 written A and 11 written 0."""
    chars = letters.rjust(2)
    values = [36 if c == " " else ord(c) - ord("A") + 10 for c in chars] + [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    check = 11 - total % 11
    return "A" if check == 10 else "0" if check == 11 else str(check)


def is_hkid(text: str) -> bool:
    """A Hong Kong identity card number, e.g. ``A123456(3)``: 1-2 letters, 6 digits and a check
    digit (0-9 or A, in optional parentheses) that matches."""
    m = _HKID_SHAPE.match(text.upper())
    if not m:
        return False
    letters, digits, check = m.group(1), m.group(2), m.group(3) or m.group(4)
    return hkid_check_digit(letters, digits) == check


def _stdnum(module: str, shape: str) -> Callable[[str], bool]:
    pattern = re.compile(shape)

    def detect(text: str) -> bool:
        if not pattern.match(text):
            return False
        import importlib

        return bool(importlib.import_module(f"stdnum.{module}").is_valid(text))

    detect.__name__ = f"is_{module.replace('.', '_')}"
    detect.__doc__ = f"A number ``stdnum.{module}`` validates (shape {shape})."
    return detect


#: national ids from python-stdnum: (kind, detector, applies to integer columns)
_NATIONAL: tuple[tuple[str, Callable[[str], bool], bool], ...] = (
    ("cn_ric", _stdnum("cn.ric", r"^\d{17}[\dXx]$"), True),
    ("in_aadhaar", _stdnum("in_.aadhaar", r"^[2-9]\d{3} ?\d{4} ?\d{4}$"), True),
    ("kr_rrn", _stdnum("kr.rrn", r"^\d{6}-?\d{7}$"), True),
    ("br_cpf", _stdnum("br.cpf", r"^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$"), True),
    ("us_ssn", _stdnum("us.ssn", r"^\d{3}-\d{2}-\d{4}$"), False),  # no check digit: dashed only
    ("es_dni", _stdnum("es.dni", r"^\d{8}-?[A-Za-z]$"), False),
    ("it_codicefiscale", _stdnum("it.codicefiscale", r"^[A-Za-z]{6}[0-9LMNPQRSTUV]{2}"), False),
    ("nl_bsn", _stdnum("nl.bsn", r"^\d{9}$"), True),
)

_PHONE_FORMATTED = re.compile(r"^\+?\(?\d[\d\s().\-/]{5,22}\d$")
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
_DECIMAL = re.compile(r"^\d+[.,]\d+$")


def phone_country(text: str, hinted: bool = False) -> tuple[int | None, bool]:
    """(country code, written as a phone) of a valid phone number, (None, False) otherwise.

    Written as a phone: with a leading ``+`` or separators between digit groups, or in a column
    whose name says phone. A bare number (``85291234567``) is tried as an international number
    only: a bare 8-digit amount is a valid Hong Kong number more often than not, so bare numbers
    count only when most of a column's share a country (see :func:`personal_data_columns`).
    """
    if not _PHONE_FORMATTED.match(text) or _DATE_LIKE.match(text) or _DECIMAL.match(text):
        return None, False
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        return None, False
    import phonenumbers

    bare = text.isdigit()
    if text.startswith("+") or (bare and not hinted):
        if bare and len(digits) < 11:
            return None, False
        candidates: tuple[str | None, ...] = (None,)
        text = text if text.startswith("+") else "+" + text
    else:
        if len(digits) < 8:
            return None, False
        candidates = PHONE_REGIONS
    for region in candidates:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number.country_code, not bare or hinted
    return None, False


def is_phone(text: str) -> bool:
    """A valid phone number (see :func:`phone_country`)."""
    return phone_country(text)[0] is not None


#: (kind, detector, applies to integer columns), tried in order; phones come last
DETECTORS: tuple[tuple[str, Callable[[str], bool], bool], ...] = (
    ("email", is_email, False),
    ("ip", is_ip, False),
    ("iban", is_iban, False),
    ("hkid", is_hkid, False),
    ("card", is_card, True),
    *_NATIONAL,
)


def classify(text: str, integer: bool = False, phone_hint: bool = False) -> str | None:
    """The kind of personal data ``text`` is (None: none). A bare number's phone kind is
    ``"phone@<country code>"``: it counts only where a country dominates the column."""
    for kind, detect, on_integers in DETECTORS:
        if (on_integers or not integer) and detect(text):
            return kind
    country, written = phone_country(text, phone_hint)
    if country is None:
        return None
    return "phone" if written else f"phone@{country}"


# -- columns -----------------------------------------------------------------------------------


def _texts(s: pd.Series) -> tuple[pd.Series, bool] | None:
    """The column's non-null values as text, and whether they are integers; None: a column that
    cannot hold personal data of these kinds (fractions, dates, booleans)."""
    s = s.dropna()
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return None
    if pd.api.types.is_timedelta64_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        return s, True
    if pd.api.types.is_float_dtype(dtype):
        values = s.to_numpy(dtype="float64")
        values = values[np.isfinite(values)]
        if not len(values) or not np.all(values == np.floor(values)) or np.abs(values).max() > 1e19:
            return None
        return pd.Series(values.astype(np.int64)), True
    if isinstance(dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(
        dtype.categories.dtype
    ):
        return _texts(s.astype(dtype.categories.dtype))
    return s, False


def _as_text(values: pd.Series, integer: bool) -> list[str]:
    if integer:
        return [str(v) for v in values.tolist() if int(v) >= 0]
    return [str(v).strip() for v in values.tolist()]


def _settled(best: int, n: int, min_share: float) -> bool:
    """Whether ``best`` matches of ``n`` decide the column, 3 standard errors from the bar."""
    share = best / n
    se = math.sqrt(max(share * (1 - share), 1.0 / n) / n)
    return share + 3 * se < min_share or share - 3 * se > min_share


def _best(counts: Counter) -> tuple[str | None, int]:
    """The kind most values match: bare phone numbers count for their most common country."""
    merged: Counter = Counter()
    bare: Counter = Counter()
    for key, n in counts.items():
        if key.startswith("phone@"):
            bare[key] = n
        else:
            merged[key] += n
    if bare:
        merged["phone"] += bare.most_common(1)[0][1]
    if not merged:
        return None, 0
    kind, n = merged.most_common(1)[0]
    return kind, n


def mask(text: str, kind: str) -> str:
    """A masked example that shows the shape of a value, never the value: ``j***@***.com``,
    ``4*** **** **** ****``."""
    if kind == "email" and "@" in text:
        local, domain = text.rsplit("@", 1)
        tld = domain.rsplit(".", 1)[-1]
        return f"{local[:1]}***@***.{tld}"
    return text[:1] + re.sub(r"[A-Za-z0-9]", "*", text[1:])


def scan_column(
    s: pd.Series,
    name: str,
    min_share: float,
    rng: np.random.Generator,
    sample: int = SAMPLE,
) -> dict | None:
    """What one column holds: {"kind", "share", "checked", "flagged", "example"} of the kind most
    of its values match (None: a column of a type that cannot hold it, or no value matched)."""
    found = _texts(s)
    if found is None:
        return None
    values, integer = found
    if not len(values):
        return None
    hint = bool(set(words(name)) & PHONE_NAME_WORDS)
    if integer:
        # no kind here has fewer than 9 digits (a phone column by name: 7): a column of smaller
        # numbers is settled at once
        top = np.abs(values.to_numpy().astype("float64")).max()
        if top < (1e6 if hint else 1e8):
            return None
    # a random order (and at most ``sample`` values): stopping early then reads a fair sample
    values = values.iloc[rng.permutation(len(values))[:sample]]
    texts = _as_text(values, integer)
    counts: Counter = Counter()
    first: dict[str, str] = {}
    n = 0
    for text in texts:
        kind = classify(text, integer, hint)
        n += 1
        if kind is not None:
            counts[kind] += 1
            first.setdefault(kind.split("@")[0], text)
        if n in STAGES and _settled(_best(counts)[1], n, min_share):
            break
    kind, best = _best(counts)
    if kind is None or n == 0:
        return None
    share = best / n
    return {
        "kind": kind,
        "share": round(share, 4),
        "checked": n,
        "flagged": share >= min_share,
        "example": mask(first[kind], kind),
    }


def personal_data_columns(
    frame: pd.DataFrame | None, min_share: float = 0.30, seed: int = 0, sample: int = SAMPLE
) -> dict[str, dict]:
    """The columns of ``frame`` that hold personal data: {column: {"kind", "share", "checked",
    "example"}} for each column where at least ``min_share`` of up to ``sample`` non-null values
    (drawn with ``seed``) match one kind. ``example`` is masked; no value is returned."""
    if frame is None or not isinstance(frame, pd.DataFrame):
        return {}
    rng = np.random.default_rng(seed)
    out = {}
    for col in frame.columns:
        found = scan_column(frame[col], str(col), min_share, rng, sample)
        if found is not None and found.pop("flagged"):
            out[str(col)] = found
    return out


def scan_frames(
    frames: dict[str, pd.DataFrame | None], min_share: float, seed: int = 0
) -> dict[str, dict]:
    """:func:`personal_data_columns` over several frames (``{"train": X, "holdout side": ...}``):
    per column, the highest share found, with the frames it was found in (``"in"``)."""
    merged: dict[str, dict] = {}
    for role, frame in frames.items():
        for col, info in personal_data_columns(frame, min_share, seed).items():
            seen = merged.get(col)
            if seen is None or info["share"] > seen["share"]:
                merged[col] = {**info, "in": (seen or {}).get("in", []) + [role]}
            else:
                seen["in"].append(role)
    return merged
