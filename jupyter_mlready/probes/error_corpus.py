"""What the libraries a model is built from say when they crash, and what their messages list.

``probes.outcome`` calls an error a *clear rejection* only when it names the offending input and
is not a known crash. Naming alone cannot decide: scikit-learn's NaN crash reads "Input X contains
NaN ... preprocess the data ... drop samples with missing values ... a list of all estimators
that handle NaN values at the following page", so a model whose columns are called ``data`` or
``page`` would turn that crash into a warning. This module holds the library side of the rule:

- ``KNOWN_CRASHES``: per library, a regex over the *stable* part of a message that means the
  input reached code that could not cope with it (an estimator's finiteness check, an encoder
  that meets an unseen category, a numpy conversion or broadcast, a pandas cast). Such an error is
  a crash whatever else its message says. Every pattern is matched by at least one message
  produced live from the installed library in ``tests/unit/test_error_corpus.py``.
- ``unwrap``: the part of a wrapped message that says what went wrong (MLflow puts the data and
  the whole signature around the real error).
- ``without_listings``: a message minus the parts that enumerate every column or the whole input
  (MLflow's schema, pandera's "Columns in dataframe", pydantic's ``input_value``), which name
  every column and so say nothing about which one is at fault.

Adding a library is data: a tuple in ``_CRASHES`` (and a listing or envelope if its messages
carry one), plus live cases in the test corpus.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownCrash:
    """A message pattern that means a crash inside ``library``; ``why`` is shown in the report."""

    library: str
    name: str
    pattern: re.Pattern[str]
    why: str

    @property
    def id(self) -> str:
        return f"{self.library}.{self.name}"


# library -> (name, regex over the stable part of the message, why it is a crash)
_CRASHES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sklearn": (
        (
            "nan",
            r"\bInput (?:X |y )?contains NaN\b|does not accept missing values encoded as NaN",
            "the estimator's finiteness check met a missing value it cannot handle",
        ),
        (
            "unknown_category",
            r"\bFound unknown categories\b.*\bduring (?:transform|fit)\b",
            "an encoder met a category never seen in training",
        ),
        (
            "unseen_label",
            r"\bcontains previously unseen labels\b",
            "a LabelEncoder met a value never seen in training",
        ),
        (
            "not_2d",
            r"\bExpected 2D array, got (?:1D|scalar) array instead\b",
            "the model's own code reduced the frame to fewer than two dimensions",
        ),
        (
            "impute_text",
            r"\bCannot use (?:mean|median) strategy with non-numeric data\b",
            "an imputer met text where it learned numbers",
        ),
        (
            "inconsistent_samples",
            r"\bFound input variables with inconsistent numbers of samples\b",
            "the model's own code paired arrays with different numbers of rows",
        ),
        (
            "not_fitted",
            r"\binstance is not fitted yet\b",
            "a step of the model was never fitted",
        ),
    ),
    "numpy": (
        (
            "text_to_float",
            r"\bcould not convert string to float\b",
            "a conversion to numbers met text",
        ),
        (
            "zero_size_reduction",
            r"\bzero-size array to reduction operation\b",
            "a reduction (max, min, ...) ran on no values",
        ),
        (
            "broadcast",
            r"\boperands could not be broadcast together\b",
            "arrays of different lengths were combined",
        ),
        (
            "reshape",
            r"\bcannot reshape array of size \d+ into shape\b",
            "a reshape assumed a size the input did not have",
        ),
        (
            "concatenate",
            r"\binput array dimensions except for the concatenation axis must match\b",
            "arrays with different numbers of rows or columns were stacked",
        ),
        (
            "ragged",
            r"\bsetting an array element with a sequence\b",
            "values of unequal length were packed into one array",
        ),
        (
            "ufunc_types",
            r"\bufunc '\w+' not supported for the input types\b"
            r"|\bloop of ufunc does not support argument\b",
            "a numeric function met values of the wrong type",
        ),
        (
            "ufunc_cast",
            r"\bCannot cast (?:ufunc '\w+' output|array data) from dtype\b",
            "a numeric result did not fit the array it was written to",
        ),
        (
            "linalg",
            r"\bSingular matrix\b|\bnot positive definite\b",
            "a linear-algebra step met a degenerate matrix",
        ),
        (
            "ambiguous_array",
            r"\bThe truth value of an array with more than one element is ambiguous\b",
            "code written for one value received an array",
        ),
    ),
    "pandas": (
        (
            "nan_to_int",
            r"\bCannot convert non-finite values \(NA or inf\) to integer\b",
            "a missing value was cast to an integer",
        ),
        (
            "unsafe_int_cast",
            r"\bcannot safely cast non-equivalent \w+ to int",
            "a fractional or missing value was cast to an integer type",
        ),
        (
            "new_category",
            r"\bCannot setitem on a Categorical with a new category\b",
            "a categorical column met a category it does not declare",
        ),
        (
            "unordered_categorical",
            r"\bUnordered Categoricals can only compare equality\b",
            "an order comparison ran on an unordered categorical",
        ),
        (
            "parse_number",
            r"\bUnable to parse string\b",
            "a text-to-number conversion met text that is not a number",
        ),
        (
            "parse_date",
            r"\bUnknown datetime string format\b|\btime data .* doesn't match format\b",
            "a text-to-date conversion met text that is not a date",
        ),
        (
            "date_out_of_bounds",
            r"\bOut of bounds \w+ timestamp\b|\bCannot cast .+ to unit='\w+' without overflow\b",
            "a date outside the range of the timestamp type",
        ),
        (
            "length_mismatch",
            r"\bLength of values \(\d+\) does not match length of index\b",
            "a column was built with a different number of rows than the frame",
        ),
        (
            "duplicate_labels",
            r"\bcannot reindex on an axis with duplicate labels\b",
            "a reindex met duplicate row or column labels",
        ),
        (
            "ambiguous_series",
            r"\bThe truth value of a (?:Series|DataFrame|Index) is ambiguous\b",
            "code written for one value received a column",
        ),
    ),
    "python": (
        (
            "nan_to_int",
            r"\bcannot convert float NaN to integer\b",
            "a missing value was converted to an integer",
        ),
        (
            "text_to_int",
            r"\binvalid literal for int\(\) with base \d+",
            "a conversion to an integer met text that is not one",
        ),
        (
            "not_a_number",
            r"\bmust be (?:a )?real number, not\b|\bor a real number, not\b",
            "a numeric function received something that is not a number",
        ),
        (
            "math_domain",
            r"\bmath domain error\b",
            "a math function received a value outside its domain (log of a negative number, ...)",
        ),
        (
            "operand_types",
            r"\bunsupported operand type\(s\) for\b|\bnot supported between instances of\b"
            r"|\bcan only concatenate str\b",
            "an operation met values of incompatible types",
        ),
        (
            "wrong_object",
            r"\bobject (?:of type '\w+' has no len\(\)|is not (?:subscriptable|iterable))",
            "code received an object of a type it does not expect",
        ),
    ),
}

KNOWN_CRASHES: tuple[KnownCrash, ...] = tuple(
    KnownCrash(library, name, re.compile(regex, re.DOTALL), why)
    for library, entries in _CRASHES.items()
    for name, regex, why in entries
)

# A wrapper whose message repeats the data and the signature around the real error: keep group 1.
_ENVELOPES: tuple[re.Pattern[str], ...] = (
    # mlflow.pyfunc: "Failed to enforce schema of data '<frame>' with schema '<schema>'. Error: ..."
    re.compile(
        r"\AFailed to enforce schema of data .* with schema .*?'\. Error: (.*)\Z", re.DOTALL
    ),
    # statsmodels' formula API: "predict requires that you use a DataFrame ... The original
    # error message returned by patsy is: ..."
    re.compile(
        r"\Apredict requires that you use a DataFrame.*?returned by patsy is:\s*(.*)\Z", re.DOTALL
    ),
)

# Parts of a message that list every column or the whole input, so name columns indiscriminately.
_LISTINGS: tuple[re.Pattern[str], ...] = (
    re.compile(r"Columns in dataframe: \[[^\]]*\]"),  # pandera: the columns that are present
    re.compile(r"Note that there were extra inputs: \[[^\]]*\]"),  # mlflow: the other columns
    re.compile(r"\[type=\w+, input_value=.*?, input_type=\w+\]"),  # pydantic: the input record
)


def unwrap(message: str) -> str:
    """The real error inside a library's wrapper; ``message`` itself when it is not wrapped."""
    for envelope in _ENVELOPES:
        found = envelope.match(message)
        if found:
            return found.group(1)
    return message


def without_listings(message: str) -> str:
    """``message`` unwrapped, minus the enumerations of every column or of the whole input."""
    text = unwrap(message)
    for listing in _LISTINGS:
        text = listing.sub(" ", text)
    return text


@functools.lru_cache(maxsize=1024)
def known_crash(message: str) -> KnownCrash | None:
    """The first known crash pattern the (unwrapped) message matches, or None. Cached: a
    stacked frame's one error is classified once per column it names."""
    text = unwrap(message)
    for crash in KNOWN_CRASHES:
        if crash.pattern.search(text):
            return crash
    return None
