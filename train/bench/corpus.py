"""Synthetic benchmark corpora made only of our own text: articles of 15-40 sentences resampled (with a
fixed seed) from the gold and authored sentences, a few sentences per paragraph, written as JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from train import paths

SEED = 20261121
ARTICLE_SENTENCES = (15, 40)
PARAGRAPH_SENTENCES = (1, 4)


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

