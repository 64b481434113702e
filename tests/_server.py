"""Start the HTTP service as a real uvicorn process for a test module (the pattern of tests/test_api.py).

``start_server(tmp_dir, log, **env)`` returns ``(process, url)`` once ``/readyz`` answers;
``stop_server(process)`` stops it (SIGINT, then SIGKILL). The environment is the test's, minus any
``PREUVES_*`` of the user's, plus entry points off and 2 engine workers, then ``env``. ``nofile``
starts the server with that file-descriptor limit (soft and hard: it cannot raise it).

``children(pid)`` and ``fork_server_of(pid)`` find the engine's processes among the server's.
``raise_nofile()`` raises the test process's own descriptor limit (for tests that open thousands of
sockets).
"""

from __future__ import annotations

import os
import resource
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


def start_server(tmp_dir: Path, log: Path, *, nofile: int | None = None,
                 **env_overrides: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    env.update(PREUVES_LOAD_ENTRYPOINTS="0", PREUVES_WORKERS="2", PREUVES_TMP_DIR=str(tmp_dir))
    env.update(env_overrides)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", f"from api.server import run; run(port={port})"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None,
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


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def fork_server_of(pid: int) -> int:
    """The multiprocessing fork server the engine of server ``pid`` starts its workers from."""
    found = [child for child in children(pid) if b"multiprocessing.forkserver" in cmdline(child)]
    assert len(found) == 1, [(c, cmdline(c)[:80]) for c in children(pid)]
    return found[0]


def raise_nofile(wanted: int) -> int:
    """Raise this process's soft descriptor limit towards ``wanted`` (bounded by the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
