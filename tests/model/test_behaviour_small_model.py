"""Behavioural tests (train/behaviour.py) against a small TF-IDF model trained here on the real gold and
authored data. Training and the whole suite take a few seconds, so these run in `make test`.

The bars are the library's (`FLIP_RATE_MAX`, `MFT_PASS_RATE_MIN`, `DIRECTION_PASS_RATE_MIN`), set from
how the output is used, not from this model. Where the small model genuinely misses a bar, the test is
marked xfail with the measured number (seed 7, gold + authored data as committed); nothing is tuned.
"""

from __future__ import annotations

import logging

import pytest

from models.predictor import FramePredictor
from train.evaluation import behaviour as bh
from train.experiments.config import load_config
from train.corpus.records import load_authored, load_gold
from train.experiments.crossval import Corpus, refit

log = logging.getLogger(__name__)

# Measured on this model (and the causes checked on its per-token weights): a bag of n-grams takes
# "Mosul" and sect words as evidence, and reads actor words, not negation or success.
KNOWN_MISSES = {
    "flip_rate": "measured 0.093 (21 of 225 swaps; bar 0.05 since issue 12), mostly the city swaps below",
    "flip_rate_sect": "measured 0.071 (4 of 56): sect words carry weight of their own in a bag of n-grams",
    "flip_rate_city": "measured 0.134 (16 of 119 swaps, all away from 'Mosul', which is in 25 of 146 gold sentences)",
    "mft_neutral_sect": "measured 0.733 (44 of 60): the sect word itself carries the largest weight",
    "mft_negated_failure": "measured 0.375 (3 of 8): 'government', 'police', 'state' outweigh 'not'/'never'",
    "mft_state_succeeding": "measured 0.500 (4 of 8): 'government', 'army', 'police' carry the largest weights",
}


def _param(name: str):
    reason = KNOWN_MISSES.get(name)
    return pytest.param(name, marks=pytest.mark.xfail(reason=reason, strict=False)) if reason else name


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> FramePredictor:
    """TF-IDF + logistic heads on all seed gold and authored sentences, thresholds from inner CV."""
    directory = tmp_path_factory.mktemp("small-model")
    (directory / "tfidf.yaml").write_text("name: tfidf-behaviour\nfamily: tfidf\nseed: 7\n"
                                          "data: {authored: true}\nevaluation: {bootstrap: 50}\n", encoding="utf-8")
    config = load_config(directory / "tfidf.yaml").runs[0]
    model, thresholds = refit(config, Corpus.from_records(load_gold(), load_authored()))
    return FramePredictor(model, thresholds, manifest={})


@pytest.fixture(scope="module")
def results(small_model) -> dict:
    out = bh.run_behaviour(bh.predictor_fn(small_model))
    log.info("small model behaviour metrics: %s", {k: round(v, 3) for k, v in bh.behaviour_metrics(out).items()})
    return out


def test_every_check_runs_and_reports_rates(results, record_property):
    metrics = bh.behaviour_metrics(results)
    for name, value in metrics.items():
        record_property(name, value)
        if name != "behaviour_direction_mean_delta":
            assert 0.0 <= value <= 1.0, name
    assert set(results["invariance"]["by_kind"]) == set(bh.SLOT_KINDS)
    assert results["invariance"]["templates"] >= 15 and results["invariance"]["comparisons"] >= 150
    assert all(check["cases"] >= 8 for check in results["mft"]["checks"].values())
    assert results["direction"]["pairs"] >= 20


@pytest.mark.xfail(reason=KNOWN_MISSES["flip_rate"], strict=False)
def test_name_swaps_rarely_change_a_decision(results):
    assert results["invariance"]["flip_rate"] <= bh.FLIP_RATE_MAX, results["invariance"]["failures"][:3]


@pytest.mark.parametrize("kind", [_param(f"flip_rate_{k}") for k in bh.SLOT_KINDS])
def test_name_swaps_of_each_kind(results, kind):
    measured = results["invariance"]["by_kind"][kind.removeprefix("flip_rate_")]
    assert measured["flip_rate"] <= bh.FLIP_RATE_MAX, measured


@pytest.mark.parametrize("check", [_param(f"mft_{c.name}") for c in bh.mft_checks()])
def test_minimum_functionality(results, check):
    measured = results["mft"]["checks"][check.removeprefix("mft_")]
    assert measured["pass_rate"] >= bh.MFT_PASS_RATE_MIN, measured["failures"]


def test_fleeing_civilians_raise_p_humanitarian(results):
    direction = results["direction"]
    assert direction["pass_rate"] >= bh.DIRECTION_PASS_RATE_MIN, direction["failures"]
    assert direction["mean_delta"] > 0

