"""Decisions chosen where they can be trusted: per-frame Platt calibration and thresholds fitted on the
article corpus's `dev` split (text like what users score, never seen in training), calibration quality
(Brier, expected calibration error) reported on `test`, and a paired bootstrap of a new model against the
champion on the same dev sentences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.calibration import apply_platt, fit_platt
from models.frames import FRAME_KEYS
from models.segment import normalize
from train.corpus.records import label_matrix
from train.experiments import metrics


@dataclass
class DevDecisions:
    thresholds: np.ndarray
    calibration: list[tuple[float, float]] | None
    dev_proba: np.ndarray  # calibrated dev probabilities (what the gate's threshold is chosen on)

    def manifest(self) -> dict:
        extra: dict = {"decided_on": "dev"}
        if self.calibration:
            extra["calibration"] = {k: list(ab) for k, ab in zip(FRAME_KEYS, self.calibration)}
        return extra


def matrices(records: list[dict]) -> tuple[list[str], np.ndarray]:
    texts = [normalize(r["text"]) for r in records]
    return texts, label_matrix([r["labels"] for r in records]).reshape(len(records), len(FRAME_KEYS))


def decide_on_dev(model, dev: list[dict], calibrate: bool, default: float) -> DevDecisions:
    """Calibrate each frame on dev (optional), then choose each frame's F1-best threshold on the
    calibrated dev probabilities."""
    texts, Y = matrices(dev)
    return decide_on(model, texts, Y, calibrate, default)


def decide_on(model, texts: list[str], Y: np.ndarray, calibrate: bool, default: float) -> DevDecisions:
    """`decide_on_dev` on dev sentences already normalised and as a label matrix."""
    raw = model.predict_proba(texts)
    calibration = fit_platt(Y, raw) if calibrate else None
    calibrated = apply_platt(raw, calibration)
    return DevDecisions(metrics.choose_thresholds(Y, calibrated, default), calibration, calibrated)


OFF_TOPIC_CATEGORIES = {"neg:sports", "neg:science", "neg:culture", "neg:economy"}  # authored sentences


def relevance_rows(gold: list[dict], authored: list[dict], train_articles: list[dict]) -> tuple[list[str], np.ndarray]:
    """Training rows for the relevance gate: sentences of conflict coverage that carry a frame (seed,
    authored, conflict articles) against sentences of off-topic articles and authored off-topic sentences.
    Unframed conflict sentences (background) and furniture are left out: the gate separates what frames
    describe from news that only borrows their words."""
    rows = [(r["text"], 1) for r in gold if r["labels"]]
    rows += [(r["text"], 1) for r in authored if r["labels"]]
    rows += [(r["text"], 0) for r in authored if r.get("category") in OFF_TOPIC_CATEGORIES]
    rows += [(r["text"], int(r["topic"] == "conflict")) for r in train_articles
             if r["topic"] == "off_topic" or r["labels"]]
    return [normalize(t) for t, _ in rows], np.array([y for _, y in rows], dtype=np.int8)


GATE_KEEPS = 0.98  # the gate may lose at most 2% of the framed dev sentences


def gate_threshold(relevant: np.ndarray, framed: np.ndarray, keep: float = GATE_KEEPS) -> float:
    """The highest cut on p_relevant that keeps `keep` of the framed dev sentences (a 2% quantile), so that
    everything cut is paid for by at most 2% of real frames."""
    if not framed.any():
        return 0.0
    return float(np.quantile(relevant[framed], 1 - keep))


ARTICLE_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass
class GateChoice:
    article_weight: float
    threshold: float
    dev_offtopic_false_frames: float
    dev_macro_f1: float


def choose_gate(own: np.ndarray, groups: list[str], Y: np.ndarray, decided: np.ndarray,
                off_topic: np.ndarray) -> GateChoice:
    """The gate's article weight and cut, on dev: for each weight, the cut that keeps 98% of the framed dev
    sentences; then the weight whose gated decisions give the fewest frames to off-topic dev articles, and
    among those the best dev macro-F1 (then the smaller weight). `decided` is the frame heads' decisions."""
    from models.relevance import in_articles

    choices = []
    for weight in ARTICLE_WEIGHTS:
        relevant = in_articles(own, groups, weight)
        cut = gate_threshold(relevant, Y.any(axis=1))
        D = decided & (relevant >= cut)[:, None]
        false_frames = float(D[off_topic].any(axis=1).mean()) if off_topic.any() else 0.0
        choices.append(GateChoice(weight, cut, false_frames, metrics.macro_f1(Y, D)))
    return min(choices, key=lambda c: (round(c.dev_offtopic_false_frames, 6), -round(c.dev_macro_f1, 6),
                                       c.article_weight))


def expected_calibration_error(Y: np.ndarray, P: np.ndarray, bins: int = 10) -> float:
    """Mean over frames of sum_bins (bin share) * |observed - mean predicted|."""
    errors = []
    for j in range(Y.shape[1]):
        rows = metrics.reliability(Y[:, j], P[:, j], bins)
        errors.append(sum(r["count"] * abs(r["observed"] - r["mean_p"]) for r in rows) / max(len(Y), 1))
    return float(np.mean(errors))


def calibration_report(model, decisions: DevDecisions, test: list[dict]) -> tuple[dict[str, float], dict]:
    """Brier and ECE on test before and after calibration, and the reliability curves for the plots."""
    texts, Y = matrices(test)
    raw = model.predict_proba(texts)
    calibrated = apply_platt(raw, decisions.calibration)
    values = {"test_brier_raw": float(np.mean((raw - Y) ** 2)), "test_brier": float(np.mean((calibrated - Y) ** 2)),
              "test_ece_raw": expected_calibration_error(Y, raw), "test_ece": expected_calibration_error(Y, calibrated)}
    curves = {stage: {k: metrics.reliability(Y[:, j], P[:, j]) for j, k in enumerate(FRAME_KEYS)}
              for stage, P in (("before", raw), ("after", calibrated))}
    return values, curves


def paired_bootstrap(Y: np.ndarray, D_new: np.ndarray, D_old: np.ndarray, n: int = 1000,
                     seed: int = 0) -> tuple[float, float, float]:
    """Macro-F1 of new minus old on the same sentences, with a 95% interval from resampling sentences."""
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(n):
        rows = rng.integers(0, len(Y), len(Y))
        gains.append(metrics.macro_f1(Y[rows], D_new[rows]) - metrics.macro_f1(Y[rows], D_old[rows]))
    low, high = np.quantile(gains, [0.025, 0.975])
    return metrics.macro_f1(Y, D_new) - metrics.macro_f1(Y, D_old), float(low), float(high)
