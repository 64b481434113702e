"""Per-file checks run in worker processes: wall-clock timeout, CPU and address-space caps, replacement.

Parsers (libmediainfo, libmagic, pypdf, lxml, Pillow) have all had crashes, hangs and memory blow-ups on
crafted files, so nothing that parses an upload runs in the caller's process. We use pebble's
``ProcessPool`` (Apache Tika's forked-worker model, without writing a supervisor): a task past its
timeout has its worker killed and replaced; a worker that dies (segfault, ``os.abort()``, OOM kill)
is replaced too. The engine turns either into a ``check.timeout`` / ``check.crashed`` finding.

Around pebble, :class:`WorkerPool` adds what an engine that must never give a wrong verdict on its own
account needs:

* **Workers never import the caller's ``__main__``.** Our own process classes hand the child
  multiprocessing's preparation data *without* ``init_main_from_path`` / ``init_main_from_name`` (the
  main-module fix-up that re-runs a two-line script, breaks on ``python - < script.py`` and in
  notebooks). Nothing global is patched: only the pool's own workers are started this way.
* **Start methods.** ``forkserver`` (the default for long-lived engines: the HTTP service, the library):
  a private fork server started from a clean interpreter with the caller's ``sys.path`` (never the
  current directory's ``plugins/``), which imports the parsers once so a replaced worker is ready in
  milliseconds. ``fork`` (the one-shot CLI, single-threaded when the pool starts): no second
  interpreter to start.
* **Engine failures are not verdicts.** A pool that breaks for reasons that are not the file's (workers
  that cannot start, fork refused, the fork server killed) is rebuilt — fork server included — and the
  tasks that were running on it are run again; when it cannot be rebuilt, :class:`EngineUnavailable`
  is raised. A worker that dies *on a file* is told apart by a canary: a known tiny task run on a
  worker born after the death. If the canary answers, the death was the file's (``check.crashed``);
  if not, the engine is at fault.
* **Timeouts count from when a worker starts a task** (pebble's acknowledgement), never from the
  submission: a task waiting for a worker never times out because others were slow. Only as many
  tasks as there are workers are handed to pebble; the rest wait here, in order.
* **Fairness.** Each :meth:`WorkerPool.job` (one ``Engine.validate`` call) is served in the order jobs
  were created, and a job never holds more than its share of the workers (``ceil(workers / active
  jobs)``) while another job waits: one file whose plugins fan out cannot take every worker from the
  files behind it.
* **Nothing outlives its owner.** Workers get a CPU limit (``RLIMIT_CPU``, a little above the timeout,
  set per task), their own process group (a timeout kills what the worker started too), a private
  temporary directory (``TMPDIR`` and :data:`tempfile.tempdir`) that the parent removes when the
  worker is gone, and die with the engine: with a fork server, workers close their copy of its
  "alive" pipe and ask the kernel for ``SIGKILL`` when it dies (``PR_SET_PDEATHSIG``), and the fork
  server exits when the engine process does; in every mode a watchdog thread exits when the engine
  process is gone. Pool directories left by a killed engine are swept at the next start.

Each worker rebuilds the plugin registry from a picklable :class:`~validator_core.registry.PluginConfig`
with the caller's ``sys.path``.
"""

from __future__ import annotations

import errno
import fcntl
import io
import itertools
import logging
import math
import multiprocessing
import os
import resource
import shutil
import signal
import socket
import stat
import sys
import tempfile
import threading
import time
import weakref
from collections import deque
from concurrent.futures import CancelledError, Future, TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextvars import ContextVar
from dataclasses import dataclass, field
from multiprocessing import connection as mp_connection
from multiprocessing import context as mp_context
from multiprocessing import forkserver as mp_forkserver
from multiprocessing import popen_fork, popen_forkserver
from multiprocessing import process as mp_process
from multiprocessing import reduction, resource_tracker
from multiprocessing import util as mp_util
from typing import TYPE_CHECKING, Any, Callable, Iterable

from validator_core.errors import EngineUnavailable
from validator_core.models import Inspection
from validator_core.proof import Proof
from validator_core.registry import PluginConfig, PluginRegistry

if TYPE_CHECKING:
    import pebble

log = logging.getLogger("preuves.engine")

_REGISTRY: PluginRegistry | None = None  # this worker process's (a worker serves one pool)
# Inline mode runs tasks in the caller's thread: the pool sets its own registry here for each call, so
# two inline engines in one process (different plugin configurations) each see their own plugins.
_INLINE_REGISTRY: ContextVar[PluginRegistry | None] = ContextVar("preuves_inline_registry", default=None)
_BORN = 0.0  # when this worker finished starting (time.time()): the canary's proof of a fresh worker

# Imported once in the fork server, shared copy-on-write by every worker (an import error is ignored:
# the worker imports what it needs itself): the core's own modules and libmagic, then what the engine's
# plugins need (their modules and declared preloads, PluginRegistry.preload). Never "__main__".
CORE_PRELOAD = ("ctypes", "validator_core.engine", "validator_core.isolation", "validator_core.detect", "magic")
START_METHODS = ("forkserver", "fork")

