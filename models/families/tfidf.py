"""TF-IDF (word n-grams) + one logistic regression per frame.

The vectoriser is fit on the training split only. It is saved as its vocabulary (JSON) and idf
weights (safetensors), and rebuilt at load with that fixed vocabulary: no pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.families.base import Family
from models.head import LinearHeads


@dataclass
class TfidfParams:
    ngram_max: int = 2
    min_df: int = 1
    max_features: int = 20000
    sublinear_tf: bool = True
    C: float = 4.0
    class_weight: str | None = "balanced"


def _vectorizer(params: TfidfParams, vocabulary: dict[str, int] | None = None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, params.ngram_max), min_df=params.min_df if vocabulary is None else 1,
                           max_features=params.max_features if vocabulary is None else None,
                           sublinear_tf=params.sublinear_tf, lowercase=True, strip_accents="unicode",
                           vocabulary=vocabulary, dtype=np.float32)


class TfidfFamily(Family):
    name = "tfidf"
    Params = TfidfParams

    def fit(self, texts, Y):
        self.vectorizer = _vectorizer(self.params)
        X = self.vectorizer.fit_transform(texts)
        self.heads = LinearHeads(self.params.C, self.params.class_weight, self.seed).fit(X, Y)
        return self

    def predict_proba(self, texts):
        return self.heads.predict_proba(self.vectorizer.transform(texts))

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        directory.mkdir(parents=True, exist_ok=True)
        vocabulary = {term: int(index) for term, index in self.vectorizer.vocabulary_.items()}
        (directory / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
        save_file({"idf": self.vectorizer.idf_.astype(np.float32)}, str(directory / "idf.safetensors"))
        self.heads.save(directory / "heads.safetensors")

    @classmethod
    def load(cls, directory: Path, params):
        from safetensors.numpy import load_file

        model = cls(params)
        vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        model.vectorizer = _vectorizer(params, vocabulary)
        model.vectorizer.fit([""] if not vocabulary else list(vocabulary)[:1])  # fixes vocabulary_ only
        model.vectorizer.idf_ = load_file(str(directory / "idf.safetensors"))["idf"]
        model.heads = LinearHeads.load(directory / "heads.safetensors")
        return model
