"""A check's result read on the seeded sample of a Spark input says so (no pyspark needed: the
rule reads only the records)."""

from types import SimpleNamespace

from jupyter_mlready.checks import Finding, load_checks
from jupyter_mlready.checks.registry import _sampled
from jupyter_mlready.records import SparkData


def _spark_data(rows: int, sample: int) -> SparkData:
    return SparkData(
        frame=None,
        reference=SimpleNamespace(rows=rows),
        features=("a",),
        target="y",
        null_counts={},
        sample_rows=sample,
        seed=3,
    )


def _spec(check_id: str):
    return next(s for s in load_checks() if s.id == check_id)


def test_an_exact_check_that_read_the_sample_says_so():
    # only the hold-out is a Spark frame: leakage.overlap cannot take its Spark path
    ctx = SimpleNamespace(
        train=SimpleNamespace(spark=None), holdout=SimpleNamespace(spark=_spark_data(9000, 1000))
    )
    summary, evidence = _sampled(_spec("leakage.overlap"), ctx, Finding("pass", "No copies."))
    assert summary == (
        "No copies (Spark input: read on a seeded sample of 1,000 of 9,000 rows, seed 3)."
    )
    assert evidence["spark_sample"] == {"holdout": {"rows": 1000, "of": 9000, "seed": 3}}


def test_an_exact_result_and_a_whole_frame_sample_carry_no_note():
    ctx = SimpleNamespace(
        train=SimpleNamespace(spark=_spark_data(9000, 1000)),
        holdout=SimpleNamespace(spark=_spark_data(9000, 1000)),
    )
    exact = Finding("pass", "No copies.", {"engine": {"name": "spark"}})
    assert _sampled(_spec("leakage.overlap"), ctx, exact) == ("No copies.", exact.evidence)
    whole = SimpleNamespace(
        train=SimpleNamespace(spark=_spark_data(500, 500)),
        holdout=SimpleNamespace(spark=_spark_data(500, 500)),
    )
    plain = Finding("pass", "Fast enough.")
    assert _sampled(_spec("latency"), whole, plain) == ("Fast enough.", {})
