import numpy as np

from train.experiments.config import load_config
from train.experiments.crossval import Corpus, cross_validate, summarize


def tiny_corpus() -> Corpus:
    gold = []
    samples = [("The army fled the town.", ["state_failure"]), ("Militias killed villagers of the other sect.",
               ["sectarian_polarization", "humanitarian"]), ("Iran sent advisers and drones.", ["foreign_intervention"]),
               ("The market reopened.", [])]
    for article in ("a", "b", "c"):
        for i, (text, labels) in enumerate(samples):
            gold.append({"id": f"{article}:{i}", "article_id": article, "text": f"{text} ({article})", "labels": labels})
    extra = [{"id": "x1", "text": "Sectarian revenge attacks spread.", "labels": ["sectarian_polarization"]}]
    return Corpus.from_records(gold, extra)


def config(tmp_path, authored=True):
    path = tmp_path / "c.yaml"
    path.write_text(f"name: t\nfamily: tfidf\nseed: 5\ndata: {{authored: {str(authored).lower()}}}\n"
                    "evaluation: {bootstrap: 50}\n")
    return load_config(path).runs[0]


def test_every_article_is_a_test_fold_and_extra_rows_only_train(tmp_path, monkeypatch):
    import train.experiments.crossval as pipeline

    fits = []
    real = pipeline.fit_with_thresholds

    def spy(cfg, texts, groups, Y, corpus=None):
        fits.append((set(texts), set(groups)))
        return real(cfg, texts, groups, Y, corpus)

    monkeypatch.setattr(pipeline, "fit_with_thresholds", spy)
    corpus = tiny_corpus()
    result = cross_validate(config(tmp_path), corpus)
    assert list(result.fold_metrics) == ["a", "b", "c"]
    for (texts, groups), article in zip(fits, "abc"):
        assert article not in groups  # the test article never reaches training or threshold choice
        assert not any(t.endswith(f"({article})") for t in texts)
        assert "Sectarian revenge attacks spread." in texts
    assert result.proba.shape == corpus.Y.shape


def test_same_config_and_seed_give_the_same_metrics(tmp_path):
    corpus = tiny_corpus()
    cfg = config(tmp_path)
    first = summarize(corpus, cross_validate(cfg, corpus), cfg)
    second = summarize(corpus, cross_validate(cfg, corpus), cfg)
    assert first["overall"] == second["overall"] and first["ci"] == second["ci"]
    assert np.isfinite(first["overall"]["macro_f1"])


def test_with_a_dev_split_each_fold_decides_on_dev_and_never_on_its_test_article(tmp_path, monkeypatch):
    """Deciding on dev: every fold's calibration and thresholds come from the dev rows (what the packaged
    model does), so the held-out article's own labels never choose its thresholds."""
    import train.experiments.crossval as pipeline

    seen = []
    real = pipeline.decide_on

    def spy(model, texts, Y, calibrate, default):
        seen.append(list(texts))
        return real(model, texts, Y, calibrate, default)

    monkeypatch.setattr(pipeline, "decide_on", spy)
    corpus = tiny_corpus()
    corpus.dev_texts = ["The police abandoned their posts.", "Shia and Sunni gangs traded killings.",
                        "Turkish troops crossed the border.", "Aid convoys fed the displaced."]
    corpus.dev_Y = np.eye(4, dtype=np.int8)[[1, 0, 2, 3]]
    result = cross_validate(config(tmp_path), corpus)
    assert len(seen) == 3 and all(texts == corpus.dev_texts for texts in seen)  # one decision per fold, on dev
    assert np.isfinite(result.proba).all() and ((result.proba >= 0) & (result.proba <= 1)).all()
    model, thresholds = pipeline.refit(config(tmp_path), corpus)
    assert not isinstance(model, pipeline.Calibrated) and thresholds is None  # selection decides the refit on dev
    assert len(seen) == 3  # and the refit chose nothing on dev itself
