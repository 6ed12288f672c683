"""The corpus: loading and validating articles and annotations, building gold sets from the passes,
agreement between annotators, and the corpus card.

May import: `models`, and `train.paths` / `train.errors`. Nothing from the later stages.
"""
