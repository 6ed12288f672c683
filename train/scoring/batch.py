"""`sectframes score`: batch scoring of new articles with a packaged model.

Documents stream from the inputs in batches; each batch's sentence rows, article summaries and problem
records are written as one crash-safe part (see `train.scoring.outputs`), so memory stays flat and `--resume`
continues where a killed run stopped. At the end the parts are merged into the output file, an article
summary, an errors file and a Markdown report with a plot of frame shares. Inputs of many batches are
scored by one worker process per core (`train.scoring.workers`), shorter ones in this process.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import shutil
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.frames import FRAME_KEYS
from models.predictor import NO_SENTENCES, OUTPUT_COLUMNS, UNITS
from train.errors import DiskFull, Interrupted, ModelLoadError, interrupt_code
from train.scoring.ingest import Document, Problem, looks_english, read_documents
from train.scoring.outputs import PartWriter, check_format, read_table, return_arrow_memory_promptly
from train.scoring.columns import attach, input_columns, kept_columns, output_name
from train.scoring.groups import FOLDER, group_sections
from train.scoring.options import ScoreOptions
from train.scoring.thresholds import apply_thresholds, model_gate_cut, thresholds_note
from train.scoring.resume import check_same_inputs, model_for_run, pinned_model
from train.scoring.workers import ModelPool, default_workers

log = logging.getLogger(__name__)
SUMMARY_COLUMNS = (["id", "source", "sentences", "prose_sentences", "headline_sentences", "furniture_sentences"]
                   + [f"share_{k}" for k in FRAME_KEYS] + [f"mean_p_{k}" for k in FRAME_KEYS]
                   + ["dominant_frame", "headline_frames", "english", "relevant_share"])
PROBLEM_COLUMNS = ["id", "source", "level", "reason"]
# Workers take 2-4 s to start and load the model: a smaller input (512 documents at the default batch
# size) is scored sooner in this process.
WORKER_MIN_BATCHES = 8


@dataclass
class ScoreSummary:
    documents: int = 0
    sentences: int = 0
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    model_used: str = ""  # the pinned model URI (a registry alias resolved to its version)
    already_complete: bool = False  # --resume on a finished output: nothing was done

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def pinned_version(self, requested: str) -> str:
        """The version actually used when `requested` named it another way (an alias), else ""."""
        return self.model_used if self.model_used and self.model_used != requested else ""


def summarize_article(doc: Document, rows: pd.DataFrame, english: bool, gate: float | None = None) -> dict:
    """Per article: sentence counts, share of body prose sentences per frame, mean probability, dominant
    frame; the headline is scored but counted apart (`headline_frames`), so one line cannot tip the shares.
    `relevant_share`: the share of its prose sentences over the model's relevance cut `gate` (NaN for a
    model without a relevance gate)."""
    prose = rows[rows["kind"] == "prose"]
    headlines = rows[rows["kind"] == "headline"]
    shares = {k: float(prose[k].mean()) if len(prose) else 0.0 for k in FRAME_KEYS}
    means = {k: float(prose[f"p_{k}"].mean()) if len(prose) else float("nan") for k in FRAME_KEYS}
    dominant = max(FRAME_KEYS, key=lambda k: (shares[k], np.nan_to_num(means[k])))
    return {"id": doc.id, "source": doc.source, "sentences": len(rows), "prose_sentences": len(prose),
            "headline_sentences": len(headlines), "furniture_sentences": len(rows) - len(prose) - len(headlines),
            **{f"share_{k}": shares[k] for k in FRAME_KEYS}, **{f"mean_p_{k}": means[k] for k in FRAME_KEYS},
            "dominant_frame": dominant if shares[dominant] > 0 else "none",
            "headline_frames": ";".join(k for k in FRAME_KEYS if len(headlines) and headlines[k].any()),
            "english": english,
            "relevant_share": float((prose["p_relevant"] >= gate).mean()) if gate is not None and len(prose)
            else float("nan")}


def _problem(record: Problem) -> dict:
    return {"id": record.id, "source": record.source, "level": record.level, "reason": record.reason}


def score_batch(model, docs: list[Document], unit: str,
                thresholds: dict[str, float] | None = None) -> tuple[pd.DataFrame, list[dict], list[dict]]:
    """Sentence rows, article summaries and problem records for one batch of documents."""
    frame = pd.DataFrame({"id": [d.id for d in docs], "text": [d.text for d in docs]})
    rows = model.predict(frame, params={"unit": unit}) if docs else pd.DataFrame(columns=OUTPUT_COLUMNS)
    if "p_relevant" not in rows:  # a model packaged before the relevance gate
        rows["p_relevant"] = np.nan
    gate = model_gate_cut(model)
    if thresholds:
        rows = apply_thresholds(rows, thresholds, gate)
    rows = rows[rows["kind"] != NO_SENTENCES]  # such a document becomes a problem record below
    summaries, problems = [], []
    by_id = dict(tuple(rows.groupby("id", sort=False))) if len(rows) else {}
    for doc in docs:
        doc_rows = by_id.get(doc.id)
        if doc_rows is None or doc_rows.empty:
            problems.append(_problem(Problem(doc.id, doc.source, "no sentences found in the text")))
            continue
        english = looks_english(doc.text)
        if not english:
            problems.append(_problem(Problem(doc.id, doc.source, "text does not look like English: scored, but "
                                             "the model was trained on English only", level="warning")))
        summaries.append(summarize_article(doc, doc_rows, english, gate))
    return rows, summaries, problems


def score_batch_task(model, batch: tuple[list[Document], list[dict], list[int]], unit: str):
    """`score_batch` for one (documents, problems, positions, thresholds) batch, as a worker process runs it."""
    return score_batch(model, batch[0], unit, batch[3])


def _batches(records, size: int, skip: set[int], thresholds: dict[str, float]):
    """Group the stream into (documents, problems, positions) batches of at most `size` documents.

    A record's position is its place in the input stream (files in discovery order, then rows), which is
    what the journal records as done: ids can repeat (a problem row and a later document may share one),
    positions cannot, so `--resume` skips exactly what was written and nothing else."""
    docs, problems, positions = [], [], []
    for position, record in enumerate(records):
        if position in skip:
            continue
        positions.append(position)
        if isinstance(record, Problem):
            problems.append(_problem(record))
        else:
            docs.append(record)
        if len(docs) >= size or len(problems) >= size * 4:
            yield docs, problems, positions, thresholds
            docs, problems, positions = [], [], []
    if docs or problems:
        yield docs, problems, positions, thresholds


def prepare_output(options: ScoreOptions) -> None:
    check_format(options.output)
    if options.unit not in UNITS:
        raise ValueError(f"--unit must be one of {UNITS}")
    if options.workers < 0:
        raise ValueError(f"--workers must be 0 (one per core) or a positive number, got {options.workers}")
    missing = [str(p) for p in options.inputs if not (p.exists() or p.is_symlink())]
    if missing:
        raise FileNotFoundError(f"input not found: {', '.join(missing)}")
    if options.output.exists() and not (options.overwrite or options.resume):
        raise FileExistsError(f"{options.output} exists: pass --overwrite to replace it")
    if options.work_folder.exists() and not (options.resume or options.overwrite):
        raise FileExistsError(f"{options.work_folder} holds an unfinished run: pass --resume to continue it "
                              "or --overwrite to start again")
    options.output.parent.mkdir(parents=True, exist_ok=True)


def load_model(model_uri: str):
    from train import tracking

    tracking.configure()
    return tracking.load_pyfunc(model_uri)


def run_scoring(options: ScoreOptions, model=None, progress: bool = True) -> ScoreSummary:
    """Score `options.inputs` into `options.output`. With worker processes (inputs of `WORKER_MIN_BATCHES`
    batches or more, `options.workers` != 1) a script that calls this needs an `if __name__ == "__main__":` guard, as
    multiprocessing's spawn start method re-imports the main module in each worker."""
    prepare_output(options)
    parts = PartWriter(options.work_folder, ".parquet")  # typed parts: kept text like "007" stays text
    if options.resume and options.output.exists() and not parts.journal.exists():
        log.info("%s is complete already: nothing to resume (pass --overwrite to score again)", options.output)
        shutil.rmtree(options.work_folder, ignore_errors=True)  # what a kill during the final clean-up left
        return ScoreSummary(already_complete=True)
    return_arrow_memory_promptly()
    done = parts.start(resume=options.resume)
    try:
        check_same_inputs(options, parts)
        kept = kept_columns(input_columns(options.inputs, options.follow_symlinks), options.keep_columns)
        check_group_by(options.group_by, kept)
        with tempfile.TemporaryDirectory(prefix="sectframes-model-") as folder:
            used = ""  # a model object given by the caller
            if model is None:  # one local copy for this process or the workers; a bad URI fails before any part
                used = model_for_run(options, parts)
                model = _download(used, options.model_uri, folder)
            if done:
                log.info("resuming: %d documents already done in %d parts", len(done), len(parts.entries))
            started = time.perf_counter()
            batches = _batches(read_documents(options.inputs, options.max_chars, options.follow_symlinks), options.batch_docs, done,
                               options.thresholds)
            with _progress(progress) as bar, _scored(batches, model, options) as scored:
                task = bar.add_task("scoring", total=None, sentences=0)
                for (docs, problems, positions, _), (rows, summaries, more) in scored:
                    articles = pd.DataFrame(summaries, columns=SUMMARY_COLUMNS)
                    tables = {"sentences": attach(rows, docs, kept, OUTPUT_COLUMNS + SUMMARY_COLUMNS),
                              "articles": attach(articles, docs, kept, OUTPUT_COLUMNS + SUMMARY_COLUMNS),
                              "errors": pd.DataFrame(problems + more, columns=PROBLEM_COLUMNS)}
                    parts.write(tables, positions)
                    bar.update(task, advance=len(docs), sentences=bar.tasks[0].fields["sentences"] + len(rows))
    except (KeyboardInterrupt, SystemExit) as exc:  # Ctrl-C, or SIGTERM (the CLI raises SystemExit(143))
        parts.discard_if_empty()
        finished = sum(len(entry["positions"]) for entry in parts.entries)
        hint = "; continue with --resume" if parts.entries else ""
        raise Interrupted(f"stopped after {finished} input records{hint}", interrupt_code(exc)) from None
    except OSError as exc:
        parts.discard_if_empty()
        if exc.errno == errno.ENOSPC and parts.entries:
            raise DiskFull(f"the disk is full ({exc.filename or options.work_folder}): free some space, then "
                           "continue with --resume") from None
        raise
    except BaseException:
        parts.discard_if_empty()
        raise
    return finish(options, parts, time.perf_counter() - started, used, kept)


