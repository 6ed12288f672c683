"""`sectframes serve` (MLflow's scoring app behind our request guard) with the champion: answers per
sentence over HTTP, refuses bad and hostile requests with a 4xx, and always answers valid JSON.

One quick TF-IDF model is trained into a throwaway store and served on 127.0.0.1 for the whole module
(about 20 s in all), with a 1 MB body limit; the server is always stopped, its process group killed.
"""

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import suppress

import mlflow
import pandas as pd
import pytest

from models.frames import FRAME_KEYS
from models.predictor import OUTPUT_COLUMNS
from models.segment import split_sentences
from tests.conftest import write_suite

MODEL_URI = "models:/sectarian-frames@champion"
READY_SECONDS = 120
ARTICLES = pd.DataFrame({
    "id": ["a", "b"],
    "text": ["Militiamen of one sect burned the mosques of the other.\n\nBy [A. Writer](#)",
             "The army abandoned the city. Families fled on foot towards the camps."],
})
# Straight to the local server, whatever http_proxy says.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: bytes | str, content_type: str = "application/json") -> tuple[int, dict | str]:
    data = body.encode("utf-8") if isinstance(body, str) else body
    request = urllib.request.Request(f"{url}/invocations", data=data, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with OPENER.open(request, timeout=60) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    text = raw.decode("utf-8")
    try:
        return status, json.loads(text)  # the server writes NaN for furniture probabilities; Python reads it
    except json.JSONDecodeError:
        return status, text


def split_body(frame: pd.DataFrame, unit: str | None = "article") -> str:
    body = {"dataframe_split": {"columns": list(frame.columns), "data": frame.values.tolist()}}
    if unit is not None:
        body["params"] = {"unit": unit}
    return json.dumps(body)


def stop(server: subprocess.Popen) -> None:
    """terminate, then kill whatever is left of the server's process group (uvicorn workers)."""
    with suppress(ProcessLookupError):
        server.terminate()
    with suppress(subprocess.TimeoutExpired):
        server.wait(timeout=15)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(server.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        server.wait(timeout=5)


def wait_until_ready(url: str, server: subprocess.Popen, log_path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"sectframes serve exited ({server.returncode}):\n{log_path.read_text()[-3000:]}")
        for route in ("/ping", "/health"):
            with suppress(OSError):
                with OPENER.open(f"{url}{route}", timeout=2) as response:
                    if response.status == 200:
                        return
        time.sleep(0.5)
    pytest.fail(f"sectframes serve did not answer /ping within {READY_SECONDS} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(url, tracking URI) of the champion served by `mlflow models serve` from a throwaway store."""
    from train import paths
    from train.experiments.config import load_config
    from train.experiments.suite import run_suite

    root = tmp_path_factory.mktemp("serving")
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        patch.setattr(paths, "ROOT", root)
        outcomes = run_suite(load_config(write_suite(root, families=("tfidf",))))
        while mlflow.active_run():
            mlflow.end_run()
        assert outcomes[0].status == "FINISHED", outcomes[0].error

        port, log_path = free_port(), root / "serve.log"
        bin_dir = os.path.dirname(sys.executable)
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               "MLFLOW_TRACKING_URI": tracking_uri, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
        env.pop("MLFLOW_REGISTRY_URI", None)
        with open(log_path, "wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "train.cli", "serve", "--model", MODEL_URI, "--host", "127.0.0.1",
                 "--port", str(port), "--max-body-mb", "1"],
                cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_ready(url, server, log_path)
            yield url, tracking_uri, server.pid
        finally:
            stop(server)


def test_two_articles_come_back_one_row_per_sentence(served):
    url, tracking_uri, _ = served
    status, answer = post(url, split_body(ARTICLES))
    assert status == 200, answer
    rows = pd.DataFrame(answer["predictions"])
    assert list(rows.columns) == OUTPUT_COLUMNS
    expected = [(doc_id, s.index, s.kind) for doc_id, text in zip(ARTICLES["id"], ARTICLES["text"])
                for s in split_sentences(text)]
    assert list(zip(rows["id"], rows["sentence_index"], rows["kind"])) == expected
    assert set(rows["id"]) == {"a", "b"} and len(rows) == 4
    prose, furniture = rows[rows["kind"] == "prose"], rows[rows["kind"] == "furniture"]
    assert len(furniture) == 1 and all(math.isnan(furniture[f"p_{k}"].iloc[0]) for k in FRAME_KEYS)
    assert not furniture[list(FRAME_KEYS)].to_numpy().any()
    assert ((prose[[f"p_{k}" for k in FRAME_KEYS]] >= 0) & (prose[[f"p_{k}" for k in FRAME_KEYS]] <= 1)).all().all()

    # The server answers what the same model answers in process.
    mlflow.set_tracking_uri(tracking_uri)
    local = mlflow.pyfunc.load_model(MODEL_URI).predict(ARTICLES, params={"unit": "article"})
    for key in FRAME_KEYS:
        pd.testing.assert_series_equal(rows[f"p_{key}"], local[f"p_{key}"], check_names=False, atol=1e-9)
        assert rows[key].tolist() == local[key].tolist()


def test_records_with_unit_sentence_give_one_row_per_record(served):
    url = served[0]
    body = {"dataframe_records": [{"id": "s1", "text": "The army fled. Families followed."},
                                  {"id": "s2", "text": "Foreign advisers arrived."}],
            "params": {"unit": "sentence"}}
    status, answer = post(url, json.dumps(body))
    assert status == 200, answer
    rows = answer["predictions"]
    assert [r["id"] for r in rows] == ["s1", "s2"] and all(r["kind"] == "prose" for r in rows)


def assert_client_error(status: int, answer, *words: str) -> None:
    assert 400 <= status < 500, f"expected a 4xx, got {status}: {answer}"
    assert isinstance(answer, dict) and answer.get("message"), answer
    for word in words:
        assert word in answer["message"], answer["message"]


def test_an_invalid_json_body_is_a_400_with_a_message(served):
    status, answer = post(served[0], '{"dataframe_split": {"columns": ["text"], "data": [["unfinished')
    assert_client_error(status, answer, "JSON")


def test_a_body_without_a_text_column_is_a_400_naming_the_column(served):
    status, answer = post(served[0], split_body(pd.DataFrame({"id": ["a"], "body": ["The army left."]})))
    assert_client_error(status, answer, "text")
    assert answer["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_unit_of_the_wrong_type_is_a_400(served):
    status, answer = post(served[0], json.dumps({"dataframe_split": {"columns": ["text"], "data": [["x"]]},
                                                 "params": {"unit": 3}}))
    assert_client_error(status, answer, "unit")


def test_an_unknown_unit_is_not_a_server_error(served):
    status, answer = post(served[0], split_body(ARTICLES, unit="paragraph"))
    assert 400 <= status < 500, f"expected a 4xx, got {status}: {answer}"


def test_an_unknown_unit_is_a_400_that_names_the_parameter(served):
    status, answer = post(served[0], split_body(ARTICLES, unit="paragraph"))
    assert_client_error(status, answer, "unit", "paragraph")
    assert answer["error_code"] == "INVALID_PARAMETER_VALUE" and "stack_trace" not in answer



def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_a_body_over_the_limit_is_a_413_and_costs_no_memory(served):
    url, _, pid = served
    before = rss_mb(pid)
    big = split_body(pd.DataFrame({"id": ["x"], "text": ["The army fled. " * 150_000]}))  # about 2 MB
    for _ in range(3):
        status, answer = post(url, big)
        assert status == 413 and "limit" in answer["message"], answer
    assert rss_mb(pid) - before < 100  # the body is refused before it is read


def test_deeply_nested_json_is_a_400_not_a_500(served):
    status, answer = post(served[0], '{"dataframe_records": ' + "[" * 5000 + "]" * 5000 + "}")
    assert_client_error(status, answer, "nested")


@pytest.mark.parametrize("text", [3, ["a list"], None])
def test_a_text_that_is_not_a_string_is_a_400_naming_the_row(served, text):
    body = {"dataframe_records": [{"id": "ok", "text": "The army fled."}, {"id": "bad", "text": text}]}
    status, answer = post(served[0], json.dumps(body))
    assert_client_error(status, answer, "row 1", "string")


def test_an_empty_text_comes_back_as_a_row_saying_no_sentences(served):
    status, answer = post(served[0], json.dumps({"dataframe_records": [{"id": "e", "text": "  "}]}))
    assert status == 200, answer
    assert [(r["id"], r["kind"]) for r in answer["predictions"]] == [("e", "no_sentences")]


def test_unknown_params_are_a_400(served):
    status, answer = post(served[0], json.dumps({"dataframe_records": [{"text": "The army fled."}],
                                                 "params": {"unit": "article", "threshold": 0.2}}))
    assert_client_error(status, answer, "threshold")


def test_answers_are_valid_json_even_with_nan_probabilities(served):
    request = urllib.request.Request(f"{served[0]}/invocations", data=split_body(ARTICLES).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with OPENER.open(request, timeout=60) as response:
        raw = response.read().decode("utf-8")

    def refuse(token):
        raise AssertionError(f"invalid JSON token {token}")

    rows = json.loads(raw, parse_constant=refuse)["predictions"]
    assert any(r["kind"] == "furniture" and r["p_humanitarian"] is None for r in rows)
