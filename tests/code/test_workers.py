"""Worker processes for scoring: order, errors, thread budget (functions run in spawned processes, so
they live at module level)."""

import pytest

from models.encoder import THREADS_VARIABLE, inference_threads
from train.workers import ModelPool, threads_per_worker


def _load_name(path: str) -> str:
    return f"model at {path}"


def _double(model: str, item: int, offset: int) -> tuple[str, int]:
    import os

    return model, item * 2 + offset, os.environ[THREADS_VARIABLE]


def _cannot_load(path: str):
    raise OSError(f"cannot read {path}")


def test_results_come_back_in_input_order_from_every_worker():
    with ModelPool("/m", 2, _load_name, _double) as pool:
        results = list(pool.map(range(12), 1))
    assert [item for item, _ in results] == list(range(12))
    assert [result[:2] for _, result in results] == [("model at /m", 2 * i + 1) for i in range(12)]
    assert {result[2] for _, result in results} == {str(threads_per_worker(2))}


def test_a_worker_that_cannot_load_the_model_says_why():
    with pytest.raises(RuntimeError, match="could not load the model: OSError: cannot read /nowhere"):
        with ModelPool("/nowhere", 1, _cannot_load, _double) as pool:
            list(pool.map([1, 2], 0))


def test_thread_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(THREADS_VARIABLE, "3")
    assert inference_threads() == 3
    monkeypatch.setenv(THREADS_VARIABLE, "none")
    with pytest.raises(ValueError, match=THREADS_VARIABLE):
        inference_threads()
    monkeypatch.delenv(THREADS_VARIABLE)
    assert inference_threads() >= 1
