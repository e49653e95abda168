"""Robustness and output properties, driven by hypothesis strategies from the contract."""

from __future__ import annotations

from . import CheckContext, Finding, check, skip

_PENDING = "not implemented yet: edge-case property tests arrive with issue 3."


@check("robustness.missing_values")
def missing_values(ctx: CheckContext) -> Finding:
    """NaN / None in each column: valid output or a clear rejection, never a crash inside the model?"""
    return skip(_PENDING)


@check("robustness.unseen_categories")
def unseen_categories(ctx: CheckContext) -> Finding:
    """Category values never seen in training: handled or clearly rejected?"""
    return skip(_PENDING)


@check("robustness.extreme_values")
def extreme_values(ctx: CheckContext) -> Finding:
    """Values far outside the training range, +/-inf, zero, negatives where training was positive?"""
    return skip(_PENDING)


@check("robustness.empty_input")
def empty_input(ctx: CheckContext) -> Finding:
    """Zero rows and one row: valid output or a clear error?"""
    return skip(_PENDING)


@check("robustness.input_format")
def input_format(ctx: CheckContext) -> Finding:
    """Numbers as strings, reordered, extra or missing columns?"""
    return skip(_PENDING)


@check("output.contract")
def output_contract(ctx: CheckContext) -> Finding:
    """One prediction per row, finite, known labels, probabilities in [0,1] summing to 1?"""
    return skip(_PENDING)


@check("determinism")
def determinism(ctx: CheckContext) -> Finding:
    """Does the same input twice give the same output?"""
    return skip(_PENDING)


@check("batch_invariance")
def batch_invariance(ctx: CheckContext) -> Finding:
    """Is a row predicted alone equal to the same row predicted in a batch?"""
    return skip(_PENDING)
