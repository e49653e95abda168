"""``mlready monitor``'s edges: reading batches, MLflow metric keys for any column name, the
history table, and the monitor document rendered by the readiness renderers."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_mlready.errors import UsageError
from jupyter_mlready.monitor.batch import BatchReadError, read_batch, split_batch
from jupyter_mlready.monitor.tracking import batch_metrics, format_history, metric_key


def test_metric_keys_are_valid_and_distinct_for_any_column_name():
    from mlflow.utils.validation import _validate_metric_name

    names = [
        "amount",
        "amount (€)",
        "amount (£)",
        "a//b",
        " padded ",
        "x" * 400,
        "x" * 399 + "y",
        "日付",
        "col\nwith newline",
        "ok.name-with:colon/slash 1",
    ]
    keys = [metric_key("drift_psi", n) for n in names]
    assert len(set(keys)) == len(names)
    for key in keys:
        _validate_metric_name(key)  # raises on a key MLflow refuses
        assert len(key) <= 250
    assert metric_key("drift_psi", "amount") == "drift_psi.amount"  # readable when it can be


def test_batch_metrics_map_every_key_back_to_its_column():
    doc = {
        "data": {"batch": {"rows": 10}},
        "checks": [
            {
                "id": "monitor.contract",
                "status": "fail",
                "evidence": {"failures": [{"column": "amount (€)", "rate": 0.4}]},
            },
            {
                "id": "monitor.drift",
                "status": "pass",
                "evidence": {
                    "features": [
                        {"feature": "amount (€)", "psi": 0.2, "ks": 0.1, "null_share_holdout": 0.4}
                    ]
                },
            },
        ],
    }
    metrics, keys = batch_metrics(doc, ["amount (€)", "region"])
    violation = metric_key("violation_rate", "amount (€)")
    assert metrics[violation] == 0.4 and keys[violation]["column"] == "amount (€)"
    assert metrics[metric_key("violation_rate", "region")] == 0.0  # continuous charts
    assert metrics["alerts"] == 1.0 and metrics["batch_rows"] == 10.0
    assert keys[metric_key("drift_psi", "amount (€)")]["column"] == "amount (€)"


def test_read_batch_parquet_file_folder_and_csv(tmp_path):
    frame = pd.DataFrame(
        {
            "zip": ["01234", "99999"],
            "when": pd.to_datetime(["2024-01-02", "2024-03-04"]),
            "x": [1.5, 2.5],
        }
    )
    frame.to_parquet(tmp_path / "one.parquet")
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.to_parquet(folder / "part-0.parquet")
    frame.to_parquet(folder / "part-1.parquet")
    frame.to_csv(tmp_path / "b.csv", index=False)
    kinds = {"zip": "string", "when": "datetime", "x": "float"}
    assert read_batch(tmp_path / "one.parquet").rows == 2
    assert read_batch(folder).rows == 4
    csv = read_batch(str(tmp_path / "b.csv"), kinds=kinds).frame
    # CSV has no types: the contract's say a zip code stays text and a date is a date
    assert csv["zip"].tolist() == ["01234", "99999"]
    assert pd.api.types.is_datetime64_any_dtype(csv["when"])


def test_read_batch_errors_name_the_cause(tmp_path):
    with pytest.raises(BatchReadError, match="does not exist"):
        read_batch(tmp_path / "nope.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(BatchReadError, match="could not be read as parquet"):
        read_batch(tmp_path / "broken.parquet")
    (tmp_path / "data.xlsx").write_bytes(b"")
    with pytest.raises(UsageError, match="Cannot tell the format"):
        read_batch(tmp_path / "data.xlsx")
    with pytest.raises(UsageError, match="DataFrame or the path"):
        read_batch(42)


def test_split_batch_finds_the_target_and_ignores_extra_columns():
    from jupyter_mlready.monitor.batch import LiveBatch

    batch = LiveBatch(pd.DataFrame({"a": [1], "b": [2], "label": [0], "id": [7]}), "x", "dataframe")
    ds, facts = split_batch(batch, ["a", "b"], None, "label")
    assert list(ds.X.columns) == ["a", "b"] and ds.y.tolist() == [0]
    assert facts["target"] == "label" and facts["ignored_columns"] == ["id"]
    with pytest.raises(UsageError, match="'y' is not a column"):
        split_batch(batch, ["a", "b"], "y", None)


def test_history_table_lists_newest_first():
    rows = [
        {
            "started": "2026-12-02 10:00:00",
            "version": "3",
            "verdict": "alert",
            "rows": 5000,
            "alerts": "monitor.drift",
            "top_drift": "days_to_report 5.477",
            "source": "week_02.parquet",
            "run_id": "r2",
        },
    ]
    text = format_history("fraud", rows)
    assert "alert" in text and "5,000" in text and "days_to_report 5.477" in text
    assert "No monitored batch" in format_history("fraud", [])


def test_a_monitor_document_renders_without_a_scorecard(tmp_path):
    from jupyter_mlready.report import write_reports

    doc = {
        "schema_version": 2,
        "kind": "monitor",
        "verdict": "alert",
        "model": {"name": "fraud", "version": "3"},
        "data": {"batch": {"rows": 5000, "columns": 11}},
        "checks": [
            {
                "id": "monitor.drift",
                "status": "fail",
                "summary": "1 feature(s) shifted strongly from training: 'days_to_report'.",
                "evidence": {"features": [{"feature": "days_to_report", "psi": 5.4}]},
            }
        ],
    }
    paths = write_reports(doc, tmp_path)
    html = paths["html"].read_text()
    assert "ALERT" in html and "ML Test Score" not in html
    assert "Drift between training and this batch" in html
    md = paths["markdown"].read_text()
    assert "🚨" in md and "monitor.json" in md and "ML Test Score" not in md


def test_the_notebook_view_of_a_monitored_batch(tmp_path):
    """%mlready monitor's widget: its own stages, the monitor's verdict, links to monitor.json."""
    from jupyter_mlready import readiness as rd
    from jupyter_mlready.magics import MONITOR_STAGES
    from jupyter_mlready.monitor.run import write_monitor_document
    from jupyter_mlready.widget import ReadinessView

    view = ReadinessView(stages=MONITOR_STAGES)
    assert view.stages == list(MONITOR_STAGES)
    view.progress("reference", "loading models:/fraud/3", 0.0)
    view.progress("checks", "checking the batch", 0.0)
    doc = {
        "schema_version": 2,
        "kind": "monitor",
        "verdict": "alert",
        "model": {"name": "fraud", "task": "classification", "flavor": "sklearn"},
        "data": {"batch": {"rows": 10, "columns": 2}},
        "timings": {"reference": 1.5, "batch": 0.1, "checks": 0.4},
        "checks": [
            {"id": "monitor.contract", "status": "fail", "summary": "'age' arrives as text."}
        ],
    }
    result = write_monitor_document(doc, tmp_path)
    assert isinstance(result, rd.Readiness) and result.exit_code == 1
    view.show(result)
    assert view.rows["reference"][1].value == "done in 1.50 s"
    assert view.rows["log"][1].value == "skipped (not run)"
    assert 'data-verdict="alert"' in view.header.value
    bundle = view.bundle(result)
    assert "monitor.json" in bundle["text/html"] and bundle["text/plain"].startswith(
        "mlready: ALERT"
    )


def test_a_crash_of_the_tool_is_an_error_not_an_alert(tmp_path, monkeypatch):
    """Exit 1 means the batch is bad; anything the tool itself could not do is exit 2."""
    import jupyter_mlready.monitor.reference as reference
    from jupyter_mlready.monitor import monitor

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the version lookup")

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlruns.db'}")
    monkeypatch.setattr(reference, "resolve_version", broken)
    result = monitor("models:/fraud/1", pd.DataFrame({"a": [1]}), out=tmp_path / "out")
    assert result.verdict == "error" and result.exit_code == 2
    assert result.data["error"]["type"] == "RuntimeError"
    assert (tmp_path / "out" / "monitor.json").exists()
