"""The JSON Schemas in jupyter_mlready/schema/ describe what the package really writes and serves.

readiness.schema.json: readiness.json. report_entry.schema.json / report_list.schema.json: the lab
server extension's answers. The TypeScript types of the lab extension are generated from them
(`jlpm gen:types`), so a shape change shows up here and in `jlpm lint:check`.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource

import jupyter_mlready
from jupyter_mlready import readiness as rd
from jupyter_mlready.records import RECORD_STATUSES, VERDICTS, CheckResult
from jupyter_mlready.server import reports

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = Path(jupyter_mlready.__file__).resolve().parent / "schema"
SCHEMA_NAMES = ("readiness.schema.json", "report_entry.schema.json", "report_list.schema.json")
FIXTURES = ROOT / "tests" / "fixtures" / "readiness"
FIXTURE_FILES = sorted({*FIXTURES.glob("*.json"), *FIXTURES.glob("*/readiness.json")})


def _schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


# The schemas $ref each other by file name (relative to the referring file).
REGISTRY = Registry().with_resources(
    (name, Resource.from_contents(_schema(name))) for name in SCHEMA_NAMES
)


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_schema(name), registry=REGISTRY)


def assert_valid(name: str, instance: dict) -> None:
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def errors_of(name: str, instance: dict) -> list[ValidationError]:
    return list(validator(name).iter_errors(instance))


def built_document(*, error: dict | None = None) -> dict:
    checks = [
        CheckResult(
            "contract.holdout",
            "pass",
            "The hold-out satisfies the contract.",
            evidence={"failures": [], "rows": 5000},
            seconds=0.12,
            category="contract",
        ),
        CheckResult(
            "robustness.missing_values",
            "fail",
            "NaN in 'age' makes predict raise.",
            evidence={"shrunk_example": {"age": None}, "auc": float("nan")},
            repro="model.predict(row)",
            seconds=1.5,
            category="robustness",
            remedy="Impute 'age' inside the pipeline.",
        ),
        CheckResult("performance.slices", "skip", "No categorical column.", category="performance"),
    ]
    return rd.build(
        checks,
        model={"name": "claims", "task": "classification", "flavor": "sklearn", "uri": None},
        data={
            "train": {
                "rows": 100,
                "columns": 3,
                "sha256": "ab" * 32,
                "x": "X_train",
                "y": "y_train",
            }
        },
        timings={"discover": 0.01, "checks": 1.6, "total": 2.0},
        provenance={
            "notebook": None,
            "notebook_sha256": None,
            "git_commit": None,
            "git_dirty": None,
            "python": "3.11.9",
            "platform": "Linux",
            "packages": {"pandas": "3.1.0"},
        },
        policy={"source": "defaults", "values": {"strict": False}},
        discovery={"model": {"var": "model", "how": "the only fitted estimator"}},
        strict=False,
        error=error,
    )


def version_2_error_document() -> dict:
    doc = built_document(
        error={
            "stage": "discover",
            "type": "DiscoveryError",
            "message": "Could not decide the model: two fitted estimators. Found: a, b. "
            "Pass --model VAR to say which one.",
            "remedy": "Pass --model VAR (or model=VAR to %mlready check) to say which variable "
            "is the model.",
            "fields": {"role": "model", "candidates": ["a", "b"], "flag": "--model VAR"},
        }
    )
    doc["schema_version"] = 2
    return doc


@pytest.fixture(scope="module")
def ready_doc() -> dict:
    path = FIXTURES / "ready" / "readiness.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return built_document()


# ---------------------------------------------------------------------------- the schemas


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name):
    schema = _schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_enums_match_the_package():
    schema = _schema("readiness.schema.json")
    assert rd.SCHEMA_VERSION in schema["properties"]["schema_version"]["enum"]
    assert 1 in schema["properties"]["schema_version"]["enum"]  # readers keep reading version 1
    assert tuple(schema["$defs"]["status"]["enum"]) == RECORD_STATUSES
    assert tuple(schema["$defs"]["verdict"]["enum"]) == VERDICTS
    assert set(schema["required"]) == {"schema_version", "verdict", "checks"}
    check_fields = set(CheckResult("x", "pass", "s").to_dict())
    assert set(schema["$defs"]["check"]["required"]) == check_fields


# ------------------------------------------------------------------------ readiness.json


def test_there_are_fixtures():
    assert FIXTURE_FILES, f"no readiness fixtures under {FIXTURES}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_validates(path):
    assert_valid("readiness.schema.json", json.loads(path.read_text(encoding="utf-8")))


def test_built_document_validates():
    doc = built_document()
    assert doc["verdict"] == "not_ready"
    assert doc["checks"][1]["evidence"]["auc"] == "nan"  # to_jsonable: evidence stays free-form
    assert_valid("readiness.schema.json", doc)


def test_built_error_document_validates():
    doc = built_document(
        error={
            "stage": "checks",
            "type": "KeyError",
            "message": "'age'",
            "traceback": "Traceback (most recent call last):\n...",
        }
    )
    assert doc["verdict"] == "error"
    assert_valid("readiness.schema.json", doc)


def test_validation_error_shape_validates(ready_doc):
    doc = copy.deepcopy(ready_doc)
    error = {
        "stage": "validation",
        "type": "NoResult",
        "cell_index": None,
        "section": None,
        "message": "the validation notebook wrote no verdict",
        "executed_notebook": "/tmp/v.ipynb",
    }
    doc.update(
        verdict="error",
        error=error,
        validation={
            "notebook": "/tmp/v.ipynb",
            "executed_notebook": "/tmp/v.out.ipynb",
            "results": "/tmp/r.json",
            "verdict": "error",
            "error": error,
            "load": None,
            "generated_tests": None,
            "timings": {"execute": 3.2},
        },
    )
    assert_valid("readiness.schema.json", doc)


def test_version_2_error_with_fields_and_remedy_validates():
    doc = version_2_error_document()
    assert doc["verdict"] == "error"
    assert_valid("readiness.schema.json", doc)


def test_unknown_properties_are_allowed(ready_doc):
    doc = copy.deepcopy(ready_doc)
    doc["future_section"] = {"anything": [1, 2]}
    doc["checks"][0]["future_field"] = 1
    doc["checks"][0]["evidence"] = {"nested": {"deep": [None, "nan", 1.5]}}
    assert_valid("readiness.schema.json", doc)


def _set_status(doc):
    doc["checks"][0]["status"] = "passed"


def _drop_checks(doc):
    del doc["checks"]


def _error_without_error(doc):
    doc["verdict"] = "error"
    doc.pop("error", None)


def _bad_candidates(doc):
    doc.update(
        verdict="error",
        error={
            "stage": "discover",
            "type": "DiscoveryError",
            "message": "m",
            "fields": {"role": "model", "candidates": "a, b"},
        },
    )


BAD = {
    "status": (_set_status, ["checks", 0, "status"]),
    "verdict": (lambda d: d.update(verdict="maybe"), ["verdict"]),
    "schema_version": (lambda d: d.update(schema_version=4), ["schema_version"]),
    "schema_version_string": (lambda d: d.update(schema_version="1"), ["schema_version"]),
    "no_checks": (_drop_checks, []),
    "seconds": (lambda d: d["checks"][0].update(seconds="fast"), ["checks", 0, "seconds"]),
    "no_summary": (lambda d: d["checks"][0].pop("summary"), ["checks", 0]),
    "evidence_list": (lambda d: d["checks"][0].update(evidence=[]), ["checks", 0, "evidence"]),
    "error_verdict_without_error": (_error_without_error, []),
    "error_without_message": (
        lambda d: d.update(verdict="error", error={"stage": "s", "type": "t"}),
        ["error"],
    ),
    "error_fields_candidates": (_bad_candidates, ["error", "fields", "candidates"]),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_document_fails(ready_doc, name):
    mutate, where = BAD[name]
    doc = copy.deepcopy(ready_doc)
    assert_valid("readiness.schema.json", doc)
    mutate(doc)
    errors = errors_of("readiness.schema.json", doc)
    assert errors, f"{name}: the schema accepted a bad document"
    assert where in [list(e.absolute_path) for e in errors]
    with pytest.raises(ValidationError):
        validator("readiness.schema.json").validate(doc)


# -------------------------------------------------------------- the lab server's answers


def _results(root: Path, notebook: str, doc: dict | str, *, report: bool = True) -> Path:
    nb = root / notebook
    nb.parent.mkdir(parents=True, exist_ok=True)
    nb.write_text("{}")
    out = reports.results_dir(nb)
    out.mkdir(parents=True)
    (out / "readiness.json").write_text(doc if isinstance(doc, str) else json.dumps(doc))
    if report:
        (out / "report.html").write_text("<html></html>")
    return out


def test_summarize_validates(tmp_path, ready_doc):
    out = _results(tmp_path, "work/claims.ipynb", ready_doc)
    entry = reports.summarize(tmp_path, out, ready_doc)
    assert entry["notebook"] == "work/claims.ipynb" and entry["report_html"]
    assert_valid("report_entry.schema.json", entry)


def test_summarize_error_document_validates(tmp_path):
    doc = version_2_error_document()
    out = _results(tmp_path, "nb.ipynb", doc, report=False)
    entry = reports.summarize(tmp_path, out, doc)
    assert entry["error"]["fields"]["candidates"] == ["a", "b"]
    assert entry["verdict"] == "error" and entry["report_html"] is None
    assert_valid("report_entry.schema.json", entry)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_summarize_fixture_validates(tmp_path, path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = _results(tmp_path, "nb.ipynb", doc)
    assert_valid("report_entry.schema.json", reports.summarize(tmp_path, out, doc))


def test_get_report_validates(tmp_path, ready_doc):
    _results(tmp_path, "a/b.ipynb", ready_doc)
    entry = reports.get_report(tmp_path, "a/b.ipynb")
    assert entry["readiness"] == ready_doc
    assert_valid("report_entry.schema.json", entry)
    entry["readiness"]["checks"][0]["status"] = "passed"  # the embedded document is checked too
    assert ["readiness", "checks", 0, "status"] in [
        list(e.absolute_path) for e in errors_of("report_entry.schema.json", entry)
    ]


def test_list_reports_validates(tmp_path, ready_doc):
    _results(tmp_path, "one.ipynb", ready_doc)
    _results(
        tmp_path, "sub/two.ipynb", built_document(error={"stage": "s", "type": "t", "message": "m"})
    )
    _results(tmp_path, "broken.ipynb", "{not json", report=False)
    os.remove(tmp_path / "broken.ipynb")
    listing = reports.list_reports(tmp_path)
    assert sorted(e["verdict"] for e in listing["reports"]) == ["error", "ready", "unreadable"]
    assert_valid("report_list.schema.json", listing)
    for entry in listing["reports"]:
        assert_valid("report_entry.schema.json", entry)


def test_bad_entry_fails(tmp_path, ready_doc):
    out = _results(tmp_path, "nb.ipynb", ready_doc)
    entry = reports.summarize(tmp_path, out, ready_doc)
    entry["n_failing"] = "none"
    del entry["counts"]
    paths = [list(e.absolute_path) for e in errors_of("report_entry.schema.json", entry)]
    assert ["n_failing"] in paths and [] in paths


# ------------------------------------------------------------------------------ packaging


def test_schemas_ship_inside_the_package():
    from importlib.resources import files

    for name in SCHEMA_NAMES:
        assert files("jupyter_mlready").joinpath("schema", name).is_file()


def test_a_check_error_alone_still_gives_the_document_an_error_that_validates():
    """No stage failed, one check could not decide: the verdict is error and the document says
    which check and why (the schema requires ``error`` on every error document)."""
    checks = [
        CheckResult("a.ok", "pass", "fine", category="a"),
        CheckResult(
            "b.undecided", "error", "Cannot decide: no target.", category="b", remedy="Pass y."
        ),
    ]
    doc = rd.build(
        checks,
        model={"name": "m"},
        data={},
        timings={"total": 1.0},
        provenance={},
        policy={},
        discovery={},
        strict=False,
    )
    assert doc["verdict"] == "error"
    assert doc["error"]["stage"] == "checks" and "b.undecided" in doc["error"]["message"]
    assert doc["error"]["remedy"] == "Pass y."
    assert_valid("readiness.schema.json", doc)
