"""`make train`: run every experiment of a suite, track each as one MLflow run, register the models."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.families.embedding import memoised_embeddings
from models.frames import FRAME_KEYS
from models.predictor import FramePredictor, save_model, sentences_per_second
from train import paths, tracking
from train.experiments.artifacts import write_run_artifacts
from train.experiments.config import ExperimentConfig, SuiteConfig
from train.corpus.records import data_digest, load_authored, load_corpus, load_gold
from train.corpus.user_labels import USER_DIR, load_user_labels, user_test
from train.experiments.crossval import Corpus, cross_validate, refit, summarize
from train.experiments.heldout import HELDOUT_SPLITS, split_records
from train.experiments.selection import select

log = logging.getLogger(__name__)
INPUT_EXAMPLE = pd.DataFrame({
    "id": ["example-1"],
    "text": ["Militia fighters from one sect moved into the town as the army withdrew.\n\n"
             "Families fled towards the camps on foot."],
})


@dataclass
class RunOutcome:
    name: str
    family: str
    status: str
    run_id: str = ""
    cv_macro_f1: float = float("nan")
    ci: tuple[float, float] = (float("nan"), float("nan"))
    frame_f1: dict[str, float] = field(default_factory=dict)
    seed_only_macro_f1: float = float("nan")
    heldout: dict[str, dict] = field(default_factory=dict)  # dev / test scores of the refit model
    train_seconds: float = float("nan")
    model_mb: float = float("nan")
    sentences_per_s: float = float("nan")
    decision: str = ""
    registry: str = ""
    error: str = ""


@dataclass
class TrainingData:
    gold: list[dict]
    authored: list[dict]
    eval_digest: str
    train_digest: str
    articles: list[dict] = field(default_factory=list)  # the authored article corpus, every split
    user: list[dict] = field(default_factory=list)  # the user's own labels (`sectframes import-labels`)

    @classmethod
    def load(cls) -> "TrainingData":
        gold = load_gold(paths.GOLD, paths.ARTICLES)
        authored = load_authored(paths.AUTHORED) if paths.AUTHORED.exists() else []
        user = load_user_labels()
        user_files = sorted(USER_DIR.glob("*.jsonl")) if USER_DIR.exists() else []
        return cls(gold, authored, data_digest(paths.GOLD),
                   data_digest(paths.GOLD, paths.AUTHORED, paths.CORPUS_LABELLED, *user_files), load_corpus(), user)

    def extra(self, config: ExperimentConfig) -> list[dict]:
        """Training-only rows: authored sentences, the article corpus's train split and the user's labels
        (less their test share), as configured."""
        rows = ((self.authored if config.data.authored else [])
                + (split_records(self.articles, "train") if config.data.corpus else [])
                + ([r for r in self.user if not user_test(r, config.data.user_test_share)] if config.data.user else []))
        return rows + [r for r in rows if neutral_sect_mention(r)] * config.data.neutral_sect_repeats

    def user_test(self, config: ExperimentConfig) -> list[dict]:
        return [r for r in self.user if user_test(r, config.data.user_test_share)]

    def corpus(self, config: ExperimentConfig) -> Corpus:
        """The seed folds, the extra training rows, and (deciding on dev, with the corpus on) the dev split
        each fold's calibration and thresholds are chosen on."""
        on_dev = config.evaluation.decide_on == "dev" and config.data.corpus
        return Corpus.from_records(self.gold, self.extra(config), split_records(self.articles, "dev") if on_dev else [])


def neutral_sect_mention(record: dict) -> bool:
    """A sentence written to name a sect without dividing by it (an authored hard negative, or a corpus
    sentence of that design), and labelled without sectarian_polarization by the annotators."""
    designed = ("neutral_sect" in (record.get("design_kind") or "").split("+")
                or record.get("category") == "neg:neutral_sect")
    return designed and "sectarian_polarization" not in record["labels"]


def _directory_mb(directory: Path) -> float:
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) / 1e6


def _records_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({"id": [r["id"] for r in records], "text": [r["text"] for r in records],
                         "labels": [";".join(r["labels"]) for r in records]})


def _log_lineage(data: TrainingData, config: ExperimentConfig) -> None:
    tracking.log_dataset(_records_frame(data.gold), "seed-gold", data.eval_digest, str(paths.GOLD), "evaluation")
    if config.data.authored and data.authored:
        tracking.log_dataset(_records_frame(data.authored), "authored", data_digest(paths.AUTHORED),
                             str(paths.AUTHORED), "training")
    corpus_digest = data_digest(paths.CORPUS_LABELLED)
    for split, context in (("train", "training"), ("dev", "validation"), ("test", "testing")):
        records = split_records(data.articles, split)
        if records and (split != "train" or config.data.corpus):
            tracking.log_dataset(_records_frame(records), f"article-corpus-{split}", corpus_digest,
                                 str(paths.CORPUS_LABELLED), context)


