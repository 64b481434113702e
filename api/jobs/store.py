"""The job store of the embedded queue: one SQLite file in the service's data folder.

A job is a row: its request (REM, profiles, language, staged files, callback URL), its status, its
progress and, once ended, its result. The row outlives the process, which is what lets a restarted
service resume the jobs it had queued or was running (:meth:`JobStore.requeue_orphans`).

Several processes of one service (``preuves serve --workers N``) share the file: a job is taken by
one of them with a single ``UPDATE … WHERE status = 'queued'`` (:meth:`JobStore.claim`), and a
running job names the process that runs it (pid and start time, so that a reused pid is not taken
for the same process).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ENDED = (DONE, FAILED, CANCELLED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    caller TEXT NOT NULL,
    idempotency_key TEXT,
    body_digest TEXT NOT NULL,
    request TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL,
    result TEXT,
    owner TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    expires_at REAL,
    callback_status TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (caller, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, created_at);
-- The report of each file a running job has checked: a job resumed after its process stopped does not
-- check those files again. Deleted when the job ends (its result holds them) or expires.
CREATE TABLE IF NOT EXISTS job_files (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (job_id, idx)
);
"""


@dataclass
class Job:
    id: str
    status: str
    request: dict[str, Any]
    done: int
    total: int
    created_at: float
    body_digest: str = ""
    result: dict[str, Any] | None = None
    started_at: float | None = None
    finished_at: float | None = None
    expires_at: float | None = None
    attempts: int = 0
    callback_status: str | None = None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    def to_public(self) -> dict[str, Any]:
        """What ``GET /v1/jobs/{id}`` answers."""
        body: dict[str, Any] = {
            "id": self.id, "status": self.status, "progress": {"done": self.done, "total": self.total},
            "result": self.result, "created_at": _iso(self.created_at), "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at), "expires_at": _iso(self.expires_at),
        }
        if self.request.get("callback_url"):
            body["callback"] = {"url": self.request["callback_url"], "status": self.callback_status}
        return body


def _iso(at: float | None) -> str | None:
    return None if at is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def new_id() -> str:
    return uuid.uuid4().hex


def process_token(pid: int | None = None) -> str:
    """``pid:start-time``: names one process, even after its pid is reused by another."""
    pid = pid or os.getpid()
    return f"{pid}:{_start_time(pid)}"


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def _alive(token: str) -> bool:
    pid, _, started = token.partition(":")
    return pid.isdigit() and _start_time(int(pid)) == started


class IdempotencyConflict(Exception):
    """The key was used for another body by this caller."""


