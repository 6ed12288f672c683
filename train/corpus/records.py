"""Load and validate the seed articles and the annotation files.

Validation reads each JSONL file line by line first, so every error names the file, the line and the
field; only validated records go into a Hugging Face `Dataset` (loaded offline).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from models.frames import FRAME_KEYS, validate_labels
from train import paths
from train.errors import DataError

GOLD_FIELDS = ("id", "article_id", "start", "end", "text", "labels", "pass_a", "pass_b", "note")
AUTHORED_FIELDS = ("id", "text", "labels", "pass_a", "pass_b", "note", "source")
CORPUS_FIELDS = (*GOLD_FIELDS, "source", "split", "topic", "setting", "register")
SPLIT_NAMES = ("train", "dev", "test")
LABEL_FIELDS = ("labels", "pass_a", "pass_b")


@dataclass(frozen=True)
class Article:
    article_id: str
    path: Path
    text: str


def read_jsonl(path: Path) -> list[tuple[int, dict]]:
    """(line number, object) for every non-blank line; malformed JSON is an error naming the line."""
    if not path.exists():
        raise DataError(path, "file not found")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(path, f"malformed JSON ({exc.msg} at column {exc.colno})", number) from None
            if not isinstance(obj, dict):
                raise DataError(path, "each line must be a JSON object", number)
            rows.append((number, obj))
    return rows


def load_articles(articles_dir: Path = paths.ARTICLES) -> dict[str, Article]:
    """Seed articles by id (the file name without `.txt`), read exactly as stored."""
    files = sorted(articles_dir.glob("*.txt"))
    if not files:
        raise DataError(articles_dir, "no .txt articles found")
    return {f.stem: Article(f.stem, f, f.read_text(encoding="utf-8")) for f in files}


def _check_record(path: Path, number: int, record: dict, required: tuple[str, ...]) -> dict:
    for field in required:
        if field not in record:
            raise DataError(path, "missing", number, field)
    if not isinstance(record["id"], str) or not record["id"]:
        raise DataError(path, "must be a non-empty string", number, "id")
    if not isinstance(record["text"], str) or not record["text"].strip():
        raise DataError(path, "must be a non-empty string", number, "text")
    for field in (f for f in LABEL_FIELDS if f in record):  # which are required is `required`'s business
        try:
            record[field] = validate_labels(record[field])
        except ValueError as exc:
            raise DataError(path, str(exc), number, field) from None
    return record


def _check_offsets(path: Path, number: int, record: dict, articles: dict[str, Article]) -> None:
    article = articles.get(record["article_id"])
    if article is None:
        raise DataError(path, f"unknown article '{record['article_id']}'", number, "article_id")
    start, end = record["start"], record["end"]
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(article.text)):
        raise DataError(path, f"offsets [{start}, {end}) are outside the article", number, "start")
    if article.text[start:end] != record["text"]:
        raise DataError(
            path, f"no longer matches article {article.article_id} at [{start}, {end})", number, "text"
        )


def validate_annotations(
    path: Path, required: tuple[str, ...], articles: dict[str, Article] | None = None
) -> list[dict]:
    """Every record checked: fields present, frames known, ids unique, offsets still matching."""
    records, first_seen = [], {}
    for number, record in read_jsonl(path):
        record = _check_record(path, number, record, required)
        if record["id"] in first_seen:
            raise DataError(path, f"duplicate id '{record['id']}' (first on line {first_seen[record['id']]})",
                            number, "id")
        first_seen[record["id"]] = number
        if articles is not None:
            _check_offsets(path, number, record, articles)
        records.append(record)
    if not records:
        raise DataError(path, "no records")
    return records


def load_gold(path: Path = paths.GOLD, articles_dir: Path = paths.ARTICLES) -> list[dict]:
    return validate_annotations(path, GOLD_FIELDS, load_articles(articles_dir))


def load_authored(path: Path = paths.AUTHORED) -> list[dict]:
    records = validate_annotations(path, AUTHORED_FIELDS)
    for record in records:
        if record["source"] != "authored":
            raise DataError(path, f"must be 'authored', got {record['source']!r}", None, "source")
    return records


def load_corpus(path: Path = paths.CORPUS_LABELLED, articles_dir: Path = paths.CORPUS_ARTICLES) -> list[dict]:
    """The labelled sentences of the authored article corpus (empty until its passes exist), validated
    like the gold set, each with its article's split."""
    if not path.exists():
        return []
    for number, record in read_jsonl(path):
        if record.get("split") not in SPLIT_NAMES:
            raise DataError(path, f"must be one of {SPLIT_NAMES}, got {record.get('split')!r}", number, "split")
    return validate_annotations(path, CORPUS_FIELDS, load_articles(articles_dir))


def to_dataset(records: list[dict], source: str):
    """A Hugging Face Dataset with the columns every stage uses: id, group, text, labels, source."""
    from datasets import Dataset

    return Dataset.from_dict({
        "id": [r["id"] for r in records],
        "group": [r.get("article_id", source) for r in records],
        "text": [r["text"] for r in records],
        "labels": [r["labels"] for r in records],
        "source": [source] * len(records),
    })


def load_gold_dataset(path: Path = paths.GOLD, articles_dir: Path = paths.ARTICLES):
    """The gold set, validated, then read by `datasets` from the JSON file itself (offline)."""
    from datasets import load_dataset

    load_gold(path, articles_dir)
    return load_dataset("json", data_files=str(path), split="train", cache_dir=str(paths.CACHE / "hf"))


def data_digest(*files: Path) -> str:
    """sha256 over the annotation files (MLflow's own digest ignores list-valued label columns)."""
    digest = hashlib.sha256()
    for file in files:
        if file.exists():
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def label_matrix(labels: list[list[str]]):
    import numpy as np

    return np.array([[key in row for key in FRAME_KEYS] for row in labels], dtype=np.int8)
