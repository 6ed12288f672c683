"""`sectframes score --engine spark`: the same rows, summaries and problems as the local engine.

The comparison runs Spark in local mode (`local[2]`) with a quick TF-IDF model from a throwaway MLflow
store; it is marked slow (a JVM, Python workers and the model load take about a minute in all).
"""

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from models.frames import FRAME_KEYS
from models.predictor import OUTPUT_COLUMNS
from tests.conftest import write_suite
from train.scoring.outputs import read_table
from train.scoring.batch import SUMMARY_COLUMNS, ScoreOptions, run_scoring

PROBA = [f"p_{k}" for k in FRAME_KEYS]
ARTICLES = {
    "baghdad": "BAGHDAD (Reuters) -\n\nMilitias of one sect attacked the other sect's mosques in revenge. Hundreds "
               "of families fled the neighbourhood overnight.\n\nBy [A. Writer](#)\n\nPhoto: Reuters",
    "salaries": "The government failed to pay salaries for months and the army collapsed in the north.\n\nMost Read"
                "\n\n- [Ten things you missed](#)\n\nSign up for our newsletter",
    "border": "Foreign powers armed rival militias and sent advisers across the border. Aid agencies warned of "
              "famine in the camps.",
    "bank": "Share this article\n\nThe central bank kept interest rates unchanged on Tuesday.",
    "blank": "   \n  ",
    "german": "Der Staat hat versagt und die Familien sind aus der Stadt geflohen, sagte ein Sprecher der Regierung "
              "am Dienstag in der Hauptstadt.",
}


def spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return bool(shutil.which("java") or os.environ.get("JAVA_HOME"))


def write_inputs(folder):
    ids, texts = list(ARTICLES), list(ARTICLES.values())
    parquet = folder / "articles.parquet"
    pd.DataFrame({"id": ids + ["border"], "text": texts + ["a duplicate id: only the first one is scored"]}) \
        .to_parquet(parquet, index=False)
    jsonl = folder / "articles.jsonl"
    lines = [json.dumps({"id": f"j-{i}", "text": t}) for i, t in zip(ids, texts)]
    lines.insert(2, "{not json")
    lines.append(json.dumps({"text": "No id on this line. The army withdrew from the city."}))
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return parquet, jsonl


def sorted_rows(path):
    rows = read_table(path)
    assert list(rows.columns) == OUTPUT_COLUMNS
    return rows.sort_values(["id", "sentence_index"]).reset_index(drop=True)


def assert_same_outputs(local: ScoreOptions, spark: ScoreOptions) -> None:
    expected, got = sorted_rows(local.output), sorted_rows(spark.output)
    assert len(got) == len(expected) > 0
    others = [c for c in OUTPUT_COLUMNS if c not in PROBA]
    pd.testing.assert_frame_equal(got[others], expected[others], check_dtype=False)
    np.testing.assert_allclose(got[PROBA].to_numpy(float), expected[PROBA].to_numpy(float), rtol=0, atol=1e-6)
    furniture = got[got["kind"] == "furniture"]
    if spark.unit == "article":
        assert len(furniture) >= 5
    assert furniture[PROBA].isna().all().all() and not furniture[list(FRAME_KEYS)].any().any()
    assert got.loc[got["kind"] == "prose", PROBA].notna().all().all()

    articles = [read_table(o.companion("articles")).sort_values("id").reset_index(drop=True) for o in (local, spark)]
    assert list(articles[1].columns) == SUMMARY_COLUMNS
    pd.testing.assert_frame_equal(articles[1], articles[0], check_dtype=False, rtol=0, atol=1e-6)

    def problems(options):
        lines = options.companion("errors", ".jsonl").read_text(encoding="utf-8").splitlines()
        return sorted(json.dumps(json.loads(line), sort_keys=True) for line in lines)

    assert problems(spark) == problems(local) and problems(spark)
    assert options_files(spark) and not spark.work_folder.exists()
    assert not [p.name for p in spark.output.parent.iterdir() if ".spark" in p.name or p.name.endswith(".tmp")]


