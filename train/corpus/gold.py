"""Build an adjudicated annotation file from two independent passes and an adjudication file.

Inputs are JSONL: each pass has {"id", "labels"} per sentence; the adjudication has {"id", "labels",
"note"} for every sentence on which the passes disagree (and may override agreed ones, with a note).
"""

from __future__ import annotations

import json
from pathlib import Path

from models.frames import validate_labels
from models.segment import SCORED_KINDS, split_sentences
from train.corpus.records import Article, read_jsonl
from train.errors import DataError


def read_labels(path: Path) -> dict[str, dict]:
    out = {}
    for number, row in read_jsonl(path):
        if "id" not in row or "labels" not in row:
            raise DataError(path, "missing", number, "id" if "id" not in row else "labels")
        try:
            row["labels"] = validate_labels(row["labels"])
        except ValueError as exc:
            raise DataError(path, str(exc), number, "labels") from None
        out[row["id"]] = row
    return out


def adjudicate(record: dict, pass_a: dict, pass_b: dict, decisions: dict, where: Path) -> dict:
    """Attach both passes and the gold label; disagreements must carry an adjudicated label and a reason."""
    rid = record["id"]
    for name, labels in (("pass_a", pass_a), ("pass_b", pass_b)):
        if rid not in labels:
            raise DataError(where, f"sentence '{rid}' has no label in {name}")
    a, b = pass_a[rid]["labels"], pass_b[rid]["labels"]
    decision = decisions.get(rid)
    if a != b and decision is None:
        raise DataError(where, f"passes disagree on '{rid}' ({a} vs {b}) and there is no adjudication")
    if decision is not None and not str(decision.get("note", "")).strip():
        raise DataError(where, f"adjudication of '{rid}' needs a one-line reason", None, "note")
    labels = decision["labels"] if decision is not None else a
    note = decision["note"] if decision is not None else ""
    return {**record, "labels": labels, "pass_a": a, "pass_b": b, "note": note}


def seed_sentences(articles: dict[str, Article]) -> list[dict]:
    """Every scored sentence (prose and headline) of the seed articles with its id and exact offsets."""
    rows = []
    for article in articles.values():
        for sentence in split_sentences(article.text):
            if sentence.kind in SCORED_KINDS:
                rows.append({
                    "id": f"{article.article_id}:{sentence.index:03d}",
                    "article_id": article.article_id,
                    "start": sentence.start,
                    "end": sentence.end,
                    "text": sentence.text,
                })
    return rows


def write_jsonl(path: Path, records: list[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(path)


def build_gold(articles: dict[str, Article], pass_a: Path, pass_b: Path, adjudication: Path) -> list[dict]:
    """Gold records for every prose sentence of the seed articles, in article order."""
    a, b, decisions = read_labels(pass_a), read_labels(pass_b), read_labels(adjudication)
    return [adjudicate(record, a, b, decisions, adjudication) for record in seed_sentences(articles)]


AUTHORED_META = ("intended", "setting", "period", "register", "category")


def build_authored(written: Path, pass_a: Path, pass_b: Path, adjudication: Path) -> list[dict]:
    """Authored records: our own sentences, both passes, the adjudicated label, and design metadata."""
    a, b, decisions = read_labels(pass_a), read_labels(pass_b), read_labels(adjudication)
    records = []
    for number, row in read_jsonl(written):
        for field in ("id", "text", *AUTHORED_META):
            if field not in row:
                raise DataError(written, "missing", number, field)
        base = {"id": row["id"], "text": row["text"]}
        record = adjudicate(base, a, b, decisions, adjudication)
        records.append({**record, "source": "authored", **{k: row[k] for k in AUTHORED_META}})
    return records
