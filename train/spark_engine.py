"""`sectframes score --engine spark`: the packaged predictor over Parquet/JSONL input with PySpark.

Same model, same rows, same files as the local engine (`train.scoring`), scaled out with Spark:

1. Spark reads every input file (Parquet, or JSON Lines through `spark.read.json`), each row tagged with
   an ordinal (file number, row number) so the output keeps the input order.
2. A `mapInPandas` checks each document exactly as the local engine does (`train.ingest._row_document`:
   missing or empty text, --max-chars, ids), then duplicate ids become problems (first one wins).
3. A second `mapInPandas` splits articles into sentences with `models.segment.split_sentences`
   (unit=article) or keeps each row as one sentence (unit=sentence), flagging non-English documents.
4. Prose sentences go through `mlflow.pyfunc.spark_udf(..., params={"unit": "sentence"})`, which
   returns one row per input row; furniture keeps NaN probabilities and no frame, as in
   `models.predictor`. Everything is sorted by (ordinal, sentence_index) into a temporary Parquet folder.
5. The driver streams that folder back with pyarrow in batches, writes crash-safe parts and merges them
   with `train.scoring.finish`: the output, the article summary, the errors file and the report appear
   only by atomic renames, in the same format and columns as the local engine.

Local mode (`--master local[2]`) needs nothing but the virtual environment; on a cluster the executors
need the project's requirements installed (the `models` and `train` packages are shipped with the job).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import pandas as pd

from models.encoder import THREADS_VARIABLE, available_cores
from models.frames import FRAME_KEYS
from models.predictor import OUTPUT_COLUMNS
from models.segment import PROSE
from train.ingest import Document, Problem, discover
from train.outputs import PartWriter
from train.scoring import (PROBLEM_COLUMNS, SUMMARY_COLUMNS, ScoreOptions, ScoreSummary, finish, pinned_model,
                           prepare_output, summarize_article)

log = logging.getLogger(__name__)
SPARK_SUFFIXES = (".parquet", ".jsonl")
PROBA_COLUMNS = [f"p_{k}" for k in FRAME_KEYS]
FILE_STRIDE = 1 << 40  # ordinal = file number * FILE_STRIDE + row number within the file
STREAM_ROWS = 20_000  # rows per batch when the driver reads the Spark output back

RAW_SCHEMA = "ordinal long, source string, where_ string, raw_id string, text string, corrupt string"
CHECKED_SCHEMA = "ordinal long, id string, source string, text string, level string, reason string"
ROWS_SCHEMA = ("ordinal long, id string, source string, english boolean, level string, reason string, "
               "sentence_index long, start long, end long, kind string, text string")
NO_SENTENCES = "no sentences found in the text"
ROW_COLUMNS = ["ordinal", "id", "source", "english", "level", "reason", "sentence_index", "start", "end", "kind",
               "text"]


# ---------------------------------------------------------------------------------------------- session
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


# ---------------------------------------------------------------------------------------------- inputs
def _input_files(inputs: list[Path]) -> tuple[list[Path], list[dict]]:
    """Files Spark will read, and problems for paths that do not exist (as the local engine reports them).

    Anything that is not Parquet or JSON Lines is refused with a clear error before Spark starts.
    """
    files, problems, refused = [], [], []
    for item in discover(inputs):
        if isinstance(item, Problem):
            if item.reason.startswith("unsupported file type"):
                refused.append(item.id)
            else:
                problems.append(_record(item))
        elif item.suffix.lower() in SPARK_SUFFIXES:
            files.append(item)
        else:
            refused.append(str(item))
    if refused:
        shown = ", ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
        raise ValueError(f"--engine spark reads only {' and '.join(SPARK_SUFFIXES)} files (with a 'text' column and "
                         f"an optional 'id'); not: {shown}. Use --engine local for text, HTML and CSV inputs.")
    return files, problems


def _record(problem: Problem) -> dict:
    return {"id": problem.id, "source": problem.source, "level": problem.level, "reason": problem.reason}


def _parquet_problem(path: Path) -> Problem | None:
    """The local engine's file-level checks for a Parquet file (read from its footer only)."""
    import pyarrow.parquet as pq

    try:
        names = pq.ParquetFile(path).schema_arrow.names
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        return Problem(str(path), str(path), f"unreadable Parquet ({exc.__class__.__name__}: {str(exc)[:200]})")
    if "text" not in names:
        return Problem(str(path), str(path), f"Parquet file has no 'text' column (columns: {names})")
    return None


