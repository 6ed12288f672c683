from pathlib import Path

import pytest

from train.experiments.config import load_config
from train.errors import ConfigError
from train.paths import CONFIGS


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_default_suite_names_the_model_ladder():
    suite = load_config(CONFIGS / "default.yaml")
    assert [run.family for run in suite.runs] == ["lexicon", "tfidf", "embedding", "embedding", "embedding"]
    assert [run.params.encoder for run in suite.runs[2:]] == ["minilm", "mpnet", "mpnet"]
    assert [run.params.head for run in suite.runs[2:]] == ["linear", "linear", "mlp"]
    assert all(run.alias == "champion" and run.distill is None for run in suite.runs)  # fine-tuning, fast: opt-in
    fast = load_config(CONFIGS / "fast.yaml").runs[0]
    assert fast.alias == "fast" and fast.params.encoder == "student" and fast.distill.teacher == "mpnet"
    assert load_config(CONFIGS / "finetune.yaml").runs[0].family == "finetune"
    flat = suite.runs[1].flat()
    assert flat["model.family"] == "tfidf" and flat["model.C"] == 4.0 and flat["data.authored"] is True


def test_every_committed_config_parses():
    for path in CONFIGS.glob("*.yaml"):
        assert load_config(path).runs


@pytest.mark.parametrize("body, message", [
    ("name: x\nfamily: tfidf\nlearning_rate: 3\n", "unknown key 'learning_rate'"),
    ("name: x\nfamily: tfidf\nparams:\n  ngrams: 3\n", "params: unknown key 'ngrams'"),
    ("name: x\nfamily: tfidf\nparams:\n  C: high\n", "params.C: expected float"),
    ("name: x\nfamily: tfidf\ndata:\n  authored: 2\n", "data.authored: expected bool"),
    ("name: x\nfamily: svm\n", "unknown family 'svm'"),
    ("family: tfidf\n", "key 'name' is required"),
    ("name: x\nfamily: tfidf\nseed: 1.5\n", "seed: expected int"),
    ("[1, 2]\n", "expected a mapping"),
    ("name: [unclosed\n", "not valid YAML"),
])
def test_bad_configs_name_file_and_key(tmp_path, body, message):
    path = write(tmp_path / "bad.yaml", body)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_suite_errors(tmp_path):
    write(tmp_path / "a.yaml", "name: same\nfamily: lexicon\n")
    with pytest.raises(ConfigError, match="run names must be unique"):
        load_config(write(tmp_path / "suite.yaml", "runs: [a.yaml, a.yaml]\n"))
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(write(tmp_path / "suite2.yaml", "runs: [missing.yaml]\n"))
    with pytest.raises(ConfigError, match="unknown key 'run'"):
        load_config(write(tmp_path / "suite3.yaml", "runs: [a.yaml]\nrun: 1\n"))


def test_a_single_experiment_becomes_a_one_run_suite(tmp_path):
    suite = load_config(write(tmp_path / "one.yaml", "name: one\nfamily: lexicon\nparams: {scale: 2}\n"))
    assert len(suite.runs) == 1 and suite.runs[0].params.scale == 2.0


def test_neutral_sect_mentions_are_repeated_only_when_asked(tmp_path):
    from train.experiments.suite import TrainingData, neutral_sect_mention

    neutral = {"text": "The Sunni endowment repaired the roof.", "labels": [], "design_kind": "neutral_sect"}
    framed = {"text": "Sunni and Shia gangs traded killings.", "labels": ["sectarian_polarization"],
              "design_kind": "neutral_sect"}
    authored = {"text": "A Shia cleric opened the school.", "labels": [], "category": "neg:neutral_sect"}
    assert neutral_sect_mention(neutral) and neutral_sect_mention(authored) and not neutral_sect_mention(framed)
    data = TrainingData([], [neutral, framed, authored], "", "", [], [])
    path = write(tmp_path / "x.yaml", "name: x\nfamily: tfidf\ndata: {corpus: false, neutral_sect_repeats: 2}\n")
    assert len(data.extra(load_config(path).runs[0])) == 3 + 2 * 2
    with pytest.raises(ConfigError, match="neutral_sect_repeats"):
        load_config(write(tmp_path / "y.yaml", "name: y\nfamily: tfidf\ndata: {neutral_sect_repeats: -1}\n"))
