"""Decisions on dev: Platt calibration, thresholds, calibration error, the paired bootstrap, and the
predictor applying a saved calibration and user thresholds."""

import numpy as np
import pytest

from models.calibration import apply_platt, fit_platt
from models.families.lexicon import LexiconFamily
from models.predictor import FramePredictor, save_model
from train.experiments.decisions import expected_calibration_error, paired_bootstrap

pytestmark = pytest.mark.code


def overconfident(n=400, seed=0):
    """Scores that rank well but are too high: the true rate at score s is s**2."""
    rng = np.random.default_rng(seed)
    P = rng.uniform(0, 1, (n, 4))
    Y = (rng.uniform(0, 1, (n, 4)) < P ** 2).astype(np.int8)
    return Y, P


def test_platt_calibration_lowers_the_calibration_error_of_overconfident_scores():
    Y, P = overconfident()
    calibrated = apply_platt(P, fit_platt(Y, P))
    assert expected_calibration_error(Y, calibrated) < expected_calibration_error(Y, P)
    assert np.mean((calibrated - Y) ** 2) < np.mean((P - Y) ** 2)
    assert (np.argsort(calibrated[:, 0]) == np.argsort(P[:, 0])).all()  # monotone: the ranking is kept


def test_a_frame_with_one_class_on_dev_is_left_uncalibrated():
    Y, P = overconfident()
    Y[:, 2] = 0
    params = fit_platt(Y, P)
    assert params[2] == (1.0, 0.0) and np.allclose(apply_platt(P, params)[:, 2], P[:, 2], atol=1e-5)


def test_paired_bootstrap_sees_a_better_model_and_no_difference_for_the_same_one():
    Y, P = overconfident(600)
    good, bad = P >= 0.7, P >= 0.05
    gain, low, high = paired_bootstrap(Y, good, bad, n=200)
    assert gain > 0 and low > 0
    same = paired_bootstrap(Y, good, good, n=50)
    assert same == (0.0, 0.0, 0.0)


def test_the_predictor_applies_its_saved_calibration(tmp_path):
    save_model(LexiconFamily(), np.full(4, 0.5), tmp_path / "m",
               {"calibration": {"sectarian_polarization": [2.0, -1.0], "state_failure": [1.0, 0.0],
                                "foreign_intervention": [1.0, 0.0], "humanitarian": [1.0, 0.0]}})
    plain = LexiconFamily()
    predictor = FramePredictor.load(tmp_path / "m")
    texts = ["Sectarian militias attacked the other sect.", "The bank kept rates unchanged."]
    raw = plain.predict_proba(texts)
    assert np.allclose(predictor.proba(texts), apply_platt(raw, predictor.calibration))


CONFLICT = ["Militias of one sect attacked the other sect's mosques in revenge.",
            "The army abandoned its posts and families fled the shelling.",
            "Foreign drones struck the town and civilians were killed.",
            "Shia and Sunni leaders traded accusations as the killings spread."]
OFF_TOPIC = ["The visitors' defence collapsed in the second half and the home side scored twice.",
             "The central bank intervened to prop up the currency after a record fall.",
             "Floodwater forced hundreds of residents from their homes in the valley.",
             "The striker's army of fans sang through the siege of the visitors' goal."]


def test_the_relevance_gate_keeps_frames_out_of_news_that_is_not_about_conflict(tmp_path):
    from models.relevance import RelevanceGate

    gate = RelevanceGate.fit(CONFLICT * 3 + OFF_TOPIC * 3, np.array([1] * 12 + [0] * 12))
    gate.threshold = 0.5
    save_model(LexiconFamily(), np.full(4, 0.01), tmp_path / "m", gate=gate)  # frames fire on anything
    predictor = FramePredictor.load(tmp_path / "m")
    assert predictor.gate is not None and predictor.gate.threshold == 0.5
    import pandas as pd

    rows = predictor.predict(pd.DataFrame({"id": ["c", "o"], "text": [CONFLICT[0], OFF_TOPIC[0]]}), unit="sentence")
    assert rows.loc[0, "p_relevant"] > 0.5 > rows.loc[1, "p_relevant"]
    assert not rows.loc[1, ["sectarian_polarization", "state_failure", "foreign_intervention", "humanitarian"]].any()


