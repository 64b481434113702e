"""``preuves serve`` (what ``make serve`` runs), started as a real process: the page's address said in
words, logs readable on a terminal and JSON elsewhere (or as asked), the no-API-key warning once; and
the service runs without the test dependencies ``make serve`` no longer installs."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests._server import ROOT, free_port, stop_server

NO_KEY = "no API key configured"


def serve(tmp_path: Path, *args: str, terminal: bool = False, **env: str) -> tuple[int, str, str]:
    """Run ``preuves serve`` until ready, stop it; its (port, stdout, stderr). ``terminal``: stderr is a pty."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    full_env.update(PREUVES_LOAD_ENTRYPOINTS="0", PREUVES_WORKERS="1", PREUVES_TMP_DIR=str(tmp_path), **env)
    out = tmp_path / f"stdout-{port}"
    chunks: list[bytes] = []
    with open(out, "wb") as stdout:
        if terminal:
            master, slave = pty.openpty()
            stderr = slave
        else:
            stderr = subprocess.PIPE
        proc = subprocess.Popen([sys.executable, "-m", "validator_core.cli", "serve", "--port", str(port), *args],
                                cwd=ROOT, env=full_env, stdout=stdout, stderr=stderr)
        source = master if terminal else proc.stderr.fileno()
        if terminal:
            os.close(slave)

        def drain() -> None:  # read as it comes: a full pipe or pty would block the server
            while True:
                try:
                    data = os.read(source, 65536)
                except OSError:  # the pty's other end closed
                    return
                if not data:
                    return
                chunks.append(data)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                assert proc.poll() is None, b"".join(chunks).decode(errors="replace")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                raise AssertionError("the service did not become ready")
            while time.monotonic() < deadline and not out.stat().st_size:  # the address, said once it answers
                time.sleep(0.05)
        finally:
            stop_server(proc)
            reader.join(10)
            if terminal:
                os.close(master)
    return port, out.read_text(encoding="utf-8"), b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")


def test_serve_says_the_page_address_and_logs_json_off_a_terminal(tmp_path):
    port, stdout, stderr = serve(tmp_path)
    assert stdout.startswith(f"Page de pré-contrôle : http://127.0.0.1:{port}/ ")
    lines = [line for line in stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every log line is one JSON object
    assert any(r["msg"] == "service ready" for r in records)
    assert sum(NO_KEY in r["msg"] for r in records) == 1  # once, not once per layer


def test_the_page_address_is_printed_once_the_service_answers(tmp_path):
    """What the address invites (open it) works at once: read the line, then /readyz answers 200 on the
    first try (it was printed ~2 s before uvicorn listened)."""
    import select

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    env.update(PREUVES_LOAD_ENTRYPOINTS="0", PREUVES_WORKERS="1", PREUVES_TMP_DIR=str(tmp_path))
    with open(tmp_path / "stderr", "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "validator_core.cli", "serve", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr)
        try:
            readable, _, _ = select.select([proc.stdout], [], [], 60)
            assert readable, "no line within 60 s: " + (tmp_path / "stderr").read_text()[-2000:]
            line = proc.stdout.readline().decode("utf-8")
            answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)  # at once, no retry
            assert line.startswith(f"Page de pré-contrôle : http://127.0.0.1:{port}/ "), line
            assert answer.status_code == 200 and answer.json()["status"] == "ready"
        finally:
            stop_server(proc)


def test_serve_logs_readable_text_on_a_terminal_in_the_chosen_language(tmp_path):
    port, stdout, stderr = serve(tmp_path, terminal=True, PREUVES_LANG="en")
    assert stdout.startswith(f"Pre-check page: http://127.0.0.1:{port}/ ")
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and not any(line.startswith("{") for line in lines)
    ready = next(line for line in lines if "service ready" in line)
    assert ready.split()[1] == "INFO" and "engine_workers=1" in ready
    assert sum(NO_KEY in line for line in lines) == 1


def test_json_logs_on_a_terminal_when_asked(tmp_path):
    _port, _stdout, stderr = serve(tmp_path, "--log-json", terminal=True)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)


DEV_ONLY = ("pytest", "hypothesis", "jsonschema", "reportlab", "schemathesis", "markdown_it", "moto", "playwright")
WITHOUT_DEV = f"""
import sys
class NoDev:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {DEV_ONLY!r}:
            raise ImportError("a test dependency: " + name)
sys.meta_path.insert(0, NoDev())
for name in [m for m in sys.modules if m.split(".")[0] in {DEV_ONLY!r}]:
    del sys.modules[name]
from fastapi.testclient import TestClient
from api.main import create_app
with TestClient(create_app()) as client:
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 200
    print("SERVED")
"""


def test_the_service_runs_without_the_test_dependencies(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    env.update(PREUVES_LOAD_ENTRYPOINTS="0", PREUVES_WORKERS="1", PREUVES_TMP_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", WITHOUT_DEV], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert "SERVED" in done.stdout, done.stderr[-3000:]


def test_make_serve_installs_the_service_alone_and_make_test_the_dev_tools(tmp_path):
    venv = tmp_path / "venv"  # a venv that does not exist yet: make says what it would install
    plan = {target: subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True,
                                   timeout=60) for target in ("serve", "test")}
    assert all(p.returncode == 0 for p in plan.values()), plan
    assert "pip install -q -e .\n" in plan["serve"].stdout and "[dev]" not in plan["serve"].stdout
    assert "pip install -q -e '.[dev]'" in plan["test"].stdout
