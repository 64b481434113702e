"""Where a job's files wait for the runner, and how the runner reads the objects a job names.

- :class:`FolderStorage` — a folder every runner can read (the data folder's by default, or a shared
  one: ``PREUVES_STORAGE=/path``); the runner validates a staged file in place.
- :class:`S3Storage` — an S3-compatible bucket (``PREUVES_STORAGE=s3://bucket/prefix``, boto3; the
  endpoint and credentials are boto3's usual ``AWS_*`` settings); the runner downloads a staged file
  to its work folder.

``POST /v1/jobs`` stages each received file (``stage``) before answering 202; the runner gets a local
path for it (``fetch``); the job's files are deleted when the job ends (``delete_job``). What a crash
left behind (a process killed between storing a result and deleting its files, a request that died
while staging) is found by :func:`sweep_staged`, which the queue and the Celery workers run regularly.

A JSON job names its files by ``s3://bucket/key`` instead (:func:`fetch_object`): read in chunks,
never whole in memory, and stored no further than the proof's size cap (the rest is counted, as an
upload's is). No other URL scheme is fetched (:func:`check_object_url`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from api.jobs.store import Job
    from api.settings import ApiSettings

# Staged files of a job the store does not know are kept this long after their last write: a request
# still uploading stages its files before the job is created (its body time is bounded far below this).
ORPHAN_AFTER_S = 3600.0
SWEEP_EVERY_S = 60.0  # how often the queue (expired jobs, then staged files) and each Celery worker sweep


class FetchError(Exception):
    """A job's file could not be read from the storage: that file's problem in the result."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en


class FolderStorage:
    """Staged files under ``root/<job id>/<index>`` (mode 0700: they are the callers' documents)."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root = root

    def describe(self) -> str:
        return str(self.root)

    def stage(self, job_id: str, index: int, source: Path) -> str:
        """Move ``source`` (a received temp file) into the job's folder; the key to find it again."""
        folder = self.root / job_id
        folder.mkdir(exist_ok=True, mode=0o700)
        key = f"{job_id}/{index}"
        shutil.move(source, self.root / key)  # a rename when the upload folder is on the same filesystem
        return key

    def fetch(self, key: str, work: Path) -> Path:
        """The staged file to validate (in place); :class:`FetchError` when it is gone."""
        path = self.root / key
        if not path.is_file():
            raise FetchError(f"fichier déposé introuvable dans le stockage ({key})",
                             f"staged file not found in the storage ({key})")
        return path

    def delete_job(self, job_id: str) -> None:
        shutil.rmtree(self.root / job_id, ignore_errors=True)

    def staged(self) -> Iterator[tuple[str, float]]:
        """Every job with staged files: its id and when its files were last written (epoch seconds)."""
        with os.scandir(self.root) as entries:
            folders = [entry for entry in entries if entry.is_dir(follow_symlinks=False)]
        for folder in folders:
            with os.scandir(folder.path) as files:
                times = [f.stat(follow_symlinks=False).st_mtime for f in files]
            yield folder.name, max(times, default=folder.stat(follow_symlinks=False).st_mtime)

    def check(self) -> None:
        """Raise :class:`OSError` when the folder cannot be written (readiness)."""
        fd, name = tempfile.mkstemp(prefix=".ready-", dir=self.root)
        os.close(fd)
        os.unlink(name)


class S3Storage:
    """Staged files as objects ``<prefix>/<job id>/<index>`` of a bucket."""

    def __init__(self, url: str) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.client = s3_client()

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}".lstrip("/")

    def stage(self, job_id: str, index: int, source: Path) -> str:
        key = f"{job_id}/{index}"
        self.client.upload_file(str(source), self.bucket, self._key(key))  # multipart upload for big files
        source.unlink(missing_ok=True)
        return key

    def fetch(self, key: str, work: Path) -> Path:
        path, _size, _digest = _download(self.client, self.bucket, self._key(key), work / key.replace("/", "-"), None)
        return path

    def delete_job(self, job_id: str) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(job_id + "/"))
        for page in pages:
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objects:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})

    def staged(self) -> Iterator[tuple[str, float]]:
        newest: dict[str, float] = {}
        base = self._key("")
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base):
            for obj in page.get("Contents", []):
                job_id = obj["Key"][len(base):].split("/", 1)[0]
                newest[job_id] = max(newest.get(job_id, 0.0), obj["LastModified"].timestamp())
        yield from newest.items()

    def check(self) -> None:
        import botocore.exceptions

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise OSError(f"s3://{self.bucket}: {exc}") from None


