"""`make bench`: throughput, cold start and peak memory of the champion, its fast twin (`@fast`) beside it,
and the newest model of every other rung.

The corpus is synthetic, made only of our own text (`train.bench.corpus`).

Every measurement runs in a fresh interpreter (`python -m train.bench.worker --worker ...`, see `train.bench.worker`), so models never
share a process, a thread pool or an allocator with each other or with this one:

- e2e: the worker calls the real scoring entry point, `train.scoring.batch.run_scoring`, as `sectframes
  score` does, with its defaults (one scoring process per core, see `train.scoring.workers`). The e2e rate is prose
  sentences scored / the time of that call: fetching the model, starting and loading the scoring
  processes, reading, segmentation, prediction, parts, merge and report are all in; only interpreter
  start and imports are not. The wall time of the whole process is kept too (`wall_s`).
- model only: `FramePredictor.proba` on already-split prose sentences of the corpus (best of 3 passes
  of about 20 s each after a warm-up), all in one call, in one process with every core (the model's
  own default), in the first cold-start worker once its cold start is measured.
- cold start: from the first line of a fresh worker to the end of its first prediction on a
  two-paragraph article (imports + `mlflow.pyfunc.load_model` + first `predict`), median of a few runs;
  `cold_start_wall_s` adds interpreter start-up, measured from outside.
- peak RSS: of the whole e2e scoring run, per size: the CLI process's high-water mark (VmHWM from
  /proc) plus that of every scoring process it started (see `ProcessTreeMemory`). Not `ru_maxrss` from
  `wait4`/`RUSAGE_CHILDREN`: Linux starts a child's `ru_maxrss` at the parent's RSS at fork/exec, so
  it would report this (bigger) process, not the scorer.

Other processes on the machine skew every number: the load average before and after is recorded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from train import paths
from train.bench.corpus import ARTICLE_SENTENCES, SEED, source_sentences, write_corpus
from train.bench.report import TARGETS, bench_table, fast_verdict, log_to_mlflow, machine_info, targets_met
from train.bench.samplers import LoadSampler

log = logging.getLogger(__name__)


@dataclass
class BenchModel:
    name: str
    family: str
    uri: str
    version: str = ""
    run_id: str = ""


def _version_of(client, uri: str):
    """The registry version behind a models:/ URI, or None for other URIs."""
    from train.tracking import REGISTERED_MODEL

    if not uri.startswith("models:/"):
        return None
    name, _, ref = uri[len("models:/"):].partition("@")
    if ref:
        return client.get_model_version_by_alias(name, ref)
    name, _, number = uri[len("models:/"):].partition("/")
    return client.get_model_version(name or REGISTERED_MODEL, number)


def select_models(champion_uri: str) -> tuple[BenchModel, list[BenchModel], str]:
    """The champion; then the `@fast` twin, if one is registered; then the newest registered version of every
    other training run name (one per rung of the ladder). Returns them and the fast twin's name ("" if none)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from train import tracking

    client = MlflowClient()
    runs: dict[str, object] = {}

    def describe(version, uri: str) -> BenchModel:
        if version.run_id not in runs:
            runs[version.run_id] = client.get_run(version.run_id)
        run = runs[version.run_id]
        family = run.data.tags.get("family") or run.data.params.get("model.family", "?")
        name = run.data.tags.get("mlflow.runName") or run.data.params.get("name") or f"v{version.version}"
        return BenchModel(name, family, uri, str(version.version), version.run_id)

    champion_version = _version_of(client, champion_uri)
    if champion_version is not None:
        champion = describe(champion_version, champion_uri)
    else:
        run_id = tracking.run_id_of_model(champion_uri)
        run = client.get_run(run_id)
        champion = BenchModel(run.data.tags.get("mlflow.runName", "champion"), run.data.tags.get("family", "?"),
                              champion_uri, "", run_id)
    fast_uri = f"models:/{tracking.REGISTERED_MODEL}@{tracking.FAST}"
    try:
        fast = [describe(_version_of(client, fast_uri), fast_uri)]
    except MlflowException:
        fast = []
    newest: dict[str, BenchModel] = {}
    for version in client.search_model_versions(f"name='{tracking.REGISTERED_MODEL}'"):
        model = describe(version, f"models:/{tracking.REGISTERED_MODEL}/{version.version}")
        if model.name not in newest or int(model.version) > int(newest[model.name].version):
            newest[model.name] = model
    taken = {champion.name, *(m.name for m in fast)}
    others = [m for m in sorted(newest.values(), key=lambda m: (_family_rank(m.family), m.name)) if m.name not in taken]
    return champion, fast + others, fast[0].name if fast else ""


