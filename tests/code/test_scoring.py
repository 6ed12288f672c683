"""Batch scoring: outputs, companions, crash safety and resume, exit status."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.families.lexicon import LexiconFamily
from models.frames import FRAME_KEYS
from models.predictor import OUTPUT_COLUMNS, FramePredictor, save_model
from train.scoring.outputs import PartWriter, read_table
from train.scoring.batch import SUMMARY_COLUMNS, ScoreOptions, run_scoring

ARTICLES = [
    "Militias of one sect attacked the other sect's mosques in revenge.\n\nBy [A. Writer](#)",
    "Civilians fled the siege and families were displaced. The army collapsed.",
    "The central bank kept interest rates unchanged on Tuesday.",
]


class LocalModel:
    """The packaged predictor's pyfunc contract (`predict(frame, params)`) without MLflow."""

    def __init__(self, directory: Path, fail_after_batches: int | None = None):
        self.predictor = FramePredictor.load(directory)
        self.calls, self.fail_after = 0, fail_after_batches

    def predict(self, frame, params=None):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("simulated crash while scoring")
        return self.predictor.predict(frame, unit=(params or {}).get("unit", "article"))


@pytest.fixture
def model_dir(tmp_path):
    save_model(LexiconFamily(), np.full(4, 0.5), tmp_path / "model")
    return tmp_path / "model"


def corpus(tmp_path: Path, n: int = 12) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"id": f"doc{i}", "text": ARTICLES[i % 3]}) + "\n" for i in range(n))
                    + "{broken\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_outputs_in_every_format(tmp_path, model_dir, suffix):
    options = ScoreOptions([corpus(tmp_path, 3)], tmp_path / "out" / f"scores{suffix}", batch_docs=2)
    summary = run_scoring(options, model=LocalModel(model_dir), progress=False)
    rows = read_table(options.output)
    assert list(rows.columns) == OUTPUT_COLUMNS and summary.documents == 3
    assert rows.groupby("id").size().to_dict() == {"doc0": 2, "doc1": 2, "doc2": 1}
    assert rows.loc[rows["kind"] == "furniture", list(FRAME_KEYS)].sum().sum() == 0
    articles = read_table(options.companion("articles"))
    assert list(articles.columns) == SUMMARY_COLUMNS
    doc1 = articles.set_index("id").loc["doc1"]
    assert doc1["share_humanitarian"] == 0.5 and doc1["share_state_failure"] == 0.5
    assert doc1["dominant_frame"] in ("humanitarian", "state_failure") and doc1["prose_sentences"] == 2
    assert articles.set_index("id").loc["doc2", "dominant_frame"] == "none"
    errors = [json.loads(line) for line in options.companion("errors", ".jsonl").read_text().splitlines()]
    assert len(errors) == 1 and "not valid JSON" in errors[0]["reason"] and summary.failed
    assert "share of prose sentences" in options.companion("report", ".md").read_text()
    assert options.companion("frame_shares", ".png").exists() and not options.work_folder.exists()