def _read_parquet(spark, path: Path, number: int):
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    frame = spark.read.parquet(str(path))
    text_is_string = isinstance(frame.schema["text"].dataType, StringType)
    ordinal = F.col("_metadata.row_index")
    return frame.select(
        (F.lit(number * FILE_STRIDE) + ordinal).alias("ordinal"),
        F.lit(str(path)).alias("source"),
        F.concat(F.lit(f"{path}:row "), ordinal.cast("string")).alias("where_"),
        (F.col("id").cast("string") if "id" in frame.columns else F.lit(None).cast("string")).alias("raw_id"),
        (F.col("text") if text_is_string else F.lit(None).cast("string")).alias("text"),  # -> "not a string"
        F.lit(None).cast("string").alias("corrupt"))


def _read_jsonl(spark, path: Path, number: int):
    """`spark.read.json` in permissive mode; row numbers (1-based, blank lines not counted) from zipWithIndex."""
    frame = spark.read.json(str(path), schema="id string, text string, _corrupt_record string", mode="PERMISSIVE")
    source = str(path)

    def tag(pair):
        row, index = pair
        return (number * FILE_STRIDE + index, source, f"{source}:{index + 1}", row["id"], row["text"],
                row["_corrupt_record"])

    return spark.createDataFrame(frame.rdd.zipWithIndex().map(tag), RAW_SCHEMA)


def _raw_documents(spark, files: list[Path]) -> tuple[object | None, list[dict]]:
    frames, problems = [], []
    for number, path in enumerate(files):
        if path.suffix.lower() == ".parquet":
            problem = _parquet_problem(path)
            if problem is not None:
                problems.append(_record(problem))
                continue
            frames.append(_read_parquet(spark, path, number))
        else:
            frames.append(_read_jsonl(spark, path, number))
    if not frames:
        return None, problems
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union, problems


# ----------------------------------------------------------------------------------- executor functions
def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def check_documents(batches, max_chars: int):
    """mapInPandas: raw rows -> a Document (text kept) or a Problem (text null), as the local engine decides."""
    from train.ingest import _row_document

    for batch in batches:
        out = []
        for ordinal, source, where, raw_id, text, corrupt in batch[["ordinal", "source", "where_", "raw_id", "text",
                                                                    "corrupt"]].itertuples(index=False):
            raw_id = None if _is_missing(raw_id) else raw_id
            text = None if _is_missing(text) else text
            if not _is_missing(corrupt):
                try:
                    json.loads(corrupt)
                    reason = f"{where}: each line must be a JSON object"
                except json.JSONDecodeError as exc:
                    reason = f"{where}: not valid JSON ({exc.__class__.__name__}: {exc})"
                out.append((ordinal, where, source, None, "error", reason))
                continue
            record = _row_document(raw_id, text, source, where, max_chars)
            if isinstance(record, Document):
                out.append((ordinal, record.id, source, record.text, None, None))
            else:
                out.append((ordinal, record.id, source, None, record.level, record.reason))
        yield pd.DataFrame(out, columns=["ordinal", "id", "source", "text", "level", "reason"])


def explode_sentences(batches, unit: str, chunk_rows: int = 5_000):
    """mapInPandas: one row per sentence (unit=article) or per document (unit=sentence); problems pass on."""
    from models.segment import split_sentences
    from train.ingest import looks_english

    def frame(rows):
        return pd.DataFrame(rows, columns=ROW_COLUMNS)

    for batch in batches:
        rows = []
        for ordinal, doc_id, source, text, level, reason in batch[["ordinal", "id", "source", "text", "level",
                                                                   "reason"]].itertuples(index=False):
            if not _is_missing(level):
                rows.append((ordinal, doc_id, source, None, level, reason, None, None, None, None, None))
                continue
            if unit == "sentence":
                sentences = [(0, 0, len(text), PROSE, text)]
            else:
                sentences = [(s.index, s.start, s.end, s.kind, s.text) for s in split_sentences(text)]
            if not sentences:
                rows.append((ordinal, doc_id, source, None, "error", NO_SENTENCES,
                             None, None, None, None, None))
                continue
            english = looks_english(text)
            rows.extend((ordinal, doc_id, source, english, None, None, *s) for s in sentences)
            if len(rows) >= chunk_rows:
                yield frame(rows)
                rows = []
        if rows:
            yield frame(rows)


