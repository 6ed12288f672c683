"""The behavioural suite against a logged model: `$SECTFRAMES_MODEL_URI`, by default the champion.

Marked slow (it loads the packaged model through MLflow). The bars are the same as for the small model;
a logged model below a bar fails here, and the model card written by `make evaluate` lists it too.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from train.evaluation import behaviour as bh
from train import paths, tracking

log = logging.getLogger(__name__)
pytestmark = pytest.mark.slow
MODEL_URI = os.environ.get("SECTFRAMES_MODEL_URI", "models:/sectarian-frames@champion")


def _missing_store() -> str | None:
    """The embedded store's path if the model needs it and it does not exist (loading would create it)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(paths.ROOT / 'mlflow.db').resolve()}"
    needs_store = MODEL_URI.startswith(("models:/", "runs:/"))
    if needs_store and uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return uri
    return None


@pytest.fixture(scope="module")
def results() -> dict:
    missing = _missing_store()
    if missing:
        pytest.skip(f"cannot load {MODEL_URI}: no MLflow store at {missing} (run `make train`, or set "
                    "SECTFRAMES_MODEL_URI / MLFLOW_TRACKING_URI)")
    tracking.configure()
    try:
        model = tracking.load_pyfunc(MODEL_URI)
    except Exception as exc:  # noqa: BLE001 - any load failure means there is no model to test
        pytest.skip(f"cannot load {MODEL_URI}: {type(exc).__name__}: {str(exc)[:300]}")
    out = bh.run_behaviour(bh.pyfunc_fn(model))
    log.info("%s behaviour metrics: %s", MODEL_URI, {k: round(v, 3) for k, v in bh.behaviour_metrics(out).items()})
    return out


def test_every_check_runs_and_reports_rates(results, record_property):
    for name, value in bh.behaviour_metrics(results).items():
        record_property(name, value)
        if name != "behaviour_direction_mean_delta":
            assert 0.0 <= value <= 1.0, name


def test_name_swaps_rarely_change_a_decision(results):
    assert results["invariance"]["flip_rate"] <= bh.FLIP_RATE_MAX, results["invariance"]["failures"][:3]


@pytest.mark.parametrize("kind", list(bh.SLOT_KINDS))
def test_name_swaps_of_each_kind(results, kind):
    measured = results["invariance"]["by_kind"][kind]
    assert measured["flip_rate"] <= bh.FLIP_RATE_MAX, measured


@pytest.mark.parametrize("check", [c.name for c in bh.mft_checks()])
def test_minimum_functionality(results, check):
    measured = results["mft"]["checks"][check]
    assert measured["pass_rate"] >= bh.MFT_PASS_RATE_MIN, (measured["pass_rate"], measured["failures"])


def test_fleeing_civilians_raise_p_humanitarian(results):
    direction = results["direction"]
    assert direction["pass_rate"] >= bh.DIRECTION_PASS_RATE_MIN, direction["failures"]
    assert direction["mean_delta"] > 0
