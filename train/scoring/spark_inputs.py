"""Reading `--engine spark` inputs: which files Spark may read (Parquet and JSON Lines), the local engine's
file-level checks, and every row tagged with an ordinal (file number, row number) that keeps input order."""

from __future__ import annotations

from pathlib import Path

from train.scoring.ingest import Problem, discover

SPARK_SUFFIXES = (".parquet", ".jsonl")
FILE_STRIDE = 1 << 40  # ordinal = file number * FILE_STRIDE + row number within the file
RAW_SCHEMA = "ordinal long, source string, where_ string, raw_id string, text string, corrupt string"


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
