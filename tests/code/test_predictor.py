import numpy as np
import pandas as pd
import pytest

from models.families.lexicon import LexiconFamily
from models.frames import FRAME_KEYS
from models.predictor import OUTPUT_COLUMNS, FramePredictor, save_model


@pytest.fixture
def predictor(tmp_path):
    save_model(LexiconFamily(), np.array([0.5, 0.5, 0.5, 0.5]), tmp_path / "m", {"name": "t"})
    return FramePredictor.load(tmp_path / "m")


def test_article_unit_splits_scores_prose_and_flags_furniture(predictor):
    text = "Civilians fled the siege of the city.\n\nPhoto by A. Person/AFP/Getty Images"
    out = predictor.predict(pd.DataFrame({"id": ["doc"], "text": [text]}))
    assert list(out.columns) == OUTPUT_COLUMNS
    assert out["kind"].tolist() == ["prose", "furniture"]
    assert out.loc[0, "humanitarian"] and out.loc[0, "p_humanitarian"] > 0.5
    assert np.isnan(out.loc[1, "p_humanitarian"]) and not out.loc[1, list(FRAME_KEYS)].any()
    for row in out.itertuples():
        assert text[row.start:row.end] == row.text


def test_sentence_unit_scores_each_row_as_is(predictor):
    out = predictor.predict(pd.DataFrame({"text": ["One. Two sentences here.", "Civilians were killed."]}),
                            unit="sentence")
    assert out["id"].tolist() == ["0", "1"] and out["sentence_index"].tolist() == [0, 0]
    assert out["kind"].tolist() == ["prose", "prose"]


def test_bad_unit_and_missing_text_are_clear_errors(predictor):
    with pytest.raises(ValueError, match="unit must be one of"):
        predictor.predict(pd.DataFrame({"text": ["x"]}), unit="paragraph")
    with pytest.raises(ValueError, match="needs a 'text' column"):
        predictor.predict(pd.DataFrame({"body": ["x"]}))


def test_empty_and_missing_text_give_one_row_saying_no_sentences(predictor):
    for unit in ("article", "sentence"):
        out = predictor.predict(pd.DataFrame({"id": ["a", "b"], "text": ["  ", None]}), unit=unit)
        assert list(out.columns) == OUTPUT_COLUMNS and out["kind"].tolist() == ["no_sentences"] * 2
        assert out[[f"p_{k}" for k in FRAME_KEYS]].isna().all().all() and not out[list(FRAME_KEYS)].any().any()


def test_loading_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a sectarian-frames model directory"):
        FramePredictor.load(tmp_path)
