"""`make evaluate`: a report on one model, from its run's honest out-of-fold predictions.

For a model trained by `make train`, the numbers come from the leave-one-article-out predictions saved
with its run (never from the refit model scoring sentences it was trained on). A model with no such
predictions is scored on the gold set directly, and the report says loudly that this is in-sample.
It then runs the behavioural suite (train/behaviour.py) on the model as served and writes the model card
(train/model_card.py); both land in the report folder and, with the behaviour metrics, on the model's run.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from models.frames import FRAME_KEYS
from train import plots, tracking
from train.experiments import metrics
from train.experiments.artifacts import classification_report

log = logging.getLogger(__name__)
WORST = 5


def _matrices(table: pd.DataFrame):
    def split(column):
        return [set(filter(None, str(v).split(";"))) if isinstance(v, str) else set() for v in table[column]]

    gold, predicted = split("gold"), split("predicted")
    Y = np.array([[k in g for k in FRAME_KEYS] for g in gold], dtype=np.int8)
    D = np.array([[k in p for k in FRAME_KEYS] for p in predicted], dtype=bool)
    P = table[[f"p_{k}" for k in FRAME_KEYS]].to_numpy(dtype=float)
    return Y, P, D


def error_analysis(table: pd.DataFrame, Y, P, D, worst: int = WORST) -> dict[str, dict[str, pd.DataFrame]]:
    """Per frame: the most confident false positives and the least confident false negatives."""
    out = {}
    for j, key in enumerate(FRAME_KEYS):
        fp = table[(D[:, j]) & (Y[:, j] == 0)].assign(p=P[(D[:, j]) & (Y[:, j] == 0), j])
        fn = table[(~D[:, j]) & (Y[:, j] == 1)].assign(p=P[(~D[:, j]) & (Y[:, j] == 1), j])
        out[key] = {"false_positives": fp.sort_values("p", ascending=False).head(worst),
                    "false_negatives": fn.sort_values("p").head(worst)}
    return out


def _gold_table_in_sample(model_uri: str) -> pd.DataFrame:
    import mlflow

    from train.corpus.records import load_gold

    gold = load_gold()
    model = mlflow.pyfunc.load_model(model_uri)
    scored = model.predict(pd.DataFrame({"id": [r["id"] for r in gold], "text": [r["text"] for r in gold]}),
                           params={"unit": "sentence"})
    table = pd.DataFrame({"id": scored["id"], "article_id": [r["article_id"] for r in gold],
                          "text": [r["text"] for r in gold], "gold": [";".join(r["labels"]) for r in gold],
                          "predicted": [";".join(k for k in FRAME_KEYS if row[k]) for _, row in scored.iterrows()]})
    for key in FRAME_KEYS:
        table[f"p_{key}"] = scored[f"p_{key}"].to_numpy()
    return table


def load_predictions(model_uri: str, run_id: str | None, workdir: Path) -> tuple[pd.DataFrame, bool]:
    """(predictions table, honest?) for a model: its run's out-of-fold file if it has one."""
    if run_id:
        try:
            path = tracking.download_run_artifact(run_id, "evaluation/oof_predictions.csv", workdir)
            return pd.read_csv(path, keep_default_na=False), True
        except Exception as exc:  # noqa: BLE001 - any failure means: no OOF file for this model
            log.warning("no out-of-fold predictions for run %s (%s); scoring the gold set in-sample", run_id, exc)
    return _gold_table_in_sample(model_uri), False


