"""Wide frames (issue 14, "width is unbounded"): every property exercises every column it applies
to in a few stacked predictions, a defect in one column of 500 is still found and shrunk to that
column, and the per-feature statistics computed for all columns at once agree with the one-column
computations they replace."""

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.checks import CheckContext, load_checks, run_check
from jupyter_mlready.contract import infer_contract, validate_frame
from jupyter_mlready.model import ModelAdapter
from jupyter_mlready.policy import Policy
from jupyter_mlready.probes.cases import Recipe
from jupyter_mlready.probes.kinds import Property
from jupyter_mlready.probes.mutators import Mutation, apply_many, mutations_for
from jupyter_mlready.probes.pool import example_pool
from jupyter_mlready.probes.properties import run_property
from jupyter_mlready.records import Dataset, Subject

WIDTH = 500
DEFECT = "f00317"


def _wide(width=WIDTH, rows=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(rows, width)), columns=[f"f{i:05d}" for i in range(width)])
    X["f00000"] = np.round(np.abs(X["f00000"]) * 10).astype("int64")
    X.loc[rng.random(rows) < 0.05, "f00001"] = np.nan
    X["plan"] = rng.choice(["basic", "plus", "pro"], rows)
    X["region"] = pd.Categorical(rng.choice(["north", "south"], rows))
    y = pd.Series((X["f00002"] + (X["plan"] == "pro") + rng.normal(size=rows) > 0).astype(int))
    return X, y


