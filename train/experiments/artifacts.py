"""Files a run leaves behind: out-of-fold predictions, classification report, plots, summary JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from models.frames import FRAME_KEYS
from train import plots
from train.experiments import metrics


def oof_table(ids, groups, texts, Y: np.ndarray, P: np.ndarray, D: np.ndarray) -> pd.DataFrame:
    """One row per gold sentence, with gold and predicted frames and the errors spelled out."""
    def names(row) -> str:
        return ";".join(k for k, v in zip(FRAME_KEYS, row) if v)

    table = pd.DataFrame({"id": ids, "article_id": groups, "text": texts,
                          "gold": [names(r) for r in Y], "predicted": [names(r) for r in D]})
    for j, key in enumerate(FRAME_KEYS):
        table[f"p_{key}"] = P[:, j].round(4)
    table["false_positives"] = [names(r) for r in (D & (Y == 0))]
    table["false_negatives"] = [names(r) for r in (~D & (Y == 1))]
    table["error"] = (table["false_positives"] != "") | (table["false_negatives"] != "")
    return table


def classification_report(Y: np.ndarray, D: np.ndarray) -> str:
    from sklearn.metrics import classification_report as sk_report

    return sk_report(Y, D.astype(int), target_names=list(FRAME_KEYS), zero_division=0)


def write_run_artifacts(directory: Path, title: str, corpus, result, summary: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    Y, P, D = corpus.Y, result.proba, result.decisions
    oof_table(corpus.ids, corpus.groups, corpus.texts, Y, P, D).to_csv(directory / "oof_predictions.csv", index=False)
    (directory / "classification_report.txt").write_text(classification_report(Y, D), encoding="utf-8")
    curves = {key: metrics.reliability(Y[:, j], P[:, j]) for j, key in enumerate(FRAME_KEYS)}
    (directory / "summary.json").write_text(json.dumps({**summary, "reliability": curves,
                                                        "fold_thresholds": result.fold_thresholds}, indent=2))
    plot_dir = directory / "plots"
    plot_dir.mkdir(exist_ok=True)
    plots.per_frame_f1(summary["per_frame"], plot_dir / "per_frame_f1.png", f"{title}: out-of-fold")
    plots.pr_curves(Y, P, plot_dir / "precision_recall.png", f"{title}: precision-recall")
    plots.cooccurrence(Y, D, plot_dir / "cooccurrence.png", f"{title}: gold vs predicted")
    plots.reliability(curves, plot_dir / "reliability.png", f"{title}: reliability")
    return directory
