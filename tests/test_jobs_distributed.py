"""The distributed mode for real: a redis-server (Debian's) on a free loopback port, the HTTP service with
``PREUVES_JOBS_BROKER``, and ``preuves worker`` Celery processes — a worker SIGKILLed mid-job, whose job
another worker completes, Redis stopped, which ``POST /v1/jobs`` answers 503 with ``Retry-After``, and
the per-caller rate limit shared by two replicas' limiters through Redis.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import redis

from tests._server import ROOT, assert_problem, free_port, start_server, stop_server
from tests.test_api_jobs import AUTH, DONE, REM, SECRET, _kill_tree, dossier_parts, slow_parts, wait_job
from fixtures.dossier import make_bio_dossier

VISIBILITY_S = 4  # a dead worker's job is given to another after this long


def start_redis(directory: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return proc, port
        except redis.ConnectionError:
            assert time.monotonic() < deadline and proc.poll() is None, "redis-server did not start"
            time.sleep(0.05)


def job_env(tmp: Path, port: int) -> dict[str, str]:
    return dict(PREUVES_API_KEYS=AUTH["X-API-Key"], PREUVES_RATE_LIMIT_PER_MIN="0", PREUVES_DATA_DIR=str(tmp / "data"),
                PREUVES_STORAGE=str(tmp / "shared"), PREUVES_JOBS_BROKER=f"redis://127.0.0.1:{port}/0",
                PREUVES_JOBS_VISIBILITY_TIMEOUT_S=str(VISIBILITY_S), PREUVES_EXTRA_PLUGINS="tests.plugins_for_tests.slow",
                PREUVES_CALLBACK_HOSTS="127.0.0.1", PREUVES_CALLBACK_SECRET=SECRET)


def start_worker(tmp: Path, port: int, log: Path) -> subprocess.Popen:
    """``preuves worker`` as an operator starts it; returned once it announced itself in Redis. Its
    metrics port is the process's ``metrics_port`` attribute."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    metrics_port = free_port()
    env.update(PREUVES_LOAD_ENTRYPOINTS="0", PREUVES_WORKERS="2", PREUVES_WORKER_METRICS_PORT=str(metrics_port),
               **job_env(tmp, port))
    client = redis.Redis(port=port)
    before = set(client.scan_iter("preuves:worker:*"))
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-c", "from validator_core.cli import main; main()", "worker"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not set(client.scan_iter("preuves:worker:*")) - before:
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)
    time.sleep(1)  # announced before its consumer loop starts
    proc.metrics_port = metrics_port  # type: ignore[attr-defined]
    return proc


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("jobs-cluster")
    redis_proc, port = start_redis(tmp)
    server, url = start_server(tmp / "uploads", tmp / "server.log", **job_env(tmp, port))
    workers: list[subprocess.Popen] = []
    state = {"tmp": tmp, "port": port, "url": url, "redis": redis_proc, "workers": workers,
             "start_worker": lambda: workers.append(start_worker(tmp, port, tmp / "worker.log")) or workers[-1]}
    try:
        state["start_worker"]()
        yield state
    finally:
        stop_server(server)
        for worker in workers:
            _kill_tree(worker.pid)
        for proc in {redis_proc, state["redis"]}:  # the last test may have started a fresh one
            proc.kill()


@pytest.fixture(scope="module")
def client(cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cluster["url"], headers=AUTH, timeout=60) as c:
        yield c


def test_a_worker_runs_the_dossier(client, cluster, tmp_path):
    ready = client.get("/readyz").json()
    assert ready["jobs"]["queue"] == "celery" and ready["jobs"]["broker"] == "ok" and ready["jobs"]["workers"] >= 1
    bio = make_bio_dossier(tmp_path)
    response = client.post("/v1/jobs", data={"rem": REM}, files=dossier_parts(bio))
    assert response.status_code == 202, response.text
    ended = wait_job(client, response.headers["location"])
    assert ended["status"] == DONE and ended["progress"] == {"done": 5, "total": 5}
    sync = client.post("/v1/dossiers", data={"rem": REM}, files=dossier_parts(bio)).json()
    assert [p["proof"] for p in ended["result"]["proofs"]] == [p["proof"] for p in sync["proofs"]]
    assert ended["result"]["summary"] == sync["summary"]
    assert not staged_in(cluster["tmp"] / "shared")
    metrics = client.get("/metrics").text
    assert "preuves_jobs_queued 0.0" in metrics and "preuves_job_runners 1.0" in metrics
    worker = httpx.get(f"http://127.0.0.1:{cluster['workers'][0].metrics_port}/metrics").text
    assert 'preuves_jobs_ended_total{status="done"} 1.0' in worker and "preuves_job_duration_seconds_count 1.0" in worker


def staged_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_a_killed_worker_loses_no_file(client, cluster):
    running = client.post("/v1/jobs", data={"rem": REM}, files=slow_parts(6, "-celery-kill")).json()
    location = f"/v1/jobs/{running['id']}"
    done_before = wait_job(client, location, until=lambda job: job["progress"]["done"] >= 1)["progress"]["done"]
    victim = cluster["workers"][-1]
    _kill_tree(victim.pid)
    victim.wait(10)
    killed_at = time.time()
    assert client.get(location).json()["status"] == "running"  # nobody runs it now, nothing is lost either
    cluster["start_worker"]()
    ended = wait_job(client, location, timeout=VISIBILITY_S + 60)
    assert ended["status"] == DONE, ended
    files = [f for p in ended["result"]["proofs"] for f in p["files"]]
    assert len(files) == 6 and all(f["report"]["facts"]["slow"]["slow_looked"] for f in files)
    # The redelivered task checked only the files the killed worker had not finished.
    looked = [f["report"]["facts"]["slow"]["looked_at"] for f in files]
    assert 1 <= done_before <= sum(at < killed_at for at in looked) < 6, looked


def test_redis_down_is_503_with_retry_after(client, cluster):
    cluster["redis"].kill()
    cluster["redis"].wait(10)
    response = client.post("/v1/jobs", data={"rem": REM}, files=slow_parts(1, "-down"))
    body = assert_problem(response, 503, "service.unavailable")
    assert int(response.headers["retry-after"]) >= 1 and "travaux" in body["detail"]
    assert_problem(client.get("/readyz"), 503, "service.unavailable")
    assert not staged_in(cluster["tmp"] / "shared")  # nothing half-accepted left behind


def test_replicas_share_the_rate_limit(cluster):
    from api.ratelimit import SharedLimits

    url = f"redis://127.0.0.1:{cluster['port']}/1"
    if cluster["redis"].poll() is not None:  # stopped by the test above: a fresh one
        proc, port = start_redis(cluster["tmp"])
        cluster["redis"], url = proc, f"redis://127.0.0.1:{port}/1"
    replica_a, replica_b = SharedLimits(url, 60, 2), SharedLimits(url, 60, 2)  # two processes' limiters
    assert replica_a.take("key:k1") == 0 and replica_b.take("key:k1") == 0
    wait = replica_b.take("key:k1")
    assert 0 < wait <= 2  # the burst is spent on both replicas together
    assert replica_a.take("key:k1") > 0 and replica_a.take("key:k2") == 0  # another caller has its own
    cluster["redis"].kill()
    cluster["redis"].wait(10)
    assert replica_a.take("key:k1") == 0  # Redis away: let through, not a failure of every request
