"""Per-file checks run in worker processes: wall-clock timeout, address-space cap, replacement.

Parsers (libmediainfo, libmagic, pypdf, lxml, Pillow) have all had crashes, hangs and memory blow-ups on
crafted files, so nothing that parses an upload runs in the caller's process. We use pebble's
``ProcessPool`` (Apache Tika's forked-worker model, without writing a supervisor): a task past its
timeout has its worker killed and replaced; a worker that dies (segfault, ``os.abort()``, OOM kill)
is replaced too. The engine turns either into a ``check.timeout`` / ``check.crashed`` finding.

Workers come from a ``forkserver`` (never a plain ``fork`` of a threaded server): a clean single-threaded
process that has imported the parsers once, so a worker replaced after a timeout or a crash is ready
in milliseconds instead of re-importing everything. Each worker rebuilds the plugin registry from a
picklable :class:`~validator_core.registry.PluginConfig` with the caller's ``sys.path``. As with any
multiprocessing code, a script that calls ``validate()`` at import time needs an
``if __name__ == "__main__":`` guard (Python re-imports the main module in each worker).
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import sys
import threading
from concurrent.futures import Future, TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Callable

import pebble

from validator_core.detect import media_type_of
from validator_core.models import Inspection
from validator_core.proof import Proof
from validator_core.registry import PluginConfig, PluginRegistry

_REGISTRY: PluginRegistry | None = None


# Imported once in the fork server, shared copy-on-write by every worker (an import error is ignored:
# the worker imports what it needs itself). Never "__main__".
PRELOAD = (
    "validator_core.engine", "validator_core.isolation", "plugins", "plugins.video", "plugins.screenshot",
    "plugins.pdf_report", "plugins.report_link", "plugins.logs", "plugins.rem_catalogue",
    "pymediainfo", "pypdf", "PIL.Image", "PIL.PngImagePlugin", "PIL.JpegImagePlugin", "lxml.etree",
    "magic", "charset_normalizer", "stdnum.fr.nir",
)


def _worker_context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))  # effective until the fork server starts
    return context


def init_worker(plugin_config: PluginConfig, memory_bytes: int | None, sys_path: list[str] | None = None) -> None:
    """Worker start-up: the caller's import path, cap memory, no core dumps, load plugins once."""
    global _REGISTRY
    if sys_path is not None:  # the fork server may predate a path added since (tests, embedding apps)
        sys.path[:] = sys_path
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):  # pragma: no cover - not permitted in some sandboxes
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops the pool
    _REGISTRY = PluginRegistry.load(plugin_config)


def _registry() -> PluginRegistry:
    if _REGISTRY is None:  # inline mode in a process that did not call init_worker
        raise RuntimeError("worker registry not initialised")
    return _REGISTRY


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    inferred_type: str | None


def task_sniff(proof: Proof, infer: bool) -> Sniffed:
    """Detect the media type of the head (libmagic) and, when asked, infer the proof type."""
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
class Outcome:
    """How a task ended: ``value`` set, or ``timed_out``, or ``crashed`` with a ``reason``."""

    value: Any = None
    timed_out: bool = False
    crashed: bool = False
    reason: str = ""


def _outcome_of(future: Future, timeout_s: float) -> Outcome:
    try:
        return Outcome(value=future.result())
    except FutureTimeout:
        return Outcome(timed_out=True, reason=f"> {timeout_s:g} s")
    except pebble.ProcessExpired as exc:
        code = exc.exitcode
        if code is not None and code < 0:
            try:
                reason = signal.Signals(-code).name
            except ValueError:
                reason = f"signal {-code}"
        else:
            reason = f"exit {code}"
        return Outcome(crashed=True, reason=reason)
    except MemoryError:
        return Outcome(crashed=True, reason="MemoryError")
    except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
        return Outcome(crashed=True, reason=type(exc).__name__)


class WorkerPool:
    """A pool of isolated workers (``mode="process"``), or direct calls (``mode="inline"``)."""

    def __init__(
        self,
        plugin_config: PluginConfig,
        *,
        workers: int,
        timeout_s: float,
        memory_mb: int | None,
        max_tasks: int = 0,
        mode: str = "process",
    ) -> None:
        self.plugin_config = plugin_config
        self.workers = workers
        self.timeout_s = timeout_s
        self.memory_bytes = memory_mb * 1024 * 1024 if memory_mb else None
        self.max_tasks = max_tasks
        self.mode = mode
        self._pool: pebble.ProcessPool | None = None
        self._lock = threading.Lock()
        if mode == "inline":
            init_worker_inline(plugin_config)

    def _ensure(self) -> pebble.ProcessPool:
        with self._lock:
            if self._pool is None or not self._pool.active:
                self._pool = pebble.ProcessPool(
                    max_workers=self.workers,
                    max_tasks=self.max_tasks,
                    initializer=init_worker,
                    initargs=(self.plugin_config, self.memory_bytes, list(sys.path)),
                    context=_worker_context(),
                )
            return self._pool

    def start(self) -> None:
        """Start the workers now (else on first use), and wait until they answer."""
        if self.mode == "process":
            self.run(_ping, ())

    @property
    def alive(self) -> bool:
        if self.mode == "inline":
            return True
        return self._pool is not None and self._pool.active

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Future:
        if self.mode == "inline":
            future: Future = Future()
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001
                future.set_exception(exc)
            return future
        return self._ensure().schedule(fn, args=args, timeout=self.timeout_s)

    def wait(self, future: Future) -> Outcome:
        return _outcome_of(future, self.timeout_s)

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
        return self.wait(self.submit(fn, args))

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.stop()
                self._pool.join(timeout=5)
                self._pool = None


def _ping() -> bool:
    _registry()
    return True


def init_worker_inline(plugin_config: PluginConfig) -> None:
    """Inline mode: load the registry in this process (no isolation: for debugging and fuzzing)."""
    global _REGISTRY
    _REGISTRY = PluginRegistry.load(plugin_config)