def test_the_gate_keeps_98_percent_of_framed_dev_sentences_and_user_thresholds_keep_the_gate():
    import pandas as pd

    from train.experiments.decisions import gate_threshold
    from train.scoring.thresholds import apply_thresholds

    relevant = np.linspace(0.5, 1.0, 100)
    framed = np.ones(100, dtype=bool)
    cut = gate_threshold(np.concatenate([relevant, [0.1, 0.2]]), np.concatenate([framed, [False, False]]))
    assert (relevant >= cut).mean() == pytest.approx(0.98, abs=0.011) and cut > 0.2  # off-topic ones are cut
    rows = pd.DataFrame({"p_humanitarian": [0.9, 0.9], "humanitarian": [True, False], "p_relevant": [0.8, 0.1]})
    out = apply_thresholds(rows, {"humanitarian": 0.5}, gate=0.5)
    assert out["humanitarian"].tolist() == [True, False]


def test_a_sentences_relevance_blends_with_its_own_article_only(tmp_path):
    """In article mode p_relevant mixes a sentence's own relevance with its article's mean; the other
    documents of the batch never matter, and a sentence scored alone is its own article."""
    import pandas as pd

    from models.relevance import RelevanceGate, in_articles

    assert np.allclose(in_articles(np.array([0.2, 0.6, 1.0]), ["a", "a", "b"], 0.5), [0.3, 0.5, 1.0])
    assert np.allclose(in_articles(np.array([0.2, 0.6]), None, 0.5), [0.2, 0.6])
    gate = RelevanceGate.fit(CONFLICT * 3 + OFF_TOPIC * 3, np.array([1] * 12 + [0] * 12))
    gate.threshold, gate.article_weight = 0.5, 0.75
    save_model(LexiconFamily(), np.full(4, 0.01), tmp_path / "m", gate=gate)
    predictor = FramePredictor.load(tmp_path / "m")
    assert predictor.gate.article_weight == 0.75
    mixed = " ".join([CONFLICT[0], OFF_TOPIC[1]])
    alone = predictor.predict(pd.DataFrame({"id": ["x"], "text": [mixed]}))
    batch = predictor.predict(pd.DataFrame({"id": ["o", "x", "c"], "text": [" ".join(OFF_TOPIC), mixed,
                                                                             " ".join(CONFLICT)]}))
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), batch[batch["id"] == "x"].reset_index(drop=True))
    own = predictor.relevance([CONFLICT[0], OFF_TOPIC[1]])
    assert np.allclose(alone["p_relevant"], 0.25 * own + 0.75 * own.mean())
    single = predictor.predict(pd.DataFrame({"id": ["s"], "text": [OFF_TOPIC[1]]}), unit="sentence")
    assert np.isclose(single.loc[0, "p_relevant"], own[1])


def test_an_embedding_model_gates_on_its_own_vectors_and_reloads_the_same(tmp_path):
    from models.families.embedding import EmbeddingFamily, EmbeddingParams
    from models.relevance import RelevanceGate

    texts = CONFLICT * 2 + OFF_TOPIC * 2
    Y = np.array([[1, 0, 0, 0]] * 8 + [[0, 0, 0, 0]] * 8, dtype=np.int8)
    model = EmbeddingFamily(EmbeddingParams(), seed=1).fit(texts, Y)
    gate = RelevanceGate.fit(texts, np.array([1] * 8 + [0] * 8), frame_model=model)
    assert gate.source == "encoder"
    before = gate.proba(CONFLICT + OFF_TOPIC)
    assert before[:4].min() > before[4:].max()
    save_model(model, np.full(4, 0.5), tmp_path / "m", gate=gate)
    predictor = FramePredictor.load(tmp_path / "m")
    assert predictor.gate.source == "encoder"
    assert np.allclose(predictor.relevance(CONFLICT + OFF_TOPIC), before, atol=1e-5)
    import pandas as pd

    calls = []
    features = predictor.model.features
    predictor.model.features = lambda texts: calls.append(len(texts)) or features(texts)
    predictor.predict(pd.DataFrame({"id": ["a"], "text": [" ".join(CONFLICT)]}))
    assert calls == [len(CONFLICT)]  # the frames and the gate share one encoder pass


def test_the_gate_weight_is_the_one_that_frames_fewest_off_topic_dev_sentences():
    from train.experiments.decisions import choose_gate

    # two conflict articles (framed) and one off-topic article whose sentences look relevant on their own
    own = np.array([0.9, 0.8, 0.9, 0.7, 0.85, 0.2, 0.1])
    groups = ["c1", "c1", "c2", "c2", "o", "o", "o"]
    Y = np.array([[1, 0, 0, 0]] * 4 + [[0, 0, 0, 0]] * 3)
    decided = np.array([[True, False, False, False]] * 5 + [[False] * 4] * 2)
    off = np.array([False] * 4 + [True] * 3)
    choice = choose_gate(own, groups, Y, decided, off)
    assert choice.dev_offtopic_false_frames == 0 and choice.article_weight > 0  # the article gives it away