def test_a_crash_leaves_no_output_and_resume_completes_exactly_once(tmp_path, model_dir):
    source = corpus(tmp_path, 12)
    clean = ScoreOptions([source], tmp_path / "clean.parquet", batch_docs=3)
    run_scoring(clean, model=LocalModel(model_dir), progress=False)

    options = ScoreOptions([source], tmp_path / "scores.parquet", batch_docs=3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_scoring(options, model=LocalModel(model_dir, fail_after_batches=2), progress=False)
    assert not options.output.exists() and options.work_folder.exists()
    with pytest.raises(FileExistsError, match="--resume"):
        run_scoring(options, model=LocalModel(model_dir), progress=False)

    options.resume = True
    resumed_model = LocalModel(model_dir)
    run_scoring(options, model=resumed_model, progress=False)
    assert resumed_model.calls == 2  # only the two batches not finished before the crash
    pd.testing.assert_frame_equal(read_table(options.output), read_table(clean.output))
    pd.testing.assert_frame_equal(read_table(options.companion("articles")), read_table(clean.companion("articles")))


def test_a_torn_journal_line_and_unjournaled_parts_are_redone(tmp_path):
    writer = PartWriter(tmp_path / "parts", ".jsonl")
    writer.start(resume=False)
    writer.write({"sentences": pd.DataFrame({"id": ["a"]})}, ["a"])
    writer.write({"sentences": pd.DataFrame({"id": ["b"]})}, ["b"])
    journal = writer.journal.read_text().splitlines()
    writer.journal.write_text(journal[0] + "\n" + journal[1][:10])  # killed while writing the last entry
    (tmp_path / "parts" / ".part-00002.sentences.jsonl.tmp").write_text("half")
    again = PartWriter(tmp_path / "parts", ".jsonl")
    assert again.start(resume=True) == {"a"}
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["journal.jsonl", "part-00000.sentences.jsonl"]


def test_existing_output_needs_overwrite(tmp_path, model_dir):
    options = ScoreOptions([corpus(tmp_path, 1)], tmp_path / "s.jsonl")
    options.output.write_text("old")
    with pytest.raises(FileExistsError, match="--overwrite"):
        run_scoring(options, model=LocalModel(model_dir), progress=False)
    options.overwrite = True
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    assert read_table(options.output)["id"].tolist()[0] == "doc0"


def test_bad_output_suffix(tmp_path, model_dir):
    with pytest.raises(ValueError, match="output must end in"):
        run_scoring(ScoreOptions([corpus(tmp_path, 1)], tmp_path / "s.xlsx"), model=LocalModel(model_dir),
                    progress=False)


def test_sentence_unit_scores_rows_as_given(tmp_path, model_dir):
    path = tmp_path / "s.csv"
    pd.DataFrame({"id": ["s1", "s2"], "text": ["Civilians fled. The army collapsed.", "Rates held."]}).to_csv(path, index=False)
    options = ScoreOptions([path], tmp_path / "o.csv", unit="sentence")
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    rows = read_table(options.output)
    assert rows["id"].tolist() == ["s1", "s2"] and rows["sentence_index"].tolist() == [0, 0]


def test_cli_exit_status_and_output(mlflow_store, tmp_path):
    from tests.conftest import write_suite
    from train.cli import main
    from train.experiments.config import load_config
    from train.experiments.suite import run_suite

    run_suite(load_config(write_suite(mlflow_store, families=("lexicon",))))
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "g", "text": ARTICLES[1]}) + "\n")
    assert main(["score", str(good), "-o", str(tmp_path / "a.jsonl"), "-q"]) == 0
    assert main(["score", str(corpus(tmp_path, 2)), "-o", str(tmp_path / "b.jsonl"), "-q"]) == 1
    assert main(["score", str(good), "-o", str(tmp_path / "a.jsonl"), "-q"]) == 2  # exists, no --overwrite
    assert main(["score", str(good), "-o", str(tmp_path / "c.jsonl"), "--model", "models:/nope/1", "-q"]) == 2


def test_worker_processes_write_what_one_process_writes(mlflow_store, tmp_path, caplog):
    import logging

    from tests.conftest import write_suite
    from train.cli import main
    from train.experiments.config import load_config
    from train.experiments.suite import run_suite

    run_suite(load_config(write_suite(mlflow_store, families=("lexicon",))))
    source = corpus(tmp_path, 9)  # nine batches of one document (and one broken line): enough for workers
    outputs = {}
    caplog.set_level(logging.INFO, logger="train.scoring.workers")
    for workers in ("1", "2"):
        output = tmp_path / f"workers{workers}" / "scores.parquet"
        assert main(["score", str(source), "-o", str(output), "-q", "--batch-docs", "1", "--workers", workers]) == 1
        options = ScoreOptions([source], output)
        outputs[workers] = [read_table(path) for path in (output, options.companion("articles"),
                                                          options.companion("errors", ".jsonl"))]
    assert "scoring with 2 worker processes" in caplog.text
    for one, two in zip(outputs["1"], outputs["2"]):
        pd.testing.assert_frame_equal(one, two)
    assert len(outputs["2"][1]) == 9 and len(outputs["2"][2]) == 1


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_model_that_cannot_load_exits_2_and_leaves_no_work_folder(tmp_path, workers):
    from train.cli import main

    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "MLmodel").write_text("flavors: [this is not a model\n")
    output = tmp_path / "scores.jsonl"
    source = corpus(tmp_path, 9)
    assert main(["score", str(source), "-o", str(output), "--model", str(broken), "-q", "--batch-docs", "1",
                 "--workers", workers]) == 2
    assert not output.exists() and not ScoreOptions([source], output).work_folder.exists()


