"""Everything that talks to MLflow lives in this package, and every other module goes through it:
the store and reading back (`store`), runs and logging (`runs`), the packaged model (`packaging`) and the
registry with the champion alias (`registry`). Import it as `from train import tracking`."""

from train.tracking.packaging import log_predictor, requirements, signature
from train.tracking.registry import (Decision, champion_info, pinned_model_uri, register_and_decide,
                                     registry_versions)
from train.tracking.runs import (evaluation_run, fail_orphaned_runs, log_artifact, log_artifacts, log_dataset,
                                 log_figure, log_metrics, log_metrics_to, log_params, tracked_run)
from train.tracking.store import (ALIAS_TAG, CHAMPION, FAST, DECISION_TAG, DIGEST_TAG, HOST_TAG, KIND_TAG, PID_TAG, PRIMARY_METRIC,
                                  REGISTERED_MODEL, configure, download_model, download_run_artifact,
                                  experiment_id, git_commit, is_embedded, load_pyfunc, run_id_of_model, run_record,
                                  training_runs, ui_url)

__all__ = ["ALIAS_TAG", "CHAMPION", "FAST", "DECISION_TAG", "DIGEST_TAG", "HOST_TAG", "KIND_TAG", "PID_TAG", "PRIMARY_METRIC",
           "REGISTERED_MODEL", "Decision", "champion_info", "configure", "evaluation_run", "log_metrics_to", "download_model", "download_run_artifact",
           "experiment_id", "fail_orphaned_runs", "git_commit", "is_embedded", "load_pyfunc", "log_artifact",
           "log_artifacts", "log_dataset", "log_figure", "log_metrics", "log_params", "log_predictor",
           "pinned_model_uri", "register_and_decide", "registry_versions", "requirements",
           "run_id_of_model", "run_record", "signature", "tracked_run", "training_runs", "ui_url"]
