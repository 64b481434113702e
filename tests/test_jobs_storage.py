"""Jobs on S3-compatible storage, for real: moto's S3 server (``ThreadedMotoServer``) on a free port,
the service with ``PREUVES_STORAGE=s3://bucket/prefix`` — uploads staged in the bucket and deleted
after, JSON jobs naming ``s3://`` objects (one missing: that file's problem, the rest done; all
missing: ``failed``), and every other URL scheme refused before anything is fetched.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Iterator

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from fixtures.dossier import GOOD_PDFA, REM, make_bio_dossier
from tests._server import assert_problem, free_port, start_server, stop_server
from tests.test_api_jobs import AUTH, DONE, FAILED, SECRET, dossier_parts, wait_job

BUCKET = "portail-preuves"
AWS = dict(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="eu-west-3")


@pytest.fixture(scope="module")
def s3(tmp_path_factory) -> Iterator[tuple[str, object]]:
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name=AWS["AWS_DEFAULT_REGION"])
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": AWS["AWS_DEFAULT_REGION"]})
    yield endpoint, client
    moto.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, s3) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("jobs-s3")
    proc, url = start_server(tmp / "uploads", tmp / "server.log", PREUVES_API_KEYS=AUTH["X-API-Key"],
                             PREUVES_RATE_LIMIT_PER_MIN="0", PREUVES_DATA_DIR=str(tmp / "data"),
                             PREUVES_STORAGE=f"s3://{BUCKET}/staged", PREUVES_CALLBACK_SECRET=SECRET,
                             AWS_ENDPOINT_URL=s3[0], **AWS)
    yield url
    stop_server(proc)


@pytest.fixture(scope="module")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers=AUTH, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def bio(tmp_path_factory) -> dict[str, Path]:
    return make_bio_dossier(tmp_path_factory.mktemp("jobs-s3-dossier"))


def keys(s3, prefix: str) -> list[str]:
    return [o["Key"] for o in s3[1].list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def test_uploads_are_staged_in_the_bucket_and_deleted(client, bio, s3):
    response = client.post("/v1/jobs", data={"rem": REM}, files=dossier_parts(bio))
    assert response.status_code == 202, response.text
    ended = wait_job(client, response.headers["location"])
    assert ended["status"] == DONE and ended["result"]["summary"]["files"] == 4
    # Deleted right after the result is stored (the client may see "done" a moment before).
    deadline = time.monotonic() + 10
    while keys(s3, "staged/") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not keys(s3, "staged/")
    assert client.get("/readyz").json()["jobs"]["storage"] == f"s3://{BUCKET}/staged"


def test_json_job_reads_objects_and_reports_a_missing_one(client, bio, s3):
    s3[1].upload_file(str(bio[GOOD_PDFA]), BUCKET, "depots/42/prescription.pdf")
    body = {"rem": "bio", "files": [{"proof": GOOD_PDFA, "url": f"s3://{BUCKET}/depots/42/prescription.pdf"},
                                    {"proof": "DOC/va1.29.01.02", "url": f"s3://{BUCKET}/depots/42/absent.pdf"}]}
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    ended = wait_job(client, response.headers["location"])
    assert ended["status"] == DONE, ended
    files = {f["path"]: f for p in ended["result"]["proofs"] for f in p["files"]}
    good = files[f"{GOOD_PDFA}/prescription.pdf"]
    assert good["status"] in ("accepted", "accepted_with_warnings") and good["report"]["file"]["name"] == "prescription.pdf"
    missing = files["DOC/va1.29.01.02/absent.pdf"]
    assert missing["report"] is None and missing["error"] == f"objet introuvable : s3://{BUCKET}/depots/42/absent.pdf"
    assert keys(s3, "depots/42/") == ["depots/42/prescription.pdf"]  # the portal's objects are left alone


def test_json_job_whose_every_object_is_missing_fails(client):
    body = {"rem": REM, "lang": "en", "files": [{"proof": GOOD_PDFA, "url": f"s3://{BUCKET}/none/a.pdf"},
                                                {"proof": GOOD_PDFA, "url": "s3://no-such-bucket/b.pdf"}]}
    ended = wait_job(client, client.post("/v1/jobs", json=body).headers["location"])
    assert ended["status"] == FAILED
    errors = sorted(f["error"] for p in ended["result"]["proofs"] for f in p["files"])
    assert errors == ["bucket not found: s3://no-such-bucket", f"object not found: s3://{BUCKET}/none/a.pdf"]


@pytest.mark.parametrize("url", ["https://portail.example/a.pdf", "http://127.0.0.1/a.pdf", "file:///etc/passwd",
                                 "/etc/passwd", "S3:/bucket/key", f"s3://{BUCKET}"])
def test_other_url_schemes_are_refused(client, url):
    response = client.post("/v1/jobs", json={"rem": REM, "files": [{"proof": GOOD_PDFA, "url": url}]})
    assert assert_problem(response, 422, "job.url_refused")["field"] == "files[0].url"


def test_bad_json_bodies_are_refused(client):
    assert_problem(client.post("/v1/jobs", content=b"{", headers={"Content-Type": "application/json"}), 422,
                   "request.invalid")
    assert_problem(client.post("/v1/jobs", json={"rem": REM, "files": []}), 422, "request.invalid")
    assert_problem(client.post("/v1/jobs", json={"rem": "XYZ", "files": [{"proof": GOOD_PDFA, "url": "s3://b/k"}]}),
                   422, "request.unknown_rem")


def test_objects_are_read_in_chunks_up_to_the_cap(s3, tmp_path):
    from api.jobs.storage import CHUNK_BYTES, fetch_object

    data = bytes(range(256)) * (3 * CHUNK_BYTES // 256 + 7)
    s3[1].put_object(Bucket=BUCKET, Key="big/video.mp4", Body=data)
    path, size, digest = fetch_object(s3[1], f"s3://{BUCKET}/big/video.mp4", tmp_path / "capped", CHUNK_BYTES + 10)
    assert size == len(data) and digest is None  # judged on its real size; not every byte stored
    assert path.read_bytes() == data[:CHUNK_BYTES + 10]
    path, size, digest = fetch_object(s3[1], f"s3://{BUCKET}/big/video.mp4", tmp_path / "whole", len(data))
    assert path.read_bytes() == data and digest == hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# What a crash leaves staged is swept (api.jobs.storage.sweep_staged), in a folder and in a bucket
# ---------------------------------------------------------------------------------------------
def _stage_four_jobs(storage, store, tmp_path: Path) -> dict[str, str]:
    """One staged file for each of: an ended job, a queued job, a running job, a job the store lacks."""
    from api.jobs.store import DONE as ENDED_DONE

    ids = {kind: f"job-{kind}" for kind in ("ended", "running", "queued", "unknown")}
    for kind, job_id in ids.items():
        source = tmp_path / f"{kind}.log"
        source.write_text(f"fichier de {kind}\n")
        storage.stage(job_id, 0, source)
        if kind != "unknown":
            store.create(job_id, {"files": []}, total=1, caller="c", body_digest=kind)
            time.sleep(0.01)  # claims take the oldest first
    assert store.claim("runner").id == ids["ended"]
    assert store.finish(ids["ended"], ENDED_DONE, {"proofs": []})  # …then the process died: files left
    assert store.claim("runner").id == ids["running"]
    return ids


@pytest.mark.parametrize("where", ["folder", "bucket"])
def test_staged_files_left_by_a_crash_are_swept(where, tmp_path, s3, monkeypatch):
    from api.jobs.storage import ORPHAN_AFTER_S, FolderStorage, S3Storage, sweep_staged
    from api.jobs.store import JobStore

    if where == "bucket":
        for name, value in {**AWS, "AWS_ENDPOINT_URL": s3[0]}.items():
            monkeypatch.setenv(name, value)
        from api.jobs import storage as storage_module

        storage_module.s3_client.cache_clear()  # a client for this endpoint
        storage = S3Storage(f"s3://{BUCKET}/sweep-test")
    else:
        storage = FolderStorage(tmp_path / "staged")
    store = JobStore(tmp_path / "jobs.sqlite3", ttl_s=3600)
    try:
        ids = _stage_four_jobs(storage, store, tmp_path)
        now = time.time()
        # Now: only the ended job's files go (the unknown job's may belong to a request still uploading).
        assert sweep_staged(storage, store.get, now=now) == [ids["ended"]]
        assert sorted(j for j, _ in storage.staged()) == sorted([ids["queued"], ids["running"], ids["unknown"]])
        # Past the grace period, the unknown job's files go too; queued and running jobs keep theirs.
        assert sweep_staged(storage, store.get, now=now + ORPHAN_AFTER_S + 60) == [ids["unknown"]]
        assert sorted(j for j, _ in storage.staged()) == sorted([ids["queued"], ids["running"]])
        assert storage.fetch(f"{ids['running']}/0", tmp_path).read_text() == "fichier de running\n"
    finally:
        store.close()
        for job_id, _ in list(storage.staged()):
            storage.delete_job(job_id)
        if where == "bucket":
            storage_module.s3_client.cache_clear()
