"""The probe building blocks: pool, mutators, exception classification, output rules, repro code."""

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.contract import infer_contract
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.probes.kinds import Property
from jupyter_mlready.probes.mutators import EXTRA_COLUMN, UNSEEN, Mutation, mutations_for
from jupyter_mlready.probes.outcome import classify_exception, max_difference, output_problems
from jupyter_mlready.probes.pool import example_pool, synthetic_rows
from jupyter_mlready.probes.repro import frame_literal
from jupyter_mlready.records import Dataset, Subject


def mixed_frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, n).round(2),
            "count": rng.integers(1, 9, n),
            "kind": rng.choice(["a", "b", "c"], n),
            "tier": pd.Categorical(rng.choice(["gold", "silver"], n)),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "flag": rng.random(n) < 0.5,
        }
    )


@pytest.fixture(scope="module")
def contract():
    X = mixed_frame()
    subject = Subject(
        ModelAdapter.wrap(object()),
        "m",
        "classification",
        Dataset(X, pd.Series(np.zeros(len(X))), "X"),
        Dataset(X, None, "X"),
        None,
    )
    return infer_contract(subject, Policy())


def test_synthetic_rows_satisfy_the_contract(contract):
    rows = synthetic_rows(contract, 40, seed=3)
    assert list(rows.columns) == [c.name for c in contract.columns]
    assert contract.schema.validate(rows) is not None  # raises on any violation
    assert isinstance(rows["tier"].dtype, pd.CategoricalDtype)


def test_pool_samples_real_rows_first_and_is_deterministic(contract):
    X = mixed_frame(500)
    a, b = example_pool(contract, X, seed=1), example_pool(contract, X, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 200 + 50
    assert a.iloc[:200].merge(X, how="inner").shape[0] >= 190  # real rows (duplicates aside)
    assert dict(a.dtypes) == dict(X.dtypes)


def test_every_check_has_its_mutations(contract):
    kinds = {
        c: {m.kind for m in mutations_for(c, contract)}
        for c in (
            Property.MISSING,
            Property.UNSEEN,
            Property.EXTREME,
            Property.EMPTY,
            Property.FORMAT,
        )
    }
    assert len(mutations_for(Property.MISSING, contract)) == 6  # every column
    assert kinds[Property.UNSEEN] == {"unseen", "recased"}
    assert {
        "far_above",
        "far_below",
        "zero",
        "negative",
        "inf",
        "-inf",
        "far_future",
        "far_past",
    } <= kinds[Property.EXTREME]
    assert kinds[Property.EMPTY] == {"zero_rows", "one_row"}
    assert {
        "numbers_as_text",
        "category_as_text",
        "reordered",
        "extra_column",
        "missing_column",
    } == kinds[Property.FORMAT]


def test_mutations_change_only_what_they_say(contract):
    base = mixed_frame(4)
    nan_int = Mutation("missing", "count").apply(base, (1,))
    assert nan_int["count"].isna().tolist() == [False, True, False, False]
    assert nan_int["count"].dtype == "float64"
    assert Mutation("missing", "flag").apply(base, (0,))["flag"].iloc[0] is None
    assert Mutation("missing", "when").apply(base, (2,))["when"].isna().sum() == 1
    unseen = Mutation("unseen", "tier", value=UNSEEN).apply(base, (0, 3))
    assert unseen["tier"].tolist()[0] == UNSEEN and UNSEEN in unseen["tier"].cat.categories
    assert Mutation("far_above", "count", value=1000).apply(base, (0,))["count"].dtype == "int64"
    as_text = Mutation("numbers_as_text", "amount").apply(base, ())
    assert as_text["amount"].map(type).eq(str).all()
    assert list(Mutation("reordered").apply(base, ()).columns) == list(reversed(base.columns))
    assert EXTRA_COLUMN in Mutation("extra_column").apply(base, ()).columns
    assert "kind" not in Mutation("missing_column", "kind").apply(base, ()).columns
    assert len(Mutation("zero_rows").apply(base, (0,))) == 0
    pd.testing.assert_frame_equal(base, mixed_frame(4))  # the base is never modified


def test_frame_literal_round_trips():
    frame = mixed_frame(3)
    frame.loc[1, "amount"] = np.inf
    frame = Mutation("missing", "when").apply(frame, (0,))
    frame = Mutation("missing", "flag").apply(frame, (2,))
    frame = Mutation("missing", "amount").apply(frame, (2,))
    rebuilt = eval(frame_literal(frame), {"pd": pd, "np": np})
    pd.testing.assert_frame_equal(rebuilt, frame)


def _raise(exc_type, message):
    try:
        raise exc_type(message)
    except exc_type as exc:
        return exc


def _sklearn_error(X):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]}), [0, 0, 1, 1])
    try:
        model.predict(X)
    except Exception as exc:
        return exc
    raise AssertionError("expected an error")


class ContractViolation(ValueError):
    pass


def test_classification_of_exceptions():
    nan_error = _sklearn_error(pd.DataFrame({"a": [np.nan]}))
    assert "NaN" in str(nan_error)
    # sklearn's NaN error is a known crash, whatever the input (tests/unit/test_error_corpus.py);
    # malformed input may be rejected by input validation that names what is wrong with it
    assert classify_exception(nan_error, "a", "handle").verdict == "crash"
    assert classify_exception(nan_error, "a", "may_reject").verdict == "crash"
    inf_error = _sklearn_error(pd.DataFrame({"a": [np.inf]}))
    assert classify_exception(inf_error, "a", "may_reject").verdict == "rejected"
    # a contract error class alone is not a clear rejection: naming the input is
    assert classify_exception(_raise(ContractViolation, "bad"), None, "handle").verdict == "crash"
    contract = _raise(ContractViolation, "column 'age' is out of range")
    assert classify_exception(contract, "age", "handle").verdict == "rejected"
    named = classify_exception(_raise(KeyError, "column 'age' is missing"), "age", "handle")
    assert named.verdict == "rejected" and "names column" in named.rule
    # raised here, in a test file (the model's own code), but naming no column: not clear
    assert classify_exception(_raise(ValueError, "no NaN please"), "x", "handle").verdict == "crash"
    attr = classify_exception(
        _raise(AttributeError, "'float' object has no attribute 'lower'"), "x", "may_reject"
    )
    assert attr.verdict == "crash" and attr.raised_in.endswith(":_raise")


def test_output_problems():
    assert output_problems([0, 1], [[0.4, 0.6], [1.0, 0.0]], 2, "classification", (0, 1)) == []
    assert "shape" in output_problems([0], None, 2, "classification", (0, 1))[0]
    assert "never seen" in output_problems([0, 7], None, 2, "classification", (0, 1))[0]
    assert "non-finite" in output_problems([1.0, np.inf], None, 2, "regression", None)[0]
    assert "sum to 1" in output_problems([0], [[0.5, 0.6]], 1, "classification", (0, 1))[0]
    assert "outside [0, 1]" in output_problems([0], [[-0.5, 1.5]], 1, "classification", (0, 1))[0]
    assert output_problems([], np.empty((0, 2)), 0, "classification", (0, 1)) == []
    assert max_difference([1.0, np.nan], [1.0, np.nan]) == 0.0
    assert max_difference(["a", "b"], ["a", "c"]) == 1.0
