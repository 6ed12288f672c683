"""Benchmarks (`make bench`): synthetic corpora, model-only and end-to-end throughput, cold start, and the
peak memory of the whole process tree.

May import: `models`, `train.scoring`, `train.tracking` and the shared helpers. Nothing imports bench
except the CLI.
"""
