"""The model card and `evaluate`'s behavioural step: rendering from given numbers, and end to end on a
throwaway MLflow store (lexicon model, seconds)."""

from __future__ import annotations

import contextlib
import types
import json

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from models.frames import FRAME_KEYS
from tests.conftest import write_suite
from train import tracking
from train.evaluation import report as evaluation
from train.evaluation.behaviour import run_behaviour
from train.experiments.config import load_config
from train.evaluation.report import _matrices, error_analysis, evaluate_model
from train.evaluation.model_card import CardInputs, frame_f1_intervals, render_model_card
from train.experiments.suite import run_suite


def test_frame_intervals_are_ordered_and_exact_for_perfect_predictions():
    rng = np.random.default_rng(1)
    Y = rng.integers(0, 2, (60, 4)).astype(np.int8)
    assert all(ci == (1.0, 1.0) for ci in frame_f1_intervals(Y, Y.astype(bool), n=50).values())
    noisy = frame_f1_intervals(Y, rng.integers(0, 2, (60, 4)).astype(bool), n=200)
    assert all(0.0 <= low <= high <= 1.0 for low, high in noisy.values())


def flat_predict(frame: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
    """A pyfunc-like predict that finds no frame anywhere."""
    out = frame.copy()
    for key in FRAME_KEYS:
        out[f"p_{key}"], out[key] = 0.1, False
    return out


def fake_inputs(metrics: dict) -> CardInputs:
    table = pd.DataFrame({"id": [f"a:{i}" for i in range(4)], "text": ["The army fled.", "Sunni clerics met.",
                                                                    "Families fled.", "The market opened."],
                          "gold": ["state_failure", "", "humanitarian", ""],
                          "predicted": ["state_failure", "sectarian_polarization", "", ""]})
    for key in FRAME_KEYS:
        table[f"p_{key}"] = [0.2, 0.8, 0.4, 0.1]
    Y, P, D = _matrices(table)
    data = {"articles": 1, "metadata": [], "gold": {"sentences": 4, "no_frame": 2, "per_frame": {}}}
    return CardInputs("models:/x/1", {"run_id": "r1", "name": "t", "metrics": metrics, "params": {}, "tags": {}},
                      True, table, Y, D, error_analysis(table, Y, P, D), run_behaviour(lambda t: flat_predict(pd.DataFrame({'text': t}))), data)


def test_the_card_has_every_section_and_the_run_numbers():
    card = render_model_card(fake_inputs({"cv_macro_f1": 0.6123, "cv_macro_f1_ci_low": 0.5012,
                                          "cv_macro_f1_ci_high": 0.7034, "cv_state_failure_f1": 0.4321}))
    for heading in ("## Intended use", "## Uses to refuse", "## Training data", "## Evaluation protocol",
                    "## Figures", "## Behavioural tests", "## Known failure modes"):
        assert heading in card
    assert "0.612" in card and "0.501 to 0.703" in card and "0.432" in card
    assert "Judging individuals or communities" in card and "without human review" in card
    assert "**below bar**" in card  # a flat model cannot pass the direction check
    assert "Families fled." in card  # the missed humanitarian sentence is quoted as a failure mode


def test_without_run_metrics_the_card_says_where_figures_come_from():
    inputs = fake_inputs({})
    inputs.honest = False
    card = render_model_card(inputs)
    assert "no run metrics found" in card and "in-sample" in card


def test_evaluate_runs_the_suite_on_the_served_model_and_logs_to_its_run(tmp_path, monkeypatch):
    """The wiring of evaluate_model, with MLflow replaced by recorders (the real thing is the slow test)."""
    table = fake_inputs({}).table
    logged: dict = {}

    class Served:
        def predict(self, frame, params=None):
            logged["unit"] = (params or {}).get("unit")
            return flat_predict(frame)

    @contextlib.contextmanager
    def evaluation_run(run_id, model_uri):
        logged["run"] = run_id
        yield types.SimpleNamespace(info=types.SimpleNamespace(run_id="e1"))

    monkeypatch.setattr(tracking, "configure", lambda: "sqlite:///unused")
    monkeypatch.setattr(tracking, "run_id_of_model", lambda uri: "r1")
    monkeypatch.setattr(tracking, "load_pyfunc", lambda uri: Served())
    monkeypatch.setattr(tracking, "champion_info", lambda: ("3", "r1"))
    monkeypatch.setattr(tracking, "run_record", lambda run_id: {"run_id": run_id, "metrics": {"cv_macro_f1": 0.5}})
    monkeypatch.setattr(tracking, "evaluation_run", evaluation_run)
    monkeypatch.setattr(tracking, "log_metrics_to", lambda run_id, values: logged.setdefault("on_run", run_id))
    monkeypatch.setattr(tracking, "log_metrics", lambda values: logged.setdefault("metrics", {}).update(values))
    monkeypatch.setattr(tracking, "log_artifacts", lambda d, p: logged.setdefault("artifacts", sorted(
        f.name for f in d.iterdir())))
    monkeypatch.setattr(evaluation, "load_predictions", lambda uri, run_id, workdir: (table, True))
    monkeypatch.setattr(evaluation, "write_report", lambda t, h, uri, run_id, out: out / "evaluation.md")
    evaluate_model("models:/sectarian-frames@champion", tmp_path)
    assert logged["unit"] == "sentence" and logged["run"] == "r1" and logged["on_run"] == "r1"
    assert {"behaviour_flip_rate", "behaviour_mft_pass_rate", "behaviour_direction_pass_rate"} <= set(logged["metrics"])
    assert {"behaviour.json", "model_card.md"} <= set(logged["artifacts"])  # written before they are logged
    assert "registered version 3, the champion" in (tmp_path / "model_card.md").read_text()


@pytest.mark.slow
def test_evaluate_writes_behaviour_and_card_and_logs_them(mlflow_store):
    run_suite(load_config(write_suite(mlflow_store, families=("lexicon",))))
    output = mlflow_store / "reports"
    trained = MlflowClient().get_run(tracking.champion_info()[1])
    evaluate_model("models:/sectarian-frames@champion", output)
    results = json.loads((output / "behaviour.json").read_text())
    assert 0.0 <= results["invariance"]["flip_rate"] <= 1.0
    card = (output / "model_card.md").read_text()
    assert "## Behavioural tests" in card and "lexicon-quick" in card
    run_id = tracking.champion_info()[1]
    run = MlflowClient().get_run(run_id)
    assert {"behaviour_flip_rate", "behaviour_mft_pass_rate", "behaviour_direction_pass_rate",
            "behaviour_mft_neutral_sect_pass_rate"} <= set(run.data.metrics)
    assert run.info.status == "FINISHED" and run.info.end_time == trained.info.end_time  # not stretched
    interval = f"{run.data.metrics['cv_macro_f1_ci_low']:.3f} to {run.data.metrics['cv_macro_f1_ci_high']:.3f}"
    assert interval in (output / "evaluation.md").read_text()  # one source of truth for the interval
    [evaluation_run] = MlflowClient().search_runs([run.info.experiment_id],
                                                 filter_string=f"tags.`mlflow.parentRunId` = '{run_id}'")
    assert evaluation_run.data.tags["sectframes.kind"] == "evaluation" and evaluation_run.info.status == "FINISHED"
    logged = {a.path for a in MlflowClient().list_artifacts(evaluation_run.info.run_id, "reports")}
    assert {"reports/model_card.md", "reports/behaviour.json", "reports/evaluation.md"} <= logged
