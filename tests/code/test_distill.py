"""The distilled twin: a student learns to reproduce target embeddings, saves with its projection, exports
to ONNX with the same outputs, and is cached by its inputs. Tiny inline data; synthetic targets stand in
for the teacher so the test needs no mpnet."""

import numpy as np
import pytest

from train.errors import ConfigError
from train.experiments.config import DistillOptions, parse_experiment

TEXTS = ["Militias from one sect took the town.", "The army withdrew from the border posts.",
         "Foreign jets struck the convoy at dawn.", "Families queued for water at the camp.",
         "The league final ended in a draw.", "Shares rose after the central bank's decision.",
         "Clerics of both sects prayed together.", "The ministry failed to pay salaries for months."]


def _targets(dim: int = 16, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(len(TEXTS), dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_student_moves_towards_its_targets_and_exports_the_same_vectors(tmp_path):
    from models.encoder import SentenceEncoder
    from models.onnx_encoder import OnnxSentenceEncoder, build
    from train.experiments.distill import train_student

    targets = _targets()
    student, losses = train_student(TEXTS, targets, DistillOptions(epochs=3, learning_rate=1e-3, batch_size=4), 0)
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert student.dim == 16
    student.save(tmp_path / "student")
    reloaded = SentenceEncoder(tmp_path / "student")
    torch_vectors = reloaded.encode(TEXTS)
    np.testing.assert_allclose(torch_vectors, student.encode(TEXTS), atol=1e-5)
    assert np.allclose(np.linalg.norm(torch_vectors, axis=1), 1, atol=1e-5)
    build(reloaded, tmp_path / "onnx", "onnx-fp32")
    np.testing.assert_allclose(OnnxSentenceEncoder(tmp_path / "onnx").encode(TEXTS), torch_vectors, atol=1e-4)


def test_a_trained_student_is_reused_for_the_same_inputs(tmp_path, monkeypatch):
    from train.experiments import distill

    calls = []

    def fake_teacher(options, texts):
        calls.append(len(texts))
        return _targets()[: len(texts)]

    monkeypatch.setattr(distill, "STUDENTS", tmp_path)
    monkeypatch.setattr(distill, "teacher_embeddings", fake_teacher)
    options = DistillOptions(epochs=1, batch_size=4)
    first = distill.ensure_student(options, TEXTS, TEXTS[:2], seed=0)
    assert not first.reused and (first.folder / "distillation.json").exists() and first.texts == len(TEXTS)
    second = distill.ensure_student(options, TEXTS, TEXTS[:2], seed=0)
    assert second.reused and second.folder == first.folder and len(calls) == 2  # targets + held-out check once
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_distillation_texts_leave_dev_and_test_articles_out():
    from train import paths
    from train.corpus.records import read_jsonl
    from train.experiments.distill import distillation_texts

    texts = set(distillation_texts([], []))
    split = {r["article_id"]: r["split"] for _, r in read_jsonl(paths.CORPUS_META)}
    held = [r["text"] for _, r in read_jsonl(paths.CORPUS_SENTENCES) if split[r["article_id"]] != "train"]
    from models.segment import normalize

    unique_held = {normalize(t) for t in held} - {normalize(r["text"]) for _, r in read_jsonl(paths.CORPUS_SENTENCES)
                                                  if split[r["article_id"]] == "train"}
    assert texts and not texts & unique_held


@pytest.mark.parametrize("values, message", [
    ({"distill": {"teacher": "mpnet"}}, "goes with family 'embedding'"),  # encoder is not student
    ({"params": {"encoder": "student", "runtime": "onnx-fp32"}}, "needs a `distill:` section"),
    ({"params": {"encoder": "student", "runtime": "onnx-fp32"}, "distill": {"teacher": "e5"}}, "distill.teacher"),
    ({"params": {"encoder": "student", "runtime": "onnx-fp32"}, "distill": {"epoch": 2}}, "unknown key 'epoch'"),
    ({"alias": "best"}, "alias"),
])
def test_distillation_configs_are_checked(tmp_path, values, message):
    with pytest.raises(ConfigError, match=message):
        parse_experiment(tmp_path / "x.yaml", {"name": "x", "family": "embedding", **values})
