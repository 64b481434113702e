"""Per-caller rate limit: the token buckets alone (a fake clock), then a real server at 5 requests a
minute with a burst of 2, where one key runs dry and another still gets through."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest

from api.ratelimit import TokenBuckets, caller_of, key_identity
from tests._server import assert_problem, start_server, stop_server

KEYS = ("rate-key-a-77f2", "rate-key-b-0c9d")
PER_MIN, BURST = 5, 2


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_grants_the_burst_then_says_how_long_to_wait():
    clock = Clock()
    buckets = TokenBuckets(60, 3, clock=clock)  # one token a second
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(1.0)
    clock.now += 0.5
    assert buckets.take("a") == pytest.approx(0.5)  # a refused request takes nothing
    clock.now += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("b") == 0  # another caller has its own bucket
    clock.now += 3600
    assert [buckets.take("a") for _ in range(4)][-1] > 0  # refills up to the burst, not beyond


def test_buckets_memory_is_bounded():
    buckets = TokenBuckets(60, 1, max_callers=100, clock=Clock())
    for i in range(1000):
        buckets.take(f"ip:10.0.{i // 256}.{i % 256}")
    assert len(buckets) == 100


def test_caller_is_a_hash_of_a_valid_key_else_the_address():
    scope = {"client": ("192.0.2.7", 5000), "headers": [(b"x-api-key", KEYS[0].encode())]}
    kind, caller = caller_of(scope, list(KEYS))
    assert (kind, caller) == ("key", key_identity(KEYS[0])) and KEYS[0] not in caller
    bearer = {"client": ("192.0.2.7", 5000), "headers": [(b"authorization", f"Bearer {KEYS[1]}".encode())]}
    assert caller_of(bearer, list(KEYS)) == ("key", key_identity(KEYS[1]))
    wrong = {"client": ("192.0.2.7", 5000), "headers": [(b"x-api-key", b"made-up")]}
    assert caller_of(wrong, list(KEYS)) == ("ip", "ip:192.0.2.7")
    assert caller_of(scope, []) == ("ip", "ip:192.0.2.7")  # no keys configured: the address


# -- over HTTP ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    tmp_dir = tmp_path_factory.mktemp("rate-uploads")
    log = tmp_path_factory.mktemp("rate-logs") / "server.log"
    proc, url = start_server(tmp_dir, log, PREUVES_API_KEYS=",".join(KEYS), PREUVES_WORKERS="1",
                             PREUVES_RATE_LIMIT_PER_MIN=str(PER_MIN), PREUVES_RATE_LIMIT_BURST=str(BURST))
    yield url, log
    stop_server(proc)


def test_a_caller_past_its_burst_gets_429_and_another_key_gets_through(server):
    url, _log = server
    with httpx.Client(base_url=url, headers={"X-API-Key": KEYS[0]}) as first:
        assert [first.get("/v1/proof-types").status_code for _ in range(BURST)] == [200] * BURST
        limited = first.get("/v1/proof-types")
        body = assert_problem(limited, 429, "rate_limit.exceeded")
        retry = int(limited.headers["retry-after"])
        assert 1 <= retry <= 60 / PER_MIN and body["retry_after_s"] == retry and body["limit_per_min"] == PER_MIN
        assert KEYS[0] not in limited.text
        # An upload is refused before its body is read.
        upload = first.post("/v1/validations", files={"file": ("a.log", b"INFO ok\n" * 1000)})
        assert_problem(upload, 429, "rate_limit.exceeded")
    # The same key as a bearer token is the same caller…
    assert httpx.get(url + "/v1/proof-types", headers={"Authorization": f"Bearer {KEYS[0]}"}).status_code == 429
    # … another key is another caller.
    assert httpx.get(url + "/v1/proof-types", headers={"X-API-Key": KEYS[1]}).status_code == 200


def test_wrong_keys_do_not_open_fresh_buckets(server):
    url, _log = server
    statuses = [httpx.get(url + "/v1/proof-types", headers={"X-API-Key": f"guess-{i}"}).status_code
                for i in range(BURST + 2)]
    assert statuses[:BURST] == [401] * BURST and set(statuses[BURST:]) == {429}


def test_health_metrics_and_docs_are_not_limited(server):
    url, _log = server
    for _ in range(BURST + 3):
        assert httpx.get(url + "/healthz").status_code == 200
        assert httpx.get(url + "/readyz").status_code == 200
    assert httpx.get(url + "/openapi.json").status_code == 200
    text = httpx.get(url + "/metrics").text
    assert 'preuves_rate_limited_total{caller="key"}' in text and 'preuves_rate_limited_total{caller="ip"}' in text


def test_keys_never_reach_the_logs(server):
    _url, log = server
    text = log.read_text()
    assert "rate_limit.exceeded" in text or '"status": 429' in text  # the refusals were logged…
    assert all(key not in text for key in KEYS)  # … without the keys
