"""What ``/v1/jobs`` calls: one object over the store, the staging storage, the queue and callbacks.

Built at the service's start-up (``api/main.py``) and closed at shutdown. Two modes, one interface:

- **embedded** (default): the SQLite store in the data folder, runner threads in this process on
  the engine the other routes use (:mod:`api.jobs.queue`), callbacks sent from here;
- **distributed** (``PREUVES_JOBS_BROKER=redis://…``): the Redis store, the Celery queue
  (:mod:`api.jobs.distributed`); ``preuves worker`` processes run the jobs and send the callbacks.

A store or broker that does not answer is :class:`~api.errors.Unavailable` (503 with
``Retry-After``): a job is accepted (202) only once its state and its message are both in Redis.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any, Iterator

from api import metrics_collector as metrics
from api.errors import Unavailable
from api.jobs.callbacks import CallbackSender
from api.jobs.storage import storage_from
from api.jobs.store import QUEUED, RUNNING, Job, JobStore
from api.settings import ApiSettings
from validator_core.engine import Engine


class JobService:
    def __init__(self, settings: ApiSettings, engine: Engine) -> None:
        self.settings = settings
        self.stopping = threading.Event()
        self.storage = storage_from(settings)
        self.distributed = bool(settings.jobs_broker)
        if self.distributed:
            from api.jobs.distributed import CeleryQueue  # Celery imported only when configured
            from api.jobs.redis_store import RedisJobStore

            self.store: Any = RedisJobStore(settings.jobs_broker or "", ttl_s=settings.jobs_ttl_s)
            self.queue: Any = CeleryQueue(settings, self.store)
            self.callbacks: CallbackSender | None = None
        else:
            from api.jobs.queue import EmbeddedQueue

            self.store = JobStore(settings.data_path() / "jobs.sqlite3", ttl_s=settings.jobs_ttl_s)
            self.callbacks = CallbackSender(settings, self.store, self.stopping)
            self.queue = EmbeddedQueue(engine, self.store, self.storage, runners=settings.jobs_runners,
                                       stopping=self.stopping, on_ended=self.callbacks.deliver)

    def start(self) -> None:
        if not self.distributed:
            self.queue.start()  # resumes the jobs a stopped process left
            assert self.callbacks is not None
            self.callbacks.resume()

    def close(self, timeout_s: float) -> None:
        self.queue.close(timeout_s)
        self.store.close()

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        """Redis or the broker not answering: 503, the client retries after ``Retry-After``."""
        if not self.distributed:
            yield
            return
        import kombu.exceptions
        import redis

        try:
            yield
        except (redis.RedisError, kombu.exceptions.OperationalError, OSError) as exc:
            metrics.SATURATED.labels("503").inc()
            raise Unavailable(f"file des travaux injoignable : {type(exc).__name__}", self.settings.retry_after_s,
                              reason_en=f"job queue unreachable: {type(exc).__name__}") from None

    def check_accepting(self) -> None:
        """Before a body is received: refuse at once when the job can not be queued."""
        if self.distributed:
            with self._reachable():
                self.store.ping()

    def stage(self, job_id: str, index: int, source: Path) -> None:
        """Stage a received file; the storage failing is a 503 (this job's files staged so far deleted)."""
        try:
            self.storage.stage(job_id, index, source)
        except Exception as exc:  # OSError, or boto3's errors (not imported without S3)
            self.storage.delete_job(job_id)
            raise Unavailable(f"stockage des travaux indisponible ({type(exc).__name__})",
                              self.settings.retry_after_s,
                              reason_en=f"job storage unavailable ({type(exc).__name__})") from None

    def submit(self, job_id: str, request: dict[str, Any], *, total: int, caller: str, body_digest: str,
               idempotency_key: str | None) -> tuple[Job, bool]:
        """Queue a job whose files are staged under ``job_id``; or the caller's earlier job with the
        same key and body (``False``: this request's staged files are deleted)."""
        try:
            with self._reachable():
                job, created = self.store.create(job_id, request, total=total, caller=caller,
                                                 body_digest=body_digest, idempotency_key=idempotency_key)
                if created:
                    try:
                        self.queue.submit(job.id)
                    except BaseException:
                        with contextlib.suppress(Exception):
                            self.store.delete(job.id) if self.distributed else self.store.cancel(job.id)
                        raise
        except BaseException:
            self.storage.delete_job(job_id)
            raise
        if not created:
            self.storage.delete_job(job_id)
        return job, created

    def get(self, job_id: str) -> Job | None:
        with self._reachable():
            return self.store.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        with self._reachable():
            before = self.store.get(job_id)
            job = self.store.cancel(job_id)
        if before is not None and before.status == QUEUED:
            self.storage.delete_job(job_id)  # a running job's files go when its runner stops
        return job

    def readiness(self) -> dict[str, Any]:
        """What ``/readyz`` reports; :class:`Unavailable` when jobs cannot be accepted."""
        try:
            self.storage.check()
        except OSError as exc:
            raise Unavailable(f"stockage des travaux indisponible ({exc.strerror or type(exc).__name__})",
                              self.settings.retry_after_s,
                              reason_en=f"job storage unavailable ({exc.strerror or type(exc).__name__})") from None
        state: dict[str, Any] = {"storage": self.storage.describe()}
        if self.distributed:
            with self._reachable():
                self.store.ping()
                state |= {"queue": "celery", "broker": "ok", "queued": self.queue.length(), "workers": self.queue.workers()}
        else:
            state |= {"queue": "embedded", "queued": self.store.count(QUEUED), "running": self.store.count(RUNNING),
                      "workers": self.queue.runners}
        metrics.JOBS_QUEUED.set(state["queued"])
        metrics.JOB_RUNNERS.set(state["workers"])
        return state
