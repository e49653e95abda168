"""readiness.json: build, write, read. The machine-readable result of a check.

Schema versions (``jupyter_mlready/schema/readiness.schema.json`` describes both; readers keep
reading every version listed in ``READABLE``):

- 1: the first shape.
- 2: ``error`` keeps the failing exception's ``remedy`` and ``fields`` (role, candidates, flag,
  cell index, ...); the validation notebook's sections are the registry's (e.g.
  ``reproducibility`` for the fresh-kernel check); ``artifact.hand_off`` is the plan the hand-off
  carried out (``moved``, ``previous_holder``, ``holder``, ``why``) and ``artifact.results_logged``
  lists every file logged with it, the reports included (no more ``reports_logged``).
- 3: a check's status may be ``waived``: a warn or fail the policy's ``waive`` list accepts;
  its ``waiver`` says the original status, the note, and the waivers (reason, owner, expires).
  A document is written as version 3 only when a check is waived; the additions older readers
  skip (``counts`` per status, ``waivers``: what became of each policy waiver, a check's
  ``waiver`` record of an expired or unapplied waiver) also appear in version 2 documents.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from .records import RECORD_STATUSES, CheckResult
from .stages.gate import EXIT_CODES, apply_waivers, decide, waiver_report

#: ``mlready monitor``'s verdicts (monitor.json has this document's shape)
MONITOR_EXIT_CODES = {"ok": 0, "alert": 1, "error": 2}
SCHEMA_VERSION = 3  # the newest version written (see the module docstring)
READABLE = (1, 2, 3)  # schema versions this jupyter_mlready reads
FILENAME = "readiness.json"


def to_jsonable(obj):
    """Make numpy / pandas / float('nan') values JSON-safe (NaN and inf become strings)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    np = sys.modules.get("numpy")  # without numpy loaded there is no numpy value to convert
    if np is not None and isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if np is not None and isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


@dataclass(frozen=True)
class Readiness:
    """The outcome of a check: the readiness.json document and where it was written."""

    data: dict
    out: Path | None = None

    @property
    def verdict(self) -> str:
        return self.data["verdict"]

    @property
    def exit_code(self) -> int:
        """0 ready / ok, 1 not ready / alert, 2 error."""
        return {**EXIT_CODES, **MONITOR_EXIT_CODES}.get(self.verdict, 2)

    @property
    def checks(self) -> list[dict]:
        return self.data.get("checks", [])

    def check(self, check_id: str) -> dict:
        for c in self.checks:
            if c["id"] == check_id:
                return c
        raise KeyError(check_id)

    def failing(self) -> list[dict]:
        return [c for c in self.checks if c["status"] in ("fail", "error")]

    def waived(self) -> list[dict]:
        """The findings the policy waived (their ``waiver`` says what and until when)."""
        return [c for c in self.checks if c["status"] == "waived"]

    def summary_text(self) -> str:
        """A terminal summary: verdict, counts, the error and its remedy, every non-pass check."""
        from .report.text import summary_text

        return summary_text(self.data, self.out)

    def __repr__(self) -> str:
        failing, total = len(self.failing()), len(self.checks)
        return f"<Readiness {self.verdict}: {failing} failing of {total} checks>"

    def _repr_pretty_(self, p, cycle):  # IPython
        p.text(self.summary_text())


def _waivers(raw: object) -> tuple[list, list[dict]]:
    """The policy values' ``waive`` list as Waivers, and a report item for each entry that is
    not a valid waiver (it applies to nothing)."""
    from .errors import PolicyError
    from .policy import Waiver, policy_from_dict

    waivers: list[Waiver] = []
    invalid: list[dict] = []
    for item in raw if isinstance(raw, (list, tuple)) else ():
        if isinstance(item, Waiver):
            waivers.append(item)
            continue
        try:
            waivers += policy_from_dict({"waive": [item]}, "the policy's waive list").waive
        except PolicyError as exc:
            check = item.get("check") if isinstance(item, dict) else None
            invalid.append({"check": str(check), "state": "invalid", "note": str(exc)})
    return waivers, invalid


