"""End to end on a temporary SQLite store: train -> register -> champion -> load elsewhere -> predict."""

import json

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import load_in_fresh_process, write_suite
from train import tracking
from train.experiments.config import load_config
from train.errors import DataError
from train.experiments.suite import run_suite


def runs_by_status(experiment: str) -> dict[str, int]:
    exp = mlflow.get_experiment_by_name(experiment)
    counts: dict[str, int] = {}
    for run in MlflowClient().search_runs([exp.experiment_id]):
        counts[run.info.status] = counts.get(run.info.status, 0) + 1
    return counts


def test_train_register_and_load_in_a_fresh_process(mlflow_store):
    outcomes = run_suite(load_config(write_suite(mlflow_store)))
    assert [o.status for o in outcomes] == ["FINISHED", "FINISHED"]
    best = max(outcomes, key=lambda o: o.heldout["dev"]["macro_f1"])  # the champion is chosen on dev
    version, run_id = tracking.champion_info()
    assert run_id == best.run_id
    run = MlflowClient().get_run(best.run_id)
    assert run.data.params["model.family"] == best.family
    assert {"cv_macro_f1", "cv_macro_f1_ci_low", "cv_macro_f1_ci_high", "train_seconds", "model_size_mb",
            "scoring_sentences_per_s", "dev_macro_f1", "test_macro_f1", "test_ece", "test_ece_raw",
            "test_offtopic_false_frame_rate", "relevance_threshold"} <= set(run.data.metrics)
    assert run.data.tags["data_digest"] and run.data.tags["git_commit"]
    assert run.data.tags[tracking.DECISION_TAG].startswith("promoted")
    artifacts = {a.path for a in MlflowClient().list_artifacts(best.run_id, "evaluation")}
    assert {"evaluation/oof_predictions.csv", "evaluation/classification_report.txt", "evaluation/plots"} <= artifacts
    out = json.loads(load_in_fresh_process("models:/sectarian-frames@champion", tracking.configure(),
                                           cwd=mlflow_store))
    assert out["ids"] == ["a", "b"] and "furniture" in out["kinds"] and "p_humanitarian" in out["columns"]
    assert "p_relevant" in out["columns"]
    sentence_out = json.loads(load_in_fresh_process(f"models:/sectarian-frames/{version}", tracking.configure(),
                                                    unit="sentence", cwd=mlflow_store))
    assert sentence_out["rows"] == 2


def test_same_config_and_seed_give_the_same_metrics_and_no_promotion_on_a_tie(mlflow_store):
    suite = load_config(write_suite(mlflow_store, families=("tfidf",)))
    first, second = run_suite(suite)[0], run_suite(suite)[0]
    assert first.cv_macro_f1 == second.cv_macro_f1 and first.ci == second.ci
    assert tracking.champion_info()[1] == first.run_id
    assert "does not beat" in second.decision


def test_a_crash_mid_run_ends_failed_and_leaves_the_champion_alone(mlflow_store, monkeypatch):
    import train.experiments.suite as runner

    suite = load_config(write_suite(mlflow_store, families=("lexicon",)))
    good = run_suite(suite)[0]

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash in cross-validation")

    monkeypatch.setattr(runner, "cross_validate", boom)
    failed = run_suite(suite)[0]
    assert failed.status == "FAILED" and "simulated crash" in failed.error
    assert runs_by_status("test-frames") == {"FINISHED": 1, "FAILED": 1}
    assert tracking.champion_info()[1] == good.run_id
    bad_run = MlflowClient().search_runs([mlflow.get_experiment_by_name("test-frames").experiment_id],
                                         filter_string="attributes.status = 'FAILED'")[0]
    assert "simulated crash" in bad_run.data.tags["sectframes.error"]


def test_an_interrupt_ends_the_run_failed_and_propagates(mlflow_store, monkeypatch):
    import train.experiments.suite as runner

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "cross_validate", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_suite(load_config(write_suite(mlflow_store, families=("lexicon",))))
    assert runs_by_status("test-frames") == {"FAILED": 1}
    assert tracking.champion_info() is None


def test_missing_data_is_a_clear_error_before_any_run(mlflow_store, monkeypatch):
    from train import paths

    monkeypatch.setattr(paths, "GOLD", mlflow_store / "nope.jsonl")
    with pytest.raises(DataError, match="nope.jsonl: file not found"):
        run_suite(load_config(write_suite(mlflow_store, families=("lexicon",))))
    exp = mlflow.get_experiment_by_name("test-frames")
    assert not MlflowClient().search_runs([exp.experiment_id])


def test_runs_orphaned_by_a_dead_process_are_marked_failed(mlflow_store):
    tracking.configure()
    exp_id = tracking.experiment_id("test-frames")
    client = MlflowClient()
    run = client.create_run(exp_id, tags={tracking.PID_TAG: "999999999", tracking.HOST_TAG: __import__("socket").gethostname()})
    assert tracking.fail_orphaned_runs(exp_id) == [run.info.run_id]
    assert client.get_run(run.info.run_id).info.status == "FAILED"


class FakeVersion:
    def __init__(self, version, score, digest):
        self.version, self.tags = version, {tracking.PRIMARY_METRIC: str(score), tracking.DIGEST_TAG: digest}


class FakeClient:
    def __init__(self, versions):
        self.versions = versions

    def search_model_versions(self, _filter):
        return self.versions


@pytest.mark.parametrize("champion, others, score, digest, promoted", [
    (None, [], 0.3, "d1", True),
    (FakeVersion("1", 0.5, "d1"), [], 0.6, "d1", True),
    (FakeVersion("1", 0.5, "d1"), [], 0.5, "d1", False),
    (FakeVersion("1", 0.9, "d0"), [FakeVersion("2", 0.4, "d1")], 0.45, "d1", True),
    (FakeVersion("1", 0.9, "d0"), [FakeVersion("2", 0.7, "d1")], 0.45, "d1", False),
])
def test_champion_rules(champion, others, score, digest, promoted):
    from train.tracking import registry

    decision, reason = registry._decide(FakeClient(others), champion, "9", score, digest)
    assert decision is promoted and reason


def test_fast_twins_compete_only_with_each_other_for_their_alias():
    """A distilled twin on new data is judged against other `fast` candidates, not the champion's rivals."""
    from train.tracking import registry

    holder = FakeVersion("1", 0.9, "d0")
    champion_rival = FakeVersion("2", 0.8, "d1")  # no alias tag: a champion candidate
    fast_rival = FakeVersion("3", 0.6, "d1")
    fast_rival.tags[tracking.ALIAS_TAG] = tracking.FAST
    promoted, _ = registry._decide(FakeClient([champion_rival, fast_rival]), holder, "9", 0.7, "d1", alias="fast")
    assert promoted
    promoted, reason = registry._decide(FakeClient([champion_rival, fast_rival]), holder, "9", 0.5, "d1", alias="fast")
    assert not promoted and "fast" in reason
