"""The report stage: the one readiness document of a run, assembled from the stages' records,
and written once — readiness.json, then report.html and summary.md rendered from it
(``jupyter_mlready.report``)."""

from __future__ import annotations

import traceback
from pathlib import Path

from .. import readiness as rd
from ..errors import MlreadyError
from ..provenance import frame_sha256
from ..records import Subject


def error_record(stage: str, exc: BaseException) -> dict:
    """readiness.json's ``error``: the stage, the exception's type and message, and for an error
    of ours its remedy and fields (role, candidates, flag, cell index, ...)."""
    record: dict = {"stage": stage, "type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, MlreadyError):
        record["remedy"] = exc.remedy
        record["fields"] = exc.fields()
    else:  # a bug of ours or a broken object: the traceback helps
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        record["traceback"] = "".join(tb)[-4000:]
    return record


def model_record(subject: Subject | None, name: str | None) -> dict:
    """readiness.json's ``model`` before anything is logged."""
    if subject is None:
        return {"name": name} if name else {}
    return {
        "name": name or subject.model_var,
        "var": subject.model_var,
        "task": subject.task,
        "flavor": subject.model.flavor,
        "class": subject.model.class_name,
        "uri": None,
        "classes": list(subject.model.classes) if subject.model.classes is not None else None,
        "target": subject.target_name,
    }


def data_record(subject: Subject | None) -> dict:
    """readiness.json's ``data``: rows, columns and fingerprint of train and hold-out."""
    if subject is None:
        return {}
    out = {}
    for role, ds in (("train", subject.train), ("holdout", subject.holdout)):
        if ds.spark is not None:  # the whole input: exact count, fingerprint by Spark
            from ..spark.inputs import data_facts

            out[role] = {**data_facts(ds), "x": ds.x_var, "y": ds.y_var}
            continue
        out[role] = {
            "rows": ds.rows,
            "columns": int(ds.X.shape[1]),
            "sha256": frame_sha256(ds.X, ds.y),
            "x": ds.x_var,
            "y": ds.y_var,
        }
    return out


def write_document(doc: dict, out: Path) -> rd.Readiness:
    """readiness.json, then report.html and summary.md rendered from it."""
    from ..report import write_reports_safely  # never raises: it says what failed

    rd.write(doc, out)
    failed = write_reports_safely(doc, out)
    if failed:  # the reports could not be rendered: the document says so
        doc = {**doc, "report_error": failed}
        rd.write(doc, out)
    return rd.Readiness(doc, out)
