"""The hand-off: the version is tagged with its verdict, everything is logged, and the alias
moves last — only when the verdict is ready.

Two steps, so that readiness.json is written once and the copy logged into the run is the copy on
disk:

1. :func:`plan_hand_off` (before readiness.json is written) reads who holds the alias and decides
   what will happen; it refuses when the holder changed since the champion was compared (MLflow
   has no compare-and-set for aliases, so the holder is read again here and once more just before
   the move).
2. :func:`deliver` (after readiness.json and the reports are written) tags the version and the
   run, logs the metrics and the result files, and then moves the alias as the very last call.

Any failure in :func:`deliver` ends as verdict "error": the local readiness.json says so, the
version is tagged with what happened, and the alias is untouched — or, when the failure came
after the move, restored to the previous holder if it still points at this version.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import RegistryError
from .artifact import ArtifactRecord, holdout_metrics
from .store import client_for, describe_failure, http_limits
from .versions import TAG, current_holder, now_iso

RESULT_FILES = ("readiness.json", "report.html", "summary.md")


@dataclass(frozen=True)
class HandOff:
    """What the hand-off does with the alias: ``move`` it to this version, or leave it (``why``)."""

    alias: str
    move: bool
    previous_holder: str | None
    why: str
    #: a re-checked version that holds the alias but is no longer ready gives it back: to this
    #: version (the newest older ready one), or to none (the alias is removed)
    take_back: bool = False
    back_to: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["moved"] = d.pop("move")
        return d


class HandOffError(RegistryError):
    """The alias cannot be moved safely (it moved since the champion comparison)."""


def _version_of(uri: str | None) -> str | None:
    return uri.rstrip("/").rsplit("/", 1)[-1] if uri else None


def plan_hand_off(record: ArtifactRecord, verdict: str, alias: str) -> HandOff:
    """Decide what the hand-off will do with ``alias``; reads the registry, changes nothing.

    Raises:
        HandOffError: the alias moved to another version since the champion was compared.
        RegistryError: the registry is unreachable.
    """
    if not record.registered:  # --no-hand-off: nothing was registered, nothing can move
        why = (
            "--no-hand-off (or a live kernel whose model the fresh re-run does not reproduce): "
            "the model was logged in its run, no version registered"
        )
        return HandOff(alias, False, None, why)
    try:
        with http_limits():
            holder = current_holder(client_for(record.store), record.name, alias)
    except RegistryError:
        raise
    except Exception as exc:
        raise describe_failure(
            record.store, exc, f"reading the '{alias}' alias", after_check=True
        ) from None
    compared = _version_of(record.champion_uri)
    if verdict != "ready" and holder == record.version:  # a re-checked version, no longer ready
        try:
            with http_limits():
                back_to = newest_ready_before(client_for(record.store), record.name, record.version)
        except Exception as exc:
            raise describe_failure(
                record.store, exc, "finding the version to give the alias back to", True
            ) from None
        why = (
            f"verdict is {verdict}: this version held the '{alias}' alias and gives it back "
            f"to {'version ' + back_to if back_to else 'no version (the alias is removed)'}"
        )
        return HandOff(alias, False, holder, why, take_back=True, back_to=back_to)
    if verdict != "ready":
        return HandOff(alias, False, holder, f"verdict is {verdict}: the alias stays where it was")
    if holder is not None and int(holder) > int(record.version):
        return HandOff(alias, False, holder, f"a newer version ({holder}) already holds the alias")
    if holder != compared and holder != record.version:
        raise HandOffError(
            f"The '{alias}' alias of '{record.name}' moved to version {holder or '(none)'} while "
            f"this check compared against version {compared or '(none)'}: the comparison is stale, "
            "so the alias was not moved. Re-run the check to compare against the new holder.",
            tracking_uri=record.store.tracking_uri,
            doing="moving the alias",
        )
    return HandOff(alias, True, holder, "verdict is ready")


def newest_ready_before(client, name: str, version: str) -> str | None:
    """The newest version older than ``version`` whose verdict tag says ready (or None)."""
    ready = [
        int(v.version)
        for v in client.search_model_versions(f"name='{name}'")
        if v.tags.get(f"{TAG}verdict") == "ready" and int(v.version) < int(version)
    ]
    return str(max(ready)) if ready else None


def files_to_log(out: Path) -> list[Path]:
    """readiness.json, the reports and the executed notebooks in ``out``, as logged into the run.

    When the data hold personal data (the bundle's ``personal_data``), the notebooks are logged
    without their outputs: a cell's output (``df.head()``) shows raw rows, and the registry is
    where data leaks to. The copies in ``out`` keep their outputs."""
    notebooks = sorted(out.glob("*.ipynb"))
    personal = _personal_data(out)
    if personal:
        notebooks = [_without_outputs(p, out / "logged", personal) for p in notebooks]
    return [out / n for n in RESULT_FILES if (out / n).exists()] + notebooks


def _personal_data(out: Path) -> list[str]:
    """The columns the bundle records as personal data ([] when none, or no bundle)."""
    try:
        meta = json.loads((out / "bundle" / "subject.json").read_text())
    except (OSError, ValueError):
        return []
    found = meta.get("personal_data") if isinstance(meta, dict) else None
    return sorted(map(str, found)) if isinstance(found, dict) else []


def _without_outputs(path: Path, folder: Path, columns: list[str]) -> Path:
    """A copy of the notebook at ``path`` with every output removed and a first cell saying why."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    note = (
        "**Outputs removed by jupyter_mlready before logging**: the data hold personal data "
        f"({', '.join(columns[:10])}), and cell outputs can show raw rows. The copy in the "
        "check's output folder keeps them."
    )
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / path.name
    nbformat.write(nb, copy)
    return copy


