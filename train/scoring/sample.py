"""`sectframes sample`: sentences of a scored corpus to label in Label Studio, as its import JSON.

Most of the sample is where the model is least sure (a frame's calibrated probability near its decision
threshold), the rest drawn at random from every scored sentence, so that estimates made from the labels
stay unbiased (each task records how it was drawn). At most a few sentences per article, furniture never.
Each task carries the sentence, the sentences before and after it (context for the annotator), and the
model's frames as a pre-annotation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.frames import FRAME_KEYS
from models.segment import SCORED_KINDS
from train.scoring.outputs import read_table

FROM_NAME, TO_NAME = "frames", "sentence"  # the names in data/annotations/labelstudio.xml
SAMPLER = "sectframes-sample/1"


@dataclass(frozen=True)
class SampleOptions:
    n: int = 200
    random_share: float = 0.3
    per_article: int = 3
    seed: int = 0


def uncertainty(rows: pd.DataFrame, thresholds: dict[str, float]) -> np.ndarray:
    """How close the most doubtful frame is to its decision: 1 at the threshold, 0 far from it."""
    P = rows[[f"p_{k}" for k in FRAME_KEYS]].to_numpy(dtype=float)
    cut = np.array([thresholds.get(k, 0.5) for k in FRAME_KEYS])
    distance = np.abs(P - cut) / np.where(P >= cut, 1 - cut, cut)  # 0..1 on each side of the cut
    return 1 - np.nanmin(distance, axis=1)


def pick(rows: pd.DataFrame, thresholds: dict[str, float], options: SampleOptions) -> pd.DataFrame:
    """The chosen rows with a `drawn` column: `uncertain` or `random`."""
    scored = rows[rows["kind"].isin(SCORED_KINDS) & rows["p_" + FRAME_KEYS[0]].notna()].copy()
    rng = np.random.default_rng(options.seed)
    scored["_u"] = uncertainty(scored, thresholds)
    scored["_r"] = rng.random(len(scored))
    n_random = int(round(options.n * options.random_share))
    chosen, per_article = [], {}

    def take(order: pd.DataFrame, how: str, limit: int) -> None:
        for index, row in order.iterrows():
            if limit <= 0:
                return
            if index in chosen_set or per_article.get(row["id"], 0) >= options.per_article:
                continue
            chosen.append((index, how))
            chosen_set.add(index)
            per_article[row["id"]] = per_article.get(row["id"], 0) + 1
            limit -= 1

    chosen_set: set = set()
    take(scored.sort_values("_r"), "random", n_random)
    take(scored.sort_values(["_u", "_r"], ascending=[False, True]), "uncertain", options.n - len(chosen))
    picked = scored.loc[[i for i, _ in chosen]].copy()
    picked["drawn"] = [how for _, how in chosen]
    return picked.drop(columns=["_u", "_r"])


def tasks(rows: pd.DataFrame, picked: pd.DataFrame, model: str) -> list[dict]:
    """Label Studio tasks (import JSON): data with context, and the model's frames as a prediction."""
    neighbours = {(r.id, r.sentence_index): r.text for r in rows.itertuples()}
    out = []
    for r in picked.itertuples():
        frames = [k for k in FRAME_KEYS if getattr(r, k)]
        out.append({
            "data": {"sentence": r.text, "before": neighbours.get((r.id, r.sentence_index - 1), ""),
                     "after": neighbours.get((r.id, r.sentence_index + 1), ""), "article_id": str(r.id),
                     "sentence_index": int(r.sentence_index), "sample_id": f"{r.id}:{int(r.sentence_index):03d}",
                     "drawn": r.drawn, "sampler": SAMPLER, "model": model,
                     **{f"p_{k}": round(float(getattr(r, f"p_{k}")), 4) for k in FRAME_KEYS}},
            "predictions": [{"model_version": model, "result": [
                {"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices", "value": {"choices": frames}}]
                if frames else []}],
        })
    return out


def sample(scores: Path, options: SampleOptions, thresholds: dict[str, float] | None = None) -> list[dict]:
    rows = read_table(scores)
    missing = [c for c in ("id", "sentence_index", "kind", "text", *[f"p_{k}" for k in FRAME_KEYS]) if c not in rows]
    if missing:
        raise ValueError(f"{scores}: not a `sectframes score` sentence table (missing columns {missing})")
    picked = pick(rows, thresholds or _implied_thresholds(rows), options)
    return tasks(rows, picked, model=str(scores.name))


def _implied_thresholds(rows: pd.DataFrame) -> dict[str, float]:
    """The model's thresholds as its decisions show them: midway between the highest probability it left
    out and the lowest it kept (0.5 when a frame was never or always decided)."""
    out = {}
    framed = rows[list(FRAME_KEYS)].astype(bool).any(axis=1)
    if "p_relevant" in rows and rows["p_relevant"].notna().any() and framed.any():
        rows = rows[rows["p_relevant"] >= rows.loc[framed, "p_relevant"].min()]  # not cut by the relevance gate
    for k in FRAME_KEYS:
        p, d = rows[f"p_{k}"], rows[k].astype(bool)
        kept, left = p[d].min(), p[~d & p.notna()].max()
        out[k] = float((kept + left) / 2) if pd.notna(kept) and pd.notna(left) and left < kept else 0.5
    return out
