"""Start the HTTP service as a real uvicorn process for a test module (the pattern of tests/test_api.py).

``start_server(tmp_dir, log, **env)`` returns ``(process, url)`` once ``/readyz`` answers;
``stop_server(process)`` stops it (SIGINT, then SIGKILL). The environment is the test's, minus any
``PREUVES_*`` of the user's, plus entry points off and 2 engine workers, then ``env``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp_dir: Path, log: Path, **env_overrides: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    env.update(PREUVES_LOAD_ENTRYPOINTS="0", PREUVES_WORKERS="2", PREUVES_TMP_DIR=str(tmp_dir))
    env.update(env_overrides)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", f"from api.server import run; run(port={port})"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"server not ready:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["request_id"] == response.headers["x-request-id"]
    return body
