"""``/v1/jobs`` with the embedded queue, over real HTTP (a uvicorn process, like tests/test_api.py):
the dossier of ``POST /v1/dossiers`` checked in the background, idempotency, cancellation, a signed
callback to a local HTTP server, and a service killed (SIGKILL) mid-job whose job resumes on restart.

The job store itself (claims, expiry, orphans) is tested directly on a SQLite file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from api.jobs.store import CANCELLED, DONE, FAILED, QUEUED, RUNNING, IdempotencyConflict, JobStore, new_id, process_token
from fixtures.dossier import GOOD_PDFA, NO_PDFA, REM, WRONG_TYPE, make_bio_dossier
from tests._server import assert_problem, children, start_server, stop_server

KEY = "jobs-key-7d21"
AUTH = {"X-API-Key": KEY}
SECRET = "callback-secret-0b9e"
LOG_PROOF = "DMP_AIRS.06.01.02"  # admits logs only: the slow test plugin inspects its files
SLOW_LOG = b"2026-01-05 10:00:00 INFO SLOW connexion au service DMP\n" * 20


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return dict(PREUVES_API_KEYS=KEY, PREUVES_RATE_LIMIT_PER_MIN="0", PREUVES_DATA_DIR=str(data_dir),
                PREUVES_EXTRA_PLUGINS="tests.plugins_for_tests.slow", PREUVES_CALLBACK_HOSTS="127.0.0.1",
                PREUVES_CALLBACK_SECRET=SECRET, PREUVES_CALLBACK_BACKOFF_S="0.2", **extra)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("jobs-data")


@pytest.fixture(scope="module")
def server(tmp_path_factory, data_dir) -> Iterator[str]:
    tmp_dir = tmp_path_factory.mktemp("jobs-uploads")
    log = tmp_path_factory.mktemp("jobs-logs") / "server.log"
    proc, url = start_server(tmp_dir, log, **_env(data_dir))
    yield url
    stop_server(proc)


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=AUTH, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def bio(tmp_path_factory) -> dict[str, Path]:
    return make_bio_dossier(tmp_path_factory.mktemp("jobs-dossier"))


def dossier_parts(bio: dict[str, Path]) -> list[tuple[str, tuple[str, bytes]]]:
    root = bio["root"]
    return [("file", (path.relative_to(root).as_posix(), path.read_bytes()))
            for path in sorted(root.rglob("*")) if path.is_file()]


def slow_parts(n: int, tag: str = "") -> list[tuple[str, tuple[str, bytes]]]:
    return [("file", (f"{LOG_PROOF} journal-{i}{tag}.log", SLOW_LOG + tag.encode())) for i in range(n)]


def wait_job(client: httpx.Client, location: str, *, until=lambda job: job["status"] not in (QUEUED, RUNNING),
             timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(location).json()
        if until(job):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def staged(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "staged").rglob("*") if p.is_file()]


def without_timings(result: dict) -> dict:
    """A dossier result with the fields that differ between two runs of the same files removed."""
    text = json.dumps(result, sort_keys=True)
    result = json.loads(text)
    for proof in result["proofs"]:
        for file in proof["files"]:
            if file["report"]:
                file["report"].pop("elapsed_ms", None)
                file["report"].pop("checked_at", None)
                for check in file["report"].get("checks", []):
                    check.pop("elapsed_ms", None)
    return result


# -- the job API ------------------------------------------------------------------------------------
def test_job_gives_the_dossier_result(client, bio, data_dir):
    response = client.post("/v1/jobs", data={"rem": "bio"}, files=dossier_parts(bio))
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in (QUEUED, RUNNING) and job["progress"]["total"] == 5 and job["result"] is None
    ended = wait_job(client, response.headers["location"])
    assert ended["status"] == DONE and ended["progress"] == {"done": 5, "total": 5}
    statuses = {p["proof"]: p["status"] for p in ended["result"]["proofs"]}
    assert statuses[WRONG_TYPE] == statuses[NO_PDFA] == "rejected"
    assert statuses[GOOD_PDFA] in ("accepted", "accepted_with_warnings")
    assert ended["result"]["unmatched_files"] == ["notes.txt"]
    # The same result as the synchronous route, file names included.
    sync = client.post("/v1/dossiers", data={"rem": "bio"}, files=dossier_parts(bio)).json()
    assert without_timings(ended["result"]) == without_timings(sync)
    assert not staged(data_dir)  # deleted once the job ended
    # Declared conditions reach the job's dossier as they reach /v1/dossiers'.
    form = {"rem": "bio", "conditions": "referentiel_identite=non"}
    declared = wait_job(client, client.post("/v1/jobs", data=form, files=dossier_parts(bio)).headers["location"])
    sync = client.post("/v1/dossiers", data=form, files=dossier_parts(bio)).json()
    assert declared["result"]["summary"]["not_applicable"] > 0
    assert without_timings(declared["result"]) == without_timings(sync)


def test_job_refuses_bad_fields_before_queueing(client, bio):
    assert_problem(client.post("/v1/jobs", data={"rem": "XYZ"}, files=dossier_parts(bio)[:1]), 422, "request.unknown_rem")
    assert_problem(client.post("/v1/jobs", data={"rem": REM}, files={"other": b"x"}), 422, "request.missing_file")
    assert_problem(client.post("/v1/jobs", data={"rem": "bio", "conditions": "pas_une_condition"},
                               files=dossier_parts(bio)[:1]), 422, "request.unknown_condition")
    assert_problem(client.get("/v1/jobs/" + "0" * 32), 404, "job.not_found")
    assert client.get("/v1/jobs/../healthz").status_code in (404, 422)


def test_idempotency_key(client):
    parts = slow_parts(1, "-idem")
    first = client.post("/v1/jobs", data={"rem": REM}, files=parts, headers={"Idempotency-Key": "k-1"})
    again = client.post("/v1/jobs", data={"rem": REM}, files=parts, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other_body = client.post("/v1/jobs", data={"rem": REM}, files=slow_parts(2, "-idem"), headers={"Idempotency-Key": "k-1"})
    assert assert_problem(other_body, 422, "job.idempotency_key_reused")["job_id"] == first.json()["id"]
    fresh = client.post("/v1/jobs", data={"rem": REM}, files=parts, headers={"Idempotency-Key": "k-2"})
    assert fresh.json()["id"] != first.json()["id"]
    for response in (first, fresh):
        assert wait_job(client, response.headers["location"])["status"] == DONE


def test_cancel_stops_a_running_job(client, data_dir):
    response = client.post("/v1/jobs", data={"rem": REM}, files=slow_parts(8, "-cancel"))
    location = response.headers["location"]
    wait_job(client, location, until=lambda job: job["status"] == RUNNING)
    cancelled = client.delete(location)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == CANCELLED
    # The runner stops at its next file, and deletes the job's files.
    deadline = time.monotonic() + 10
    while [p for p in staged(data_dir) if response.json()["id"] in str(p)]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    job = client.get(location).json()
    assert job["status"] == CANCELLED and job["result"] is None and job["progress"]["done"] < 8


# -- callbacks --------------------------------------------------------------------------------------
class _Portal(BaseHTTPRequestHandler):
    """The portal's end: refuses the first call (500), accepts the next; keeps what it got."""

    received: list[tuple[dict, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(500 if len(self.received) == 1 else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def portal() -> Iterator[str]:
    _Portal.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/preuves/callback"
    httpd.shutdown()


def test_callback_is_signed_and_retried(client, portal):
    response = client.post("/v1/jobs", data={"rem": REM, "callback_url": portal}, files=slow_parts(1, "-cb"))
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    job = wait_job(client, location, until=lambda job: (job.get("callback") or {}).get("status") == "delivered")
    assert len(_Portal.received) == 2  # refused once, delivered on the retry
    for headers, body in _Portal.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Preuves-Signature"] == expected
        sent = json.loads(body)
        assert sent["id"] == job["id"] and sent["status"] == DONE and sent["result"] == job["result"]


@pytest.mark.parametrize("url", ["http://example.org/cb", "ftp://127.0.0.1/cb", "http://user:pw@127.0.0.1/cb",
                                 "http://127.0.0.1.example.org/cb", "not a url"])
def test_callback_outside_the_allowlist_is_refused(client, url):
    response = client.post("/v1/jobs", data={"rem": REM, "callback_url": url}, files=slow_parts(1, "-refused"))
    assert assert_problem(response, 422, "job.callback_refused")["field"] == "callback_url"


# -- restart ----------------------------------------------------------------------------------------
def _kill_tree(pid: int) -> None:
    """SIGKILL a process and every process under it (a machine or container dying)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children(current))
    for each in tree:
        try:
            os.kill(each, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_killed_service_resumes_its_jobs(tmp_path):
    data_dir, tmp_dir, log = tmp_path / "data", tmp_path / "uploads", tmp_path / "server.log"
    proc, url = start_server(tmp_dir, log, **_env(data_dir))
    try:
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as c:
            running = c.post("/v1/jobs", data={"rem": REM}, files=slow_parts(6, "-restart")).json()
            queued = c.post("/v1/jobs", data={"rem": REM}, files=slow_parts(2, "-queued")).json()
            wait_job(c, f"/v1/jobs/{running['id']}", until=lambda job: job["progress"]["done"] >= 1)
            done_before = c.get(f"/v1/jobs/{running['id']}").json()["progress"]["done"]
    finally:
        _kill_tree(proc.pid)
        proc.wait(10)
    restarted_at = time.time()
    proc, url = start_server(tmp_dir, log, **_env(data_dir))
    try:
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as c:
            for job in (running, queued):
                ended = wait_job(c, f"/v1/jobs/{job['id']}")
                assert ended["status"] == DONE, ended
                files = [f for p in ended["result"]["proofs"] for f in p["files"]]
                assert len(files) == job["progress"]["total"] and all(f["report"] for f in files)
                assert all(f["report"]["facts"]["slow"]["slow_looked"] for f in files)
                looked = sorted(f["report"]["facts"]["slow"]["looked_at"] for f in files)
                if job is running:  # the files checked before the kill were not checked again
                    assert 1 <= done_before <= sum(at < restarted_at for at in looked) < len(files), looked
                else:
                    assert all(at > restarted_at for at in looked)
        assert not staged(data_dir)
    finally:
        stop_server(proc)


# -- the store --------------------------------------------------------------------------------------
def test_store_claims_expires_and_requeues_orphans(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3", ttl_s=0.3)
    first, created = store.create(new_id(), {"files": []}, total=1, caller="ip:a", body_digest="d1", idempotency_key="k")
    assert created
    same, created = store.create(new_id(), {"files": []}, total=1, caller="ip:a", body_digest="d1", idempotency_key="k")
    assert not created and same.id == first.id
    with pytest.raises(IdempotencyConflict):
        store.create(new_id(), {"files": []}, total=1, caller="ip:a", body_digest="d2", idempotency_key="k")
    other_caller, created = store.create(new_id(), {"files": []}, total=1, caller="ip:b", body_digest="d2",
                                         idempotency_key="k")
    assert created  # a key is the caller's own

    claimed = store.claim(process_token())
    assert claimed.id == first.id and claimed.status == RUNNING
    # A second store on the same file (another process) takes the next job, never the same.
    assert JobStore(tmp_path / "jobs.sqlite3", ttl_s=0.3).claim("1:dead").id == other_caller.id
    assert store.requeue_orphans() == [other_caller.id]  # its owner is not a living process
    assert store.requeue_orphans() == []  # ours is alive
    assert store.finish(first.id, DONE, {"ok": True}) and store.get(first.id).result == {"ok": True}
    assert not store.finish(first.id, DONE, {"ok": False})  # ended once
    time.sleep(0.4)
    assert store.get(first.id) is None  # expired: gone for GET
    assert store.purge_expired() == [first.id]
    # An expired job frees its idempotency key.
    again, created = store.create(new_id(), {"files": []}, total=1, caller="ip:a", body_digest="d2", idempotency_key="k")
    assert created and again.id != first.id


def test_store_keeps_each_checked_files_report_until_the_job_ends(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3", ttl_s=60)
    kept, _ = store.create(new_id(), {"files": []}, total=2, caller="ip:a", body_digest="d1")
    cancelled, _ = store.create(new_id(), {"files": []}, total=2, caller="ip:a", body_digest="d2")
    for job in (kept, cancelled):
        store.save_file(job.id, 0, {"verdict": "accepted"})
    store.save_file(kept.id, 1, {"verdict": "rejected"})
    store.save_file(kept.id, 1, {"verdict": "accepted"})  # checked again: the last report counts
    assert store.file_reports(kept.id) == {0: {"verdict": "accepted"}, 1: {"verdict": "accepted"}}
    store.requeue_orphans()
    assert store.purge_expired() == [] and store.file_reports(kept.id)  # a queued job keeps its reports
    store.cancel(cancelled.id)
    store.purge_expired()
    assert store.file_reports(cancelled.id) == {}  # an ended job's are gone, expired or not
    assert store.claim(process_token()).id == kept.id
    assert store.finish(kept.id, DONE, {"ok": True}) and store.file_reports(kept.id) == {}
