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


class MLPHeads:
    """A small multi-label network (one ReLU hidden layer, a sigmoid per frame) on sentence embeddings,
    averaged over `members` networks trained from different seeds (a seed ensemble steadies what one
    network's initialisation and early-stopping split would make noisy). Fitting uses scikit-learn's
    MLPClassifier; inference is numpy; weights are stored as safetensors arrays."""

    def __init__(self, hidden: int = 512, alpha: float = 1e-3, members: int = 3, seed: int = 0):
        self.hidden, self.alpha, self.members, self.seed = hidden, alpha, members, seed
        self.layers: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def fit(self, X, Y: np.ndarray) -> "MLPHeads":
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        self.layers = []
        for member in range(self.members):
            # early stopping holds out 10% of the rows to stop on: only worth it with a few hundred rows
            net = MLPClassifier((self.hidden,), alpha=self.alpha, max_iter=200, early_stopping=len(Y) >= 300,
                                random_state=self.seed + member)
            with warnings.catch_warnings():  # stopping at max_iter is a choice here, not news
                warnings.filterwarnings("ignore", category=ConvergenceWarning)
                net.fit(X, Y)
            (w1, w2), (b1, b2) = net.coefs_, net.intercepts_
            self.layers.append(tuple(np.asarray(a, dtype=np.float32) for a in (w1, b1, w2, b2)))
        return self

    def predict_proba(self, X) -> np.ndarray:
        out = np.zeros((X.shape[0], self.layers[0][3].shape[0]))
        for w1, b1, w2, b2 in self.layers:
            hidden = np.maximum(np.asarray(X, dtype=np.float32) @ w1 + b1, 0.0)
            out += 1.0 / (1.0 + np.exp(-(hidden @ w2 + b2).astype(np.float64)))
        return out / len(self.layers)

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        save_file({f"{name}.{k}": array for k, layer in enumerate(self.layers)
                   for name, array in zip(("w1", "b1", "w2", "b2"), layer)}, str(path))

    @classmethod
    def load(cls, path: Path) -> "MLPHeads":
        from safetensors.numpy import load_file

        arrays = load_file(str(path))
        heads = cls(members=len([k for k in arrays if k.startswith("w1.")]))
        heads.layers = [tuple(arrays[f"{name}.{k}"] for name in ("w1", "b1", "w2", "b2")) for k in range(heads.members)]
        return heads
