"""Integrity of our authored training sentences."""

import re
from collections import Counter

from models.frames import FRAME_KEYS
from train import paths
from train.corpus.gold import build_authored
from train.corpus.records import load_articles, load_authored, read_jsonl

PASSES = paths.ANNOTATIONS / "passes"


def test_authored_file_is_what_the_passes_give():
    rebuilt = build_authored(PASSES / "authored_written.jsonl", PASSES / "authored_pass_a.jsonl",
                             PASSES / "authored_pass_b.jsonl", PASSES / "authored_adjudication.jsonl")
    assert rebuilt == load_authored()


def test_at_least_600_unique_authored_sentences_all_marked_as_ours():
    authored = load_authored()
    assert len(authored) >= 600
    assert len({r["text"] for r in authored}) == len(authored)
    assert {r["source"] for r in authored} == {"authored"}


def test_every_frame_alone_and_in_combination_and_hard_negatives():
    authored = load_authored()
    alone = Counter(r["labels"][0] for r in authored if len(r["labels"]) == 1)
    assert all(alone[key] >= 30 for key in FRAME_KEYS)
    assert sum(len(r["labels"]) >= 2 for r in authored) >= 150
    assert sum(not r["labels"] for r in authored) >= 150


def test_several_settings_are_covered():
    settings = Counter(r["setting"] for r in load_authored())
    for setting in ("iraq", "syria", "lebanon", "bahrain", "yemen", "pakistan"):
        assert settings[setting] >= 40, setting
    assert sum(settings[s] for s in ("northern_ireland", "nigeria", "car", "myanmar", "india", "sri_lanka")) >= 50


def _shingles(text: str, n: int = 7) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_no_authored_sentence_echoes_the_seed_articles():
    seed = set().union(*(_shingles(a.text) for a in load_articles().values()))
    echoes = [r["id"] for r in load_authored() if _shingles(r["text"]) & seed]
    assert not echoes, f"authored sentences sharing a 7-word run with a seed article: {echoes}"


def test_authored_ids_are_never_gold_ids():
    gold_ids = {row["id"] for _, row in read_jsonl(paths.GOLD)}
    assert not gold_ids & {r["id"] for r in load_authored()}
