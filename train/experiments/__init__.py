"""Experiments: validated configs, cross-validation of a model family, metrics, run artifacts, and the suite
runner that logs every run to MLflow and moves the champion alias.

May import: `models`, `train.corpus`, `train.tracking` and the shared helpers. Not evaluation, scoring or bench.
"""