def _log_summary(summary: dict) -> None:
    overall, (low, high) = summary["overall"], summary["ci"]
    tracking.log_metrics({tracking.PRIMARY_METRIC: overall["macro_f1"], "cv_macro_f1_ci_low": low,
                          "cv_macro_f1_ci_high": high, "cv_micro_f1": overall["micro_f1"],
                          "cv_exact_match": overall["exact_match"], "cv_brier": overall["brier"]})
    tracking.log_metrics({f"cv_{key}_{metric}": value for key, row in summary["per_frame"].items()
                          for metric, value in row.items() if metric not in ("support", "predicted")})
    for step, (article, values) in enumerate(summary["folds"].items()):
        tracking.log_metrics({"fold_macro_f1": values["macro_f1"], "fold_micro_f1": values["micro_f1"]}, step=step)


def train_one(config: ExperimentConfig, data: TrainingData, exp_id: str, advance, distil_progress=None) -> RunOutcome:
    """One config = one MLflow run: (a distilled student,) CV, artifacts, refit, packaged predictor; then the
    registry decision."""
    corpus = data.corpus(config)
    outcome = RunOutcome(config.name, config.family, "RUNNING")
    tags = {tracking.KIND_TAG: "train", "git_commit": tracking.git_commit(), tracking.DIGEST_TAG: data.eval_digest,
            "train_data_digest": data.train_digest, "family": config.family, "config_file": config.source}
    with tempfile.TemporaryDirectory(prefix="sectframes-") as tmp, \
            tracking.tracked_run(exp_id, config.name, tags) as run:
        outcome.run_id = run.info.run_id
        tracking.log_params(config.flat())
        _log_lineage(data, config)
        started = time.perf_counter()
        if config.distill is not None:
            _distil(config, data, distil_progress)
        result = cross_validate(config, corpus, on_fold=lambda _: advance(1))
        summary = summarize(corpus, result, config)
        _log_summary(summary)
        if corpus.extra_texts:
            outcome.seed_only_macro_f1 = _seed_only_score(config, data)
            tracking.log_metrics({"cv_macro_f1_seed_only": outcome.seed_only_macro_f1,
                                  "authored_gain": summary["overall"]["macro_f1"] - outcome.seed_only_macro_f1})
        advance(1)
        model, thresholds = refit(config, corpus)
        selection = select(config, data, model, thresholds, summary["overall"]["macro_f1"],
                           data.eval_digest, Path(tmp) / "evaluation")
        outcome.heldout = selection.heldout
        outcome.train_seconds = time.perf_counter() - started
        tracking.log_artifacts(write_run_artifacts(Path(tmp) / "evaluation", config.name, corpus, result, summary),
                               "evaluation")
        model_uri = _package(config, data, selection, Path(tmp) / "model_dir", corpus.texts, outcome)
        advance(1)
    outcome.status, outcome.cv_macro_f1, outcome.ci = "FINISHED", summary["overall"]["macro_f1"], summary["ci"]
    outcome.frame_f1 = {k: summary["per_frame"][k]["f1"] for k in FRAME_KEYS}
    decision = tracking.register_and_decide(outcome.run_id, model_uri, selection.score, selection.digest,
                                            selection.metric, config.alias)
    outcome.registry = f"v{decision.version}" + (f" {config.alias}" if decision.promoted else "")
    outcome.decision = f"{f'promoted to {config.alias}' if decision.promoted else 'not promoted'}: {decision.reason}"
    log.info("%s: %s", config.name, outcome.decision)
    return outcome


def _distil(config: ExperimentConfig, data: TrainingData, progress) -> None:
    """Train (or reuse) the student encoder this run's heads are fit on, and log how well it imitates."""
    from models.encoder import use_student_encoder
    from models.segment import normalize
    from train.experiments import distill

    texts = distill.distillation_texts(data.gold, data.authored)
    heldout = [normalize(r["text"]) for r in split_records(data.articles, "dev")]
    report = distill.ensure_student(config.distill, texts, heldout, config.seed, progress)
    use_student_encoder(report.folder)
    tracking.log_metrics({"distill_texts": report.texts, "distill_seconds": report.seconds,
                          "distill_final_mse": report.train_mse[-1], "distill_dev_cosine": report.heldout_cosine})
    for epoch, loss in enumerate(report.train_mse):
        tracking.log_metrics({"distill_epoch_mse": loss}, step=epoch)
    log.info("student: mean cosine to the teacher on unseen dev sentences %.4f%s", report.heldout_cosine,
             " (reused from the cache)" if report.reused else "")


