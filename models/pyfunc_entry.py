"""MLflow models-from-code entry point for the packaged predictor.

MLflow executes this file when the model is logged and when it is loaded (that is why it ends with
`set_model`); nothing here is pickled. The weights come from the `model_dir` artifact, and the
`models` package travels with the model as a code path, so loading needs neither this repository nor
the `train` package.
"""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PythonModel


class FramesModel(PythonModel):
    def load_context(self, context) -> None:
        from models.predictor import FramePredictor

        self.predictor = FramePredictor.load(context.artifacts["model_dir"])

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        from models.predictor import UNITS

        unit = (params or {}).get("unit", "article")
        if unit not in UNITS:  # an MlflowException becomes a 400 that names the parameter when served
            raise MlflowException.invalid_parameter_value(f"params.unit must be one of {list(UNITS)}, got {unit!r}")
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.predictor.predict(model_input, unit=unit)


mlflow.models.set_model(FramesModel())
