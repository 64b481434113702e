"""The worker pool: a process pool behind a supervisor that rebuilds it, a canary, health.

The process pool (the *backend*) is pebble's ``ProcessPool`` with the fork server's workers
(``forkserver``), or :class:`~validator_core.isolation.forkpool.ForkPool` with plain forks of this
process (``fork``: the one-shot CLI, which must not pay pebble's and multiprocessing's imports). Both take
``schedule(fn, args, timeout)`` and end their futures alike (:func:`~validator_core.isolation.outcome.classify`).

:class:`WorkerPool` hands tasks to its backend as workers free up (:mod:`~validator_core.isolation.scheduler`
picks which), turns how each ended into an :class:`~validator_core.isolation.outcome.Outcome`, and keeps
engine failures from becoming verdicts:

* a pool that breaks for reasons that are not the file's (workers that cannot start, fork refused, the
  fork server killed, a task unreported long after its timeout) is rebuilt — fork server included —
  with back-off, and the tasks that were running on it are run again (:data:`MAX_ATTEMPTS` runs at most);
  after :data:`FAILURES_BEFORE_DOWN` failures in a row the pool is down and new work gets
  :class:`~validator_core.errors.EngineUnavailable` at once while rebuilding goes on;
* a worker that dies *on a file* is told apart by a canary: a known tiny task run on a worker born
  after the death. If the canary answers, the death was the file's (``check.crashed``); if not, the
  engine is at fault;
* :meth:`WorkerPool.health` reports without blocking; :meth:`WorkerPool.close` leaves nothing running.

Inline mode (``mode="inline"``) runs tasks in the caller's thread with this pool's plugins.
"""

from __future__ import annotations

import atexit
import gc
import itertools
import logging
import os
import sys
import threading
import time
import weakref
from collections import deque
from contextlib import nullcontext
from concurrent.futures import CancelledError, Future, TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from validator_core.errors import EngineUnavailable
from validator_core.isolation.outcome import Outcome, _outcome_of_exception, classify
from validator_core.isolation.scheduler import Job, _Ticket, next_ticket
from validator_core.isolation.tmpdirs import _PoolDir
from validator_core.isolation.worker import (
    CANARY_MEDIA_TYPE,
    CanaryAnswer,
    WorkerSetup,
    init_worker,
    inline_registry,
    run_task,
    task_canary,
)
from validator_core.registry import PluginConfig, PluginRegistry

if TYPE_CHECKING:
    import pebble

    from validator_core.isolation.forkpool import ForkPool
    from validator_core.isolation.process import _ForkServer, _WorkerContext

log = logging.getLogger("preuves.engine")

# Imported once in the fork server, shared copy-on-write by every worker (an import error is ignored:
# the worker imports what it needs itself): the core's own modules and libmagic, then what the engine's
# plugins need (their modules and declared preloads, PluginRegistry.preload). Never "__main__".
CORE_PRELOAD = ("ctypes", "validator_core.engine", "validator_core.isolation", "validator_core.detect", "magic")
START_METHODS = ("forkserver", "fork")

# A task handed to an idle worker that has not started by then: workers cannot start.
START_TIMEOUT_S = 30.0
# A started task still unreported this long after its timeout: the backend's supervision is gone.
HANG_GRACE_S = 10.0
# Runs of one task when the pool fails under it (then EngineUnavailable).
MAX_ATTEMPTS = 3
# Consecutive pool failures (without a task succeeding in between) before the pool is reported dead
# and new work is refused at once instead of waiting for yet another rebuild.
FAILURES_BEFORE_DOWN = 3
REBUILD_BACKOFF_S = (0.0, 0.5, 1.0, 2.0, 5.0)
CANARY_TRIES = 4
SWEEP_EVERY_S = 2.0


@dataclass(frozen=True)
class EngineHealth:
    """A snapshot of the engine's workers (see :meth:`WorkerPool.health`, ``Engine.health``)."""

    alive: bool
    ready: bool
    mode: str
    start_method: str | None
    workers: int
    workers_alive: int
    fork_server_alive: bool | None
    fork_server_pid: int | None
    started: bool
    rebuilds: int
    failure: str | None


