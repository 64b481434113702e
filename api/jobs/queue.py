"""The embedded queue: job runners in the service's own process, fed by the SQLite job store.

What ``make serve`` runs, with no other service. ``PREUVES_JOBS_RUNNERS`` threads each take the
oldest queued job (:meth:`JobStore.claim`) and run it (:func:`api.jobs.runner.run_job`) on the
service's engine, whose worker processes check the files. At start-up the jobs a killed process was
running are queued again (:meth:`JobStore.requeue_orphans`), and at shutdown a running job is put
back at its next file: queued and running jobs survive a restart and resume.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from api import metrics_collector as metrics
from api.jobs.runner import run_job
from api.jobs.storage import SWEEP_EVERY_S, Storage, sweep_staged
from api.jobs.store import FAILED, QUEUED, Job, JobStore, process_token
from validator_core.engine import Engine

log = logging.getLogger("preuves.jobs")

POLL_S = 0.5  # how soon a job queued by another process of the service is seen


class EmbeddedQueue:
    def __init__(self, engine: Engine, store: JobStore, storage: Storage, *, runners: int,
                 stopping: threading.Event, on_ended: Callable[[Job], None]) -> None:
        self.engine = engine
        self.store = store
        self.storage = storage
        self.runners = runners
        self.stopping = stopping
        self.on_ended = on_ended
        self.owner = process_token()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._purged_at = 0.0
        self._purge_lock = threading.Lock()

    def start(self) -> None:
        resumed = self.store.requeue_orphans()
        if resumed:
            log.warning("jobs of a stopped process queued again", extra={"count": len(resumed)})
        for n in range(self.runners):
            thread = threading.Thread(target=self._loop, name=f"job-runner-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        metrics.JOB_RUNNERS.set(self.runners)

    def submit(self, job_id: str) -> None:
        self._wake.set()

    def close(self, timeout_s: float) -> None:
        """Stop taking jobs; a running one is put back in the queue at its next file."""
        self.stopping.set()
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _loop(self) -> None:
        while not self.stopping.is_set():
            self._purge()
            metrics.JOBS_QUEUED.set(self.store.count(QUEUED))
            job = self.store.claim(self.owner)
            if job is None:
                self._wake.wait(POLL_S)
                self._wake.clear()
                continue
            try:
                status = run_job(self.engine, self.store, self.storage, job, stopping=self.stopping,
                                 on_ended=self.on_ended)
                log.info("job ended", extra={"job": job.id, "status": status, "files": job.total})
            except Exception:  # a bug: the job is failed rather than retried forever
                log.exception("job runner error", extra={"job": job.id})
                self.store.finish(job.id, FAILED, {"error": {"code": "internal.error", "detail": "erreur interne",
                                                              "detail_en": "internal error"}})
                self.storage.delete_job(job.id)

    def _purge(self) -> None:
        now = time.monotonic()
        with self._purge_lock:
            if now - self._purged_at < SWEEP_EVERY_S:
                return
            self._purged_at = now
        for job_id in self.store.purge_expired():
            self.storage.delete_job(job_id)
        swept = sweep_staged(self.storage, self.store.get, now=time.time())
        if swept:
            log.warning("staged files left by a stopped process deleted", extra={"count": len(swept)})
