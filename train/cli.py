"""`sectframes`: the command line. Each subcommand imports its stage lazily so `--help` is instant."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from train.cli_annotation import cmd_annotate, cmd_build_corpus, cmd_import_labels, cmd_sample
from train.errors import ConfigError, DataError, DiskFull, Interrupted, ModelLoadError, WorkerCrashed, interrupt_code

log = logging.getLogger("sectframes")


def _offline() -> None:
    """No model or dataset hub, no telemetry: everything we need ships with the packages."""
    for key, value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                       "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
                       "TOKENIZERS_PARALLELISM": "false",
                       "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}.items():
        os.environ.setdefault(key, value)


def _terminate(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so open MLflow runs end as FAILED instead of staying RUNNING."""
    raise SystemExit(128 + signum)


def cmd_data(args: argparse.Namespace) -> int:
    from train.corpus.card import corpus_card, render_card

    if args.json:
        import json

        print(json.dumps(corpus_card(), indent=2))
    else:
        render_card(corpus_card())
    return 0


def cmd_build_gold(args: argparse.Namespace) -> int:
    from train import paths
    from train.corpus.gold import build_authored, build_gold, write_jsonl
    from train.corpus.records import load_articles, load_authored, load_gold

    passes = paths.ANNOTATIONS / "passes"
    records = build_gold(load_articles(), passes / "seed_pass_a.jsonl", passes / "seed_pass_b.jsonl",
                         passes / "seed_adjudication.jsonl")
    write_jsonl(paths.GOLD, [{**r, "source": "seed"} for r in records])
    load_gold()
    log.info("wrote %d gold sentences to %s", len(records), paths.GOLD)
    if (passes / "authored_written.jsonl").exists():
        authored = build_authored(passes / "authored_written.jsonl", passes / "authored_pass_a.jsonl",
                                  passes / "authored_pass_b.jsonl", passes / "authored_adjudication.jsonl")
        write_jsonl(paths.AUTHORED, authored)
        load_authored()
        log.info("wrote %d authored sentences to %s", len(authored), paths.AUTHORED)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from train.experiments.config import load_config
    from train.console import wide_console
    from train.experiments.suite import decisions_text, outcome_table, run_suite

    suite = load_config(args.config)
    started = time.perf_counter()
    outcomes = run_suite(suite)
    console = wide_console()
    console.print(outcome_table(outcomes))
    console.print(decisions_text(outcomes), highlight=False)
    console.print(f"{len(outcomes)} run(s) in {time.perf_counter() - started:.0f} s; "
                  f"compare them with `make compare` or `make ui`.")
    return 1 if any(o.status != "FINISHED" for o in outcomes) else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from train.evaluation.compare import compare

    return compare(args.experiment, args.limit)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from train.evaluation.report import evaluate_model
    from train.scoring.model_ref import resolve_model_reference

    evaluate_model(resolve_model_reference(args.model), Path(args.output))
    return 0


SCORE_EPILOG = """\
exit status:
  0  every document was scored (warnings, such as non-English text, do not count as failures)
  1  some documents could not be scored: each has a record in OUTPUT's .errors.jsonl, the rest were scored
  2  nothing was scored: bad arguments, an unloadable model, or an output that exists already
  3  the run stopped part way because a worker process died (killed, out of memory) or the disk filled
     up: --resume continues it
  130, 143  stopped by Ctrl-C or SIGTERM: one line says how far it got; --resume continues it

outputs beside OUTPUT (e.g. scores.parquet): scores.articles.parquet (one row per article),
scores.errors.jsonl (one record per problem), scores.report.md and scores.frame_shares.png.
While running, parts are written to OUTPUT.parts/; after a crash or kill, --resume continues there with
the model version the run started with (a registry alias such as @champion is pinned when a run starts).
"""


