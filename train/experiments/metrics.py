"""Multi-label metrics: per frame and overall, with a bootstrap interval for the primary metric."""

from __future__ import annotations

import numpy as np

from models.frames import FRAME_KEYS


def choose_thresholds(Y: np.ndarray, P: np.ndarray, default: float = 0.5) -> np.ndarray:
    """Per frame, the probability cut that maximises F1 on (Y, P); rows with NaN are ignored.

    Cuts sit midway between neighbouring distinct scores so that they generalise rather than sit on a
    training score. A frame with no positives keeps the default.
    """
    thresholds = np.full(Y.shape[1], default)
    for j in range(Y.shape[1]):
        keep = ~np.isnan(P[:, j])
        y, p = Y[keep, j], P[keep, j]
        if y.sum() == 0 or len(p) == 0:
            continue
        values = np.unique(p)
        cuts = np.concatenate([(values[:-1] + values[1:]) / 2, [values[-1]]])
        best = max(cuts, key=lambda c: (_f1(y, p >= c), -abs(c - default)))
        thresholds[j] = float(best)
    return thresholds


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = float(np.sum(pred & (y == 1)))
    denom = float(pred.sum() + y.sum())
    return 2 * tp / denom if denom else 0.0


def per_frame(Y: np.ndarray, P: np.ndarray, D: np.ndarray) -> dict[str, dict[str, float]]:
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support

    out = {}
    for j, key in enumerate(FRAME_KEYS):
        precision, recall, f1, _ = precision_recall_fscore_support(
            Y[:, j], D[:, j], average="binary", zero_division=0.0)
        out[key] = {
            "precision": float(precision), "recall": float(recall), "f1": float(f1),
            "pr_auc": float(average_precision_score(Y[:, j], P[:, j])) if Y[:, j].any() else float("nan"),
            "brier": float(np.mean((P[:, j] - Y[:, j]) ** 2)),
            "support": int(Y[:, j].sum()), "predicted": int(D[:, j].sum()),
        }
    return out


def macro_f1(Y: np.ndarray, D: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(Y, D, average="macro", zero_division=0.0))


def overall(Y: np.ndarray, P: np.ndarray, D: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    return {
        "macro_f1": macro_f1(Y, D),
        "micro_f1": float(f1_score(Y, D, average="micro", zero_division=0.0)),
        "exact_match": float(np.mean(np.all(Y == D, axis=1))),
        "brier": float(np.mean((P - Y) ** 2)),
    }


def bootstrap_ci(Y: np.ndarray, D: np.ndarray, n: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of macro-F1 over sentences resampled with replacement."""
    rng = np.random.default_rng(seed)
    scores = [macro_f1(Y[rows], D[rows]) for rows in (rng.integers(0, len(Y), len(Y)) for _ in range(n))]
    alpha = (1 - level) / 2
    return float(np.quantile(scores, alpha)), float(np.quantile(scores, 1 - alpha))


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted probability against observed frequency, per probability bin (for calibration plots)."""
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (p >= low) & ((p < high) if high < 1 else (p <= high))
        if inside.any():
            rows.append({"low": float(low), "high": float(high), "mean_p": float(p[inside].mean()),
                         "observed": float(y[inside].mean()), "count": int(inside.sum())})
    return rows