def test_a_resumed_run_keeps_the_model_version_it_started_with(mlflow_store, tmp_path, monkeypatch, caplog):
    import logging

    from mlflow.tracking import MlflowClient

    import train.scoring.batch as scoring
    from tests.conftest import write_suite
    from train import tracking
    from train.experiments.config import load_config
    from train.experiments.suite import run_suite

    suite = load_config(write_suite(mlflow_store, families=("lexicon",)))
    run_suite(suite), run_suite(suite)  # versions 1 and 2; a tie keeps the champion on version 1
    assert tracking.pinned_model_uri("models:/sectarian-frames@champion") == "models:/sectarian-frames/1"
    assert tracking.pinned_model_uri("models:/sectarian-frames/latest") == "models:/sectarian-frames/2"
    assert tracking.pinned_model_uri("models:/sectarian-frames/2") == "models:/sectarian-frames/2"
    assert tracking.pinned_model_uri(str(tmp_path)) == str(tmp_path)

    loaded = scoring.load_model

    def crash_after_two_batches(path):  # the first run dies part way, as a killed one would
        model, calls = loaded(path), []

        class Failing:
            def predict(self, frame, params=None):
                calls.append(1)
                if len(calls) > 2:
                    raise RuntimeError("simulated crash")
                return model.predict(frame, params=params)
        return Failing()

    source, output = corpus(tmp_path, 6), tmp_path / "scores.jsonl"
    options = ScoreOptions([source], output, batch_docs=1, workers=1)
    monkeypatch.setattr(scoring, "load_model", crash_after_two_batches)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_scoring(options, progress=False)
    monkeypatch.setattr(scoring, "load_model", loaded)

    MlflowClient().set_registered_model_alias("sectarian-frames", "champion", "2")  # the alias moves meanwhile
    caplog.set_level(logging.WARNING, logger="train.scoring.batch")
    options.resume = True
    summary = run_scoring(options, progress=False)
    assert summary.model_used == "models:/sectarian-frames/1"
    assert "continues with models:/sectarian-frames/1" in caplog.text
    assert "(`models:/sectarian-frames/1`)" in options.companion("report", ".md").read_text()
    assert sorted(read_table(options.companion("articles"))["id"]) == [f"doc{i}" for i in range(6)]

    # a resume with another --model is refused before anything is scored
    options = ScoreOptions([source], tmp_path / "again.jsonl", batch_docs=1, workers=1)
    monkeypatch.setattr(scoring, "load_model", crash_after_two_batches)
    with pytest.raises(RuntimeError):
        run_scoring(options, progress=False)
    monkeypatch.setattr(scoring, "load_model", loaded)
    other = ScoreOptions([source], options.output, model_uri="models:/sectarian-frames/2", batch_docs=1, workers=1,
                         resume=True)
    with pytest.raises(ValueError, match="was started with --model models:/sectarian-frames@champion"):
        run_scoring(other, progress=False)
    assert run_scoring(ScoreOptions([source], options.output, resume=True, batch_docs=1, workers=1),
                       progress=False).model_used == "models:/sectarian-frames/2"


def _tables(options):
    errors = options.companion("errors", ".jsonl")
    return (read_table(options.output), read_table(options.companion("articles")),
            errors.read_text(encoding="utf-8"))