# A task handed to an idle worker that has not started by then: workers cannot start.
START_TIMEOUT_S = 30.0
# A started task still unreported this long after its timeout: pebble's supervision is gone.
HANG_GRACE_S = 10.0
# Runs of one task when the pool fails under it (then EngineUnavailable).
MAX_ATTEMPTS = 3
# Consecutive pool failures (without a task succeeding in between) before the pool is reported dead
# and new work is refused at once instead of waiting for yet another rebuild.
FAILURES_BEFORE_DOWN = 3
REBUILD_BACKOFF_S = (0.0, 0.5, 1.0, 2.0, 5.0)
CANARY_TRIES = 4
SWEEP_EVERY_S = 2.0
POOL_DIR_PREFIX = "preuves-workers-"
# Bytes libmagic must call application/pdf: the canary checks that a worker can really detect content.
CANARY_SAMPLE = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
CANARY_MEDIA_TYPE = "application/pdf"
# Exceptions that say the engine is incomplete (a module or shared library missing), not the file bad.
ENGINE_EXCEPTIONS = ("ImportError", "ModuleNotFoundError")


# =================================================================================================
# Worker side
# =================================================================================================
@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to start (picklable: it crosses to the worker)."""

    plugin_config: PluginConfig
    memory_bytes: int | None = None
    sys_path: list[str] | None = None
    tmp_root: str | None = None
    start_method: str = "forkserver"


def init_worker(setup: WorkerSetup) -> None:
    """Worker start-up: tie the worker's life to the engine, cap it, give it a private TMPDIR, load plugins."""
    global _REGISTRY, _BORN
    if setup.start_method == "forkserver":
        _detach_from_fork_server()
    _watch_engine()
    try:
        os.setpgid(0, 0)  # its own process group: killing the worker kills what it started (ffmpeg…)
    except OSError:  # pragma: no cover - already a group leader, or not permitted
        pass
    if setup.sys_path is not None:  # the fork server may predate a path added since (tests, embedding apps)
        sys.path[:] = setup.sys_path
    if setup.tmp_root:
        _private_tmp(setup.tmp_root)
    if setup.memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (setup.memory_bytes, setup.memory_bytes))
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):  # pragma: no cover - not permitted in some sandboxes
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops the pool
    _REGISTRY = PluginRegistry.load(setup.plugin_config)
    _self_check()
    _BORN = time.time()


class WorkerBroken(RuntimeError):
    """A worker that cannot do its job (raised at start-up: the worker exits before taking a task)."""


def _self_check() -> None:
    """Refuse to serve unless libmagic recognises a known sample (its database may fail to load).

    Without this, a worker whose libmagic is broken (missing or unmappable database, a memory cap too
    low) would call every file ``application/octet-stream`` — a wrong verdict on the engine's account.
    """
    from validator_core.detect import media_type_of

    found = media_type_of(CANARY_SAMPLE)
    if found != CANARY_MEDIA_TYPE:
        raise WorkerBroken(f"libmagic calls a PDF sample {found!r}")


def _detach_from_fork_server() -> None:
    """Die with the fork server, and let it exit as soon as the engine does.

    The fork server exits when every holder of its "alive" pipe has closed it; workers inherit a copy
    they never use, so they close it (the engine's copy is then the only one). ``PR_SET_PDEATHSIG``
    has the kernel kill the worker when its parent, the fork server, dies — even a worker stuck in C
    code holding the GIL.
    """
    server = mp_forkserver._forkserver
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        try:
            os.close(fd)
        except OSError:  # pragma: no cover
            pass
        server._forkserver_alive_fd = None
    expected = getattr(mp_process.current_process(), "_preuves_server_pid", None) or os.getppid()
    # Checked after the request: a fork server that died before it would leave this worker orphaned.
    if _set_parent_death_signal(signal.SIGKILL) and os.getppid() != expected:
        os._exit(1)


def _set_parent_death_signal(sig: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(sig), 0, 0, 0) == 0  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return False


def _watch_engine() -> None:
    """Exit when the engine process is gone (its end of the launch pipe closes)."""
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is None:  # pragma: no cover - not started by multiprocessing
        return

    def watch() -> None:
        try:
            mp_connection.wait([sentinel])
        except OSError:  # pragma: no cover
            pass
        os._exit(1)

    threading.Thread(target=watch, name="preuves-lifeline", daemon=True).start()


def _private_tmp(root: str) -> None:
    """``TMPDIR`` for this worker only: whatever a plugin leaves there is removed with the worker."""
    path = os.path.join(root, f"w{os.getpid()}")
    if os.path.isdir(path):  # a dead worker with the same pid, not swept yet
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, mode=0o700, exist_ok=True)
    tempfile.tempdir = path
    os.environ["TMPDIR"] = path