def _thresholds(pairs: list[str] | None) -> dict[str, float]:
    """`--threshold FRAME=VALUE` options as a dict, checked (known frame, a value between 0 and 1)."""
    from models.frames import FRAME_KEYS

    out = {}
    for pair in pairs or []:
        frame, _, value = pair.partition("=")
        try:
            cut = float(value)
        except ValueError:
            cut = -1.0
        if frame not in FRAME_KEYS or not 0 < cut < 1:
            raise ValueError(f"--threshold {pair!r}: expected FRAME=VALUE with FRAME one of {list(FRAME_KEYS)} and "
                             "0 < VALUE < 1")
        out[frame] = cut
    return out


def cmd_score(args: argparse.Namespace) -> int:
    from train.scoring.batch import ScoreOptions, run_scoring, summary_lines
    from train.scoring.model_ref import resolve_model_reference

    model = resolve_model_reference(args.model)
    if model != args.model:
        log.info("model %s is %s", args.model, model)
    options = ScoreOptions([Path(p) for p in args.inputs], Path(args.output), model, args.unit,
                           args.resume, args.overwrite, args.max_chars, args.batch_docs, args.workers,
                           args.follow_symlinks, args.keep_columns, args.group_by, _thresholds(args.threshold),
                           args.include_off_topic)
    if args.engine == "spark":
        from train.scoring.spark_engine import run_spark_scoring

        if options.thresholds or options.group_by or options.follow_symlinks or args.keep_columns != "all":
            raise ValueError("--threshold, --group-by, --keep-columns and --follow-symlinks work with --engine "
                             "local only (the Spark engine reads each table's id and text)")

        summary = run_spark_scoring(options, master=args.master)
    else:
        summary = run_scoring(options, progress=not args.quiet)
    for line in summary_lines(summary, options):
        (log.warning if line.startswith(("error", "warning")) else log.info)("%s", line)
    return 1 if summary.failed else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from train.scoring.model_ref import resolve_model_reference
    from train.scoring.server import Limits, serve

    if args.max_body_mb <= 0 or args.timeout <= 0:
        raise ValueError("--max-body-mb and --timeout must be positive")
    limits = Limits(max_body_bytes=int(args.max_body_mb * 2**20), timeout_s=args.timeout)
    serve(resolve_model_reference(args.model), args.host, args.port, limits)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """Start MLflow's UI on the project's store and say where the training runs' view is."""
    from train import tracking

    uri = tracking.configure()
    tracking.experiment_id(args.experiment)  # makes sure the saved view exists
    base = f"http://127.0.0.1:{args.port}"
    log.info("training runs with the key metrics: %s", tracking.ui_url(args.experiment, base))
    mlflow_bin = str(Path(sys.executable).with_name("mlflow"))
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.execv(mlflow_bin, [mlflow_bin, "ui", "--host", "127.0.0.1", "--port", str(args.port),
                          "--backend-store-uri", uri])


