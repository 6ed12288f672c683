"""The options of one scoring run, and where its companion files and work folder live."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from train.scoring.ingest import DEFAULT_MAX_CHARS

DEFAULT_MODEL = "models:/sectarian-frames@champion"


@dataclass
class ScoreOptions:
    inputs: list[Path]
    output: Path
    model_uri: str = DEFAULT_MODEL
    unit: str = "article"
    resume: bool = False
    overwrite: bool = False
    max_chars: int = DEFAULT_MAX_CHARS
    batch_docs: int = 64
    workers: int = 0  # 0: one per available core
    follow_symlinks: bool = False  # read symlinks that lead outside an input folder
    keep_columns: str = "all"  # a table's other columns in the outputs: all, none, or a comma list
    group_by: str | None = None  # a kept column, or "folder" (file inputs by sub-folder): shares per group
    thresholds: dict[str, float] = field(default_factory=dict)  # frame -> a user's own decision threshold
    include_off_topic: bool = False  # keep off-topic articles in --group-by shares

    def companion(self, name: str, suffix: str | None = None) -> Path:
        """Files beside the output: scores.parquet -> scores.articles.parquet, scores.errors.jsonl, ..."""
        return self.output.with_name(f"{self.output.stem}.{name}{suffix or self.output.suffix}")

    @property
    def work_folder(self) -> Path:
        return self.output.with_name(f"{self.output.name}.parts")
