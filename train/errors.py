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


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped a command: one line for the user and the conventional exit status
    (130 for SIGINT, 143 for SIGTERM) instead of a traceback."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def interrupt_code(exc: BaseException) -> int:
    """Exit status for an interruption: 130 for Ctrl-C, the signal's own for SIGTERM (SystemExit(143))."""
    return exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 130


class DiskFull(RuntimeError):
    """The disk filled up part way through a run: the parts written so far are kept for --resume."""
