"""Where the project keeps things. Everything is relative to the repository root."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
ARTICLES = DATA / "articles"
METADATA = ARTICLES / "metadata.jsonl"
ANNOTATIONS = DATA / "annotations"
GOLD = ANNOTATIONS / "gold.jsonl"
AUTHORED = ANNOTATIONS / "authored.jsonl"
CONFIGS = ROOT / "configs"
REPORTS = ROOT / "reports"
CACHE = ROOT / ".cache"
