"""Worker processes for scoring: order, errors, thread budget (functions run in spawned processes, so
they live at module level)."""

import pytest

from models.encoder import THREADS_VARIABLE, inference_threads
from train.scoring.workers import ModelPool, threads_per_worker


def _load_name(path: str) -> str:
    return f"model at {path}"


def _double(model: str, item: int, offset: int) -> tuple[str, int, str, int]:
    """Earlier items take longer, so a later one usually finishes first in the other worker."""
    import os
    import time

    time.sleep(0.05 * (12 - item) if item % 2 == 0 else 0.0)
    return model, item * 2 + offset, os.environ[THREADS_VARIABLE], os.getpid()


def _cannot_load(path: str):
    raise OSError(f"cannot read {path}")


def test_results_come_back_in_input_order_from_every_worker():
    with ModelPool("/m", 2, _load_name, _double) as pool:
        results = list(pool.map(range(12), 1))
    assert [item for item, _ in results] == list(range(12))
    assert [result[:2] for _, result in results] == [("model at /m", 2 * i + 1) for i in range(12)]
    assert {result[2] for _, result in results} == {str(threads_per_worker(2))}
    assert len({result[3] for _, result in results}) == 2  # both workers took items, out of order in time


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


def _exit_abruptly(model: str, item: int, offset: int):
    import os

    os._exit(1)


def _sleep(model: str, item: int, offset: int) -> int:
    import time

    time.sleep(0.5)
    return item


def test_a_worker_that_dies_stops_the_run_with_a_resume_hint():
    from train.errors import WorkerCrashed

    with pytest.raises(WorkerCrashed, match="--resume"):
        with ModelPool("/m", 1, _load_name, _exit_abruptly) as pool:
            list(pool.map([1, 2], 0))


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_die_with_a_parent_killed_by_sigkill(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from train import paths
    from train.bench.samplers import _child_pids

    script = tmp_path / "parent.py"
    script.write_text(f"""import sys
sys.path.insert(0, {str(paths.ROOT)!r})
from tests.code.test_workers import _load_name, _sleep
from train.scoring.workers import ModelPool
if __name__ == "__main__":
    with ModelPool("/m", 2, _load_name, _sleep) as pool:
        for _ in pool.map(range(1000), 0):
            pass
""")
    parent = subprocess.Popen([sys.executable, str(script)])
    deadline = time.monotonic() + 60
    while len(_child_pids(parent.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # let the workers start their first tasks
    children = _child_pids(parent.pid)
    assert len(children) >= 2
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in children)
