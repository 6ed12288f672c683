"""Batch scoring of new articles: reading inputs, journaled output parts, worker processes, the Spark engine.

May import: `models`, `train.tracking` and the shared helpers. Never `train.experiments` (a scorer needs a
registered model, not the code that trained it), nor evaluation or bench.
"""
