"""Dictionary baseline: what a classic content analysis would do with the codebook's key terms.

Each frame has a list of regular-expression terms written from the codebook; a sentence's score for a
frame grows with the number of distinct terms it contains: p = 1 - exp(-hits / scale).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.families.base import Family
from models.frames import FRAME_KEYS

LEXICON: dict[str, list[str]] = {
    "sectarian_polarization": [
        r"sectarian", r"anti-(?:sunni|shia|shiite)", r"sunni-shi(?:a|ite)", r"shi(?:a|ite)-sunni",
        r"sect(?:s|-based)?\b", r"(?:sunni|shia|shiite|alawite)\s+(?:and|or)\s+(?:sunni|shia|shiite|alawite)",
        r"communal", r"reprisal", r"retribution", r"revenge", r"grievance", r"marginali[sz]",
        r"distrust", r"polari[sz]", r"(?:shia|shiite|sunni)\s+militi", r"militiam[ae]n",
    ],
    "state_failure": [
        r"collaps", r"fled", r"flee", r"abandon", r"desert(?:ed|ion)", r"incompeten", r"desperat",
        r"fragile", r"weak", r"unable", r"unwilling", r"unprepared", r"failed", r"failure", r"corrupt",
        r"paraly", r"lost control", r"loss of", r"fall of", r"overran", r"setback", r"humiliat",
        r"ineffective", r"morale",
    ],
    "foreign_intervention": [
        r"\bu\.?s\.?\b", r"american", r"united states", r"washington", r"\biran(?:ian)?s?\b",
        r"russia(?:n)?s?\b", r"coalition", r"air ?strikes?", r"foreign", r"intervention", r"troops",
        r"advisers?", r"military assistance", r"weapons", r"drones?", r"-backed", r"nato", r"saudi",
        r"turkey|turkish",
    ],
    "humanitarian": [
        r"civilians?", r"residents?", r"famil(?:y|ies)", r"refugees?", r"displaced", r"displacement",
        r"fleeing", r"fled (?:their|the) homes?", r"homes?", r"children", r"killed", r"killing",
        r"massacre", r"siege", r"trapped", r"hunger", r"starv", r"aid\b", r"humanitarian", r"wounded",
        r"looting", r"lynch", r"explosives", r"land ?mines?", r"returned",
    ],
}


@dataclass
class LexiconParams:
    scale: float = 1.0


class LexiconFamily(Family):
    name = "lexicon"
    Params = LexiconParams

    def __init__(self, params=None, seed: int = 0, lexicon: dict[str, list[str]] | None = None):
        super().__init__(params, seed)
        self.lexicon = lexicon or LEXICON
        self._patterns = {k: [re.compile(t, re.IGNORECASE) for t in self.lexicon[k]] for k in FRAME_KEYS}

    def fit(self, texts, Y):
        return self  # a dictionary is not learned; only its thresholds are chosen on training folds

    def hits(self, text: str) -> list[int]:
        return [sum(bool(p.search(text)) for p in self._patterns[key]) for key in FRAME_KEYS]

    def predict_proba(self, texts):
        counts = np.array([self.hits(t) for t in texts], dtype=np.float64).reshape(len(texts), len(FRAME_KEYS))
        return 1.0 - np.exp(-counts / self.params.scale)

    def inner_oof(self, texts, Y, groups, test_groups):
        held = np.isin(np.asarray(groups), test_groups)
        out = np.full(Y.shape, np.nan)
        out[held] = self.predict_proba([t for t, h in zip(texts, held) if h])
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "lexicon.json").write_text(json.dumps(self.lexicon, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, params):
        lexicon = json.loads((directory / "lexicon.json").read_text(encoding="utf-8"))
        return cls(params, lexicon=lexicon)
