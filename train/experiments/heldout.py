"""Scores of a refit model on the authored corpus's held-out splits (`dev`, `test`).

The refit model never saw these articles. `dev` is where later choices (models, thresholds) may look;
`test` is only reported. Besides macro-F1 with a bootstrap interval and per-frame F1, the off-topic
false-frame rate: the share of sentences from articles that are not about conflict given any frame.
"""

from __future__ import annotations

import numpy as np

from models.frames import FRAME_KEYS
from train.corpus.records import label_matrix
from train.experiments import metrics

HELDOUT_SPLITS = ("dev", "test")


def split_records(records: list[dict], split: str) -> list[dict]:
    return [r for r in records if r["split"] == split]


def heldout_scores(predictor, records: list[dict], bootstrap: int, seed: int) -> dict:
    """Metrics of one split (records of that split only) for a predictor (model, calibration, thresholds)."""
    Y = label_matrix([r["labels"] for r in records]).reshape(len(records), len(FRAME_KEYS))
    texts = [r["text"] for r in records]  # the predictor normalises, as at inference
    # scored as whole articles are: the gate sees each sentence's article (`models.relevance`)
    P, R = predictor.proba(texts), predictor.relevance(texts, [r.get("article_id", r["id"]) for r in records])
    D = predictor.decide(P, R)
    neutral = np.array(["neutral_sect" in (r.get("design_kind") or "").split("+") for r in records])
    low, high = metrics.bootstrap_ci(Y, D, n=bootstrap, seed=seed)
    off_topic = np.array([r.get("topic") == "off_topic" for r in records])
    per_frame = metrics.per_frame(Y, P, D)
    return {
        "macro_f1": metrics.macro_f1(Y, D), "ci": (low, high), "sentences": len(records),
        "articles": len({r["article_id"] for r in records}),
        "frame_f1": {k: per_frame[k]["f1"] for k in FRAME_KEYS},
        "offtopic_sentences": int(off_topic.sum()),
        "offtopic_false_frame_rate": float(D[off_topic].any(axis=1).mean()) if off_topic.any() else float("nan"),
        "neutral_sect_sentences": int(neutral.sum()),
        "neutral_sect_called_sectarian": float(D[neutral, FRAME_KEYS.index("sectarian_polarization")].mean())
        if neutral.any() else float("nan"),
        "relevance_auc": _auc(~off_topic, R),
    }


def _auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC of the relevance gate (conflict vs off-topic articles), NaN without a gate or a class."""
    from sklearn.metrics import roc_auc_score

    if np.isnan(scores).all() or positive.all() or not positive.any():
        return float("nan")
    return float(roc_auc_score(positive, scores))


def heldout_metrics(split: str, scores: dict) -> dict[str, float]:
    """Flat MLflow metric names: dev_macro_f1, dev_macro_f1_ci_low, dev_<frame>_f1, ..."""
    out = {f"{split}_macro_f1": scores["macro_f1"], f"{split}_macro_f1_ci_low": scores["ci"][0],
           f"{split}_macro_f1_ci_high": scores["ci"][1], f"{split}_sentences": scores["sentences"]}
    out.update({f"{split}_{k}_f1": v for k, v in scores["frame_f1"].items()})
    if scores["offtopic_sentences"]:
        out[f"{split}_offtopic_false_frame_rate"] = scores["offtopic_false_frame_rate"]
    for key in ("neutral_sect_called_sectarian", "relevance_auc"):
        out[f"{split}_{key}"] = scores[key]
    return out
