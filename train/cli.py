"""`sectframes`: the command line. Each subcommand imports its stage lazily so `--help` is instant."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from train.errors import ConfigError, DataError

log = logging.getLogger("sectframes")


def _offline() -> None:
    """No model or dataset hub, no telemetry: everything we need ships with the packages."""
    for key, value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                       "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
                       "TOKENIZERS_PARALLELISM": "false"}.items():
        os.environ.setdefault(key, value)


def cmd_data(args: argparse.Namespace) -> int:
    from train.card import corpus_card, render_card

    if args.json:
        import json

        print(json.dumps(corpus_card(), indent=2))
    else:
        render_card(corpus_card())
    return 0


def cmd_build_gold(args: argparse.Namespace) -> int:
    from train import paths
    from train.annotate import build_gold, write_jsonl
    from train.data import load_articles, load_gold

    passes = paths.ANNOTATIONS / "passes"
    records = build_gold(load_articles(), passes / "seed_pass_a.jsonl", passes / "seed_pass_b.jsonl",
                         passes / "seed_adjudication.jsonl")
    write_jsonl(paths.GOLD, [{**r, "source": "seed"} for r in records])
    load_gold()
    log.info("wrote %d gold sentences to %s", len(records), paths.GOLD)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sectframes", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="print the corpus card (articles, sentences, frames, agreement)")
    data.add_argument("--json", action="store_true", help="machine-readable output")
    data.set_defaults(func=cmd_data)
    gold = sub.add_parser("build-gold", help="rebuild data/annotations/gold.jsonl from the passes")
    gold.set_defaults(func=cmd_build_gold)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    _offline()
    try:
        return args.func(args)
    except (DataError, ConfigError) as exc:
        log.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
