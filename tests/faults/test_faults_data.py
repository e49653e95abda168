"""Data shapes, column names, values and dtypes.

Most cases run the real chain without MLflow (``offline_check``: the bundle is written and read
back, the gate's checks run on it in-process), since what they exercise is how each stage and
check copes with the data, not the registry. Two cases run the whole check, where MLflow sees
the data too (signatures of nullable dtypes, hostile names in a registered model).

A case passes when the user gets a verdict and a readable reason: ``error`` only where the check
cannot decide (and it says why), never a crashed check.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from faultkit import (
    EXIT,
    alias_holder,
    assert_expected_error,
    check,
    check_of,
    crashed,
    fitted,
    frames,
    offline_check,
    read_doc,
    versions,
)
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

pytestmark = pytest.mark.faults


def on_columns(numeric: list, categorical: list | None = None):
    """A pipeline that imputes ``numeric`` columns and one-hot encodes ``categorical`` ones."""
    parts = [(SimpleImputer(), numeric)]
    if categorical:
        parts.append((OneHotEncoder(handle_unknown="ignore"), categorical))
    return make_pipeline(make_column_transformer(*parts), LogisticRegression())


def decided(doc: dict) -> None:
    """A verdict the user can act on: no check crashed and, short of an error whose reason is
    stated, the run is ready or not ready."""
    assert not crashed(doc), crashed(doc)
    if doc["verdict"] == "error":
        assert "traceback" not in doc["error"], doc["error"].get("traceback", "")[-1500:]


# ------------------------------------------------------------------------------- data shapes


def test_an_empty_holdout_is_named_before_anything_runs(tmp_path, monkeypatch):
    X, y = frames()
    ns = fitted(X, y)
    ns["X_test"], ns["y_test"] = X.iloc[:0], y.iloc[:0]
    result = offline_check(ns, tmp_path, "empty", monkeypatch)
    doc = read_doc(tmp_path / "out-empty")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "discover", "'X_test', 'y_test' have 0 rows")
    assert "--holdout" in err["remedy"]
    assert {c["status"] for c in doc["checks"]} == {"error"}


def test_a_one_row_holdout_cannot_decide_and_says_why(tmp_path, monkeypatch):
    X, y = frames(n=301)
    result = offline_check(fitted(X, y), tmp_path, "one", monkeypatch)
    doc = read_doc(tmp_path / "out-one")
    decided(doc)
    assert result.exit_code == EXIT["error"] and doc["data"]["holdout"]["rows"] == 1
    base = check_of(doc, "performance.baseline")
    assert base["status"] == "error" and f"one class ({y.iloc[300]}) in 1 row," in base["summary"]
    assert "stratify" in base["remedy"]


def test_a_one_class_holdout_target_cannot_decide_and_says_why(tmp_path, monkeypatch):
    X, y = frames()
    y.iloc[300:] = 1
    result = offline_check(fitted(X, y), tmp_path, "oneclass", monkeypatch)
    doc = read_doc(tmp_path / "out-oneclass")
    decided(doc)
    assert result.exit_code == EXIT["error"]
    for check_id in ("performance.baseline", "performance.thresholds"):
        c = check_of(doc, check_id)
        assert c["status"] == "error" and "hold-out target has one class (1) in 100" in c["summary"]
    assert "could not decide" in doc["error"]["message"]


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
@pytest.mark.parametrize("column", [np.nan, 1.0], ids=["all-NaN", "constant"])
def test_an_all_nan_or_constant_column_is_checked_not_crashed(tmp_path, monkeypatch, column):
    X, y = frames()
    X["c"] = column
    result = offline_check(fitted(X, y), tmp_path, "c", monkeypatch)
    doc = read_doc(tmp_path / "out-c")
    decided(doc)
    assert doc["verdict"] != "error", doc.get("error")
    assert result.exit_code == EXIT[doc["verdict"]] and doc["data"]["train"]["columns"] == 3
    contract = (tmp_path / "out-c" / "contract.json").read_text()
    assert '"c"' in contract


def test_two_thousand_columns_go_through_discovery_the_contract_and_the_bundle(tmp_path):
    """Stage by stage (the whole check on 2,000 columns is the benchmarks' business)."""
    from jupyter_mlready.checks import CheckContext, load_checks, run_check
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.registry.bundle import load_bundle, write_bundle
    from jupyter_mlready.stages.discover import discover

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 2000)), columns=[f"f{i}" for i in range(2000)])
    y = pd.Series((X["f0"] > 0).astype(int))
    subject = discover(fitted(X, y))
    contract = infer_contract(subject, Policy())
    assert len(subject.feature_names) == 2000 and len(contract.columns) == 2000
    bundle = load_bundle(write_bundle(subject, contract, Policy(), tmp_path).path)
    assert bundle.holdout.X.shape == (100, 2000) and len(bundle.contract.columns) == 2000
    ctx = CheckContext(
        subject.model, "classification", subject.train, subject.holdout, contract, Policy()
    )
    spec = next(s for s in load_checks() if s.id == "contract.holdout")
    result = run_check(spec, ctx)
    assert result.status in ("pass", "warn", "fail") and not result.summary.startswith("The check")


