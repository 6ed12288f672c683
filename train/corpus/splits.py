"""Train / dev / test assignment of the authored articles: by article (never splitting one), stratified.

Articles are grouped into strata (conflict coverage by setting and writer; off-topic news by its kind,
sport or business...) and ordered by id inside each stratum. Positions follow a fixed 20-slot pattern
(14 train, 3 dev, 3 test, spread out), so each stratum contributes to every split in proportion,
registers spread with the writers' order, and an article appended later never moves an earlier one. In
half of the strata (by a hash of the stratum, not by its rank, so a new stratum moves nothing) dev and
test swap slots, so that small strata do not all favour the same split. `dev` is where models and thresholds are chosen;
`test` is only ever reported.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

SPLITS = ("train", "dev", "test")
PATTERN = {2: "dev", 9: "dev", 15: "dev", 5: "test", 12: "test", 18: "test"}  # other slots of 20: train


def stratum(article: dict) -> tuple[str, ...]:
    if article["topic"] == "off_topic":
        return article["topic"], article.get("off_topic_kind") or "other"
    return article["topic"], article["setting"], article["writer"]


def _swapped(key: tuple[str, ...]) -> bool:
    return hashlib.sha256("/".join(key).encode()).digest()[0] % 2 == 1


def _natural(article_id: str) -> tuple:
    """`w1-9` before `w1-10`: a writer's hundredth article must not move the ones before it."""
    head, _, number = article_id.rpartition("-")
    return (head, int(number), "") if number.isdigit() else (article_id, 0, article_id)


def assign_splits(articles: list[dict]) -> dict[str, str]:
    """article_id -> split, deterministic in the articles' strata and ids."""
    strata: dict[tuple, list[str]] = defaultdict(list)
    for article in articles:
        strata[stratum(article)].append(article["article_id"])
    out = {}
    swap = {"dev": "test", "test": "dev", "train": "train"}
    for key, ids in strata.items():
        for position, article_id in enumerate(sorted(ids, key=_natural)):
            split = PATTERN.get(position % 20, "train")
            out[article_id] = swap[split] if _swapped(key) else split
    return out
