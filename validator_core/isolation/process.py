"""Starting the fork server's workers (``forkserver``): our own process classes and a private fork server.

pebble is given a :class:`_WorkerContext` whose ``Process`` builds :class:`_ForkServerWorker`. Its
``Popen`` class differs from multiprocessing's in what an engine that must never outlive its owner, nor
import its caller's script, needs:

* the child gets multiprocessing's preparation data *without* the main-module fix-up
  (:func:`_preparation_data`): workers never import the caller's ``__main__``;
* a worker is killed with ``SIGKILL`` at once, its process group with it, through a pidfd when there
  is one (no pid-reuse race);
* :class:`_ForkServer` is the pool's own fork server (not multiprocessing's process-wide one): started
  with the caller's ``sys.path``, it imports :data:`~validator_core.isolation.pool.CORE_PRELOAD` and the
  plugins' modules once, can be
  checked, restarted and stopped; a worker whose fork server died is watched through its pidfd.

Nothing global is patched: only the pool's own workers are started this way. (``fork``, the one-shot
CLI's start method, needs none of this: :mod:`~validator_core.isolation.forkpool`.)
"""

from __future__ import annotations

import errno
import io
import os
import signal
import socket
import sys
import threading
import time
import weakref
from collections import deque
from multiprocessing import connection as mp_connection
from multiprocessing import context as mp_context
from multiprocessing import forkserver as mp_forkserver
from multiprocessing import popen_forkserver
from multiprocessing import process as mp_process
from multiprocessing import reduction, resource_tracker
from multiprocessing import util as mp_util
from typing import Any

from validator_core.isolation.kill import pidfd_open, signal_worker

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


class _ForkServer(mp_forkserver.ForkServer):
    """A fork server of our own (not multiprocessing's process-wide one).

    It imports the pool's preload list (``CORE_PRELOAD``, then the plugins') with the caller's
    ``sys.path`` — multiprocessing's runs ``python -c`` with the current directory first, so a
    ``plugins/`` folder there would replace ours in every worker — and never ``__main__``. It can be
    checked (``alive``), restarted when it died (``ensure_running``) and stopped (``stop``) so that it
    never outlives the engine.
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
            self._pidfd = pidfd_open(self.pid)
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
            signal_worker(self.pid, self._pidfd, sig)

    def terminate(self) -> None:
        # A worker has nothing to save (its temp dir is removed by the parent) and may be stuck in C
        # code that never runs a SIGTERM handler: kill at once rather than wait pebble's 3 s.
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


class _WorkerContext(mp_context.BaseContext):
    """The multiprocessing context pebble is given: only ``Process`` differs from the standard ones."""

    _name = "forkserver"

    def __init__(self, server: _ForkServer) -> None:
        self._server = server
        self.processes: weakref.WeakSet[mp_process.BaseProcess] = weakref.WeakSet()
        self.closed = False

    def Process(self, *args: Any, **kwargs: Any) -> mp_process.BaseProcess:  # noqa: N802 - multiprocessing API
        if self.closed:  # pebble sees a launch failure and stops replacing workers
            raise OSError(errno.ESHUTDOWN, "worker pool closed")
        proc = _ForkServerWorker(*args, **kwargs)
        proc._preuves_server = self._server
        self.processes.add(proc)
        return proc

    def disown(self) -> None:
        """In a forked copy of the engine process: these workers are the original's, not this copy's
        children; forgotten, so that multiprocessing's clean-up (and pebble's at exit) never polls them."""
        for proc in list(self.processes):
            mp_process._children.discard(proc)

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
