"""Read documents to score from files and folders, one at a time, never failing the whole batch.

Every input yields either a `Document` or a `Problem` (the id or path, and why it cannot be scored).
Tabular inputs (.jsonl, .csv, .parquet) are read in chunks so memory stays flat however large they are.
"""

from __future__ import annotations

import errno
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

TEXT_SUFFIXES = {".txt", ".md", ".html", ".htm"}
TABLE_SUFFIXES = {".jsonl", ".csv", ".parquet"}
SUFFIXES = TEXT_SUFFIXES | TABLE_SUFFIXES
DEFAULT_MAX_CHARS = 1_000_000
CHUNK_ROWS = 2_000


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    source: str
    meta: dict = field(default_factory=dict, compare=False)  # a table row's other columns


@dataclass(frozen=True)
class Problem:
    id: str
    source: str
    reason: str
    level: str = "error"  # "error": not scored; "warning": scored but flagged


def discover(inputs: list[Path], follow_symlinks: bool = False) -> Iterator[Path | Problem]:
    """Files to read, folders expanded recursively in a stable order. Every path that cannot be read
    becomes a problem record instead of vanishing: dangling symlinks, symlink loops, unreadable folders,
    and symlinks that lead outside their input folder (followed only with `follow_symlinks`)."""
    for item in inputs:
        if item.is_dir():
            found = list(_walk(item, item.resolve(), follow_symlinks, set()))
            if not found:
                yield Problem(str(item), str(item), f"folder has no {'/'.join(sorted(SUFFIXES))} files")
            yield from found
        elif not item.exists():
            yield Problem(str(item), str(item), "no such file or folder" if not item.is_symlink() else
                          "dangling symlink or symlink loop")
        elif item.suffix.lower() not in SUFFIXES:
            yield Problem(str(item), str(item), f"unsupported file type '{item.suffix}' (use {', '.join(sorted(SUFFIXES))})")
        else:
            yield item


def _walk(folder: Path, root: Path, follow: bool, seen: set[Path]) -> Iterator[Path | Problem]:
    """One folder's readable files and problems, sorted by name, recursing into sub-folders."""
    seen.add(folder.resolve())
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        yield Problem(str(folder), str(folder), f"cannot read folder ({exc.strerror or exc})")
        return
    for entry in entries:
        if entry.is_symlink():
            problem = _symlink_problem(entry, root, follow, seen)
            if problem:
                yield problem
                continue
        if entry.is_dir():
            yield from _walk(entry, root, follow, seen)
        elif entry.is_file() and entry.suffix.lower() in SUFFIXES:
            yield entry


def _symlink_problem(link: Path, root: Path, follow: bool, seen: set[Path]) -> Problem | None:
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop on Python 3.11
        reason = "symlink loop" if _loops(link) else "dangling symlink (its target does not exist)"
        return Problem(str(link), str(link), reason)
    if target.is_dir() and target in seen:
        return Problem(str(link), str(link), "symlink loop (points to a folder already being read)")
    if not follow and not target.is_relative_to(root):
        return Problem(str(link), str(link), f"symlink to {target}, outside the input folder: not followed "
                                             "(pass --follow-symlinks to read it)")
    return None


def _loops(link: Path) -> bool:
    try:
        os.stat(link)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def decode(data: bytes) -> tuple[str | None, str]:
    """(text, encoding) trying UTF-8, UTF-16 (by BOM) and the most likely legacy encoding; (None, why) if none fits."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None, "undecodable bytes (UTF-16 byte-order mark, invalid UTF-16)"
    if b"\x00" in data[:8192]:
        return None, "binary file (NUL bytes), not text"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    text = str(best) if best is not None else ""
    if best is None or best.chaos > 0.2 or not _reads_like_text(text):
        return None, "undecodable bytes: not UTF-8, UTF-16 or a recognisable legacy encoding"
    return text, best.encoding


def _reads_like_text(text: str) -> bool:
    """Any byte string decodes in some legacy code page; prose also has spaces between its words."""
    return len(text) < 40 or sum(ch in " \t\r\n" for ch in text) / len(text) >= 0.05


def html_to_text(markup: str) -> str:
    """Visible article text: scripts, styles, navigation, headers, footers and forms removed;
    block elements become paragraphs so the segmenter sees the page's structure."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
                     "iframe", "button"]):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = [" ".join(el.get_text(" ", strip=True).split())
              for el in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "blockquote", "figcaption", "pre"])]
    blocks = [b for b in blocks if b]
    return "\n\n".join(blocks) if blocks else " ".join(root.get_text(" ", strip=True).split())


