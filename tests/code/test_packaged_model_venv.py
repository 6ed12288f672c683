"""The strongest check that the packaged model stands alone: a brand-new virtual environment with only
the model's own pinned requirements loads it and predicts (slow: it installs packages)."""

import json
import subprocess
import sys

import mlflow
import pytest

from tests.conftest import ISOLATED_LOADER, REPO, write_suite
from train import tracking
from train.experiments.config import load_config
from train.experiments.suite import run_suite


@pytest.mark.slow
def test_model_loads_in_a_venv_with_only_its_requirements(mlflow_store, tmp_path):
    outcome = run_suite(load_config(write_suite(mlflow_store, families=("tfidf",))))[0]
    uri = tracking.configure()
    local = mlflow.artifacts.download_artifacts(artifact_uri="models:/sectarian-frames@champion",
                                                dst_path=str(tmp_path / "model"))
    requirements = (tmp_path / "model" / "requirements.txt").read_text()
    assert "torch" not in requirements and "mlflow==" in requirements
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(tmp_path / "model" / "requirements.txt")],
                   check=True, timeout=1200)
    result = subprocess.run([str(venv / "bin" / "python"), "-c", ISOLATED_LOADER, local, "article"],
                            env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "REPO": str(REPO), "MLFLOW_TRACKING_URI": uri,
                                 "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "false", "HOME": str(tmp_path)},
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["ids"] == ["a", "b"]
    assert outcome.status == "FINISHED"
