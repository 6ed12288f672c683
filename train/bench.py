"""`make bench`: throughput, cold start and peak memory of the champion and of one model per family.

The corpus is synthetic but made only of our own text: articles of 15-40 sentences resampled (with a
fixed seed) from the gold and authored sentences, a few sentences per paragraph, written as JSONL.

Every measurement runs in a fresh interpreter (`python -m train.bench --worker ...`), so models never
share a process, a thread pool or an allocator with each other or with this one:

- e2e: the worker calls the real CLI entry point, `train.cli.main(["score", CORPUS, "-o", OUT, ...])`
  with its defaults (one scoring process per core, see `train.workers`). The e2e rate is prose
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
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from train import paths

log = logging.getLogger(__name__)
SEED = 20261121
ARTICLE_SENTENCES = (15, 40)
PARAGRAPH_SENTENCES = (1, 4)
ENCODER_FAMILIES = ("embedding", "finetune")
TARGETS = {"e2e_share_of_model": 0.80, "tfidf_sentences_per_s": 20_000, "rss_growth": 0.10, "cold_start_s": 5.0}
COLD_EXAMPLE = ("Militia fighters from one sect moved into the town as the army withdrew.\n\n"
                "Families fled towards the camps on foot. Aid agencies said the roads were closed.")


# --------------------------------------------------------------------------------------------- corpus
def source_sentences() -> list[str]:
    """Our own sentences: the gold set and the authored set (texts only)."""
    texts = []
    for path in (paths.GOLD, paths.AUTHORED):
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                texts += [json.loads(line)["text"] for line in handle if line.strip()]
    if not texts:
        raise FileNotFoundError(f"no sentences in {paths.GOLD} or {paths.AUTHORED}")
    return texts


def write_corpus(sentences: list[str], articles: int, path: Path, seed: int = SEED) -> dict:
    """`articles` synthetic articles as JSONL ({"id", "text"}); deterministic for a seed."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with path.open("w", encoding="utf-8") as handle:
        for number in range(articles):
            count = int(rng.integers(ARTICLE_SENTENCES[0], ARTICLE_SENTENCES[1] + 1))
            picked = [sentences[i] for i in rng.integers(0, len(sentences), count)]
            paragraphs, start = [], 0
            while start < count:
                size = int(rng.integers(PARAGRAPH_SENTENCES[0], PARAGRAPH_SENTENCES[1] + 1))
                paragraphs.append(" ".join(picked[start:start + size]))
                start += size
            handle.write(json.dumps({"id": f"bench-{number:06d}", "text": "\n\n".join(paragraphs)},
                                    ensure_ascii=False) + "\n")
            total += count
    return {"articles": articles, "source_sentences": total, "bytes": path.stat().st_size}


# --------------------------------------------------------------------------------------------- models
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


def select_models(champion_uri: str) -> tuple[BenchModel, list[BenchModel]]:
    """The champion, and the newest registered version of every other family (the champion stands for
    its own family)."""
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
    newest: dict[str, BenchModel] = {}
    for version in client.search_model_versions(f"name='{tracking.REGISTERED_MODEL}'"):
        model = describe(version, f"models:/{tracking.REGISTERED_MODEL}/{version.version}")
        if model.family not in newest or int(model.version) > int(newest[model.family].version):
            newest[model.family] = model
    others = [m for family, m in sorted(newest.items(), key=lambda kv: _family_rank(kv[0]))
              if family != champion.family]
    return champion, others


def _family_rank(family: str) -> int:
    from models.families import family_names

    return family_names().index(family) if family in family_names() else 99


# --------------------------------------------------------------------------------------------- workers
def _worker_env() -> dict[str, str]:
    import mlflow

    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(), "PYTHONUNBUFFERED": "1"}
    for key, value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                       "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "TOKENIZERS_PARALLELISM": "false",
                       "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}.items():
        env.setdefault(key, value)
    return env


def run_worker(mode: str, arguments: list[str], work: Path, timeout: float = 6 * 3600) -> dict:
    """Run `python -m train.bench --worker MODE ...` and return its JSON result plus its wall time.
    (The worker reports its own peak RSS, see `peak_rss_mb`.)"""
    result_path = work / f"result-{mode}-{time.time_ns()}.json"
    log_path = result_path.with_suffix(".log")
    command = [sys.executable, "-m", "train.bench", "--worker", mode, "--result", str(result_path), *arguments]
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