def _download(model_uri: str, requested: str, folder: str) -> str:
    from train import tracking

    try:
        return tracking.download_model(model_uri, folder)
    except Exception as exc:
        shown = requested if model_uri == requested else f"{requested} ({model_uri})"
        raise ModelLoadError(f"cannot fetch the model {shown}: {type(exc).__name__}: {exc}") from exc


@contextlib.contextmanager
def _scored(batches, model, options: ScoreOptions):
    """(batch, result) pairs in input order. `model` is a loaded model (scored here) or a local model
    path: then inputs of `WORKER_MIN_BATCHES` batches or more go to worker processes, smaller ones are
    scored here."""
    workers = options.workers or default_workers()
    if isinstance(model, str) and workers > 1:
        head = list(itertools.islice(batches, WORKER_MIN_BATCHES))
        batches = itertools.chain(head, batches)
        if len(head) >= WORKER_MIN_BATCHES:
            with ModelPool(model, workers, load_model, score_batch_task) as pool:
                yield pool.map(batches, options.unit)
            return
    if isinstance(model, str):
        try:
            model = load_model(model)
        except Exception as exc:
            raise ModelLoadError(f"cannot load the model {options.model_uri}: {type(exc).__name__}: {exc}") from exc
    yield ((batch, score_batch(model, batch[0], options.unit, batch[3])) for batch in batches)