class JobStore:
    """Jobs in SQLite; thread-safe (one connection per store, behind a lock)."""

    def __init__(self, path: Path, *, ttl_s: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        # isolation_level=None: autocommit, with explicit BEGIN IMMEDIATE where a read decides a write.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")  # readers (GET) never wait for the runner's writes
            # Durable against a killed process either way (WAL); against a power loss, only the job's
            # creation must be (a 202 promises the job): it is committed with synchronous=FULL, the rest
            # (claim, progress, result) without an fsync each (~5 ms apiece here) — a step lost that way
            # leaves the job queued or running for a gone process, and it is run again.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- the route's side ------------------------------------------------------------------------
    def create(self, job_id: str, request: dict[str, Any], *, total: int, caller: str, body_digest: str,
               idempotency_key: str | None = None) -> tuple[Job, bool]:
        """A new queued job ``job_id`` (:func:`new_id`; its files staged under it already), or the one
        this caller created with the same key and body (``False``).

        :raises IdempotencyConflict: the key was used by this caller for another body.
        """
        now = time.time()
        with self._lock, self._synchronous_full():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if idempotency_key is not None:
                    row = self._db.execute("SELECT * FROM jobs WHERE caller = ? AND idempotency_key = ?",
                                           (caller, idempotency_key)).fetchone()
                    if row is not None and not _expired(row, now):
                        self._db.execute("COMMIT")
                        if row["body_digest"] != body_digest:
                            raise IdempotencyConflict(row["id"])
                        return _job(row), False
                    if row is not None:  # an expired job frees its key
                        self._db.execute("DELETE FROM jobs WHERE id = ?", (row["id"],))
                self._db.execute(
                    "INSERT INTO jobs (id, status, caller, idempotency_key, body_digest, request, total, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (job_id, QUEUED, caller, idempotency_key, body_digest, json.dumps(request), total, now))
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        return Job(job_id, QUEUED, request, 0, total, now, body_digest), True

    @contextlib.contextmanager
    def _synchronous_full(self) -> Iterator[None]:
        self._db.execute("PRAGMA synchronous=FULL")
        try:
            yield
        finally:
            self._db.execute("PRAGMA synchronous=NORMAL")

    def get(self, job_id: str) -> Job | None:
        """The job, or ``None`` when unknown or expired."""
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None or _expired(row, time.time()):
            return None
        return _job(row)

    def cancel(self, job_id: str) -> Job | None:
        """Mark a queued or running job cancelled (a running one stops at its next file)."""
        now = time.time()
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET status = ?, finished_at = ?, expires_at = ? WHERE id = ? AND status IN (?, ?)",
                (CANCELLED, now, now + self.ttl_s, job_id, QUEUED, RUNNING))
        return self.get(job_id)

    # -- the runner's side ----------------------------------------------------------------------
    def claim(self, owner: str) -> Job | None:
        """Take the oldest queued job for ``owner`` (marked running), or ``None``."""
        now = time.time()
        with self._lock:
            row = self._db.execute(
                "UPDATE jobs SET status = ?, owner = ?, started_at = ?, attempts = attempts + 1, done = 0"
                " WHERE id = (SELECT id FROM jobs WHERE status = ? ORDER BY created_at LIMIT 1)"
                " AND status = ? RETURNING *",
                (RUNNING, owner, now, QUEUED, QUEUED)).fetchone()
        return None if row is None else _job(row)

    def progress(self, job_id: str, done: int) -> str | None:
        """Record how many files are checked; the job's status (a runner stops when it is no longer running)."""
        with self._lock:
            row = self._db.execute("UPDATE jobs SET done = ? WHERE id = ? AND status = ? RETURNING status",
                                   (done, job_id, RUNNING)).fetchone()
            if row is None:
                row = self._db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else row["status"]

    def save_file(self, job_id: str, index: int, report: dict[str, Any]) -> None:
        """Keep the report of the job's file ``index`` (its place in the request), for a resumed run."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO job_files (job_id, idx, report) VALUES (?, ?, ?)",
                             (job_id, index, json.dumps(report)))

    def file_reports(self, job_id: str) -> dict[int, dict[str, Any]]:
        """The reports :meth:`save_file` kept for the job, by file index."""
        with self._lock:
            rows = self._db.execute("SELECT idx, report FROM job_files WHERE job_id = ?", (job_id,)).fetchall()
        return {row["idx"]: json.loads(row["report"]) for row in rows}

    def finish(self, job_id: str, status: str, result: dict[str, Any] | None, *,
               callback_status: str | None = None) -> bool:
        """End a running job with its result (every file handled: ``done = total``); ``False`` when it is
        no longer running (cancelled)."""
        now = time.time()
        with self._lock:
            row = self._db.execute(
                "UPDATE jobs SET status = ?, done = total, result = ?, finished_at = ?, expires_at = ?, callback_status = ?"
                " WHERE id = ? AND status = ? RETURNING id",
                (status, json.dumps(result) if result is not None else None, now, now + self.ttl_s,
                 callback_status, job_id, RUNNING)).fetchone()
            if row is not None:
                self._db.execute("DELETE FROM job_files WHERE job_id = ?", (job_id,))
        return row is not None

    def release(self, job_id: str) -> None:
        """Put a running job back in the queue (its process is stopping)."""
        with self._lock:
            self._db.execute("UPDATE jobs SET status = ?, owner = NULL, done = 0 WHERE id = ? AND status = ?",
                             (QUEUED, job_id, RUNNING))

    def set_callback_status(self, job_id: str, status: str) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET callback_status = ? WHERE id = ?", (status, job_id))

    def pending_callbacks(self) -> list[Job]:
        """Ended jobs whose callback was not delivered yet (the process that owed it stopped)."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs WHERE callback_status = 'pending'").fetchall()
        return [_job(row) for row in rows if not _expired(row, time.time())]

    def requeue_orphans(self) -> list[str]:
        """Queue again the running jobs whose process is gone (killed, or the machine restarted)."""
        with self._lock:
            rows = self._db.execute("SELECT id, owner FROM jobs WHERE status = ?", (RUNNING,)).fetchall()
            orphans = [row["id"] for row in rows if not row["owner"] or not _alive(row["owner"])]
            for job_id in orphans:
                self._db.execute("UPDATE jobs SET status = ?, owner = NULL, done = 0 WHERE id = ? AND status = ?",
                                 (QUEUED, job_id, RUNNING))
        return orphans

    def purge_expired(self) -> list[str]:
        """Delete the ended jobs past their expiry; their ids (their staged files go too)."""
        with self._lock:
            rows = self._db.execute("DELETE FROM jobs WHERE expires_at IS NOT NULL AND expires_at <= ? RETURNING id",
                                    (time.time(),)).fetchall()
            # A cancelled job's files, and any a crash between two statements left.
            self._db.execute("DELETE FROM job_files WHERE job_id NOT IN (SELECT id FROM jobs WHERE status IN (?, ?))",
                             (QUEUED, RUNNING))
        return [row["id"] for row in rows]

    def count(self, status: str) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM jobs WHERE status = ?", (status,)).fetchone()[0]


def _expired(row: sqlite3.Row, now: float) -> bool:
    return row["expires_at"] is not None and row["expires_at"] <= now


def _job(row: sqlite3.Row) -> Job:
    return Job(id=row["id"], status=row["status"], request=json.loads(row["request"]), done=row["done"],
               total=row["total"], created_at=row["created_at"], body_digest=row["body_digest"],
               result=json.loads(row["result"]) if row["result"] else None, started_at=row["started_at"],
               finished_at=row["finished_at"], expires_at=row["expires_at"], attempts=row["attempts"],
               callback_status=row["callback_status"])