def _known_check_ids() -> set[str]:
    try:
        from .checks import load_checks
        from .checks.registry import EVERYWHERE

        return {s.id for s in load_checks(where=EVERYWHERE)}
    except Exception:  # noqa: BLE001 - then only the ids in the document count as known
        return set()


def build(
    checks: list[CheckResult],
    *,
    model: dict | None,
    data: dict | None,
    timings: dict,
    provenance: dict,
    policy: dict | None,
    discovery: dict | None,
    strict: bool,
    error: dict | None = None,
    extra: dict | None = None,
    today: dt.date | None = None,
) -> dict:
    """The readiness document. The waivers in ``policy["values"]["waive"]`` are applied to
    ``checks`` (``stages.gate.apply_waivers``; results the gate already waived stay as they
    are) as of ``today``, before the verdict is decided."""
    today = today or dt.date.today()
    waivers, invalid = _waivers(((policy or {}).get("values") or {}).get("waive"))
    checks = list(apply_waivers(checks, waivers, today))
    verdict = "error" if error else decide(checks, strict)
    counts = dict.fromkeys(RECORD_STATUSES, 0)
    for c in checks:
        counts[c.status] = counts.get(c.status, 0) + 1
    doc = {
        "schema_version": SCHEMA_VERSION if counts["waived"] else 2,
        "verdict": verdict,
        "counts": counts,
        "model": model or {},
        "data": data or {},
        "checks": [c.to_dict() for c in checks],
        "timings": {
            k: round(v, 4) if isinstance(v, (int, float)) else v for k, v in timings.items()
        },
        "provenance": provenance,
        "policy": policy or {},
        "discovery": discovery or {},
    }
    if waivers or invalid or any(c.waiver for c in checks):
        known = _known_check_ids() if waivers else set()
        doc["waivers"] = {
            "date": today.isoformat(),
            "items": waiver_report(checks, waivers, today, known) + invalid,
        }
    if error is None and verdict == "error":  # every error document says what went wrong
        error = _checks_error(checks)
    if error:
        doc["error"] = error
    if extra:
        doc.update(extra)
    if doc.get("kind") != "monitor":  # a monitored batch is not a readiness review
        doc["scorecard"] = _scorecard(doc)
    return to_jsonable(doc)


def _scorecard(doc: dict) -> dict:
    """The ML Test Score scorecard of ``doc`` (``report.scorecard.document_scorecard``)."""
    from .report.scorecard import document_scorecard

    try:
        return document_scorecard(doc)
    except Exception as exc:  # noqa: BLE001 - a broken plugin's score claim must not lose the run
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}


def _checks_error(checks: list) -> dict:
    """The document's ``error`` when no stage failed but checks could not decide."""
    failed = [c for c in checks if c.status == "error"]
    first = failed[0] if failed else None
    return {
        "stage": "checks",
        "type": "CheckError",
        "message": f"{len(failed)} check(s) could not decide: "
        + "; ".join(f"{c.id}: {c.summary}" for c in failed[:3])
        + (" ..." if len(failed) > 3 else ""),
        "remedy": (first.remedy if first is not None and first.remedy else None)
        or "See each check's remedy in the report.",
        "fields": {"checks": [c.id for c in failed]},
    }


def write(doc: dict, out: Path, filename: str = FILENAME) -> Path:
    """Write ``out/readiness.json`` (or ``filename``: monitor.json) atomically (a temporary
    file, then a rename).

    Raises:
        OutputError: the folder cannot be created or the file written (a full disk, a path
            under a regular file, no permission); it names the file and the reason.
    """
    from .errors import output_error

    path = out / filename
    tmp = path.with_suffix(".json.tmp")
    text = json.dumps(doc, indent=2, allow_nan=False)
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text)
        tmp.replace(path)
    except OSError as exc:
        raise output_error(path, exc) from None
    return path


def read(path: str | Path) -> Readiness:
    p = Path(path)
    if p.is_dir():
        p = p / FILENAME
    return Readiness(json.loads(p.read_text()), p.parent)
