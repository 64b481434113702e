"""What ``/v1/jobs`` calls: one object over the store, the staging storage, the queue and callbacks.

Built at the service's start-up (``api/main.py``) on the engine the other routes use, and closed at
shutdown (running jobs go back to the queue).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from api.jobs.callbacks import CallbackSender
from api.jobs.queue import EmbeddedQueue
from api.jobs.storage import FolderStorage
from api.jobs.store import QUEUED, RUNNING, Job, JobStore
from api.settings import ApiSettings
from validator_core.engine import Engine


class JobService:
    def __init__(self, settings: ApiSettings, engine: Engine) -> None:
        data = settings.data_path()
        self.stopping = threading.Event()
        self.store = JobStore(data / "jobs.sqlite3", ttl_s=settings.jobs_ttl_s)
        self.storage = FolderStorage(data / "staged")
        self.callbacks = CallbackSender(settings, self.store, self.stopping)
        self.queue = EmbeddedQueue(engine, self.store, self.storage, runners=settings.jobs_runners,
                                   stopping=self.stopping, on_ended=self.callbacks.deliver)

    def start(self) -> None:
        self.queue.start()
        self.callbacks.resume()

    def close(self, timeout_s: float) -> None:
        self.queue.close(timeout_s)
        self.store.close()

    def stage(self, job_id: str, index: int, source: Path) -> None:
        self.storage.stage(job_id, index, source)

    def submit(self, job_id: str, request: dict[str, Any], *, total: int, caller: str, body_digest: str,
               idempotency_key: str | None) -> tuple[Job, bool]:
        """Queue a job whose files are staged under ``job_id``; or the caller's earlier job with the
        same key and body (``False``: this request's staged files are deleted)."""
        try:
            job, created = self.store.create(job_id, request, total=total, caller=caller, body_digest=body_digest,
                                             idempotency_key=idempotency_key)
        except BaseException:
            self.storage.delete_job(job_id)
            raise
        if created:
            self.queue.submit(job.id)
        else:
            self.storage.delete_job(job_id)
        return job, created

    def get(self, job_id: str) -> Job | None:
        return self.store.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        before = self.store.get(job_id)
        job = self.store.cancel(job_id)
        if before is not None and before.status == QUEUED:
            self.storage.delete_job(job_id)  # a running job's files go when its runner stops
        return job

    def readiness(self) -> dict[str, Any]:
        """What ``/readyz`` reports; :class:`OSError` when the storage cannot be written."""
        self.storage.check()
        return {"queue": "embedded", "storage": self.storage.describe(), "queued": self.store.count(QUEUED),
                "running": self.store.count(RUNNING), "runners": self.queue.runners}
