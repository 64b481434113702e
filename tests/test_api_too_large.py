"""A file over its type's limit, on the real service: one 413 ``file.too_large`` problem, with the
limit in Mo and what to do, whether the service learnt the type before the file (refused while it is
received) or after it (refused once the engine knew the type); in a batch or a dossier, the report of
that one file — unless the file is over the service's per-file cap, which the whole request is.

The server runs with a 3 MB service cap (so that "over the cap" costs megabytes, not fifty) and a
1 s body idle timeout (so that a refusal given while the client still owes bytes comes fast).
"""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from typing import Iterator

import httpx
import pytest

from tests._server import assert_problem, start_server, stop_server
from tests.test_api import post_streamed, zeros

CAP = 3_000_000
LOG_LIMIT = 1_000_000
PROBLEM_KEYS = {"size", "complete", "limit", "limit_mo", "proof_type", "index", "filename"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("too-large")
    proc, url = start_server(tmp / "uploads", tmp / "server.log", PREUVES_MAX_BODY_BYTES=str(CAP),
                             PREUVES_BODY_IDLE_TIMEOUT_S="1", PREUVES_RATE_LIMIT_PER_MIN="0")
    yield url
    stop_server(proc)


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


def log_lines(size: int) -> list[bytes]:
    line = b"2026-01-05 10:00:00 INFO appel du service DMP\n"
    data = line * (size // len(line) + 1)
    return [data[i:i + 65536] for i in range(0, size, 65536)][:-1] + [data[(size - 1) // 65536 * 65536:size]]


def assert_says_what_to_do(body: dict, lang: str = "fr") -> None:
    text = body["detail"]
    assert not re.search(r"\d{5,}", text), text  # sizes in Mo, never a byte count
    if lang == "fr":
        assert "Mo" in text and re.search(r"(Réduisez|Compressez|Ne gardez|découpez|Enregistrez)", text), text
        assert body["title"] == "Fichier trop volumineux"
    else:
        assert "MB" in text and re.search(r"(Reduce|Compress|Keep|split|Save)", text), text
        assert body["title"] == "File too large"


def test_type_before_the_file_is_refused_while_the_file_is_received(server):
    """The client still owes 7.5 MB when the answer comes: the limit is enforced as the bytes arrive."""
    boundary = "b" + uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"proof_type\"\r\n\r\nlogs\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"app.log\"\r\n\r\n").encode()
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((f"POST /v1/validations HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n").encode() + head)
        sock.sendall(b"x" * 1_500_000)  # past the 1 Mo of logs, then nothing more
        sock.settimeout(10)
        started, answer = time.monotonic(), b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert time.monotonic() - started < 5
    head_text, _, body_text = answer.partition(b"\r\n\r\n")
    assert head_text.startswith(b"HTTP/1.1 413") and b"connection: close" in head_text.lower()
    body = json.loads(body_text)
    assert body["code"] == "file.too_large" and body["limit"] == LOG_LIMIT and body["limit_mo"] == "1"
    assert body["proof_type"] == "logs" and not body["complete"] and LOG_LIMIT < body["size"] <= 1_500_000
    assert "plus de" in body["detail"] and "Fichier (TBB, DUMP, logs…)" in body["detail"]
    assert_says_what_to_do(body)


def test_a_file_that_ends_within_the_drain_has_its_whole_size(client):
    response = post_streamed(client, "/v1/validations", [
        ("field", "proof_type", "logs"), ("file", "file", "app.log", log_lines(1_200_000))])
    body = assert_problem(response, 413, "file.too_large")
    assert body["size"] == 1_200_000 and body["complete"] and body["limit"] == LOG_LIMIT
    assert PROBLEM_KEYS <= set(body) and "aliases" not in body  # under the service's cap
    assert "1,2 Mo" in body["detail"] and "1 Mo" in body["detail"]
    assert_says_what_to_do(body)
    assert response.headers["content-language"] == "fr"


def test_a_type_learnt_after_the_file_gives_the_same_problem(client):
    """proof_type after the file: stored up to the largest limit, then the engine says too large."""
    early = post_streamed(client, "/v1/validations", [
        ("field", "proof_type", "logs"), ("file", "file", "app.log", log_lines(1_200_000))]).json()
    late = post_streamed(client, "/v1/validations", [
        ("file", "file", "app.log", log_lines(1_200_000)), ("field", "proof_type", "logs")])
    body = assert_problem(late, 413, "file.too_large")
    assert set(body) == set(early) and "connection" not in late.headers  # the body was read to its end
    for key in ("size", "complete", "limit", "limit_mo", "proof_type", "detail", "detail_en", "title"):
        assert body[key] == early[key], key


def test_english_with_lang_en(client):
    response = client.post("/v1/validations?lang=en", data={"proof_type": "logs"},
                           files={"file": ("app.log", b"".join(log_lines(1_500_000)))})
    body = assert_problem(response, 413, "file.too_large")
    assert body["detail"] == body["detail_en"] and "1.5 MB" in body["detail"]
    assert_says_what_to_do(body, "en")
    assert response.headers["content-language"] == "en"


def test_without_a_type_a_file_over_the_cap_names_the_old_code(client):
    response = post_streamed(client, "/v1/validations", [("file", "file", "huge.mp4", zeros(CAP + 500_000))])
    body = assert_problem(response, 413, "file.too_large")
    assert body["proof_type"] is None and body["limit"] == CAP and body["complete"]
    assert body["body_limit"] == CAP and body["aliases"] == ["request.body_too_large"]
    assert "3 Mo" in body["detail"]


def test_in_a_batch_a_file_over_its_type_limit_gets_its_report(client):
    response = post_streamed(client, "/v1/validations/batch", [
        ("field", "proof_type", "logs"), ("file", "file", "big.log", log_lines(1_200_000)),
        ("field", "proof_type", "logs"), ("file", "file", "small.log", [b"INFO ok\n"])])
    big, small = response.json()["reports"]
    assert response.status_code == 200 and small["verdict"] == "accepted"
    finding = next(f for f in big["findings"] if f["code"] == "file.too_large")
    assert big["verdict"] == "rejected" and finding["details"]["limit"] == LOG_LIMIT
    assert finding["details"]["limit_mo"] == "1" and big["file"]["size"] == 1_200_000


def test_in_a_dossier_a_file_over_the_cap_is_the_request_s_413(client):
    response = post_streamed(client, "/v1/dossiers", [
        ("field", "rem", "BIO"), ("file", "file", "DOC_va1.01.01.01 prescription.pdf", [b"%PDF-1.4\n"]),
        ("file", "file", "DOC_va1.25.01.01 demo.mp4", zeros(CAP + 100_000))])
    body = assert_problem(response, 413, "file.too_large")
    assert body["index"] == 1 and body["filename"] == "DOC_va1.25.01.01 demo.mp4" and body["limit"] == CAP
    assert body["aliases"] == ["request.body_too_large"]


def test_a_batch_over_its_whole_cap_is_still_body_too_large(client):
    files = [("field", "proof_type", "logs")]
    for i in range(5):  # each under the per-file cap (and over its type's limit), together over 4 × the cap
        files.append(("file", "file", f"part{i}.log", zeros(CAP - 200_000)))
    body = assert_problem(post_streamed(client, "/v1/validations/batch", files), 413, "request.body_too_large")
    assert body["limit"] == 4 * CAP and "Mo" in body["detail"] and not re.search(r"\d{5,}", body["detail"])


def test_an_upload_announced_over_the_cap_is_refused_before_it_is_sent(server):
    declared = 20 * CAP  # over the cap and the drain budget: not worth reading
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall((f"POST /v1/validations HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\nExpect: 100-continue\r\n"
                      "Content-Type: multipart/form-data; boundary=b\r\nAccept-Language: en\r\n\r\n").encode())
        sock.settimeout(10)
        answer = b""
        while not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body_text = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"100 Continue" not in head
    body = json.loads(body_text)
    assert body["code"] == "file.too_large" and body["size"] is None and body["declared"] == declared
    assert body["aliases"] == ["request.body_too_large"] and "60 MB" in body["detail"]