def _chosen(others: list[BenchModel], fast: str, models: str) -> list[BenchModel]:
    """The models `--models` asks for besides the champion (always measured: the others are compared with it)."""
    if models.strip() == "all":
        return others
    wanted = {name.strip() for name in models.split(",") if name.strip()} - {"champion"}
    names = {m.name: m for m in others}
    if "fast" in wanted:
        wanted = (wanted - {"fast"}) | ({fast} if fast else set())
    unknown = sorted(wanted - set(names))
    if unknown:
        raise ValueError(f"--models: no registered model called {', '.join(unknown)} (known: champion, "
                         f"{'fast, ' if fast else ''}{', '.join(sorted(names))})")
    return [m for m in others if m.name in wanted]


def _family_rank(family: str) -> int:
    from models.families import family_names

    return family_names().index(family) if family in family_names() else 99


def _worker_env() -> dict[str, str]:
    import mlflow

    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(), "PYTHONUNBUFFERED": "1"}
    for key, value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                       "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "TOKENIZERS_PARALLELISM": "false",
                       "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}.items():
        env.setdefault(key, value)
    return env


def run_worker(mode: str, arguments: list[str], work: Path, timeout: float = 6 * 3600) -> dict:
    """Run `python -m train.bench.worker --worker MODE ...` and return its JSON result plus its wall time.
    (The worker reports its own peak RSS, see `peak_rss_mb`.)"""
    result_path = work / f"result-{mode}-{time.time_ns()}.json"
    log_path = result_path.with_suffix(".log")
    command = [sys.executable, "-m", "train.bench.worker", "--worker", mode, "--result", str(result_path), *arguments]
    started = time.perf_counter()
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(command, env=_worker_env(), stdout=log_file, stderr=subprocess.STDOUT,
                                   cwd=str(paths.ROOT))
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0 or not result_path.exists():
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"bench worker '{mode}' failed (exit {process.returncode}):\n{tail}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    result["wall_s"] = wall
    result["ru_maxrss_mb_wait4"] = usage.ru_maxrss / 1024  # inflated by this process's own RSS: kept to show it
    return result


def parse_sizes(value) -> list[int]:
    sizes = [int(s) for s in str(value).replace(" ", "").split(",") if s] if not isinstance(value, list) else value
    if not sizes or any(s < 1 for s in sizes):
        raise ValueError(f"--sizes must be positive article counts, e.g. 1000,10000; got {value!r}")
    return sorted(dict.fromkeys(int(s) for s in sizes))


def bench_model(model: BenchModel, corpora: dict[int, Path], work: Path, options: dict) -> dict:
    with LoadSampler() as load:
        row = _bench_model(model, corpora, work, options)
    row["load_avg_1min"] = load.summary()
    return row


def _bench_model(model: BenchModel, corpora: dict[int, Path], work: Path, options: dict) -> dict:
    sizes = sorted(corpora)
    log.info("bench %s (%s, %s)", model.name, model.family, model.uri)
    # the first cold-start worker goes on to measure model-only speed; the others only start cold
    colds = [run_worker("cold", ["--model", model.uri, "--corpus", str(corpora[sizes[0]]),
                                 "--seconds", str(options["model_seconds"]), "--repeats", str(options["repeats"])],
                        work)]
    colds += [run_worker("cold", ["--model", model.uri], work) for _ in range(options["cold_repeats"] - 1)]
    only = colds[0]["model_only"]
    per_size = {}
    for size in sizes:
        output = work / f"scores-{model.name}-{size}.parquet"
        result = run_worker("score", ["--model", model.uri, "--corpus", str(corpora[size]), "--output", str(output)],
                            work)
        per_size[str(size)] = {key: result[key] for key in ("prose_sentences", "rows", "e2e_s", "e2e_sentences_per_s",
                                                            "wall_s", "peak_rss_mb", "scorer_peak_rss_mb",
                                                            "processes", "ru_maxrss_mb_wait4")}
        for leftover in work.glob(f"scores-{model.name}-{size}*"):
            leftover.unlink()
        log.info("  %s articles: %.0f sentences/s end to end, peak RSS %.0f MB", size,
                 result["e2e_sentences_per_s"], result["peak_rss_mb"])
    largest = per_size[str(sizes[-1])]
    row = {
        "family": model.family, "uri": model.uri, "version": model.version, "run_id": model.run_id,
        "e2e_sentences_per_s": largest["e2e_sentences_per_s"],
        "model_sentences_per_s": only["model_sentences_per_s"],
        "cold_start_s": statistics.median(c["cold_start_s"] for c in colds),
        "peak_rss_mb": {str(size): per_size[str(size)]["peak_rss_mb"] for size in sizes},
        "cold_start_wall_s": statistics.median(c["wall_s"] for c in colds),
        "cold_start_runs": [{k: c[k] for k in ("load_s", "first_prediction_s", "cold_start_s", "wall_s")}
                            for c in colds],
        "model_only": {k: only[k] for k in ("sentences", "rates", "threads")},
        "e2e_by_size": per_size,
    }
    row["e2e_share_of_model"] = row["e2e_sentences_per_s"] / max(row["model_sentences_per_s"], 1e-9)
    row["targets_met"] = targets_met(row, sizes)
    return row


