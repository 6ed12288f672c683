"""`sectframes score --engine spark`: the packaged predictor over Parquet/JSONL input with PySpark.

Same model, same rows, same files as the local engine (`train.scoring.batch`), scaled out with Spark:

1. Spark reads every input file (Parquet, or JSON Lines through `spark.read.json`), each row tagged with
   an ordinal (file number, row number) so the output keeps the input order.
2. A `mapInPandas` checks each document exactly as the local engine does (`train.scoring.ingest._row_document`:
   missing or empty text, --max-chars, ids), then duplicate ids become problems (first one wins).
3. A second `mapInPandas` splits articles into sentences with `models.segment.split_sentences`
   (unit=article) or keeps each row as one sentence (unit=sentence), flagging non-English documents.
4. Prose sentences go through `mlflow.pyfunc.spark_udf(..., params={"unit": "sentence"})`, which
   returns one row per input row; furniture keeps NaN probabilities and no frame, as in
   `models.predictor`. Everything is sorted by (ordinal, sentence_index) into a temporary Parquet folder.
5. The driver streams that folder back with pyarrow in batches, writes crash-safe parts and merges them
   with `train.scoring.batch.finish`: the output, the article summary, the errors file and the report appear
   only by atomic renames, in the same format and columns as the local engine.

Local mode (`--master local[2]`) needs nothing but the virtual environment; on a cluster the executors
need the project's requirements installed (the `models` and `train` packages are shipped with the job).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from models.frames import FRAME_KEYS
from models.predictor import OUTPUT_COLUMNS
from models.segment import PROSE, SCORED_KINDS
from train.scoring.ingest import Document
from train.scoring.outputs import PartWriter
from train.scoring.batch import (PROBLEM_COLUMNS, SUMMARY_COLUMNS, ScoreOptions, ScoreSummary, finish, pinned_model,
                                 prepare_output, summarize_article)
from train.scoring.spark_inputs import SPARK_SUFFIXES, _input_files, _raw_documents
from train.scoring.spark_session import _ship_packages, spark_session

log = logging.getLogger(__name__)
PROBA_COLUMNS = [f"p_{k}" for k in FRAME_KEYS]
STREAM_ROWS = 20_000  # rows per batch when the driver reads the Spark output back

CHECKED_SCHEMA = "ordinal long, id string, source string, text string, level string, reason string"
ROWS_SCHEMA = ("ordinal long, id string, source string, english boolean, level string, reason string, "
               "sentence_index long, start long, end long, kind string, text string")
NO_SENTENCES = "no sentences found in the text"
ROW_COLUMNS = ["ordinal", "id", "source", "english", "level", "reason", "sentence_index", "start", "end", "kind",
               "text"]


# ----------------------------------------------------------------------------------- executor functions
def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def check_documents(batches, max_chars: int):
    """mapInPandas: raw rows -> a Document (text kept) or a Problem (text null), as the local engine decides."""
    from train.scoring.ingest import _row_document

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
    from train.scoring.ingest import looks_english

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
    wanted += ["p_relevant"] if "p_relevant" in outputs else []  # models with a relevance gate
    if missing:
        raise ValueError(f"{model_uri}: the model's output signature has no {missing}; "
                         "is it a sectarian-frames predictor?")
    return StructType([StructField(name, outputs[name].type.to_spark()) for name in wanted])


def score_rows(spark, rows, model_uri: str):
    """Prose rows through the packaged model (one output row per input row); furniture and problem rows
    get NaN probabilities and no frame."""
    import mlflow
    from pyspark.sql import functions as F

    struct = result_type(model_uri)
    predict = mlflow.pyfunc.spark_udf(spark, model_uri, result_type=struct, env_manager="local",
                                      params={"unit": "sentence"})
    base = [F.col(c) for c in ROW_COLUMNS]
    is_prose = F.coalesce(F.col("level").isNull() & F.col("kind").isin(*SCORED_KINDS), F.lit(False))
    gate = F.col("_pred.p_relevant") if "p_relevant" in struct.fieldNames() else F.lit(None).cast("double")
    scored = (rows.filter(is_prose).withColumn("_pred", predict(F.struct(F.col("text"))))
              .select(*base, *[F.col(f"_pred.{c}").alias(c) for c in PROBA_COLUMNS + list(FRAME_KEYS)],
                      gate.alias("p_relevant")))
    rest = rows.filter(~is_prose).select(*base, *[F.lit(None).cast("double").alias(c) for c in PROBA_COLUMNS],
                                         *[F.lit(False).alias(k) for k in FRAME_KEYS],
                                         F.lit(None).cast("double").alias("p_relevant"))
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
                       "text": str, **{c: "float64" for c in PROBA_COLUMNS + ["p_relevant"]},
                       **{k: bool for k in FRAME_KEYS}})


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