# ---------------------------------------------------------------------------------------------- model
def result_type(model_uri: str):
    """The UDF's struct: the probability and decision columns, typed from the model's output signature."""
    from mlflow.models import get_model_info
    from pyspark.sql.types import StructField, StructType

    signature = get_model_info(model_uri).signature
    outputs = {spec.name: spec for spec in signature.outputs.inputs} if signature and signature.outputs else {}
    wanted = PROBA_COLUMNS + list(FRAME_KEYS)
    missing = [name for name in wanted if name not in outputs]
    if missing:
        raise ValueError(f"{model_uri}: the model's output signature has no {missing}; "
                         "is it a sectarian-frames predictor?")
    return StructType([StructField(name, outputs[name].type.to_spark()) for name in wanted])


def score_rows(spark, rows, model_uri: str):
    """Prose rows through the packaged model (one output row per input row); furniture and problem rows
    get NaN probabilities and no frame."""
    import mlflow
    from pyspark.sql import functions as F

    predict = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=result_type(model_uri), env_manager="local",
                                      params={"unit": "sentence"})
    base = [F.col(c) for c in ROW_COLUMNS]
    is_prose = F.coalesce(F.col("level").isNull() & (F.col("kind") == PROSE), F.lit(False))
    scored = (rows.filter(is_prose).withColumn("_pred", predict(F.struct(F.col("text"))))
              .select(*base, *[F.col(f"_pred.{c}").alias(c) for c in PROBA_COLUMNS + list(FRAME_KEYS)]))
    rest = rows.filter(~is_prose).select(*base, *[F.lit(None).cast("double").alias(c) for c in PROBA_COLUMNS],
                                         *[F.lit(False).alias(k) for k in FRAME_KEYS])
    return scored.unionByName(rest)


def sentence_rows(spark, files: list[Path], options: ScoreOptions):
    """Checked, de-duplicated documents split into sentence rows (problems as rows of their own); None if
    no file can be read. Also returns the file-level problems."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    raw, problems = _raw_documents(spark, files)
    if raw is None:
        return None, problems
    max_chars, unit = options.max_chars, options.unit
    checked = raw.mapInPandas(lambda batches: check_documents(batches, max_chars), CHECKED_SCHEMA)
    valid = F.col("level").isNull()
    first = F.row_number().over(Window.partitionBy(F.col("id"), valid).orderBy("ordinal"))
    duplicate = valid & (first > 1)
    checked = checked.select(
        "ordinal", "id", "source",
        F.when(duplicate, F.lit(None).cast("string")).otherwise(F.col("text")).alias("text"),
        F.when(duplicate, F.lit("error")).otherwise(F.col("level")).alias("level"),
        F.when(duplicate, F.format_string("duplicate id '%s': only the first is scored", F.col("id")))
        .otherwise(F.col("reason")).alias("reason"))
    return checked.mapInPandas(lambda batches: explode_sentences(batches, unit), ROWS_SCHEMA), problems


def write_scored(spark, files: list[Path], options: ScoreOptions, folder: Path,
                 model_uri: str) -> tuple[list[dict], int]:
    """Run the Spark job: scored rows in input order as Parquet in `folder`. Returns (file problems, rows).

    Both the split and the scored rows are persisted: without that, Spark would split every article
    twice (once per branch of the union) and run the model twice (the sort samples its input first).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    rows, problems = sentence_rows(spark, files, options)
    if rows is None:
        return problems, 0
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    scored = None
    try:
        scored = score_rows(spark, rows, model_uri).persist(StorageLevel.MEMORY_AND_DISK)
        count = scored.count()
        rows.unpersist()
        (scored.orderBy(F.col("ordinal").asc(), F.col("sentence_index").asc_nulls_first())
         .write.mode("overwrite").parquet(str(folder)))
        return problems, count
    finally:
        rows.unpersist()
        if scored is not None:
            scored.unpersist()


# ---------------------------------------------------------------------------------------------- driver
def _sentence_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The local engine's column order and dtypes (see `models.predictor.FramePredictor._score_rows`)."""
    out = rows[OUTPUT_COLUMNS].reset_index(drop=True)
    return out.astype({"id": str, "sentence_index": "int64", "start": "int64", "end": "int64", "kind": str,
                       "text": str, **{c: "float64" for c in PROBA_COLUMNS}, **{k: bool for k in FRAME_KEYS}})


