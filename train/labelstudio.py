"""`make annotate` / `sectframes annotate`: a local Label Studio for the researcher's loop.

Label Studio runs from its own virtual environment (it pins many dependencies of its own), on 127.0.0.1
with a SQLite store in `.labelstudio/`, one local user, and a legacy API token so that this module can
set up the project through Label Studio's HTTP API: the project (created once, its labelling config kept
up to date from `data/annotations/labelstudio.xml`) and the tasks from `sectframes sample` (sentences
already imported are not imported twice). Plain HTTP on loopback, no SDK needed on our side."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from train import paths

log = logging.getLogger(__name__)
CONFIG = paths.ANNOTATIONS / "labelstudio.xml"
PROJECT = "sectarian-frames"
READY_SECONDS = 180
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, whatever http_proxy says


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    username: str
    password: str


def start(executable: str, port: int, data_dir: Path, username: str, password: str, token: str,
          log_path: Path) -> subprocess.Popen:
    """Start Label Studio and wait until /health answers (about 40 s here)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir), "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true"}
    command = [executable, "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port), "--data-dir",
               str(data_dir), "--username", username, "--password", password, "--user-token", token,
               "--enable-legacy-api-token"]
    with log_path.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline, url = time.monotonic() + READY_SECONDS, f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Label Studio exited ({process.returncode}); see {log_path}")
        try:
            with OPENER.open(f"{url}/health", timeout=3) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            pass
        time.sleep(1)
    process.terminate()
    raise RuntimeError(f"Label Studio did not answer within {READY_SECONDS} s; see {log_path}")


def call(server: Server, method: str, route: str, body=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(f"{server.url}{route}", data=data, method=method,
                                     headers={"Authorization": f"Token {server.token}",
                                              "Content-Type": "application/json"})
    try:
        with OPENER.open(request, timeout=60) as answer:
            raw = answer.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"Label Studio {method} {route}: HTTP {exc.code}: {exc.read()[:500]!r}") from None
    return json.loads(raw) if raw else None


def ensure_project(server: Server, tasks: list[dict], title: str = PROJECT) -> int:
    """The project's id: created if missing, its labelling config refreshed, new tasks imported."""
    config = CONFIG.read_text(encoding="utf-8")
    listed = call(server, "GET", "/api/projects?page_size=1000")
    projects = listed.get("results", listed) if isinstance(listed, dict) else listed
    project = next((p for p in projects if p.get("title") == title), None)
    if project is None:
        project = call(server, "POST", "/api/projects", {"title": title, "label_config": config})
    else:
        call(server, "PATCH", f"/api/projects/{project['id']}", {"label_config": config})
    known = {t["data"].get("sample_id") for t in exported_tasks(server, project["id"])}
    new = [t for t in tasks if t["data"].get("sample_id") not in known]
    if new:
        call(server, "POST", f"/api/projects/{project['id']}/import", new)
    log.info("project %s (id %s): %d tasks imported, %d already there", title, project["id"], len(new),
             len(tasks) - len(new))
    return int(project["id"])


def exported_tasks(server: Server, project_id: int) -> list[dict]:
    """Every task of the project with its annotations, as Label Studio's JSON export gives them."""
    return call(server, "GET", f"/api/projects/{project_id}/export?exportType=JSON&download_all_tasks=true") or []
