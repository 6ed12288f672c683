"""Integrity of what is committed: seed articles untouched, gold set complete and consistent."""

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from models.frames import FRAME_KEYS
from models.segment import SCORED_KINDS, split_sentences
from train import paths
from train.corpus.gold import build_gold, read_labels
from train.corpus.records import load_articles, load_gold, read_jsonl

SHARED_SEEDS = paths.ROOT.parent / "shared" / "seeds"


def test_articles_match_their_recorded_checksums():
    metadata = {row["article_id"]: row for _, row in read_jsonl(paths.METADATA)}
    articles = load_articles()
    assert set(metadata) == set(articles) and len(articles) == 5
    for article_id, article in articles.items():
        assert hashlib.sha256(article.path.read_bytes()).hexdigest() == metadata[article_id]["sha256"]


@pytest.mark.skipif(not SHARED_SEEDS.exists(), reason="shared seeds not beside the checkout")
def test_articles_are_byte_identical_to_the_seeds():
    for seed in SHARED_SEEDS.glob("*.txt"):
        assert (paths.ARTICLES / seed.name).read_bytes() == seed.read_bytes()


def test_gold_labels_every_scored_sentence_exactly_once():
    gold = load_gold()
    expected = {f"{a.article_id}:{s.index:03d}" for a in load_articles().values()
                for s in split_sentences(a.text) if s.kind in SCORED_KINDS}
    assert [r["id"] for r in gold] == sorted(r["id"] for r in gold)
    assert {r["id"] for r in gold} == expected


def test_gold_is_what_the_passes_and_adjudication_give():
    passes = paths.ANNOTATIONS / "passes"
    rebuilt = build_gold(load_articles(), passes / "seed_pass_a.jsonl", passes / "seed_pass_b.jsonl",
                         passes / "seed_adjudication.jsonl")
    gold = load_gold()
    assert [(r["id"], r["labels"], r["note"]) for r in rebuilt] == [(r["id"], r["labels"], r["note"]) for r in gold]


def test_every_disagreement_is_adjudicated_with_a_reason():
    for record in load_gold():
        if record["pass_a"] != record["pass_b"]:
            assert record["note"].strip(), record["id"]


def test_readme_counts_match_the_gold_file():
    counts = Counter(label for r in load_gold() for label in r["labels"])
    readme = (paths.ANNOTATIONS / "README.md").read_text(encoding="utf-8")
    for key in FRAME_KEYS:
        row = re.search(rf"^\| {key} \| (\d+) \|", readme, re.MULTILINE)
        assert row, f"no row for {key} in the annotations README"
        assert int(row.group(1)) == counts[key]


def test_adjudication_only_names_known_sentences():
    gold_ids = {r["id"] for r in load_gold()}
    assert set(read_labels(paths.ANNOTATIONS / "passes" / "seed_adjudication.jsonl")) <= gold_ids


def test_gold_loads_through_hugging_face_datasets():
    from train.corpus.records import load_gold_dataset

    dataset = load_gold_dataset()
    assert dataset.num_rows == len(load_gold())
    assert set(FRAME_KEYS) >= {label for row in dataset["labels"] for label in row}


def test_our_pysbd_shortcut_gives_pysbd_segment_sentences_on_the_seeds():
    """`_pysbd_sentences` skips pysbd's own offset search; the sentences must stay exactly pysbd's."""
    import pysbd

    from models.segment import _blocks, _pysbd_sentences

    reference = pysbd.Segmenter(language="en", clean=False)
    checked = 0
    for article in load_articles().values():
        for block in _blocks(article.text):
            chunk = re.sub(r"\s", " ", article.text[block.start:block.end])
            ours = [s.strip() for s in _pysbd_sentences(chunk) if s.strip()]
            assert ours == [s.strip() for s in reference.segment(chunk) if s.strip()], chunk[:80]
            checked += 1
    assert checked > 50