def tricky_corpus(tmp_path: Path) -> Path:
    """Problem rows between documents: an id first seen on a row with no text and then on a document, a
    duplicate id, a broken line, and ordinary documents."""
    rows = [{"id": "a", "text": ARTICLES[0]}, {"id": "shared"}, {"id": "b", "text": ARTICLES[1]},
            {"id": "shared", "text": ARTICLES[1]}, {"id": "a", "text": ARTICLES[2]}, None,
            {"id": "c", "text": ARTICLES[2]}, {"id": "d", "text": ""}, {"id": "e", "text": ARTICLES[0]}]
    path = tmp_path / "tricky.jsonl"
    path.write_text("".join("{broken\n" if r is None else json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("crash_after", [0, 1, 2, 3, 4])
def test_resume_after_a_crash_at_any_batch_equals_a_clean_run_row_for_row(tmp_path, model_dir, crash_after):
    """Journaled by input position: a document whose id first appeared on a problem row is not lost, and
    problem records (duplicate id, no text, bad JSON) are neither lost nor doubled."""
    source = tricky_corpus(tmp_path)
    clean = ScoreOptions([source], tmp_path / "clean.jsonl", batch_docs=1)
    run_scoring(clean, model=LocalModel(model_dir), progress=False)
    assert "shared" in set(read_table(clean.output)["id"])
    options = ScoreOptions([source], tmp_path / "scores.jsonl", batch_docs=1)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_scoring(options, model=LocalModel(model_dir, fail_after_batches=crash_after), progress=False)
    options.resume = True
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    for resumed, expected in zip(_tables(options), _tables(clean)):
        if isinstance(expected, str):
            assert resumed == expected
        else:
            pd.testing.assert_frame_equal(resumed, expected)


def test_resume_refuses_inputs_that_changed(tmp_path, model_dir):
    source = corpus(tmp_path, 12)
    options = ScoreOptions([source], tmp_path / "scores.jsonl", batch_docs=3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_scoring(options, model=LocalModel(model_dir, fail_after_batches=1), progress=False)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "x", "text": ARTICLES[1]}) + "\n", encoding="utf-8")
    options.resume = True
    options.inputs = [other]
    with pytest.raises(ValueError, match="inputs differ"):
        run_scoring(options, model=LocalModel(model_dir), progress=False)
    options.inputs = [source]
    with source.open("a", encoding="utf-8") as handle:  # the same file, grown since
        handle.write(json.dumps({"id": "late", "text": ARTICLES[0]}) + "\n")
    with pytest.raises(ValueError, match="inputs differ"):
        run_scoring(options, model=LocalModel(model_dir), progress=False)


def test_resume_on_a_complete_output_changes_nothing(tmp_path, model_dir):
    options = ScoreOptions([corpus(tmp_path, 3)], tmp_path / "scores.jsonl")
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    before = options.output.read_bytes()
    options.resume, options.model_uri = True, "models:/another@champion"
    model = LocalModel(model_dir)
    summary = run_scoring(options, model=model, progress=False)
    assert summary.already_complete and not summary.failed and model.calls == 0
    assert options.output.read_bytes() == before


def test_a_missing_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, caplog):
    from train.cli import main

    output = tmp_path / "out" / "scores.jsonl"
    assert main(["score", str(tmp_path / "nope.jsonl"), "-o", str(output), "--model", str(tmp_path)]) == 2
    assert "input not found" in caplog.text and "Traceback" not in capsys.readouterr().err
    assert not output.exists() and not (tmp_path / "out" / "scores.jsonl.parts").exists()


class InterruptedModel(LocalModel):
    def __init__(self, directory, after: int, exc: BaseException):
        super().__init__(directory)
        self.after, self.exc = after, exc

    def predict(self, frame, params=None):
        if self.calls >= self.after:
            raise self.exc
        return super().predict(frame, params)


@pytest.mark.parametrize("exc, code", [(KeyboardInterrupt(), 130), (SystemExit(143), 143)])
def test_ctrl_c_and_sigterm_stop_with_one_line_and_resume_continues(tmp_path, model_dir, exc, code):
    from train.errors import Interrupted

    options = ScoreOptions([corpus(tmp_path, 12)], tmp_path / "scores.jsonl", batch_docs=3)
    with pytest.raises(Interrupted, match=r"stopped after 3 input records; continue with --resume") as stopped:
        run_scoring(options, model=InterruptedModel(model_dir, 1, exc), progress=False)
    assert stopped.value.code == code
    options.resume = True
    assert run_scoring(options, model=LocalModel(model_dir), progress=False).documents == 12