class WorkerPool:
    """Isolated workers (``mode="process"``), or direct calls in this process (``mode="inline"``).

    ``start_method`` is ``"forkserver"`` (default) or ``"fork"`` (a one-shot, single-threaded caller).
    ``preload``: modules the fork server imports once for every worker (the engine passes its
    registry's :attr:`~validator_core.registry.PluginRegistry.preload`). ``registry``: the caller's,
    loaded from ``plugin_config``, that forked workers inherit instead of loading it again.
    Thread-safe. :meth:`job` groups a caller's tasks; :meth:`health` reports without blocking.
    """

    def __init__(
        self,
        plugin_config: PluginConfig,
        *,
        preload: Iterable[str] = (),
        registry: PluginRegistry | None = None,
        workers: int,
        timeout_s: float,
        memory_mb: int | None,
        max_tasks: int = 0,
        mode: str = "process",
        start_method: str = "forkserver",
    ) -> None:
        if start_method not in START_METHODS:
            raise ValueError(f"start_method must be one of {START_METHODS}, not {start_method!r}")
        self.plugin_config = plugin_config
        self._registry = registry
        # What the fork server imports before forking workers: the core's, then the plugins' modules.
        self.preload = tuple(dict.fromkeys((*CORE_PRELOAD, *preload)))
        self.workers = max(1, workers)
        self.timeout_s = timeout_s
        self.memory_bytes = memory_mb * 1024 * 1024 if memory_mb else None
        self.max_tasks = max_tasks
        self.mode = mode
        self.start_method = start_method
        # Whether this pool's semaphores are registered with multiprocessing's resource tracker (pebble's
        # with the fork server; a ForkPool has none).
        self._tracked = start_method == "forkserver"
        # SIGXCPU a little after the parent's wall-clock timeout would have fired: the parent normally
        # wins; this one holds when the parent is gone or its supervision failed.
        self.cpu_limit_s = timeout_s + max(1.0, timeout_s / 4)
        self._reset_state()
        if hasattr(os, "register_at_fork"):
            # A process that forks after using the engine (a pre-forking server, a user's fork) gets a
            # fresh, unstarted pool: the parent's workers, fork server and locks are the parent's.
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: (pool := ref()) is not None and pool._after_fork_in_child())
        # Inline mode (no isolation: for debugging and fuzzing): this pool's plugins, loaded here.
        self._inline_registry = PluginRegistry.load(plugin_config) if mode == "inline" else None

    def _after_fork_in_child(self) -> None:
        # The parent's workers are not this process's children: forget them (and close this copy's
        # ends of their pipes), or they would be polled, joined or kept alive from here.
        for context in self._contexts:
            context.disown()
        self._reset_state()

    def _reset_state(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._jobs: dict[int, Job] = {}
        self._job_seq = itertools.count()
        self._priority: deque[_Ticket] = deque()
        self._in_flight: set[_Ticket] = set()
        self._backend: "pebble.ProcessPool | ForkPool | None" = None
        self._generation = 0
        # The current backend's context: its workers (live_pids, kill_all, closed); a ForkPool is its own.
        self._context: "_WorkerContext | ForkPool | None" = None
        self._contexts: list["_WorkerContext | ForkPool"] = []  # every context whose workers may still run
        self._server: "_ForkServer | None" = None
        self._dir: _PoolDir | None = None
        self._started = False
        self._closing = False
        self._broken: str | None = None  # why the current backend must be replaced
        self._failures = 0  # consecutive pool failures with no task succeeding in between
        self._failure: str | None = None
        self._rebuilds = 0
        self._last_rebuild = 0.0
        # Replaced backends and their contexts, stopped by the supervisor outside the lock.
        self._retired: list[tuple[Any, Any]] = []
        self._canary: _Ticket | None = None
        self._canary_tries = 0
        self._crash_time = 0.0
        self._awaiting_canary: list[tuple[_Ticket, Outcome]] = []
        self._supervisor: threading.Thread | None = None
        self._last_sweep = 0.0
        self._server_deaths_seen = 0

    # -- public ------------------------------------------------------------------------------
    def job(self) -> Job:
        with self._cond:
            job = Job(self, next(self._job_seq))
            self._jobs[job.seq] = job
            return job

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Future:
        """One task as its own job (kept for callers that do not group tasks)."""
        job = self.job()
        future = job.submit(fn, args)
        future.add_done_callback(lambda _f: job.close())
        return future

    def wait(self, future: Future) -> Outcome:
        """The task's :class:`Outcome`; raises :class:`EngineUnavailable` when the engine could not run it."""
        while True:
            try:
                return future.result(timeout=1.0)
            except FutureTimeout:
                self._ensure_supervisor()
            except CancelledError:
                return Outcome(reason="cancelled")

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
        return self.wait(self.submit(fn, args))

    def start(self) -> None:
        """Start the workers now (else on first use) and wait until one answers the canary.

        :raises EngineUnavailable: workers cannot start.
        """
        if self.mode != "process":
            return
        outcome = self.run(task_canary, ())
        if not isinstance(outcome.value, CanaryAnswer) or outcome.value.media_type != CANARY_MEDIA_TYPE:
            raise EngineUnavailable(f"workers answer the start-up check wrongly ({outcome.reason or 'bad answer'})")

    @property
    def alive(self) -> bool:
        return self.health().alive

    def health(self) -> EngineHealth:
        """Without blocking: can the pool serve validations, how many workers live, is the fork server up.

        ``alive`` is false only when the pool failed :data:`FAILURES_BEFORE_DOWN` times in a row without a
        task succeeding (rebuilds keep being attempted in the background); a pool being rebuilt after a
        one-off failure (a killed fork server) is still alive. A dead fork server is noticed here too
        and triggers a rebuild.
        """
        if self.mode != "process":
            return EngineHealth(alive=True, ready=True, mode=self.mode, start_method=None, workers=self.workers,
                                workers_alive=0, fork_server_alive=None, fork_server_pid=None, started=True,
                                rebuilds=0, failure=None)
        context, server = self._context, self._server
        server_alive = None
        if server is not None and server.starts:
            server_alive = server.alive()
            if self._cond.acquire(blocking=False):  # never wait behind a pool being started
                try:
                    self._note_server_deaths_locked()
                finally:
                    self._cond.release()
        alive_count = len(context.live_pids()) if context is not None else 0
        alive = not self._closing and self._failures < FAILURES_BEFORE_DOWN
        return EngineHealth(
            alive=alive, ready=alive and self._started and alive_count > 0,
            mode=self.mode, start_method=self.start_method, workers=self.workers, workers_alive=alive_count,
            fork_server_alive=server_alive, fork_server_pid=server.pid if server is not None else None,
            started=self._started, rebuilds=self._rebuilds, failure=self._failure,
        )

    def close(self) -> None:
        """Kill the workers, stop the fork server, remove the temporary directories. Reusable afterwards.

        Nothing the pool started outlives this call; pebble's own threads are joined in the background
        (they wake every 0.1 s); a :class:`~validator_core.isolation.forkpool.ForkPool` stops at once.
        """
        with self._cond:
            if not self._started:
                return
            pools, contexts = self._begin_close_locked()
            supervisor = self._supervisor
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(timeout=5)
        for pool in pools:
            pool.stop()
        for context in contexts:
            context.kill_all()
        with self._cond:
            self._finish_close_locked()
        if pools and not self._tracked:
            _join_backends(pools, tracked=False)  # ForkPools: their workers are reaped already
        elif pools:
            threading.Thread(target=_join_backends, args=(pools, self._tracked), name="preuves-pool-reaper",
                             daemon=True).start()

    def _begin_close_locked(self) -> tuple[list[Any], list[Any]]:
        """Refuse new work, fail what runs or waits; returns the backends and contexts to stop."""
        self._closing = True
        pools = [p for p in (self._backend, *(pool for pool, _ctx in self._retired)) if p is not None]
        contexts = list(self._contexts)
        self._backend = None
        self._retired = []
        self._generation += 1
        for ticket in [*self._in_flight, *self._priority]:
            ticket.backend_future = None
            self._fail_locked(ticket, "engine closed")
        self._fail_queued_locked("engine closed")
        self._fail_awaiting_canary_locked("engine closed")
        self._in_flight.clear()
        self._priority.clear()
        self._canary = None
        for context in contexts:
            context.closed = True  # the backend may not launch a replacement from now on
        self._cond.notify_all()
        return pools, contexts

    def _finish_close_locked(self) -> None:
        """Once the workers are dead: stop the fork server, remove the directories, back to unstarted."""
        self._fail_queued_locked("engine closed")  # queued while closing
        if self._server is not None:
            self._server.stop()
        if self._dir is not None:
            self._dir.remove()
        self._server = self._dir = self._context = self._supervisor = None
        self._contexts = []
        self._started = False
        self._closing = False
        self._broken = None
        self._failures = 0
        self._failure = None

    # -- submission and dispatch -------------------------------------------------------------
    def _submit(self, job: Job, fn: Callable[..., Any], args: tuple[Any, ...]) -> Future:
        ticket = _Ticket(fn=fn, args=args, job=job)
        if self.mode == "inline":
            with inline_registry(self._inline_registry):
                try:
                    ticket.future.set_result(Outcome(value=fn(*args)))
                except BaseException as exc:  # noqa: BLE001 - inline mode: as a worker would report it
                    ticket.future.set_result(_outcome_of_exception(exc, self.timeout_s))
            return ticket.future
        with self._cond:
            if self._closing:
                raise EngineUnavailable("engine closing")
            if self._failures >= FAILURES_BEFORE_DOWN:
                # Down: answer at once; the supervisor keeps trying to rebuild in the background.
                self._ensure_started_locked()
                self._cond.notify_all()
                raise EngineUnavailable(self._failure or "worker pool down")
            job.pending.append(ticket)
            self._ensure_started_locked()
            self._pump_locked()
            # After the first launch: a one-shot caller forks its first workers while single-threaded.
            self._ensure_supervisor()
        return ticket.future

    def _close_job(self, job: Job) -> None:
        with self._cond:
            job.closed = True
            while job.pending:
                job.pending.popleft().future.cancel()
            self._jobs.pop(job.seq, None)
            self._pump_locked()

    def _ensure_started_locked(self) -> None:
        if self._started:
            return
        self._dir = _PoolDir()
        if self.start_method == "forkserver":
            from validator_core.isolation.process import _ForkServer

            self._server = _ForkServer(self.preload)
        else:
            # What this process loaded so far (modules, plugins, rules) lives as long as it does: frozen
            # out of the collector's reach (gc.freeze, as its documentation advises before a fork), the
            # workers' collections neither walk it nor copy its pages, and the parent's exit does not
            # walk it either (30 ms at the end of a cold ``preuves check``).
            gc.freeze()
        self._backend = self._new_backend()
        self._started = True

    def _new_backend(self) -> "pebble.ProcessPool | ForkPool":
        """A new backend (and its context): pebble with the fork server's workers, or a ForkPool."""
        assert self._dir is not None
        setup = WorkerSetup(plugin_config=self.plugin_config, memory_bytes=self.memory_bytes, sys_path=list(sys.path),
                            tmp_root=self._dir.path, start_method=self.start_method,
                            inherited_registry=self._registry if self.start_method == "fork" else None)
        self._generation += 1
        backend: "pebble.ProcessPool | ForkPool"
        if self.start_method == "fork":
            from validator_core.isolation.forkpool import ForkPool

            backend = ForkPool(setup, workers=self.workers, max_tasks=self.max_tasks)
            self._context = backend
        else:
            import pebble

            from validator_core.isolation.process import _WorkerContext

            _order_exit_hooks()
            self._context = _WorkerContext(self._server)  # one per pebble pool: closable
            backend = pebble.ProcessPool(max_workers=self.workers, max_tasks=self.max_tasks, initializer=init_worker,
                                         initargs=(setup,), context=self._context)
        self._contexts.append(self._context)
        return backend

    def _ensure_supervisor(self) -> None:
        with self._cond:
            if self._started and not self._closing and (self._supervisor is None or not self._supervisor.is_alive()):
                self._supervisor = threading.Thread(target=self._supervise, name="preuves-pool-supervisor", daemon=True)
                self._supervisor.start()

    def _pump_locked(self) -> None:
        while self._backend is not None and self._broken is None and len(self._in_flight) < self.workers:
            ticket = next_ticket(self._priority, self._jobs.values(), self.workers)
            if ticket is None:
                return
            self._dispatch_locked(ticket)

    def _dispatch_locked(self, ticket: _Ticket) -> None:
        assert self._backend is not None
        try:
            pf = self._backend.schedule(run_task, args=(ticket.fn, ticket.args, self.cpu_limit_s), timeout=self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - BrokenProcessPool at start, fork refused, pool not active…
            self._requeue_locked(ticket, count=False)
            self._mark_broken_locked(f"workers cannot start ({type(exc).__name__}: {exc})"[:200])
            return
        ticket.backend_future = pf
        ticket.generation = self._generation
        ticket.dispatched_at = time.monotonic()
        self._in_flight.add(ticket)
        if ticket.job is not None:
            ticket.job.running += 1
        pf.add_done_callback(lambda f, t=ticket: self._on_done(t, f))

    def _requeue_locked(self, ticket: _Ticket, *, count: bool = True, reason: str = "") -> None:
        if count:
            ticket.attempts += 1
            if ticket.attempts >= MAX_ATTEMPTS:
                # A task the pool failed under, again and again: the engine is down until a canary passes.
                self._failures = max(self._failures, FAILURES_BEFORE_DOWN)
                self._failure = reason or self._failure
                self._fail_locked(ticket, reason or "worker pool failed repeatedly")
                return
        if ticket.canary:
            return  # a new canary is sent when needed
        if ticket.job is None or ticket.job.closed:
            ticket.future.cancel()
            return
        ticket.job.pending.appendleft(ticket)

    def _fail_locked(self, ticket: _Ticket, reason: str) -> None:
        if not ticket.future.done():
            ticket.future.set_exception(EngineUnavailable(reason))

    def _fail_queued_locked(self, reason: str) -> None:
        """Every task still waiting in a job gets :class:`EngineUnavailable`."""
        for job in list(self._jobs.values()):
            while job.pending:
                self._fail_locked(job.pending.popleft(), reason)

    def _fail_awaiting_canary_locked(self, reason: str) -> None:
        """Every crash still waiting for the canary's verdict gets :class:`EngineUnavailable`."""
        waiting, self._awaiting_canary = self._awaiting_canary, []
        for crashed, _crash in waiting:
            self._fail_locked(crashed, reason)

    def _resolve(self, ticket: _Ticket, outcome: Outcome) -> None:
        if not ticket.future.done():
            ticket.future.set_result(outcome)

    def _note_server_deaths_locked(self) -> None:
        server = self._server
        if server is not None and server.deaths != self._server_deaths_seen:
            self._server_deaths_seen = server.deaths
            if self._backend is not None:
                self._mark_broken_locked("fork server gone")

    def _mark_broken_locked(self, reason: str) -> None:
        if self._broken is None:
            log.warning("worker pool failed: %s", reason)
            self._broken = reason
            self._failure = reason
        self._cond.notify_all()

    # -- results -----------------------------------------------------------------------------
    def _on_done(self, ticket: _Ticket, pf: Any) -> None:
        """A backend's future ended (runs in one of its threads: never block here)."""
        with self._cond:
            if ticket.backend_future is not pf:
                return  # requeued after a rebuild; this answer is stale
            ticket.backend_future = None
            self._in_flight.discard(ticket)
            if ticket.job is not None:
                ticket.job.running -= 1
            kind, outcome = classify(pf, self.timeout_s, self._server.orphans if self._server is not None else ())
            if ticket.canary:
                self._canary_done_locked(ticket, kind, outcome)
            elif kind == "ok":
                self._failures = 0
                self._resolve(ticket, outcome)
            elif kind == "file":
                self._resolve(ticket, outcome)
            elif kind == "crash":
                # Was it the file, or can no worker run at all? Ask a canary before giving a verdict.
                self._awaiting_canary.append((ticket, outcome))
                self._crash_time = max(self._crash_time, time.time())
                self._send_canary_locked()
            elif kind == "unavailable":
                self._fail_locked(ticket, outcome.reason)
            else:  # "engine": the pool failed under the task
                self._requeue_locked(ticket, reason=outcome.reason)
                self._mark_broken_locked(outcome.reason)
            self._pump_locked()
            self._cond.notify_all()

    # -- canary ------------------------------------------------------------------------------
    def _send_canary_locked(self) -> None:
        if self._canary is not None:
            return
        self._canary_tries += 1
        self._canary = _Ticket(fn=task_canary, args=(), job=None, canary=True)
        self._priority.appendleft(self._canary)

    def _canary_done_locked(self, ticket: _Ticket, kind: str, outcome: Outcome) -> None:
        self._canary = None
        answer = outcome.value
        if kind == "ok" and isinstance(answer, CanaryAnswer) and answer.media_type == CANARY_MEDIA_TYPE:
            self._failures = 0
            if answer.born < self._crash_time and self._canary_tries < CANARY_TRIES and self._awaiting_canary:
                self._send_canary_locked()  # answered by a worker older than the crash: ask a fresh one
                return
            waiting, self._awaiting_canary = self._awaiting_canary, []
            self._canary_tries = 0
            for crashed, crash in waiting:
                self._resolve(crashed, crash)  # a fresh worker works: the death was the file's
            return
        self._canary_failed_locked(kind, outcome)

    def _canary_failed_locked(self, kind: str, outcome: Outcome) -> None:
        """No worker can run even the canary: the engine failed, not the files."""
        reason = outcome.reason or "workers answer the canary wrongly"
        self._canary_tries = 0
        if kind == "unavailable":  # the engine is incomplete: running the files again cannot help
            self._failures = max(self._failures, FAILURES_BEFORE_DOWN)
            self._fail_awaiting_canary_locked(reason)
        else:
            waiting, self._awaiting_canary = self._awaiting_canary, []
            for crashed, _crash in waiting:
                self._requeue_locked(crashed, reason=reason)
        self._mark_broken_locked(f"canary failed: {reason}")
        self._failure = reason

    # -- supervision -------------------------------------------------------------------------
    def _supervise(self) -> None:
        while True:
            with self._cond:
                if self._closing or not self._started:
                    return
                self._check_deadlines_locked()
                if self._server is not None and self._server.starts:
                    self._server.alive()  # notices a killed fork server even when no task runs
                    self._note_server_deaths_locked()
                if self._broken is not None:
                    self._rebuild_when_due_locked()
                retired, self._retired = self._retired, []
                sweep = time.monotonic() - self._last_sweep >= SWEEP_EVERY_S or bool(retired)
                if not retired:
                    self._cond.wait(timeout=0.25)
            self._stop_retired(retired)
            if sweep:
                self._sweep()

    def _rebuild_when_due_locked(self) -> None:
        """Rebuild the broken pool once the back-off for the failures so far has passed."""
        wait = REBUILD_BACKOFF_S[min(self._failures, len(REBUILD_BACKOFF_S) - 1)]
        if time.monotonic() - self._last_rebuild >= wait:
            self._rebuild_locked()

    def _stop_retired(self, retired: list[tuple[Any, Any]]) -> None:
        """Stop replaced backends and kill their workers (outside the lock: it may take seconds)."""
        for pool, context in retired:
            _stop_backend(pool, tracked=self._tracked)
            context.kill_all()
            with self._cond:
                if context in self._contexts:
                    self._contexts.remove(context)

    def _check_deadlines_locked(self) -> None:
        now = time.monotonic()
        for ticket in list(self._in_flight):
            pf = ticket.backend_future
            if pf is None or pf.done():
                continue
            if not pf.running():
                if now - ticket.dispatched_at > START_TIMEOUT_S:
                    self._mark_broken_locked(f"no worker started a task within {START_TIMEOUT_S:g} s")
            elif now - ticket.dispatched_at > START_TIMEOUT_S + self.timeout_s + HANG_GRACE_S:
                self._mark_broken_locked("a task outlived its timeout: worker supervision lost")

    def _rebuild_locked(self) -> None:
        """Replace the backend; the fork server is restarted by the first launch if it died."""
        reason = self._broken or "rebuild"
        self._failures += 1
        self._rebuilds += 1
        self._last_rebuild = time.monotonic()
        if self._backend is not None and self._context is not None:
            self._context.closed = True  # the old pool may not launch replacements any more
            self._retired.append((self._backend, self._context))
        for ticket in list(self._in_flight):
            ticket.backend_future = None
            if ticket.job is not None:
                ticket.job.running -= 1
            self._requeue_locked(ticket, reason=reason)
        self._in_flight.clear()
        if self._canary is not None and self._canary in self._priority:
            self._priority.remove(self._canary)
        self._canary = None
        if self._failures >= FAILURES_BEFORE_DOWN:
            # Down: what waits gets EngineUnavailable now; rebuilding goes on (with back-off).
            self._fail_queued_locked(reason)
            self._fail_awaiting_canary_locked(reason)
        self._broken = None
        self._backend = self._new_backend()
        # The canary starts the new workers and proves they work (or breaks the pool again).
        self._send_canary_locked()
        self._pump_locked()
        if self._server is not None:  # a dead fork server just replaced by that launch is not news
            self._server_deaths_seen = self._server.deaths

    def _sweep(self) -> None:
        self._last_sweep = time.monotonic()
        directory = self._dir
        if directory is not None:
            live: set[int] = set()
            for context in list(self._contexts):
                live |= context.live_pids()
            directory.sweep(live)


def _join_backends(pools: list[Any], tracked: bool) -> None:
    for pool in pools:
        _stop_backend(pool, tracked=tracked)


# Pebble pools are joined in background threads (close() does not wait for their 0.1 s ticks). The
# join's last step unlinks the pool's named semaphores, then unregisters them from multiprocessing's
# resource tracker: an interpreter that exits between the two (a daemon thread stops mid-way) leaves
# the tracker warning of a "leaked semaphore" it can no longer unlink. So a join runs under this lock,
# and at exit none starts and the one in progress is awaited; the semaphores of pools never joined are
# unlinked (and unregistered) by multiprocessing's own exit hook, in the main thread, after ours.
# A ForkPool (``fork``) has no semaphores: its stop takes no lock, and close() stops it at once.
_JOIN_LOCK = threading.Lock()
_EXITING = False


def _stop_backend(pool: Any, *, tracked: bool) -> None:
    """Stop and join one backend; ``tracked``: its semaphores are the resource tracker's (see above)."""
    with _JOIN_LOCK if tracked else nullcontext():
        if _EXITING:
            return
        try:
            pool.stop()
            pool.join(timeout=5)
        except Exception as exc:  # noqa: BLE001 - a broken pool may fail to stop cleanly; its workers are killed
            log.debug("stopping a worker pool: %s", exc)


def _new_join_lock_in_child() -> None:
    global _JOIN_LOCK
    _JOIN_LOCK = threading.Lock()  # a parent's reaper may hold it at fork time: not this process's


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_join_lock_in_child)


def _stop_reaping_at_exit() -> None:
    global _EXITING
    _EXITING = True
    if _JOIN_LOCK.acquire(timeout=6):
        _JOIN_LOCK.release()


_EXIT_HOOK_ORDERED = False


def _order_exit_hooks() -> None:
    """Register :func:`_stop_reaping_at_exit` after multiprocessing's exit hook, so that it runs first
    (atexit is last-in, first-out). Done when the first pebble pool is made: a process that only ever
    forks its workers (ForkPool) never imports multiprocessing."""
    global _EXIT_HOOK_ORDERED
    if not _EXIT_HOOK_ORDERED:
        import multiprocessing.util  # noqa: F401 - registers its exit hook (pebble imports it anyway)

        atexit.register(_stop_reaping_at_exit)
        _EXIT_HOOK_ORDERED = True
