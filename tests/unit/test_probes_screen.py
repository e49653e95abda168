"""The stacked screen of property examples (probes.screen): a healthy model is decided in a few
model calls with the same result as one call per example, and a broken one is never passed."""

import dataclasses

import numpy as np
import pytest
from test_probes_checks import PROPERTY_IDS, SPECS, classifier_subject, context

from jupyter_mlready.checks import run_check
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.probes import properties
from jupyter_mlready.probes.kinds import Property
from jupyter_mlready.probes.pool import example_pool
from jupyter_mlready.probes.screen import ONE_ROW_REQUESTS, draw, screen
from jupyter_mlready.probes.strategies import mutation_recipes

FULL = dataclasses.replace(Policy(), property_seconds=1e6)  # 100 examples whatever the machine


def _edge_cases(result):
    return sorted((c["edge_case"], c["result"]) for c in result.evidence.get("cases", []))


def test_stacked_evaluation_agrees_with_one_call_per_example(tmp_path, monkeypatch):
    subject = classifier_subject()
    stacked = {i: run_check(SPECS[i], context(subject, tmp_path, FULL)) for i in PROPERTY_IDS}
    for check_id, r in stacked.items():
        e = r.evidence
        assert e["evaluation"] == "stacked", (check_id, r.summary)
        assert e["examples"] == 100 and 1 <= e["model_calls"] <= e["examples"], (
            check_id,
            e["model_calls"],
        )
    # one frame for 100 examples, plus a few edge cases sent as one-row requests
    assert stacked["robustness.missing_values"].evidence["model_calls"] <= 2 + ONE_ROW_REQUESTS
    assert stacked["determinism"].evidence["model_calls"] == 2
    assert (
        stacked["robustness.empty_input"].evidence["model_calls"] <= 12
    )  # not one per "one row" example

    monkeypatch.setattr(properties, "_screened", lambda *args: False)
    slow = {i: run_check(SPECS[i], context(subject, tmp_path, FULL)) for i in PROPERTY_IDS}
    for check_id in PROPERTY_IDS:
        assert slow[check_id].evidence["evaluation"] == "one by one"
        assert slow[check_id].status == stacked[check_id].status, check_id
        assert _edge_cases(slow[check_id]) == _edge_cases(stacked[check_id]), check_id
        assert slow[check_id].evidence["examples"] == stacked[check_id].evidence["examples"], (
            check_id
        )