@pytest.fixture(scope="module")
def wide():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = _wide()
    numeric = [c for c in X.columns if c.startswith("f")]
    model = make_pipeline(
        ColumnTransformer(
            [
                ("num", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan", "region"]),
            ]
        ),
        LogisticRegression(max_iter=300),
    ).fit(X[:300], y[:300])
    train = Dataset(X[:300], y[:300], "X_train", "y_train")
    holdout = Dataset(X[300:], y[300:], "X_test", "y_test")
    adapter = ModelAdapter.wrap(model, "classification")
    subject = Subject(adapter, "model", "classification", train, holdout, None)
    contract = infer_contract(subject, Policy())
    return subject, contract, example_pool(contract, train.X)


class _OneColumnDefect:
    """A fitted model that crashes inside (not a clear rejection) on edge cases of one column: a
    value far above its range or +inf (``kind="far"``), or a missing value (``"missing"``)."""

    def __init__(self, model, kind):
        self.model, self.kind = model, kind
        self.classes_ = model.classes_
        self.feature_names_in_ = model.feature_names_in_

    def _check(self, X):
        values = pd.to_numeric(X[DEFECT], errors="coerce")
        if (values > 50).any() if self.kind == "far" else values.isna().any():
            raise ZeroDivisionError("float division by zero")

    def predict(self, X):
        self._check(X)
        return self.model.predict(X)

    def predict_proba(self, X):
        self._check(X)
        return self.model.predict_proba(X)


@pytest.mark.parametrize("prop", [Property.MISSING, Property.EXTREME, Property.FORMAT])
def test_every_column_is_exercised_by_every_property_in_a_few_calls(wide, prop):
    subject, contract, pool = wide
    run = run_property(prop, subject.model, contract, pool, "classification", examples=50)
    mutations = mutations_for(prop, contract)
    assert run.failure is None and run.undecided == 0
    assert run.applicable and run.applicable <= run.exercised  # every column it applies to
    assert {m.key for m in mutations} == set(run.tally)  # every edge case, with its outcome
    assert run.evaluation == "stacked"
    # stacked frames, not one call per edge case (len(mutations) is 500 to 2,500)
    assert run.model_calls is not None and run.model_calls < len(mutations) / 10, run.model_calls


def test_the_check_evidence_counts_the_columns_and_summarizes_thousands_of_cases(wide, tmp_path):
    subject, contract, _ = wide
    ctx = CheckContext(
        subject.model,
        subject.task,
        subject.train,
        subject.holdout,
        contract,
        Policy(),
        out=str(tmp_path),
    )
    (spec,) = load_checks(("robustness.extreme_values",))
    result = run_check(spec, ctx)
    ev = result.evidence
    assert ev["columns_applicable"] == ev["columns_exercised"] == WIDTH
    assert ev["cases_total"] == len(mutations_for(Property.EXTREME, contract)) > len(ev["cases"])
    # the +/-inf cases are rejected by input validation in every column: the gate's column
    # waivers still see every column behind the warning
    assert result.status == "warn" and len(ev["flagged_columns"]) == WIDTH
    assert sum(sum(c.values()) for c in ev["cases_by_kind"].values()) == ev["cases_total"]


@pytest.mark.parametrize(
    "kind,prop,mutation",
    [("far", Property.EXTREME, "far_above"), ("missing", Property.MISSING, "missing")],
)
def test_a_defect_in_one_column_of_500_is_found_and_shrunk_to_it(wide, kind, prop, mutation):
    subject, contract, pool = wide
    model = ModelAdapter.wrap(_OneColumnDefect(subject.model.model, kind), "classification")
    run = run_property(prop, model, contract, pool, "classification", examples=50)
    assert run.failure is not None
    case, outcome = run.failure
    assert outcome.verdict == "crash" and "ZeroDivisionError" in outcome.detail
    assert case.mutation.column == DEFECT and case.mutation.kind == mutation
    assert len(case.frame) == 1  # shrunk to one row
    broken = {k for k, e in run.tally.items() if e["counts"].get("crash")}
    assert f"{mutation}:{DEFECT}" in broken
    assert all(k.endswith(DEFECT) for k in broken)  # no other column is blamed


def test_apply_many_builds_the_frame_one_edit_after_the_other_would(wide):
    _, contract, pool = wide
    rng = np.random.default_rng(3)
    base = pool.iloc[rng.integers(0, len(pool), 60)].reset_index(drop=True)
    base["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(60), unit="D")
    base["flag"] = rng.random(60) > 0.5
    cells = [
        m
        for p in (Property.MISSING, Property.EXTREME, Property.UNSEEN)
        for m in mutations_for(p, contract)
    ]
    cells += [
        Mutation("far_future", "when", value="2200-01-01T00:00:00"),
        Mutation("missing", "when"),
        Mutation("missing", "flag"),
        Mutation("zero", "flag", value=0),
    ]
    picks = [cells[i] for i in rng.choice(len(cells), 150, replace=False)]
    picks += [m for m in cells if m.column in ("f00000", "plan", "region", "when", "flag")]
    edits = [
        (m, tuple(int(r) for r in rng.choice(60, rng.integers(1, 4), replace=False))) for m in picks
    ]
    edits += [
        (Mutation("numbers_as_text", "f00010", "may_reject", True), ()),
        (Mutation("category_as_text", "region", "may_reject", True), ()),
        (Mutation("missing_column", "f00020", "may_reject"), ()),
    ]
    one_by_one = base
    for m, rows in edits:
        one_by_one = m.apply(one_by_one, rows)
    together = apply_many(base, edits)
    pd.testing.assert_frame_equal(together, one_by_one)


def test_contract_validation_leaves_out_only_columns_that_certainly_pass():
    from types import SimpleNamespace

    import pandera.errors as pe

    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.integers(0, 9, n),
            "c": rng.choice(["x", "y"], n),
            "d": rng.normal(size=n),
            "e": rng.integers(0, 5, n),
            "f": rng.normal(size=n),
        }
    )
    X.loc[X.index[:5], "f"] = np.nan
    contract = infer_contract(SimpleNamespace(train=SimpleNamespace(X=X)), Policy())
    H = X.sample(100, random_state=1).copy()
    H.loc[H.index[:3], "a"] = 100.0  # out of range
    H["b"] = H["b"].astype(float)
    H.loc[H.index[4], "b"] = 2.5  # not an integer
    H.loc[H.index[5], "d"] = np.nan  # not nullable
    H.loc[H.index[7], "c"] = "zz"  # unseen
    H.loc[H.index[8], "f"] = np.inf  # out of range
    H["e"] = H["e"].astype(float)  # integral floats: fine
    with pytest.raises(pe.SchemaErrors) as full:
        contract.schema.validate(H, lazy=True)

    def norm(fc):
        return fc.astype(str).sort_values(list(fc.columns)).reset_index(drop=True)

    fast = validate_frame(contract, H)
    assert fast is not None and norm(fast).equals(norm(full.value.failure_cases))
    assert validate_frame(contract, X) is None