def test_the_cli_turns_an_interruption_into_its_exit_status(monkeypatch, caplog):
    import train.cli as cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_compare", interrupted)
    assert cli.main(["compare"]) == 130 and "stopped by Ctrl-C" in caplog.text


def test_a_disk_that_fills_mid_run_stops_with_resume_advice_and_resume_completes(tmp_path, model_dir, monkeypatch):
    import errno

    from train.errors import DiskFull

    options = ScoreOptions([corpus(tmp_path, 12)], tmp_path / "scores.jsonl", batch_docs=3)
    real_write, calls = PartWriter.write, []

    def fills_up(self, tables, positions):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.folder / "part"))
        return real_write(self, tables, positions)

    monkeypatch.setattr(PartWriter, "write", fills_up)
    with pytest.raises(DiskFull, match="continue with --resume"):
        run_scoring(options, model=LocalModel(model_dir), progress=False)
    monkeypatch.setattr(PartWriter, "write", real_write)
    options.resume = True
    assert run_scoring(options, model=LocalModel(model_dir), progress=False).documents == 12


def test_an_unwritable_output_folder_exits_2_with_one_line(tmp_path, monkeypatch, caplog, capsys):
    import errno

    from train.cli import main

    source = corpus(tmp_path, 2)

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    assert main(["score", str(source), "-o", str(tmp_path / "ro" / "s.jsonl"), "--model", str(tmp_path)]) == 2
    assert "Read-only file system" in caplog.text and "Traceback" not in capsys.readouterr().err


def test_model_short_forms(mlflow_store, tmp_path):
    from tests.conftest import write_suite
    from train.cli import main
    from train.errors import ModelLoadError
    from train.experiments.config import load_config
    from train.experiments.suite import run_suite
    from train.scoring.model_ref import resolve_model_reference

    outcome = run_suite(load_config(write_suite(mlflow_store, families=("lexicon",))))[0]
    assert resolve_model_reference("@champion") == "models:/sectarian-frames@champion"
    assert resolve_model_reference("1") == "models:/sectarian-frames/1"
    assert resolve_model_reference(outcome.name) == f"runs:/{outcome.run_id}/model"
    assert resolve_model_reference("runs:/abc/model") == "runs:/abc/model"
    with pytest.raises(ModelLoadError, match="make compare"):
        resolve_model_reference("no-such-run")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "g", "text": ARTICLES[1]}) + "\n")
    for number, short in enumerate(("1", "@champion", outcome.name)):
        assert main(["score", str(good), "-o", str(tmp_path / f"{number}.jsonl"), "--model", short, "-q"]) == 0


def test_headlines_are_scored_but_counted_apart_and_datelines_are_furniture(tmp_path, model_dir):
    path = tmp_path / "wire.jsonl"
    text = ("Families flee as militias attack mosques\n\nBEIRUT, 14 November (Reuters) - The central bank kept "
            "interest rates unchanged on Tuesday.")
    path.write_text(json.dumps({"id": "w", "text": text}) + "\n", encoding="utf-8")
    options = ScoreOptions([path], tmp_path / "s.jsonl")
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    rows = read_table(options.output)
    assert rows["kind"].tolist() == ["headline", "furniture", "prose"]
    assert rows["p_humanitarian"].notna().tolist() == [True, False, True]
    article = read_table(options.companion("articles")).iloc[0]
    assert article["headline_sentences"] == 1 and article["prose_sentences"] == 1
    headline_frames = [k for k in FRAME_KEYS if rows.iloc[0][k]]
    assert headline_frames and article["headline_frames"] == ";".join(headline_frames)
    assert all(article[f"share_{k}"] == 0 for k in headline_frames)  # the body is about interest rates


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_tabular_inputs_keep_their_other_columns(tmp_path, model_dir, suffix):
    source = tmp_path / f"in{suffix}"
    frame = pd.DataFrame({"id": ["a", "b", "c"], "text": ARTICLES, "outlet": ["X", "Y", None],
                          "date": ["2014-06-10", "2014-06-11", "2014-06-12"], "kind": ["op", "news", "news"]})
    if suffix == ".jsonl":
        frame.to_json(source, orient="records", lines=True)
    elif suffix == ".csv":
        frame.to_csv(source, index=False)
    else:
        frame.to_parquet(source)
    options = ScoreOptions([source], tmp_path / f"out{suffix}", batch_docs=1)
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    rows, articles = read_table(options.output), read_table(options.companion("articles"))
    assert list(rows.columns) == OUTPUT_COLUMNS + ["outlet", "date", "input.kind"]  # 'kind' clashes
    assert rows.groupby("id")["date"].first().to_dict() == {"a": "2014-06-10", "b": "2014-06-11", "c": "2014-06-12"}
    assert articles.set_index("id").loc["b", "outlet"] == "Y" and articles.set_index("id").loc["a", "input.kind"] == "op"
    some = ScoreOptions([source], tmp_path / f"some{suffix}", keep_columns="date")
    run_scoring(some, model=LocalModel(model_dir), progress=False)
    assert list(read_table(some.output).columns) == OUTPUT_COLUMNS + ["date"]
    with pytest.raises(ValueError, match="no input has the column"):
        run_scoring(ScoreOptions([source], tmp_path / f"bad{suffix}", keep_columns="url"),
                    model=LocalModel(model_dir), progress=False)