class _Wrapped:
    """A fitted classifier behind a wrapper that changes one behaviour (the subclasses)."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_
        self.feature_names_in_ = model.feature_names_in_


class AloneDiffers(_Wrapped):
    """A classifier that answers differently for a single row than inside a batch."""

    def predict(self, X):
        return self.model.predict(X)

    def predict_proba(self, X):
        p = np.asarray(self.model.predict_proba(X), dtype=float)
        return p[:, ::-1] if len(X) == 1 else p


class CrashesOnBigAmounts(_Wrapped):
    """Fine everywhere except on one far-out value of one column, where it crashes inside."""

    def predict(self, X):
        if (X["amount"].astype(float) > 2000).any():  # the training maximum is about 500
            raise ZeroDivisionError("float division by zero")  # a crash, not a clear rejection
        return self.model.predict(X)

    def predict_proba(self, X):
        self.predict(X)
        return self.model.predict_proba(X)


@pytest.mark.parametrize(
    "wrapper,check_id",
    [(AloneDiffers, "batch_invariance"), (CrashesOnBigAmounts, "robustness.extreme_values")],
)
def test_a_model_broken_on_a_few_examples_fails_with_a_shrunk_example(tmp_path, wrapper, check_id):
    subject = classifier_subject()
    broken = dataclasses.replace(
        subject, model=ModelAdapter.wrap(wrapper(subject.model.model), "classification")
    )
    result = run_check(SPECS[check_id], context(broken, tmp_path, FULL))
    assert result.status == "fail", result.summary
    assert result.evidence["evaluation"] == "one by one"  # the screen did not decide it
    assert result.evidence["falsifying_example"] and result.repro


def test_screen_gives_up_instead_of_passing_a_broken_stack():
    subject = classifier_subject()
    model = ModelAdapter.wrap(CrashesOnBigAmounts(subject.model.model), "classification")
    from jupyter_mlready.contract import infer_contract

    contract = infer_contract(subject, Policy())
    pool = example_pool(contract, subject.train.X)
    recipes = draw(mutation_recipes(Property.EXTREME, contract, len(pool)), 100, 0)
    assert len(recipes) == 100 and any(
        r.mutation.kind == "far_above" and r.mutation.column == "amount" for r in recipes
    )
    args = ("classification", 1e-6, properties.evaluate, properties.answer)
    assert screen(Property.EXTREME, model, recipes, pool, *args) is None
    healthy = screen(Property.EXTREME, subject.model, recipes, pool, *args)
    assert healthy is not None and len(healthy.outcomes) == 100 and healthy.calls < 40
    assert not any(o.broken for o in healthy.outcomes)


def test_a_recipe_builds_the_case_it_describes():
    """A recipe is a window of pool rows (wrapping around) with the edge case at its rows."""
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.probes.cases import Recipe
    from jupyter_mlready.probes.mutators import mutations_for

    subject = classifier_subject()
    contract = infer_contract(subject, Policy())
    pool = example_pool(contract, subject.train.X)
    missing = next(m for m in mutations_for(Property.MISSING, contract) if m.column == "amount")
    recipe = Recipe(Property.MISSING, len(pool) - 2, 4, missing, (1, 3))
    case = recipe.case(pool)
    assert recipe.indices(len(pool)) == [len(pool) - 2, len(pool) - 1, 0, 1]
    assert case.base.equals(pool.iloc[[len(pool) - 2, len(pool) - 1, 0, 1]].reset_index(drop=True))
    assert case.frame["amount"].isna().tolist() == [False, True, False, True]
    assert case.frame.drop(columns="amount").equals(case.base.drop(columns="amount"))
    assert recipe.describe() == case.describe() and case.rows == (1, 3)
    drawn = draw(mutation_recipes(Property.MISSING, contract, len(pool)), 50, 0)
    assert len(drawn) == 50 and all(
        1 <= r.size <= 6 and r.rows and max(r.rows) < r.size for r in drawn
    )


class Sized(_Wrapped):
    """Crashes (inside, not a clear rejection) on frames whose row count is in ``bad``."""

    bad = range(0)

    def predict(self, X):
        if len(X) in self.bad:
            raise ZeroDivisionError("float division by zero")
        return self.model.predict(X)

    def predict_proba(self, X):
        self.predict(X)
        return self.model.predict_proba(X)


class OneRowCrashes(Sized):
    bad = range(1, 2)


class MidSizeCrashes(Sized):
    bad = range(6, 200)  # the stacked "one row" examples, never a single row


def test_one_row_examples_a_few_alone_the_rest_stacked_and_alone_when_the_stack_fails():
    from jupyter_mlready.contract import infer_contract

    subject = classifier_subject()
    contract = infer_contract(subject, Policy())
    pool = example_pool(contract, subject.train.X)
    recipes = draw(mutation_recipes(Property.EMPTY, contract, len(pool)), 100, 0)
    one_row = sum(r.mutation.kind == "one_row" for r in recipes)
    assert one_row > 20
    args = ("classification", 1e-6, properties.evaluate, properties.answer)
    healthy = screen(Property.EMPTY, subject.model, recipes, pool, *args)
    assert (
        healthy is not None and healthy.calls <= 8 and not any(o.broken for o in healthy.outcomes)
    )
    crashes = ModelAdapter.wrap(OneRowCrashes(subject.model.model), "classification")
    assert screen(Property.EMPTY, crashes, recipes, pool, *args) is None  # one by one decides
    # the stacked call breaks but no single row does: every example alone, all fine
    mid = screen(
        Property.EMPTY,
        ModelAdapter.wrap(MidSizeCrashes(subject.model.model), "classification"),
        recipes,
        pool,
        *args,
    )
    assert mid is not None and not any(o.broken for o in mid.outcomes)
    assert mid.calls >= one_row  # each "one row" example was predicted alone
    assert [o.verdict for o in mid.outcomes] == [o.verdict for o in healthy.outcomes]


class FillsFromTheBatch(_Wrapped):
    """Fills a missing number with the mean of the batch it came in: fine on stacked frames, a
    crash on the first one-row request with a missing value (the mean of one NaN is NaN)."""

    def _fill(self, X):
        X = X.copy()
        for c in X.columns:
            if X[c].dtype.kind == "f":
                X[c] = X[c].fillna(X[c].mean())
        return X  # a NaN left (one row: the mean of one NaN) crashes deep inside the estimator

    def predict(self, X):
        return self.model.predict(self._fill(X))

    def predict_proba(self, X):
        return self.model.predict_proba(self._fill(X))


def test_one_row_requests_catch_a_model_that_fills_from_the_batch(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    subject = classifier_subject()
    no_nan = Pipeline(  # an estimator that does not accept NaN
        [
            (
                "prep",
                ColumnTransformer(
                    [("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"])],
                    remainder="passthrough",
                ),
            ),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    ).fit(subject.train.X, subject.train.y)
    broken = dataclasses.replace(
        subject, model=ModelAdapter.wrap(FillsFromTheBatch(no_nan), "classification")
    )
    result = run_check(SPECS["robustness.missing_values"], context(broken, tmp_path, FULL))
    assert result.status == "fail", result.summary
    assert result.evidence["evaluation"] == "one by one"  # the one-row requests undecided it
    assert result.repro
