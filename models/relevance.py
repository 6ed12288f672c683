"""The relevance gate: is a sentence about conflict or sectarian relations at all?

A TF-IDF + logistic regression model, learned from the off-topic articles (sport, business, disasters...)
against conflict coverage. It gives every scored sentence `p_relevant`, and a sentence whose `p_relevant`
is under the gate's threshold (chosen on dev) gets no frame, whatever the frame heads say: news that
borrows the vocabulary of conflict ("the visitors' defence collapsed") is not framed. Cheap (tens of
thousands of sentences a second), and independent of the frame model's family. Stored beside the frame
model's weights (`relevance/`), without pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.families.tfidf import TfidfFamily, TfidfParams

FOLDER = "relevance"
PARAMS = TfidfParams(ngram_max=2, min_df=2, max_features=30000, C=4.0, class_weight="balanced")


class RelevanceGate:
    def __init__(self, model: TfidfFamily, threshold: float = 0.5):
        self.model, self.threshold = model, float(threshold)

    @classmethod
    def fit(cls, texts: list[str], relevant: np.ndarray, seed: int = 0) -> "RelevanceGate":
        model = TfidfFamily(PARAMS, seed).fit(texts, np.asarray(relevant, dtype=np.int8).reshape(-1, 1))
        return cls(model)

    def proba(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        return self.model.predict_proba(texts)[:, 0]

    def save(self, weights: Path) -> dict:
        self.model.save(weights / FOLDER)
        return {"relevance": {"threshold": self.threshold}}

    @classmethod
    def load(cls, weights: Path, manifest: dict) -> "RelevanceGate | None":
        spec = manifest.get("relevance")
        if not spec or not (weights / FOLDER).exists():
            return None
        return cls(TfidfFamily.load(weights / FOLDER, PARAMS), spec["threshold"])
