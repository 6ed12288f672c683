"""Leave-one-article-out cross-validation and the final refit, for any model family.

Per outer fold: train on the other seed articles (plus authored sentences and the corpus's train split, if
the config says so), choose per-frame decisions where the product chooses them (calibration and thresholds
on the corpus's dev split; without one, thresholds from inner out-of-fold predictions on the training
articles only), predict the held-out article. The pooled out-of-fold predictions are what every reported metric comes from.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from models.families import family_class
from models.segment import normalize
from models.calibration import apply_platt
from train.experiments import metrics
from train.experiments.decisions import decide_on
from train.experiments.config import ExperimentConfig
from train.corpus.records import label_matrix

log = logging.getLogger(__name__)


@dataclass
class Corpus:
    """Sentences ready for modelling: gold (grouped by article) and optional extra training rows."""

    ids: list[str]
    groups: list[str]
    texts: list[str]
    Y: np.ndarray
    extra_texts: list[str] = field(default_factory=list)
    extra_Y: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.int8))
    dev_texts: list[str] = field(default_factory=list)  # where each fold's decisions are chosen (if any)
    dev_Y: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), dtype=np.int8))

    @classmethod
    def from_records(cls, gold: list[dict], extra: list[dict] | None = None, dev: list[dict] | None = None) -> "Corpus":
        extra, dev = extra or [], dev or []
        return cls(
            ids=[r["id"] for r in gold], groups=[r["article_id"] for r in gold],
            texts=[normalize(r["text"]) for r in gold], Y=label_matrix([r["labels"] for r in gold]),
            extra_texts=[normalize(r["text"]) for r in extra],
            extra_Y=label_matrix([r["labels"] for r in extra]).reshape(len(extra), 4),
            dev_texts=[normalize(r["text"]) for r in dev],
            dev_Y=label_matrix([r["labels"] for r in dev]).reshape(len(dev), 4),
        )

    @property
    def articles(self) -> list[str]:
        return list(dict.fromkeys(self.groups))


@dataclass
class Calibrated:
    """A fold's model with its dev calibration applied to what it predicts."""

    model: object
    calibration: list | None

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return apply_platt(self.model.predict_proba(texts), self.calibration)


@dataclass
class CVResult:
    proba: np.ndarray  # pooled out-of-fold probabilities, aligned with corpus.ids
    decisions: np.ndarray
    fold_thresholds: dict[str, list[float]]
    fold_metrics: dict[str, dict[str, float]]
    seconds: float


def training_rows(corpus: Corpus, train_mask: np.ndarray, use_extra: bool):
    texts = [t for t, keep in zip(corpus.texts, train_mask) if keep]
    groups = [g for g, keep in zip(corpus.groups, train_mask) if keep]
    Y = corpus.Y[train_mask]
    if use_extra and corpus.extra_texts:
        texts += corpus.extra_texts
        groups += ["__extra__"] * len(corpus.extra_texts)
        Y = np.vstack([Y, corpus.extra_Y])
    return texts, groups, Y


def fit_with_thresholds(config: ExperimentConfig, texts: list[str], groups: list[str], Y: np.ndarray,
                        corpus: Corpus | None = None):
    """Fit a model, then choose its decisions where the run says: on the corpus's dev split (calibration and
    thresholds, as the packaged model will; the model comes back calibrated), or on inner out-of-fold
    predictions of its training articles. Never on the rows being evaluated."""
    model = family_class(config.family)(config.params, config.seed).fit(texts, Y)
    if corpus is not None and corpus.dev_texts:
        decisions = decide_on(model, corpus.dev_texts, corpus.dev_Y, config.evaluation.calibrate,
                              config.evaluation.default_threshold)
        return Calibrated(model, decisions.calibration), decisions.thresholds
    seed_groups = [g for g in dict.fromkeys(groups) if g != "__extra__"]
    if len(seed_groups) >= 2:
        inner = model.inner_oof(texts, Y, groups, seed_groups)
        thresholds = metrics.choose_thresholds(Y, inner, config.evaluation.default_threshold)
    else:
        thresholds = np.full(Y.shape[1], config.evaluation.default_threshold)
    return model, thresholds


def cross_validate(config: ExperimentConfig, corpus: Corpus, on_fold: Callable[[str], None] | None = None) -> CVResult:
    started = time.perf_counter()
    proba = np.zeros(corpus.Y.shape)
    decisions = np.zeros(corpus.Y.shape, dtype=bool)
    fold_thresholds, fold_metrics = {}, {}
    group_arr = np.asarray(corpus.groups)
    for article in corpus.articles:
        test = group_arr == article
        texts, groups, Y = training_rows(corpus, ~test, config.data.authored)
        model, thresholds = fit_with_thresholds(config, texts, groups, Y, corpus)
        proba[test] = model.predict_proba([t for t, keep in zip(corpus.texts, test) if keep])
        decisions[test] = proba[test] >= thresholds
        fold_thresholds[article] = [float(t) for t in thresholds]
        fold_metrics[article] = metrics.overall(corpus.Y[test], proba[test], decisions[test])
        log.debug("fold %s: macro-F1 %.3f", article, fold_metrics[article]["macro_f1"])
        if on_fold:
            on_fold(article)
    return CVResult(proba, decisions, fold_thresholds, fold_metrics, time.perf_counter() - started)


def refit(config: ExperimentConfig, corpus: Corpus):
    """The final model on all seed articles (and extra rows if configured), uncalibrated, with thresholds from
    inner CV; with a dev split the thresholds are None: selection calibrates and thresholds it on dev."""
    texts, groups, Y = training_rows(corpus, np.ones(len(corpus.texts), dtype=bool), config.data.authored)
    if corpus.dev_texts:
        return family_class(config.family)(config.params, config.seed).fit(texts, Y), None
    return fit_with_thresholds(config, texts, groups, Y)


def summarize(corpus: Corpus, result: CVResult, config: ExperimentConfig) -> dict:
    """Every number a run reports, from the pooled out-of-fold predictions."""
    Y, P, D = corpus.Y, result.proba, result.decisions
    low, high = metrics.bootstrap_ci(Y, D, n=config.evaluation.bootstrap, seed=config.seed)
    return {
        "overall": metrics.overall(Y, P, D),
        "ci": (low, high),
        "per_frame": metrics.per_frame(Y, P, D),
        "folds": result.fold_metrics,
    }
