"""Samplers that run beside a measurement: the peak memory of a process tree (from /proc) and the load
average, both on a background thread."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def peak_rss_mb() -> float:
    """This process's peak resident set size. VmHWM belongs to the address space, which `exec` replaces,
    so it is the worker's own peak. `ru_maxrss` is not: Linux carries the parent's RSS at fork/exec into
    the child's `ru_maxrss` (also via `wait4`), so a big parent would inflate every child's number."""
    return _status_mb("self", "VmHWM") or _ru_maxrss_mb()


def _ru_maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(pid: str, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _child_pids(parent: int) -> list[int]:
    """Direct children of `parent` (scoring workers, multiprocessing's resource tracker)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(entry.name))
    return children


class PeriodicSampler:
    """Calls `sample()` on a thread every `every` seconds, from entering the `with` block to leaving it."""

    def __init__(self, every: float):
        import threading

        self.every, self._stop = every, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.every):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class ProcessTreeMemory(PeriodicSampler):
    """Peak memory of this process and the worker processes it starts: the sum of every process's own
    high-water mark (VmHWM), each read while the process lives (every 0.2 s). A sum of peaks is an
    upper bound on the peak of the sum, the safe side for a memory budget."""

    def __init__(self, every: float = 0.2):
        super().__init__(every)
        self._peaks: dict[int, float] = {}

    def sample(self) -> None:
        for pid in _child_pids(os.getpid()):
            self._peaks[pid] = max(self._peaks.get(pid, 0.0), _status_mb(str(pid), "VmHWM"))

    def processes(self) -> int:
        return 1 + len(self._peaks)

    def peak_mb(self) -> float:
        return peak_rss_mb() + sum(self._peaks.values())


class LoadSampler(PeriodicSampler):
    """Samples the 1-minute load average every few seconds while a model is measured: other processes
    on the machine make every number worse, and this says by how much they were there."""

    def __init__(self, every: float = 5.0):
        super().__init__(every)
        self.samples: list[float] = []

    def sample(self) -> None:
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        return {"mean": float(np.mean(self.samples)), "max": float(np.max(self.samples)), "n": len(self.samples)}

