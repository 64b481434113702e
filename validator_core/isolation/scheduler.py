"""Which task a free worker runs next: canaries first, then jobs in creation order, each within its share.

Each :class:`Job` (one ``Engine.validate`` call) is served in the order jobs were created, and a job
never holds more than its share of the workers (``ceil(workers / active jobs)``) while another job
waits: one file whose plugins fan out cannot take every worker from the files behind it. Only as many
tasks as there are workers are handed to the process pool (so a task's timeout counts from when a worker starts
it); the rest wait here, as tickets (:class:`_Ticket`). The pool calls :func:`next_ticket` under its lock.
"""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from validator_core.isolation.outcome import Outcome
    from validator_core.isolation.pool import WorkerPool


@dataclass(eq=False)
class _Ticket:
    """One task and its future, queued, then handed to the process pool (``backend_future``), maybe more than once."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    job: "Job | None"
    future: Future = field(default_factory=Future)
    attempts: int = 0
    backend_future: Any = None
    generation: int = -1
    dispatched_at: float = 0.0
    canary: bool = False


class Job:
    """The tasks of one caller (one ``Engine.validate``): served in creation order, within its share.

    Use as a context manager; leaving it drops the tasks not started yet.
    """

    def __init__(self, pool: "WorkerPool", seq: int) -> None:
        self.pool = pool
        self.seq = seq
        self.pending: deque[_Ticket] = deque()
        self.running = 0
        self.closed = False

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Future:
        """Queue ``fn(*args)``; the future's result is an :class:`Outcome` (or it raises EngineUnavailable)."""
        return self.pool._submit(self, fn, args)

    def wait(self, future: Future) -> Outcome:
        return self.pool.wait(future)

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
        return self.wait(self.submit(fn, args))

    def close(self) -> None:
        self.pool._close_job(self)

    def __enter__(self) -> "Job":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def next_ticket(priority: deque[_Ticket], jobs: Iterable[Job], workers: int) -> _Ticket | None:
    """Take the next task to dispatch: from ``priority`` (canaries), else from the oldest job below its share.

    ``jobs`` in creation order. ``None``: nothing waits, or every waiting job already has its share.
    """
    if priority:
        return priority.popleft()
    active = [job for job in jobs if job.pending or job.running]
    if not active:
        return None
    share = max(1, math.ceil(workers / len(active)))
    for job in active:  # oldest first
        if job.pending and job.running < share:
            return job.pending.popleft()
    return None
