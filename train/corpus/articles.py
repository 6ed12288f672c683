"""The authored article corpus: writers' structured articles -> page-like text files -> segmented sentences.

Writers deliver each article as blocks (headline, byline, paragraphs of sentences each with the frames
they intended, captions, related links...). We render the blocks into the plain text a reader would copy
from a page, then split it with the same segmenter and furniture rules as any scored article, so the
labelled units are exactly what the product sees. Each segmented sentence keeps the writer's design
metadata (intended frames, kind of hard negative) of the written sentences it overlaps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from models.frames import FRAME_KEYS
from models.segment import split_sentences

ARTICLE_FIELDS = ("article_id", "topic", "setting", "period", "register", "title", "blocks")
TOPICS = ("conflict", "off_topic")
REGISTERS = ("wire", "feature", "analysis", "ngo_report", "op_ed", "encyclopedic", "live_blog", "interview")
DESIGN_KINDS = ("background", "neutral_sect", "negated_failure", "state_succeeding", "combat_no_civilian_cost",
                "routine_aid", "routine_diplomacy", "foreign_fighters", "off_topic")
LABELLED_BLOCKS = ("headline", "standfirst", "caption", "quote")
LINE_BLOCKS = ("byline", "credit", "bio", "timestamp", "note")


@dataclass
class Unit:
    """One written piece of text and where it landed in the rendered article."""
    start: int
    end: int
    block: str
    intended: tuple[str, ...] | None  # None: furniture the writer did not label
    kind: str | None


@dataclass
class Rendered:
    text: str
    units: list[Unit] = field(default_factory=list)


def render(article: dict) -> Rendered:
    """The article as a page's plain text: blocks separated by blank lines, a paragraph's sentences by spaces."""
    out = Rendered("")
    pieces: list[str] = []
    cursor = 0

    def emit(text: str, block: str, intended=None, kind=None) -> None:
        nonlocal cursor
        pieces.append(text)
        out.units.append(Unit(cursor, cursor + len(text), block,
                              None if intended is None else tuple(intended), kind))
        cursor += len(text)

    def gap(text: str) -> None:
        nonlocal cursor
        pieces.append(text)
        cursor += len(text)

    for number, block in enumerate(article["blocks"]):
        if number:
            gap("\n\n")
        kind = block["kind"]
        if kind == "paragraph":
            if block.get("dateline"):
                emit(block["dateline"].strip(), "dateline")
                gap(" ")
            for index, sentence in enumerate(block["sentences"]):
                if index:
                    gap(" ")
                emit(sentence["text"].strip(), "paragraph", sentence["intended"], sentence.get("kind"))
        elif kind in LABELLED_BLOCKS:
            emit(block["text"].strip(), kind, block["intended"])
        elif kind in ("related", "tags"):
            label = "Related: " if kind == "related" else "Tags: "
            items = block["items"] if kind == "related" else [", ".join(block["items"])]
            for index, item in enumerate(items):
                if index:
                    gap("\n")
                emit(label + item.strip(), kind)
        else:
            emit(block["text"].strip(), kind)
    out.text = "".join(pieces) + "\n"
    return out


def sentence_records(article: dict, rendered: Rendered) -> list[dict]:
    """Segmented sentences of a rendered article, with the design metadata of the units they overlap."""
    records = []
    for sentence in split_sentences(rendered.text):
        overlapping = [u for u in rendered.units if u.start < sentence.end and sentence.start < u.end]
        labelled = [u for u in overlapping if u.intended is not None]
        intended = sorted({f for u in labelled for f in u.intended}, key=FRAME_KEYS.index)
        kinds = sorted({u.kind for u in labelled if u.kind})
        records.append({
            "id": f"{article['article_id']}:{sentence.index:03d}", "article_id": article["article_id"],
            "start": sentence.start, "end": sentence.end, "text": sentence.text, "kind": sentence.kind,
            "block": "+".join(dict.fromkeys(u.block for u in overlapping)),
            "intended": intended if labelled else None, "design_kind": "+".join(kinds) or None,
        })
    return records


def article_metadata(article: dict, rendered: Rendered, writer: str) -> dict:
    """The per-article record: design metadata and the rendered file's digest (the split is added later)."""
    keep = ("article_id", "topic", "setting", "period", "register", "off_topic_kind", "title")
    return {**{k: article.get(k) for k in keep}, "writer": writer, "file": f"{article['article_id']}.txt",
            "sha256": hashlib.sha256(rendered.text.encode("utf-8")).hexdigest()}
