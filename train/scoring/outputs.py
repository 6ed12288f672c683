"""Crash-safe output: tables written in numbered parts, a journal of finished parts, an atomic merge.

A part becomes visible only by an atomic rename, and is listed in the journal only after that, so a
crash or kill at any moment leaves either a complete part or none. `--resume` reads the journal,
drops unlisted leftovers, and carries on; the final files appear only when every part is merged.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd

FORMATS = (".jsonl", ".csv", ".parquet")


def check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"output must end in {', '.join(FORMATS)}; got '{path.name}'")
    return suffix


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a whole table to `path` atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    elif suffix == ".csv":
        frame.to_csv(tmp, index=False)
    else:
        frame.to_json(tmp, orient="records", lines=True, force_ascii=False)
    _fsync_rename(tmp, path)


def _fsync_rename(tmp: Path, path: Path) -> None:
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class PartWriter:
    """Numbered parts of several named tables in one work folder, with a journal of what is done."""

    def __init__(self, folder: Path, suffix: str):
        self.folder, self.suffix = folder, suffix
        self.journal = folder / "journal.jsonl"
        self.record_file = folder / "run.json"  # what the run was started with (its model), for --resume
        self.entries: list[dict] = []

    def start(self, resume: bool) -> set:
        """Prepare the folder; returns the input positions already finished (resume) or an empty set."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not resume:
            for stale in self.folder.iterdir():
                stale.unlink()
        self.entries = self._read_journal()
        self._rewrite_journal()  # a line torn by a crash is dropped, so new entries start on a line of their own
        listed = {self._name(entry["part"], table) for entry in self.entries for table in entry["tables"]}
        for leftover in self.folder.iterdir():  # parts written but never journaled: a crash mid-part
            if leftover.name not in (self.journal.name, self.record_file.name) and leftover.name not in listed:
                leftover.unlink()
        if any("positions" not in entry for entry in self.entries):
            raise ValueError(f"{self.folder} was written by an older version that journaled ids, not input "
                             "positions: pass --overwrite to start again")
        return {position for entry in self.entries for position in entry["positions"]}

    def read_record(self) -> dict:
        """What `write_record` stored when the run started ({} for a new run or one from an older version)."""
        try:
            return json.loads(self.record_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"{self.record_file} is damaged ({exc}): pass --overwrite to start again") from exc

    def write_record(self, record: dict) -> None:
        """Add `record`'s keys to the run record (atomically)."""
        record = {**self.read_record(), **record}
        tmp = self.record_file.with_name(f".{self.record_file.name}.tmp")
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        _fsync_rename(tmp, self.record_file)

    def _read_journal(self) -> list[dict]:
        if not self.journal.exists():
            return []
        entries = []
        for line in self.journal.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut short by a crash: that part is redone
        return entries

    def _rewrite_journal(self) -> None:
        if not self.journal.exists():
            return
        tmp = self.journal.with_name(f".{self.journal.name}.tmp")
        tmp.write_text("".join(json.dumps(entry) + "\n" for entry in self.entries), encoding="utf-8")
        _fsync_rename(tmp, self.journal)

    def remove(self) -> None:
        """Remove the finished work folder, journal first: a kill part way through leaves a folder with no
        journal, which `--resume` treats as the finished run it is (the output is already complete)."""
        self.journal.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _name(self, part: int, table: str) -> str:
        return f"part-{part:05d}.{table}{self.suffix if table != 'errors' else '.jsonl'}"

    def write(self, tables: dict[str, pd.DataFrame], positions: list) -> None:
        """One part: its tables, then a journal line naming the input positions it accounts for."""
        part = len(self.entries)
        written = []
        for table, frame in tables.items():
            if len(frame):
                write_table(frame, self.folder / self._name(part, table))
                written.append(table)
        entry = {"part": part, "tables": written, "positions": positions}
        with self.journal.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.entries.append(entry)

    def parts(self, table: str) -> list[Path]:
        return [self.folder / self._name(e["part"], table) for e in self.entries if table in e["tables"]]

    def discard_if_empty(self) -> None:
        """Remove the work folder of a run that failed before any part was written: there is nothing to
        resume, and a rerun should not need --resume or --overwrite."""
        if not self.entries and self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    def merge(self, table: str, destination: Path, columns: list[str]) -> int:
        """Concatenate a table's parts into `destination` atomically, one part in memory at a time."""
        tmp = destination.with_name(f".{destination.name}.tmp")
        rows = 0
        suffix = destination.suffix.lower()
        writer = None
        with open(tmp, "wb") as raw:
            for index, path in enumerate(self.parts(table)):
                frame = read_table(path)
                rows += len(frame)
                if suffix == ".parquet":
                    import pyarrow as pa
                    import pyarrow.parquet as pq

                    batch = pa.Table.from_pandas(frame, preserve_index=False)
                    writer = writer or pq.ParquetWriter(raw, batch.schema)
                    writer.write_table(batch.cast(writer.schema))
                elif suffix == ".csv":
                    raw.write(frame.to_csv(index=False, header=index == 0).encode("utf-8"))
                else:
                    raw.write(frame.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8"))
            if writer is not None:
                writer.close()
            elif suffix == ".parquet" or (suffix == ".csv" and rows == 0):
                empty = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
                raw.write(empty.to_parquet(index=False) if suffix == ".parquet" else empty.to_csv(index=False).encode())
        _fsync_rename(tmp, destination)
        return rows


def return_arrow_memory_promptly() -> None:
    """Have pyarrow allocate with the system allocator. Its default (mimalloc) keeps the pages of freed
    buffers for reuse, so merging a few hundred parts grew a scoring process by ~100 MB and the peak grew
    with the corpus; with the system allocator the merge adds ~8 MB whatever the number of parts."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def read_table(path: Path, text_columns: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """A table written by this module. `text_columns` (kept input columns) are read as text, so "007" stays
    "007" in CSV and JSONL as in Parquet."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    dtypes = {"id": str, **{c: "object" if suffix == ".jsonl" else str for c in text_columns}}
    if suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=dtypes)
    frame = pd.read_json(path, orient="records", lines=True, dtype=dtypes, convert_dates=False)
    for column in text_columns:
        if column in frame:
            frame[column] = frame[column].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return frame
