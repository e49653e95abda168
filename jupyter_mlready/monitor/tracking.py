"""One MLflow run per monitored batch, under the model's experiment, so the MLflow UI charts
drift, null shares and violation rates across batches; and ``mlready monitor --history``.

Metric keys carry column names, which MLflow restricts (letters, digits, ``_ - . : /`` and
spaces, at most 250 characters). A column name that is not a valid key as it is gets a sanitized
key with a short hash of the real name, so two columns never share a key; every key's column is
in the run's ``metric_keys.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

from ..registry.versions import TAG

KIND_TAG = f"{TAG}kind"
MODEL_TAG = f"{TAG}monitor.model"
VERSION_TAG = f"{TAG}monitor.version"
VERDICT_TAG = f"{TAG}monitor.verdict"
SOURCE_TAG = f"{TAG}monitor.source"
ALERTS_TAG = f"{TAG}monitor.alerts"
KEYS_FILE = "metric_keys.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-.:/ ]")
MAX_NAME = 120  # characters of a column name kept in a key
BATCH = 1000  # metrics per log_batch call (MLflow's limit)


def metric_key(prefix: str, column: str) -> str:
    """``prefix.column`` when the column's name is a valid metric key as it is; otherwise its
    characters MLflow refuses become ``_`` and a hash of the real name is appended
    (``amount (€)`` → ``amount (_)-3fa1c2d0``): distinct columns never share a key."""
    name = str(column)
    safe = _UNSAFE.sub("_", name)
    if safe != name or len(name) > MAX_NAME or "//" in name or name.strip() != name:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        safe = f"{safe.strip()[: MAX_NAME - 10]}-{digest}".replace("//", "_/")
    return f"{prefix}.{safe}"


def _checks(doc: dict) -> dict[str, dict]:
    return {c["id"]: c for c in doc.get("checks") or [] if isinstance(c, dict) and "id" in c}


def batch_metrics(doc: dict, columns: list[str]) -> tuple[dict[str, float], dict[str, dict]]:
    """The metrics of one monitored batch and, per key, what it measures (column, quantity).

    Per contract column: its violation rate (0 when clean, so the chart is continuous), its
    share of missing values, PSI and KS D against training; per model output its PSI; with a
    target, each metric; and the batch's size, alerts and scoring time."""
    checks = _checks(doc)
    metrics: dict[str, float] = {}
    keys: dict[str, dict] = {}

    def put(prefix: str, column: str | None, quantity: str, value) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
            return
        key = metric_key(prefix, column) if column is not None else prefix
        metrics[key] = float(value)
        keys[key] = {"column": column, "quantity": quantity}

    contract = (checks.get("monitor.contract") or {}).get("evidence") or {}
    worst: dict[str, float] = {}
    for f in contract.get("failures") or []:
        worst[str(f.get("column"))] = max(worst.get(str(f.get("column")), 0.0), f.get("rate") or 0)
    for column in columns:
        put("violation_rate", column, "share of rows violating the contract", worst.get(column, 0))
    drift = (checks.get("monitor.drift") or {}).get("evidence") or {}
    for f in drift.get("features") or []:
        column = str(f.get("feature"))
        put("null_share", column, "share of missing values", f.get("null_share_holdout"))
        put("drift_psi", column, "PSI against training (noise-corrected)", f.get("psi"))
        put("drift_ks", column, "KS D against training", f.get("ks"))
    predictions = (checks.get("monitor.predictions") or {}).get("evidence") or {}
    for f in predictions.get("features") or []:
        put("prediction_psi", str(f.get("feature")), "PSI against the hold-out", f.get("psi"))
    for r in ((checks.get("monitor.performance") or {}).get("evidence") or {}).get("metrics") or []:
        put("performance", str(r.get("metric")), "metric on the labelled rows", r.get("value"))
    scoring = predictions.get("scoring") or {}
    put(
        "scoring_ms_per_row",
        None,
        "scoring time per row (monitoring machine)",
        scoring.get("ms_per_row"),
    )
    put(
        "batch_rows",
        None,
        "rows in the batch",
        (doc.get("data") or {}).get("batch", {}).get("rows"),
    )
    put(
        "alerts", None, "checks that alert", sum(c.get("status") == "fail" for c in checks.values())
    )
    return metrics, keys


