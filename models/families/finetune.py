"""Fine-tuned MiniLM: the encoder is trained on our frames, then a logistic head is fit on its embeddings.

Two stages, as in SetFit: (1) multi-label fine-tuning of the top encoder layers with a temporary linear
layer and a class-balanced BCE loss; (2) a per-frame logistic regression on the fine-tuned embeddings.
Keeping the same kind of head as the frozen family makes the two directly comparable, and lets the
thresholds be chosen by an inner grouped CV of the head alone (refitting the encoder per inner fold would
multiply the training time by the number of articles).

With `runtime: onnx-int8` (or `onnx-fp32`) the fine-tuned encoder is exported to ONNX (and quantised)
right after stage 1; the head is then fit on the ONNX embeddings, and the packaged model carries the
.onnx file and tokenizer.json instead of the safetensors weights.
"""

from __future__ import annotations

import logging
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.encoder import SentenceEncoder, set_torch_threads
from models.families.base import Family
from models.head import LinearHeads
from models.onnx_encoder import OnnxSentenceEncoder, check_runtime, copy_encoder_files

log = logging.getLogger(__name__)


@dataclass
class FinetuneParams:
    epochs: int = 3
    learning_rate: float = 5e-5
    batch_size: int = 16
    max_length: int = 64
    train_layers: int = 2
    max_pos_weight: float = 8.0
    C: float = 1.0
    class_weight: str | None = "balanced"
    threads: int = 0
    runtime: str = "torch"  # torch | onnx-int8 | onnx-fp32


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _freeze_lower_layers(encoder: SentenceEncoder, train_layers: int) -> None:
    layers = encoder.model.encoder.layer
    for parameter in encoder.model.parameters():
        parameter.requires_grad = False
    for layer in layers[len(layers) - train_layers:]:
        for parameter in layer.parameters():
            parameter.requires_grad = True


class FinetuneFamily(Family):
    name = "finetune"
    Params = FinetuneParams

    def fit(self, texts, Y):
        import torch

        p = self.params
        set_torch_threads(p.threads or None)
        _seed_everything(self.seed)
        self.encoder = SentenceEncoder(max_length=p.max_length, batch_size=64)
        _freeze_lower_layers(self.encoder, p.train_layers)
        layer = torch.nn.Linear(self.encoder.dim, Y.shape[1])
        positives = Y.sum(axis=0).clip(min=1)
        pos_weight = torch.tensor(((len(Y) - positives) / positives).clip(max=p.max_pos_weight), dtype=torch.float32)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
        trainable = [q for q in self.encoder.model.parameters() if q.requires_grad] + list(layer.parameters())
        optimizer = torch.optim.AdamW(trainable, lr=p.learning_rate)
        targets = torch.tensor(Y, dtype=torch.float32)
        generator = np.random.default_rng(self.seed)
        self.encoder.model.train()
        for epoch in range(p.epochs):
            total = 0.0
            for rows in self._batches(texts, generator):
                optimizer.zero_grad()
                logits = layer(self.encoder.pooled(self.encoder.tokenize([texts[i] for i in rows])))
                loss = loss_fn(logits, targets[rows])
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(rows)
            log.debug("fine-tune epoch %d: loss %.4f", epoch + 1, total / len(texts))
        self.encoder.model.eval()
        if check_runtime(p.runtime) != "torch":
            from models import onnx_encoder

            self._onnx_dir = tempfile.TemporaryDirectory(prefix="sectframes-finetune-")
            onnx_encoder.build(self.encoder, Path(self._onnx_dir.name), p.runtime)
            self.encoder = OnnxSentenceEncoder(self._onnx_dir.name, max_length=p.max_length, batch_size=64,
                                               threads=p.threads or None)
        self.heads = LinearHeads(p.C, p.class_weight, self.seed).fit(self.encoder.encode(texts), Y)
        return self

    def _batches(self, texts: list[str], generator: np.random.Generator):
        """Length-bucketed batches in random order: little padding, still shuffled between epochs."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = [order[i:i + self.params.batch_size] for i in range(0, len(order), self.params.batch_size)]
        for index in generator.permutation(len(batches)):
            yield batches[index]

    def predict_proba(self, texts):
        return self.heads.predict_proba(self.encoder.encode(texts))

    def inner_oof(self, texts, Y, groups, test_groups):
        """Head-only inner CV on this fold's fine-tuned embeddings (call after `fit`)."""
        X = self.encoder.encode(texts)
        out = np.full(Y.shape, np.nan)
        group_arr = np.asarray(groups)
        for group in test_groups:
            held = group_arr == group
            heads = LinearHeads(self.params.C, self.params.class_weight, self.seed).fit(X[~held], Y[~held])
            out[held] = heads.predict_proba(X[held])
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if isinstance(self.encoder, OnnxSentenceEncoder):
            copy_encoder_files(self.encoder.directory, directory / "encoder")
        else:
            self.encoder.save(directory / "encoder")
        self.heads.save(directory / "heads.safetensors")

    @classmethod
    def load(cls, directory: Path, params):
        model = cls(params)
        if check_runtime(params.runtime) != "torch":
            model.encoder = OnnxSentenceEncoder(directory / "encoder", max_length=params.max_length, batch_size=64,
                                                threads=params.threads or None)
        else:
            model.encoder = SentenceEncoder(directory / "encoder", max_length=params.max_length)
        model.heads = LinearHeads.load(directory / "heads.safetensors")
        return model
