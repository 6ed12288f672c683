"""A bounded load test of `sectframes serve`: the champion served on loopback, N requests from C client
threads (one article each), throughput and latency percentiles. It stops by itself: a fixed number of
requests, each with a time limit, against 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

import numpy as np

from train import paths

READY_SECONDS = 120
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, whatever http_proxy says


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"sectframes serve exited ({server.returncode}):\n{log.read_text()[-2000:]}")
        with suppress(OSError):
            with OPENER.open(f"{url}/ping", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise RuntimeError(f"sectframes serve did not answer within {READY_SECONDS} s")


def _one(url: str, body: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    request = urllib.request.Request(f"{url}/invocations", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with OPENER.open(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return time.perf_counter() - started, status


def load_test(model_uri: str, articles: list[str], work: Path, requests: int = 2000, clients: int = 8) -> dict:
    """Serve `model_uri`, send `requests` one-article requests from `clients` threads, and measure."""
    port, log = _free_port(), work / "serve.log"
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "train.cli", "serve", "--model", model_uri, "--port", str(port)],
                                  cwd=str(paths.ROOT), env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        _wait_ready(url, server, log)
        bodies = [json.dumps({"dataframe_records": [{"id": f"r{i}", "text": articles[i % len(articles)]}]}).encode()
                  for i in range(requests)]
        _one(url, bodies[0])  # warm-up
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(lambda body: _one(url, body), bodies))
        seconds = time.perf_counter() - started
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
    latencies = np.array([r[0] for r in results]) * 1000
    ok = sum(1 for _, status in results if status == 200)
    return {"requests": requests, "clients": clients, "ok": ok, "seconds": seconds,
            "requests_per_s": requests / seconds, "p50_ms": float(np.percentile(latencies, 50)),
            "p99_ms": float(np.percentile(latencies, 99)), "max_ms": float(latencies.max())}