def hand_off_record(record: ArtifactRecord, plan: HandOff, doc_checks: list[dict], out: Path):
    """readiness.json's ``artifact`` section, as it will be once :func:`deliver` succeeds."""
    facts = record.to_dict()
    holder = record.version if plan.move else plan.previous_holder
    facts["hand_off"] = {**plan.to_dict(), "holder": plan.back_to if plan.take_back else holder}
    facts["metrics_logged"] = sorted(f"holdout.{k}" for k in holdout_metrics(doc_checks))
    names = [n for n in RESULT_FILES] + sorted(p.name for p in out.glob("*.ipynb"))
    facts["results_logged"] = list(dict.fromkeys(names))
    return facts


def deliver(
    record: ArtifactRecord, plan: HandOff, verdict: str, checks: list[dict], out: Path
) -> dict | None:
    """Tag, log the metrics and the result files, then move the alias (last). Returns None when
    everything succeeded, else the error record (the caller rewrites readiness.json with it)."""
    name, version, alias = record.name, record.version, plan.alias
    doing = f"handing off version {version} of '{name}'"
    moved = False
    try:
        with http_limits():
            client = client_for(record.store)
            at = now_iso()
            doing = "tagging the version"
            if record.registered:
                client.set_model_version_tag(name, version, f"{TAG}verdict", verdict)
                client.set_model_version_tag(name, version, f"{TAG}checked_at", at)
                if not plan.move:  # why the alias stays where it is, on the version itself
                    client.set_model_version_tag(name, version, f"{TAG}hand_off", plan.why[:4000])
            client.set_tag(record.run_id, f"{TAG}verdict", verdict)
            doing = "logging the metrics"
            _log_metrics(client, record, holdout_metrics(checks))
            doing = "logging the results"
            for p in files_to_log(out):
                client.log_artifact(record.run_id, str(p))
            client.set_terminated(record.run_id, "FINISHED")
            if plan.take_back:
                doing = f"giving the '{alias}' alias back"
                if current_holder(client, name, alias) == version:
                    if plan.back_to is None:
                        client.delete_registered_model_alias(name, alias)
                    else:
                        client.set_registered_model_alias(name, alias, plan.back_to)
            if plan.move:
                doing = f"moving the '{alias}' alias"
                holder = current_holder(client, name, alias)
                if holder != plan.previous_holder:
                    raise HandOffError(
                        f"The '{alias}' alias moved to version {holder} during the hand-off: "
                        "it was not moved. Re-run the check.",
                        tracking_uri=record.store.tracking_uri,
                        doing=doing,
                    )
                client.set_registered_model_alias(name, alias, version)
                moved = True
                client.set_model_version_tag(name, version, f"{TAG}alias_moved_at", at)
        return None
    except Exception as exc:
        error = (
            exc
            if isinstance(exc, RegistryError)
            else describe_failure(record.store, exc, doing, after_check=True)
        )
        restored = _restore(record, plan) if moved else None
        _tag_failure(record, str(error), restored)
        return {
            "stage": "hand_off",
            "type": type(error).__name__,
            "message": str(error),
            "remedy": "Everything computed is in --out; the alias was not left on this version. "
            "Fix the registry problem above and re-run the check.",
            "fields": {"doing": doing, "alias_restored": restored},
        }


def _log_metrics(client, record: ArtifactRecord, metrics: dict) -> None:
    if not metrics:
        return
    from mlflow.entities import Metric

    ts = int(time.time() * 1000)
    client.log_batch(
        record.run_id, metrics=[Metric(f"holdout.{k}", v, ts, 0) for k, v in metrics.items()]
    )


def _restore(record: ArtifactRecord, plan: HandOff) -> bool:
    """Put the alias back on the previous holder if it still points at this version."""
    try:
        with http_limits():
            client = client_for(record.store)
            if current_holder(client, record.name, plan.alias) != record.version:
                return False
            if plan.previous_holder == record.version:  # a re-checked version: give it back
                back_to = newest_ready_before(client, record.name, record.version)
                if back_to is None:
                    client.delete_registered_model_alias(record.name, plan.alias)
                else:
                    client.set_registered_model_alias(record.name, plan.alias, back_to)
            elif plan.previous_holder is None:
                client.delete_registered_model_alias(record.name, plan.alias)
            else:
                client.set_registered_model_alias(record.name, plan.alias, plan.previous_holder)
            return True
    except Exception:  # noqa: BLE001 - reported through the tag and readiness.json
        return False


def _tag_failure(record: ArtifactRecord, message: str, restored: bool | None) -> None:
    """Best effort: the version says the hand-off failed (the registry may be what failed)."""
    try:
        with http_limits():
            client = client_for(record.store)
            client.set_tag(record.run_id, f"{TAG}verdict", "error")
            if not record.registered:
                return
            client.set_model_version_tag(record.name, record.version, f"{TAG}verdict", "error")
            what = message[:4000] + (
                f" (alias restored: {restored})" if restored is not None else ""
            )
            client.set_model_version_tag(record.name, record.version, f"{TAG}hand_off_failed", what)
    except Exception:  # noqa: BLE001 - the local readiness.json carries the error
        pass


def relog_results(record: ArtifactRecord, out: Path) -> None:
    """Best effort after a failed hand-off: the run gets the corrected readiness.json and
    reports."""
    try:
        with http_limits():
            client = client_for(record.store)
            for p in files_to_log(out):
                client.log_artifact(record.run_id, str(p))
            client.set_terminated(record.run_id, "FAILED")
    except Exception:  # noqa: BLE001 - the local copy is authoritative when the registry is down
        pass