def _limit_cpu(seconds: float) -> None:
    """Soft ``RLIMIT_CPU`` at what the worker used so far plus ``seconds`` (``SIGXCPU`` past it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(math.ceil(usage.ru_utime + usage.ru_stime + seconds))
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):  # pragma: no cover
        pass


def run_task(fn: Callable[..., Any], args: tuple[Any, ...], cpu_s: float | None) -> Any:
    """What a worker runs for each task: the CPU limit for this task, then the task."""
    if cpu_s:
        _limit_cpu(cpu_s)
    return fn(*args)


def _registry() -> PluginRegistry:
    """The plugins of the pool running this task: the inline pool's, else this worker's."""
    registry = _INLINE_REGISTRY.get()
    if registry is None:
        registry = _REGISTRY
    if registry is None:  # a task called outside a worker and outside an inline pool
        raise RuntimeError("worker registry not initialised")
    return registry


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    inferred_type: str | None


def task_sniff(proof: Proof, infer: bool) -> Sniffed:
    """Detect the media type of the head (libmagic) and, when asked, infer the proof type."""
    from validator_core.detect import media_type_of

    media_type = media_type_of(proof.head)
    inferred = None
    if infer:
        fmt = proof.rules.format_for_media_type(media_type)
        probe = Proof(**{**proof.__dict__, "media_type": media_type, "format": fmt})
        inferred = _registry().infer_proof_type(probe)
    return Sniffed(media_type=media_type, inferred_type=inferred)


@dataclass(frozen=True)
class Raised:
    """An exception inside a plugin, carried back by name (never its message: it may quote the file)."""

    type_name: str


def task_inspect(plugin: str, proof: Proof) -> Inspection | Raised:
    try:
        return _registry().inspect(plugin, proof)
    except MemoryError:
        return Raised("MemoryError")
    except RecursionError:
        return Raised("RecursionError")
    except Exception as exc:  # noqa: BLE001 - any plugin failure becomes check.crashed
        return Raised(type(exc).__name__)


@dataclass(frozen=True)
class CanaryAnswer:
    pid: int
    born: float
    media_type: str


def task_canary() -> CanaryAnswer:
    """A known tiny task: the registry is loaded and libmagic recognises a known sample."""
    from validator_core.detect import media_type_of

    _registry()
    return CanaryAnswer(pid=os.getpid(), born=_BORN, media_type=media_type_of(CANARY_SAMPLE))


def _ping() -> bool:
    _registry()
    return True


# =================================================================================================
# Starting workers: our own process classes (no main-module fix-up, SIGKILL, pidfd, fork server)
# =================================================================================================
def _preparation_data(name: str) -> dict[str, Any]:
    """multiprocessing's preparation data for a child, minus the main-module fix-up.

    Built here rather than by ``spawn.get_preparation_data``: that one adds ``init_main_from_path`` /
    ``init_main_from_name`` (which re-run the caller's script in the child) and, as a side effect, fixes
    the caller's default start method.
    """
    sys_path = list(sys.path)
    if "" in sys_path:
        sys_path[sys_path.index("")] = mp_process.ORIGINAL_DIR
    data: dict[str, Any] = {
        "name": name,
        "authkey": mp_process.current_process().authkey,
        "log_to_stderr": mp_util._log_to_stderr,
        "sys_path": sys_path,
        "sys_argv": list(sys.argv),
        "orig_dir": mp_process.ORIGINAL_DIR,
    }
    if mp_util._logger is not None:
        data["log_level"] = mp_util._logger.getEffectiveLevel()
    try:
        data["dir"] = os.getcwd()
    except OSError:  # the caller's directory was removed: the child keeps the fork server's
        pass
    return data


def _pidfd_open(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:  # pragma: no cover - not Linux
        return None
    try:
        return opener(pid)
    except OSError:  # already gone, or pidfds not supported
        return None


def _signal_worker(pid: int | None, pidfd: int | None, sig: int) -> None:
    """Signal a worker's process group (what it started) and the worker itself."""
    if pid is None:
        return
    try:
        os.killpg(pid, sig)  # only exists if the worker made itself a group leader
    except OSError:
        pass
    try:
        if pidfd is not None and hasattr(signal, "pidfd_send_signal"):
            signal.pidfd_send_signal(pidfd, sig)  # no pid-reuse race
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, OSError):
        pass