def _tables(chunk: pd.DataFrame) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """One part's tables from whole documents: sentence rows, article summaries, problems. Problems are in
    the local engine's order: documents that could not be read first, then those found while scoring."""
    is_problem = chunk["level"].notna()
    problems, later, summaries, sentences, ids = [], [], [], [], []
    for ordinal, doc in chunk.groupby("ordinal", sort=True):
        flags = is_problem.loc[doc.index]
        doc_id, source = str(doc["id"].iloc[0]), str(doc["source"].iloc[0])
        ids.append(doc_id)
        if flags.any():
            first = doc[flags].iloc[0]
            record = {"id": doc_id, "source": source, "level": str(first["level"]), "reason": str(first["reason"])}
            (later if record["reason"] == NO_SENTENCES else problems).append(record)
            continue
        rows = _sentence_frame(doc)
        english = bool(doc["english"].iloc[0])
        if not english:
            later.append({"id": doc_id, "source": source, "level": "warning",
                          "reason": "text does not look like English: scored, but the model was trained on "
                                    "English only"})
        summaries.append(summarize_article(Document(doc_id, "", source), rows, english))
        sentences.append(rows)
    sentence_rows = pd.concat(sentences, ignore_index=True) if sentences else pd.DataFrame(columns=OUTPUT_COLUMNS)
    return {"sentences": sentence_rows, "articles": pd.DataFrame(summaries, columns=SUMMARY_COLUMNS),
            "errors": pd.DataFrame(problems + later, columns=PROBLEM_COLUMNS)}, ids


def stream_back(folder: Path, parts: PartWriter, batch_rows: int = STREAM_ROWS) -> None:
    """Read Spark's sorted Parquet output in order, batch by batch, and write whole documents as parts."""
    import pyarrow.parquet as pq

    carry = None
    for path in sorted(folder.glob("part-*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            chunk = batch.to_pandas()
            chunk = chunk if carry is None else pd.concat([carry, chunk], ignore_index=True)
            last = chunk["ordinal"].iloc[-1]
            done = chunk["ordinal"] != last  # the last document may go on in the next batch
            if done.any():
                tables, ids = _tables(chunk[done])
                parts.write(tables, ids)
            carry = chunk[~done].reset_index(drop=True)
    if carry is not None and len(carry):
        tables, ids = _tables(carry)
        parts.write(tables, ids)


def run_spark_scoring(options: ScoreOptions, master: str = "local[2]") -> ScoreSummary:
    """`sectframes score --engine spark`: same outputs as `train.scoring.run_scoring`, computed by Spark."""
    import importlib.util

    from train import tracking

    prepare_output(options)
    if options.resume:
        log.warning("--engine spark does not resume an interrupted run: scoring everything again")
    files, problems = _input_files(options.inputs)
    if importlib.util.find_spec("pyspark") is None:
        raise ValueError("--engine spark needs PySpark: run `make spark` (pip install -e '.[spark]')")
    tracking.configure()
    model_uri = pinned_model(options.model_uri)  # one version for the whole job, even if the alias moves
    result_type(model_uri)  # fail fast (exit 2) on a missing or foreign model, before Spark starts
    started = time.perf_counter()
    parts = PartWriter(options.work_folder, options.output.suffix.lower())
    parts.start(resume=False)
    if problems:
        parts.write({"errors": pd.DataFrame(problems, columns=PROBLEM_COLUMNS)}, [p["id"] for p in problems])
    scratch = Path(tempfile.mkdtemp(prefix=f".{options.output.name}.spark-", dir=options.output.parent))
    try:
        if files:
            with spark_session(master) as spark:
                _ship_packages(spark, scratch)
                more, count = write_scored(spark, files, options, scratch / "rows", model_uri)
            if more:
                parts.write({"errors": pd.DataFrame(more, columns=PROBLEM_COLUMNS)}, [p["id"] for p in more])
            if count:
                stream_back(scratch / "rows", parts)
        return finish(options, parts, time.perf_counter() - started, model_uri)
    except BaseException:
        shutil.rmtree(options.work_folder, ignore_errors=True)  # nothing to resume: a rerun starts afresh
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


__all__ = ["run_spark_scoring", "spark_session", "SPARK_SUFFIXES"]
