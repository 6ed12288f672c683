"""kill -9 at random points, of the scoring CLI and of a scoring worker, then `--resume` until done: the
final files equal a clean run's, row for row and error for error (journal by input position)."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import write_suite
from train.scoring.outputs import read_table

pytestmark = pytest.mark.code
TEXTS = ["Militias of one sect attacked the other sect's mosques in revenge.",
         "Civilians fled the siege and families were displaced. The army collapsed.",
         "The central bank kept interest rates unchanged on Tuesday."]


def tricky_input(path: Path, n: int) -> Path:
    rows = []
    for i in range(n):
        if i % 37 == 5:
            rows.append(json.dumps({"id": f"d{i + 1}"}))  # no text; the same id comes next with text
        elif i % 53 == 7:
            rows.append("{broken")
        else:
            rows.append(json.dumps({"id": f"d{i}", "text": TEXTS[i % 3] + f" Report {i}."}))
    rows.append(json.dumps({"id": "d3", "text": TEXTS[0]}))  # a duplicate id
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
    return found


def score(source: Path, output: Path, resume: bool) -> subprocess.Popen:
    command = [sys.executable, "-m", "train.cli", "score", str(source), "-o", str(output), "--batch-docs", "1",
               "--workers", "2", "-q"] + (["--resume"] if resume else [])
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tables(output: Path):
    errors = output.with_name(f"{output.stem}.errors.jsonl").read_text(encoding="utf-8").splitlines()
    return (read_table(output), read_table(output.with_name(f"{output.stem}.articles{output.suffix}")),
            sorted(errors))


@pytest.mark.parametrize("kills", [pytest.param(2, id="2-kills"), pytest.param(6, id="6-kills", marks=pytest.mark.slow)])
def test_kill_9_at_random_points_then_resume_equals_a_clean_run(mlflow_store, tmp_path, kills):
    from train.experiments.config import load_config
    from train.experiments.suite import run_suite

    run_suite(load_config(write_suite(mlflow_store, families=("lexicon",))))
    source = tricky_input(tmp_path / "in.jsonl", 300)
    clean = tmp_path / "clean.jsonl"
    assert score(source, clean, resume=False).wait(timeout=300) == 1  # 1: some inputs are error records
    rng = random.Random(kills)
    output, started, interrupted = tmp_path / "out.jsonl", False, 0
    for attempt in range(kills):
        process = score(source, output, resume=started)
        started = True
        time.sleep(rng.uniform(2.0, 5.0))  # imports and model loading take about 2 s
        workers = children(process.pid)
        if process.poll() is not None:
            break  # it finished before this kill point
        victim = rng.choice(workers) if attempt % 2 and workers else process.pid  # a worker, or the CLI
        os.kill(victim, signal.SIGKILL)
        process.wait(timeout=60)
        interrupted += not output.exists()  # killed part way: the work folder holds what was done
    code = None
    for _ in range(3):  # resume until complete (a run already complete says so and exits 0)
        code = score(source, output, resume=True).wait(timeout=300)
        if output.exists():
            break
    assert interrupted >= 1 and code in (0, 1) and output.exists()
    for resumed, expected in zip(tables(output), tables(clean)):
        if isinstance(expected, list):
            assert resumed == expected
        else:
            pd.testing.assert_frame_equal(resumed, expected)
