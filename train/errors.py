"""Errors users see: each names the file, line and field at fault."""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """Bad data: the message says where (file:line) and which field."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, field: str | None = None):
        where = f"{path}:{line}" if line is not None else f"{path}"
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {message}")
        self.path, self.line, self.field = str(path), line, field


class ConfigError(ValueError):
    """Bad experiment config: the message names the file and key."""


class ModelLoadError(RuntimeError):
    """The model could not be loaded, here or in a scoring worker: nothing was scored."""


class WorkerCrashed(RuntimeError):
    """A scoring worker process died mid-run (killed, out of memory): the parts written so far are kept."""
