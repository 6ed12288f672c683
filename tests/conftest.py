"""Shared fixtures. Markers follow the folder: tests/code -> code, tests/data -> data, tests/model -> model."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

for _key, _value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                     "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
                     "TOKENIZERS_PARALLELISM": "false", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
                     "HF_HUB_DISABLE_PROGRESS_BARS": "1"}.items():
    os.environ.setdefault(_key, _value)

KINDS = ("code", "data", "model")
REPO = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for kind in KINDS:
            if kind in parts:
                item.add_marker(getattr(pytest.mark, kind))


@pytest.fixture
def mlflow_store(tmp_path, monkeypatch):
    """A throwaway embedded MLflow store; artifacts land in tmp_path/mlruns."""
    import mlflow

    from train import paths

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    # set, not deleted: mlflow.set_registry_uri writes this variable, and only a setenv is undone afterwards
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    yield tmp_path
    while mlflow.active_run():
        mlflow.end_run()


def write_suite(directory: Path, families: tuple[str, ...] = ("lexicon", "tfidf"), authored: bool = False,
                experiment: str = "test-frames") -> Path:
    """A quick suite over the real gold set (bootstrap kept small for speed)."""
    names = []
    for family in families:
        (directory / f"{family}.yaml").write_text(
            f"name: {family}-quick\nfamily: {family}\nseed: 7\ndata: {{authored: {str(authored).lower()}}}\n"
            "evaluation: {bootstrap: 50}\n", encoding="utf-8")
        names.append(f"{family}.yaml")
    suite = directory / "suite.yaml"
    suite.write_text(f"experiment: {experiment}\nruns: [{', '.join(names)}]\n", encoding="utf-8")
    return suite


ISOLATED_LOADER = textwrap.dedent('''
    import json, os, sys
    # Forget this repository: no editable-install finder, no repo on sys.path, and `train` unimportable.
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    def in_repo(p):
        p = os.path.abspath(p)
        return p.startswith(os.environ["REPO"]) and "site-packages" not in p
    sys.path[:] = [p for p in sys.path if p and not in_repo(p)]
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == "train" or name.startswith("train."):
                raise ImportError("the packaged model must not need the train package")
    sys.meta_path.insert(0, Block())
    import mlflow, pandas as pd
    model = mlflow.pyfunc.load_model(sys.argv[1])
    import models
    assert not in_repo(models.__file__), models.__file__
    frame = pd.DataFrame({"id": ["a", "b"], "text": [
        "Militiamen of one sect burned the mosques of the other.\\n\\nBy [A. Writer](#)",
        "The army abandoned the city. Families fled on foot."]})
    out = model.predict(frame, params={"unit": sys.argv[2]})
    print(json.dumps({"rows": len(out), "columns": list(out.columns), "ids": sorted(set(out["id"])),
                      "kinds": list(out["kind"])}))
''')


def load_in_fresh_process(model_uri: str, tracking_uri: str, unit: str = "article", cwd: Path | None = None) -> str:
    """Load and run a logged model in a new interpreter that cannot see this repository."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "false",
           "REPO": str(REPO), "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, "-c", ISOLATED_LOADER, model_uri, unit], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]
