"""The authored article corpus's code on tiny inline articles: rendering, segmentation with design
metadata, splits, the build from passes, validation errors, and held-out scoring."""

import json

import numpy as np
import pytest

from train.corpus.articles import render, sentence_records
from train.corpus.assemble import build_corpus, check_written
from train.corpus.records import load_corpus
from train.corpus.splits import assign_splits
from train.errors import DataError
from train.experiments.heldout import heldout_scores

pytestmark = pytest.mark.code


def article(article_id="t-01", topic="conflict", setting="iraq", writer="writer_t"):
    return {
        "article_id": article_id, "topic": topic, "setting": setting, "period": "2014", "register": "wire",
        "title": "Test", "blocks": [
            {"kind": "headline", "text": "Families flee as militia enters town", "intended": ["humanitarian"]},
            {"kind": "byline", "text": "By Nadia Test"},
            {"kind": "paragraph", "dateline": "BAGHDAD, 3 May (Test Wire) -", "sentences": [
                {"text": "Hundreds of families left the town on foot overnight, residents said.",
                 "intended": ["humanitarian"]},
                {"text": "The market reopened on Sunday as usual.", "intended": [], "kind": "background"}]},
            {"kind": "related", "items": ["Who runs the town?", "A timeline of the crisis"]},
        ]}


def test_render_keeps_every_block_and_maps_sentences_to_design():
    a = article()
    rendered = render(a)
    assert rendered.text.startswith("Families flee as militia enters town\n\nBy Nadia Test\n\nBAGHDAD, 3 May")
    kinds = {r["text"]: r["kind"] for r in sentence_records(a, rendered)}
    assert kinds["Families flee as militia enters town"] == "headline"
    assert kinds["BAGHDAD, 3 May (Test Wire) -"] == "furniture"  # the dateline, split off the first sentence
    assert "Related: Who runs the town?\nRelated: A timeline of the crisis\n" in rendered.text
    rows = sentence_records(a, rendered)
    by_text = {r["text"]: r for r in rows}
    market = by_text["The market reopened on Sunday as usual."]
    assert market["intended"] == [] and market["design_kind"] == "background" and market["kind"] == "prose"
    assert by_text["By Nadia Test"]["kind"] == "furniture" and by_text["By Nadia Test"]["intended"] is None
    for r in rows:
        assert rendered.text[r["start"]:r["end"]] == r["text"]


def test_splits_are_by_article_stratified_and_stable_when_articles_are_added():
    metas = [{"article_id": f"w-{i:02d}", "topic": "conflict", "setting": "iraq", "writer": "w"} for i in range(20)]
    first = assign_splits(metas)
    assert sorted(first.values()).count("dev") == 3 and sorted(first.values()).count("test") == 3
    more = assign_splits(metas + [{"article_id": f"w-{i:02d}", "topic": "conflict", "setting": "iraq",
                                   "writer": "w"} for i in range(20, 30)])
    assert all(more[k] == v for k, v in first.items())
    other = assign_splits([{"article_id": "x-01", "topic": "off_topic", "setting": "brazil", "writer": "w"}])
    assert other == {"x-01": "train"}


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_build_corpus_adjudicates_finished_articles_only(tmp_path):
    _write(tmp_path / "written" / "writer_t.jsonl", [article("t-01"), article("t-02")])
    report = build_corpus(tmp_path)
    assert report.articles == 2 and report.labelled_sentences == 0
    sentences = [json.loads(line) for line in (tmp_path / "sentences.jsonl").open()]
    prose = [s for s in sentences if s["kind"] in ("prose", "headline") and s["article_id"] == "t-01"]
    _write(tmp_path / "passes" / "pass_a.jsonl", [{"id": s["id"], "labels": ["humanitarian"]} for s in prose])
    _write(tmp_path / "passes" / "pass_b.jsonl",
           [{"id": s["id"], "labels": [] if i == 0 else ["humanitarian"]} for i, s in enumerate(prose)])
    with pytest.raises(DataError, match="disagree"):
        build_corpus(tmp_path)
    _write(tmp_path / "passes" / "adjudication.jsonl",
           [{"id": prose[0]["id"], "labels": ["humanitarian"], "note": "families fleeing is displacement"}])
    report = build_corpus(tmp_path)
    assert report.labelled_articles == 1 and report.labelled_sentences == len(prose)  # t-02 awaits its passes
    records = load_corpus(tmp_path / "labelled.jsonl", tmp_path / "articles")
    assert {r["split"] for r in records} <= {"train", "dev", "test"}
    assert records[0]["note"] == "families fleeing is displacement" and records[0]["pass_b"] == []
    before = (tmp_path / "labelled.jsonl").read_bytes()
    build_corpus(tmp_path)
    assert (tmp_path / "labelled.jsonl").read_bytes() == before  # rebuilding gives the same bytes


def test_written_article_errors_name_file_line_and_field(tmp_path):
    bad = article()
    bad["blocks"][2]["sentences"][0]["intended"] = ["sectarianism"]
    with pytest.raises(DataError, match=r"w\.jsonl:7: field 'blocks\[2\]\.sentences\[0\]\.intended'"):
        check_written(tmp_path / "w.jsonl", 7, bad)
    with pytest.raises(DataError, match="field 'register'"):
        check_written(tmp_path / "w.jsonl", 1, {**article(), "register": "tweet"})


def test_corpus_split_must_be_known(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.txt").write_text("One sentence here.\n")
    _write(tmp_path / "labelled.jsonl", [{"id": "a:000", "split": "holdout"}])
    with pytest.raises(DataError, match=r"labelled\.jsonl:1: field 'split'"):
        load_corpus(tmp_path / "labelled.jsonl", tmp_path / "articles")


class KeywordModel:
    """Predicts humanitarian when 'fled' is in the sentence: enough to check the held-out arithmetic."""

    def predict_proba(self, texts):
        return np.array([[0.0, 0.0, 0.0, 0.9 if "fled" in t else 0.1] for t in texts])


def test_heldout_scores_count_off_topic_false_frames():
    records = [
        {"id": "a:1", "article_id": "a", "text": "Families fled the shelling.", "labels": ["humanitarian"],
         "topic": "conflict", "split": "dev"},
        {"id": "a:2", "article_id": "a", "text": "The talks resumed.", "labels": [], "topic": "conflict", "split": "dev"},
        {"id": "b:1", "article_id": "b", "text": "Fans fled the rain at half time.", "labels": [],
         "topic": "off_topic", "split": "dev"},
        {"id": "b:2", "article_id": "b", "text": "The striker scored twice.", "labels": [], "topic": "off_topic",
         "split": "dev"},
    ]
    from models.predictor import FramePredictor

    scores = heldout_scores(FramePredictor(KeywordModel(), np.full(4, 0.5), {}), records, bootstrap=20, seed=1)
    assert scores["offtopic_false_frame_rate"] == 0.5 and scores["offtopic_sentences"] == 2
    assert scores["frame_f1"]["humanitarian"] == pytest.approx(2 / 3)
    assert scores["articles"] == 2 and scores["sentences"] == 4


def test_a_writers_hundredth_article_does_not_move_the_earlier_ones():
    metas = [{"article_id": f"w1-{i:02d}", "topic": "conflict", "setting": "iraq", "writer": "w"} for i in range(1, 100)]
    before = assign_splits(metas)
    after = assign_splits(metas + [{"article_id": "w1-100", "topic": "conflict", "setting": "iraq", "writer": "w"}])
    assert all(after[k] == v for k, v in before.items())