def write_report(table: pd.DataFrame, honest: bool, model_uri: str, run_id: str | None, output: Path) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    Y, P, D = _matrices(table)
    from train.evaluation.model_card import macro_with_interval

    per_frame, overall = metrics.per_frame(Y, P, D), metrics.overall(Y, P, D)
    run = tracking.run_record(run_id) if run_id and honest else {}
    macro, low, high, _ = macro_with_interval(run, Y, D)  # one interval for the report, card and README
    plots.per_frame_f1(per_frame, output / "per_frame_f1.png", "per-frame precision / recall / F1")
    plots.pr_curves(Y, P, output / "precision_recall.png", "precision-recall")
    plots.cooccurrence(Y, D, output / "cooccurrence.png", "gold vs predicted")
    plots.reliability({k: metrics.reliability(Y[:, j], P[:, j]) for j, k in enumerate(FRAME_KEYS)},
                      output / "reliability.png", "reliability")
    lines = [f"# Evaluation of `{model_uri}`", "",
             f"Source run: `{run_id or 'unknown'}`. " + (
                 "Figures are from leave-one-article-out cross-validation (out-of-fold predictions)."
                 if honest else "**In-sample:** no out-of-fold predictions were found, so the model scored "
                                "the gold sentences it may have been trained on; these figures are optimistic."),
             "", f"Macro-F1 **{macro:.3f}** (95% bootstrap CI {low:.3f} to {high:.3f}); "
                 f"micro-F1 {overall['micro_f1']:.3f}; exact match {overall['exact_match']:.3f}; "
                 f"Brier {overall['brier']:.3f}; {len(table)} sentences.", "",
             "| frame | precision | recall | F1 | PR-AUC | Brier | gold | predicted |", "|---|---|---|---|---|---|---|---|"]
    for key, row in per_frame.items():
        lines.append(f"| {key} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['pr_auc']:.3f} "
                     f"| {row['brier']:.3f} | {row['support']} | {row['predicted']} |")
    lines += ["", "![per-frame](per_frame_f1.png) ![precision-recall](precision_recall.png)",
              "![co-occurrence](cooccurrence.png) ![reliability](reliability.png)", "", "## Error analysis", ""]
    for key, errors in error_analysis(table, Y, P, D).items():
        lines.append(f"### {key}")
        for kind, rows in errors.items():
            lines.append(f"**{kind.replace('_', ' ')}** ({len(rows)} shown)")
            lines += [f"- p={r.p:.2f} `{r.id}`: {r.text}" for r in rows.itertuples()] or ["- none"]
            lines.append("")
    lines += ["## Classification report", "", "```", classification_report(Y, D), "```"]
    report = output / "evaluation.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


def run_behaviour_suite(model_uri: str, output: Path) -> dict:
    """The behavioural suite against the model as served (pyfunc, unit=sentence); writes behaviour.json."""
    import json

    from train.evaluation.behaviour import pyfunc_fn, run_behaviour

    results = run_behaviour(pyfunc_fn(tracking.load_pyfunc(model_uri)))
    (output / "behaviour.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


def write_card(model_uri: str, run_id: str | None, table: pd.DataFrame, honest: bool, results: dict,
               output: Path) -> Path:
    from train.corpus.card import corpus_card
    from train.evaluation.model_card import CardInputs, write_model_card

    Y, P, D = _matrices(table)
    champion = tracking.champion_info()
    registry = f"registered version {champion[0]}, the champion" if champion and champion[1] == run_id else ""
    inputs = CardInputs(model_uri, tracking.run_record(run_id) if run_id else {}, honest, table, Y, D,
                        error_analysis(table, Y, P, D), results, corpus_card(), registry)
    return write_model_card(inputs, output)


def evaluate_model(model_uri: str, output: Path) -> Path:
    from train.evaluation.behaviour import behaviour_metrics

    tracking.configure()
    run_id = tracking.run_id_of_model(model_uri)
    with tempfile.TemporaryDirectory() as tmp:
        table, honest = load_predictions(model_uri, run_id, Path(tmp))
    report = write_report(table, honest, model_uri, run_id, output)
    results = run_behaviour_suite(model_uri, output)
    write_card(model_uri, run_id, table, honest, results, output)
    if run_id:  # the reports in an evaluation run of their own; the behaviour rates on the model's run too
        with tracking.evaluation_run(run_id, model_uri) as run:
            tracking.log_metrics(behaviour_metrics(results))
            tracking.log_artifacts(output, "reports")
        tracking.log_metrics_to(run_id, behaviour_metrics(results))
    log.info("wrote %s%s", report, f" and logged it to evaluation run {run.info.run_id} (of run {run_id})"
             if run_id else "")
    return report