def _package(config, data, selection, model_dir: Path, texts: list[str], outcome: RunOutcome) -> str:
    """Save the refit model, measure it as it will be served (loaded from disk), log it; returns its URI."""
    save_model(selection.predictor.model, selection.predictor.thresholds, model_dir,
               {"name": config.name, "run_id": outcome.run_id, "data_digest": data.eval_digest, **selection.manifest},
               gate=selection.predictor.gate)
    predictor = FramePredictor.load(model_dir)
    outcome.sentences_per_s = sentences_per_second(predictor, texts)
    outcome.model_mb = _directory_mb(model_dir)
    tracking.log_metrics({"train_seconds": outcome.train_seconds, "model_size_mb": outcome.model_mb,
                          "scoring_sentences_per_s": outcome.sentences_per_s})
    return tracking.log_predictor(model_dir, config.family, INPUT_EXAMPLE)


def _seed_only_score(config: ExperimentConfig, data: TrainingData) -> float:
    """The same experiment on the seed articles alone (no authored sentences or articles), to measure what
    our own data adds."""
    from dataclasses import replace

    seed_config = replace(config, data=replace(config.data, authored=False, corpus=False))
    corpus = data.corpus(seed_config)
    return summarize(corpus, cross_validate(seed_config, corpus), seed_config)["overall"]["macro_f1"]


def run_suite(suite: SuiteConfig) -> list[RunOutcome]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    uri = tracking.configure()
    exp_id = tracking.experiment_id(suite.experiment)
    tracking.fail_orphaned_runs(exp_id)
    log.info("tracking to %s, experiment '%s'", uri, suite.experiment)
    data = TrainingData.load()
    outcomes = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # frozen encoders' embeddings never change: every run of the suite shares them (mpnet encodes once)
    with Progress(*columns, transient=False) as progress, memoised_embeddings():
        for config in suite.runs:
            steps = len({r["article_id"] for r in data.gold}) + 2
            task = progress.add_task(f"{config.name} ({config.family})", total=steps)
            distil_progress = _distil_task(progress, config, data)
            try:
                outcomes.append(train_one(config, data, exp_id, lambda n, t=task: progress.advance(t, n),
                                          distil_progress))
            except Exception as exc:  # one broken run must not stop the suite; it is FAILED in MLflow
                log.error("%s failed: %s: %s", config.name, type(exc).__name__, exc)
                outcomes.append(RunOutcome(config.name, config.family, "FAILED", error=f"{type(exc).__name__}: {exc}"))
            progress.update(task, completed=steps)
    return outcomes


def _distil_task(progress, config: ExperimentConfig, data: TrainingData):
    """A progress bar over the student's training texts x epochs (None for runs without a student)."""
    if config.distill is None:
        return None
    from train.experiments.distill import distillation_texts

    texts = len(distillation_texts(data.gold, data.authored))
    if config.distill.max_texts:
        texts = min(texts, config.distill.max_texts)
    task = progress.add_task(f"{config.name}: distilling {config.distill.teacher}", total=texts * config.distill.epochs)
    return lambda n: progress.advance(task, n)


def outcome_table(outcomes: list[RunOutcome]):
    from rich.table import Table

    table = Table(title="Runs (macro-F1: leave-one-article-out CV on the seed gold set; dev and test: the refit "
                        "model on the article corpus's held-out splits)")
    for column in ("run", "family", "status", "macro-F1 [95% CI]", "seed-only", *[k.split("_")[0] for k in FRAME_KEYS],
                   "dev", "test", "train s", "MB", "sent/s", "registry"):
        table.add_column(column, no_wrap=column in ("run", "macro-F1 [95% CI]"))
    for o in outcomes:
        ci = f"{o.cv_macro_f1:.3f} [{o.ci[0]:.3f}, {o.ci[1]:.3f}]" if o.status == "FINISHED" else "-"
        table.add_row(o.name, o.family, o.status, ci, _fmt(o.seed_only_macro_f1),
                      *[_fmt(o.frame_f1.get(k, float("nan"))) for k in FRAME_KEYS],
                      *[_fmt(o.heldout.get(split, {}).get("macro_f1", float("nan"))) for split in HELDOUT_SPLITS],
                      _fmt(o.train_seconds, 0), _fmt(o.model_mb, 1), _fmt(o.sentences_per_s, 0),
                      o.registry or "FAILED")
    return table


def decisions_text(outcomes: list[RunOutcome]) -> str:
    return "\n".join(f"{o.name}: {o.decision or o.error}" for o in outcomes)


def _fmt(value: float, digits: int = 3) -> str:
    return "-" if value is None or np.isnan(value) else f"{value:.{digits}f}"


__all__ = ["run_suite", "outcome_table", "decisions_text", "RunOutcome"]