def finish(options: ScoreOptions, parts: PartWriter, seconds: float, model_used: str = "",
           kept: list[str] = ()) -> ScoreSummary:
    """Merge the parts into the final files, write the report, and remove the work folder."""
    summary = ScoreSummary(seconds=seconds, model_used=model_used)
    extra = [output_name(c, OUTPUT_COLUMNS + SUMMARY_COLUMNS) for c in kept]  # one name in both tables
    summary.sentences = parts.merge("sentences", options.output, OUTPUT_COLUMNS + extra)
    articles_path = options.companion("articles")
    summary.documents = parts.merge("articles", articles_path, SUMMARY_COLUMNS + extra)
    errors_path = options.companion("errors", ".jsonl")
    parts.merge("errors", errors_path, PROBLEM_COLUMNS)
    problems = read_table(errors_path) if errors_path.stat().st_size else pd.DataFrame(columns=PROBLEM_COLUMNS)
    summary.errors = problems[problems["level"] == "error"].to_dict("records")
    summary.warnings = problems[problems["level"] == "warning"].to_dict("records")
    articles = read_table(articles_path, extra) if summary.documents else pd.DataFrame(columns=SUMMARY_COLUMNS)
    write_report(options, summary, articles, kept)
    parts.remove()
    return summary


def check_group_by(by: str | None, kept: list[str]) -> None:
    if by and by != FOLDER and by not in kept:
        raise ValueError(f"--group-by {by}: not a kept input column (kept: {', '.join(kept) or 'none'}; "
                         f"'{FOLDER}' groups file inputs by sub-folder)")