def options_files(options: ScoreOptions) -> bool:
    return all(p.exists() for p in (options.output, options.companion("articles"), options.companion("report", ".md"),
                                    options.companion("errors", ".jsonl"), options.companion("frame_shares", ".png")))


def test_the_spark_engine_refuses_other_input_types_before_starting_spark(tmp_path):
    from train.scoring.spark_engine import run_spark_scoring

    (tmp_path / "in.csv").write_text("id,text\na,The army left.\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"reads only \.parquet and \.jsonl.*in\.csv.*--engine local"):
        run_spark_scoring(ScoreOptions([tmp_path / "in.csv"], tmp_path / "out.parquet"), master="local[1]")
    assert not (tmp_path / "out.parquet").exists() and not (tmp_path / "out.parquet.parts").exists()


@pytest.mark.slow
@pytest.mark.skipif(not spark_available(), reason="needs pyspark (pip install .[spark]) and Java")
def test_spark_engine_matches_the_local_engine_row_for_row(mlflow_store):
    from train.cli import main
    from train.experiments.config import load_config
    from train.experiments.suite import run_suite
    from train.scoring.spark_engine import run_spark_scoring

    outcomes = run_suite(load_config(write_suite(mlflow_store, families=("tfidf",))))
    assert outcomes[0].status == "FINISHED"
    parquet, jsonl = write_inputs(mlflow_store)
    out = mlflow_store / "out"

    # Parquet in, Parquet out, articles split into sentences.
    local = ScoreOptions([parquet], out / "local.parquet")
    spark = ScoreOptions([parquet], out / "spark.parquet")
    run_scoring(local, progress=False)
    summary = run_spark_scoring(spark, master="local[2]")
    assert (summary.documents, summary.sentences) == (5, 14)
    assert {e["id"] for e in summary.errors} == {"blank", "border"} and [w["id"] for w in summary.warnings] == ["german"]
    assert_same_outputs(local, spark)

    # JSON Lines in (with a broken line and a row without id), JSON Lines out, through the CLI.
    local = ScoreOptions([jsonl], out / "local.jsonl")
    spark = ScoreOptions([jsonl], out / "spark.jsonl")
    run_scoring(local, progress=False)
    status = main(["score", str(jsonl), "-o", str(spark.output), "--engine", "spark", "--master", "local[2]", "-q"])
    assert status == 1  # the broken line and the blank text are errors; everything else was scored
    assert_same_outputs(local, spark)

    # unit=sentence: each row is one sentence, scored as is (CSV out).
    local = ScoreOptions([parquet], out / "local_sentences.csv", unit="sentence")
    spark = ScoreOptions([parquet], out / "spark_sentences.csv", unit="sentence")
    run_scoring(local, progress=False)
    run_spark_scoring(spark, master="local[2]")
    assert_same_outputs(local, spark)
    assert len(read_table(spark.output)) == 5


def test_each_spark_task_gets_a_share_of_the_cores(monkeypatch):
    from train.scoring import spark_session as spark_engine

    monkeypatch.setattr(spark_engine, "available_cores", lambda: 4)
    assert spark_engine.task_threads("local[2]") == 2
    assert spark_engine.task_threads("local[*]") == 1 and spark_engine.task_threads("local[8]") == 1
    assert spark_engine.task_threads("local") == 4
    assert spark_engine.task_threads("spark://cluster:7077") == 1


@pytest.mark.slow
@pytest.mark.skipif(not spark_available(), reason="needs pyspark (pip install .[spark]) and Java")
def test_spark_tasks_get_a_thread_budget_and_the_driver_keeps_its_own(monkeypatch):
    from models.encoder import THREADS_VARIABLE
    from train.scoring.spark_session import spark_session, task_threads

    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    with spark_session("local[2]") as spark:
        seen = spark.sparkContext.parallelize(range(2), 2).map(lambda _, name=THREADS_VARIABLE: os.environ.get(name))
        seen = seen.collect()
    assert seen == [str(task_threads("local[2]"))] * 2
    assert THREADS_VARIABLE not in os.environ  # a later in-process scoring in this session keeps every core
