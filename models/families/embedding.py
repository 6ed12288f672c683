"""Frozen sentence embeddings (MiniLM, mpnet, or a distilled student) + per-frame heads.

The heads are one logistic regression per frame (`head: linear`) or a small seed-averaged network
(`head: mlp`), optionally blended with a TF-IDF model's probabilities (`tfidf_blend`).

Embeddings of the same text by the same frozen encoder never change, so training memoises them
(`with memoised_embeddings():`, around a whole training suite): every fold and every run encodes each
sentence once. A loaded, packaged model (inference, speed measurements) always encodes for real.

`runtime` chooses how the encoder runs: `torch` (default; the packaged model names the encoder package
and loads it from there) or `onnx-int8` / `onnx-fp32` (the encoder is exported to ONNX, int8-quantised,
and the packaged model carries the .onnx file and tokenizer.json as weights; inference needs
onnxruntime and tokenizers, not torch). The head is always fit on embeddings from the same runtime
that will serve it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.encoder import BASE_ENCODER_PACKAGE, SentenceEncoder, encoder_path
from models.families.base import Family
from models.families.tfidf import TfidfFamily, TfidfParams
from models.head import LinearHeads, MLPHeads
from models.onnx_encoder import OnnxSentenceEncoder, check_runtime, copy_encoder_files

_ENCODERS: dict[str, object] = {}
_ONNX_DIRS: dict[str, str] = {}
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
    runtime: str = "torch"  # torch | onnx-int8 | onnx-fp32
    encoder: str = "minilm"  # minilm (all-MiniLM-L6-v2, 384-d) | mpnet (all-mpnet-base-v2, 768-d; ONNX runtimes)
    #                          | student (MiniLM distilled from mpnet by a config's `distill:` section; ONNX runtimes)
    head: str = "linear"  # linear (a logistic regression per frame) | mlp (see models.head.MLPHeads)
    hidden: int = 512  # mlp: hidden units
    alpha: float = 1e-3  # mlp: L2 penalty
    members: int = 3  # mlp: networks averaged (seeds seed, seed+1, ...)
    tfidf_blend: float = 0.0  # share of a TF-IDF model's probabilities averaged in (0: none); the TF-IDF rung's
    #                           words catch cues a sentence vector blurs (a named sect, a ministry)


def encoder_identity(encoder: str) -> str:
    """What names one encoder's weights in this process: its name, and for a student also its folder (a
    process may train more than one)."""
    return f"student@{encoder_path('student')}" if encoder == "student" else encoder


def memo_key(params: EmbeddingParams) -> str:
    """What names a frozen encoder's embeddings in the training memo (`embed_memoised`)."""
    return f"base:{encoder_identity(params.encoder)}:{params.runtime}:{params.max_length}"


def _base_onnx_dir(runtime: str, encoder: str = "minilm") -> str:
    """The base encoder exported for `runtime`, once per process, in a temporary folder."""
    key = f"{encoder_identity(encoder)}:{runtime}"
    if key not in _ONNX_DIRS:
        from models import onnx_encoder

        folder = tempfile.mkdtemp(prefix=f"sectframes-{encoder}-{runtime}-")
        atexit.register(shutil.rmtree, folder, True)
        onnx_encoder.build(SentenceEncoder(encoder_path(encoder)), folder, runtime)
        _ONNX_DIRS[key] = folder
    return _ONNX_DIRS[key]


def frozen_encoder(params: EmbeddingParams):
    runtime = check_runtime(params.runtime)
    if params.encoder != "minilm" and runtime == "torch":
        raise ValueError(f"encoder {params.encoder!r} runs on ONNX only (runtime onnx-int8 or onnx-fp32): the "
                         "packaged model then carries the exported encoder, not the downloaded weights")
    key = f"base:{encoder_identity(params.encoder)}:{runtime}:{params.max_length}:{params.batch_size}"
    if key not in _ENCODERS:
        if runtime == "torch":
            _ENCODERS[key] = SentenceEncoder(max_length=params.max_length, batch_size=params.batch_size)
        else:
            _ENCODERS[key] = OnnxSentenceEncoder(_base_onnx_dir(runtime, params.encoder), max_length=params.max_length,
                                                 batch_size=params.batch_size)
    return _ENCODERS[key]


def embed_memoised(encoder, key: str, texts: list[str]) -> np.ndarray:
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

    encoder = None  # set by `load` for ONNX runtimes: the packaged encoder; otherwise the shared frozen one
    blend = None  # the TF-IDF model blended in (params.tfidf_blend > 0)

    def features(self, texts: list[str]) -> np.ndarray:
        if self.encoder is not None:  # a packaged model being served or measured: always encode for real
            return self.encoder.encode(texts)
        return embed_memoised(frozen_encoder(self.params), memo_key(self.params), texts)

    def fit(self, texts, Y):
        p = self.params
        if p.head == "mlp":
            self.heads = MLPHeads(p.hidden, p.alpha, p.members, self.seed).fit(self.features(texts), Y)
        else:
            self.heads = LinearHeads(p.C, p.class_weight, self.seed).fit(self.features(texts), Y)
        self.blend = TfidfFamily(TfidfParams(), self.seed).fit(texts, Y) if p.tfidf_blend > 0 else None
        return self

    def predict_proba(self, texts):
        return self.proba_from(self.features(texts), texts)

    def proba_from(self, vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        """Probabilities from vectors already encoded (the predictor shares one pass with the relevance gate)."""
        proba = self.heads.predict_proba(vectors)
        if self.blend is not None:
            share = self.params.tfidf_blend
            proba = (1 - share) * proba + share * self.blend.predict_proba(texts)
        return proba

    def save(self, directory: Path) -> None:
        from importlib.metadata import version

        directory.mkdir(parents=True, exist_ok=True)
        self.heads.save(directory / "heads.safetensors")
        if self.blend is not None:
            self.blend.save(directory / "tfidf_blend")
        runtime = check_runtime(self.params.runtime)
        (directory / "encoder.json").write_text(json.dumps(
            {"package": BASE_ENCODER_PACKAGE, "version": version(BASE_ENCODER_PACKAGE), "runtime": runtime,
             "encoder": self.params.encoder}),
            encoding="utf-8")
        if runtime != "torch":
            encoder = self.encoder or frozen_encoder(self.params)
            copy_encoder_files(encoder.directory, directory / "encoder")

    @classmethod
    def load(cls, directory: Path, params):
        model = cls(params)
        model.heads = (MLPHeads if params.head == "mlp" else LinearHeads).load(directory / "heads.safetensors")
        model.blend = TfidfFamily.load(directory / "tfidf_blend", TfidfParams()) if params.tfidf_blend > 0 else None
        if check_runtime(params.runtime) != "torch":
            model.encoder = OnnxSentenceEncoder(directory / "encoder", max_length=params.max_length,
                                                batch_size=params.batch_size)
        return model
