"""`sectframes build-corpus`: the authored article corpus, rebuilt from the writers' files and the passes.

Writes, under `data/corpus/`: `articles/<id>.txt` (rendered pages), `articles.jsonl` (design metadata,
split, sha256), `sentences.jsonl` (every segmented sentence with the writer's intended frames), and, for
every article whose prose sentences both passes have labelled, `labelled.jsonl` (adjudicated labels, like
the gold set). Rebuilding from the same inputs gives the same bytes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from models.frames import validate_labels
from models.segment import SCORED_KINDS
from train import paths
from train.corpus.articles import (ARTICLE_FIELDS, DESIGN_KINDS, LABELLED_BLOCKS, REGISTERS, TOPICS,
                                   article_metadata, render, sentence_records)
from train.corpus.gold import adjudicate, read_labels, write_jsonl
from train.corpus.records import read_jsonl
from train.corpus.splits import assign_splits
from train.errors import DataError

log = logging.getLogger(__name__)
DESIGN_FIELDS = ("topic", "setting", "period", "register", "off_topic_kind", "split")


def _check_item(path: Path, number: int, item: dict, where: str, sentence: bool = False) -> None:
    if not isinstance(item.get("text"), str) or not item["text"].strip():
        raise DataError(path, "must be a non-empty string", number, f"{where}.text")
    try:
        validate_labels(item.get("intended"))
    except ValueError as exc:
        raise DataError(path, str(exc), number, f"{where}.intended") from None
    if sentence and item.get("kind") is not None and item["kind"] not in DESIGN_KINDS:
        raise DataError(path, f"unknown kind {item['kind']!r}", number, f"{where}.kind")


def check_written(path: Path, number: int, article: dict) -> dict:
    """A writer's article, validated field by field (errors name file, line and field)."""
    for field in ARTICLE_FIELDS:
        if field not in article:
            raise DataError(path, "missing", number, field)
    if article["topic"] not in TOPICS:
        raise DataError(path, f"must be one of {TOPICS}", number, "topic")
    if article["register"] not in REGISTERS:
        raise DataError(path, f"unknown register {article['register']!r}", number, "register")
    for index, block in enumerate(article["blocks"]):
        if block.get("kind") == "paragraph":
            for s, sentence in enumerate(block.get("sentences") or []):
                _check_item(path, number, sentence, f"blocks[{index}].sentences[{s}]", sentence=True)
        elif block.get("kind") in LABELLED_BLOCKS:
            _check_item(path, number, block, f"blocks[{index}]")
    return article


def read_written(written_dir: Path) -> list[tuple[dict, str]]:
    """(article, writer) for every article in `written_dir/*.jsonl`, ids unique across files."""
    out, seen = [], {}
    for path in sorted(written_dir.glob("*.jsonl")):
        for number, article in read_jsonl(path):
            check_written(path, number, article)
            if article["article_id"] in seen:
                raise DataError(path, f"duplicate article_id (also in {seen[article['article_id']]})", number,
                                "article_id")
            seen[article["article_id"]] = f"{path.name}:{number}"
            out.append((article, path.stem))
    return out


@dataclass
class BuildReport:
    articles: int
    sentences: int
    labelled_articles: int
    labelled_sentences: int


def _labelled(sentences: list[dict], meta: dict[str, dict], passes: Path) -> list[dict]:
    """Adjudicated records for the prose sentences of articles that both passes have finished."""
    files = [passes / f"{name}.jsonl" for name in ("pass_a", "pass_b", "adjudication")]
    if not all(f.exists() for f in files[:2]):
        return []
    a, b = read_labels(files[0]), read_labels(files[1])
    decisions = read_labels(files[2]) if files[2].exists() else {}
    prose = [s for s in sentences if s["kind"] in SCORED_KINDS]
    done = {s["article_id"] for s in prose} - {s["article_id"] for s in prose if s["id"] not in a or s["id"] not in b}
    out = []
    for s in prose:
        if s["article_id"] in done:
            base = {k: s[k] for k in ("id", "article_id", "start", "end", "text")}
            record = adjudicate(base, a, b, decisions, files[2])
            design = {k: meta[s["article_id"]].get(k) for k in DESIGN_FIELDS}
            out.append({**record, "source": "corpus", **design, "intended": s["intended"],
                        "design_kind": s["design_kind"]})
    return out


def build_corpus(root: Path = paths.CORPUS) -> BuildReport:
    written = read_written(root / "written")
    if not written:
        raise DataError(root / "written", "no written articles (*.jsonl)")
    articles_dir = root / "articles"
    articles_dir.mkdir(parents=True, exist_ok=True)
    metas, sentences = [], []
    for article, writer in written:
        rendered = render(article)
        (articles_dir / f"{article['article_id']}.txt").write_text(rendered.text, encoding="utf-8")
        metas.append(article_metadata(article, rendered, writer))
        sentences += sentence_records(article, rendered)
    splits = assign_splits(metas)
    for meta in metas:
        meta["split"] = splits[meta["article_id"]]
    stale = {p.stem for p in articles_dir.glob("*.txt")} - {m["article_id"] for m in metas}
    for name in stale:
        (articles_dir / f"{name}.txt").unlink()
    write_jsonl(root / "articles.jsonl", metas)
    write_jsonl(root / "sentences.jsonl", sentences)
    labelled = _labelled(sentences, {m["article_id"]: m for m in metas}, root / "passes")
    if labelled:
        write_jsonl(root / "labelled.jsonl", labelled)
    report = BuildReport(len(metas), len(sentences), len({r["article_id"] for r in labelled}), len(labelled))
    log.info("corpus: %d articles, %d sentences; %d articles (%d prose sentences) labelled", *vars(report).values())
    return report


def annotation_packet(root: Path = paths.CORPUS, article_ids: list[str] | None = None) -> tuple[str, list[str]]:
    """What an annotator sees: each article's page text, then its prose sentences as `ID | text` lines
    (no design metadata, no intended frames). Returns the packet text and the ids to label."""
    sentences = [json.loads(line) for line in (root / "sentences.jsonl").open(encoding="utf-8")]
    wanted = article_ids or list(dict.fromkeys(s["article_id"] for s in sentences))
    lines, ids = [], []
    for article_id in wanted:
        text = (root / "articles" / f"{article_id}.txt").read_text(encoding="utf-8")
        rows = [s for s in sentences if s["article_id"] == article_id and s["kind"] in SCORED_KINDS]
        lines += [f"=================== ARTICLE {article_id} ===================", text, "--- sentences to label ---"]
        lines += [f"{s['id']} | {s['text']}" for s in rows] + [""]
        ids += [s["id"] for s in rows]
    return "\n".join(lines), ids
