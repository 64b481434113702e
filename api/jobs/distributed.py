"""The distributed mode (``PREUVES_JOBS_BROKER=redis://…``): jobs queued on Celery, with Redis as broker
and result store, and run by ``preuves worker`` processes on any machine that reaches Redis and the
staging storage.

- :func:`celery_app` — the Celery application both sides build from the same settings. Late
  acknowledgement (``acks_late``) and ``reject_on_worker_lost``: a job's message is acknowledged only
  once the job has ended, so a worker killed mid-job loses nothing — Redis gives the message to another
  worker after ``PREUVES_JOBS_VISIBILITY_TIMEOUT_S`` (and at once when only a pool child died).
- :class:`CeleryQueue` — the service's side: send a job, the queue's length, the live workers.
- :func:`run_worker` — ``preuves worker``: the engine (its isolated processes, timeouts and memory
  caps), the Redis job store and the storage, then Celery's worker loop with
  :func:`api.jobs.runner.run_job` as the task. Threads pool: the engine's own worker processes do the
  checking; a Celery thread only waits on them. Its metrics (the durations and statuses of the jobs it
  ran) are served on ``PREUVES_WORKER_METRICS_PORT`` when set.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from celery import Celery

from api.jobs.redis_store import RedisJobStore
from api.jobs.storage import SWEEP_EVERY_S
from api.jobs.store import process_token
from api.settings import ApiSettings

log = logging.getLogger("preuves.jobs")

TASK = "preuves.run_job"
QUEUE = "preuves.jobs"
WORKER_KEY = "preuves:worker:"
HEARTBEAT_S = 5.0  # a worker announces itself this often; it counts as gone after 3 missed beats


def celery_app(settings: ApiSettings) -> Celery:
    assert settings.jobs_broker
    timeout = settings.jobs_visibility_timeout_s
    app = Celery("preuves", broker=settings.jobs_broker, backend=settings.jobs_broker, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker holds only the jobs it runs: the others wait for any worker
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=settings.jobs_ttl_s,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options={
            "visibility_timeout": timeout,
            # How often a worker looks for messages whose worker vanished (kombu's default: every 100 s).
            "unacked_restore_interval": max(1, min(10, timeout // 4)), "unacked_restore_throttle": 1,
            "socket_timeout": 5, "socket_connect_timeout": 2,
        },
        # A broker that does not answer: the POST fails (503) within a second, not after a long retry.
        broker_connection_timeout=2,
    )
    return app


class CeleryQueue:
    """The service's side of the Celery queue."""

    def __init__(self, settings: ApiSettings, store: RedisJobStore) -> None:
        self.app = celery_app(settings)
        self.store = store

    def submit(self, job_id: str) -> None:
        self.app.send_task(TASK, args=[job_id], retry=True,
                           retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2})

    def length(self) -> int:
        return int(self.store.redis.llen(QUEUE))

    def workers(self) -> int:
        return sum(1 for _ in self.store.redis.scan_iter(WORKER_KEY + "*", count=100))

    def close(self, timeout_s: float) -> None:
        self.app.close()


def run_worker(settings: ApiSettings, *, concurrency: int) -> None:
    """Run a Celery worker until it is stopped (SIGTERM: the running jobs end first)."""
    from api.jobs.callbacks import CallbackSender
    from api.jobs.runner import run_job
    from api.jobs.storage import storage_from, sweep_staged
    from validator_core.engine import Engine

    storage = storage_from(settings)
    engine = Engine(settings)
    engine.start()
    store = RedisJobStore(settings.jobs_broker or "", ttl_s=settings.jobs_ttl_s)
    never = threading.Event()  # a Celery worker's warm shutdown waits for its jobs: they are never put back
    callbacks = CallbackSender(settings, store, never)
    callbacks.resume()
    app = celery_app(settings)
    owner = process_token()
    name = f"preuves@{socket.gethostname()}-{os.getpid()}"

    @app.task(name=TASK, acks_late=True, reject_on_worker_lost=True)
    def run(job_id: str) -> str | None:
        job = store.start(job_id, owner)
        if job is None:  # cancelled or expired before a worker took it
            return None
        return run_job(engine, store, storage, job, stopping=never, on_ended=callbacks.deliver)

    beating = threading.Event()

    def heartbeat() -> None:
        swept_at = 0.0
        while not beating.wait(HEARTBEAT_S):
            try:
                store.redis.set(WORKER_KEY + name, concurrency, ex=int(HEARTBEAT_S * 3))
            except Exception:  # noqa: BLE001 - Redis away: the worker itself reconnects
                log.warning("worker heartbeat failed")
            if time.monotonic() - swept_at >= SWEEP_EVERY_S:  # every worker sweeps: deleting twice is harmless
                swept_at = time.monotonic()
                try:
                    if swept := sweep_staged(storage, store.get, now=time.time()):
                        log.warning("staged files left by a stopped process deleted", extra={"count": len(swept)})
                except Exception:  # noqa: BLE001 - storage or Redis away: the next sweep tries again
                    log.warning("sweeping staged files failed", exc_info=True)

    if settings.worker_metrics_port:  # the jobs this worker ran: durations, statuses, callbacks
        from prometheus_client import start_http_server

        start_http_server(settings.worker_metrics_port, addr=settings.host)
    store.redis.set(WORKER_KEY + name, concurrency, ex=int(HEARTBEAT_S * 3))
    threading.Thread(target=heartbeat, name="worker-heartbeat", daemon=True).start()
    try:
        app.worker_main(["worker", "--pool=threads", f"--concurrency={concurrency}", "--loglevel=INFO",
                         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name, "-Q", QUEUE])
    finally:
        beating.set()
        store.redis.delete(WORKER_KEY + name)
        engine.close()
