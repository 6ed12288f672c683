"""ONNX export + int8 quantisation of the MiniLM encoder, and the families' `runtime` parameter."""

import json

import numpy as np
import pytest

from models.families import family_class

SENTENCES = [
    "Sectarian militias attacked Sunni villages in revenge.",
    "The army abandoned its posts and fled the city.",
    "US air strikes and Iranian advisers backed the offensive.",
    "Civilians fled their homes as the siege tightened.",
    "The central bank kept interest rates unchanged.",
    "Shia and Sunni leaders traded accusations as sectarian tension rose in the province after the bombing "
    "of the shrine, and the government was unable to stop the reprisals that followed.",
]


@pytest.fixture(scope="module")
def torch_encoder():
    from models.encoder import SentenceEncoder

    return SentenceEncoder(max_length=64, batch_size=4)


@pytest.mark.parametrize("runtime,floor", [("onnx-fp32", 0.9999), ("onnx-int8", 0.97)])
def test_onnx_encoder_matches_torch(torch_encoder, tmp_path, runtime, floor):
    from models.onnx_encoder import OnnxSentenceEncoder, build

    folder = build(torch_encoder, tmp_path / runtime, runtime)
    meta = json.loads((folder / "onnx_encoder.json").read_text())
    assert meta["runtime"] == runtime and (folder / meta["onnx"]).exists() and (folder / "tokenizer.json").exists()
    assert not list(folder.glob("*.pkl"))
    onnx = OnnxSentenceEncoder(folder, batch_size=4, threads=1)
    reference = torch_encoder.encode(SENTENCES)
    got = onnx.encode(SENTENCES)
    assert got.shape == reference.shape == (len(SENTENCES), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    cosine = (got * reference).sum(axis=1)
    assert cosine.min() > floor, cosine
    # fp32: batching and order change nothing beyond float noise. int8: dynamic quantisation scales the
    # activations per batch tensor, so a sentence's vector moves a little with its batch-mates.
    shuffled = onnx.encode(SENTENCES[::-1])[::-1]
    if runtime == "onnx-fp32":
        assert np.allclose(shuffled, got, atol=1e-5)
    else:
        assert (shuffled * got).sum(axis=1).min() > 0.98
    assert onnx.encode([]).shape == (0, 384)
    small = OnnxSentenceEncoder(folder, batch_size=4, threads=1, max_batch_tokens=40).encode(SENTENCES)
    assert (small * got).sum(axis=1).min() > (0.99999 if runtime == "onnx-fp32" else 0.98)


def test_token_batches_cap_rows_and_padded_tokens():
    from models.onnx_encoder import token_batches

    lengths = np.array([5, 30, 8, 8, 12, 200, 9, 3])
    order = np.argsort(lengths, kind="stable")
    batches = list(token_batches(order, lengths, max_rows=4, max_tokens=40))
    assert np.concatenate(batches).tolist() == order.tolist()  # every row once, in length order
    for rows in batches:
        assert len(rows) <= 4
        assert len(rows) == 1 or len(rows) * lengths[rows].max() <= 40
    assert [len(rows) for rows in batches] == [4, 2, 1, 1]  # 3,5,8,8 | 9,12 (9,12,30 is 90) | 30 | 200 alone


def test_onnx_tokenizer_matches_transformers(torch_encoder, tmp_path):
    from models.onnx_encoder import OnnxSentenceEncoder, build

    onnx = OnnxSentenceEncoder(build(torch_encoder, tmp_path / "fp32", "onnx-fp32"), max_length=16)
    ours = [e.ids for e in onnx.tokenizer.encode_batch(SENTENCES)]
    theirs = torch_encoder.tokenizer(SENTENCES, truncation=True, max_length=16)["input_ids"]
    assert ours == theirs


def test_unknown_runtime_is_refused():
    from models.onnx_encoder import check_runtime

    with pytest.raises(ValueError, match="runtime must be one of"):
        check_runtime("tensorrt")


TEXTS = SENTENCES[:5] * 2
Y = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]] * 2, dtype=np.int8)


def test_embedding_family_onnx_int8_roundtrip(tmp_path):
    cls = family_class("embedding")
    model = cls(cls.Params(runtime="onnx-int8"), seed=3).fit(TEXTS, Y)
    before = model.predict_proba(TEXTS)
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "encoder" / "encoder.int8.onnx").exists()
    assert json.loads((tmp_path / "m" / "encoder.json").read_text())["runtime"] == "onnx-int8"
    loaded = cls.load(tmp_path / "m", model.params)
    assert np.allclose(before, loaded.predict_proba(TEXTS), atol=1e-5)


@pytest.mark.slow
def test_finetune_family_onnx_int8_roundtrip(tmp_path):
    cls = family_class("finetune")
    params = cls.Params(epochs=1, batch_size=8, max_length=32, train_layers=1, runtime="onnx-int8")
    model = cls(params, seed=3).fit(TEXTS, Y)
    before = model.predict_proba(TEXTS)
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "encoder" / "encoder.int8.onnx").exists()
    assert not (tmp_path / "m" / "encoder" / "model.safetensors").exists()
    after = cls.load(tmp_path / "m", model.params).predict_proba(TEXTS)
    assert np.allclose(before, after, atol=1e-5)


LONG = ("After weeks of negotiations between the parties, the committee that oversees the ceasefire said on "
        "Thursday that its monitors had recorded no violations along the line for the third week running.")


@pytest.mark.parametrize("runtime", ["torch", "onnx-fp32", "onnx-int8"])
def test_a_sentence_gets_the_same_answer_alone_or_in_any_batch(runtime):
    """Probabilities within 1e-5 and identical decisions, whatever else is scored with a sentence: alone,
    in shuffled batches, and padded beside a long sentence."""
    from models.predictor import FramePredictor

    cls = family_class("embedding")
    model = cls(cls.Params(runtime=runtime, batch_size=4), seed=3).fit(TEXTS, Y)
    predictor = FramePredictor(model, np.full(4, 0.5), {})
    sentences = SENTENCES[:8]
    alone = np.vstack([predictor.proba([s]) for s in sentences])
    rng = np.random.default_rng(0)
    for trial in range(3):
        order = rng.permutation(len(sentences))
        batch = [sentences[i] for i in order] + ([LONG] if trial else [])
        together = predictor.proba(batch)[:len(sentences)]
        back = np.empty_like(together)
        back[order] = together
        assert np.abs(back - alone).max() <= 1e-5, runtime
        assert (predictor.decide(back) == predictor.decide(alone)).all()