def _resumable(partial: Path, sizes: list[int]) -> dict:
    """Models measured by an interrupted bench with the same sizes and corpus seed."""
    try:
        saved = json.loads(partial.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return saved.get("models", {}) if saved.get("sizes") == sizes and saved.get("seed") == SEED else {}


def _serving(champion: BenchModel, corpus: Path, work: Path, requests: int) -> dict:
    """The HTTP load test on the champion (see `train.bench.serving`); {} when switched off."""
    if requests <= 0:
        return {}
    from train.bench.serving import load_test

    with corpus.open(encoding="utf-8") as handle:
        articles = [json.loads(line)["text"] for _, line in zip(range(200), handle)]
    result = load_test(champion.uri, articles, work, requests=requests)
    log.info("serving %s: %.0f requests/s, p99 %.0f ms (%d of %d answered 200)", champion.name,
             result["requests_per_s"], result["p99_ms"], result["ok"], result["requests"])
    return result


def run_bench(args: argparse.Namespace) -> int:
    from train import tracking
    from train.console import wide_console

    sizes = parse_sizes(args.sizes)
    options = {"cold_repeats": int(getattr(args, "cold_repeats", 3) or 3),
               "model_seconds": float(getattr(args, "model_seconds", 20.0) or 20.0),
               "repeats": int(getattr(args, "repeats", 3) or 3)}
    experiment = getattr(args, "experiment", None) or "sectarian-frames"
    output = Path(args.output)
    partial = output.with_name(f"{output.stem}.partial.json")
    tracking.configure()
    champion, others, fast = select_models(args.champion)
    others = _chosen(others, fast, getattr(args, "models", "all") or "all")
    machine = machine_info()
    started = time.perf_counter()
    done = _resumable(partial, sizes) if getattr(args, "resume", False) else {}
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sectframes-bench-", dir=getattr(args, "work_dir", None)) as tmp:
        work = Path(tmp)
        sentences = source_sentences()
        corpora, corpus_stats = {}, {}
        for size in sizes:
            corpora[size] = work / f"articles-{size}.jsonl"
            corpus_stats[str(size)] = write_corpus(sentences, size, corpora[size])
        models = {}
        for model in [champion, *others]:
            if model.name in models:  # two runs may share a name
                model.name = f"{model.name}@v{model.version}"
            previous = done.get(model.name)
            if previous and previous.get("run_id") == model.run_id and previous.get("uri") == model.uri:
                log.info("bench %s: kept from %s", model.name, partial)
                models[model.name] = previous
            else:
                models[model.name] = bench_model(model, corpora, work, options)
            # after every model, so a killed bench keeps what it measured (`resume` picks it up)
            partial.write_text(json.dumps({"sizes": sizes, "seed": SEED, "models": models}, indent=1), encoding="utf-8")
        serving = _serving(champion, corpora[sizes[0]], work, int(getattr(args, "serve_requests", 2000) or 0))
    machine["load_avg_end"] = list(os.getloadavg())
    report = {"champion": champion.name, "fast": fast, "models": models, "machine": machine, "sizes": sizes,
              "corpus": {"seed": SEED, "sentences_per_article": list(ARTICLE_SENTENCES),
                         "source_sentences": len(sentences), "by_size": corpus_stats},
              "targets": TARGETS, "seconds": time.perf_counter() - started, "serving": serving,
              "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    report.update(fast_verdict(report))
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    partial.unlink(missing_ok=True)
    if getattr(args, "log_mlflow", True):
        report["mlflow_run_id"] = log_to_mlflow(report, output, experiment)
    wide_console().print(bench_table(report))
    log.info("wrote %s (MLflow run %s)", output, report.get("mlflow_run_id", "not logged"))
    return 0

