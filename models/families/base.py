"""What every model family provides, and the registry of families by name."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import ClassVar

import numpy as np

_FAMILIES = {
    "lexicon": "models.families.lexicon:LexiconFamily",
    "tfidf": "models.families.tfidf:TfidfFamily",
    "embedding": "models.families.embedding:EmbeddingFamily",
    "finetune": "models.families.finetune:FinetuneFamily",
}


def family_names() -> list[str]:
    return list(_FAMILIES)


def family_class(name: str) -> type["Family"]:
    if name not in _FAMILIES:
        raise ValueError(f"unknown model family '{name}'; known: {family_names()}")
    module, cls = _FAMILIES[name].split(":")
    return getattr(importlib.import_module(module), cls)


class Family:
    """A multi-label frame model: `fit` on sentences and a (n, 4) 0/1 matrix, `predict_proba` -> (n, 4)."""

    name: ClassVar[str]
    Params: ClassVar[type]

    def __init__(self, params=None, seed: int = 0):
        self.params = params if params is not None else self.Params()
        self.seed = seed

    def fit(self, texts: list[str], Y: np.ndarray) -> "Family":
        raise NotImplementedError

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def save(self, directory: Path) -> None:
        raise NotImplementedError

    @classmethod
    def load(cls, directory: Path, params) -> "Family":
        raise NotImplementedError

    def inner_oof(self, texts: list[str], Y: np.ndarray, groups: list[str], test_groups: list[str]) -> np.ndarray:
        """Out-of-fold probabilities on the rows of `test_groups`, each group predicted by a model fit
        without it. Used to choose thresholds inside a training fold. Rows not predicted stay NaN."""
        out = np.full(Y.shape, np.nan)
        group_arr = np.asarray(groups)
        for group in test_groups:
            held = group_arr == group
            model = type(self)(self.params, self.seed)
            model.fit([t for t, h in zip(texts, held) if not h], Y[~held])
            out[held] = model.predict_proba([t for t, h in zip(texts, held) if h])
        return out

    @classmethod
    def params_from_dict(cls, values: dict):
        return cls.Params(**values)

    def params_dict(self) -> dict:
        return dataclasses.asdict(self.params)