def log_batch_run(client, version, doc: dict, out: Path, columns: list[str]) -> str:
    """Log one run for the batch under the version's experiment: tags, metrics, the key map and
    the documents; returns the run id. The run ends FAILED when logging did not finish."""
    from mlflow.entities import Metric, RunTag

    verdict = str(doc.get("verdict"))
    source = str(((doc.get("data") or {}).get("batch") or {}).get("source", ""))
    alerts = [c["id"] for c in _checks(doc).values() if c.get("status") == "fail"]
    tags = {
        KIND_TAG: "monitor",
        MODEL_TAG: version.name,
        VERSION_TAG: version.version,
        VERDICT_TAG: verdict,
        SOURCE_TAG: source[:500],
        ALERTS_TAG: ",".join(alerts)[:500],
        # one line per batch in the MLflow UI's run list: which version, which batch, verdict
        "mlflow.runName": f"monitor v{version.version} {Path(source).name or source} {verdict}"[
            :250
        ],
    }
    run = client.create_run(version.experiment_id, tags=tags)
    run_id = run.info.run_id
    try:
        metrics, keys = batch_metrics(doc, columns)
        now = int(time.time() * 1000)
        items = [Metric(k, v, now, 0) for k, v in metrics.items()]
        for start in range(0, len(items), BATCH):
            client.log_batch(run_id, metrics=items[start : start + BATCH])
        client.log_batch(run_id, tags=[RunTag(f"{TAG}monitor.metrics", str(len(items)))])
        (out / KEYS_FILE).write_text(json.dumps(keys, indent=1))
        for name in (KEYS_FILE, "monitor.json", "report.html", "summary.md"):
            if (out / name).exists():
                client.log_artifact(run_id, str(out / name))
    except Exception:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    return run_id


def history(client, name: str, last: int = 20) -> list[dict]:
    """The last ``last`` monitored batches of model ``name``, newest first."""
    versions = client.search_model_versions(f"name='{name}'")
    experiments = sorted({client.get_run(v.run_id).info.experiment_id for v in versions})
    if not experiments:
        return []
    runs = client.search_runs(
        experiments,
        filter_string=f"tags.`{KIND_TAG}` = 'monitor' and tags.`{MODEL_TAG}` = '{name}'",
        order_by=["attributes.start_time DESC"],
        max_results=last,
    )
    rows = []
    for r in runs:
        m, t = r.data.metrics, r.data.tags
        drift = {k: v for k, v in m.items() if k.startswith("drift_psi.")}
        top = max(drift, key=lambda k: drift[k]) if drift else None
        rows.append(
            {
                "started": time.strftime(
                    "%Y-%m-%d %H:%M:%S", time.gmtime(r.info.start_time / 1000)
                ),
                "version": t.get(VERSION_TAG, ""),
                "verdict": t.get(VERDICT_TAG, ""),
                "rows": int(m["batch_rows"]) if "batch_rows" in m else None,
                "alerts": t.get(ALERTS_TAG, ""),
                "top_drift": f"{top[len('drift_psi.') :]} {drift[top]:.3f}" if top else "",
                "source": t.get(SOURCE_TAG, ""),
                "run_id": r.info.run_id,
            }
        )
    return rows


def format_history(name: str, rows: list[dict]) -> str:
    """The batches as a plain-text table, newest first."""
    if not rows:
        return (
            f"No monitored batch of model '{name}' yet: run "
            f"`mlready monitor models:/{name}/VERSION DATA`."
        )
    header = (
        "started (UTC)",
        "version",
        "verdict",
        "rows",
        "alerts",
        "largest drift (PSI)",
        "batch",
    )
    table = [header] + [
        (
            r["started"],
            r["version"],
            r["verdict"],
            f"{r['rows']:,}" if r["rows"] is not None else "",
            r["alerts"] or "-",
            r["top_drift"],
            r["source"][-50:],
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