class _ForkServer(mp_forkserver.ForkServer):
    """A fork server of our own (not multiprocessing's process-wide one).

    It imports the pool's preload list (:data:`CORE_PRELOAD`, then the plugins') with the caller's
    ``sys.path`` — multiprocessing's runs ``python -c`` with the current directory first, so a
    ``plugins/`` folder there would replace ours in every worker — and never ``__main__``. It can be checked (``alive``), restarted when it died (``ensure_running``)
    and stopped (``stop``) so that it never outlives the engine.
    """

    def __init__(self, preload: tuple[str, ...]) -> None:
        super().__init__()
        self._preload_modules = list(preload)
        self._owner = os.getpid()  # a forked copy must never stop or unlink the parent's server
        self.starts = 0
        self.deaths = 0  # times it was found dead (killed, crashed)
        # Workers whose exit status died with a fork server: their death was the engine's, not a file's.
        self.orphans: deque[int] = deque(maxlen=4096)

    @property
    def pid(self) -> int | None:
        return self._forkserver_pid

    def _forget_dead_locked(self) -> None:
        if self._forkserver_alive_fd is not None:
            try:
                os.close(self._forkserver_alive_fd)
            except OSError:  # pragma: no cover
                pass
        address = self._forkserver_address
        if address and not mp_util.is_abstract_socket_namespace(address):
            try:
                os.unlink(address)
            except OSError:
                pass
        self._forkserver_address = None
        self._forkserver_alive_fd = None
        self._forkserver_pid = None

    def _alive_locked(self) -> bool:
        if self._forkserver_pid is None or os.getpid() != self._owner:
            return False
        try:
            pid, _status = os.waitpid(self._forkserver_pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: gone
            pid = self._forkserver_pid
        if not pid:
            return True
        self.deaths += 1
        self._forget_dead_locked()
        return False

    def alive(self) -> bool:
        with self._lock:
            return self._alive_locked()

    def ensure_running(self) -> None:
        if sys.version_info >= (3, 14):  # pragma: no cover - new handshake: use multiprocessing's own
            super().ensure_running()
            return
        with self._lock:
            resource_tracker.ensure_running()
            if self._alive_locked():
                return
            # Same protocol as multiprocessing.forkserver (3.11–3.13), but sys.path is set before any
            # preload import.
            cmd = ("import sys; sys.path[:] = %r; "
                   "from multiprocessing.forkserver import main; main(%d, %d, %r)")
            with socket.socket(socket.AF_UNIX) as listener:
                address = mp_connection.arbitrary_address("AF_UNIX")
                listener.bind(address)
                if not mp_util.is_abstract_socket_namespace(address):
                    os.chmod(address, 0o600)
                listener.listen()
                alive_r, alive_w = os.pipe()
                try:
                    fds_to_pass = [listener.fileno(), alive_r]
                    cmd %= (list(sys.path), listener.fileno(), alive_r, self._preload_modules)
                    exe = _executable()
                    args = [exe, *mp_util._args_from_interpreter_flags(), "-c", cmd]
                    pid = mp_util.spawnv_passfds(exe, args, fds_to_pass)
                except BaseException:
                    os.close(alive_w)
                    raise
                finally:
                    os.close(alive_r)
                self._forkserver_address = address
                self._forkserver_alive_fd = alive_w
                self._forkserver_pid = pid
                self.starts += 1

    def stop(self, timeout: float = 3.0) -> None:
        """Close the alive pipe (the server exits at EOF once its workers are gone); kill it if it lingers."""
        with self._lock:
            pid = self._forkserver_pid
            if pid is None or os.getpid() != self._owner:
                return
            if self._forkserver_alive_fd is not None:
                os.close(self._forkserver_alive_fd)
                self._forkserver_alive_fd = None
            deadline = time.monotonic() + timeout
            while True:
                try:
                    done, _status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    break
                if done:
                    break
                if time.monotonic() > deadline:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                    except OSError:
                        pass
                    break
                time.sleep(0.005)
            self._forget_dead_locked()


def _executable() -> str:
    from multiprocessing import spawn

    return spawn.get_executable()


class _ForkServerPopen(popen_forkserver.Popen):
    """Launch a worker through our fork server, without the main-module fix-up.

    When the fork server dies it can no longer report its children's exit status; multiprocessing would
    then call every worker dead (exit 255) while some still run. Here the worker's pidfd answers
    instead, and ``server_lost`` tells the pool that the death was the engine's, not the file's.
    """

    def __init__(self, process_obj: "_ForkServerWorker") -> None:
        self._server: _ForkServer = process_obj._preuves_server
        self._pidfd: int | None = None
        self._poll_lock = threading.Lock()
        self.server_lost = False
        super().__init__(process_obj)

    def _launch(self, process_obj: mp_process.BaseProcess) -> None:
        self._server.ensure_running()  # first: the worker is told which pid its parent must have
        prep_data = _preparation_data(process_obj._name)
        buf = io.BytesIO()
        mp_context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            mp_context.set_spawning_popen(None)
        self.sentinel, w = self._server.connect_to_new_process(self._fds)
        # The engine's copy of the launch pipe: the worker sees EOF on it when the engine is gone.
        parent_w = os.dup(w)
        fds = [parent_w, self.sentinel]
        try:
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = mp_forkserver.read_signed(self.sentinel)
            self._pidfd = _pidfd_open(self.pid)
            if self._pidfd is not None:
                fds.append(self._pidfd)
        finally:
            self.finalizer = mp_util.Finalize(self, mp_util.close_fds, tuple(fds))

    def _watched_fd(self) -> int:
        return self._pidfd if self.server_lost and self._pidfd is not None else self.sentinel

    def _poll_now(self) -> int | None:
        with self._poll_lock:  # pebble's thread and multiprocessing's _cleanup() may poll at once
            if self.returncode is not None:
                return self.returncode
            if not self.server_lost:
                if not mp_connection.wait([self.sentinel], 0):
                    return None
                try:
                    self.returncode = mp_forkserver.read_signed(self.sentinel)
                    return self.returncode
                except (OSError, EOFError):
                    self.server_lost = True  # the fork server died: ask the kernel instead
                    if self.pid is not None:
                        self._server.orphans.append(self.pid)
            if self._pidfd is None or mp_connection.wait([self._pidfd], 0):
                self.returncode = 255
            return self.returncode

    def poll(self, flag: int = os.WNOHANG) -> int | None:
        if flag == os.WNOHANG:
            return self._poll_now()
        while self._poll_now() is None:  # block without holding the lock
            mp_connection.wait([self._watched_fd()], 1.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if timeout is None:
            return self.poll(0)
        deadline = time.monotonic() + timeout
        while self._poll_now() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            mp_connection.wait([self._watched_fd()], min(remaining, 1.0))
        return self.returncode

    def _send_signal(self, sig: int) -> None:
        if self.returncode is None:
            _signal_worker(self.pid, self._pidfd, sig)

    def terminate(self) -> None:
        # A worker has nothing to save (its temp dir is removed by the parent) and may be stuck in C
        # code that never runs a SIGTERM handler: kill at once rather than wait pebble's 3 s.
        self._send_signal(signal.SIGKILL)

    def kill(self) -> None:
        self._send_signal(signal.SIGKILL)


class _ForkPopen(popen_fork.Popen):
    """A plain fork of the caller (one-shot CLI); killed with its process group at once."""

    def _send_signal(self, sig: int) -> None:
        if self.returncode is None:
            _signal_worker(self.pid, None, sig)

    def terminate(self) -> None:
        self._send_signal(signal.SIGKILL)

    def kill(self) -> None:
        self._send_signal(signal.SIGKILL)


class _ForkServerWorker(mp_process.BaseProcess):
    _start_method = "forkserver"
    _preuves_server: _ForkServer | None = None

    @staticmethod
    def _Popen(process_obj: "_ForkServerWorker") -> _ForkServerPopen:
        return _ForkServerPopen(process_obj)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        server = state.pop("_preuves_server", None)  # the parent's handle on the fork server stays here
        state["_preuves_server_pid"] = server.pid if server is not None else None  # the worker's parent
        return state


class _ForkWorker(mp_process.BaseProcess):
    _start_method = "fork"

    @staticmethod
    def _Popen(process_obj: "_ForkWorker") -> _ForkPopen:
        return _ForkPopen(process_obj)


class _WorkerContext(mp_context.BaseContext):
    """The multiprocessing context pebble is given: only ``Process`` differs from the standard ones."""

    def __init__(self, method: str, server: _ForkServer | None) -> None:
        self._name = method
        self._server = server
        self.processes: weakref.WeakSet[mp_process.BaseProcess] = weakref.WeakSet()
        self.closed = False

    def Process(self, *args: Any, **kwargs: Any) -> mp_process.BaseProcess:  # noqa: N802 - multiprocessing API
        if self.closed:  # pebble sees a launch failure and stops replacing workers
            raise OSError(errno.ESHUTDOWN, "worker pool closed")
        if self._name == "forkserver":
            proc: mp_process.BaseProcess = _ForkServerWorker(*args, **kwargs)
            proc._preuves_server = self._server  # type: ignore[attr-defined]
        else:
            proc = _ForkWorker(*args, **kwargs)
        self.processes.add(proc)
        return proc

    def live_pids(self) -> set[int]:
        """Workers not known to have exited (never polls: pebble's thread owns that)."""
        out = set()
        for proc in list(self.processes):
            popen = getattr(proc, "_popen", None)
            if popen is not None and popen.pid is not None and popen.returncode is None:
                out.add(popen.pid)
        return out

    def kill_all(self, timeout: float = 2.0) -> None:
        """SIGKILL every worker (and its process group) and reap it."""
        popens = [p._popen for p in list(self.processes) if getattr(p, "_popen", None) is not None]
        for popen in popens:
            if popen.returncode is None:
                popen.kill()
        deadline = time.monotonic() + timeout
        for popen in popens:
            try:
                popen.wait(max(0.0, deadline - time.monotonic()))
            except (OSError, ValueError):  # pragma: no cover - already reaped and closed
                pass


# =================================================================================================
# Private temporary directories
# =================================================================================================
class _PoolDir:
    """``$TMPDIR/preuves-workers-<pid>-…``: one sub-directory per worker, removed when the worker is gone.

    The owner holds an ``flock`` on ``.owner`` for its whole life, so a later engine can tell a directory
    left by a killed one (lock free) from a live one and remove it.
    """

    def __init__(self) -> None:
        base = tempfile.gettempdir()
        sweep_stale_pool_dirs(base)
        self.path = tempfile.mkdtemp(prefix=f"{POOL_DIR_PREFIX}{os.getpid()}-", dir=base)
        self._fd = os.open(os.path.join(self.path, ".owner"), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def sweep(self, live: set[int]) -> None:
        try:
            entries = list(os.scandir(self.path))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("w") and entry.name[1:].isdigit() and int(entry.name[1:]) not in live:
                shutil.rmtree(entry.path, ignore_errors=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        try:
            os.close(self._fd)
        except OSError:  # pragma: no cover
            pass


def sweep_stale_pool_dirs(base: str, *, min_age_s: float = 60.0) -> list[str]:
    """Remove pool directories whose owner is gone (its lock is free); returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    uid = os.getuid()
    for entry in entries:
        if not entry.name.startswith(POOL_DIR_PREFIX):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
            continue
        lock_path = os.path.join(entry.path, ".owner")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
        except FileNotFoundError:  # created but not locked yet, or half removed: only when old
            if time.time() - info.st_mtime > min_age_s:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.path)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its owner is alive
            os.close(fd)
            continue
        try:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
        finally:
            os.close(fd)
    return removed


# =================================================================================================
# The pool
# =================================================================================================
@dataclass(frozen=True)
class Outcome:
    """How a task ended: ``value`` set, or ``timed_out``, or neither: it crashed, and ``reason`` says how."""

    value: Any = None
    timed_out: bool = False
    reason: str = ""


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


def _signal_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"


@dataclass(eq=False)
class _Ticket:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    job: "Job | None"
    future: Future = field(default_factory=Future)
    attempts: int = 0
    pebble_future: Any = None
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


class WorkerPool:
    """Isolated workers (``mode="process"``), or direct calls in this process (``mode="inline"``).

    ``start_method`` is ``"forkserver"`` (default) or ``"fork"`` (a one-shot, single-threaded caller).
    ``preload``: modules the fork server imports once for every worker (the engine passes its
    registry's :attr:`~validator_core.registry.PluginRegistry.preload`). Thread-safe. :meth:`job` groups a caller's tasks; :meth:`health` reports without blocking.
    """

    def __init__(
        self,
        plugin_config: PluginConfig,
        *,
        preload: Iterable[str] = (),
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
        # What the fork server imports before forking workers: the core's, then the plugins' modules.
        self.preload = tuple(dict.fromkeys((*CORE_PRELOAD, *preload)))
        self.workers = max(1, workers)
        self.timeout_s = timeout_s
        self.memory_bytes = memory_mb * 1024 * 1024 if memory_mb else None
        self.max_tasks = max_tasks
        self.mode = mode
        self.start_method = start_method
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
        # The parent's workers are not this process's children: forget them, or multiprocessing's
        # clean-up (and pebble's at exit) would poll and join them from here.
        for context in self._contexts:
            for proc in list(context.processes):
                mp_process._children.discard(proc)
        self._reset_state()

    def _reset_state(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._jobs: dict[int, Job] = {}
        self._job_seq = itertools.count()
        self._priority: deque[_Ticket] = deque()
        self._in_flight: set[_Ticket] = set()
        self._pebble: pebble.ProcessPool | None = None
        self._generation = 0
        self._context: _WorkerContext | None = None  # the current pebble pool's
        self._contexts: list[_WorkerContext] = []  # every context whose workers may still run
        self._server: _ForkServer | None = None
        self._dir: _PoolDir | None = None
        self._started = False
        self._closing = False
        self._broken: str | None = None  # why the current pebble pool must be replaced
        self._failures = 0  # consecutive pool failures with no task succeeding in between
        self._failure: str | None = None
        self._rebuilds = 0
        self._last_rebuild = 0.0
        # Replaced pebble pools and their contexts, stopped by the supervisor outside the lock.
        self._retired: list[tuple[Any, _WorkerContext]] = []
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
        (they wake every 0.1 s), so a one-shot command does not wait for them.
        """
        with self._cond:
            if not self._started:
                return
            self._closing = True
            pools = [p for p in (self._pebble, *(pool for pool, _ctx in self._retired)) if p is not None]
            contexts = list(self._contexts)
            self._pebble = None
            self._retired = []
            self._generation += 1
            for ticket in [*self._in_flight, *self._priority]:
                ticket.pebble_future = None
                self._fail_locked(ticket, "engine closed")
            for job in list(self._jobs.values()):
                while job.pending:
                    self._fail_locked(job.pending.popleft(), "engine closed")
            for ticket, _crash in self._awaiting_canary:
                self._fail_locked(ticket, "engine closed")
            self._in_flight.clear()
            self._priority.clear()
            self._awaiting_canary.clear()
            self._canary = None
            for context in contexts:
                context.closed = True  # pebble may not launch a replacement from now on
            self._cond.notify_all()
            supervisor = self._supervisor
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(timeout=5)
        for pool in pools:
            pool.stop()
        for context in contexts:
            context.kill_all()
        with self._cond:
            for job in list(self._jobs.values()):  # queued while closing
                while job.pending:
                    self._fail_locked(job.pending.popleft(), "engine closed")
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
        if pools:
            threading.Thread(target=_join_pebbles, args=(pools,), name="preuves-pool-reaper", daemon=True).start()

    # -- submission and dispatch -------------------------------------------------------------
    def _submit(self, job: Job, fn: Callable[..., Any], args: tuple[Any, ...]) -> Future:
        ticket = _Ticket(fn=fn, args=args, job=job)
        if self.mode == "inline":
            token = _INLINE_REGISTRY.set(self._inline_registry)
            try:
                ticket.future.set_result(Outcome(value=fn(*args)))
            except BaseException as exc:  # noqa: BLE001 - inline mode: as a worker would report it
                ticket.future.set_result(_outcome_of_exception(exc, self.timeout_s))
            finally:
                _INLINE_REGISTRY.reset(token)
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
            self._server = _ForkServer(self.preload)
        self._pebble = self._new_pebble()
        self._started = True

    def _new_pebble(self) -> "pebble.ProcessPool":
        import pebble

        assert self._dir is not None
        self._context = _WorkerContext(self.start_method, self._server)  # one per pebble pool: closable
        self._contexts.append(self._context)
        setup = WorkerSetup(plugin_config=self.plugin_config, memory_bytes=self.memory_bytes, sys_path=list(sys.path),
                            tmp_root=self._dir.path, start_method=self.start_method)
        self._generation += 1
        return pebble.ProcessPool(max_workers=self.workers, max_tasks=self.max_tasks, initializer=init_worker,
                                  initargs=(setup,), context=self._context)

    def _ensure_supervisor(self) -> None:
        with self._cond:
            if self._started and not self._closing and (self._supervisor is None or not self._supervisor.is_alive()):
                self._supervisor = threading.Thread(target=self._supervise, name="preuves-pool-supervisor", daemon=True)
                self._supervisor.start()

    def _next_ticket_locked(self) -> _Ticket | None:
        if self._priority:
            return self._priority.popleft()
        active = [job for job in self._jobs.values() if job.pending or job.running]
        if not active:
            return None
        share = max(1, math.ceil(self.workers / len(active)))
        for job in active:  # oldest first
            if job.pending and job.running < share:
                return job.pending.popleft()
        return None

    def _pump_locked(self) -> None:
        while self._pebble is not None and self._broken is None and len(self._in_flight) < self.workers:
            ticket = self._next_ticket_locked()
            if ticket is None:
                return
            self._dispatch_locked(ticket)

    def _dispatch_locked(self, ticket: _Ticket) -> None:
        assert self._pebble is not None
        try:
            pf = self._pebble.schedule(run_task, args=(ticket.fn, ticket.args, self.cpu_limit_s), timeout=self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - BrokenProcessPool at start, fork refused, pool not active…
            self._requeue_locked(ticket, count=False)
            self._mark_broken_locked(f"workers cannot start ({type(exc).__name__}: {exc})"[:200])
            return
        ticket.pebble_future = pf
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

    def _resolve(self, ticket: _Ticket, outcome: Outcome) -> None:
        if not ticket.future.done():
            ticket.future.set_result(outcome)

    def _note_server_deaths_locked(self) -> None:
        server = self._server
        if server is not None and server.deaths != self._server_deaths_seen:
            self._server_deaths_seen = server.deaths
            if self._pebble is not None:
                self._mark_broken_locked("fork server gone")

    def _mark_broken_locked(self, reason: str) -> None:
        if self._broken is None:
            log.warning("worker pool failed: %s", reason)
            self._broken = reason
            self._failure = reason
        self._cond.notify_all()

    # -- results -----------------------------------------------------------------------------
    def _on_done(self, ticket: _Ticket, pf: Any) -> None:
        """A pebble future ended (runs in one of pebble's threads: never block here)."""
        with self._cond:
            if ticket.pebble_future is not pf:
                return  # requeued after a rebuild; this answer is stale
            ticket.pebble_future = None
            self._in_flight.discard(ticket)
            if ticket.job is not None:
                ticket.job.running -= 1
            kind, outcome = self._classify(pf)
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

    def _classify(self, pf: Any) -> tuple[str, Outcome]:
        import pebble

        try:
            value = pf.result()
        except FutureTimeout:
            return "file", Outcome(timed_out=True, reason=f"> {self.timeout_s:g} s")
        except pebble.ProcessExpired as exc:
            if self._server is not None and exc.pid in self._server.orphans:
                return "engine", Outcome(reason="worker lost with the fork server")
            if exc.exitcode == -signal.SIGXCPU:  # the CPU limit: the task ran too long
                return "file", Outcome(timed_out=True, reason=f"> {self.timeout_s:g} s CPU")
            return "crash", Outcome(reason=_signal_reason(exc.exitcode))
        except (BrokenProcessPool, CancelledError) as exc:
            return "engine", Outcome(reason="worker pool broken (workers exit at start-up, or all died)"
                                     if isinstance(exc, BrokenProcessPool) else "worker pool broken (cancelled)")
        except RuntimeError as exc:
            if "Pool" in str(exc):  # pebble: "Unexpected error within the Pool" / "The Pool is not active"
                return "engine", Outcome(reason=f"worker pool broken ({exc})")
            return "file", Outcome(reason=type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - raised by the task, or an unpicklable result
            outcome = _outcome_of_exception(exc, self.timeout_s)
            if outcome.reason in ENGINE_EXCEPTIONS:
                return "unavailable", Outcome(reason=f"engine incomplete ({outcome.reason})")
            return "file", outcome
        return "ok", Outcome(value=value)

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
        # No worker can run even the canary: the engine failed, not the files.
        reason = outcome.reason or "workers answer the canary wrongly"
        waiting, self._awaiting_canary = self._awaiting_canary, []
        self._canary_tries = 0
        if kind == "unavailable":  # the engine is incomplete: running the files again cannot help
            self._failures = max(self._failures, FAILURES_BEFORE_DOWN)
            for crashed, _crash in waiting:
                self._fail_locked(crashed, reason)
        else:
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
                    wait = REBUILD_BACKOFF_S[min(self._failures, len(REBUILD_BACKOFF_S) - 1)]
                    if time.monotonic() - self._last_rebuild >= wait:
                        self._rebuild_locked()
                retired, self._retired = self._retired, []
                sweep = time.monotonic() - self._last_sweep >= SWEEP_EVERY_S or bool(retired)
                if not retired:
                    self._cond.wait(timeout=0.25)
            for pool, context in retired:
                _stop_pebble(pool)
                context.kill_all()
                with self._cond:
                    if context in self._contexts:
                        self._contexts.remove(context)
            if sweep:
                self._sweep()

    def _check_deadlines_locked(self) -> None:
        now = time.monotonic()
        for ticket in list(self._in_flight):
            pf = ticket.pebble_future
            if pf is None or pf.done():
                continue
            if not pf.running():
                if now - ticket.dispatched_at > START_TIMEOUT_S:
                    self._mark_broken_locked(f"no worker started a task within {START_TIMEOUT_S:g} s")
            elif now - ticket.dispatched_at > START_TIMEOUT_S + self.timeout_s + HANG_GRACE_S:
                self._mark_broken_locked("a task outlived its timeout: worker supervision lost")

    def _rebuild_locked(self) -> None:
        """Replace the pebble pool; the fork server is restarted by the first launch if it died."""
        reason = self._broken or "rebuild"
        self._failures += 1
        self._rebuilds += 1
        self._last_rebuild = time.monotonic()
        if self._pebble is not None and self._context is not None:
            self._context.closed = True  # the old pool may not launch replacements any more
            self._retired.append((self._pebble, self._context))
        for ticket in list(self._in_flight):
            ticket.pebble_future = None
            if ticket.job is not None:
                ticket.job.running -= 1
            self._requeue_locked(ticket, reason=reason)
        self._in_flight.clear()
        if self._canary is not None and self._canary in self._priority:
            self._priority.remove(self._canary)
        self._canary = None
        if self._failures >= FAILURES_BEFORE_DOWN:
            # Down: what waits gets EngineUnavailable now; rebuilding goes on (with back-off).
            for job in list(self._jobs.values()):
                while job.pending:
                    self._fail_locked(job.pending.popleft(), reason)
            waiting, self._awaiting_canary = self._awaiting_canary, []
            for crashed, _crash in waiting:
                self._fail_locked(crashed, reason)
        self._broken = None
        self._pebble = self._new_pebble()
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


def _join_pebbles(pools: list[Any]) -> None:
    for pool in pools:
        _stop_pebble(pool)


def _stop_pebble(pool: Any) -> None:
    try:
        pool.stop()
        pool.join(timeout=5)
    except Exception as exc:  # noqa: BLE001 - a broken pool may fail to stop cleanly; its workers are killed
        log.debug("stopping a worker pool: %s", exc)


def _outcome_of_exception(exc: BaseException, timeout_s: float) -> Outcome:
    if isinstance(exc, FutureTimeout):
        return Outcome(timed_out=True, reason=f"> {timeout_s:g} s")
    if isinstance(exc, MemoryError):
        return Outcome(reason="MemoryError")
    return Outcome(reason=type(exc).__name__)
