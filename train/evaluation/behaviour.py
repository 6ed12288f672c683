"""Behavioural tests of a frame model (invariance, minimum functionality, direction), as library code.

Held-out F1 on five articles says little about *why* a model decides. These checks probe what the
codebook demands directly: a sect, city or country name alone must not decide a frame; clear cases must
be caught; naming a sect neutrally is not polarisation; a negated or succeeding state is not failing;
adding fleeing civilians must raise the humanitarian score.

Every template and sentence in this module was written by us for this suite (not taken or paraphrased
from any article, dataset or other test suite). The names we swap are ordinary proper nouns.

`run_behaviour(predict_fn)` scores every sentence in one call and returns plain data (JSON-ready);
`behaviour_metrics(results)` flattens it to MLflow metric names.
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np
import pandas as pd

from models.frames import FRAME_KEYS
from train.evaluation.behaviour_cases import (INVARIANCE_TEMPLATES, SLOT_KINDS, MftCheck, direction_pairs,
                                              invariance_pairs, mft_checks)

log = logging.getLogger(__name__)

PredictFn = Callable[[list[str]], pd.DataFrame]
MAX_FAILURES = 5

# The bars a model should meet, set from how its output is used (frame shares over many sentences), not
# from any model's scores. A name alone must never decide a frame; we tolerate one swap in twenty changing
# a decision (issue 12's bar, overall and per kind of name), for sentences that sit right on a threshold. Clear cases and clear non-cases (minimum
# functionality): at most one miss in five per check. Adding fleeing civilians must raise
# p_humanitarian in nine pairs in ten.
FLIP_RATE_MAX = 0.05
MFT_PASS_RATE_MIN = 0.80
DIRECTION_PASS_RATE_MIN = 0.90

# ---------------------------------------------------------------------------------------------------
def score(predict_fn: PredictFn, sentences: list[str]) -> dict[str, dict]:
    """Score each distinct sentence once: {sentence: {"p": {frame: p}, "d": {frame: bool}}}."""
    unique = list(dict.fromkeys(sentences))
    out = predict_fn(unique)
    if len(out) != len(unique):
        raise ValueError(f"predict_fn returned {len(out)} rows for {len(unique)} sentences; "
                         "it must score each sentence as one unit (unit='sentence')")
    missing = [c for k in FRAME_KEYS for c in (f"p_{k}", k) if c not in out.columns]
    if missing:
        raise ValueError(f"predict_fn output lacks columns {missing}")
    rows = out.reset_index(drop=True)
    return {text: {"p": {k: float(rows.at[i, f"p_{k}"]) for k in FRAME_KEYS},
                   "d": {k: bool(rows.at[i, k]) for k in FRAME_KEYS}} for i, text in enumerate(unique)}


def _rate(passed: int, total: int) -> float:
    return passed / total if total else float("nan")


def invariance_results(scores: dict[str, dict], pairs: list[tuple[str, str, str]]) -> dict:
    """Flip rate: share of swapped sentences whose set of frame decisions differs from the reference's.
    Also, per kind, the mean over swaps of the largest probability change (how close flips come)."""
    flips, failures, shifts = [], [], {}
    per_frame = {k: 0 for k in FRAME_KEYS}
    by_kind: dict[str, list[bool]] = {}
    for kind, reference, variant in pairs:
        changed = [k for k in FRAME_KEYS if scores[reference]["d"][k] != scores[variant]["d"][k]]
        for k in changed:
            per_frame[k] += 1
        flips.append(bool(changed))
        by_kind.setdefault(kind, []).append(bool(changed))
        shifts.setdefault(kind, []).append(max(abs(scores[reference]["p"][k] - scores[variant]["p"][k])
                                               for k in FRAME_KEYS))
        if changed and len(failures) < MAX_FAILURES * 2 and reference not in {f["reference"] for f in failures}:
            failures.append({"kind": kind, "reference": reference, "variant": variant, "changed": changed,
                             "reference_frames": [k for k in FRAME_KEYS if scores[reference]["d"][k]],
                             "variant_frames": [k for k in FRAME_KEYS if scores[variant]["d"][k]]})
    return {
        "flip_rate": _rate(sum(flips), len(flips)), "flips": sum(flips), "comparisons": len(flips),
        "templates": len(INVARIANCE_TEMPLATES),
        "by_kind": {kind: {"flip_rate": _rate(sum(v), len(v)), "flips": sum(v), "comparisons": len(v),
                           "mean_max_p_shift": float(np.mean(shifts[kind]))} for kind, v in by_kind.items()},
        "by_frame": {k: _rate(n, len(flips)) for k, n in per_frame.items()},
        "failures": failures,
    }


def _most_wrong(fails: list[str], scores: dict[str, dict], check: MftCheck) -> list[str]:
    """The failures the model was surest about (highest p when the frame should be off, lowest when on)."""
    sign = -1.0 if not check.expected else 1.0
    return sorted(fails, key=lambda s: sign * scores[s]["p"][check.frame])[:MAX_FAILURES]


def mft_results(scores: dict[str, dict], checks: tuple[MftCheck, ...]) -> dict:
    """Pass rate per check (share of its sentences with the expected decision) and overall."""
    out, passed_total, cases_total = {}, 0, 0
    for check in checks:
        fails = [s for s in check.sentences if scores[s]["d"][check.frame] != check.expected]
        passed = len(check.sentences) - len(fails)
        passed_total, cases_total = passed_total + passed, cases_total + len(check.sentences)
        out[check.name] = {
            "frame": check.frame, "expected": check.expected, "why": check.why, "cases": len(check.sentences),
            "passed": passed, "pass_rate": _rate(passed, len(check.sentences)),
            "failures": [{"text": s, f"p_{check.frame}": round(scores[s]["p"][check.frame], 4)}
                         for s in _most_wrong(fails, scores, check)],
        }
    return {"pass_rate": _rate(passed_total, cases_total), "passed": passed_total, "cases": cases_total,
            "checks": out}


def direction_results(scores: dict[str, dict], pairs: list[tuple[str, str]], frame: str = "humanitarian") -> dict:
    """Share of pairs where the added clause raises p_<frame> (strictly), and the mean change."""
    deltas = np.array([scores[after]["p"][frame] - scores[before]["p"][frame] for before, after in pairs])
    worst = np.argsort(deltas)[:MAX_FAILURES]
    return {
        "frame": frame, "pass_rate": _rate(int((deltas > 0).sum()), len(pairs)), "passed": int((deltas > 0).sum()),
        "pairs": len(pairs), "mean_delta": float(deltas.mean()) if len(deltas) else float("nan"),
        "decision_gained": _rate(sum(not scores[b]["d"][frame] and scores[a]["d"][frame] for b, a in pairs),
                                 len(pairs)),
        "failures": [{"before": pairs[i][0], "after": pairs[i][1], "delta": round(float(deltas[i]), 4)}
                     for i in worst if deltas[i] <= 0],
    }


def run_behaviour(predict_fn: PredictFn) -> dict:
    """Run the whole suite with one call to `predict_fn`; returns JSON-ready per-check results."""
    inv_pairs, checks, dir_pairs = invariance_pairs(), mft_checks(), direction_pairs()
    sentences = ([s for _, a, b in inv_pairs for s in (a, b)] + [s for c in checks for s in c.sentences]
                 + [s for pair in dir_pairs for s in pair])
    scores = score(predict_fn, sentences)
    results = {"sentences": len(scores), "invariance": invariance_results(scores, inv_pairs),
               "mft": mft_results(scores, checks), "direction": direction_results(scores, dir_pairs)}
    log.info("behaviour: flip rate %.3f, MFT pass rate %.3f, direction pass rate %.3f (%d sentences)",
             results["invariance"]["flip_rate"], results["mft"]["pass_rate"], results["direction"]["pass_rate"],
             results["sentences"])
    return results


def behaviour_metrics(results: dict) -> dict[str, float]:
    """Flat metric names for MLflow: the three headline rates plus one per kind and per check."""
    metrics = {"behaviour_flip_rate": results["invariance"]["flip_rate"],
               "behaviour_mft_pass_rate": results["mft"]["pass_rate"],
               "behaviour_direction_pass_rate": results["direction"]["pass_rate"],
               "behaviour_direction_mean_delta": results["direction"]["mean_delta"]}
    metrics.update({f"behaviour_flip_rate_{kind}": v["flip_rate"]
                    for kind, v in results["invariance"]["by_kind"].items()})
    metrics.update({f"behaviour_mft_{name}_pass_rate": v["pass_rate"] for name, v in results["mft"]["checks"].items()})
    return metrics


def verdicts(results: dict) -> dict[str, bool]:
    """Does each check meet its bar? Keys: flip_rate, flip_rate_<kind>, mft_<check>, direction."""
    out = {"flip_rate": results["invariance"]["flip_rate"] <= FLIP_RATE_MAX}
    out.update({f"flip_rate_{kind}": v["flip_rate"] <= FLIP_RATE_MAX
                for kind, v in results["invariance"]["by_kind"].items()})
    out.update({f"mft_{name}": v["pass_rate"] >= MFT_PASS_RATE_MIN for name, v in results["mft"]["checks"].items()})
    out["direction"] = results["direction"]["pass_rate"] >= DIRECTION_PASS_RATE_MIN
    return out


def _frame_input(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"behaviour-{i}" for i in range(len(texts))], "text": texts})


def predictor_fn(predictor) -> PredictFn:
    """A predict_fn for an in-process `models.predictor.FramePredictor`."""
    return lambda texts: predictor.predict(_frame_input(texts), unit="sentence")


def pyfunc_fn(model) -> PredictFn:
    """A predict_fn for a loaded MLflow pyfunc model (the packaged predictor)."""
    return lambda texts: model.predict(_frame_input(texts), params={"unit": "sentence"})


__all__ = ["run_behaviour", "behaviour_metrics", "verdicts", "FLIP_RATE_MAX", "MFT_PASS_RATE_MIN",
           "DIRECTION_PASS_RATE_MIN", "predictor_fn", "pyfunc_fn", "invariance_pairs",
           "mft_checks", "direction_pairs", "PredictFn", "SLOT_KINDS", "INVARIANCE_TEMPLATES", "MAX_FAILURES"]