# ------------------------------------------------------------------------------ column names


@pytest.mark.parametrize(
    "columns, named",
    [(["a", "b", "a"], "['a']"), ([0, "0", "b"], "['0']")],
    ids=["duplicate", "int-and-str-collide"],
)
def test_duplicate_column_names_are_refused_by_name(tmp_path, monkeypatch, columns, named):
    X, y = frames()
    X = pd.concat([X, X[["a"]]], axis=1)
    X.columns = columns
    model = LogisticRegression().fit(X.to_numpy()[:300], y[:300])  # fitted without names
    ns = {"model": model, "X_train": X[:300], "y_train": y[:300], "X_test": X[300:]}
    ns["y_test"] = y[300:]
    result = offline_check(ns, tmp_path, "dup", monkeypatch)
    doc = read_doc(tmp_path / "out-dup")
    assert result.exit_code == EXIT["error"]
    err = assert_expected_error(doc, "discover", f"duplicate column name(s) {named}", "X_train")
    assert err["type"] == "DataError" and "Give every column its own name" in err["remedy"]


@pytest.mark.parametrize(
    "columns",
    [[0, 1], [("a", 1), ("b", 2)], pd.MultiIndex.from_tuples([("g", "a"), ("g", "b")])],
    ids=["ints", "tuples", "multiindex"],
)
def test_non_string_column_names_are_shown_as_text_and_checked(tmp_path, monkeypatch, columns):
    X, y = frames()
    X.columns = columns
    result = offline_check(fitted(X, y), tmp_path, "names", monkeypatch)
    doc = read_doc(tmp_path / "out-names")
    decided(doc)
    assert doc["verdict"] != "error", doc.get("error")
    assert result.exit_code == EXIT[doc["verdict"]]
    assert doc["data"]["train"]["columns"] == 2
    contract = (tmp_path / "out-names" / "contract.json").read_text()
    assert all(str(c) in contract.replace('\\"', '"') for c in [str(c) for c in X.columns])


IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
NASTY = "x\u202eevil\nline **md** `code` | cell | \x1b[31mred\x1b[0m [a](javascript:alert(3))"
MODEL_NAME = "credit <img src=x onerror=alert(4)>\u202e\x1b[2J `name` *bold*"  # no / or :


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, v in attrs if k.startswith("on")]
        self.handlers += [v for k, v in attrs if k == "href" and "javascript:" in (v or "")]


def hostile_namespace() -> dict:
    X, y = frames()
    X.columns = [IMG, NASTY]
    X[SCRIPT] = np.where(np.arange(len(X)) % 3 == 0, SCRIPT, "<!-- # heading\n| a |")
    return fitted(X, y, on_columns([IMG, NASTY], [SCRIPT]))


def test_hostile_names_in_columns_categories_and_the_model_name_stay_text(tmp_path, store, capsys):
    """The whole check: MLflow registers the hostile model name, and every rendering (HTML,
    Markdown, terminal) shows the names as text, never as markup or terminal control."""
    from jupyter_mlready.cli import print_trust

    result = check(hostile_namespace(), tmp_path, "hostile", name=MODEL_NAME)
    doc = read_doc(tmp_path / "out-hostile")
    decided(doc)
    assert doc["verdict"] != "error", doc.get("error")
    assert result.exit_code == EXIT[doc["verdict"]]
    assert doc["model"]["name"] == MODEL_NAME and list(versions(MODEL_NAME)) == ["1"]
    assert alias_holder(MODEL_NAME) == ("1" if doc["verdict"] == "ready" else None)
    html = (tmp_path / "out-hostile" / "report.html").read_text(encoding="utf-8")
    parsed = Tags()
    parsed.feed(html)
    for payload in (IMG, SCRIPT, "<img src=x onerror=alert(4)>"):
        assert payload not in html
    assert "img" not in parsed.tags and parsed.handlers == []
    assert parsed.tags.count("script") == 1  # the report's own, hash-pinned
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown, as text
    markdown = (tmp_path / "out-hostile" / "summary.md").read_text(encoding="utf-8")
    prose = re.sub(r"(`+).*?\1", "", markdown, flags=re.S)  # code spans show text as it is
    assert not re.search(r"(?<!\\)<(img|script|!--)", prose), "unescaped markup in summary.md"
    assert not re.search(r"(?<!\\)\]\(javascript:", prose) and "\n| a |" not in markdown
    # the terminal: no escape sequence, no bidi override, no line a name could forge
    text = result.summary_text()
    print_trust(doc)
    for shown in (text, capsys.readouterr().err):
        assert "\x1b" not in shown and "\u202e" not in shown
    assert all(re.match(r"^(mlready: |  )", line) for line in text.splitlines()), text


