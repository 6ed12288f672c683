"""The Label Studio loop's first steps: sampling tasks from scores, importing an export."""

import json

import numpy as np
import pandas as pd
import pytest

from models.frames import FRAME_KEYS
from train.corpus.user_labels import agreement, import_labels, read_export
from train.errors import DataError
from train.scoring.sample import SampleOptions, pick, sample

pytestmark = pytest.mark.code


def scores(tmp_path, articles=20, per=6, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(articles):
        for i in range(per):
            p = rng.uniform(0, 1, 4)
            kind = "furniture" if i == per - 1 else "prose"
            rows.append({"id": f"a{a}", "sentence_index": i, "start": 0, "end": 1, "kind": kind,
                         "text": f"Sentence {i} of article {a}.",
                         **{f"p_{k}": (np.nan if kind == "furniture" else p[j]) for j, k in enumerate(FRAME_KEYS)},
                         **{k: bool(kind == "prose" and p[j] >= 0.5) for j, k in enumerate(FRAME_KEYS)},
                         "p_relevant": np.nan})
    path = tmp_path / "scores.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return path


def test_sampling_is_deterministic_capped_mixed_and_in_label_studio_format(tmp_path):
    path = scores(tmp_path)
    options = SampleOptions(n=30, random_share=0.3, per_article=2, seed=4)
    first, again = sample(path, options), sample(path, options)
    assert first == again and len(first) == 30
    per_article = pd.Series([t["data"]["article_id"] for t in first]).value_counts()
    assert per_article.max() <= 2
    drawn = [t["data"]["drawn"] for t in first]
    assert drawn.count("random") == 9 and drawn.count("uncertain") == 21
    task = first[0]
    assert {"sentence", "before", "after", "sample_id", "sampler"} <= set(task["data"])
    assert all("furniture" not in t["data"]["sentence"] for t in first)  # furniture is never sampled
    result = task["predictions"][0]["result"]
    assert all(r["from_name"] == "frames" and r["to_name"] == "sentence" and r["type"] == "choices" for r in result)


def test_uncertain_picks_sit_near_the_thresholds(tmp_path):
    rows = pd.read_parquet(scores(tmp_path))
    picked = pick(rows, {k: 0.5 for k in FRAME_KEYS}, SampleOptions(n=10, random_share=0.0, per_article=10))
    near = picked[[f"p_{k}" for k in FRAME_KEYS]].sub(0.5).abs().min(axis=1)
    everyone = rows[rows["kind"] == "prose"][[f"p_{k}" for k in FRAME_KEYS]].sub(0.5).abs().min(axis=1)
    assert near.max() <= everyone.quantile(0.2)


def export(tmp_path, tasks, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(tasks))
    return path


def task(i, annotations, sampler="sectframes-sample/1"):
    return {"id": i, "data": {"sentence": f"S{i}.", "sample_id": f"a:{i:03d}", "sampler": sampler, "article_id": "a",
                              "drawn": "random"},
            "annotations": [{"completed_by": who, "result": [{"type": "choices", "from_name": "frames",
                                                              "to_name": "sentence", "value": {"choices": labels}}]}
                            for who, labels in annotations],
            "predictions": [{"model_version": "m1", "result": []}]}


@pytest.mark.parametrize("tasks, message", [
    ([task(1, [(7, ["sectarianism"])])], "task 1: unknown frame"),
    ([task(1, [(7, ["humanitarian"])], sampler="")], "task 1: not made by `sectframes sample`"),
    ([task(1, [(7, ["humanitarian"]), (7, ["humanitarian"])])], "task 1: duplicate labels"),
    ([task(1, [(7, ["humanitarian"]), (7, ["state_failure"])])], "task 1: conflicting labels"),
])
def test_every_import_error_names_the_file_and_the_task(tmp_path, tasks, message):
    with pytest.raises(DataError, match=message) as error:
        read_export(export(tmp_path, tasks))
    assert "export.json" in str(error.value)


def test_import_writes_agreed_labels_with_provenance_and_reports_kappa(tmp_path):
    tasks = [task(i, [(1, ["humanitarian"] if i % 2 else []), (2, ["humanitarian"] if i % 2 or i == 4 else [])])
             for i in range(10)]
    target, summary = import_labels(export(tmp_path, tasks), tmp_path / "user")
    assert summary["agreed"] == 9 and summary["disputed"] == 1
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert records[1]["labels"] == ["humanitarian"] and records[0]["labels"] == []
    assert records[0]["provenance"]["pre_annotated_by"] == "m1" and records[0]["provenance"]["annotators"] == ["1", "2"]
    assert (tmp_path / "user" / "export.needs_adjudication.jsonl").exists()
    kappa = agreement(read_export(export(tmp_path, tasks)))["per_frame"]["humanitarian"]["kappa"]
    assert 0 < kappa < 1


def test_the_users_test_share_holds_out_whole_articles_stably():
    from train.corpus.user_labels import user_test

    records = [{"id": f"a{i}:{j:03d}", "article_id": f"a{i}"} for i in range(400) for j in range(3)]
    held = [r for r in records if user_test(r, 0.2)]
    assert 0.14 < len(held) / len(records) < 0.26
    assert all(user_test({"id": "x", "article_id": r["article_id"]}, 0.2) for r in held)  # by article
    assert not any(user_test(r, 0.0) for r in records)