def cmd_bench(args: argparse.Namespace) -> int:
    from train.bench.run import run_bench

    return run_bench(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sectframes", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="print the corpus card (articles, sentences, frames, agreement)")
    data.add_argument("--json", action="store_true", help="machine-readable output")
    data.set_defaults(func=cmd_data)
    gold = sub.add_parser("build-gold", help="rebuild gold.jsonl and authored.jsonl from the passes")
    gold.set_defaults(func=cmd_build_gold)
    corpus = sub.add_parser("build-corpus", help="rebuild data/corpus/ (articles, sentences, labels) from the "
                                                 "writers' files and the annotation passes")
    corpus.add_argument("--packet", help="also write an annotation packet (page text + prose sentences to label, "
                                         "no design metadata) to this file, and its ids beside it")
    corpus.add_argument("--articles", nargs="*", help="article ids for the packet (default: all)")
    corpus.set_defaults(func=cmd_build_corpus)
    sample = sub.add_parser("sample", help="sentences of a scored corpus to label in Label Studio (import JSON)")
    sample.add_argument("scores", help="a sentence table written by `sectframes score`")
    sample.add_argument("-n", type=int, default=200, help="number of tasks (default 200)")
    sample.add_argument("-o", "--output", required=True, help="Label Studio tasks JSON to write")
    sample.add_argument("--random-share", type=float, default=0.3, help="share drawn at random (default 0.3)")
    sample.add_argument("--per-article", type=int, default=3, help="at most this many per article (default 3)")
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(func=cmd_sample)
    labels = sub.add_parser("import-labels", help="a Label Studio JSON export -> data/annotations/user/")
    labels.add_argument("export", help="the export (JSON) of tasks made by `sectframes sample`")
    labels.set_defaults(func=cmd_import_labels)
    annotate = sub.add_parser("annotate", help="Label Studio on 127.0.0.1 with the project and the sampled tasks")
    annotate.add_argument("--tasks", help="tasks JSON from `sectframes sample` to import (new ones only)")
    annotate.add_argument("--label-studio", default=".venv-labelstudio/bin/label-studio",
                          help="the label-studio executable (its own virtual environment: `make annotate`)")
    annotate.add_argument("--port", type=int, default=8080)
    annotate.add_argument("--data-dir", default=".labelstudio", help="Label Studio's SQLite store and files")
    annotate.add_argument("--export", default="reports/labelstudio-export.json",
                          help="where the project's export is saved when you stop it (Ctrl-C)")
    annotate.set_defaults(func=cmd_annotate)
    train = sub.add_parser("train", help="run an experiment suite or one experiment config")
    train.add_argument("--config", default="configs/default.yaml", help="suite or experiment YAML")
    train.set_defaults(func=cmd_train)
    compare = sub.add_parser("compare", help="side-by-side table of an experiment's finished runs")
    compare.add_argument("--experiment", default="sectarian-frames")
    compare.add_argument("--limit", type=int, default=20, help="newest N runs")
    compare.set_defaults(func=cmd_compare)
    evaluate = sub.add_parser("evaluate", help="evaluation report for a model (default: the champion)")
    evaluate.add_argument("--model", default="models:/sectarian-frames@champion",
                          help="an MLflow model URI, @alias, registry version or training run name")
    evaluate.add_argument("--output", default="reports", help="report folder")
    evaluate.set_defaults(func=cmd_evaluate)
    score = sub.add_parser("score", help="score new articles in batch", epilog=SCORE_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="Score files or folders of .txt/.md/.html articles, or .jsonl/.csv/.parquet "
                                       "tables with a 'text' column (and optional 'id').")
    score.add_argument("inputs", nargs="+", help="files or folders")
    score.add_argument("-o", "--output", required=True, help="output file: .jsonl, .csv or .parquet")
    score.add_argument("--model", default="models:/sectarian-frames@champion",
                       help="an MLflow model URI, or short: @alias (@champion, @fast), a registry version (3), or a "
                            "training run's name (minilm-frozen)")
    score.add_argument("--unit", choices=["article", "sentence"], default="article",
                       help="article: split into sentences; sentence: each row is one sentence, scored as is")
    again = score.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue an interrupted run into the same OUTPUT")
    again.add_argument("--overwrite", action="store_true", help="replace an existing OUTPUT")
    score.add_argument("--follow-symlinks", action="store_true",
                       help="read symlinks that point outside an input folder (by default each is an error record)")
    score.add_argument("--keep-columns", default="all",
                       help="a table's other columns (outlet, date, url...) copied to the sentence and article outputs: "
                            "all (default), none, or a comma-separated list")
    score.add_argument("--threshold", action="append", metavar="FRAME=VALUE",
                       help="decide FRAME with your own probability threshold (repeatable), e.g. "
                            "humanitarian=0.7 for fewer, surer humanitarian sentences; the report says which were used")
    score.add_argument("--group-by", metavar="COLUMN",
                       help="frame shares per group with 95%% intervals (bootstrap over articles) in the report, "
                            "OUTPUT's .groups table and plots: a kept input column, or 'folder' (sub-folder of file "
                            "inputs); a kept 'date' column also gives a monthly time series")
    score.add_argument("--include-off-topic", action="store_true",
                       help="keep off-topic articles (under half of their sentences pass the relevance gate) in the "
                            "--group-by shares; they are always listed in the report")
    score.add_argument("--max-chars", type=int, default=1_000_000, help="documents longer than this are refused")
    score.add_argument("--batch-docs", type=int, default=64, help="documents per part (memory vs. resume granularity)")
    score.add_argument("--workers", type=int, default=0,
                       help="worker processes, each with its own model and a share of the cores (default 0: one "
                            "per core, up to 4; 1: score in this process). Inputs of fewer than 8 batches are scored in this process")
    score.add_argument("--engine", choices=["local", "spark"], default="local",
                       help="spark: PySpark (pip install .[spark]); reads .parquet/.jsonl only, no --resume")
    score.add_argument("--master", default="local[2]", help="Spark master URL with --engine spark")
    score.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    score.set_defaults(func=cmd_score)
    ui = sub.add_parser("ui", help="MLflow's UI on 127.0.0.1, opening on the training runs and key metrics")
    ui.add_argument("--port", type=int, default=5000)
    ui.add_argument("--experiment", default="sectarian-frames")
    ui.set_defaults(func=cmd_ui)
    serve = sub.add_parser("serve", help="serve a model over HTTP (MLflow's scoring app, with request limits)")
    serve.add_argument("--model", default="models:/sectarian-frames@champion",
                       help="an MLflow model URI, @alias, registry version or training run name")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5001)
    serve.add_argument("--max-body-mb", type=float, default=4.0, help="larger requests get 413 (default 4)")
    serve.add_argument("--timeout", type=int, default=60, help="seconds per request before a 504 (default 60)")
    serve.set_defaults(func=cmd_serve)
    bench = sub.add_parser("bench", help="throughput, cold start and peak memory -> reports/bench.json")
    bench.add_argument("--sizes", default="100,1000", help="synthetic corpus sizes in articles (default 100,1000: "
                       "the mpnet champion scores ~30 sentences/s on 2 cores)")
    bench.add_argument("--models", default="all",
                       help="all (default), or a comma list of: champion, fast, training run names")
    bench.add_argument("--output", default="reports/bench.json")
    bench.add_argument("--champion", default="models:/sectarian-frames@champion", help="model URI of the champion")
    bench.add_argument("--serve-requests", type=int, default=200,
                       help="requests of the HTTP load test on the champion (8 clients; 0 skips it)")
    bench.add_argument("--resume", action="store_true",
                       help="keep the models an interrupted bench already measured (OUTPUT's .partial.json)")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    _offline()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.func(args)
    except (DataError, ConfigError, FileExistsError, FileNotFoundError, ValueError, ModelLoadError) as exc:
        log.error("%s", exc)
        return 2
    except (WorkerCrashed, DiskFull) as exc:
        log.error("%s", exc)
        return 3
    except OSError as exc:  # a read-only or full output folder, an unreadable config...: one line, no traceback
        log.error("%s%s", exc.strerror or exc, f": {exc.filename}" if exc.filename else "")
        return 2
    except Interrupted as exc:
        log.error("%s", exc)
        return exc.code
    except (KeyboardInterrupt, SystemExit) as exc:
        code = interrupt_code(exc)
        if code not in (130, 143):  # an ordinary sys.exit
            raise
        log.error("stopped by %s%s", "Ctrl-C" if code == 130 else "SIGTERM",
                  "; runs in progress were marked FAILED in MLflow" if args.command == "train" else "")
        return code
    except Exception as exc:  # an MLflow model that cannot be found or loaded, and the like
        if type(exc).__name__ not in ("MlflowException", "RestException"):
            raise
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
