"""A bench worker: one fresh interpreter per measurement (`python -m train.bench.worker --worker ...`), so
models never share a process, a thread pool or an allocator with each other or with the bench itself.

- cold: from this module's first line to the end of a first prediction, then (for the first cold worker)
  model-only speed in the same, now warm, process.
- score: the whole batch-scoring call with its defaults, and the peak memory of the process tree."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from train.bench.corpus import _prose_sentences
from train.bench.samplers import ProcessTreeMemory, peak_rss_mb

COLD_EXAMPLE = ("Militia fighters from one sect moved into the town as the army withdrew.\n\n"
                "Families fled towards the camps on foot. Aid agencies said the roads were closed.")


def worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.bench.worker")
    parser.add_argument("--worker", choices=["cold", "score"], required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--corpus")
    parser.add_argument("--output")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--min-sentences", type=int, default=1000)
    parser.add_argument("--max-sentences", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.worker != "score":
        from train import tracking

        tracking.configure()
    result = {"cold": _worker_cold, "score": _worker_score}[args.worker](args)
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")
    return 0


def _worker_cold(args) -> dict:
    started = time.perf_counter()  # first statement after the interpreter and this module are up
    import pandas as pd

    from train.scoring.batch import load_model

    model = load_model(args.model)
    loaded = time.perf_counter()
    model.predict(pd.DataFrame({"id": ["cold-1"], "text": [COLD_EXAMPLE]}), params={"unit": "article"})
    done = time.perf_counter()
    result = {"load_s": loaded - started, "first_prediction_s": done - loaded, "cold_start_s": done - started,
              "peak_rss_mb": peak_rss_mb()}
    if args.corpus:  # model-only speed, in the same (now warm) process
        result["model_only"] = _model_only(model.unwrap_python_model().predictor, args)
    return result


def _model_only(predictor, args) -> dict:
    """`predictor.proba` on already-split prose sentences of the corpus: best of `repeats` passes."""
    from models.predictor import sentences_per_second

    pool = _prose_sentences(Path(args.corpus), args.max_sentences)
    rate = sentences_per_second(predictor, pool[:256])  # also the warm-up
    wanted = int(min(args.max_sentences, max(args.min_sentences, rate * args.seconds)))
    texts = (pool * (wanted // max(len(pool), 1) + 1))[:wanted]
    rates = [sentences_per_second(predictor, texts) for _ in range(args.repeats)]
    return {"sentences": len(texts), "rates": rates, "model_sentences_per_s": max(rates),
            "threads": _threads_in_use(predictor)}


def _threads_in_use(predictor) -> dict:
    info = {}
    encoder = getattr(predictor.model, "encoder", None)
    if encoder is not None and hasattr(encoder, "session"):
        info["onnxruntime_intra_op"] = encoder.session.get_session_options().intra_op_num_threads
    if "torch" in sys.modules:
        info["torch"] = sys.modules["torch"].get_num_threads()
    return info


def _worker_score(args) -> dict:
    from train.scoring.batch import ScoreOptions, run_scoring

    options = ScoreOptions([Path(args.corpus)], Path(args.output), args.model, overwrite=True)
    with ProcessTreeMemory() as memory:
        started = time.perf_counter()
        summary = run_scoring(options, progress=False)
        seconds = time.perf_counter() - started
    if summary.failed:
        raise SystemExit("sectframes score could not score some documents (see the errors file)")
    import pyarrow.parquet as pq

    kinds = pq.read_table(args.output, columns=["kind"]).column("kind").to_pylist()
    prose = sum(k == "prose" for k in kinds)
    return {"rows": len(kinds), "prose_sentences": prose, "e2e_s": seconds,
            "e2e_sentences_per_s": prose / max(seconds, 1e-9), "peak_rss_mb": memory.peak_mb(),
            "scorer_peak_rss_mb": peak_rss_mb(), "processes": memory.processes()}


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
