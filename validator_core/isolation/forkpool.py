"""Workers forked from the engine process itself, without pebble: the ``fork`` start method.

A cold ``preuves check`` forks one worker for one small file. pebble and the multiprocessing machinery
it runs on (pebble imports asyncio; multiprocessing imports sockets, pickling helpers, queues) cost a
one-shot command ~30 ms to import, more than the check of a screenshot. A plain ``os.fork`` needs none
of it, so the ``fork`` start method uses this small pool; ``forkserver`` (long-lived engines) keeps
pebble. :class:`~validator_core.isolation.pool.WorkerPool` drives both the same way — ``schedule(fn,
args, timeout)`` → future, ``stop``, ``join``, ``live_pids``, ``kill_all`` — and everything else is
shared: what a worker does at start and per task (:func:`~validator_core.isolation.worker.init_worker`,
:func:`~validator_core.isolation.worker.run_task`: memory and CPU limits, process group, private
``TMPDIR``, the libmagic self-check), how an end is classified
(:func:`~validator_core.isolation.outcome.classify`), the queue, the canary and the rebuilds.

What this pool does itself, as pebble does for the fork server's workers:

* **One task per worker at a time**, through the worker's own pair of pipes (length-prefixed pickles):
  no shared queue, no lock between workers. A task is handed only to a worker that said it is ready.
* **The timeout counts from the worker's "started"** message; past it, the worker and its process
  group are killed (``SIGKILL``) and the future raises :class:`TimeoutError`.
* **A worker that dies** while running a task: :class:`~validator_core.isolation.outcome.WorkerExpired`
  (its pid and exit code); before it was ready (it cannot start): the pool is broken, every task gets
  :class:`~concurrent.futures.BrokenExecutor` and the supervisor rebuilds it. Dead or recycled
  (``max_tasks``) workers are replaced.
* **Workers die with the engine**: each one watches the read end of a "lifeline" pipe whose only write
  end is the engine's (a forked copy of the engine closes its copy, :meth:`ForkPool.disown`), and exits
  at its EOF.

One manager thread per pool reads the workers' messages, enforces the timeouts and reaps the dead. The
first workers are forked by the caller, before that thread exists (a one-shot command forks while it is
single-threaded).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import threading
import time
from collections import deque
from concurrent.futures import BrokenExecutor, CancelledError, Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from validator_core.isolation.kill import pidfd_open, signal_worker
from validator_core.isolation.outcome import WorkerExpired

if TYPE_CHECKING:
    from validator_core.isolation.worker import WorkerSetup

_HEADER = struct.Struct("!Q")
# Messages from a worker (the first item of each pickled tuple).
_READY, _STARTED, _DONE, _RAISED = "ready", "started", "done", "raised"
# A worker that closed its pipe is reaped within this long, else killed.
_REAP_GRACE_S = 1.0
# How often the manager thread looks at the clock when nothing happens (timeouts, stop).
_TICK_S = 0.25


@dataclass(eq=False)
class _Task:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    timeout_s: float | None
    future: Future = field(default_factory=Future)


@dataclass(eq=False)
class _Worker:
    pid: int
    pidfd: int | None
    task_w: int  # the engine writes tasks here
    result_r: int  # and reads the worker's messages here
    ready: bool = False
    served: int = 0  # tasks handed to it (it exits by itself after max_tasks)
    task: _Task | None = None
    started_at: float | None = None
    buffer: bytearray = field(default_factory=bytearray)
    exitcode: int | None = None


def _write_message(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_message(fd: int) -> Any:
    """One message from a blocking pipe; ``None`` at EOF."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    data = _read_exactly(fd, _HEADER.unpack(header)[0])
    return None if data is None else pickle.loads(data)


