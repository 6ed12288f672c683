import numpy as np
import pytest

from models.families import family_class, family_names
from models.families.lexicon import LexiconFamily

TEXTS = [
    "Sectarian militias attacked Sunni villages in revenge.",
    "The army abandoned its posts and fled the city.",
    "US air strikes and Iranian advisers backed the offensive.",
    "Civilians fled their homes as the siege tightened.",
    "The football club signed a new striker.",
    "Shia and Sunni leaders traded accusations as sectarian tension rose.",
    "The government collapsed and soldiers deserted.",
    "Foreign troops and coalition drones joined the fight.",
    "Families were trapped without food or water.",
    "The central bank kept interest rates unchanged.",
]
Y = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]] * 2, dtype=np.int8)


def roundtrip(name, tmp_path, **params):
    cls = family_class(name)
    model = cls(cls.Params(**params), seed=3).fit(TEXTS, Y)
    before = model.predict_proba(TEXTS)
    model.save(tmp_path / name)
    after = cls.load(tmp_path / name, model.params).predict_proba(TEXTS)
    return before, after


def test_registry_names_the_ladder():
    assert family_names() == ["lexicon", "tfidf", "embedding", "finetune"]
    with pytest.raises(ValueError, match="unknown model family"):
        family_class("svm")


@pytest.mark.parametrize("name", ["lexicon", "tfidf"])
def test_cheap_families_roundtrip_without_pickle(name, tmp_path):
    before, after = roundtrip(name, tmp_path)
    assert before.shape == (10, 4) and np.allclose(before, after)
    assert not list((tmp_path / name).glob("*.pkl")) and not list((tmp_path / name).glob("*.joblib"))


def test_tfidf_learns_training_frames(tmp_path):
    before, _ = roundtrip("tfidf", tmp_path)
    assert (before.argmax(axis=1)[Y.any(axis=1)] == Y[Y.any(axis=1)].argmax(axis=1)).all()


def test_lexicon_counts_terms():
    model = LexiconFamily()
    p = model.predict_proba(["Civilians were killed and families displaced.", "The bank opened."])
    assert p[0, 3] > 0.8 and np.all(p[1] == 0)


def test_embedding_family_roundtrip(tmp_path):
    before, after = roundtrip("embedding", tmp_path)
    assert np.allclose(before, after, atol=1e-5)
    assert (tmp_path / "embedding" / "encoder.json").exists()


def test_embedding_family_with_mlp_heads_and_tfidf_blend_roundtrips(tmp_path):
    before, after = roundtrip("embedding", tmp_path, head="mlp", hidden=16, members=2, tfidf_blend=0.5)
    assert np.allclose(before, after, atol=1e-5)
    assert (tmp_path / "embedding" / "tfidf_blend" / "vocabulary.json").exists()


def test_mlp_heads_give_a_row_the_same_probabilities_alone_and_in_any_batch():
    from models.head import MLPHeads

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8)).astype(np.float32)
    Y = (X[:, :4] > 0).astype(np.int8)
    heads = MLPHeads(hidden=16, members=2).fit(X, Y)
    together = heads.predict_proba(X)
    alone = np.vstack([heads.predict_proba(X[i:i + 1]) for i in range(len(X))])
    assert np.allclose(together, alone, atol=1e-6) and ((together > 0) & (together < 1)).all()
    assert ((together > 0.5) == Y).mean() > 0.8  # it learned the signs


def test_finetune_family_roundtrip(tmp_path):
    before, after = roundtrip("finetune", tmp_path, epochs=1, batch_size=8, max_length=32, train_layers=1)
    assert np.allclose(before, after, atol=1e-4)
    assert (tmp_path / "finetune" / "encoder" / "model.safetensors").exists()


def test_default_inner_oof_never_predicts_a_group_with_a_model_that_saw_it():
    seen = []

    class Spy(family_class("tfidf")):
        def fit(self, texts, Y_):
            seen.append(set(texts))
            return super().fit(texts, Y_)

    groups = ["a"] * 5 + ["b"] * 5
    oof = Spy(seed=0).inner_oof(TEXTS, Y, groups, ["a", "b"])
    assert not np.isnan(oof).any()
    assert set(TEXTS[:5]).isdisjoint(seen[0]) and set(TEXTS[5:]).isdisjoint(seen[1])
