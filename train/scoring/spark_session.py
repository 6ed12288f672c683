"""The Spark session for `--engine spark`: its configuration, the model's thread share per task, and
shipping our packages to a cluster's executors."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import warnings
import zipfile
from pathlib import Path

from models.encoder import THREADS_VARIABLE, available_cores

log = logging.getLogger(__name__)


def task_threads(master: str) -> int:
    """Threads for the model in each Spark task. Spark already runs one task per core, so a model that
    took every core in every task would oversubscribe them: local[N] gives each of its N tasks an equal
    share, a cluster (one core per task by default) one thread."""
    if master == "local":
        return available_cores()
    match = re.fullmatch(r"local\[(\d+|\*)(?:,\s*\d+)?\]", master)
    if not match:
        return 1
    tasks = available_cores() if match.group(1) == "*" else max(1, int(match.group(1)))
    return max(1, available_cores() // tasks)


def task_thread_budget(master: str) -> str:
    """$SECTFRAMES_THREADS for the tasks: the caller's own setting if any, else `task_threads(master)`."""
    return os.environ.get(THREADS_VARIABLE) or str(task_threads(master))


def _environment(master: str) -> None:
    """What PySpark needs here, unless the caller set it: workers on this interpreter, a loopback driver."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if master.startswith("local"):  # on a cluster the driver must be reachable from the executors
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")


@contextlib.contextmanager
def spark_session(master: str = "local[2]", app_name: str = "sectframes-score"):
    """The active SparkSession if there is one (left running), else a new one stopped on exit."""
    _environment(master)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if active.conf.get("spark.master") != master:
            log.info("using the active Spark session (master %s), not %s", active.conf.get("spark.master"), master)
        yield active
        return
    spark = (SparkSession.builder.master(master).appName(app_name)
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             # the model's thread budget in each task; Python workers get executorEnv in local mode too, and
             # the driver's own environment is left alone (a later in-process scoring keeps all its cores)
             .config(f"spark.executorEnv.{THREADS_VARIABLE}", task_thread_budget(master))
             # let adaptive execution size the persisted stages too (else 200 tiny tasks per stage)
             .config("spark.sql.optimizer.canChangeCachedPlanOutputPartitioning", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    try:
        yield spark
    finally:
        spark.stop()


def _ship_packages(spark, folder: Path) -> None:
    """On a cluster, executors import `models` and `train` (our mapInPandas steps) from a zip."""
    if spark.conf.get("spark.master").startswith("local"):
        return
    import models
    import train

    archive = folder / "sectframes-packages.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for package in (models, train):
            root = Path(package.__file__).resolve().parent
            for path in root.rglob("*.py"):
                zf.write(path, path.relative_to(root.parent).as_posix())
    spark.sparkContext.addPyFile(str(archive))