class ForkPool:
    """``workers`` processes forked from this one, each running ``init_worker(setup)`` then tasks.

    ``max_tasks``: tasks before a worker is replaced (0: never). Thread-safe. Also the pool's
    "context" for :class:`~validator_core.isolation.pool.WorkerPool`: ``closed`` (no more launches),
    :meth:`live_pids`, :meth:`kill_all`, :meth:`disown`.
    """

    def __init__(self, setup: "WorkerSetup", *, workers: int, max_tasks: int = 0) -> None:
        self._setup = setup
        self._size = max(1, workers)
        self._max_tasks = max_tasks
        self._lock = threading.Lock()
        self._workers: dict[int, _Worker] = {}
        self._queue: deque[_Task] = deque()
        self._broken: str | None = None
        self.closed = False
        self._owner = os.getpid()
        self._lifeline_r, self._lifeline_w = os.pipe()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._manager: threading.Thread | None = None
        self._disowned = False
        self._settled: list[tuple[Future, Any, BaseException | None]] = []  # ended, callbacks not run yet

    # -- what WorkerPool calls ---------------------------------------------------------------
    def schedule(self, fn: Callable[..., Any], args: tuple[Any, ...] = (), timeout: float | None = None) -> Future:
        """Run ``fn(*args)`` in a worker; raises :class:`BrokenExecutor` when the pool cannot take it."""
        task = _Task(fn, tuple(args), timeout)
        with self._lock:
            if self._broken is not None or self.closed:
                raise BrokenExecutor(self._broken or "worker pool closed")
            self._queue.append(task)
            self._fill_locked()  # the first workers: forked here, by the caller
            self._dispatch_locked()
            if self._manager is None:
                self._manager = threading.Thread(target=self._manage, name="preuves-fork-pool", daemon=True)
                self._manager.start()
        self._settle()
        self._wake()
        return task.future

    def stop(self) -> None:
        """Kill every worker, fail what did not finish; no launch from now on."""
        with self._lock:
            self.closed = True
            self._fail_all_locked(BrokenExecutor("worker pool stopped"))
        self._settle()
        self.kill_all()
        self._close_lifeline()
        with self._lock:
            if self._manager is None and self._wake_w >= 0:  # never started: nobody else closes these
                os.close(self._wake_r)
                os.close(self._wake_w)
                self._wake_r = self._wake_w = -1
        self._wake()

    def join(self, timeout: float | None = None) -> None:
        manager = self._manager
        if manager is not None and manager is not threading.current_thread():
            manager.join(timeout)

    def live_pids(self) -> set[int]:
        """Workers not known to have exited."""
        with self._lock:
            return {w.pid for w in self._workers.values() if w.exitcode is None}

    def kill_all(self, timeout: float = 2.0) -> None:
        """SIGKILL every worker (and its process group) and reap it."""
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            signal_worker(worker.pid, worker.pidfd, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        for worker in workers:
            self._reap(worker, block_until=deadline)
        with self._lock:
            for worker in workers:
                self._forget_locked(worker)

    def disown(self) -> None:
        """In a forked copy of the engine process (a user's fork, or a new worker of this pool): these
        workers are the original's. Closes this copy's ends of the pool's pipes — the lifeline's write
        end first, so that the workers still die with the original — and forgets the workers. The
        lifeline's read end stays: a new worker watches it."""
        if self._disowned:
            return
        self._disowned = True
        fds = [self._lifeline_w, self._wake_r, self._wake_w]
        for worker in self._workers.values():
            fds += [worker.task_w, worker.result_r] + ([worker.pidfd] if worker.pidfd is not None else [])
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._workers.clear()
        self._queue.clear()
        self._manager = None
        self.closed = True

    # -- launching ---------------------------------------------------------------------------
    def _fill_locked(self) -> None:
        while not self.closed and self._broken is None and len(self._workers) < self._size:
            try:
                self._launch_locked()
            except OSError as exc:  # fork refused (EAGAIN, ENOMEM): the engine's failure, not a file's
                self._break_locked(f"workers cannot start ({type(exc).__name__}: {exc})")
                return

    def _launch_locked(self) -> None:
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (task_r, task_w, result_r, result_w):
                os.close(fd)
            raise
        if pid == 0:  # the worker: never returns into the caller's code
            status = 1
            try:
                self.disown()  # done already by WorkerPool's at-fork hook, unless this pool is used alone
                status = _worker_main(self._setup, task_r, result_w, self._lifeline_r, self._max_tasks)
            finally:
                os._exit(status)
        os.close(task_r)
        os.close(result_w)
        os.set_blocking(result_r, False)
        self._workers[pid] = _Worker(pid=pid, pidfd=pidfd_open(pid), task_w=task_w, result_r=result_r)

    # -- dispatch and results ----------------------------------------------------------------
    def _dispatch_locked(self) -> None:
        for worker in self._workers.values():
            if not self._queue:
                return
            if not worker.ready or worker.task is not None or worker.exitcode is not None or (
                    self._max_tasks and worker.served >= self._max_tasks):
                continue
            task = self._queue.popleft()
            if not task.future.running() and not task.future.set_running_or_notify_cancel():
                continue  # cancelled while it waited (a requeued task is running already)
            worker.task = task
            worker.served += 1
            try:
                _write_message(worker.task_w, (task.fn, task.args))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:  # the task itself cannot cross
                worker.task = None
                self._settle_locked(task.future, error=exc)
            except OSError:  # the worker just died: its end is seen by the manager thread
                pass

    def _manage(self) -> None:
        while True:
            with self._lock:
                if self.closed and not self._workers:
                    self._manager = None
                    for fd in (self._wake_r, self._wake_w):
                        os.close(fd)
                    self._wake_r = self._wake_w = -1
                    return
                watched = {w.result_r: w for w in self._workers.values() if w.exitcode is None}
                pidfds = {w.pidfd: w for w in self._workers.values() if w.exitcode is None and w.pidfd is not None}
                wait = self._next_deadline_locked()
            poller = select.poll()
            poller.register(self._wake_r, select.POLLIN)
            for fd in (*watched, *pidfds):
                poller.register(fd, select.POLLIN)
            try:
                events = poller.poll(1000 * max(0.0, min(wait, _TICK_S)))
            except OSError:  # pragma: no cover - a descriptor closed by stop(): look again
                events = []
            ended: list[_Worker] = []
            with self._lock:
                for fd, _mask in events:
                    worker = watched.get(fd) or pidfds.get(fd)
                    if fd == self._wake_r:
                        self._drain_wake()
                    elif worker is None or self._workers.get(worker.pid) is not worker:
                        continue  # forgotten since (its descriptor number may be another's now)
                    elif not self._read_locked(worker) or fd in pidfds:  # exited: what it wrote is read first
                        ended.append(worker)
                ended += self._timed_out_locked()
            self._settle()
            for worker in dict.fromkeys(ended):
                self._reap(worker, block_until=time.monotonic() + _REAP_GRACE_S)
            with self._lock:
                for worker in dict.fromkeys(ended):
                    self._worker_ended_locked(worker)
                self._fill_locked()
                self._dispatch_locked()
            self._settle()

    def _read_locked(self, worker: _Worker) -> bool:
        """Read all the worker wrote so far; ``False`` at EOF (it exited or is exiting)."""
        while True:
            try:
                chunk = os.read(worker.result_r, 1 << 20)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not chunk:
                return False
            worker.buffer += chunk
            while len(worker.buffer) >= _HEADER.size:
                size = _HEADER.unpack_from(worker.buffer)[0]
                if len(worker.buffer) < _HEADER.size + size:
                    break
                data = bytes(worker.buffer[_HEADER.size:_HEADER.size + size])
                del worker.buffer[:_HEADER.size + size]
                self._message_locked(worker, data)

    def _message_locked(self, worker: _Worker, data: bytes) -> None:
        try:
            kind, value = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be rebuilt here: the task's failure
            kind, value = _RAISED, exc
        if kind == _READY:
            worker.ready = True
        elif kind == _STARTED:
            worker.started_at = time.monotonic()
        elif worker.task is not None:
            task, worker.task, worker.started_at = worker.task, None, None
            if kind == _DONE:
                self._settle_locked(task.future, value=value)
            else:
                self._settle_locked(task.future, error=value if isinstance(value, BaseException) else RuntimeError(str(value)))

    def _next_deadline_locked(self) -> float:
        now = time.monotonic()
        waits = [w.started_at + w.task.timeout_s - now for w in self._workers.values()
                 if w.task is not None and w.started_at is not None and w.task.timeout_s]
        return min(waits, default=_TICK_S)

    def _timed_out_locked(self) -> list[_Worker]:
        """Kill the workers whose task ran past its timeout; their futures raise TimeoutError."""
        now = time.monotonic()
        late = [w for w in self._workers.values() if w.task is not None and w.started_at is not None
                and w.task.timeout_s and now - w.started_at > w.task.timeout_s]
        for worker in late:
            task, worker.task = worker.task, None
            signal_worker(worker.pid, worker.pidfd, signal.SIGKILL)
            self._settle_locked(task.future, error=TimeoutError(f"task ran past {task.timeout_s:g} s"))
        return late

    def _worker_ended_locked(self, worker: _Worker) -> None:
        """A worker is gone (reaped): its task's future says how; a worker that never got ready breaks the pool."""
        if self._workers.get(worker.pid) is not worker:
            return  # already handled (stop, kill_all)
        task, ready = worker.task, worker.ready
        self._forget_locked(worker)
        if task is not None and worker.started_at is not None:
            self._settle_locked(task.future, error=WorkerExpired(worker.pid, worker.exitcode))
        elif not ready and not self.closed:  # it could not start: neither can the next one
            if task is not None:
                self._settle_locked(task.future, error=BrokenExecutor("worker lost before it started the task"))
            self._break_locked(f"workers exit at start-up (exit {worker.exitcode})")
        elif task is not None:  # it died between two tasks, before reading this one: another worker runs it
            self._queue.appendleft(task)

    def _settle_locked(self, future: Future, *, value: Any = None, error: BaseException | None = None) -> None:
        """End ``future`` once the lock is released (:meth:`_settle`): its callbacks may schedule again."""
        self._settled.append((future, value, error))

    def _settle(self) -> None:
        with self._lock:
            settled, self._settled = self._settled, []
        for future, value, error in settled:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

    def _break_locked(self, reason: str) -> None:
        self._broken = reason
        self._fail_all_locked(BrokenExecutor(reason))

    def _fail_all_locked(self, error: BaseException) -> None:
        while self._queue:
            self._settle_locked(self._queue.popleft().future, error=error)
        for worker in self._workers.values():
            if worker.task is not None:
                self._settle_locked(worker.task.future, error=error)
            worker.task = None

    # -- processes and descriptors -----------------------------------------------------------
    def _reap(self, worker: _Worker, *, block_until: float) -> None:
        """Wait for the worker's exit status (killing it at ``block_until``); sets ``exitcode``."""
        if worker.exitcode is not None or os.getpid() != self._owner:
            return
        while True:
            try:
                pid, status = os.waitpid(worker.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                worker.exitcode = -signal.SIGKILL
                return
            if pid:
                worker.exitcode = os.waitstatus_to_exitcode(status)
                return
            if time.monotonic() >= block_until:
                signal_worker(worker.pid, worker.pidfd, signal.SIGKILL)
                _pid, status = os.waitpid(worker.pid, 0)
                worker.exitcode = os.waitstatus_to_exitcode(status)
                return
            time.sleep(0.001)

    def _forget_locked(self, worker: _Worker) -> None:
        if self._workers.pop(worker.pid, None) is None:
            return
        for fd in (worker.task_w, worker.result_r, worker.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _close_lifeline(self) -> None:
        with self._lock:
            fd, self._lifeline_w = self._lifeline_w, -1
        if fd >= 0 and os.getpid() == self._owner:
            os.close(fd)
            os.close(self._lifeline_r)

    def _wake(self) -> None:
        with self._lock:  # the manager closes these under the lock: never a byte to a reused descriptor
            if self._wake_w >= 0:
                try:
                    os.write(self._wake_w, b"x")
                except OSError:  # full: the manager wakes anyway
                    pass

    def _drain_wake(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except OSError:
            pass


def _worker_main(setup: "WorkerSetup", task_r: int, result_w: int, lifeline_r: int, max_tasks: int) -> int:
    """A forked worker's life: start-up, then one task at a time until EOF or ``max_tasks``; its exit status."""
    from validator_core.isolation.worker import init_worker

    init_worker(setup, lifeline_fd=lifeline_r)
    _write_message(result_w, (_READY, None))
    done = 0
    while max_tasks == 0 or done < max_tasks:
        message = _read_message(task_r)
        if message is None:  # the engine closed the pool
            return 0
        fn, args = message
        _write_message(result_w, (_STARTED, None))
        try:
            reply = (_DONE, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - carried back as pebble does: the pool classifies it
            reply = (_RAISED, exc)
        try:
            _write_message(result_w, reply)
        except Exception as exc:  # noqa: BLE001 - an unpicklable value or exception: said by its type
            _write_message(result_w, (_RAISED, pickle.PicklingError(f"unpicklable {type(reply[1]).__name__}: {exc}")))
        done += 1
    return 0
