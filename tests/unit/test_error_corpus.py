"""A labelled corpus of real error messages: every case raises its error live, from the installed
libraries, and must classify as labelled (``crash`` or ``clear``).

Why live: the rule in ``probes.outcome`` is only as good as its knowledge of what the libraries
actually say; a message copied into a test goes stale when a library rewords it, a live one
fails the test instead. Each case names the column the edge case was put in (None for a
whole-frame edge case such as zero rows), the expectation (``handle``: production sends this;
``may_reject``: malformed input) and, for a clear case, the text of the input it must name.

Libraries: scikit-learn, numpy, pandas, MLflow's pyfunc schema enforcement, pandera, pydantic,
and the user's own code (with Python's builtins); XGBoost and LightGBM when installed (the
``all`` extra, which ``make test`` installs).
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from jupyter_mlready.probes.error_corpus import KNOWN_CRASHES, known_crash, unwrap
from jupyter_mlready.probes.outcome import classify_exception

ORDINARY_WORDS = ["data", "values", "samples", "list", "page"]  # all in sklearn's NaN message
Y = [0, 0, 1, 1]


@dataclass(frozen=True)
class Case:
    """One live error and its label; ``names`` is the input a clear rejection names."""

    id: str
    library: str  # who wrote the message
    label: str  # "crash" | "clear"
    column: str | None
    expect: str
    trigger: Callable[[], object]
    names: str | None = None
    known: bool = False  # a crash that must match a known pattern of ``library``


def raised(trigger: Callable[[], object]) -> BaseException:
    try:
        trigger()
    except Exception as exc:  # the corpus is about exceptions of any type
        return exc
    raise AssertionError(f"{trigger} raised nothing: the library changed, update the corpus")


def known(id_: str, library: str, column: str | None, expect: str, trigger) -> Case:
    """A crash whose message matches a known pattern of ``library``."""
    return Case(id_, library, "crash", column, expect, trigger, known=True)


def crash(id_: str, library: str, column: str | None, expect: str, trigger) -> Case:
    """A crash no pattern knows: an error naming nothing, or of a type that rejects no input."""
    return Case(id_, library, "crash", column, expect, trigger)


def clear(id_: str, library: str, column: str | None, expect: str, trigger, names: str) -> Case:
    """A clear rejection: its message names ``names``."""
    return Case(id_, library, "clear", column, expect, trigger, names)


# -- fitted models, built once ---------------------------------------------------------------


@functools.cache
def words_frame() -> pd.DataFrame:
    """Numeric columns named after ordinary English words."""
    return pd.DataFrame({w: [0.0, 1.0, 2.0, 3.0 + i] for i, w in enumerate(ORDINARY_WORDS)})


@functools.cache
def words_model():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(words_frame(), Y)


@functools.cache
def words_array_model():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(words_frame().to_numpy(), Y)


@functools.cache
def plan_frame() -> pd.DataFrame:
    return pd.DataFrame({"plan": ["free", "pro", "free", "pro"], "amount": [1.0, 2.0, 3.0, 4.0]})


@functools.cache
def plan_pipeline():
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = make_column_transformer(
        (OneHotEncoder(), ["plan"]), (StandardScaler(), ["amount"]), remainder="drop"
    )
    return make_pipeline(prep, LogisticRegression()).fit(plan_frame(), Y)


def with_nan(column: str) -> pd.DataFrame:
    return words_frame().assign(**{column: np.nan})


_KEEP: list[tempfile.TemporaryDirectory] = []  # model folders live as long as the test process


def _folder() -> str:
    _KEEP.append(tempfile.TemporaryDirectory())
    return _KEEP[-1].name + "/model"


@functools.cache
def signature_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": np.array([30, 40, 50, 60], dtype="int64"),
            "amount": [1.0, 2.0, 3.0, 4.0],
            "plan": ["free", "pro", "free", "pro"],
            "values": [0.5, 0.1, 0.2, 0.3],
        }
    )


@functools.cache
def pyfunc_with_signature():
    """An MLflow pyfunc model whose signature MLflow enforces before the model sees the input."""
    import mlflow.pyfunc
    from mlflow.models import infer_signature

    class Constant(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return np.zeros(len(model_input))

    folder = _folder()
    X = signature_frame()
    mlflow.pyfunc.save_model(folder, python_model=Constant(), signature=infer_signature(X, Y))
    return mlflow.pyfunc.load_model(folder)


@functools.cache
def sklearn_flavor_model():
    """LogisticRegression logged with the sklearn flavor and loaded back as pyfunc."""
    import mlflow.pyfunc
    import mlflow.sklearn
    from mlflow.models import infer_signature

    folder = _folder()
    model = words_model()
    signature = infer_signature(words_frame(), model.predict(words_frame()))
    mlflow.sklearn.save_model(model, folder, signature=signature)
    return mlflow.pyfunc.load_model(folder)


def without_schema_details(trigger: Callable[[], object]) -> Callable[[], object]:
    """``trigger`` run with MLflow told to keep schema details out of its messages."""

    def run() -> object:
        os.environ["MLFLOW_DISABLE_SCHEMA_DETAILS"] = "true"
        try:
            return trigger()
        finally:
            os.environ.pop("MLFLOW_DISABLE_SCHEMA_DETAILS", None)

    return run


@functools.cache
def words_schema():
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "values": pa.Column(float, nullable=False),
            "samples": pa.Column(float, pa.Check.ge(0)),
        }
    )


def pydantic_row(**fields: object) -> object:
    import pydantic

    class Row(pydantic.BaseModel):
        age: int
        values: float

    return Row(**fields)


# -- the user's own code (a notebook or a local module: outside site-packages) --------------


def user_rejects(message: str, kind: type[Exception] = ValueError) -> Callable[[], object]:
    def predict() -> object:
        raise kind(message)

    return predict


def user_maps_categories() -> object:
    codes = {"free": 0, "pro": 1}
    return [codes[v] for v in plan_frame().assign(plan="__unseen__")["plan"]]


def user_label_encodes() -> object:
    from sklearn.preprocessing import LabelEncoder

    encoder = LabelEncoder().fit(plan_frame()["plan"])
    return encoder.transform(plan_frame().assign(plan="__unseen__")["plan"])


def user_predicts_first_row() -> object:
    return words_model().predict(words_frame().iloc[:1].to_numpy()[0])


def user_scales_max(frame: pd.DataFrame) -> object:
    return frame["amount"].to_numpy() / frame["amount"].to_numpy().max()


def user_centres(frame: pd.DataFrame) -> object:
    return frame["amount"].to_numpy() - np.array([1.0, 2.0, 3.0])  # training means, by position


def user_lowercases(frame: pd.DataFrame) -> object:
    return [v.lower() for v in frame["plan"]]


# -- the corpus -----------------------------------------------------------------------------


def sklearn_cases() -> list[Case]:
    X, P = words_frame(), plan_frame()
    out = [
        known(
            f"sklearn-nan-in-{w}",
            "sklearn",
            w,
            "handle",
            functools.partial(lambda c: words_model().predict(with_nan(c)), w),
        )
        for w in ORDINARY_WORDS
    ]
    out += [
        # NaN after a model coerced text: names neither
        known(
            "sklearn-nan-malformed-list",
            "sklearn",
            "list",
            "may_reject",
            lambda: words_model().predict(with_nan("list")),
        ),
        known(
            "sklearn-unknown-category",
            "sklearn",
            "plan",
            "handle",
            lambda: plan_pipeline().predict(P.assign(plan="__unseen__")),
        ),
        known("sklearn-label-encoder-unseen", "sklearn", "plan", "handle", user_label_encodes),
        known("sklearn-one-row-1d", "sklearn", None, "handle", user_predicts_first_row),
        known(
            "sklearn-impute-text",
            "sklearn",
            "data",
            "may_reject",
            lambda: _median_imputer().transform(X.assign(data="n/a")),
        ),
        # a model that refits on each request
        known(
            "sklearn-refit-on-the-batch",
            "sklearn",
            None,
            "handle",
            lambda: type(words_model())().fit(X.iloc[:1], Y),
        ),
        known(
            "sklearn-not-fitted",
            "sklearn",
            "data",
            "handle",
            lambda: type(words_model())().predict(with_nan("data")),
        ),
        clear(
            "sklearn-zero-rows",
            "sklearn",
            None,
            "may_reject",
            lambda: words_model().predict(X.iloc[:0]),
            "0 sample(s)",
        ),
        clear(
            "sklearn-zero-rows-pipeline",
            "sklearn",
            None,
            "may_reject",
            lambda: plan_pipeline().predict(P.iloc[:0]),
            "0 sample(s)",
        ),
        clear(
            "sklearn-extra-column",
            "sklearn",
            None,
            "may_reject",
            lambda: words_model().predict(X.assign(unexpected_extra_column=1.0)),
            "unexpected_extra_column",
        ),
        clear(
            "sklearn-reordered",
            "sklearn",
            None,
            "may_reject",
            lambda: words_model().predict(X[list(reversed(X.columns))]),
            "same order",
        ),
        clear(
            "sklearn-missing-column-data",
            "sklearn",
            "data",
            "may_reject",
            lambda: words_model().predict(X.drop(columns=["data"])),
            "- data",
        ),
        clear(
            "sklearn-missing-column-plan",
            "sklearn",
            "plan",
            "may_reject",
            lambda: plan_pipeline().predict(P.drop(columns=["plan"])),
            "{'plan'}",
        ),
        clear(
            "sklearn-positional-missing-column",
            "sklearn",
            "page",
            "may_reject",
            lambda: words_array_model().predict(X.drop(columns=["page"]).to_numpy()),
            "4 features",
        ),
        clear(
            "sklearn-infinity",
            "sklearn",
            "values",
            "may_reject",
            lambda: words_model().predict(X.assign(values=np.inf)),
            "infinity",
        ),
        # production sends huge values: "infinity or a value too large" names no column
        crash(
            "sklearn-too-large-realistic",
            "sklearn",
            "values",
            "handle",
            lambda: words_model().predict(X.assign(values=np.inf)),
        ),
    ]
    return out


@functools.cache
def _median_imputer():
    from sklearn.impute import SimpleImputer

    return SimpleImputer(strategy="median").fit(words_frame())


def numpy_cases() -> list[Case]:
    X = words_frame()
    empty = plan_frame().iloc[:0]

    return [
        known(
            "numpy-text-to-float",
            "numpy",
            "data",
            "may_reject",
            lambda: X.assign(data="n/a").to_numpy(float),
        ),
        known("numpy-zero-size-max", "numpy", None, "may_reject", lambda: user_scales_max(empty)),
        known(
            "numpy-broadcast-zero-rows", "numpy", None, "may_reject", lambda: user_centres(empty)
        ),
        known(
            "numpy-reshape-zero-rows",
            "numpy",
            None,
            "may_reject",
            lambda: empty["amount"].to_numpy().reshape(0, -1),
        ),
        known(
            "numpy-stack-zero-rows",
            "numpy",
            None,
            "may_reject",
            lambda: np.hstack([empty[["amount"]].to_numpy(), np.ones((3, 1))]),
        ),
        known(
            "numpy-ragged",
            "numpy",
            "list",
            "handle",
            lambda: np.array([[1.0, 2.0], [1.0]], dtype=float),
        ),
        known(
            "numpy-isnan-on-text",
            "numpy",
            "values",
            "may_reject",
            lambda: np.isnan(X.assign(values="1.5")["values"].to_numpy()),
        ),
        known(
            "numpy-log-on-text",
            "numpy",
            "values",
            "may_reject",
            lambda: np.log(X.assign(values="1.5")["values"].to_numpy()),
        ),
        known(
            "numpy-cast-output",
            "numpy",
            "samples",
            "handle",
            lambda: np.add(
                np.zeros(4, "int64"), X["samples"].to_numpy() + 0.5, out=np.zeros(4, "int64")
            ),
        ),
        known("numpy-singular", "numpy", "page", "handle", lambda: np.linalg.inv(np.zeros((2, 2)))),
        known(
            "numpy-ambiguous",
            "numpy",
            "data",
            "handle",
            lambda: bool(X["data"].to_numpy() > 0),
        ),
    ]


def pandas_cases() -> list[Case]:
    X, P = words_frame(), plan_frame()
    categorical = P.assign(plan=P["plan"].astype("category"))

    def set_unseen() -> object:
        frame = categorical.copy()
        frame.loc[0, "plan"] = "__unseen__"
        return frame

    return [
        known(
            "pandas-nan-to-int",
            "pandas",
            "samples",
            "handle",
            lambda: with_nan("samples")["samples"].astype(int),
        ),
        known("pandas-new-category", "pandas", "plan", "handle", set_unseen),
        known(
            "pandas-unordered-compare",
            "pandas",
            "plan",
            "handle",
            lambda: categorical["plan"] < "pro",
        ),
        known(
            "pandas-parse-number",
            "pandas",
            "values",
            "may_reject",
            lambda: pd.to_numeric(X.assign(values="n/a")["values"]),
        ),
        known(
            "pandas-parse-date",
            "pandas",
            "data",
            "may_reject",
            lambda: pd.to_datetime(pd.Series(["not a date"], name="data")),
        ),
        known(
            "pandas-parse-date-format",
            "pandas",
            "data",
            "may_reject",
            lambda: pd.to_datetime(pd.Series(["2024-01-01", "01/02/2024"]), format="%Y-%m-%d"),
        ),
        known(
            "pandas-far-future",
            "pandas",
            "page",
            "handle",
            lambda: pd.Series(pd.to_datetime(["2500-01-01"])).astype("datetime64[ns]"),
        ),
        known(
            "pandas-length-mismatch",
            "pandas",
            None,
            "handle",
            lambda: X.iloc[:1].assign(list=[1.0, 2.0]),
        ),
        known(
            "pandas-duplicate-labels",
            "pandas",
            None,
            "handle",
            lambda: pd.Series([1.0, 2.0], index=[0, 0]).reindex([0, 1]),
        ),
        known("pandas-ambiguous", "pandas", "data", "handle", lambda: bool(X["data"] > 0)),
        known(
            "pandas-fraction-to-nullable-int",
            "pandas",
            "samples",
            "handle",
            lambda: pd.Series([1.5, np.nan]).astype("Int64"),
        ),
        clear(
            "pandas-missing-column-getitem",
            "pandas",
            "age",
            "may_reject",
            lambda: X["age"],
            "'age'",
        ),
        clear(
            "pandas-missing-columns-list",
            "pandas",
            "list",
            "may_reject",
            lambda: X.drop(columns=["list"])[["data", "list"]],
            "'list'",
        ),
    ]


def mlflow_cases() -> list[Case]:
    X = signature_frame()

    def model():
        return pyfunc_with_signature()

    return [
        clear(
            "mlflow-missing-column",
            "mlflow",
            "age",
            "may_reject",
            lambda: model().predict(X.drop(columns=["age"])),
            "['age']",
        ),
        clear(
            "mlflow-missing-column-values",
            "mlflow",
            "values",
            "may_reject",
            lambda: model().predict(X.drop(columns=["values"])),
            "['values']",
        ),
        clear(
            "mlflow-text-in-number",
            "mlflow",
            "amount",
            "may_reject",
            lambda: model().predict(X.assign(amount="n/a")),
            "column amount",
        ),
        clear(
            "mlflow-nan-in-integer",
            "mlflow",
            "age",
            "handle",
            lambda: model().predict(X.assign(age=[30.0, np.nan, 50.0, 60.0])),
            "column age",
        ),
        clear(
            "mlflow-number-in-text",
            "mlflow",
            "plan",
            "may_reject",
            lambda: model().predict(X.assign(plan=[1, 2, 3, 4])),
            "column plan",
        ),
        # the schema and the data around the error list 'plan' too: no credit for that
        crash(
            "mlflow-names-another-column",
            "mlflow",
            "plan",
            "may_reject",
            lambda: model().predict(X.drop(columns=["age"])),
        ),
        crash(
            "mlflow-schema-details-off",
            "mlflow",
            "age",
            "may_reject",
            without_schema_details(lambda: model().predict(X.drop(columns=["age"]))),
        ),
        known(
            "mlflow-sklearn-flavor-nan",
            "sklearn",
            "samples",
            "handle",
            lambda: sklearn_flavor_model().predict(with_nan("samples")),
        ),
    ]


def validator_cases() -> list[Case]:
    X = words_frame()
    return [
        clear(
            "pandera-nullable",
            "pandera",
            "values",
            "handle",
            lambda: words_schema().validate(X.assign(values=np.nan)),
            "'values'",
        ),
        clear(
            "pandera-missing-column",
            "pandera",
            "samples",
            "may_reject",
            lambda: words_schema().validate(X.drop(columns=["samples"])),
            "'samples'",
        ),
        # pandera lists the columns present: 'values' is among them, not at fault
        crash(
            "pandera-names-another-column",
            "pandera",
            "values",
            "may_reject",
            lambda: words_schema().validate(X.drop(columns=["samples"])),
        ),
        clear(
            "pandera-check",
            "pandera",
            "samples",
            "handle",
            lambda: words_schema().validate(X.assign(samples=-1.0)),
            "'samples'",
        ),
        clear(
            "pandera-dtype",
            "pandera",
            "samples",
            "may_reject",
            lambda: words_schema().validate(X.assign(samples="n/a")),
            "'samples'",
        ),
        clear(
            "pydantic-field-type",
            "pydantic",
            "age",
            "may_reject",
            lambda: pydantic_row(age="n/a", values=1.0),
            "\nage\n",
        ),
        clear(
            "pydantic-field-missing-value",
            "pydantic",
            "values",
            "handle",
            lambda: pydantic_row(age=1, values=None),
            "\nvalues\n",
        ),
        # the record echoed back names 'values'; the missing field is age
        crash(
            "pydantic-names-another-field",
            "pydantic",
            "values",
            "may_reject",
            lambda: pydantic_row(values=1.0),
        ),
    ]


def user_cases() -> list[Case]:
    P = plan_frame()
    return [
        clear(
            "user-clear",
            "user",
            "age",
            "handle",
            user_rejects("column 'age' must not be missing"),
            "'age'",
        ),
        clear(
            "user-clear-type-error",
            "user",
            "amount",
            "may_reject",
            user_rejects("column 'amount' must be numeric, got str", TypeError),
            "'amount'",
        ),
        clear(
            "user-clear-identifier",
            "user",
            "signup_date",
            "handle",
            user_rejects("signup_date is after the end of training data"),
            "signup_date",
        ),
        clear(
            "user-clear-keyword",
            "user",
            "page",
            "handle",
            user_rejects("Column page has a missing value"),
            "Column page",
        ),
        clear(
            "user-clear-empty-batch",
            "user",
            None,
            "may_reject",
            user_rejects("empty batch: nothing to predict"),
            "empty",
        ),
        crash("user-unclear", "user", "age", "handle", user_rejects("bad input")),
        crash(
            "user-generic-sentence-values",
            "user",
            "values",
            "handle",
            user_rejects("expected numeric values, got something else"),
        ),
        crash(
            "user-generic-sentence-page",
            "user",
            "page",
            "handle",
            user_rejects("could not score this page of requests; the data looks wrong"),
        ),
        crash(
            "user-names-another-column",
            "user",
            "income",
            "handle",
            user_rejects("column 'age' must not be missing"),
        ),
        crash(
            "user-contract-class-unclear",
            "user",
            "age",
            "handle",
            user_rejects("contract violated", ContractViolation),
        ),
        clear(
            "user-contract-class-clear",
            "user",
            "age",
            "handle",
            user_rejects("column 'age' is out of the contract's range", ContractViolation),
            "'age'",
        ),
        # the KeyError names the value, not the column
        crash("user-dict-lookup-unseen", "user", "plan", "handle", user_maps_categories),
        crash(
            "user-attribute-error",
            "user",
            "plan",
            "handle",
            lambda: user_lowercases(P.assign(plan=np.nan)),
        ),
        crash(
            "user-error-naming-column-in-wrong-type",
            "user",
            "age",
            "handle",
            user_rejects("column 'age' went wrong", RuntimeError),
        ),
        known(
            "python-nan-to-int",
            "python",
            "age",
            "handle",
            lambda: [int(v) for v in [30.0, float("nan")]],
        ),
        known("python-text-to-int", "python", "age", "may_reject", lambda: int("12.5")),
        known(
            "python-math-domain",
            "python",
            "amount",
            "handle",
            lambda: [math.log(v) for v in [1.0, -4.0]],
        ),
        known("python-log-of-text", "python", "amount", "may_reject", lambda: math.log("12.5")),
        known("python-int-of-none", "python", "list", "handle", lambda: int(None)),
        known("python-operand-types", "python", "values", "may_reject", lambda: "1.5" - 2.0),
        known("python-concatenate", "python", "plan", "handle", lambda: "plan=" + np.nan),
        known(
            "python-compare-types", "python", "values", "may_reject", lambda: sorted(["1.5", 2.0])
        ),
        known("python-len-of-float", "python", "plan", "handle", lambda: len(np.nan)),
    ]


@functools.cache
def boosted(library: str):
    """A small fitted XGBoost / LightGBM classifier on two numeric columns (None: not installed)."""
    X = pd.DataFrame({"age": np.arange(40.0), "data": np.arange(40.0) % 7})
    y = (np.arange(40) % 2).astype(int)
    if library == "xgboost":
        try:
            import xgboost
        except ImportError:
            return None
        return xgboost.XGBClassifier(n_estimators=3).fit(X, y)
    try:
        import lightgbm
    except ImportError:
        return None
    return lightgbm.LGBMClassifier(n_estimators=3, min_child_samples=2, verbose=-1).fit(X, y)


def booster_cases() -> list[Case]:
    """XGBoost and LightGBM list the offending columns as ``name: dtype`` after a header."""
    X = pd.DataFrame({"age": [1.0, 2.0], "data": [3.0, 4.0]})
    cases = []
    for library in ("xgboost", "lightgbm"):
        if boosted(library) is None:
            continue
        model = boosted(library)
        cases += [
            clear(
                f"{library}-text-in-number",
                library,
                "age",
                "may_reject",
                lambda m=model: m.predict(X.assign(age=X["age"].astype(str))),
                "age: ",
            ),
            clear(
                f"{library}-text-in-ordinary-word",
                library,
                "data",
                "may_reject",
                lambda m=model: m.predict(X.assign(data=X["data"].astype(str))),
                "data: ",
            ),
        ]
    if boosted("xgboost") is not None:
        cases.append(
            clear(
                "xgboost-missing-column",
                "xgboost",
                "data",
                "may_reject",
                lambda: boosted("xgboost").predict(X.drop(columns=["data"])),
                "expected data in input data",
            )
        )
    return cases


class ContractViolation(ValueError):
    """A user's own contract error: the class name alone does not make a rejection clear."""


