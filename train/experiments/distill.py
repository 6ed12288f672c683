"""The fast twin: a MiniLM student trained to reproduce the champion encoder's sentence embeddings.

Embedding distillation as in sentence-transformers' recipe: the student (all-MiniLM-L6-v2, mean pooled,
plus a linear layer into the teacher's 768 dimensions) learns to output the teacher's unit vectors for
the same text, with a mean-squared-error loss. Its frame heads are then fit on its own embeddings like any
frozen encoder's (`encoder: student` in the embedding family). The student learns from our own text only,
and only from text the frame models may train on: the seed articles' sentences, the authored sentences,
and every segment (prose, headlines, furniture; conflict and off-topic) of the corpus's `train` articles.
Dev and test articles stay unseen, so their scores measure the student on text it never imitated.

The linear layer starts at a ridge regression from the untrained student's unit vectors to the teacher's
embeddings, so training starts from a sensible student. A trained student is kept in `.cache/students/<key>/`
(safetensors), keyed by the teacher, the texts and the options: running the config again reuses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from models.encoder import SentenceEncoder, encoder_path, set_torch_threads
from models.families.embedding import EmbeddingParams, embed_memoised, frozen_encoder, memo_key
from models.segment import normalize
from train import paths
from train.corpus.records import read_jsonl
from train.experiments.config import DistillOptions

log = logging.getLogger(__name__)
STUDENTS = paths.CACHE / "students"


@dataclass
class StudentReport:
    folder: Path
    texts: int
    seconds: float
    train_mse: list[float]
    heldout_cosine: float  # mean cosine to the teacher on dev/test sentences the student never saw
    reused: bool


def distillation_texts(gold: list[dict], authored: list[dict], sentences_path: Path = paths.CORPUS_SENTENCES,
                       meta_path: Path = paths.CORPUS_META) -> list[str]:
    """Unique normalised texts the student may learn from (see the module docstring)."""
    train_articles = {record["article_id"] for _, record in read_jsonl(meta_path) if record.get("split") == "train"}
    corpus = [record["text"] for _, record in read_jsonl(sentences_path) if record["article_id"] in train_articles]
    texts = (normalize(t) for t in [r["text"] for r in gold] + [r["text"] for r in authored] + corpus)
    return list(dict.fromkeys(t for t in texts if t.strip()))


def _key(options: DistillOptions, texts: list[str], seed: int) -> str:
    digest = hashlib.sha256(json.dumps([asdict(options), seed, texts]).encode("utf-8")).hexdigest()
    return f"{options.teacher}-{digest[:16]}"


def teacher_embeddings(options: DistillOptions, texts: list[str]) -> np.ndarray:
    """The teacher's vectors for `texts`, kept on disk beside the students (encoding them with mpnet takes
    minutes, and a failed or changed distillation should not pay for it again)."""
    params = EmbeddingParams(encoder=options.teacher, runtime=options.teacher_runtime, max_length=options.max_length)
    key = hashlib.sha256(json.dumps([options.teacher, params.runtime, params.max_length, texts]).encode()).hexdigest()
    path = STUDENTS / f"teacher-{options.teacher}-{key[:16]}.npy"
    if path.exists():
        return np.load(path)
    vectors = embed_memoised(frozen_encoder(params), memo_key(params), texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp.npy")
    np.save(staging, vectors)
    staging.replace(path)
    return vectors


def ensure_student(options: DistillOptions, texts: list[str], heldout: list[str], seed: int,
                   progress=None) -> StudentReport:
    """The trained student for these texts and options: from the cache, or trained now."""
    if options.max_texts and len(texts) > options.max_texts:
        texts = random.Random(seed).sample(texts, options.max_texts)
    folder = STUDENTS / _key(options, texts, seed)
    report_file = folder / "distillation.json"
    if report_file.exists():
        saved = json.loads(report_file.read_text(encoding="utf-8"))
        log.info("reusing the distilled student in %s", folder)
        return StudentReport(folder, saved["texts"], saved["seconds"], saved["train_mse"],
                             saved["heldout_cosine"], True)
    import time

    started = time.perf_counter()
    log.info("distilling %s into MiniLM on %d texts (%d epochs)", options.teacher, len(texts), options.epochs)
    targets = teacher_embeddings(options, texts)
    student, losses = train_student(texts, targets, options, seed, progress)
    cosine = _heldout_cosine(student, options, heldout)
    seconds = time.perf_counter() - started
    _save_atomically(student, folder, {"texts": len(texts), "seconds": seconds, "train_mse": losses,
                                       "heldout_cosine": cosine, "options": asdict(options), "seed": seed})
    return StudentReport(folder, len(texts), seconds, losses, cosine, False)


def train_student(texts: list[str], targets: np.ndarray, options: DistillOptions, seed: int,
                  progress=None) -> tuple[SentenceEncoder, list[float]]:
    """MiniLM + a linear layer to the teacher's dimension, trained with MSE to the teacher's unit vectors.
    Returns the student and its mean training loss per epoch."""
    import torch

    set_torch_threads(None)
    random.seed(seed)
    torch.manual_seed(seed)
    student = SentenceEncoder(encoder_path("minilm"), max_length=options.max_length)
    student.projection = _initial_projection(student, texts, targets)
    log.info("student before training: mean cosine to the teacher %.4f",
             float(np.mean(np.sum(student.encode(texts[:512]) * targets[:512], axis=1))))
    parameters = list(student.model.parameters()) + list(student.projection.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=options.learning_rate)
    batches = _length_batches(student, texts, options.batch_size)
    steps = options.epochs * len(batches)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _warmup_then_linear(step, steps))
    target_tensor = torch.tensor(targets, dtype=torch.float32)
    generator, losses = np.random.default_rng(seed), []
    # No dropout: the projection is fitted to MiniLM's vectors as they are at inference, and with dropout
    # noise on them the loss climbed (mean squared error 0.0006 at the start, 0.0033 after an epoch).
    student.model.eval()
    for epoch in range(options.epochs):
        total = 0.0
        for index in generator.permutation(len(batches)):
            rows = batches[index]
            optimizer.zero_grad()
            predicted = student.pooled(student.tokenize([texts[i] for i in rows]))
            loss = torch.nn.functional.mse_loss(predicted, target_tensor[rows])
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach()) * len(rows)
            if progress is not None:
                progress(len(rows))
        losses.append(total / len(texts))
        log.info("distillation epoch %d/%d: mean squared error %.6f", epoch + 1, options.epochs, losses[-1])
    return student, losses


def _warmup_then_linear(step: int, steps: int) -> float:
    warmup = max(1, steps // 10)
    return (step + 1) / warmup if step < warmup else max(0.0, (steps - step) / max(1, steps - warmup))


def _length_batches(student: SentenceEncoder, texts: list[str], size: int) -> list[np.ndarray]:
    """Batches of similar token counts (little padding), shuffled as whole batches between epochs."""
    lengths = [len(ids) for ids in student.tokenizer(texts, truncation=True, max_length=student.max_length)["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    return [order[i:i + size] for i in range(0, len(order), size)]


def _initial_projection(student: SentenceEncoder, texts: list[str], targets: np.ndarray, ridge: float = 0.1):
    """Ridge regression from the student's unit vectors to the teacher's embeddings. The penalty keeps the
    map well conditioned: a plain least-squares map leans on directions where MiniLM's vectors barely
    vary, and fine-tuning the encoder under it then made the loss climb instead of fall."""
    import torch

    pooled = student.encode(texts)
    mean_in, mean_out = pooled.mean(axis=0), targets.mean(axis=0)
    centred = pooled - mean_in
    gram = centred.T @ centred + ridge * len(pooled) / pooled.shape[1] * np.eye(pooled.shape[1], dtype=np.float32)
    weight = np.linalg.solve(gram, centred.T @ (targets - mean_out))  # (in, out)
    layer = torch.nn.Linear(pooled.shape[1], targets.shape[1])
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight.T, dtype=torch.float32))
        layer.bias.copy_(torch.tensor(mean_out - mean_in @ weight, dtype=torch.float32))
    return layer


def _heldout_cosine(student: SentenceEncoder, options: DistillOptions, heldout: list[str]) -> float:
    if not heldout:
        return float("nan")
    return float(np.mean(np.sum(student.encode(heldout) * teacher_embeddings(options, heldout), axis=1)))


def _save_atomically(student: SentenceEncoder, folder: Path, report: dict) -> None:
    """Write the student beside its final place and rename it there, so a crash leaves no half student."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        student.save(staging)
        (staging / "distillation.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
