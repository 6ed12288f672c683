import json
from pathlib import Path

import pytest

from train.corpus.agreement import pass_agreement
from train.corpus.records import GOLD_FIELDS, data_digest, load_gold, validate_annotations
from train.errors import DataError

ARTICLE = "Title line\n\nThe army fled the city. Residents were trapped.\n"


def good_record(**changes) -> dict:
    start = ARTICLE.index("The army")
    record = {"id": "a1:001", "article_id": "a1", "start": start, "end": start + 23,
              "text": "The army fled the city.", "labels": ["state_failure"],
              "pass_a": ["state_failure"], "pass_b": ["state_failure"], "note": ""}
    record.update(changes)
    return record


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a1.txt").write_text(ARTICLE, encoding="utf-8")
    return tmp_path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_good_file_loads(corpus):
    gold = write_lines(corpus / "gold.jsonl", [json.dumps(good_record())])
    assert load_gold(gold, corpus / "articles")[0]["labels"] == ["state_failure"]


@pytest.mark.parametrize("line, field, message", [
    (json.dumps(good_record(labels=["sectarianism"])), "labels", "unknown frame"),
    (json.dumps({k: v for k, v in good_record().items() if k != "pass_b"}), "pass_b", "missing"),
    (json.dumps(good_record(text="The army won the city.")), "text", "no longer matches"),
    (json.dumps(good_record(article_id="zz")), "article_id", "unknown article"),
])
def test_bad_records_name_file_line_and_field(corpus, line, field, message):
    gold = write_lines(corpus / "gold.jsonl", [json.dumps(good_record(id="a1:000")), line])
    with pytest.raises(DataError, match=message) as caught:
        load_gold(gold, corpus / "articles")
    assert caught.value.line == 2 and caught.value.field == field
    assert str(caught.value).startswith(f"{gold}:2: field '{field}'")


def test_duplicate_id_names_both_lines(corpus):
    gold = write_lines(corpus / "gold.jsonl", [json.dumps(good_record())] * 2)
    with pytest.raises(DataError, match="duplicate id 'a1:001' \\(first on line 1\\)") as caught:
        load_gold(gold, corpus / "articles")
    assert caught.value.line == 2


def test_malformed_json_names_the_line(corpus):
    gold = write_lines(corpus / "gold.jsonl", [json.dumps(good_record()), '{"id": "a1:002", "labels": ['])
    with pytest.raises(DataError, match="malformed JSON") as caught:
        load_gold(gold, corpus / "articles")
    assert caught.value.line == 2


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        validate_annotations(tmp_path / "nope.jsonl", GOLD_FIELDS)


def test_digest_changes_with_content(tmp_path):
    path = write_lines(tmp_path / "x.jsonl", ["{}"])
    before = data_digest(path)
    write_lines(path, ["{ }"])
    assert data_digest(path) != before


def test_agreement_perfect_and_opposite():
    same = pass_agreement([["humanitarian"], []], [["humanitarian"], []])
    assert same["humanitarian"]["kappa"] == 1.0 and same["humanitarian"]["f1"] == 1.0
    opposite = pass_agreement([["humanitarian"], []], [[], ["humanitarian"]])
    assert opposite["humanitarian"]["kappa"] < 0 and opposite["humanitarian"]["f1"] == 0.0
