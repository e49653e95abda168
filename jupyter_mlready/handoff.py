"""The hand-off: once the verdict is decided, tag the version and move the alias only when ready.

``finish_hand_off`` is what the pipeline calls after the verdict (and after any validation stage):
it fills readiness.json's ``model`` and ``artifact`` sections, tags the version, moves the alias,
writes readiness.json into ``--out`` and logs it (with the reports and executed notebooks) into
the run. A registry failure turns the verdict into "error"; readiness.json is written anyway.
"""

from __future__ import annotations

import time
from pathlib import Path

from . import readiness as rd
from .artifact import ArtifactRecord, holdout_metrics
from .errors import RegistryError
from .registry import TAG, current_holder, now_iso
from .store import client_for, describe_failure, http_limits

RESULT_FILES = ("readiness.json", "report.html", "summary.md")


def hand_off(record: ArtifactRecord, verdict: str, alias: str) -> dict:
    """Tag the version with the verdict; move ``alias`` to it only when the verdict is ready.

    The alias only moves forward: when a newer version already holds it (two checks at once),
    it stays there. Returns what happened, for readiness.json.
    """
    client = client_for(record.store)
    name, version = record.name, record.version
    try:
        at = now_iso()
        client.set_model_version_tag(name, version, f"{TAG}verdict", verdict)
        client.set_model_version_tag(name, version, f"{TAG}checked_at", at)
        client.set_tag(record.run_id, f"{TAG}verdict", verdict)
        holder = current_holder(client, name, alias)
        result = {"alias": alias, "moved": False, "previous_holder": holder, "holder": holder}
        if verdict != "ready":
            result["why"] = f"verdict is {verdict}: the alias stays where it was"
        elif holder is not None and int(holder) > int(version):
            result["why"] = f"a newer version ({holder}) already holds the alias"
        else:
            client.set_registered_model_alias(name, alias, version)
            client.set_model_version_tag(name, version, f"{TAG}alias_moved_at", at)
            result.update(moved=True, holder=version, why="verdict is ready")
        return result
    except Exception as exc:
        raise describe_failure(
            record.store, exc, f"handing off version {version} of '{name}'", after_check=True
        ) from None


def log_metrics(record: ArtifactRecord, metrics: dict) -> list[str]:
    """The gate's hold-out metrics as the run's metrics (``holdout.<name>``)."""
    if not metrics:
        return []
    from mlflow.entities import Metric

    client = client_for(record.store)
    ts = int(time.time() * 1000)
    try:
        client.log_batch(
            record.run_id, metrics=[Metric(f"holdout.{k}", v, ts, 0) for k, v in metrics.items()]
        )
    except Exception as exc:
        raise describe_failure(
            record.store, exc, f"logging metrics into run {record.run_id}", after_check=True
        ) from None
    return sorted(f"holdout.{k}" for k in metrics)


def log_results(record: ArtifactRecord, out: Path, status: str = "FINISHED") -> list[str]:
    """Add readiness.json, the reports and executed notebooks in ``out`` to the run; close it."""
    client = client_for(record.store)
    files = [out / n for n in RESULT_FILES if (out / n).exists()] + sorted(out.glob("*.ipynb"))
    try:
        for p in files:
            client.log_artifact(record.run_id, str(p))
        client.set_terminated(record.run_id, status)
    except Exception as exc:
        raise describe_failure(
            record.store, exc, f"logging the results into run {record.run_id}", after_check=True
        ) from None
    return [p.name for p in files]


def finish_hand_off(record: ArtifactRecord, doc: dict, out: Path, alias: str) -> dict:
    """Tag, move the alias if ready, write and log readiness.json. Returns the updated document."""
    t = time.perf_counter()
    doc.setdefault("model", {}).update(
        uri=record.model_uri,
        version=record.version,
        run_id=record.run_id,
        tracking_uri=record.store.tracking_uri,
    )
    doc["artifact"] = record.to_dict()
    try:
        with http_limits():
            doc["artifact"]["hand_off"] = hand_off(record, doc["verdict"], alias)
            doc["artifact"]["metrics_logged"] = log_metrics(
                record, holdout_metrics(doc.get("checks", []))
            )
            doc["timings"]["hand_off"] = round(time.perf_counter() - t, 4)
            rd.write(doc, out)
            doc["artifact"]["results_logged"] = log_results(record, out)
    except RegistryError as exc:
        doc["error"] = {"stage": "hand_off", "type": type(exc).__name__, "message": str(exc)}
        doc["verdict"] = "error"
        doc["artifact"]["hand_off"] = {"alias": alias, "moved": False, "why": str(exc)}
    doc["timings"]["hand_off"] = round(time.perf_counter() - t, 4)
    rd.write(doc, out)
    return doc


def log_reports(record: ArtifactRecord, out: Path) -> list[str]:
    """Add report.html / summary.md (written after the hand-off) to the run. Never raises."""
    names = []
    try:
        with http_limits():
            client = client_for(record.store)
            for name in ("report.html", "summary.md"):
                if (out / name).exists():
                    client.log_artifact(record.run_id, str(out / name))
                    names.append(name)
    except Exception:  # the verdict is decided; a missing report copy in the run is not an error
        pass
    return names
