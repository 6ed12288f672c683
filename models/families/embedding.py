"""Frozen MiniLM sentence embeddings + one logistic regression per frame.

Embeddings of the same text by the same frozen encoder never change, so training memoises them
(`with memoised_embeddings():`): cross-validation encodes each sentence once, not once per fold.
Outside that block (inference, speed measurements) every call encodes for real.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.encoder import BASE_ENCODER_PACKAGE, SentenceEncoder
from models.families.base import Family
from models.head import LinearHeads

_ENCODERS: dict[str, SentenceEncoder] = {}
_MEMO: dict[tuple[str, str], np.ndarray] = {}
_MEMO_ON = [False]


@contextlib.contextmanager
def memoised_embeddings():
    """Reuse frozen-encoder embeddings across folds inside this block; the memo is dropped after."""
    _MEMO_ON[0] = True
    try:
        yield
    finally:
        _MEMO_ON[0] = False
        _MEMO.clear()


@dataclass
class EmbeddingParams:
    C: float = 1.0
    class_weight: str | None = "balanced"
    max_length: int = 128
    batch_size: int = 64


def frozen_encoder(params: EmbeddingParams) -> SentenceEncoder:
    key = f"base:{params.max_length}:{params.batch_size}"
    if key not in _ENCODERS:
        _ENCODERS[key] = SentenceEncoder(max_length=params.max_length, batch_size=params.batch_size)
    return _ENCODERS[key]


def embed_memoised(encoder: SentenceEncoder, key: str, texts: list[str]) -> np.ndarray:
    if not _MEMO_ON[0]:
        return encoder.encode(texts)
    missing = list(dict.fromkeys(t for t in texts if (key, t) not in _MEMO))
    if missing:
        for text, vector in zip(missing, encoder.encode(missing)):
            _MEMO[(key, text)] = vector
    return np.stack([_MEMO[(key, t)] for t in texts]) if texts else np.zeros((0, encoder.dim), np.float32)


class EmbeddingFamily(Family):
    name = "embedding"
    Params = EmbeddingParams

    def features(self, texts: list[str]) -> np.ndarray:
        encoder = frozen_encoder(self.params)
        return embed_memoised(encoder, f"base:{self.params.max_length}", texts)

    def fit(self, texts, Y):
        self.heads = LinearHeads(self.params.C, self.params.class_weight, self.seed).fit(self.features(texts), Y)
        return self

    def predict_proba(self, texts):
        return self.heads.predict_proba(self.features(texts))

    def save(self, directory: Path) -> None:
        from importlib.metadata import version

        directory.mkdir(parents=True, exist_ok=True)
        self.heads.save(directory / "heads.safetensors")
        (directory / "encoder.json").write_text(json.dumps(
            {"package": BASE_ENCODER_PACKAGE, "version": version(BASE_ENCODER_PACKAGE)}), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, params):
        model = cls(params)
        model.heads = LinearHeads.load(directory / "heads.safetensors")
        return model