def read_text_file(path: Path, max_chars: int, doc_id: str | None = None) -> Document | Problem:
    doc_id = doc_id or str(path)
    data = path.read_bytes()
    if not data.strip():
        return Problem(doc_id, str(path), "empty file")
    text, how = decode(data)
    if text is None:
        return Problem(doc_id, str(path), how)
    if path.suffix.lower() in (".html", ".htm"):
        text = html_to_text(text)
    return _checked(Document(doc_id, text, str(path)), max_chars)


def _checked(doc: Document, max_chars: int) -> Document | Problem:
    if not doc.text.strip():
        return Problem(doc.id, doc.source, "no text to score")
    if len(doc.text) > max_chars:
        return Problem(doc.id, doc.source, f"document has {len(doc.text):,} characters, over the limit of "
                                           f"{max_chars:,} (--max-chars)")
    return doc


def _at(where: str, doc_id: str) -> str:
    """`file:line: ` in a reason, unless the record's id already is that position (said once, not twice)."""
    return "" if doc_id == where else f"{where}: "


def _has_id(row_id) -> bool:
    return row_id is not None and str(row_id) not in ("", "nan", "NaN", "None")


def _row_records(row_id, text, source: str, where: str, max_chars: int,
                 warn: bool = True, meta: dict | None = None) -> Iterator[Document | Problem]:
    """A row's document (or problem), preceded by a warning that names the substitute id when the row
    has none (missing, empty or NaN): its position in the file stands in for it. (`warn=False` for a
    table with no id column at all, which gets one warning for the whole file instead.)"""
    record = _row_document(row_id, text, source, where, max_chars, meta)
    if warn and isinstance(record, Document) and not _has_id(row_id):
        yield Problem(record.id, source, "no id (missing, empty or NaN): the row's position stands in for it",
                      level="warning")
    yield record


def _no_id_column(path: Path, first_id: str) -> Problem:
    return Problem(str(path), str(path), f"no 'id' column: each row's position stands in for its id (the first "
                   f"is '{first_id}')", level="warning")


def _row_document(row_id, text, source: str, where: str, max_chars: int, meta: dict | None = None) -> Document | Problem:
    doc_id = str(row_id) if _has_id(row_id) else where
    if not isinstance(text, str):
        return Problem(doc_id, source, f"{_at(where, doc_id)}'text' is missing or not a string")
    return _checked(Document(doc_id, text, source, {k: v for k, v in (meta or {}).items() if k not in ("id", "text")}),
                    max_chars)


def read_jsonl(path: Path, max_chars: int) -> Iterator[Document | Problem]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield Problem(where, str(path), f"not valid JSON ({exc.__class__.__name__}: {exc})")
                continue
            if not isinstance(row, dict):
                yield Problem(where, str(path), "each line must be a JSON object")
                continue
            if "text" not in row:
                row_id = str(row.get("id", where))
                yield Problem(row_id, str(path), f"{_at(where, row_id)}no 'text' field")
                continue
            yield from _row_records(row.get("id"), row["text"], str(path), where, max_chars, meta=row)