def _worker_cold(args) -> dict:
    started = time.perf_counter()  # first statement after the interpreter and this module are up
    import pandas as pd

    from train.scoring import load_model

    model = load_model(args.model)
    loaded = time.perf_counter()
    model.predict(pd.DataFrame({"id": ["cold-1"], "text": [COLD_EXAMPLE]}), params={"unit": "article"})
    done = time.perf_counter()
    result = {"load_s": loaded - started, "first_prediction_s": done - loaded, "cold_start_s": done - started,
              "peak_rss_mb": peak_rss_mb()}
    if args.corpus:  # model-only speed, in the same (now warm) process
        result["model_only"] = _model_only(model.unwrap_python_model().predictor, args)
    return result


def _prose_sentences(corpus: Path, wanted: int) -> list[str]:
    from models.segment import PROSE, split_sentences

    sentences: list[str] = []
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            text = json.loads(line)["text"]
            sentences += [s.text for s in split_sentences(text) if s.kind == PROSE]
            if len(sentences) >= wanted:
                break
    return sentences


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
    from train.cli import main

    with ProcessTreeMemory() as memory:
        started = time.perf_counter()
        code = main(["score", args.corpus, "-o", args.output, "--model", args.model, "--quiet", "--overwrite"])
        seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"sectframes score exited with {code}")
    import pyarrow.parquet as pq

    kinds = pq.read_table(args.output, columns=["kind"]).column("kind").to_pylist()
    prose = sum(k == "prose" for k in kinds)
    return {"rows": len(kinds), "prose_sentences": prose, "e2e_s": seconds,
            "e2e_sentences_per_s": prose / max(seconds, 1e-9), "peak_rss_mb": memory.peak_mb(),
            "scorer_peak_rss_mb": peak_rss_mb(), "processes": memory.processes()}


def peak_rss_mb() -> float:
    """This process's peak resident set size. VmHWM belongs to the address space, which `exec` replaces,
    so it is the worker's own peak. `ru_maxrss` is not: Linux carries the parent's RSS at fork/exec into
    the child's `ru_maxrss` (also via `wait4`), so a big parent would inflate every child's number."""
    return _status_mb("self", "VmHWM") or _ru_maxrss_mb()