def write_report(options: ScoreOptions, summary: ScoreSummary, articles: pd.DataFrame, kept: list[str] = ()) -> Path:
    from train.plots import frame_shares

    prose = articles["prose_sentences"].astype(float) if len(articles) else pd.Series(dtype=float)
    shares = {k: float((articles[f"share_{k}"].astype(float) * prose).sum() / prose.sum()) if prose.sum() else 0.0
              for k in FRAME_KEYS}
    plot = frame_shares(shares, options.companion("frame_shares", ".png"), f"{summary.documents} articles")
    dominant = articles["dominant_frame"].value_counts().to_dict() if len(articles) else {}
    pinned = summary.pinned_version(options.model_uri)
    pinned_note = f" (`{pinned}`)" if pinned else ""
    lines = [f"# Frame report: {options.output.name}", "",
             f"Model `{options.model_uri}`{pinned_note}, unit `{options.unit}`, {thresholds_note(options)}. "
             f"{summary.documents} documents scored, "
             f"{summary.sentences} sentence rows, {len(summary.errors)} documents not scored (errors), "
             f"{len(summary.warnings)} scored with a warning; {summary.seconds:.1f} s.", "",
             "| frame | share of prose sentences | articles where dominant |", "|---|---|---|"]
    lines += [f"| {k} | {shares[k]:.3f} | {dominant.get(k, 0)} |" for k in FRAME_KEYS]
    lines += [f"| (no frame) | | {dominant.get('none', 0)} |", "", f"![frame shares]({plot.name})", ""]
    name = {c: output_name(c, OUTPUT_COLUMNS + SUMMARY_COLUMNS) for c in kept}
    by = options.group_by if options.group_by == FOLDER else name.get(options.group_by or "")
    lines += group_sections(articles, by, name.get("date"), options.companion("groups"),
                            lambda kind: options.companion(kind, ".png"), options.include_off_topic)
    if summary.errors or summary.warnings:
        lines += ["## Problems", ""] + [f"- {p['level']}: `{p['id']}`: {p['reason']}"
                                        for p in (summary.errors + summary.warnings)[:200]]
    report = options.companion("report", ".md")
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


def _progress(enabled: bool):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    class Rates(TextColumn):
        def render(self, task):
            elapsed = max(task.elapsed or 0.0, 1e-9)
            return f"{task.completed:,.0f} docs ({task.completed / elapsed:,.1f}/s), " \
                   f"{task.fields['sentences']:,} sentences ({task.fields['sentences'] / elapsed:,.0f}/s)"

    return Progress(TextColumn("{task.description}"), BarColumn(), Rates(""), TimeElapsedColumn(),
                    disable=not enabled, transient=False)


def summary_lines(summary: ScoreSummary, options: ScoreOptions) -> list[str]:
    if summary.already_complete:
        return [f"{options.output} is complete already: nothing was changed (pass --overwrite to score again)"]
    lines = [f"scored {summary.documents} documents ({summary.sentences} sentence rows) in {summary.seconds:.1f} s "
             f"-> {options.output}",
             f"article summary: {options.companion('articles')}; report: {options.companion('report', '.md')}"]
    if summary.pinned_version(options.model_uri):
        lines.insert(1, f"model: {options.model_uri} = {summary.model_used}")
    if options.thresholds:
        lines.insert(1, thresholds_note(options))
    for record in summary.errors:
        lines.append(f"error: {record['id']}: {record['reason']}")
    for record in summary.warnings:
        lines.append(f"warning: {record['id']}: {record['reason']}")
    if summary.errors or summary.warnings:
        lines.append(f"{len(summary.errors)} error(s), {len(summary.warnings)} warning(s): "
                     f"see {options.companion('errors', '.jsonl')}")
    return lines


__all__ = ["ScoreOptions", "ScoreSummary", "model_for_run", "pinned_model", "run_scoring", "summary_lines", "check_same_inputs"]