Storage = FolderStorage | S3Storage


def sweep_staged(storage: Storage, job_of: Callable[[str], "Job | None"], *, now: float) -> list[str]:
    """Delete the staged files nothing will read again; the ids of the jobs they belonged to.

    That is the files of an ended job (its runner stored the result, then died before deleting them)
    and those of a job the store does not know (expired, or its request died while staging) once
    :data:`ORPHAN_AFTER_S` has passed. A queued or running job's files are kept.
    """
    swept = []
    for job_id, written_at in list(storage.staged()):
        job = job_of(job_id)
        if (job is not None and job.ended) or (job is None and now - written_at > ORPHAN_AFTER_S):
            storage.delete_job(job_id)
            swept.append(job_id)
    return swept


def storage_from(settings: "ApiSettings") -> Storage:
    """The staging storage the settings name (``PREUVES_STORAGE``, else the data folder's)."""
    if settings.storage and settings.storage.startswith("s3://"):
        return S3Storage(settings.storage)
    return FolderStorage(settings.storage_path())


# -- objects named by a JSON job --------------------------------------------------------------------
CHUNK_BYTES = 1 << 20


class UrlRefused(ValueError):
    """Not an ``s3://bucket/key`` URL: never fetched."""


def parse_s3_url(url: str) -> tuple[str, str]:
    """``(bucket, key)`` of ``s3://bucket/key``; :class:`UrlRefused` for anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() != "s3":
        raise UrlRefused(scheme.lower() if sep else "")
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise UrlRefused("s3")
    return bucket, key.strip("/")


def check_object_url(url: str) -> tuple[str, str]:
    """What ``POST /v1/jobs`` accepts as a file's ``url``: ``s3://bucket/key`` with a key."""
    bucket, key = parse_s3_url(url)
    if not key:
        raise UrlRefused("s3")
    return bucket, key


@lru_cache(maxsize=1)
def s3_client():  # noqa: ANN201 - boto3's client type is generated
    import boto3
    from botocore.config import Config

    # Bounded waits: a storage that does not answer fails the file, not the runner.
    return boto3.client("s3", config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3}))


def fetch_object(client, url: str, dest: Path, cap: int) -> tuple[Path, int, str | None]:  # noqa: ANN001
    """Download ``s3://bucket/key`` to ``dest``, at most ``cap`` bytes stored: ``(path, real size,
    sha256 or None when not every byte was stored)``; :class:`FetchError` when it cannot be read."""
    bucket, key = check_object_url(url)
    return _download(client, bucket, key, dest, cap)


def _download(client, bucket: str, key: str, dest: Path, cap: int | None) -> tuple[Path, int, str | None]:  # noqa: ANN001
    import botocore.exceptions

    try:
        response = client.get_object(Bucket=bucket, Key=key)
        size = int(response.get("ContentLength") or 0)  # the real size, judged even when not all is stored
        body, hasher, stored = response["Body"], hashlib.sha256(), 0
        with open(dest, "wb") as out:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                if cap is not None:
                    chunk = chunk[:cap - stored]
                out.write(chunk)
                hasher.update(chunk)
                stored += len(chunk)
                if cap is not None and stored >= cap:
                    break  # the rest is not read
        body.close()
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            raise FetchError(f"objet introuvable : s3://{bucket}/{key}", f"object not found: s3://{bucket}/{key}") from None
        if code in ("NoSuchBucket",):
            raise FetchError(f"compartiment introuvable : s3://{bucket}", f"bucket not found: s3://{bucket}") from None
        raise FetchError(f"objet illisible ({code}) : s3://{bucket}/{key}", f"object not readable ({code}): s3://{bucket}/{key}") from None
    except (botocore.exceptions.BotoCoreError, OSError) as exc:
        raise FetchError(f"stockage injoignable ({type(exc).__name__}) : s3://{bucket}/{key}",
                         f"storage unreachable ({type(exc).__name__}): s3://{bucket}/{key}") from None
    return dest, size, hasher.hexdigest() if stored == size else None
