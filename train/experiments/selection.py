"""After the refit: choose the model's decisions on `dev`, score it on the held-out splits, report its
calibration on `test`, compare it with the champion on the same dev sentences, and say which score the
registry should rank it by (dev macro-F1 when decisions are chosen on dev, else seed CV macro-F1)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.frames import FRAME_KEYS
from models.predictor import FramePredictor
from train import paths, plots, tracking
from train.corpus.records import data_digest
from train.experiments.config import ExperimentConfig
from models.relevance import RelevanceGate
from train.experiments.decisions import (calibration_report, choose_gate, decide_on_dev, matrices, paired_bootstrap,
                                         relevance_rows)
from train.experiments.heldout import HELDOUT_SPLITS, heldout_metrics, heldout_scores, split_records

log = logging.getLogger(__name__)


@dataclass
class Selection:
    predictor: FramePredictor
    manifest: dict = field(default_factory=dict)
    heldout: dict[str, dict] = field(default_factory=dict)
    metric: str = tracking.PRIMARY_METRIC
    score: float = float("nan")
    digest: str = ""


def select(config: ExperimentConfig, data, model, thresholds, cv_score: float, cv_digest: str,
           figures: Path) -> Selection:
    articles = data.articles
    dev = split_records(articles, "dev")
    if config.evaluation.decide_on == "dev" and dev:
        decisions = decide_on_dev(model, dev, config.evaluation.calibrate, config.evaluation.default_threshold)
        gate = _gate(config, data, model, decisions, dev) if config.evaluation.relevance_gate else None
        selection = Selection(FramePredictor(model, decisions.thresholds, decisions.manifest(), gate),
                              decisions.manifest())
    else:
        decisions, selection = None, Selection(FramePredictor(model, thresholds, {}))
    tracking.log_metrics({f"threshold_{k}": float(t) for k, t in zip(FRAME_KEYS, selection.predictor.thresholds)})
    for split in HELDOUT_SPLITS:
        records = split_records(articles, split)
        if records:
            selection.heldout[split] = heldout_scores(selection.predictor, records, config.evaluation.bootstrap,
                                                      config.seed)
            tracking.log_metrics(heldout_metrics(split, selection.heldout[split]))
    user_test = data.user_test(config)
    if user_test:  # the user's own held-out sentences (`data.user_test_share`)
        selection.heldout["user_test"] = heldout_scores(selection.predictor, user_test, config.evaluation.bootstrap,
                                                        config.seed)
        tracking.log_metrics(heldout_metrics("user_test", selection.heldout["user_test"]))
    if decisions is None:
        selection.score, selection.digest = cv_score, cv_digest
        return selection
    selection.metric, selection.score = "dev_macro_f1", selection.heldout["dev"]["macro_f1"]
    selection.digest = "dev:" + data_digest(paths.CORPUS_LABELLED)
    test = split_records(articles, "test")
    if test and decisions.calibration:
        values, curves = calibration_report(model, decisions, test)
        tracking.log_metrics(values)
        figures.mkdir(parents=True, exist_ok=True)
        for stage, curve in curves.items():
            plots.reliability(curve, figures / f"test_reliability_{stage}_calibration.png",
                              f"test, {stage} calibration on dev")
    _versus_champion(selection.predictor, dev)
    return selection


def _gate(config: ExperimentConfig, data, model, decisions, dev: list[dict]) -> RelevanceGate | None:
    """The relevance gate, learned from the training rows (on the frame model's vectors when it has them),
    its article weight and cut chosen on dev."""
    texts, relevant = relevance_rows(data.gold, data.authored if config.data.authored else [],
                                     split_records(data.articles, "train") if config.data.corpus else [])
    if relevant.min() == relevant.max():
        return None
    gate = RelevanceGate.fit(texts, relevant, config.seed, frame_model=model)
    dev_texts, Y = matrices(dev)
    off_topic = np.array([r.get("topic") == "off_topic" for r in dev])
    choice = choose_gate(gate.proba(dev_texts), [r["article_id"] for r in dev], Y,
                         decisions.dev_proba >= decisions.thresholds, off_topic)
    gate.threshold, gate.article_weight = choice.threshold, choice.article_weight
    tracking.log_metrics({"relevance_threshold": gate.threshold, "relevance_article_weight": gate.article_weight,
                          "dev_offtopic_false_frame_rate_gated": choice.dev_offtopic_false_frames})
    log.info("relevance gate (%s): article weight %.2f, cut %.3f; off-topic dev sentences given a frame %.1f%%",
             gate.source, gate.article_weight, gate.threshold, 100 * choice.dev_offtopic_false_frames)
    return gate


def _versus_champion(predictor: FramePredictor, dev: list[dict]) -> None:
    """Paired bootstrap of dev macro-F1 against the current champion (as served), for the record."""
    champion = tracking.champion_info()
    if champion is None:
        return
    texts, Y = matrices(dev)
    try:
        served = tracking.load_pyfunc(f"models:/{tracking.REGISTERED_MODEL}/{champion[0]}")
        answer = served.predict(pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": texts}),
                                params={"unit": "sentence"})
    except Exception as exc:  # noqa: BLE001 - an old champion that no longer loads is not a reason to fail
        log.warning("could not compare with champion v%s on dev: %s", champion[0], exc)
        return
    D_old = answer[list(FRAME_KEYS)].to_numpy(dtype=bool)
    D_new = predictor.decide(predictor.proba(texts), predictor.relevance(texts))
    gain, low, high = paired_bootstrap(Y, D_new, D_old)
    tracking.log_metrics({"dev_gain_vs_champion": gain, "dev_gain_vs_champion_ci_low": low,
                          "dev_gain_vs_champion_ci_high": high})
    log.info("dev macro-F1 against champion v%s: %+.3f [%+.3f, %+.3f] (paired bootstrap)", champion[0], gain, low, high)
