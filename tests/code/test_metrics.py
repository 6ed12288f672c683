import numpy as np

from train.experiments import metrics


def test_thresholds_separate_a_separable_frame():
    Y = np.array([[1], [1], [0], [0]])
    P = np.array([[0.9], [0.7], [0.4], [0.1]])
    t = metrics.choose_thresholds(Y, P)
    assert 0.4 < t[0] <= 0.7


def test_thresholds_ignore_nan_rows_and_keep_default_without_positives():
    Y = np.array([[1, 0], [0, 0], [1, 0]])
    P = np.array([[0.8, 0.9], [0.2, 0.1], [np.nan, np.nan]])
    t = metrics.choose_thresholds(Y, P, default=0.5)
    assert 0.2 < t[0] <= 0.8 and t[1] == 0.5


def test_overall_and_per_frame():
    Y = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 1]])
    D = Y.astype(bool).copy()
    D[2, 2] = True  # one false positive
    P = D.astype(float)
    overall = metrics.overall(Y, P, D)
    assert overall["exact_match"] == 0.75
    frames = metrics.per_frame(Y, P, D)
    assert frames["sectarian_polarization"]["f1"] == 1.0
    assert frames["foreign_intervention"]["precision"] == 0.0 and frames["foreign_intervention"]["support"] == 0


def test_bootstrap_interval_brackets_the_point_estimate():
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, (200, 4))
    D = np.where(rng.random((200, 4)) < 0.8, Y, 1 - Y).astype(bool)
    low, high = metrics.bootstrap_ci(Y, D, n=200)
    assert low < metrics.macro_f1(Y, D) < high


def test_reliability_bins_count_every_prediction():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.05, 0.95, 1.0, 0.5, 0.55])
    rows = metrics.reliability(y, p)
    assert sum(r["count"] for r in rows) == 5