def test_group_by_a_column_gives_shares_with_intervals_a_table_plots_and_a_timeline(tmp_path, model_dir):
    source = tmp_path / "in.csv"
    n = 24
    pd.DataFrame({"id": [f"d{i}" for i in range(n)], "text": [ARTICLES[i % 3] for i in range(n)],
                  "outlet": ["A" if i % 2 else "B" for i in range(n)],
                  "date": [f"2014-0{1 + i % 4}-15" for i in range(n)]}).to_csv(source, index=False)
    options = ScoreOptions([source], tmp_path / "s.parquet", group_by="outlet")
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    groups = read_table(options.companion("groups"))
    assert groups["group"].tolist() == ["A", "B"] and groups["articles"].tolist() == [12, 12]
    for key in FRAME_KEYS:
        assert (groups[f"share_{key}_ci_low"] <= groups[f"share_{key}"]).all()
        assert (groups[f"share_{key}"] <= groups[f"share_{key}_ci_high"]).all()
    report = options.companion("report", ".md").read_text()
    assert "Frame shares by outlet" in report and "month (date)" in report
    assert options.companion("groups", ".png").exists() and options.companion("timeline", ".png").exists()
    with pytest.raises(ValueError, match="not a kept input column"):
        run_scoring(ScoreOptions([source], tmp_path / "x.parquet", group_by="url"), model=LocalModel(model_dir),
                    progress=False)


def test_group_by_folder_for_file_inputs(tmp_path, model_dir):
    for folder, text in (("iraq", ARTICLES[1]), ("syria", ARTICLES[0])):
        (tmp_path / "in" / folder).mkdir(parents=True)
        for i in range(3):
            (tmp_path / "in" / folder / f"{i}.txt").write_text(text, encoding="utf-8")
    options = ScoreOptions([tmp_path / "in"], tmp_path / "s.jsonl", group_by="folder")
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    groups = read_table(options.companion("groups"))
    assert groups.set_index("group")["articles"].to_dict() == {"iraq": 3, "syria": 3}


def test_a_share_interval_resamples_articles_not_sentences():
    from train.scoring.groups import share_with_interval

    rng = np.random.default_rng(0)
    # one long article all framed, nine short ones not: sentence-level pooling would claim certainty
    share, low, high = share_with_interval(np.array([90.0] + [0.0] * 9), np.array([90.0] + [10.0] * 9), rng)
    assert share == 0.5 and low < 0.2 and high > 0.75  # a sentence-level interval would be about ±0.07


def test_a_users_threshold_changes_the_decisions_and_the_report_says_so(tmp_path, model_dir):
    source = corpus(tmp_path, 6)
    default = ScoreOptions([source], tmp_path / "a.jsonl")
    run_scoring(default, model=LocalModel(model_dir), progress=False)
    strict = ScoreOptions([source], tmp_path / "b.jsonl", thresholds={"humanitarian": 0.99})
    run_scoring(strict, model=LocalModel(model_dir), progress=False)
    before, after = read_table(default.output), read_table(strict.output)
    assert before["humanitarian"].sum() > 0 and after["humanitarian"].sum() == 0
    assert (before["state_failure"] == after["state_failure"]).all()  # other frames keep the model's
    assert "humanitarian=0.99" in strict.companion("report", ".md").read_text()


