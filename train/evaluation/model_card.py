"""The model card: what a model is for, what it must not be used for, what it learned from, how well it
does (with intervals), how it behaves on our behavioural suite and where it is known to fail.

Every number comes from somewhere real: the training run's metrics in MLflow, the out-of-fold predictions
`make evaluate` reads, the data files, and `train.evaluation.behaviour`. Nothing here talks to MLflow itself.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from models.frames import FRAME_KEYS
from train.evaluation import behaviour as bh

log = logging.getLogger(__name__)
CARD_NAME = "model_card.md"
BOOTSTRAP = 1000

# Words the codebook says are never enough on their own for a frame: a false positive that contains one
# suggests the model leaned on the keyword rather than on what the sentence emphasises.
KEYWORDS = {
    "sectarian_polarization": r"\b(?:sunni|shia|shi'a|shiite|alawite|christian|yazidi|sect\w*)\b",
    "state_failure": r"\b(?:army|government|police|forces|troops|soldiers|state)\b",
    "foreign_intervention": r"\b(?:us|u\.s\.|american|iran\w*|coalition|foreign|russia\w*|turk\w*)\b",
    "humanitarian": r"\b(?:killed|civilians?|died|dead|fled|killing)\b",
}


@dataclass
class CardInputs:
    """Everything the card shows. `run` is `tracking.run_record(...)` or {} for a model with no run."""

    model_uri: str
    run: dict
    honest: bool
    table: pd.DataFrame  # the evaluation table (gold, predicted, p_<frame>, text, id)
    Y: np.ndarray
    D: np.ndarray
    errors: dict  # train.evaluation.error_analysis
    behaviour: dict  # train.behaviour.run_behaviour
    data: dict  # train.card.corpus_card
    registry: str = ""


def frame_f1_intervals(Y: np.ndarray, D: np.ndarray, n: int = BOOTSTRAP, seed: int = 0) -> dict[str, tuple]:
    """95% percentile bootstrap interval of each frame's F1, resampling sentences (as for macro-F1)."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(Y), (n, len(Y)))
    out = {}
    for j, key in enumerate(FRAME_KEYS):
        y, d = Y[rows, j].astype(bool), D[rows, j].astype(bool)
        tp, denom = (y & d).sum(axis=1), y.sum(axis=1) + d.sum(axis=1)
        f1 = np.divide(2 * tp, denom, out=np.zeros(n), where=denom > 0)
        out[key] = (float(np.quantile(f1, 0.025)), float(np.quantile(f1, 0.975)))
    return out