CORPUS: list[Case] = [
    *sklearn_cases(),
    *numpy_cases(),
    *pandas_cases(),
    *mlflow_cases(),
    *validator_cases(),
    *user_cases(),
    *booster_cases(),
]
VERDICT = {"crash": "crash", "clear": "rejected"}


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_every_case_classifies_as_labelled(case: Case):
    exc = raised(case.trigger)
    outcome = classify_exception(exc, case.column, case.expect)
    assert outcome.verdict == VERDICT[case.label], (case.id, outcome.rule, str(exc)[:400])


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_labels_are_consistent_with_the_messages(case: Case):
    """A clear case's message holds the input it names; a known crash matches its library."""
    message = str(raised(case.trigger))
    if case.label == "clear":
        assert case.names and case.names in unwrap(message), (case.id, message[:400])
        assert known_crash(message) is None, case.id
    if case.known:
        crash = known_crash(message)
        assert crash is not None and crash.library == case.library, (case.id, message[:400])


def test_every_known_crash_pattern_is_backed_by_a_live_message():
    messages = [str(raised(c.trigger)) for c in CORPUS if c.known]
    unused = [k.id for k in KNOWN_CRASHES if not any(k.pattern.search(m) for m in messages)]
    assert not unused, f"patterns with no live message in the corpus: {unused}"


def test_corpus_covers_every_library_and_both_labels():
    counts = Counter((c.library, c.label) for c in CORPUS)
    assert len(CORPUS) >= 30
    for library in ("sklearn", "numpy", "pandas", "mlflow", "pandera", "user"):
        assert any(lib == library for lib, _ in counts), library
    assert counts[("mlflow", "clear")] and counts[("mlflow", "crash")]
    assert counts[("user", "clear")] and counts[("user", "crash")]
    nan_words = {c.column for c in CORPUS if c.id.startswith("sklearn-nan-in-")}
    assert nan_words == set(ORDINARY_WORDS)
