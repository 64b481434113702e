"""The HTTP service against hostile clients, on loopback, with real uvicorn processes (tests/_server.py).

Each scenario has its own server with short limits so that it stays bounded: slow clients that
trickle bytes, a request head that never ends, thousands of idle connections (past the process's
own descriptor limit), made-up methods, rotating ``X-Forwarded-For``, ``Transfer-Encoding`` with
``Content-Length``, SIGTERM with uploads in progress, and the engine's processes killed (fork server
``kill -9``; workers that cannot start).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests._server import assert_problem, children, fork_server_of, raise_nofile, start_server, stop_server

KEYS = ("slow-key-a-3d1f", "fair-key-b-82c4", "fair-key-c-51e9")
LOG = b"2026-01-05 10:00:00 INFO connexion au service DMP\n" * 20


# -- raw HTTP helpers -------------------------------------------------------------------------------
@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict:
        assert self.headers.get("content-type", "").startswith("application/problem+json"), self
        return json.loads(self.body)


def parse_response(data: bytes) -> RawResponse:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(lines[0].split()[1]), headers, body)


def read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes the connection (or ``timeout`` runs out)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def upload_head(port: int, key: str | None, declared: int = 5_000_000, path: str = "/v1/validations") -> bytes:
    """A request head and the multipart preamble of a file part whose bytes are still to come."""
    boundary = "tb" + uuid.uuid4().hex
    auth = f"X-API-Key: {key}\r\n" if key else ""
    preamble = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.log\"\r\n"
                "Content-Type: text/plain\r\n\r\n").encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n").encode() + preamble


@dataclass
class Tricklers:
    """``n`` raw connections that send ``head`` then one byte every ``every`` seconds, until answered."""

    port: int
    n: int
    head: bytes
    every: float
    socks: list[socket.socket] = field(default_factory=list)
    answers: dict[int, bytes] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        for _ in range(self.n):
            sock = socket.create_connection(("127.0.0.1", self.port))
            sock.sendall(self.head)
            sock.setblocking(False)
            self.socks.append(sock)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_byte = time.monotonic() + self.every
        while not self._stop.is_set():
            live = [s for i, s in enumerate(self.socks) if i not in self.closed]
            if not live:
                return
            readable, _, _ = select.select(live, [], [], 0.05)
            for sock in readable:
                i = self.socks.index(sock)
                try:
                    chunk = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    chunk = b""
                with self._lock:
                    if chunk:
                        self.answers[i] = self.answers.get(i, b"") + chunk
                    else:
                        self.closed.add(i)
            if time.monotonic() >= next_byte:
                next_byte += self.every
                for i, sock in enumerate(self.socks):
                    if i not in self.closed and i not in self.answers:
                        try:
                            sock.send(b"x")
                        except OSError:
                            pass

    def responses(self) -> dict[int, RawResponse]:
        with self._lock:
            return {i: parse_response(data) for i, data in self.answers.items() if b"\r\n\r\n" in data}

    def wait(self, count: int, timeout: float) -> dict[int, RawResponse]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.responses()) < count:
            time.sleep(0.05)
        return self.responses()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.socks:
            sock.close()


def upload(url: str, key: str | None = None, name: str = "app.log", data: bytes = LOG, **kwargs) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    with httpx.Client(timeout=60) as client:  # a fresh connection: it must get through the crowd too
        return client.post(url + "/v1/validations", headers=headers, data={"proof_type": "logs"},
                           files={"file": (name, data)}, **kwargs)


def metric(url: str, line_start: str) -> float:
    # A generous timeout: this asserts what the service answers, not how fast (CI shares 2 cores).
    for line in httpx.get(url + "/metrics", timeout=30).text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


# -- slow clients, header deadline, framing, methods: one server with short limits --------------------
HEADER_TIMEOUT_S, SILENT_S, IDLE_S, WINDOW_S, MAX_IN_FLIGHT = 3, 4, 4, 8, 8
PER_CALLER = MAX_IN_FLIGHT // 4  # the default share


@dataclass
class Served:
    url: str
    proc: object
    tmp_dir: Path
    log: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def paced(tmp_path_factory) -> Iterator[Served]:
    tmp_dir = tmp_path_factory.mktemp("robust-uploads")
    log = tmp_path_factory.mktemp("robust-logs") / "server.log"
    proc, url = start_server(
        tmp_dir, log, PREUVES_API_KEYS=",".join(KEYS), PREUVES_RATE_LIMIT_PER_MIN="0",
        PREUVES_MAX_IN_FLIGHT=str(MAX_IN_FLIGHT), PREUVES_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
        PREUVES_IDLE_CONNECTION_TIMEOUT_S=str(SILENT_S),
        PREUVES_BODY_IDLE_TIMEOUT_S=str(IDLE_S), PREUVES_UPLOAD_RATE_WINDOW_S=str(WINDOW_S),
    )
    yield Served(url, proc, tmp_dir, log)
    stop_server(proc)


def test_slow_clients_hold_neither_every_place_nor_forever(paced):
    slow = Tricklers(paced.port, 16, upload_head(paced.port, KEYS[0]), every=0.5)
    try:
        # One key gets its share of places; its other connections are refused at once, body unread.
        answered = slow.wait(16 - PER_CALLER, timeout=15)
        assert len(answered) == 16 - PER_CALLER, answered
        for response in answered.values():
            body = response.problem()
            assert (response.status, body["code"]) == (429, "rate_limit.in_flight"), body
            assert int(response.headers["retry-after"]) > 0 and response.headers["connection"] == "close"
            assert body["limit"] == PER_CALLER
        holding = [i for i in range(16) if i not in answered]
        # While those still trickle, other callers' ordinary uploads are answered.
        for key in KEYS[1:]:
            response = upload(paced.url, key)
            assert response.status_code == 200 and response.json()["verdict"] == "accepted", response.text
        assert not set(holding) & set(slow.responses()), "the slow uploads were cut before the others were served"
        # The trickling uploads end with 408 after one rate window, not when their client gives up.
        answered = slow.wait(16, timeout=WINDOW_S + IDLE_S + 10)
        for i in holding:
            body = answered[i].problem()
            assert (answered[i].status, body["code"], body["reason"]) == (408, "request.timeout", "slow"), body
            assert body["min_rate_bytes"] == 10_000 and body["window_s"] == WINDOW_S
    finally:
        slow.close()
    # Their places are back: the same key uploads again, and nothing is left on disk.
    assert upload(paced.url, KEYS[0]).status_code == 200
    assert _wait_for(lambda: not [p for p in paced.tmp_dir.rglob("*") if p.is_file()], timeout=10)
    assert metric(paced.url, 'preuves_upload_timeouts_total{reason="slow"}') >= PER_CALLER


def test_a_body_that_stops_is_408_idle(paced):
    sock = socket.create_connection(("127.0.0.1", paced.port))
    sock.sendall(upload_head(paced.port, KEYS[1]) + b"a few bytes, then nothing")
    response = parse_response(read_until_closed(sock, timeout=IDLE_S + 10))
    sock.close()
    body = response.problem()
    assert (response.status, body["code"], body["reason"]) == (408, "request.timeout", "idle")


def test_a_request_head_that_never_ends_is_408(paced):
    sock = socket.create_connection(("127.0.0.1", paced.port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ")
    stop = threading.Event()

    def trickle() -> None:  # a byte every 0.2 s: uvicorn's own keep-alive timer would never fire
        while not stop.wait(0.2):
            try:
                sock.send(b"a")
            except OSError:
                return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        data = read_until_closed(sock, timeout=HEADER_TIMEOUT_S + 10)
    finally:
        stop.set()
        thread.join(5)
        sock.close()
    response = parse_response(data)
    body = response.problem()
    assert (response.status, body["code"], body["reason"]) == (408, "request.timeout", "headers")
    assert response.headers["connection"] == "close" and body["request_id"] == response.headers["x-request-id"]


def test_a_silent_connection_is_closed_after_the_idle_deadline(paced):
    sock = socket.create_connection(("127.0.0.1", paced.port))
    try:
        assert read_until_closed(sock, timeout=SILENT_S + 10) == b""  # closed, nothing said
    finally:
        sock.close()
    assert metric(paced.url, 'preuves_connections_closed_total{reason="idle_timeout"}') >= 1


def test_the_header_deadline_counts_from_the_first_byte(paced):
    sock = socket.create_connection(("127.0.0.1", paced.port))
    try:
        time.sleep(SILENT_S * 0.4)  # silent for a while (under the silent deadline)…
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(HEADER_TIMEOUT_S * 0.5)  # … then a head in two parts, well within the header deadline
        sock.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
        response = parse_response(read_until_closed(sock, timeout=10))
    finally:
        sock.close()
    assert response.status == 200 and json.loads(response.body) == {"status": "ok"}


@pytest.mark.parametrize("framing", [
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    b"transfer-encoding: chunked\r\ncontent-length: 0\r\n",
])
def test_transfer_encoding_with_content_length_is_400(paced, framing):
    sock = socket.create_connection(("127.0.0.1", paced.port))
    sock.sendall(b"POST /v1/validations HTTP/1.1\r\nHost: x\r\nX-API-Key: " + KEYS[1].encode() + b"\r\n"
                 b"Content-Type: multipart/form-data; boundary=x\r\n" + framing + b"\r\n5\r\nhello\r\n0\r\n\r\n")
    response = parse_response(read_until_closed(sock, timeout=10))
    sock.close()
    assert response.status == 400 and response.problem()["code"] == "request.ambiguous_framing"
    assert response.headers["connection"] == "close"


def test_malformed_request_is_a_problem(paced):
    sock = socket.create_connection(("127.0.0.1", paced.port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")
    response = parse_response(read_until_closed(sock, timeout=10))
    sock.close()
    assert response.status == 400 and response.problem()["code"] == "request.malformed"


def test_made_up_methods_do_not_grow_the_metrics(paced):
    with httpx.Client(base_url=paced.url, timeout=10) as client:
        for i in range(300):
            assert client.request(f"M{i:03d}X", "/healthz").status_code == 405
    text = httpx.get(paced.url + "/metrics").text
    methods = {part.split('"')[1] for line in text.splitlines() if line.startswith("preuves_http_requests_total{")
               for part in line.split(",") if part.startswith("preuves_http_requests_total{method=")}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "other"}
    assert "M000X" not in text and "M299X" not in text
    other = [line for line in text.splitlines() if line.startswith('preuves_http_requests_total{method="other"')]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in other) >= 300


# -- X-Forwarded-For: trusted from configured proxies only ---------------------------------------------
PROXY = "127.0.0.2"  # a second loopback address stands for the reverse proxy


@pytest.fixture(scope="module")
def forwarded(tmp_path_factory) -> Iterator[str]:
    tmp_dir = tmp_path_factory.mktemp("xff-uploads")
    log = tmp_path_factory.mktemp("xff-logs") / "server.log"
    proc, url = start_server(tmp_dir, log, PREUVES_RATE_LIMIT_PER_MIN="5", PREUVES_RATE_LIMIT_BURST="2",
                             PREUVES_TRUSTED_PROXIES=f"{PROXY}/32")
    yield url
    stop_server(proc)


def _from(address: str, url: str, forwarded_for: str) -> int:
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(transport=transport, timeout=10) as client:
        return client.get(url + "/v1/proof-types", headers={"X-Forwarded-For": forwarded_for}).status_code


def test_rotating_forwarded_for_from_an_untrusted_peer_is_one_caller(forwarded):
    statuses = [_from("127.0.0.1", forwarded, f"198.51.100.{i}") for i in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_a_trusted_proxy_names_the_client(forwarded):
    # Each forwarded client has its own bucket …
    assert [_from(PROXY, forwarded, f"203.0.113.{i}") for i in range(5)] == [200] * 5
    # … and the same one is limited, whatever a client wrote to the left of what the proxy appended.
    statuses = [_from(PROXY, forwarded, f"10.9.8.{i}, 203.0.113.200") for i in range(3)]
    assert statuses == [200, 200, 429]


# -- thousands of idle connections, past the server's own descriptor limit ------------------------------
SERVER_NOFILE = 1024  # the server cannot raise it: its connection cap must keep accept() working
IDLE_CONNECTIONS = 2000


@pytest.fixture(scope="module")
def crowded(tmp_path_factory) -> Iterator[str]:
    tmp_dir = tmp_path_factory.mktemp("idle-uploads")
    log = tmp_path_factory.mktemp("idle-logs") / "server.log"
    proc, url = start_server(tmp_dir, log, nofile=SERVER_NOFILE, PREUVES_RATE_LIMIT_PER_MIN="0",
                             PREUVES_IDLE_CONNECTION_TIMEOUT_S="300")  # only the cap closes them here
    yield url
    stop_server(proc)


def test_idle_connections_do_not_exhaust_descriptors(crowded):
    assert raise_nofile(IDLE_CONNECTIONS + 500) >= IDLE_CONNECTIONS + 200, "the test process needs more descriptors"
    port = int(crowded.rsplit(":", 1)[1])
    idle = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            idle.append(socket.create_connection(("127.0.0.1", port)))
        # More connections than the server has descriptors for, and it still answers everyone who asks.
        assert httpx.get(crowded + "/healthz", timeout=30).status_code == 200
        response = upload(crowded)
        assert response.status_code == 200 and response.json()["verdict"] == "accepted", response.text
        assert httpx.get(crowded + "/readyz", timeout=30).status_code == 200
        evicted = metric(crowded, 'preuves_connections_closed_total{reason="evicted"}')
        assert evicted >= IDLE_CONNECTIONS - SERVER_NOFILE, evicted  # the oldest idle ones made room
    finally:
        for sock in idle:
            sock.close()


# -- graceful shutdown is bounded ------------------------------------------------------------------------
def test_sigterm_does_not_wait_for_slow_uploads(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("stop-uploads")
    log = tmp_path_factory.mktemp("stop-logs") / "server.log"
    proc, url = start_server(tmp_dir, log, PREUVES_RATE_LIMIT_PER_MIN="0", PREUVES_SHUTDOWN_TIMEOUT_S="2",
                             PREUVES_MIN_UPLOAD_RATE_BYTES="0", PREUVES_BODY_IDLE_TIMEOUT_S="300",
                             PREUVES_MAX_IN_FLIGHT_PER_CALLER="8")
    port = int(url.rsplit(":", 1)[1])
    slow = Tricklers(port, 4, upload_head(port, None), every=0.5)  # would go on for minutes
    try:
        assert _wait_for(lambda: len([p for p in tmp_dir.rglob("up-*")]) == 4, timeout=15)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=2 + 20)  # the graceful timeout, then the engine's own shutdown
        except Exception:
            stop_server(proc)
            raise AssertionError("SIGTERM waited for the slow uploads") from None
        # uvicorn re-raises the signal it handled once shut down; the shutdown itself went through.
        assert proc.returncode in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in log.read_text()
        assert _wait_for(lambda: len(slow.closed) == 4, timeout=10), "connections left open after exit"
    finally:
        slow.close()
        stop_server(proc)
    assert not [p for p in tmp_dir.rglob("*") if p.is_file()]


# -- the engine's processes killed -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def fragile(tmp_path_factory) -> Iterator[tuple[Served, Path]]:
    tmp_dir = tmp_path_factory.mktemp("engine-uploads")
    log = tmp_path_factory.mktemp("engine-logs") / "server.log"
    flag = tmp_path_factory.mktemp("engine-flag") / "workers-cannot-start"
    proc, url = start_server(tmp_dir, log, PREUVES_RATE_LIMIT_PER_MIN="0", PREUVES_API_KEYS=KEYS[1],
                             PREUVES_EXTRA_PLUGINS="fixtures.api_fragile_workers",
                             PREUVES_TEST_BREAK_FLAG=str(flag))
    yield Served(url, proc, tmp_dir, log), flag
    stop_server(proc)


def test_validations_come_back_within_5_s_after_kill_9_of_the_fork_server(fragile):
    served, _flag = fragile
    assert upload(served.url, KEYS[1]).json()["verdict"] == "accepted"
    os.kill(fork_server_of(served.proc.pid), signal.SIGKILL)
    killed = time.monotonic()
    seen = []
    while time.monotonic() - killed < 5:
        response = upload(served.url, KEYS[1])
        seen.append(response.status_code)
        if response.status_code == 200:
            # Never a verdict on a file the engine could not examine: an answer is 503, or the right one.
            assert response.json()["verdict"] == "accepted", response.json()["findings"]
            break
        assert_problem(response, 503, "engine.unavailable")
        time.sleep(0.2)
    assert seen and seen[-1] == 200, f"still failing 5 s after the kill: {seen}"
    assert httpx.get(served.url + "/healthz").status_code == 200
    assert httpx.get(served.url + "/readyz").status_code == 200


ROUTES = {
    "single": ("/v1/validations", {}, lambda: {"file": ("app.log", LOG)}),
    "batch": ("/v1/validations/batch", {}, lambda: [("file", ("a.log", LOG)), ("file", ("b.log", LOG))]),
    "dossier": ("/v1/dossiers", {"rem": "BIO"}, lambda: [("file", ("DOC_va1.01.01.01 journal.log", LOG))]),
}


@pytest.mark.parametrize("route", ["single", "batch", "dossier", "dossier_md"])
def test_workers_that_cannot_start_are_503_on_every_validating_route(fragile, route):
    served, flag = fragile
    path, data, files = ROUTES[route.removesuffix("_md")]
    params = {"format": "md"} if route.endswith("_md") else {}
    flag.touch()  # from now on a new worker exits as it starts
    try:
        fork_server = fork_server_of(served.proc.pid)
        for pid in [*children(fork_server), fork_server]:
            os.kill(pid, signal.SIGKILL)
        with httpx.Client(base_url=served.url, headers={"X-API-Key": KEYS[1]}, timeout=120) as client:
            # The first request meets the failure while validating, the second is refused before its body.
            for attempt in range(2):
                response = client.post(path, params=params, data=data, files=files())
                body = assert_problem(response, 503, "engine.unavailable")  # never 200 with "rejected"
                assert int(response.headers["retry-after"]) >= 1 and body["retry_after_s"] >= 1, attempt
                assert body["detail"] and body["detail_en"] and body["detail"] != body["detail_en"]
        # Liveness says so too (the process cannot do its job), and readiness.
        assert _wait_for(lambda: httpx.get(served.url + "/healthz").status_code == 503, timeout=10)
        assert httpx.get(served.url + "/readyz").status_code == 503
    finally:
        flag.unlink(missing_ok=True)
    # Once workers can start again, the engine comes back by itself.
    assert _wait_for(lambda: upload(served.url, KEYS[1]).status_code == 200, timeout=30)
    assert httpx.get(served.url + "/healthz").status_code == 200
