"""Score batches in worker processes, each with its own copy of the model and a share of the cores.

Why processes and not threads: splitting articles into sentences is pure Python and holds the GIL, and
on 2 cores an encoder gains only ~1.75x from its second thread. One process therefore alternates
between segmenting on one core and the model; N processes with cores/N threads each keep every core on
useful work (measured: 2 x 1 thread scores ~1.2x more sentences per second than 1 x 2 threads).

Batches go out in input order and results come back in that order, with at most two batches per
worker in flight, so memory stays flat and the parts, `--resume` and the output order are exactly those
of one process. Every worker loads the same local copy of the model (downloaded once by the caller).
Workers die with the CLI, even when it is killed with SIGKILL (Linux).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Iterator

from models.encoder import THREADS_VARIABLE, available_cores
from train.errors import ModelLoadError, WorkerCrashed

log = logging.getLogger(__name__)
IN_FLIGHT_PER_WORKER = 2
MAX_DEFAULT_WORKERS = 4  # each worker holds a model (~375 MB for an encoder): more by choice only
_WORKER: dict = {}


def default_workers() -> int:
    """One worker per available core, at most `MAX_DEFAULT_WORKERS`."""
    return min(available_cores(), MAX_DEFAULT_WORKERS)


def threads_per_worker(workers: int) -> int:
    return max(1, available_cores() // max(1, workers))


def _die_with_parent() -> None:
    """Ask Linux to end this worker when the CLI process dies, even by SIGKILL (else it would live on,
    holding a model); elsewhere workers end when their task queue closes."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent was already gone before prctl
        os._exit(1)


def _start_worker(model_path: str, threads: int, load: Callable, task: Callable) -> None:
    """Runs once in each worker before any batch: the thread budget first, for the libraries that read it
    when they load (ONNX Runtime, torch), and for those already loaded (numpy's BLAS) via threadpoolctl."""
    _die_with_parent()
    for variable in (THREADS_VARIABLE, "OMP_NUM_THREADS"):
        os.environ[variable] = str(threads)
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    _WORKER["task"] = task
    try:
        _WORKER["model"] = load(model_path)
    except Exception as exc:  # reported with the first batch: a failing initializer only says "broken pool"
        _WORKER["error"] = f"{type(exc).__name__}: {exc}"


def _run_in_worker(*args):
    if "model" not in _WORKER:
        raise ModelLoadError(f"a scoring worker could not load the model: {_WORKER.get('error', 'unknown error')}")
    return _WORKER["task"](_WORKER["model"], *args)


class ModelPool:
    """`with ModelPool(path, workers, load, task) as pool: for item, result in pool.map(items, *args)`.

    `load(path)` loads the model in each worker; `task(model, item, *args)` runs there for every item.
    Both must be module-level functions (they are sent to the workers by reference)."""

    def __init__(self, model_path: str, workers: int, load: Callable, task: Callable):
        self.model_path, self.workers, self.load, self.task = model_path, workers, load, task
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> "ModelPool":
        threads = threads_per_worker(self.workers)
        log.info("scoring with %d worker processes x %d thread(s)", self.workers, threads)
        # spawn, not fork: a forked copy of a process with live thread pools (ONNX Runtime, torch) can hang
        self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker,
                                             initargs=(self.model_path, threads, self.load, self.task))
        return self

    def map(self, items: Iterable, *args) -> Iterator[tuple[object, object]]:
        """(item, task result) in the order of `items`; reads ahead at most a few items."""
        try:
            pending: deque = deque()
            for item in items:
                pending.append((item, self._executor.submit(_run_in_worker, item, *args)))
                if len(pending) >= self.workers * IN_FLIGHT_PER_WORKER:
                    first, future = pending.popleft()
                    yield first, future.result()
            while pending:
                first, future = pending.popleft()
                yield first, future.result()
        except BrokenProcessPool as exc:
            raise WorkerCrashed("a scoring worker process died (killed, or out of memory?): the parts written "
                                "so far are kept; run the same command with --resume to continue") from exc

    def __exit__(self, exc_type, *exc) -> None:
        if self._executor is not None:
            if exc_type is not None:  # interrupted or failed: do not wait for batches nobody will write
                for process in list((getattr(self._executor, "_processes", None) or {}).values()):
                    process.terminate()
            self._executor.shutdown(wait=True, cancel_futures=True)


__all__ = ["ModelPool", "default_workers", "threads_per_worker"]
