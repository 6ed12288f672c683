"""`make compare`: the experiment's runs side by side in the terminal."""

from __future__ import annotations

import math

from models.frames import FRAME_KEYS
from train import tracking


def _get(row, column: str) -> float:
    value = row.get(column)
    return float(value) if value is not None and not (isinstance(value, float) and math.isnan(value)) else math.nan


def compare(experiment: str, limit: int = 20) -> int:
    from rich.table import Table

    from train.console import wide_console

    tracking.configure()
    runs = tracking.training_runs(experiment)
    console = wide_console()
    if runs is None or runs.empty:
        console.print(f"No finished training runs in experiment '{experiment}'. Run `make train` first.")
        return 1
    champion, versions = tracking.champion_info(), tracking.registry_versions()
    table = Table(title=f"{experiment}: {min(len(runs), limit)} newest finished runs, best first (macro-F1: seed "
                        "CV; dev / test: the article corpus's held-out splits)")
    for column in ("run", "family", "version", "macro-F1 [95% CI]", *[k.split("_")[0] for k in FRAME_KEYS],
                   "seed-only", "dev", "test", "user test", "train s", "MB", "sent/s", "run id"):
        table.add_column(column, no_wrap=column == "run id")
    rows = runs.head(limit).sort_values(f"metrics.{tracking.PRIMARY_METRIC}", ascending=False)
    for _, row in rows.iterrows():
        name = row.get("tags.mlflow.runName", "")
        if champion and row["run_id"] == champion[1]:
            name = f"{name} [champion v{champion[0]}]"
        table.add_row(
            name, str(row.get("params.model.family", "")), versions.get(row["run_id"], "-"),
            f"{_get(row, 'metrics.cv_macro_f1'):.3f} [{_get(row, 'metrics.cv_macro_f1_ci_low'):.3f}, "
            f"{_get(row, 'metrics.cv_macro_f1_ci_high'):.3f}]",
            *[f"{_get(row, f'metrics.cv_{k}_f1'):.3f}" for k in FRAME_KEYS],
            f"{_get(row, 'metrics.cv_macro_f1_seed_only'):.3f}",
            f"{_get(row, 'metrics.dev_macro_f1'):.3f}", f"{_get(row, 'metrics.test_macro_f1'):.3f}",
            f"{_get(row, 'metrics.user_test_macro_f1'):.3f}",
            f"{_get(row, 'metrics.train_seconds'):.0f}", f"{_get(row, 'metrics.model_size_mb'):.1f}",
            f"{_get(row, 'metrics.scoring_sentences_per_s'):.0f}", row["run_id"])
    console.print(table)
    return 0
