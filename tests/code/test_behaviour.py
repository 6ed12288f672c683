"""The behavioural suite's own logic, checked with rule-based fake models (no training)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from models.frames import FRAME_KEYS
from train.evaluation import behaviour as bh


def rule_model(rules: dict[str, str], calls: list | None = None):
    """A predict_fn: p_<frame> is 0.9 where the frame's regex matches the sentence, else 0.1."""
    def predict(texts: list[str]) -> pd.DataFrame:
        if calls is not None:
            calls.append(len(texts))
        out = pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": texts})
        for key in FRAME_KEYS:
            hit = [bool(rules.get(key) and re.search(rules[key], t)) for t in texts]
            out[f"p_{key}"] = [0.9 if h else 0.1 for h in hit]
            out[key] = hit
        return out
    return predict


CODEBOOK_LIKE = {"sectarian_polarization": r"sectarian|revenge|burned the mosques",
                 "state_failure": r"abandoned|cannot keep order",
                 "foreign_intervention": r"Warplanes|Advisers|asked",
                 "humanitarian": r"fled|flee|civilians|hunger|rubble|families"}


def test_the_suite_is_big_enough_and_every_template_fills():
    assert len(bh.INVARIANCE_TEMPLATES) >= 15
    assert all(len(check.sentences) >= 8 for check in bh.mft_checks())
    assert len(bh.direction_pairs()) >= 20
    sentences = [s for _, a, b in bh.invariance_pairs() for s in (a, b)] + \
        [s for c in bh.mft_checks() for s in c.sentences] + [s for p in bh.direction_pairs() for s in p]
    assert not [s for s in sentences if "{" in s or "}" in s]
    assert not [s for s in sentences if re.search(r"\b[Aa] [AEIOU]", s)]  # "an Alawite", never "a Alawite"
    assert all(a != b for _, a, b in bh.invariance_pairs())


def test_a_model_that_ignores_names_never_flips_and_all_is_scored_in_one_call():
    calls: list[int] = []
    results = bh.run_behaviour(rule_model(CODEBOOK_LIKE, calls))
    assert len(calls) == 1 and calls[0] == results["sentences"]
    assert results["invariance"]["flip_rate"] == 0.0 and results["invariance"]["failures"] == []
    assert set(results["invariance"]["by_kind"]) == set(bh.SLOT_KINDS)
    assert results["direction"]["pass_rate"] == 1.0 and results["direction"]["mean_delta"] > 0


def test_a_model_keyed_on_one_city_flips_only_city_swaps():
    results = bh.run_behaviour(rule_model({"state_failure": r"\bHoms\b"}))
    by_kind = results["invariance"]["by_kind"]
    with_city = sum("{city}" in t for t in bh.INVARIANCE_TEMPLATES)
    assert by_kind["city"]["flips"] == with_city  # exactly the swap to Homs, once per template
    assert all(v["flips"] == 0 for kind, v in by_kind.items() if kind != "city")
    assert all("Homs" in f["variant"] and f["changed"] == ["state_failure"] for f in results["invariance"]["failures"])


def test_minimum_functionality_separates_positive_and_negative_checks():
    everything = rule_model({key: r"." for key in FRAME_KEYS})
    checks = bh.run_behaviour(everything)["mft"]["checks"]
    for check in bh.mft_checks():
        assert checks[check.name]["pass_rate"] == (1.0 if check.expected else 0.0)
        assert len(checks[check.name]["failures"]) == (0 if check.expected else bh.MAX_FAILURES)


def test_a_flat_model_fails_direction_and_the_metrics_are_named():
    results = bh.run_behaviour(rule_model({}))
    assert results["direction"]["pass_rate"] == 0.0 and results["direction"]["mean_delta"] == 0.0
    metrics = bh.behaviour_metrics(results)
    assert {"behaviour_flip_rate", "behaviour_mft_pass_rate", "behaviour_direction_pass_rate",
            "behaviour_flip_rate_sect", "behaviour_mft_negated_failure_pass_rate"} <= set(metrics)
    assert bh.verdicts(results)["direction"] is False


def test_a_predict_fn_that_splits_sentences_or_drops_columns_is_a_clear_error():
    def splitting(texts):
        return rule_model({})(texts + texts[:1])

    def no_decisions(texts):
        return rule_model({})(texts).drop(columns=["humanitarian"])

    with pytest.raises(ValueError, match="unit='sentence'"):
        bh.run_behaviour(splitting)
    with pytest.raises(ValueError, match="lacks columns"):
        bh.run_behaviour(no_decisions)