def _f(value, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


def _header(c: CardInputs) -> list[str]:
    params, tags = c.run.get("params", {}), c.run.get("tags", {})
    return [
        "# Model card: sectarian-frames", "",
        f"Model `{c.model_uri}`{f' ({c.registry})' if c.registry else ''}; training run "
        f"`{c.run.get('run_id', 'unknown')}` (`{c.run.get('name', '?')}`), family "
        f"`{params.get('model.family', '?')}`, git commit `{tags.get('git_commit', '?')}`, "
        f"data digest `{tags.get('data_digest', '?')}`. Written by `make evaluate` on {date.today().isoformat()}.",
        "", "The model labels each prose sentence of an article with any of four frames (multi-label; none is "
        "a valid answer): " + ", ".join(f"`{k}`" for k in FRAME_KEYS) + ". Definitions: "
        "[data/annotations/CODEBOOK.md](../data/annotations/CODEBOOK.md).", "",
    ]


def _uses() -> list[str]:
    return [
        "## Intended use", "",
        "- Analysing how coverage of sectarian conflict is **framed**: the share of sentences carrying each "
        "frame, compared across outlets, periods or topics, **aggregated over many sentences** and read "
        "together with the probabilities, not one sentence at a time.",
        "- Finding candidate passages for a human analyst to read (a retrieval aid, not a verdict).", "",
        "## Uses to refuse", "",
        "- **Judging individuals or communities**: a frame describes what a sentence emphasises, never whether "
        "a person, sect or group is sectarian, violent or to blame.",
        "- **Moderation or enforcement decisions without human review** (removing, ranking or flagging "
        "content or accounts): the error rates below are far too high, and errors are not evenly spread.",
        "- Scoring single sentences or short texts as evidence of anything; claims about languages other than "
        "English, or about genres the data does not cover (social media, speeches, fiction).", "",
    ]


def _data(c: CardInputs) -> list[str]:
    gold, authored, meta = c.data.get("gold", {}), c.data.get("authored"), c.data.get("metadata", [])
    used_authored = str(c.run.get("params", {}).get("data.authored", "")).lower() == "true"
    outlets = sorted({m["outlet"] for m in meta if m.get("outlet")})
    lines = ["## Training data", "",
             f"- **Seed gold set:** {gold.get('sentences', '?')} prose sentences from {c.data.get('articles', '?')} "
             f"English articles ({', '.join(outlets) or 'outlets unknown'}; others unattributed), "
             f"{gold.get('no_frame', '?')} with no frame. Per frame: "
             + ", ".join(f"{k} {gold.get('per_frame', {}).get(k, '?')}" for k in FRAME_KEYS)
             + f". Two annotation passes, {gold.get('adjudicated_disagreements', '?')} disagreements adjudicated; "
             f"exact agreement {_f(gold.get('exact_agreement'))}."]
    if authored:
        lines.append(
            f"- **Authored sentences** ({'used' if used_authored else 'not used'} by this run): "
            f"{authored['sentences']} sentences written by us to teach the frames beyond the seed articles, "
            f"labelled the same way (per frame: " + ", ".join(f"{k} {authored['per_frame'][k]}" for k in FRAME_KEYS)
            + f"; {authored['no_frame']} hard negatives). Used for training only, never for testing.")
    lines += [
        "", "**Limits of the data.**",
        f"- {c.data.get('articles', '?')} seed articles, all about Iraq in 2014-2017 (the fall and retaking of "
        "Mosul and Ramadi): every test figure below is about this one conflict, period and register.",
        "- Per-frame support in the gold set is small (a few dozen positives at most), so intervals are wide and "
        "a frame's F1 can move by several points with one article.",
        "- Both annotation passes were made by instances of the same AI model, not by independent human coders: "
        "agreement is an upper bound on human agreement, and shared blind spots would not show up in it.",
        "- The authored sentences are written to illustrate the codebook, so they are cleaner and more explicit "
        "than real coverage.", "",
    ]
    return lines


def _metric(run: dict, name: str, fallback: float | None = None) -> float | None:
    return run.get("metrics", {}).get(name, fallback)


def macro_with_interval(run: dict, Y, D) -> tuple[float, float, float, str]:
    """(macro-F1, CI low, CI high, where from): the training run's logged figures when it has them, so the
    report, the model card and the README quote one interval; else computed from the table."""
    from train.experiments import metrics

    if all(_metric(run, name) is not None for name in ("cv_macro_f1", "cv_macro_f1_ci_low", "cv_macro_f1_ci_high")):
        return (_metric(run, "cv_macro_f1"), _metric(run, "cv_macro_f1_ci_low"), _metric(run, "cv_macro_f1_ci_high"),
                "the training run's metrics in MLflow")
    low, high = metrics.bootstrap_ci(Y, D)
    return metrics.macro_f1(Y, D), low, high, "the evaluation table (no run metrics found)"


def _figures(c: CardInputs) -> list[str]:
    from train.experiments import metrics

    frame_ci = frame_f1_intervals(c.Y, c.D)
    per_frame = metrics.per_frame(c.Y, c.table[[f"p_{k}" for k in FRAME_KEYS]].to_numpy(float), c.D)
    macro, low, high, source = macro_with_interval(c.run, c.Y, c.D)
    lines = ["## Evaluation protocol", "",
             "- **Leave-one-article-out cross-validation** on the seed gold set: each article is predicted by a "
             "model trained on the other articles (plus the authored sentences, if used); authored sentences are "
             "never test rows.",
             "- Per-frame decision thresholds are chosen inside each training fold, on inner out-of-fold "
             "predictions of the training articles only, never on the article being tested.",
             "- All figures are pooled over the out-of-fold predictions; 95% intervals are percentile bootstraps "
             f"over sentences ({BOOTSTRAP} resamples for per-frame F1).",
             "- The released model is then refit on all data with thresholds chosen the same way.", ""]
    if not c.honest:
        lines += ["**Warning: in-sample.** No out-of-fold predictions were found for this model, so the table "
                  "below scores gold sentences the model may have been trained on; it is optimistic.", ""]
    lines += ["## Figures", "",
              f"Macro-F1 **{_f(macro)}** (95% CI {_f(low)} to {_f(high)}), from {source}; micro-F1 {_f(_metric(c.run, 'cv_micro_f1'))}, "
              f"exact match {_f(_metric(c.run, 'cv_exact_match'))}, Brier {_f(_metric(c.run, 'cv_brier'))}; "
              f"{len(c.table)} gold sentences."]
    seed_only = _metric(c.run, "cv_macro_f1_seed_only")
    if seed_only is not None:
        lines.append(f"Without the authored sentences the same model scores {_f(seed_only)} "
                     f"(gain {_f(_metric(c.run, 'authored_gain'))}).")
    lines += ["", "| frame | precision | recall | F1 | F1 95% CI | PR-AUC | gold | predicted |",
              "|---|---|---|---|---|---|---|---|"]
    for key in FRAME_KEYS:
        row = per_frame[key]
        f1 = _metric(c.run, f"cv_{key}_f1", row["f1"])
        lines.append(f"| {key} | {_f(_metric(c.run, f'cv_{key}_precision', row['precision']))} "
                     f"| {_f(_metric(c.run, f'cv_{key}_recall', row['recall']))} | **{_f(f1)}** "
                     f"| {_f(frame_ci[key][0])} to {_f(frame_ci[key][1])} "
                     f"| {_f(_metric(c.run, f'cv_{key}_pr_auc', row['pr_auc']))} | {row['support']} | {row['predicted']} |")
    speed = _metric(c.run, "scoring_sentences_per_s")
    if speed is not None:
        lines.append(f"\nModel size {_f(_metric(c.run, 'model_size_mb'), 2)} MB; scores about {speed:.0f} "
                     "sentences per second on the training machine's CPU.")
    return lines + [""]


def _verdict(ok: bool) -> str:
    return "meets bar" if ok else "**below bar**"


def _behaviour(c: CardInputs) -> list[str]:
    b, ok = c.behaviour, bh.verdicts(c.behaviour)
    inv, mft, direction = b["invariance"], b["mft"], b["direction"]
    lines = ["## Behavioural tests", "",
             f"Our own templated sentences ({b['sentences']} distinct; `train/behaviour.py`, also run by "
             "`tests/model`). Bars: flip rate at most "
             f"{bh.FLIP_RATE_MAX:.2f}, each minimum-functionality check at least {bh.MFT_PASS_RATE_MIN:.2f}, "
             f"direction at least {bh.DIRECTION_PASS_RATE_MIN:.2f}.", "",
             "| check | result | cases | verdict |", "|---|---|---|---|",
             f"| invariance: any decision flips when a name is swapped | flip rate {_f(inv['flip_rate'])} "
             f"| {inv['comparisons']} | {_verdict(ok['flip_rate'])} |"]
    for kind, v in inv["by_kind"].items():
        lines.append(f"| invariance: {kind.replace('_', ' ')} names | flip rate {_f(v['flip_rate'])} (mean largest "
                     f"probability change {_f(v['mean_max_p_shift'])}) "
                     f"| {v['comparisons']} | {_verdict(ok[f'flip_rate_{kind}'])} |")
    for name, v in mft["checks"].items():
        lines.append(f"| minimum functionality: {v['why']} (`{v['frame']}` {'on' if v['expected'] else 'off'}) "
                     f"| pass rate {_f(v['pass_rate'])} | {v['cases']} | {_verdict(ok[f'mft_{name}'])} |")
    lines += [f"| direction: adding fleeing civilians raises p_humanitarian | pass rate {_f(direction['pass_rate'])} "
              f"(mean change {direction['mean_delta']:+.3f}) | {direction['pairs']} | {_verdict(ok['direction'])} |",
              "", f"Minimum functionality overall: {_f(mft['pass_rate'])} of {mft['cases']} cases.", ""]
    return lines + _behaviour_examples(b)


def _behaviour_examples(b: dict) -> list[str]:
    lines = []
    flips = b["invariance"]["failures"][:3]
    if flips:
        lines += ["Examples of flips:"] + [
            f"- {f['kind']}: \"{f['reference']}\" -> \"{f['variant']}\" changes {', '.join(f['changed'])}"
            for f in flips]
    for name, v in b["mft"]["checks"].items():
        if v["failures"]:
            key = f"p_{v['frame']}"
            lines.append(f"- `{name}` fails, e.g. \"{v['failures'][0]['text']}\" ({key}={v['failures'][0][key]:.2f})")
    return lines + [""] if lines else []


def _error_modes(c: CardInputs) -> list[str]:
    lines = ["## Known failure modes", "", "From the error analysis of the out-of-fold predictions "
             f"({'honest' if c.honest else 'in-sample'}):", ""]
    texts = c.table["text"].astype(str).str.lower()
    for j, key in enumerate(FRAME_KEYS):
        fp, fn = (c.D[:, j] & (c.Y[:, j] == 0)), (~c.D[:, j] & (c.Y[:, j] == 1))
        keyword = texts[fp].str.contains(KEYWORDS[key], regex=True).sum() if fp.any() else 0
        lines.append(f"- **{key}**: {int(fp.sum())} false positives of {int(c.D[:, j].sum())} predicted "
                     f"({keyword} containing a word the codebook says is not enough on its own), "
                     f"{int(fn.sum())} missed of {int(c.Y[:, j].sum())} gold.")
        for kind, label in (("false_positives", "surest false positive"), ("false_negatives", "weakest miss")):
            rows = c.errors.get(key, {}).get(kind)
            if rows is not None and len(rows):
                r = rows.iloc[0]
                lines.append(f"  - {label} (p={r['p']:.2f}): {_short(r['text'])}")
    lines += ["", "From the behavioural tests: "
              + (", ".join(_behaviour_failures(c.behaviour)) or "no check is below its bar") + ".", "",
              "Both lists are measured on small samples; expect further failure modes on coverage unlike the "
              "training data (other conflicts, other periods, other genres).", ""]
    return lines


def _behaviour_failures(b: dict) -> list[str]:
    ok, out = bh.verdicts(b), []
    for kind, v in b["invariance"]["by_kind"].items():
        if not ok[f"flip_rate_{kind}"]:
            out.append(f"decisions change when {kind.replace('_', ' ')} names are swapped "
                       f"({_f(v['flip_rate'])} of swaps)")
    for name, v in b["mft"]["checks"].items():
        if not ok[f"mft_{name}"]:
            out.append(f"`{name}` passes only {v['pass_rate']:.0%} of its cases ({v['why']})")
    if not ok["direction"]:
        out.append(f"adding fleeing civilians raises p_humanitarian in only {_f(b['direction']['pass_rate'])} of pairs")
    return out


def _short(text: str, limit: int = 220) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


def render_model_card(c: CardInputs) -> str:
    sections = (_header(c), _uses(), _data(c), _figures(c), _behaviour(c), _error_modes(c),
                ["## Reproduce", "", "`make train` (or `sectframes train --config ...`), then `make evaluate "
                 f"MODEL={c.model_uri}`; the full report is [evaluation.md](evaluation.md) and the raw behavioural "
                 "results are in [behaviour.json](behaviour.json).", ""])
    return "\n".join(line for section in sections for line in section)


def write_model_card(inputs: CardInputs, output: Path) -> Path:
    """Render the card for one model into `output/model_card.md`."""
    output.mkdir(parents=True, exist_ok=True)
    path = output / CARD_NAME
    path.write_text(render_model_card(inputs), encoding="utf-8")
    log.info("wrote %s", path)
    return path


__all__ = ["CardInputs", "write_model_card", "render_model_card", "frame_f1_intervals"]
