"""The packaged predictor: a model directory (manifest + weights) -> one row per sentence.

A model directory holds `manifest.json` (family, params, per-frame thresholds and, when they were chosen
on held-out data, per-frame Platt calibration) and the family's weight files (JSON / safetensors only). This module is all that inference needs; it never imports `train`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.calibration import apply_platt
from models.relevance import RelevanceGate
from models.families import family_class
from models.frames import FRAME_KEYS
from models.segment import FURNITURE, HEADLINE, PROSE, SCORED_KINDS, normalize, split_sentences

NO_SENTENCES = "no_sentences"  # the one row of a document with no text: no probabilities, no frame
MANIFEST = "manifest.json"
UNITS = ("article", "sentence")
OUTPUT_COLUMNS = (["id", "sentence_index", "start", "end", "kind", "text"]
                  + [f"p_{key}" for key in FRAME_KEYS] + list(FRAME_KEYS) + ["p_relevant"])


def save_model(model, thresholds: np.ndarray, directory: Path, extra: dict | None = None, gate=None) -> None:
    """Write a fitted family model, its thresholds (and its relevance gate) as a self-describing model
    directory."""
    import dataclasses

    directory.mkdir(parents=True, exist_ok=True)
    model.save(directory / "weights")
    extra = {**(extra or {}), **(gate.save(directory / "weights") if gate is not None else {})}
    manifest = {
        "format": 1,
        "family": model.name,
        "params": dataclasses.asdict(model.params),
        "frames": list(FRAME_KEYS),
        "thresholds": {key: float(t) for key, t in zip(FRAME_KEYS, thresholds)},
        **(extra or {}),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


class FramePredictor:
    def __init__(self, model, thresholds: np.ndarray, manifest: dict, gate: RelevanceGate | None = None):
        self.model, self.thresholds, self.manifest = model, np.asarray(thresholds, dtype=np.float64), manifest
        self.gate = gate
        calibration = manifest.get("calibration") or {}
        self.calibration = [tuple(calibration[k]) for k in FRAME_KEYS] if calibration else None

    @classmethod
    def load(cls, directory: Path | str) -> "FramePredictor":
        directory = Path(directory)
        manifest_path = directory / MANIFEST
        if not manifest_path.exists():
            raise FileNotFoundError(f"{manifest_path}: not a sectarian-frames model directory")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("frames") != list(FRAME_KEYS):
            raise ValueError(f"{manifest_path}: model frames {manifest.get('frames')} differ from {list(FRAME_KEYS)}")
        family = family_class(manifest["family"])
        model = family.load(directory / "weights", family.params_from_dict(manifest["params"]))
        thresholds = np.array([manifest["thresholds"][key] for key in FRAME_KEYS])
        return cls(model, thresholds, manifest, RelevanceGate.load(directory / "weights", manifest, model))

    def proba(self, texts: list[str]) -> np.ndarray:
        """Per-frame probabilities for sentences (normalised as in training)."""
        return self._proba([normalize(t) for t in texts])

    def relevance(self, texts: list[str], groups: list[str] | None = None) -> np.ndarray:
        """p_relevant per sentence (NaN without a gate); `groups` names each sentence's article, for the gate's
        article context (see `models.relevance`)."""
        return self._relevance([normalize(t) for t in texts], groups)

    def _proba(self, normalized: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        if not normalized:
            return np.zeros((0, len(FRAME_KEYS)))
        raw = self.model.predict_proba(normalized) if vectors is None else self.model.proba_from(vectors, normalized)
        return apply_platt(raw, self.calibration)

    def _relevance(self, normalized: list[str], groups: list[str] | None = None,
                   vectors: np.ndarray | None = None) -> np.ndarray:
        if self.gate is None:
            return np.full(len(normalized), np.nan)
        return self.gate.proba(normalized, groups, vectors)

    def _shared_vectors(self, normalized: list[str]) -> np.ndarray | None:
        """The frame model's vectors when its relevance gate reads them too: one encoder pass for both."""
        if self.gate is None or self.gate.source != "encoder" or not hasattr(self.model, "proba_from"):
            return None
        return self.model.features(normalized)

    def decide(self, proba: np.ndarray, relevant: np.ndarray | None = None) -> np.ndarray:
        """Frames over their thresholds, and only in sentences the gate finds relevant (if there is one)."""
        decisions = proba >= self.thresholds
        if self.gate is not None and relevant is not None:
            decisions &= (relevant >= self.gate.threshold)[:, None]
        return decisions

    def predict(self, frame: pd.DataFrame, unit: str = "article") -> pd.DataFrame:
        """One output row per sentence; prose and headline rows are scored, furniture rows are kept with
        NaN probabilities and no frame."""
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
        if "text" not in frame.columns:
            raise ValueError(f"input needs a 'text' column; got columns {list(frame.columns)}")
        ids = frame["id"].astype(str).tolist() if "id" in frame.columns else [str(i) for i in range(len(frame))]
        rows = []
        for doc_id, text in zip(ids, frame["text"].tolist()):
            text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
            if not text.strip():
                rows.append((doc_id, 0, 0, 0, NO_SENTENCES, ""))  # says so instead of vanishing
            elif unit == "sentence":
                rows.append((doc_id, 0, 0, len(text), PROSE, text))
            else:
                rows.extend((doc_id, s.index, s.start, s.end, s.kind, s.text) for s in split_sentences(text))
        return self._score_rows(rows, by_document=unit == "article")

    def _score_rows(self, rows: list[tuple], by_document: bool = True) -> pd.DataFrame:
        out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS[:6])
        out = out.astype({"id": str, "sentence_index": "int64", "start": "int64", "end": "int64",
                          "kind": str, "text": str})
        proba = np.full((len(out), len(FRAME_KEYS)), np.nan)
        relevant = np.full(len(out), np.nan)
        prose = out["kind"].isin(SCORED_KINDS).to_numpy() if len(out) else np.zeros(0, bool)
        if prose.any():
            texts = [normalize(t) for t in out.loc[prose, "text"]]  # once, for the frames and the gate
            groups = out.loc[prose, "id"].tolist() if by_document else None  # a sentence's article, or itself
            vectors = self._shared_vectors(texts)
            proba[prose], relevant[prose] = self._proba(texts, vectors), self._relevance(texts, groups, vectors)
        decisions = np.zeros(proba.shape, dtype=bool)
        decisions[prose] = self.decide(proba[prose], relevant[prose])
        for j, key in enumerate(FRAME_KEYS):
            out[f"p_{key}"] = proba[:, j].astype("float64")
        for j, key in enumerate(FRAME_KEYS):
            out[key] = decisions[:, j].astype(bool)
        out["p_relevant"] = relevant.astype("float64")
        return out


def sentences_per_second(predictor: FramePredictor, texts: list[str], repeat: int = 1) -> float:
    """Model-only scoring speed on already-split sentences (after a warm-up call that loads lazy parts)."""
    predictor.proba(texts[:8])
    start = time.perf_counter()
    for _ in range(repeat):
        predictor.proba(texts)
    return len(texts) * repeat / max(time.perf_counter() - start, 1e-9)


__all__ = ["FramePredictor", "save_model", "OUTPUT_COLUMNS", "UNITS", "FURNITURE", "HEADLINE", "PROSE", "NO_SENTENCES"]