def read_csv(path: Path, max_chars: int) -> Iterator[Document | Problem]:
    import pandas as pd

    try:
        chunks = pd.read_csv(path, chunksize=CHUNK_ROWS, dtype=str, keep_default_na=False)
        first = True
        for chunk_index, chunk in enumerate(chunks):
            if first and "text" not in chunk.columns:
                yield Problem(str(path), str(path), f"CSV has no 'text' column (columns: {list(chunk.columns)})")
                return
            if first and "id" not in chunk.columns:
                yield _no_id_column(path, f"{path}:2")
            first = False
            for offset, values in enumerate(chunk.itertuples(index=False, name=None)):
                line = chunk_index * CHUNK_ROWS + offset + 2  # header is line 1
                row = dict(zip(chunk.columns, values))
                yield from _row_records(row.get("id"), row["text"], str(path), f"{path}:{line}", max_chars,
                                        warn="id" in chunk.columns, meta=row)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        yield Problem(str(path), str(path), f"unreadable CSV ({exc.__class__.__name__}: {str(exc)[:200]})")


def read_parquet(path: Path, max_chars: int) -> Iterator[Document | Problem]:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        yield Problem(str(path), str(path), f"unreadable Parquet ({exc.__class__.__name__}: {str(exc)[:200]})")
        return
    names = table.schema_arrow.names
    if "text" not in names:
        yield Problem(str(path), str(path), f"Parquet file has no 'text' column (columns: {names})")
        return
    if "id" not in names:
        yield _no_id_column(path, f"{path}:row 0")
    row = 0
    for batch in table.iter_batches(batch_size=CHUNK_ROWS):
        for i, record in enumerate(batch.to_pylist()):
            yield from _row_records(record.get("id"), record["text"], str(path), f"{path}:row {row + i}", max_chars,
                                    warn="id" in names, meta=record)
        row += batch.num_rows


def read_documents(inputs: list[Path], max_chars: int = DEFAULT_MAX_CHARS,
                   follow_symlinks: bool = False) -> Iterator[Document | Problem]:
    """Every document of every input, in order; duplicate ids after the first become problems.

    A file found in an input folder is named by its path inside that folder (`sub/a.txt`; with several
    inputs, prefixed by the folder's name), a file given directly by the path as given; `source` is the
    input it came from."""
    seen: set[str] = set()
    for root in inputs:
        for item in discover([root], follow_symlinks):
            if isinstance(item, Problem):
                yield item
                continue
            for record in _read_one(item, max_chars, _document_id(item, root, len(inputs) > 1)):
                if isinstance(record, Document):
                    if record.id in seen:
                        record = Problem(record.id, record.source,
                                         f"duplicate id '{record.id}': only the first is scored")
                    else:
                        seen.add(record.id)
                yield record


def _document_id(path: Path, root: Path, several: bool) -> str:
    if path == root or not root.is_dir():
        return str(path)
    relative = path.relative_to(root).as_posix()
    return f"{root.name}/{relative}" if several else relative


def _read_one(path: Path, max_chars: int, doc_id: str) -> Iterator[Document | Problem]:
    suffix = path.suffix.lower()
    try:
        if suffix in TEXT_SUFFIXES:
            yield read_text_file(path, max_chars, doc_id)
        elif suffix == ".jsonl":
            yield from read_jsonl(path, max_chars)
        elif suffix == ".csv":
            yield from read_csv(path, max_chars)
        else:
            yield from read_parquet(path, max_chars)
    except OSError as exc:
        yield Problem(doc_id, str(path), f"cannot read file ({exc.strerror or exc})")


_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ENGLISH = frozenset(
    "the of and to in a is that for on with as was by it at from are be this have has had were an or not but "
    "which their they its his her he she will would been after over more than who said also into against "
    "about there when government forces city people".split())


def looks_english(text: str, min_words: int = 12, min_share: float = 0.12) -> bool:
    """A cheap check: English prose is full of function words; other languages (or scripts) are not.

    Texts too short to judge count as English. This flags, it never blocks: flagged documents are scored.
    """
    words = [w.lower() for w in _WORD.findall(text[:20000])]
    if len(words) < min_words:
        return True
    return sum(w in _ENGLISH for w in words) / len(words) >= min_share
