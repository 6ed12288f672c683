"""Runs that always end (FINISHED or FAILED, orphans of killed processes marked FAILED) and what is
logged into them: params, metrics, artifacts, figures, dataset lineage."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from pathlib import Path

from train.tracking.store import HOST_TAG, PID_TAG

log = logging.getLogger("train.tracking")


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


@contextlib.contextmanager
def evaluation_run(source_run_id: str, model_uri: str):
    """A run of its own (kind `evaluation`) for `make evaluate`, nested under the model's training run in
    the UI (`mlflow.parentRunId`), so the training run keeps its own duration."""
    from mlflow.tracking import MlflowClient

    from train.tracking.store import KIND_TAG

    source = MlflowClient().get_run(source_run_id)
    tags = {KIND_TAG: "evaluation", "mlflow.parentRunId": source_run_id, "source_run_id": source_run_id,
            "model_uri": model_uri}
    with tracked_run(source.info.experiment_id, f"evaluate {source.info.run_name}", tags) as run:
        yield run


def log_metrics_to(run_id: str, values: dict[str, float]) -> None:
    """Metrics onto a finished run (its status and end time stay as they are)."""
    import math

    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    now = int(time.time() * 1000)
    MlflowClient().log_batch(run_id, metrics=[Metric(k, float(v), now, 0) for k, v in values.items()
                                              if v is not None and not math.isnan(v)])


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


def log_figure(figure, artifact_file: str) -> None:
    import mlflow

    mlflow.log_figure(figure, artifact_file)


def log_dataset(frame, name: str, digest: str, source: str, context: str) -> None:
    """Dataset lineage with our own digest (MLflow's ignores the list-valued label columns)."""
    import warnings

    import mlflow

    with warnings.catch_warnings():  # a local path matches two equivalent source types; either is right
        warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
        dataset = mlflow.data.from_pandas(frame, source=source, name=name, digest=digest)
    mlflow.log_input(dataset, context=context)
