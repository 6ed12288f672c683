"""`--model` in short form: `@fast` (a registry alias), `3` (a registry version), `minilm-frozen` (the newest
finished training run of that name), or any MLflow model URI or local model folder as before."""

from __future__ import annotations

from pathlib import Path

from train import tracking
from train.errors import ModelLoadError


def resolve_model_reference(reference: str, experiment: str | None = None) -> str:
    """The MLflow model URI a short reference stands for; full URIs and existing paths are kept. A run name
    is looked up in `experiment` (default: every experiment), the newest finished training run first."""
    reference = reference.strip()
    if ":/" in reference or Path(reference).exists():
        return reference
    if reference.startswith("@"):
        return f"models:/{tracking.REGISTERED_MODEL}{reference}"
    if reference.isdigit():
        return f"models:/{tracking.REGISTERED_MODEL}/{reference}"
    tracking.configure()
    runs = tracking.training_runs(experiment)
    named = runs[runs["tags.mlflow.runName"] == reference] if runs is not None and len(runs) else None
    if named is None or not len(named):
        raise ModelLoadError(f"no model called {reference!r}: give a registry alias (@champion), a version "
                             "number (3), the name of a finished training run (`make compare` lists them), "
                             "or a model URI (models:/..., runs:/...)")
    return f"runs:/{named.iloc[0]['run_id']}/model"  # newest first