def test_single_feature_trees_grown_together_score_as_scikit_learn_trees():
    from jupyter_mlready.checks.leakage import binary_tree_scores, single_feature_score

    rng = np.random.default_rng(1)
    n, m = 700, 400
    y = rng.random(n + m) < 0.3
    columns = [
        rng.normal(size=n + m),  # continuous
        rng.integers(0, 40, n + m).astype(float),  # many ties
        rng.integers(0, 3, n + m).astype(float),  # three values
        np.full(n + m, 2.0),  # constant
        rng.normal(size=n + m) * 1e-8,  # values closer than scikit-learn's split threshold
        y + rng.normal(size=n + m) * 0.3,  # informative
        np.round(y + rng.normal(size=n + m), 1),  # informative, with ties
        rng.normal(size=n + m) * 1e6 + 1e7,  # large
    ]
    X = np.column_stack(columns)
    ytr, yho = y[:n].astype(int), y[n:].astype(int)
    fast = binary_tree_scores(X[:n], ytr == 1, X[n:], yho == 1)
    reference = [
        single_feature_score("classification", X[:n, [j]], ytr, X[n:, [j]], yho, 0)
        for j in range(X.shape[1])
    ]
    np.testing.assert_allclose(fast, reference, rtol=0, atol=1e-12)


def test_the_reference_profile_of_a_wide_frame_is_bounded_and_close():
    from jupyter_mlready import profile

    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(3000, 400)), columns=[f"c{i}" for i in range(400)])
    X.loc[X.index[:30], "c1"] = np.nan  # one column through the one-by-one path
    built = profile.build_profile(X)
    points = profile.ks_points(400)
    assert points < 3000 and all(len(f["sample"]) == points for f in built["features"].values())
    other = X.sample(900, random_state=1) + 0.05
    for col in ("c0", "c1", "c7"):
        values = X[col].dropna().to_numpy()
        exact = {**built["features"][col], "sample": np.sort(values).tolist()}
        got = profile.compare_feature(built["features"][col], other[col])
        want = profile.compare_feature(exact, other[col])
        assert got["psi"] == want["psi"] and got["ks_critical"] == want["ks_critical"]
        assert abs(got["ks"] - want["ks"]) <= 1 / (points - 1)  # the documented resolution
        # edges and shares as the one-column computation gives them
        entry = profile._numeric_entry({}, X[col].to_numpy(dtype=float), points)
        assert entry["edges"] == built["features"][col]["edges"]
        assert entry["shares"] == built["features"][col]["shares"]


def test_the_sweep_spreads_its_rows_and_keeps_column_edge_cases_on_a_few():
    from jupyter_mlready.probes.properties import SWEEP_COLUMN_ROWS, _sweep_row

    cell, column = Mutation("missing", "a"), Mutation("missing_column", "a", "may_reject")
    assert [_sweep_row(j, cell, 250) for j in (0, 7, 249, 250)] == [0, 7, 249, 0]
    assert {_sweep_row(j, column, 250) for j in range(100)} == set(range(SWEEP_COLUMN_ROWS))
    assert Recipe("missing", 3, 1, cell, (0,)).indices(250) == [3]


class _FillsFromTheBatch(_OneColumnDefect):
    """Fills a missing number with the mean of the batch it came in, and crashes inside on a
    missing value left (a one-row request: the mean of one NaN is NaN)."""

    def _fill(self, X):
        X = X.copy()
        numbers = [c for c in X.columns if X[c].dtype.kind == "f"]
        X[numbers] = X[numbers].fillna(X[numbers].mean())
        if X[numbers].isna().any().any():
            raise ZeroDivisionError("float division by zero")
        return X

    def predict(self, X):
        return self.model.predict(self._fill(X))

    def predict_proba(self, X):
        return self.model.predict_proba(self._fill(X))


def test_the_sweep_also_sends_one_edge_case_of_each_kind_alone(wide):
    from jupyter_mlready.probes.properties import evaluate
    from jupyter_mlready.probes.stacks import resolve

    subject, contract, pool = wide
    model = ModelAdapter.wrap(_FillsFromTheBatch(subject.model.model, None), "classification")
    swept = [
        Recipe(Property.MISSING, j % len(pool), 1, m, (0,))
        for j, m in enumerate(mutations_for(Property.MISSING, contract))
    ]
    resolved = resolve(Property.MISSING, model, swept, pool, "classification", 1e-6, evaluate)
    broken = [o for o in resolved.outcomes if o is not None and o.broken]
    assert len(broken) == 1 and "ZeroDivisionError" in broken[0].detail  # stacked, all fine
    assert resolved.calls < 10
