"""Input columns kept in the outputs: a table's other columns (outlet, date, url...) ride along with each
of its documents into the sentence and article tables, so results join back to the user's metadata.

Which columns exist is read once, before scoring (CSV header, Parquet schema, the keys of every JSONL
row), so every part of a run has the same columns. Kept values are written as text; a column whose name
clashes with an output column is renamed `input.<name>`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from train.scoring.ingest import Document, Problem, discover

RESERVED = {"id", "text"}


def input_columns(inputs: list[Path], follow_symlinks: bool = False) -> list[str]:
    """The extra columns of every tabular input, in order of first appearance."""
    found: dict[str, None] = {}
    for item in discover(inputs, follow_symlinks):
        if isinstance(item, Problem):
            continue
        for name in _columns_of(item):
            if name not in RESERVED:
                found.setdefault(name)
    return list(found)


def _columns_of(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return list(pd.read_csv(path, nrows=0).columns)
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.ParquetFile(path).schema_arrow.names)
        if suffix == ".jsonl":
            return _jsonl_keys(path)
    except Exception:  # noqa: BLE001 - an unreadable file becomes a problem record when it is read
        return []
    return []


def _jsonl_keys(path: Path) -> list[str]:
    keys: dict[str, None] = {}
    with path.open("rb") as handle:
        for raw in handle:
            try:
                row = json.loads(raw)
            except ValueError:
                continue
            if isinstance(row, dict):
                keys.update(dict.fromkeys(row))
    return list(keys)


def kept_columns(available: list[str], keep: str) -> list[str]:
    """`--keep-columns`: all (default), none, or a comma-separated list of names that must exist."""
    if keep == "all":
        return available
    if keep == "none":
        return []
    wanted = [name.strip() for name in keep.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ValueError(f"--keep-columns: no input has the column(s) {', '.join(unknown)} "
                         f"(columns found: {', '.join(available) or 'none'})")
    return wanted


def output_name(column: str, taken: list[str]) -> str:
    return f"input.{column}" if column in taken else column


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def attach(frame: pd.DataFrame, docs: list[Document], kept: list[str], taken: list[str]) -> pd.DataFrame:
    """`frame` (rows keyed by document id) with the kept columns of each row's document."""
    if not kept:
        return frame
    frame = frame.copy()
    meta = {d.id: d.meta for d in docs}
    for column in kept:
        frame[output_name(column, taken)] = pd.Series([_text(meta.get(i, {}).get(column)) for i in frame["id"]],
                                                      index=frame.index, dtype="string")
    return frame
