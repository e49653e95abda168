"""Spark sessions: recognising a Spark frame, the settings of the session it is bound to, and a
session started from those settings in another kernel (the validation notebook, ``mlready
validate``). A notebook on a real cluster keeps its own session: the fresh kernel starts one with
the same master and configuration, so it reaches the same cluster and catalog."""

from __future__ import annotations

import os
import sys
from typing import Any

from ..errors import SparkError

#: Settings that belong to one running session (ids, ports, the driver's address, UI): never
#: copied into another session.
_EPHEMERAL_PREFIXES = (
    "spark.app.id",
    "spark.app.startTime",
    "spark.app.submitTime",
    "spark.app.initial",
    "spark.driver.host",
    "spark.driver.port",
    "spark.driver.blockManager",
    "spark.blockManager.port",
    "spark.executor.id",
    "spark.ui.",
    "spark.sql.warehouse.dir.default",
    "spark.repl.",
    "spark.submit.pyFiles",
    "spark.files",
    "spark.jars.ivySettings",
    "spark.driver.extraJavaOptions",
    "spark.executor.extraJavaOptions",
)


def is_spark_frame(obj: Any) -> bool:
    """A ``pyspark.sql.DataFrame`` (classic or Spark Connect), without importing pyspark when
    the object cannot be one."""
    module = type(obj).__module__ or ""
    if not module.startswith("pyspark."):
        return False
    from pyspark.sql import DataFrame

    if isinstance(obj, DataFrame):
        return True
    try:
        from pyspark.sql.connect.dataframe import DataFrame as ConnectFrame
    except Exception:  # noqa: BLE001 - Spark Connect's extra dependencies are not installed
        return False
    return isinstance(obj, ConnectFrame)


def require_alive(spark: Any, what: str = "the Spark session") -> None:
    """Raise a SparkError naming the cause when the session cannot run a job (stopped, its JVM
    gone)."""
    try:
        spark.range(1).count()
    except Exception as exc:  # noqa: BLE001 - py4j, Spark and OS errors all mean "dead"
        raise SparkError(
            f"{what} cannot run a job ({first_line(exc)}).",
            doing="checking the Spark session",
            cause=first_line(exc),
            remedy="Start the SparkSession again (re-run the notebook's set-up cell) and check "
            "again; on a cluster, check that the cluster is up.",
        ) from exc


def session_settings(spark: Any) -> dict:
    """What another kernel needs to start an equivalent session: the master and the
    configuration the notebook set, without what belongs to this one running session."""
    conf = dict(spark.sparkContext.getConf().getAll())
    kept = {
        k: v
        for k, v in sorted(conf.items())
        if not any(k.startswith(p) for p in _EPHEMERAL_PREFIXES)
    }
    return {
        "master": spark.sparkContext.master,
        "app_name": conf.get("spark.app.name", "mlready"),
        "spark_version": spark.version,
        "conf": kept,
    }


def start_session(settings: dict, app_name: str = "mlready-validation") -> Any:
    """A SparkSession with the recorded master and configuration (an active session with the
    same master is reused: a notebook re-run in-process, a test module's session)."""
    from pyspark.sql import SparkSession

    # in local mode the Python workers are this interpreter (its pandas, pyarrow, jupyter_mlready)
    # unless the notebook's session said otherwise (spark.pyspark.python, PYSPARK_PYTHON)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    if active is not None and active.sparkContext.master == settings.get("master"):
        require_alive(active)
        return active
    builder = SparkSession.builder.appName(app_name)
    if settings.get("master"):
        builder = builder.master(settings["master"])
    for key, value in (settings.get("conf") or {}).items():
        if key not in ("spark.master", "spark.app.name"):
            builder = builder.config(key, value)
    builder = builder.config("spark.ui.enabled", "false").config(
        "spark.ui.showConsoleProgress", "false"
    )
    return builder.getOrCreate()


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def _spark_raised(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it came from) was raised by Spark or its py4j bridge."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        module = type(e).__module__ or ""
        if isinstance(e, SparkError) or module.startswith(("pyspark", "py4j")):
            return True
        if "SparkContext" in str(e):
            return True
        e = e.__cause__ or e.__context__
    return False


def crash_reason(exc: BaseException) -> tuple[str, str] | None:
    """(summary, remedy) of a check that crashed because Spark failed under it — the session
    stopped or died mid-check, an executor was lost, or the model raised on a batch — or None
    when Spark had nothing to do with it."""
    from .scoring import model_error

    said = model_error(exc)
    if said is not None:
        return (
            f"The model could not score the Spark hold-out: {said}",
            "Score a few rows of the hold-out by hand (model.predict on a pandas slice) to see "
            "the failure; the check reads every row, so one bad batch is enough.",
        )
    if not _spark_raised(exc):
        return None
    return (
        f"Spark failed during the check, so it could not read its data: {first_line(exc)}",
        "The Spark session stopped or died (or its cluster went away) mid-check: start it "
        "again and re-run the check. A check that could not read the data is an error, never "
        "a pass.",
    )


def last_job_id(spark: Any) -> int:
    """The id of the newest Spark job the session has run (-1: none yet), to count the jobs
    after it with :func:`jobs_after`."""
    found = jobs_after(spark, -1, newest_only=True)
    return int(found["last"]) if found else -1


def jobs_after(spark: Any, after: int, *, newest_only: bool = False) -> dict | None:
    """The Spark jobs of ``spark`` with an id above ``after``: how many, and their wall time
    summed (submission to completion, from Spark's status store; our jobs run one at a time).
    Spark keeps the last ``spark.ui.retainedJobs`` (1,000) jobs. None when the session cannot
    say (stopped, Spark Connect)."""
    try:
        listed = spark.sparkContext._jsc.sc().statusStore().jobsList(None)
        count, millis, last = 0, 0, -1
        for i in range(listed.size()):
            job = listed.apply(i)
            job_id = int(job.jobId())
            last = max(last, job_id)
            if newest_only:
                continue
            if job_id <= after:
                continue
            count += 1
            started, ended = job.submissionTime(), job.completionTime()
            if started.isDefined() and ended.isDefined():
                millis += ended.get().getTime() - started.get().getTime()
    except Exception:  # noqa: BLE001 - a session that cannot say: no count rather than a wrong one
        return None
    return {"jobs": count, "seconds": round(millis / 1000, 3), "last": last}
