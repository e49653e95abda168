"""model.tuning: a search whose best parameters the model carries passes; library defaults with
no search warn; a search the model departs from warns naming the parameter."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from jupyter_mlready.checks import CheckContext, run_check
from jupyter_mlready.checks.tuning import tuning, tuning_view
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.records import Dataset
from jupyter_mlready.views import Facts, Table

SPEC = tuning.__mlready_check__
optuna.logging.set_verbosity(optuna.logging.WARNING)

RNG = np.random.default_rng(0)
X = pd.DataFrame(RNG.normal(size=(200, 3)), columns=["a", "b", "c"])
Y = (X["a"] + RNG.normal(0, 0.5, 200) > 0).astype(int)


def _run(model, namespace: dict):
    ctx = CheckContext(
        ModelAdapter.wrap(model, "classification"),
        "classification",
        Dataset(X, Y, "X"),
        Dataset(X, Y, "X"),
        None,
        Policy(),
        where="notebook",
        namespace=namespace,
    )
    return run_check(SPEC, ctx)


@pytest.fixture(scope="module")
def grid():
    forest = RandomForestClassifier(n_estimators=10, random_state=0)
    return GridSearchCV(forest, {"max_depth": [2, 3, None]}, cv=3).fit(X, Y)


def test_grid_search_whose_best_estimator_is_the_model_passes(grid):
    r = _run(grid.best_estimator_, {"search": grid, "model": grid.best_estimator_, "X": X})
    assert r.status == "pass", r.summary
    assert r.evidence["search"] == "search"
    found = r.evidence["searches"][0]
    assert found["kind"] == "GridSearchCV" and found["candidates"] == 3
    assert found["search_space"] == {"max_depth": [2, 3, None]}
    assert found["model_carries_best_params"] is True and found["best_score"] > 0.5


def test_the_model_may_be_the_search_itself(grid):
    r = _run(grid, {"search": grid})
    assert r.status == "pass", r.summary


def test_a_refit_with_the_best_params_passes(grid):
    refit = RandomForestClassifier(n_estimators=10, **grid.best_params_).fit(X, Y)
    assert _run(refit, {"search": grid, "clf": refit}).status == "pass"


def test_default_random_forest_with_no_search_warns():
    r = _run(RandomForestClassifier(n_estimators=100).fit(X, Y), {"X": X})
    assert r.status == "warn", r.summary
    assert "library default and no search was found" in r.summary
    assert r.evidence["hand_set"] == {} and r.evidence["hyperparameters_compared"] > 10


def test_model_departing_from_the_search_warns_naming_the_parameter(grid):
    other = 7 if grid.best_params_["max_depth"] != 7 else 8
    model = RandomForestClassifier(n_estimators=10, max_depth=other, random_state=0).fit(X, Y)
    r = _run(model, {"search": grid, "model": model})
    assert r.status == "warn", r.summary
    assert "max_depth" in r.summary
    diff = r.evidence["searches"][0]["differences"]
    assert diff == [{"param": "max_depth", "best": grid.best_params_["max_depth"], "model": other}]


def test_optuna_study_passes():
    def objective(trial):
        depth = trial.suggest_int("max_depth", 2, 6)
        trees = trial.suggest_int("n_estimators", 5, 15)
        return abs(depth - 4) + trees / 100

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=6)
    model = RandomForestClassifier(random_state=0, **study.best_params).fit(X, Y)
    r = _run(model, {"study": study, "model": model})
    assert r.status == "pass", r.summary
    found = r.evidence["searches"][0]
    assert found["kind"] == "optuna Study" and found["candidates"] == 6
    assert set(found["search_space"]) == {"max_depth", "n_estimators"}
    # the same study, and a model fitted with other values: warn
    off = RandomForestClassifier(max_depth=1, n_estimators=3).fit(X, Y)
    assert _run(off, {"study": study, "model": off}).status == "warn"


def test_hand_set_hyperparameters_without_search_pass_with_the_values():
    model = RandomForestClassifier(max_depth=5, n_estimators=30, random_state=1).fit(X, Y)
    r = _run(model, {})
    assert r.status == "pass", r.summary
    assert "Hand-set, no search recorded" in r.summary
    assert r.evidence["hand_set"] == {"max_depth": 5, "n_estimators": 30}  # not random_state


def test_pipeline_judges_its_learner_and_reports_other_steps():
    pipe = make_pipeline(
        StandardScaler(with_mean=False), RandomForestClassifier(n_estimators=100)
    ).fit(X, Y)
    r = _run(pipe, {"trials": X})  # a frame named like a search is not one
    assert r.status == "warn", r.summary
    assert r.evidence["other_steps_hand_set"] == {"standardscaler": {"with_mean": False}}


def test_search_over_a_pipeline_step_matches_prefixed_names():
    pipe = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=5, random_state=0))
    search = RandomizedSearchCV(
        pipe, {"randomforestclassifier__max_depth": [2, 3, 4]}, n_iter=3, cv=3, random_state=0
    ).fit(X, Y)
    best = search.best_params_["randomforestclassifier__max_depth"]
    refit = make_pipeline(
        StandardScaler(), RandomForestClassifier(n_estimators=5, max_depth=best, random_state=0)
    ).fit(X, Y)
    assert _run(refit, {"search": search, "model": refit}).status == "pass"


def test_a_search_for_another_model_does_not_count():
    svc = GridSearchCV(SVC(), {"C": [0.1, 1.0]}, cv=3).fit(X, Y)
    model = RandomForestClassifier().fit(X, Y)
    r = _run(model, {"svc_search": svc, "model": model})
    assert r.status == "warn", r.summary
    assert "not this model's" in r.summary
    assert r.evidence["searches"][0]["about_this_model"] is False


def test_a_search_with_one_candidate_is_not_a_search():
    one = GridSearchCV(RandomForestClassifier(n_estimators=5), {"max_depth": [3]}, cv=3).fit(X, Y)
    r = _run(one.best_estimator_, {"one": one, "model": one.best_estimator_})
    assert r.status == "pass" and "Hand-set" in r.summary, r.summary  # max_depth=3, n_estimators=5
    assert r.evidence["too_small"] == ["one"]


def test_hyperopt_trials_are_read_by_their_shape():
    class Trials:  # the shape of hyperopt.Trials
        def __init__(self, rows):
            self.trials = rows

        @property
        def best_trial(self):
            return min(self.trials, key=lambda t: t["result"]["loss"])

    rows = [
        {"result": {"loss": loss, "status": "ok"}, "misc": {"vals": {"max_depth": [d]}}}
        for d, loss in ((2, 0.3), (4, 0.1), (6, 0.2))
    ]
    model = RandomForestClassifier(max_depth=4).fit(X, Y)
    r = _run(model, {"trials": Trials(rows), "model": model})
    assert r.status == "pass", r.summary
    assert r.evidence["searches"][0]["best_score"] == 0.1


def test_statsmodels_results_skip():
    sm = pytest.importorskip("statsmodels.api")
    fitted = sm.Logit(Y, sm.add_constant(X)).fit(disp=0)
    ctx = CheckContext(
        ModelAdapter.wrap(fitted, "classification", (0, 1)),
        "classification",
        Dataset(X, Y, "X"),
        Dataset(X, Y, "X"),
        None,
        Policy(),
        namespace={},
    )
    r = run_check(SPEC, ctx)
    assert r.status == "skip" and "statsmodels" in r.summary


def test_a_hand_written_model_without_parameters_skips():
    class Rule:
        classes_ = np.array([0, 1])

        def predict(self, frame):
            return (frame["a"] > 0).astype(int).to_numpy()

    assert _run(Rule(), {}).status == "skip"


def test_view(grid):
    r = _run(grid.best_estimator_, {"search": grid})
    view = tuning_view(r.to_dict(), {})
    assert view is not None
    facts, table = view.blocks
    assert isinstance(facts, Facts) and isinstance(table, Table)
    assert table.rows[0][0].text == "max_depth"
    none = _run(RandomForestClassifier(n_estimators=3).fit(X, Y), {})
    assert tuning_view(none.to_dict(), {}) is not None


def test_transformer_defaults_do_not_hide_default_learner():
    pipe = make_pipeline(
        OneHotEncoder(handle_unknown="ignore"), RandomForestClassifier(n_estimators=100)
    )
    frame = X.assign(a=(X["a"] > 0).map({True: "p", False: "n"}))
    pipe.fit(frame, Y)
    ctx = CheckContext(
        ModelAdapter.wrap(pipe, "classification"),
        "classification",
        Dataset(frame, Y, "X"),
        Dataset(frame, Y, "X"),
        None,
        Policy(),
        namespace={},
    )
    assert run_check(SPEC, ctx).status == "warn"
