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
CORPUS = DATA / "corpus"  # the authored article corpus (written by us): see data/corpus/README.md
CORPUS_WRITTEN = CORPUS / "written"
CORPUS_ARTICLES = CORPUS / "articles"
CORPUS_META = CORPUS / "articles.jsonl"
CORPUS_SENTENCES = CORPUS / "sentences.jsonl"
CORPUS_PASSES = CORPUS / "passes"
CORPUS_LABELLED = CORPUS / "labelled.jsonl"
