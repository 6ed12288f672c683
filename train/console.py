"""A terminal console wide enough for our tables, even when output is piped to a file."""

from __future__ import annotations


def wide_console(min_width: int = 150):
    from rich.console import Console

    return Console(width=max(Console().width, min_width))
