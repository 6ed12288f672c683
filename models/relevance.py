"""The relevance gate: is a sentence about conflict or sectarian relations at all?

A logistic regression learned from the off-topic articles (sport, business, disasters...) against framed
conflict coverage. On an embedding model it reads the frame model's own sentence vectors (`source:
encoder`, no second encoder run); on other families it reads TF-IDF word features (`source: tfidf`). It
gives every scored sentence `p_relevant`, and a sentence whose `p_relevant` is under the gate's threshold
(chosen on dev) gets no frame, whatever the frame heads say: news that borrows the vocabulary of conflict
("survivors searched the river for the missing" after a ferry fire) is not framed.

A sentence alone rarely says whether its story is about conflict; its article does. When a whole article
is scored (`unit: article`), a sentence's `p_relevant` is `(1 - w) * its own + w * the mean over its
article's scored sentences`, with the article weight `w` chosen on dev. Scored alone (`unit: sentence`),
a sentence is its own article. Either way it never depends on other documents in the batch. Stored
beside the frame model's weights (`relevance/`), without pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.families.tfidf import TfidfFamily, TfidfParams
from models.head import LinearHeads

FOLDER = "relevance"
PARAMS = TfidfParams(ngram_max=2, min_df=2, max_features=30000, C=4.0, class_weight="balanced")


class _EncoderRelevance:
    """One logistic regression on the frame model's sentence vectors."""

    def __init__(self, frame_model, heads: LinearHeads):
        self.frame_model, self.heads = frame_model, heads

    def predict_proba(self, texts: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        return self.heads.predict_proba(self.frame_model.features(texts) if vectors is None else vectors)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.heads.save(folder / "heads.safetensors")


class RelevanceGate:
    def __init__(self, model, threshold: float = 0.5, source: str = "tfidf", article_weight: float = 0.0):
        self.model, self.threshold, self.source = model, float(threshold), source
        self.article_weight = float(article_weight)

    @classmethod
    def fit(cls, texts: list[str], relevant: np.ndarray, seed: int = 0, frame_model=None) -> "RelevanceGate":
        """On the frame model's vectors when it has them (`features`), else on TF-IDF."""
        Y = np.asarray(relevant, dtype=np.int8).reshape(-1, 1)
        if hasattr(frame_model, "features"):
            heads = LinearHeads(1.0, "balanced", seed).fit(frame_model.features(texts), Y)
            return cls(_EncoderRelevance(frame_model, heads), source="encoder")
        return cls(TfidfFamily(PARAMS, seed).fit(texts, Y), source="tfidf")

    def proba(self, texts: list[str], groups: list[str] | None = None, vectors: np.ndarray | None = None) -> np.ndarray:
        """p_relevant per sentence; with `groups` (the article of each sentence), blended with its article's
        mean by `article_weight`. `vectors`: the frame model's vectors of `texts`, if already encoded."""
        if not texts:
            return np.zeros(0)
        own = (self.model.predict_proba(texts, vectors) if self.source == "encoder"
               else self.model.predict_proba(texts))[:, 0]
        return in_articles(own, groups, self.article_weight)

    def save(self, weights: Path) -> dict:
        self.model.save(weights / FOLDER)
        return {"relevance": {"threshold": self.threshold, "source": self.source,
                              "article_weight": self.article_weight}}

    @classmethod
    def load(cls, weights: Path, manifest: dict, frame_model=None) -> "RelevanceGate | None":
        spec = manifest.get("relevance")
        if not spec or not (weights / FOLDER).exists():
            return None
        source, weight = spec.get("source", "tfidf"), spec.get("article_weight", 0.0)
        if source == "encoder":
            model = _EncoderRelevance(frame_model, LinearHeads.load(weights / FOLDER / "heads.safetensors"))
        else:
            model = TfidfFamily.load(weights / FOLDER, PARAMS)
        return cls(model, spec["threshold"], source, weight)


def in_articles(own: np.ndarray, groups: list[str] | None, weight: float) -> np.ndarray:
    """(1 - weight) * own + weight * the mean of `own` over the sentence's group (its article)."""
    if groups is None or weight == 0 or not len(own):
        return own
    _, index = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    means = np.bincount(index, weights=own) / np.bincount(index)
    return (1 - weight) * own + weight * means[index]
