"""One logistic regression per frame on a dense or sparse feature matrix, stored as plain arrays.

Fitting uses scikit-learn; inference is a matrix product and a sigmoid, so a saved head needs
nothing but numpy and safetensors to load (no pickle anywhere).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class LinearHeads:
    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced", seed: int = 0):
        self.C, self.class_weight, self.seed = C, class_weight, seed
        self.coef: np.ndarray | None = None  # (n_frames, n_features)
        self.intercept: np.ndarray | None = None  # (n_frames,)

    def fit(self, X, Y: np.ndarray) -> "LinearHeads":
        from sklearn.linear_model import LogisticRegression

        coefs, intercepts = [], []
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():  # a frame absent (or everywhere) in this training fold
                coefs.append(np.zeros(X.shape[1]))
                intercepts.append(-10.0 if y.max() == 0 else 10.0)
                continue
            clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000,
                                     random_state=self.seed)
            clf.fit(X, y)
            coefs.append(clf.coef_[0])
            intercepts.append(float(clf.intercept_[0]))
        self.coef = np.asarray(coefs, dtype=np.float32)
        self.intercept = np.asarray(intercepts, dtype=np.float32)
        return self

    def predict_proba(self, X) -> np.ndarray:
        logits = np.asarray(X @ self.coef.T, dtype=np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        save_file({"coef": self.coef, "intercept": self.intercept}, str(path))

    @classmethod
    def load(cls, path: Path) -> "LinearHeads":
        from safetensors.numpy import load_file

        arrays = load_file(str(path))
        heads = cls()
        heads.coef, heads.intercept = arrays["coef"], arrays["intercept"]
        return heads
