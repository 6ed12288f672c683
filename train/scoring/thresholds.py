"""A user's own decision thresholds (`--threshold FRAME=VALUE`): decisions redone from the probabilities,
with the model's relevance gate still applied, and a line that says which thresholds were used."""

from __future__ import annotations

import pandas as pd

from train.scoring.options import ScoreOptions


def apply_thresholds(rows: pd.DataFrame, thresholds: dict[str, float], gate: float | None = None) -> pd.DataFrame:
    """Decisions redone from the probabilities with a user's thresholds (`--threshold FRAME=VALUE`); the
    model's relevance gate (`gate`, its cut on p_relevant) still applies."""
    relevant = (rows["p_relevant"] >= gate) if gate is not None else True
    for frame, cut in thresholds.items():
        rows[frame] = ((rows[f"p_{frame}"] >= cut) & relevant).fillna(False).astype(bool)
    return rows


def model_gate_cut(model) -> float | None:
    """The relevance gate's cut of a loaded model (pyfunc or predictor wrapper), None without a gate."""
    try:
        predictor = model.unwrap_python_model().predictor
    except AttributeError:
        predictor = getattr(model, "predictor", None)
    gate = getattr(predictor, "gate", None)
    return gate.threshold if gate is not None else None


def thresholds_note(options: ScoreOptions) -> str:
    if not options.thresholds:
        return "the model's own decision thresholds"
    return "decision thresholds: the model's own except " + ", ".join(
        f"{frame}={cut:g}" for frame, cut in sorted(options.thresholds.items()))
