"""Evaluation of a trained model: the report from its out-of-fold predictions, the behavioural suite,
the model card and the comparison table of runs.

May import: `models`, `train.corpus`, `train.experiments` (metrics), `train.tracking` and the shared helpers.
Not scoring or bench.
"""
