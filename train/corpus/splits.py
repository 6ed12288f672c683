"""Train / dev / test assignment of the authored articles: by article (never splitting one), stratified.

Articles are grouped into strata by topic (conflict or off-topic), setting and writer, and ordered by id
inside each stratum. Positions follow a fixed 20-slot pattern (14 train, 3 dev, 3 test, spread out), so
each stratum contributes to every split in proportion, registers spread with the writers' order, and an
article appended later never moves an earlier one. `dev` is where models and thresholds are chosen;
`test` is only ever reported.
"""

from __future__ import annotations

from collections import defaultdict

SPLITS = ("train", "dev", "test")
PATTERN = {2: "dev", 9: "dev", 15: "dev", 5: "test", 12: "test", 18: "test"}  # other slots of 20: train


def stratum(article: dict) -> tuple[str, str, str]:
    return article["topic"], article["setting"], article["writer"]


def assign_splits(articles: list[dict]) -> dict[str, str]:
    """article_id -> split, deterministic in the articles' strata and ids."""
    strata: dict[tuple, list[str]] = defaultdict(list)
    for article in articles:
        strata[stratum(article)].append(article["article_id"])
    out = {}
    for ids in strata.values():
        for position, article_id in enumerate(sorted(ids)):
            out[article_id] = PATTERN.get(position % 20, "train")
    return out
