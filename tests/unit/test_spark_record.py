"""readiness.json's ``spark`` record, from a document's data and checks (no Spark needed)."""

from __future__ import annotations

from test_schema import assert_valid, built_document

from jupyter_mlready.spark.summary import spark_record

DATA = {
    "train": {"rows": 9000, "engine": "spark", "reference": {"kind": "table"}},
    "holdout": {
        "rows": 3000,
        "engine": "spark",
        "reference": {"kind": "staged"},
        "sample": {"rows": 1000, "seed": 7},
    },
}


def _check(check_id: str, evidence: dict, status: str = "pass") -> dict:
    return {"id": check_id, "status": status, "evidence": evidence}


def test_what_ran_on_spark_and_what_read_the_sample():
    checks = [
        _check(
            "contract.holdout",
            {"rows": 3000, "engine": {"name": "spark", "jobs": 1, "seconds": 0.5}},
        ),
        _check("leakage.overlap", {"holdout_rows": 3000, "engine": {"name": "spark", "jobs": 3}}),
        _check("latency", {"spark_sample": {"holdout": {"rows": 1000, "of": 3000, "seed": 7}}}),
        _check("model.tuning", {"searched": False}),
    ]
    record = spark_record(DATA, checks)
    assert record is not None
    assert record["inputs"]["holdout"] == {
        "rows": 3000,
        "reference": "staged",
        "sample": {"rows": 1000, "seed": 7},
    }
    assert record["checks"]["contract.holdout"] == {
        "on": "spark",
        "status": "pass",
        "rows": 3000,
        "jobs": 1,
        "seconds": 0.5,
    }
    assert record["checks"]["latency"]["on"] == "sample"
    assert record["checks"]["latency"]["sample"] == 1000
    assert "model.tuning" not in record["checks"]
    assert record["jobs"] == 4 and record["seconds"] == 0.5 and record["all_rows"] is True
    assert "sessions" not in record
    sessions = {"notebook": {"jobs": 9, "seconds": 3.25, "last": 40}, "validation": None}
    record = spark_record(DATA, checks, sessions)
    assert record is not None and record["sessions"] == {"notebook": {"jobs": 9, "seconds": 3.25}}
    doc = built_document()
    doc["data"], doc["spark"] = DATA, record
    assert_valid("readiness.schema.json", doc)


def test_a_computation_shared_by_checks_is_counted_once():
    shared = {"name": "spark", "rows": 3000, "jobs": 5, "seconds": 2.0, "computation": "scoring"}
    checks = [
        _check("performance.thresholds", {"engine": shared}),
        _check("performance.baseline", {"engine": shared}),
        _check("contract.holdout", {"rows": 3000, "engine": {"name": "spark", "jobs": 1}}),
    ]
    record = spark_record(DATA, checks)
    assert record is not None and record["jobs"] == 6 and record["seconds"] == 2.0


def test_a_check_that_processed_other_than_the_input_rows_is_not_all_rows():
    checks = [_check("contract.holdout", {"rows": 2999, "engine": {"name": "spark", "jobs": 1}})]
    record = spark_record(DATA, checks)
    assert record is not None and record["all_rows"] is False


def test_no_spark_input_no_record():
    assert spark_record({"train": {"rows": 5}, "holdout": {"rows": 3}}, []) is None
