"""Integrity of the authored article corpus (data/corpus/): it is what its sources give, its splits are
fixed and by article, and no sentence echoes a seed article or another authored sentence."""

import json
import re
import shutil
from collections import defaultdict

import pytest

from models.segment import PROSE
from train import paths
from train.corpus.assemble import build_corpus
from train.corpus.records import load_articles, load_authored, load_corpus, read_jsonl
from train.corpus.splits import SPLITS, assign_splits

pytestmark = pytest.mark.data
WORDS = re.compile(r"[a-z0-9']+")


def _words(text: str) -> list[str]:
    return WORDS.findall(text.lower().replace("’", "'"))


@pytest.fixture(scope="module")
def metas() -> list[dict]:
    return [row for _, row in read_jsonl(paths.CORPUS_META)]


@pytest.fixture(scope="module")
def sentences() -> list[dict]:
    return [row for _, row in read_jsonl(paths.CORPUS_SENTENCES)]


def test_committed_corpus_is_what_its_sources_give(tmp_path):
    """Rebuilding from the writers' files (and the passes) gives the committed files byte for byte."""
    shutil.copytree(paths.CORPUS_WRITTEN, tmp_path / "written")
    if paths.CORPUS_PASSES.exists():
        shutil.copytree(paths.CORPUS_PASSES, tmp_path / "passes")
    build_corpus(tmp_path)
    for name in ("articles.jsonl", "sentences.jsonl", "labelled.jsonl"):
        if (paths.CORPUS / name).exists() or (tmp_path / name).exists():
            assert (tmp_path / name).read_bytes() == (paths.CORPUS / name).read_bytes(), name
    committed = sorted(p.name for p in paths.CORPUS_ARTICLES.glob("*.txt"))
    assert committed == sorted(p.name for p in (tmp_path / "articles").glob("*.txt"))
    for name in committed:
        assert (tmp_path / "articles" / name).read_bytes() == (paths.CORPUS_ARTICLES / name).read_bytes(), name


def test_splits_are_fixed_by_article_and_cover_every_article(metas):
    assert {m["split"] for m in metas} <= set(SPLITS)
    assert {m["article_id"]: m["split"] for m in metas} == assign_splits(metas)
    split_of = {m["article_id"]: m["split"] for m in metas}
    for record in load_corpus():
        assert record["split"] == split_of[record["article_id"]], record["id"]


def test_held_out_splits_are_about_fifteen_percent_each(metas):
    for topic in ("conflict", "off_topic"):
        chosen = [m for m in metas if m["topic"] == topic]
        if len(chosen) >= 40:
            for split in ("dev", "test"):
                share = sum(m["split"] == split for m in chosen) / len(chosen)
                assert 0.08 <= share <= 0.22, (topic, split, share)


def test_no_corpus_sentence_echoes_a_seed_article(sentences):
    seed = set()
    for article in load_articles().values():
        w = _words(article.text)
        seed |= {tuple(w[i:i + 7]) for i in range(len(w) - 6)}
    echoes = [s["id"] for s in sentences
              if any(tuple(w[i:i + 7]) in seed for w in [_words(s["text"])] for i in range(len(w) - 6))]
    assert not echoes, f"corpus sentences sharing a 7-word run with a seed article: {echoes}"


def near_duplicates(texts: list[str], threshold: float = 0.7) -> list[tuple[int, int]]:
    """Pairs of texts (6+ distinct words) whose word sets overlap by `threshold` (Jaccard) or more;
    candidates are pairs that share a 4-word run."""
    sets = [set(_words(t)) for t in texts]
    index = defaultdict(list)
    for i, text in enumerate(texts):
        w = _words(text)
        for gram in {tuple(w[j:j + 4]) for j in range(len(w) - 3)}:
            index[gram].append(i)
    pairs = {(a, b) for ids in index.values() for n, a in enumerate(ids) for b in ids[n + 1:]}
    return sorted((a, b) for a, b in pairs if min(len(sets[a]), len(sets[b])) >= 6
                  and len(sets[a] & sets[b]) / len(sets[a] | sets[b]) >= threshold)


def test_near_duplicate_finder_finds_a_reworded_copy():
    texts = ["Hundreds of families left the town on foot overnight, residents said.",
             "Hundreds of families left the town on foot overnight, officials said.",
             "The market reopened on Sunday as usual after a week of closures."]
    assert near_duplicates(texts) == [(0, 1)]


def test_no_two_authored_sentences_are_near_duplicates(sentences):
    """Written content only: page furniture (a standard editor's note, a reporter's bio) repeats on real pages too."""
    prose = [s["text"] for s in sentences if s["kind"] == PROSE and s["intended"] is not None]
    texts = prose + [r["text"] for r in load_authored()]
    found = [(texts[a], texts[b]) for a, b in near_duplicates(texts)]
    assert not found, f"{len(found)} near-duplicate pairs, e.g. {found[:3]}"


def test_every_article_file_is_recorded_with_its_digest(metas):
    import hashlib

    for meta in metas:
        data = (paths.CORPUS_ARTICLES / meta["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], meta["article_id"]
    assert len({m["article_id"] for m in metas}) == len(metas)
    assert all(json.dumps(m) for m in metas)


def test_the_corpus_has_the_size_and_breadth_it_was_built_for(metas, sentences):
    from collections import Counter

    from models.segment import SCORED_KINDS

    scored = Counter(s["article_id"] for s in sentences if s["kind"] in SCORED_KINDS)
    assert all(12 <= scored[m["article_id"]] <= 40 for m in metas)
    conflict = [m for m in metas if m["topic"] == "conflict"]
    off_topic = [m for m in metas if m["topic"] == "off_topic"]
    assert len(conflict) >= 240 and sum(scored[m["article_id"]] for m in conflict) >= 5000
    assert len(off_topic) >= 80 and sum(scored[m["article_id"]] for m in off_topic) >= 1600
    assert len({m["setting"] for m in conflict}) >= 16 and len({m["register"] for m in conflict}) == 8


def test_every_scored_sentence_is_labelled_and_off_topic_news_carries_no_frame(sentences):
    from models.segment import SCORED_KINDS

    labelled = {r["id"]: r for r in load_corpus()}
    assert {s["id"] for s in sentences if s["kind"] in SCORED_KINDS} == set(labelled)
    assert not [r["id"] for r in labelled.values() if r["topic"] == "off_topic" and r["labels"]]
    for record in labelled.values():  # the writers' design metadata travels with every record
        assert {"setting", "register", "period", "intended", "design_kind"} <= set(record), record["id"]
