"""`sectframes bench` on tiny corpora with a quick TF-IDF model: the report's shape, and the corpus."""

import argparse
import json

import mlflow
import pytest

from tests.conftest import write_suite
from train.bench import corpus, run, samplers
from train.experiments.config import load_config
from train.experiments.suite import run_suite


def test_synthetic_corpus_is_deterministic_and_made_of_our_sentences(tmp_path):
    sentences = corpus.source_sentences()
    first = corpus.write_corpus(sentences, 12, tmp_path / "a.jsonl", seed=5)
    corpus.write_corpus(sentences, 12, tmp_path / "b.jsonl", seed=5)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12 == first["articles"] and len({r["id"] for r in rows}) == 12
    known = set(sentences)
    for row in rows:
        parts = [s for paragraph in row["text"].split("\n\n") for s in [paragraph]]
        assert parts and all(p.strip() for p in parts)
    assert 12 * 15 <= first["source_sentences"] <= 12 * 40
    assert any(s in rows[0]["text"] for s in known)


def test_sizes_are_parsed_and_checked():
    assert run.parse_sizes("10000, 1000") == [1000, 10000]
    with pytest.raises(ValueError):
        run.parse_sizes("0,10")


def test_bench_writes_the_report_shape(mlflow_store):
    [outcome] = run_suite(load_config(write_suite(mlflow_store, families=("tfidf",))))
    assert outcome.status == "FINISHED"
    output = mlflow_store / "reports" / "bench.json"
    args = argparse.Namespace(sizes="20,40", output=str(output), champion="models:/sectarian-frames@champion",
                              cold_repeats=1, model_seconds=0.2, repeats=1, serve_requests=30)
    assert run.run_bench(args) == 0
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["champion"] == "tfidf-quick"
    assert set(report["models"]) == {"tfidf-quick"} and {"machine", "models", "champion"} <= set(report)
    row = report["models"]["tfidf-quick"]
    assert row["family"] == "tfidf"
    for key in ("e2e_sentences_per_s", "model_sentences_per_s", "cold_start_s"):
        assert isinstance(row[key], float) and row[key] > 0, key
    assert set(row["peak_rss_mb"]) == {"20", "40"} and all(v > 50 for v in row["peak_rss_mb"].values())
    assert row["e2e_by_size"]["40"]["prose_sentences"] > row["e2e_by_size"]["20"]["prose_sentences"] > 0
    assert {"cold_start_le_5s", "peak_rss_flat_within_10pct", "model_ge_20000_per_s"} <= set(row["targets_met"])
    assert report["machine"]["cores"] >= 1
    serving = report["serving"]  # the HTTP load test against `sectframes serve` on loopback
    assert serving["ok"] == serving["requests"] == 30 and 0 < serving["p50_ms"] <= serving["p99_ms"]
    runs = mlflow.search_runs(experiment_names=["sectarian-frames"], filter_string="tags.`sectframes.kind` = 'bench'")
    assert len(runs) == 1 and runs["metrics.tfidf-quick.cold_start_s"].iloc[0] == pytest.approx(row["cold_start_s"])


def test_peak_memory_counts_the_processes_the_scorer_starts():
    import subprocess
    import sys

    alone = samplers.peak_rss_mb()
    with samplers.ProcessTreeMemory(every=0.05) as memory:
        child = subprocess.Popen([sys.executable, "-c", "import time; block = bytearray(300 * 2**20); time.sleep(1.0)"])
        assert child.wait() == 0
    assert memory._peaks.get(child.pid, 0) >= 300  # other children of this test process may be counted too
    assert memory.peak_mb() >= alone + 300


def test_models_can_be_chosen_and_the_fast_twin_is_judged_against_the_champion():
    from train.bench.report import fast_verdict

    others = [run.BenchModel("student", "embedding", "u1"), run.BenchModel("tfidf-logreg", "tfidf", "u2")]
    assert run._chosen(others, "student", "all") == others
    assert [m.name for m in run._chosen(others, "student", "champion,fast")] == ["student"]
    assert [m.name for m in run._chosen(others, "", "tfidf-logreg")] == ["tfidf-logreg"]
    with pytest.raises(ValueError, match="no registered model called nope"):
        run._chosen(others, "student", "nope")
    report = {"champion": "big", "fast": "student",
              "models": {"big": {"e2e_sentences_per_s": 30.0}, "student": {"e2e_sentences_per_s": 150.0}}}
    assert fast_verdict(report) == {"fast_speedup_e2e": 5.0, "fast_speedup_ge_4x": True}
    assert fast_verdict({**report, "fast": ""}) == {}