def _ru_maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(pid: str, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _child_pids(parent: int) -> list[int]:
    """Direct children of `parent` (scoring workers, multiprocessing's resource tracker)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(entry.name))
    return children


class PeriodicSampler:
    """Calls `sample()` on a thread every `every` seconds, from entering the `with` block to leaving it."""

    def __init__(self, every: float):
        import threading

        self.every, self._stop = every, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.every):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class ProcessTreeMemory(PeriodicSampler):
    """Peak memory of this process and the worker processes it starts: the sum of every process's own
    high-water mark (VmHWM), each read while the process lives (every 0.2 s). A sum of peaks is an
    upper bound on the peak of the sum, the safe side for a memory budget."""

    def __init__(self, every: float = 0.2):
        super().__init__(every)
        self._peaks: dict[int, float] = {}

    def sample(self) -> None:
        for pid in _child_pids(os.getpid()):
            self._peaks[pid] = max(self._peaks.get(pid, 0.0), _status_mb(str(pid), "VmHWM"))

    def processes(self) -> int:
        return 1 + len(self._peaks)

    def peak_mb(self) -> float:
        return peak_rss_mb() + sum(self._peaks.values())


def worker_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.bench --worker")
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


# --------------------------------------------------------------------------------------------- bench
def parse_sizes(value) -> list[int]:
    sizes = [int(s) for s in str(value).replace(" ", "").split(",") if s] if not isinstance(value, list) else value
    if not sizes or any(s < 1 for s in sizes):
        raise ValueError(f"--sizes must be positive article counts, e.g. 1000,10000; got {value!r}")
    return sorted(dict.fromkeys(int(s) for s in sizes))


def machine_info() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    from models.encoder import available_cores

    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    memory_gb = float("nan")
    try:
        memory_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for package in ("torch", "onnxruntime", "transformers", "scikit-learn", "mlflow", "pysbd"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    return {"cores": available_cores(), "cpu_count": os.cpu_count(), "cpu": cpu, "memory_gb": round(memory_gb, 1),
            "platform": platform.platform(), "python": platform.python_version(), "versions": versions,
            "load_avg_start": list(os.getloadavg())}


class LoadSampler(PeriodicSampler):
    """Samples the 1-minute load average every few seconds while a model is measured: other processes
    on the machine make every number worse, and this says by how much they were there."""

    def __init__(self, every: float = 5.0):
        super().__init__(every)
        self.samples: list[float] = []

    def sample(self) -> None:
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        return {"mean": float(np.mean(self.samples)), "max": float(np.max(self.samples)), "n": len(self.samples)}


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


def targets_met(row: dict, sizes: list[int]) -> dict:
    """The issue's targets that apply to this model (True/False each)."""
    met = {"cold_start_le_5s": row["cold_start_s"] <= TARGETS["cold_start_s"]}
    if len(sizes) > 1:
        low, high = row["peak_rss_mb"][str(sizes[0])], row["peak_rss_mb"][str(sizes[-1])]
        met["peak_rss_flat_within_10pct"] = high <= low * (1 + TARGETS["rss_growth"])
    if row["family"] in ENCODER_FAMILIES:
        met["e2e_ge_80pct_of_model"] = row["e2e_share_of_model"] >= TARGETS["e2e_share_of_model"]
    if row["family"] == "tfidf":
        met["model_ge_20000_per_s"] = row["model_sentences_per_s"] >= TARGETS["tfidf_sentences_per_s"]
        met["e2e_ge_20000_per_s"] = row["e2e_sentences_per_s"] >= TARGETS["tfidf_sentences_per_s"]
    return met


def bench_table(report: dict):
    from rich.table import Table

    sizes = report["sizes"]
    table = Table(title=f"Benchmark on {report['machine']['cores']} cores (synthetic articles: "
                        f"{', '.join(f'{s:,}' for s in sizes)})")
    for column in ("model", "family", "e2e sent/s", "model sent/s", "e2e/model", "cold start s",
                   *[f"peak RSS MB @{s:,}" for s in sizes], "load avg", "targets"):
        table.add_column(column, justify="left" if column in ("model", "family", "targets") else "right")
    for name, row in report["models"].items():
        missed = [k for k, ok in row["targets_met"].items() if not ok]
        table.add_row(name + (" (champion)" if name == report["champion"] else ""), row["family"],
                      f"{row['e2e_sentences_per_s']:,.0f}", f"{row['model_sentences_per_s']:,.0f}",
                      f"{row['e2e_share_of_model']:.0%}", f"{row['cold_start_s']:.2f}",
                      *[f"{row['peak_rss_mb'][str(s)]:,.0f}" for s in sizes], f"{row['load_avg_1min']['mean']:.1f}",
                      "all met" if not missed else "missed: " + ", ".join(missed))
    return table


def log_to_mlflow(report: dict, path: Path, experiment: str) -> str:
    """One MLflow run (kind `bench`) with every number as a metric and bench.json as an artifact."""
    from train import tracking

    exp_id = tracking.experiment_id(experiment)
    tags = {tracking.KIND_TAG: "bench", "git_commit": tracking.git_commit(), "champion": report["champion"]}
    with tracking.tracked_run(exp_id, "bench", tags) as run:
        tracking.log_params({"sizes": ",".join(map(str, report["sizes"])), "cores": report["machine"]["cores"]})
        metrics = {}
        for name, row in report["models"].items():
            key = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
            metrics.update({f"{key}.e2e_sentences_per_s": row["e2e_sentences_per_s"],
                            f"{key}.model_sentences_per_s": row["model_sentences_per_s"],
                            f"{key}.cold_start_s": row["cold_start_s"]})
            metrics.update({f"{key}.peak_rss_mb_{size}": mb for size, mb in row["peak_rss_mb"].items()})
        tracking.log_metrics(metrics)
        tracking.log_artifact(path)
        return run.info.run_id


def _resumable(partial: Path, sizes: list[int]) -> dict:
    """Models measured by an interrupted bench with the same sizes and corpus seed."""
    try:
        saved = json.loads(partial.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return saved.get("models", {}) if saved.get("sizes") == sizes and saved.get("seed") == SEED else {}


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
    champion, others = select_models(args.champion)
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
    machine["load_avg_end"] = list(os.getloadavg())
    report = {"champion": champion.name, "models": models, "machine": machine, "sizes": sizes,
              "corpus": {"seed": SEED, "sentences_per_article": list(ARTICLE_SENTENCES),
                         "source_sentences": len(sentences), "by_size": corpus_stats},
              "targets": TARGETS, "seconds": time.perf_counter() - started,
              "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    partial.unlink(missing_ok=True)
    if getattr(args, "log_mlflow", True):
        report["mlflow_run_id"] = log_to_mlflow(report, output, experiment)
    wide_console().print(bench_table(report))
    log.info("wrote %s (MLflow run %s)", output, report.get("mlflow_run_id", "not logged"))
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        sys.exit(worker_main(sys.argv[1:]))
    sys.exit("run `sectframes bench` (this module's own entry point is for its worker processes)")
