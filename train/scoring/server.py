"""`sectframes serve`: MLflow's own scoring app for the packaged model, behind a guard for what MLflow
does not enforce itself.

MLflow builds the app (`mlflow.pyfunc.scoring_server.init`: /invocations, /ping, /health, /version, its
request formats and its per-request time limit). The guard, plain ASGI middleware in front of it, reads
each /invocations body up to a size limit (413 beyond it), refuses JSON nested deeper than a limit, a
`text` that is not a string (naming the row) and parameters the model does not take (400 each, with a
message), and rewrites NaN in answers as null so every response is valid JSON. Nothing here parses or
scores on its own: an accepted request reaches MLflow's app unchanged.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass

log = logging.getLogger(__name__)
KNOWN_PARAMS = {"unit"}
DRAIN_FACTOR = 16  # an oversized body is read (and discarded) up to this many times the limit


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 4 * 1024 * 1024
    max_depth: int = 32
    timeout_s: int = 60


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _depth(value) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _texts(payload: dict) -> list:
    """The `text` value of every row, whichever of MLflow's JSON formats the request uses."""
    if "dataframe_split" in payload:
        split = payload["dataframe_split"]
        columns = split.get("columns", []) if isinstance(split, dict) else []
        if "text" not in columns:
            return []
        at = columns.index("text")
        return [row[at] if isinstance(row, list) and len(row) > at else None for row in split.get("data", [])]
    records = payload.get("dataframe_records") or payload.get("instances")
    if isinstance(records, list):
        return [row.get("text") if isinstance(row, dict) else None for row in records]
    inputs = payload.get("inputs")
    if isinstance(inputs, dict) and "text" in inputs:
        text = inputs["text"]
        return text if isinstance(text, list) else [text]
    return []


def check_request(body: bytes, limits: Limits) -> None:
    """Raise `Refused` for what MLflow would crash on or accept silently; pass everything else through."""
    try:
        payload = json.loads(body)
    except RecursionError:
        raise Refused(400, f"JSON nested too deeply (the limit is {limits.max_depth} levels)") from None
    except ValueError:
        return  # MLflow answers malformed JSON with its own 400
    if _depth(payload) > limits.max_depth:
        raise Refused(400, f"JSON nested too deeply (the limit is {limits.max_depth} levels)")
    if not isinstance(payload, dict):
        return
    params = payload.get("params") or {}
    unknown = sorted(set(params) - KNOWN_PARAMS) if isinstance(params, dict) else []
    if unknown:
        raise Refused(400, f"unknown parameter(s) {', '.join(unknown)}: this model takes {sorted(KNOWN_PARAMS)}")
    for row, text in enumerate(_texts(payload)):
        if not isinstance(text, str):
            raise Refused(400, f"row {row}: 'text' must be a string, got {type(text).__name__}")


def _nan_to_null(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_nan_to_null(v) for v in value]
    if isinstance(value, dict):
        return {k: _nan_to_null(v) for k, v in value.items()}
    return value


class Guard:
    """ASGI middleware around MLflow's scoring app (see the module docstring)."""

    def __init__(self, app, limits: Limits):
        self.app, self.limits = app, limits

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") != "/invocations":
            return await self.app(scope, receive, send)
        try:
            body = await self._body(scope, receive)
            check_request(body, self.limits)
        except Refused as refused:
            return await _answer(send, refused.status, str(refused))

        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:  # after the body, MLflow's app may wait for a disconnect: that is the real receive
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, _ValidJson(send))

    async def _body(self, scope, receive) -> bytes:
        """The request body, or `Refused(413)` once it passes the limit. An oversized body is still read to
        its end (up to `DRAIN_FACTOR` times the limit) but thrown away chunk by chunk, so memory stays flat
        and the client, still sending, gets the 413 instead of a broken connection."""
        chunks, size, too_large = [], 0, False
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Refused(400, "the client went away before sending its whole request")
            chunk = message.get("body", b"")
            size += len(chunk)
            too_large = too_large or size > self.limits.max_body_bytes
            if not too_large:
                chunks.append(chunk)
            else:
                chunks = []
                if size > DRAIN_FACTOR * self.limits.max_body_bytes:
                    raise Refused(413, self._too_large())
            if not message.get("more_body"):
                if too_large:
                    raise Refused(413, self._too_large())
                return b"".join(chunks)

    def _too_large(self) -> str:
        return (f"request body over the limit of {self.limits.max_body_bytes:,} bytes: send fewer articles per "
                "request (or start the server with a larger --max-body-mb)")


class _ValidJson:
    """Buffers a JSON answer and writes NaN as null (Python's json writes the invalid token NaN)."""

    def __init__(self, send):
        self.send, self.start, self.chunks = send, None, []

    async def __call__(self, message):
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            return await self.send(message)
        self.chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(self.chunks)
        headers = [(k, v) for k, v in self.start.get("headers", []) if k.lower() != b"content-length"]
        if b"json" in dict(headers).get(b"content-type", b""):
            try:
                body = json.dumps(_nan_to_null(json.loads(body)), allow_nan=False).encode("utf-8")
            except ValueError:
                pass
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})


async def _answer(send, status: int, message: str) -> None:
    body = json.dumps({"error_code": "INVALID_PARAMETER_VALUE" if status == 400 else "REQUEST_TOO_LARGE",
                       "message": message}).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def build_app(model_uri: str, limits: Limits):
    """MLflow's scoring app for `model_uri`, with the guard in front."""
    from mlflow.pyfunc import scoring_server

    from train import tracking

    os.environ["MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"] = str(limits.timeout_s)  # read by init()
    tracking.configure()
    return Guard(scoring_server.init(tracking.load_pyfunc(model_uri)), limits)


def serve(model_uri: str, host: str, port: int, limits: Limits) -> None:
    import uvicorn

    app = build_app(model_uri, limits)
    log.info("serving %s on http://%s:%d (body limit %.1f MB, %d s per request)", model_uri, host, port,
             limits.max_body_bytes / 2**20, limits.timeout_s)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