def test_the_threshold_option_is_checked():
    from train.cli import _thresholds

    assert _thresholds(["humanitarian=0.7", "state_failure=0.2"]) == {"humanitarian": 0.7, "state_failure": 0.2}
    for bad in ("humanitarian=1.5", "sectarianism=0.5", "humanitarian"):
        with pytest.raises(ValueError, match="FRAME=VALUE"):
            _thresholds([bad])


def test_off_topic_articles_are_listed_and_left_out_of_the_group_shares(tmp_path):
    from models.relevance import RelevanceGate

    conflict = ["Militias of one sect attacked the other sect's mosques in revenge.",
                "Civilians fled the siege and families were displaced as the army collapsed."]
    sport = ["The visitors' defence collapsed in the second half and the home side scored twice.",
             "The striker's army of fans sang through the siege of the visitors' goal."]
    gate = RelevanceGate.fit(conflict * 4 + sport * 4, np.array([1] * 8 + [0] * 8))
    gate.threshold = 0.5
    save_model(LexiconFamily(), np.full(4, 0.5), tmp_path / "gated", gate=gate)
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": ["c1", "c2", "s1"], "text": [" ".join(conflict)] * 2 + [" ".join(sport)],
                  "outlet": ["A", "A", "A"]}).to_csv(source, index=False)
    options = ScoreOptions([source], tmp_path / "out.jsonl", group_by="outlet")
    run_scoring(options, model=LocalModel(tmp_path / "gated"), progress=False)
    articles = read_table(options.companion("articles")).set_index("id")
    assert articles.loc["s1", "relevant_share"] == 0 and articles.loc["c1", "relevant_share"] == 1
    assert read_table(options.companion("groups"))["articles"].tolist() == [2]  # s1 left out
    report = options.companion("report", ".md").read_text()
    assert "Off-topic articles (1)" in report and "`s1`" in report
    kept = ScoreOptions([source], tmp_path / "all.jsonl", group_by="outlet", include_off_topic=True)
    run_scoring(kept, model=LocalModel(tmp_path / "gated"), progress=False)
    assert read_table(kept.companion("groups"))["articles"].tolist() == [3]


def test_a_torn_journal_line_is_dropped_so_later_parts_are_not_lost(tmp_path):
    writer = PartWriter(tmp_path / "parts", ".jsonl")
    writer.start(resume=False)
    writer.write({"sentences": pd.DataFrame({"id": ["a"]})}, [0])
    with writer.journal.open("a") as handle:
        handle.write('{"part": 1, "tab')  # killed while writing an entry
    again = PartWriter(tmp_path / "parts", ".jsonl")
    assert again.start(resume=True) == {0}
    again.write({"sentences": pd.DataFrame({"id": ["b"]})}, [1])
    assert PartWriter(tmp_path / "parts", ".jsonl").start(resume=True) == {0, 1}


def test_a_kill_during_the_final_clean_up_leaves_an_output_that_resume_calls_complete(tmp_path, model_dir):
    options = ScoreOptions([corpus(tmp_path, 3)], tmp_path / "s.jsonl")
    run_scoring(options, model=LocalModel(model_dir), progress=False)
    options.work_folder.mkdir()  # what a kill after the journal went, before the folder did, leaves
    (options.work_folder / "part-00000.sentences.jsonl").write_text("{}\n")
    options.resume = True
    assert run_scoring(options, model=LocalModel(model_dir), progress=False).already_complete
    assert not options.work_folder.exists()


def test_kept_columns_stay_text_in_every_format(tmp_path, model_dir):
    source = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a", "b"], "text": ARTICLES[:2], "code": ["007", "2019"]}).to_csv(source, index=False)
    for suffix in (".csv", ".jsonl"):
        options = ScoreOptions([source], tmp_path / f"o{suffix}", group_by="code")
        run_scoring(options, model=LocalModel(model_dir), progress=False)
        assert sorted(read_table(options.companion("groups"), ["group"])["group"]) == ["007", "2019"]
