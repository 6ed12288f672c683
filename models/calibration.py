"""Per-frame Platt calibration: p' = sigmoid(a * logit(p) + b), fitted on held-out (dev) sentences.

A model's raw scores rank well but do not mean "probability": class-balanced training pushes them up, and
text unlike the training data moves them. Two numbers per frame, stored in the manifest, make them mean
what they say on dev-like text; inference needs only numpy."""

from __future__ import annotations

import numpy as np

EPS = 1e-6
MIN_CLASS = 5  # fewer dev positives (or negatives) than this: the frame is left uncalibrated


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def fit_platt(Y: np.ndarray, P: np.ndarray) -> list[tuple[float, float]]:
    """(a, b) per frame; a frame with under `MIN_CLASS` dev positives or negatives, or whose fit would
    reverse the ranking, is left as it is (1, 0)."""
    from sklearn.linear_model import LogisticRegression

    params = []
    for j in range(Y.shape[1]):
        y = Y[:, j]
        if min(y.sum(), len(y) - y.sum()) < MIN_CLASS:
            params.append((1.0, 0.0))
            continue
        clf = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(P[:, j]).reshape(-1, 1), y)
        slope = float(clf.coef_[0, 0])
        params.append((slope, float(clf.intercept_[0])) if slope > 0 else (1.0, 0.0))  # never reverse a ranking
    return params


def apply_platt(P: np.ndarray, params: list[tuple[float, float]] | None) -> np.ndarray:
    if not params:
        return P
    a = np.array([p[0] for p in params])
    b = np.array([p[1] for p in params])
    return 1.0 / (1.0 + np.exp(-(_logit(P) * a + b)))
