"""The properties the probes can test, by name. A check registers the one it runs
(``checks.Probe(property=...)``); the probes and the generated test file know only these names."""

from __future__ import annotations

from enum import StrEnum


class Property(StrEnum):
    MISSING = "missing"  # NaN / None in a column
    UNSEEN = "unseen"  # category values never seen in training
    EXTREME = "extreme"  # values far outside the training range, +/-inf, zero, negatives
    EMPTY = "empty"  # zero rows, one row
    FORMAT = "format"  # numbers as text, reordered / extra / missing columns
    VALID_OUTPUT = "valid_output"  # valid rows give valid output
    REPEAT = "repeat"  # the same rows twice give the same output
    ALONE = "alone"  # a row alone gives what it gives in a batch
    EXPECTATION = "expectation"  # a declared monotonic / invariant feature


#: Properties that apply edge-case mutations to valid rows.
MUTATION_PROPERTIES = (
    Property.MISSING,
    Property.UNSEEN,
    Property.EXTREME,
    Property.EMPTY,
    Property.FORMAT,
)
