"""What runs inside a worker process: start-up, limits, and the tasks the engine sends.

:func:`init_worker` starts every worker (pebble's initializer for the fork server's workers, called by
:class:`~validator_core.isolation.forkpool.ForkPool` for plain forks): it ties the worker's life to the
engine (``PR_SET_PDEATHSIG`` and a watchdog thread), puts it in its own process group, gives it a private ``TMPDIR``, caps its memory
(``RLIMIT_AS``), loads the plugin registry from a picklable :class:`~validator_core.registry.PluginConfig`
with the caller's ``sys.path`` (a forked worker keeps the engine's, which it inherits), and refuses
to serve when libmagic does not recognise a known sample.
:func:`run_task` sets the per-task CPU limit (``RLIMIT_CPU``) and runs one task.

The tasks (:func:`task_sniff`, :func:`task_inspect`, :func:`task_canary`) find their plugins through
:func:`_registry`: this worker's, or in inline mode the calling pool's (:func:`inline_registry`).
"""

from __future__ import annotations

import gc
import math
import os
import resource
import select
import signal
import sys
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from validator_core.isolation.tmpdirs import _private_tmp
from validator_core.models import Inspection
from validator_core.proof import Proof
from validator_core.registry import PluginConfig, PluginRegistry

_REGISTRY: PluginRegistry | None = None  # this worker process's (a worker serves one pool)
# Inline mode runs tasks in the caller's thread: the pool sets its own registry here for each call, so
# two inline engines in one process (different plugin configurations) each see their own plugins.
_INLINE_REGISTRY: ContextVar[PluginRegistry | None] = ContextVar("preuves_inline_registry", default=None)
_BORN = 0.0  # when this worker finished starting (time.time()): the canary's proof of a fresh worker

# Bytes libmagic must call application/pdf: the canary checks that a worker can really detect content.
CANARY_SAMPLE = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
CANARY_MEDIA_TYPE = "application/pdf"


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to start (picklable: it crosses to the worker)."""

    plugin_config: PluginConfig
    memory_bytes: int | None = None
    sys_path: list[str] | None = None
    tmp_root: str | None = None
    start_method: str = "forkserver"
    # ``fork`` only (nothing crosses by pickle then): the engine's registry, loaded from the same
    # ``plugin_config`` and ``sys.path``, which the forked worker inherits instead of loading it again.
    inherited_registry: PluginRegistry | None = None


def init_worker(setup: WorkerSetup, lifeline_fd: int | None = None) -> None:
    """Worker start-up: tie the worker's life to the engine, cap it, give it a private TMPDIR, load plugins.

    ``lifeline_fd``: a pipe's read end whose write end only the engine holds (a plain fork); else the
    worker watches the launch pipe multiprocessing gave it (the fork server's workers).
    """
    global _REGISTRY, _BORN
    if setup.start_method == "forkserver":
        _detach_from_fork_server()
    _watch_engine(lifeline_fd if lifeline_fd is not None else _launch_pipe())
    try:
        os.setpgid(0, 0)  # its own process group: killing the worker kills what it started (ffmpeg…)
    except OSError:  # pragma: no cover - already a group leader, or not permitted
        pass
    if setup.sys_path is not None:  # the fork server may predate a path added since (tests, embedding apps)
        sys.path[:] = setup.sys_path
    if setup.tmp_root:
        _private_tmp(setup.tmp_root)
    if setup.memory_bytes:
        # A forked worker is born with its parent's address space (a long-lived process may map
        # gigabytes it never touches: thread stacks, arenas, libraries): a cap below that would refuse
        # its very first mapping (libmagic's database). Its cap counts what it maps beyond its birth.
        limit = setup.memory_bytes + (_address_space_bytes() if setup.start_method == "fork" else 0)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):  # pragma: no cover - not permitted in some sandboxes
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops the pool
    gc.enable()  # a forked worker's parent may have paused its collector for its start-up (validator_core.console)
    _REGISTRY = setup.inherited_registry or PluginRegistry.load(setup.plugin_config)
    _self_check()
    _BORN = time.time()


def _address_space_bytes() -> int:
    """This process's mapped address space (what RLIMIT_AS counts), from ``/proc/self/statm``."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):  # pragma: no cover - no procfs: the plain cap
        return 0


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
    from multiprocessing import forkserver as mp_forkserver
    from multiprocessing import process as mp_process

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


def _launch_pipe() -> int | None:
    """The engine's end of the pipe multiprocessing launched this worker with (EOF: the engine is gone)."""
    import multiprocessing

    return getattr(multiprocessing.parent_process(), "sentinel", None)


def _watch_engine(fd: int | None) -> None:
    """Exit when the engine process is gone: EOF (or an error) on ``fd``, which only the engine writes."""
    if fd is None:  # pragma: no cover - not started by the pool
        return

    def watch() -> None:
        poller = select.poll()  # not select.select: the descriptor may be above FD_SETSIZE
        poller.register(fd, select.POLLIN)
        try:
            poller.poll()
        except OSError:  # pragma: no cover
            pass
        os._exit(1)

    threading.Thread(target=watch, name="preuves-lifeline", daemon=True).start()


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


@contextmanager
def inline_registry(registry: PluginRegistry | None) -> Iterator[None]:
    """Inline mode: tasks run in this block (the caller's thread) see ``registry``, not another pool's."""
    token = _INLINE_REGISTRY.set(registry)
    try:
        yield
    finally:
        _INLINE_REGISTRY.reset(token)


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
