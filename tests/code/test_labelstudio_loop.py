"""The researcher's loop against a real Label Studio (slow; `make test-all` installs it in its own
environment): sample tasks from scores, set up the project through the API, label a task as a browser
would (POST an annotation), export, import the labels, retrain the smoke suite with them."""

import json

import numpy as np
import pytest

from models.families.lexicon import LexiconFamily
from models.predictor import save_model
from tests.code.test_scoring import ARTICLES, LocalModel
from tests.code.test_serving import free_port, stop
from train import labelstudio, paths
from train.corpus.user_labels import import_labels, load_user_labels
from train.scoring.batch import ScoreOptions, run_scoring
from train.scoring.sample import SampleOptions, sample

pytestmark = [pytest.mark.code, pytest.mark.slow]
EXECUTABLE = paths.ROOT / ".venv-labelstudio" / "bin" / "label-studio"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not EXECUTABLE.exists():
        pytest.skip("Label Studio is installed by `make test-all` / `make annotate` (.venv-labelstudio)")
    folder = tmp_path_factory.mktemp("labelstudio")
    port = free_port()
    process = labelstudio.start(str(EXECUTABLE), port, folder, "annotator@localhost", "a-test-password",
                                "0123456789abcdef0123456789abcdef01234567", folder / "ls.log")
    try:
        yield labelstudio.Server(f"http://127.0.0.1:{port}", "0123456789abcdef0123456789abcdef01234567",
                                 "annotator@localhost", "a-test-password")
    finally:
        stop(process)


def test_sample_label_export_import_and_retrain(server, tmp_path, monkeypatch, mlflow_store):
    save_model(LexiconFamily(), np.full(4, 0.5), tmp_path / "model")
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"d{i}", "text": ARTICLES[i % 3]}) + "\n" for i in range(9)))
    options = ScoreOptions([source], tmp_path / "scores.parquet")
    run_scoring(options, model=LocalModel(tmp_path / "model"), progress=False)
    tasks = sample(options.output, SampleOptions(n=6, random_share=0.5, per_article=2, seed=1))

    project = labelstudio.ensure_project(server, tasks)
    assert labelstudio.ensure_project(server, tasks) == project  # a second call imports nothing new
    listed = labelstudio.exported_tasks(server, project)
    assert len(listed) == len(tasks)
    for task in listed[:3]:  # what the labelling page sends when the annotator submits
        labelstudio.call(server, "POST", f"/api/tasks/{task['id']}/annotations", {"result": [
            {"from_name": "frames", "to_name": "sentence", "type": "choices",
             "value": {"choices": ["humanitarian"]}}]})
    export = tmp_path / "export.json"
    export.write_text(json.dumps(labelstudio.exported_tasks(server, project)))

    target, summary = import_labels(export, tmp_path / "user")
    assert summary["agreed"] == 3 and all(r["labels"] == ["humanitarian"] for r in load_user_labels(tmp_path / "user"))
    assert json.loads(target.read_text().splitlines()[0])["provenance"]["pre_annotated_by"] == "scores.parquet"

    from tests.conftest import write_suite
    from train.experiments import suite
    from train.experiments.config import load_config

    monkeypatch.setattr(suite, "load_user_labels", lambda: load_user_labels(tmp_path / "user"))
    [outcome] = suite.run_suite(load_config(write_suite(mlflow_store, families=("lexicon",))))
    assert outcome.status == "FINISHED"


def test_the_project_uses_our_labelling_config_with_context_and_four_choices(server, tmp_path):
    """Label Studio accepted the config that shows the sentence, its neighbours and the four frames (what a
    person sees was checked once with a headless Chromium screenshot, not in this test)."""
    config = labelstudio.CONFIG.read_text(encoding="utf-8")
    for name in ("$sentence", "$before", "$after", "sectarian_polarization", "state_failure", "foreign_intervention",
                 "humanitarian"):
        assert name in config
    projects = labelstudio.call(server, "GET", "/api/projects?page_size=100")
    projects = projects.get("results", projects) if isinstance(projects, dict) else projects
    [project] = [p for p in projects if p.get("title") == labelstudio.PROJECT]
    assert "sectarian_polarization" in labelstudio.call(server, "GET", f"/api/projects/{project['id']}")["label_config"]
