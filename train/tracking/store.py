"""The tracking store: where runs live, experiments, and reading runs and models back.

With no `MLFLOW_TRACKING_URI`, runs go to an embedded SQLite store (`mlflow.db`) and artifacts to
`mlruns/`, both in the project directory, so a fresh machine needs no server.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from train import paths

REGISTERED_MODEL = "sectarian-frames"
CHAMPION = "champion"
FAST = "fast"  # the distilled twin of the champion (configs/fast.yaml)
ALIAS_TAG = "registry_alias"  # which alias a registered version competes for
PRIMARY_METRIC = "cv_macro_f1"
KIND_TAG = "sectframes.kind"
PID_TAG, HOST_TAG = "sectframes.pid", "sectframes.host"  # who runs a RUNNING run (orphans are marked FAILED)
DIGEST_TAG, DECISION_TAG = "data_digest", "sectframes.champion_decision"
UI_VIEW = "training-runs"
UI_METRICS = ("cv_macro_f1", "dev_macro_f1", "test_macro_f1", "test_offtopic_false_frame_rate",
              "cv_macro_f1_seed_only", "train_seconds", "scoring_sentences_per_s")


def configure(root: Path | None = None) -> str:
    """Point MLflow at $MLFLOW_TRACKING_URI, or at the embedded store in `root` (the project)."""
    import mlflow

    root = root or paths.ROOT
    uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(root / 'mlflow.db').resolve()}"
    mlflow.set_tracking_uri(uri)  # the registry follows the tracking URI unless MLFLOW_REGISTRY_URI says otherwise
    return uri


def is_embedded(uri: str) -> bool:
    return uri.startswith("sqlite:")


def experiment_id(name: str, root: Path | None = None) -> str:
    """The experiment's id, creating it (artifacts under `root/mlruns` on the embedded store)."""
    import mlflow

    root = root or paths.ROOT
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        exp_id = found.experiment_id
    else:
        location = (root / "mlruns").resolve().as_uri() if is_embedded(mlflow.get_tracking_uri()) else None
        exp_id = mlflow.create_experiment(name, artifact_location=location)
    _set_ui_view(exp_id)
    return exp_id


def _set_ui_view(exp_id: str) -> None:
    """Open the experiment in the UI as model training (not the GenAI overview) and keep a saved view of its
    training runs with the key metrics as columns, best on dev first (`ui_url` links to it)."""
    import json

    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    client.set_experiment_tag(exp_id, "mlflow.experimentKind", "custom_model_development")
    columns = ["attributes.`Models`", "params.`model.family`"] + [f"metrics.`{m}`" for m in UI_METRICS]
    view = {"selectedColumns": columns, "orderByKey": "metrics.`dev_macro_f1`", "orderByAsc": False,
            "searchFilter": f"tags.`{KIND_TAG}` = 'train'"}
    client.set_experiment_tag(exp_id, f"mlflow.sharedViewState.{UI_VIEW}", json.dumps(view))


def ui_url(experiment: str, base: str = "http://127.0.0.1:5000") -> str:
    """The UI page of the experiment's training runs with the key metrics as columns."""
    import mlflow

    found = mlflow.get_experiment_by_name(experiment)
    return f"{base}/#/experiments/{found.experiment_id}/runs?viewStateShareKey={UI_VIEW}" if found else base


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def training_runs(experiment: str | None):
    """The experiment's (None: every experiment's) finished training runs as a pandas table, newest first."""
    import mlflow

    exp = mlflow.get_experiment_by_name(experiment) if experiment else None
    if experiment and exp is None:
        return None
    ids = [exp.experiment_id] if exp else [e.experiment_id for e in mlflow.search_experiments()]
    return mlflow.search_runs(ids, filter_string=f"tags.`{KIND_TAG}` = 'train' and "
                              "attributes.status = 'FINISHED'", order_by=["attributes.start_time DESC"])


def run_id_of_model(model_uri: str) -> str | None:
    """The training run behind a model URI (models:/name@alias, models:/name/version, runs:/...)."""
    import mlflow

    info = mlflow.models.get_model_info(model_uri)
    return info.run_id


def download_run_artifact(run_id: str, path: str, destination: Path) -> Path:
    import mlflow

    return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=str(destination)))


def download_model(model_uri: str, folder: str) -> str:
    """A local copy of the model behind any MLflow model URI. An unknown model fails here, before anything
    is scored or written."""
    import mlflow

    return mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=folder)


def load_pyfunc(model_uri: str):
    """The packaged predictor as MLflow serves it (for behavioural tests of a logged model)."""
    import mlflow

    return mlflow.pyfunc.load_model(model_uri)


def run_record(run_id: str) -> dict:
    """A run's name, metrics, params and tags as plain dicts (for reports such as the model card)."""
    from mlflow.tracking import MlflowClient

    run = MlflowClient().get_run(run_id)
    return {"run_id": run_id, "name": run.info.run_name, "metrics": dict(run.data.metrics),
            "params": dict(run.data.params), "tags": dict(run.data.tags)}