def test_a_hostile_column_name_in_the_models_error_counts_as_named():
    from jupyter_mlready.checks import CheckContext, load_checks, run_check
    from jupyter_mlready.contract import infer_contract
    from jupyter_mlready.policy import Policy
    from jupyter_mlready.stages.discover import discover

    subject = discover(hostile_namespace())
    policy = Policy(property_examples=10)
    ctx = CheckContext(
        subject.model,
        subject.task,
        subject.train,
        subject.holdout,
        infer_contract(subject, policy),
        policy,
        where="validation",
    )
    spec = next(s for s in load_checks() if s.id == "robustness.input_format")
    result = run_check(spec, ctx)
    assert result.status != "fail", result.summary


# ---------------------------------------------------------------------------- values, dtypes


def test_a_category_with_100k_values_is_checked_and_reported_compactly(tmp_path, monkeypatch):
    n = 101_000
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "user": pd.Series([f"u{i}" for i in range(n)], dtype="category"),
        }
    )
    y = pd.Series((X["a"] + rng.normal(size=n) > 0).astype(int))
    result = offline_check(
        fitted(X, y, on_columns(["a"]), split=100_000), tmp_path, "card", monkeypatch
    )
    doc = read_doc(tmp_path / "out-card")
    decided(doc)
    assert doc["verdict"] != "error", doc.get("error")
    assert result.exit_code == EXIT[doc["verdict"]]
    # the reports and the contract stay readable: an identifier's domain is not listed
    for name in ("readiness.json", "report.html", "summary.md", "contract.json"):
        assert (tmp_path / "out-card" / name).stat().st_size < 300_000, name


def test_tz_aware_datetimes_are_checked_not_crashed(tmp_path, monkeypatch):
    X, y = frames()
    X["at"] = pd.date_range("2024-01-01", periods=len(X), freq="h", tz="Asia/Hong_Kong")
    result = offline_check(fitted(X, y, on_columns(["a", "b"])), tmp_path, "tz", monkeypatch)
    doc = read_doc(tmp_path / "out-tz")
    assert result.exit_code == EXIT[doc["verdict"]]
    decided(doc)


def test_pandas_nullable_dtypes_survive_mlflow_and_the_gate(tmp_path, store):
    """Int64 and boolean with missing values and string[pyarrow], through the whole check: the
    signature MLflow infers, the bundle's parquet, the gate's fresh kernel."""
    X, y = frames()
    n = len(X)
    X["count"] = pd.array(np.arange(n) % 7, dtype="Int64")
    X.loc[X.index[::11], "count"] = pd.NA
    X["flag"] = pd.array(np.arange(n) % 2 == 0, dtype="boolean")
    X.loc[X.index[::13], "flag"] = pd.NA
    X["kind"] = pd.Series(np.where(np.arange(n) % 3 == 0, "x", "y"), dtype="string[pyarrow]")
    ns = fitted(X, y, on_columns(["a", "b", "count"], ["kind"]))
    result = check(ns, tmp_path, "nullable")
    doc = read_doc(tmp_path / "out-nullable")
    decided(doc)
    assert doc["verdict"] != "error", doc.get("error")
    assert result.exit_code == EXIT[doc["verdict"]]
    assert check_of(doc, "reproducibility.fresh_kernel")["status"] == "pass"
    assert alias_holder() == ("1" if doc["verdict"] == "ready" else None)


def test_a_mixed_type_object_column_is_checked_not_crashed(tmp_path, monkeypatch):
    X, y = frames()
    X["mixed"] = pd.Series([1, "two", 3.5, None] * (len(X) // 4), dtype=object)
    result = offline_check(fitted(X, y, on_columns(["a", "b"])), tmp_path, "mixed", monkeypatch)
    doc = read_doc(tmp_path / "out-mixed")
    decided(doc)
    assert doc["verdict"] != "error", doc.get("error")
    assert result.exit_code == EXIT[doc["verdict"]]
    assert (tmp_path / "out-mixed" / "bundle" / "data" / "holdout.mixed.json").exists()


def test_a_mixed_column_holding_dates_is_checked_not_crashed(tmp_path, monkeypatch):
    X, y = frames()
    X["mixed"] = pd.Series([1, "two", pd.Timestamp("2024-01-01"), None] * 100, dtype=object)
    result = offline_check(fitted(X, y, on_columns(["a", "b"])), tmp_path, "dates", monkeypatch)
    doc = read_doc(tmp_path / "out-dates")
    assert result.exit_code == EXIT[doc["verdict"]]
    decided(doc)
