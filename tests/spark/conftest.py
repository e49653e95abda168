"""One local Spark session per test module (``local[2]``, no UI), small enough for this machine.

``spark.driver.maxResultSize`` is small on purpose: in local mode the driver and the executors
share one JVM, so a code path that collects a whole frame to the driver fails here (the issue's
"never collected to the driver" is tested by every Spark test, not by one)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import pytest

pytestmark = pytest.mark.spark

pyspark = pytest.importorskip("pyspark")

if shutil.which("java") is None:  # `make test` installs it (Makefile: java)
    pytest.skip("no Java runtime: `make install` installs openjdk-17-jre-headless")

#: what a test frame of a few thousand rows is allowed to bring back to the driver at once
MAX_RESULT_SIZE = "4m"


def start_local_session():
    from pyspark.sql import SparkSession

    # the Python workers run this interpreter (the venv's pandas, pyarrow, jupyter_mlready)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    return (
        SparkSession.builder.master("local[2]")
        .appName("mlready-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.driver.maxResultSize", MAX_RESULT_SIZE)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="mlready-warehouse-"))
        .getOrCreate()
    )


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = start_local_session()
    yield session
    session.stop()
    active = SparkSession.getActiveSession()  # a test may have started another one
    if active is not None:
        active.stop()
