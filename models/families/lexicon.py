"""Dictionary baseline: what a classic content analysis would do with the codebook's key terms.

Each frame's terms are the words of its codebook definition (as given in the project's brief), stemmed
into regular expressions, and nothing else: no term was added after looking at the seed articles, since
that would tune the baseline to the very articles it is evaluated on. A sentence's score for a frame
grows with the number of distinct terms it contains: p = 1 - exp(-hits / scale).
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
        r"\bsects?\b", r"sectarian", r"sect-", r"\bsunnis?\b", r"\bshi(?:a|as|ite|ites|'ite)\b", r"rivalr",
        r"grievance", r"distrust", r"\bfear", r"targeting", r"militias?\b", r"rhetoric", r"\bflags?\b",
        r"marginali[sz]", r"civil war", r"divisions?\b",
    ],
    "state_failure": [
        r"collaps", r"desert(?:ed|ion|ers?)", r"incompeten", r"unwilling", r"loss of territory", r"lost control",
        r"monopoly", r"unable", r"inability", r"\bfail", r"corrupt", r"paraly", r"desperat",
        r"rel(?:y|ies|ied|iance) on militias",
    ],
    "foreign_intervention": [
        r"foreign", r"intervention", r"coalition", r"air ?strikes?", r"\btroops\b", r"advis[eo]rs?\b",
        r"weapons", r"military (?:aid|assistance)", r"diplomatic", r"pressure", r"proxies", r"proxy",
        r"request(?:ed|s)? (?:for )?(?:foreign |military )?(?:help|assistance)",
    ],
    "humanitarian": [
        r"civilians?", r"deaths?\b", r"injur", r"massacre", r"displace", r"refugees?", r"sieges?\b",
        r"hunger", r"destroyed homes", r"\bhomes\b", r"explosive", r"abuses?\b", r"children", r"\baid\b",
        r"return(?:ed|s)?\b", r"rebuil",
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
