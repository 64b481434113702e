"""How a task ended, and whose fault it was: the file's (a finding) or the engine's (never a verdict).

:func:`classify` reads a finished future of the pool's backend (pebble's, or
:class:`~validator_core.isolation.forkpool.ForkPool`'s) and says which of these it was:

* ``"ok"``: the task returned a value;
* ``"file"``: a timeout (wall clock, or ``SIGXCPU`` from the CPU limit) or an exception raised by the
  task: the file's doing, reported as ``check.timeout`` / ``check.crashed``;
* ``"crash"``: the worker died (a signal, an exit): the file's, or the engine's — the pool asks a
  canary before it decides;
* ``"unavailable"``: the engine is incomplete (:data:`ENGINE_EXCEPTIONS`): running it again cannot help;
* ``"engine"``: the pool failed under the task (broken, cancelled, worker lost with the fork server):
  the task is run again on a rebuilt pool.
"""

from __future__ import annotations

import signal
import sys
from concurrent.futures import BrokenExecutor, CancelledError, TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Container

# Exceptions that say the engine is incomplete (a module or shared library missing), not the file bad.
ENGINE_EXCEPTIONS = ("ImportError", "ModuleNotFoundError")


class WorkerExpired(Exception):
    """The worker running a task died (:class:`~validator_core.isolation.forkpool.ForkPool`'s
    ``pebble.ProcessExpired``): its ``pid`` and ``exitcode`` (negative: the signal)."""

    def __init__(self, pid: int, exitcode: int | None) -> None:
        super().__init__(f"worker {pid} ended ({exitcode})")
        self.pid, self.exitcode = pid, exitcode


@dataclass(frozen=True)
class Outcome:
    """How a task ended: ``value`` set, or ``timed_out``, or neither: it crashed, and ``reason`` says how."""

    value: Any = None
    timed_out: bool = False
    reason: str = ""


def classify(pf: Any, timeout_s: float, orphans: Container[int]) -> tuple[str, Outcome]:
    """The kind of end of the finished future ``pf`` (see the module docstring) and its :class:`Outcome`.

    ``orphans``: workers whose exit status died with a fork server (their death was the engine's).
    """
    try:
        value = pf.result()
    except FutureTimeout:
        return "file", Outcome(timed_out=True, reason=f"> {timeout_s:g} s")
    except WorkerExpired as exc:
        return _worker_died(exc, timeout_s, orphans)
    except (BrokenExecutor, CancelledError) as exc:  # BrokenExecutor: pebble's BrokenProcessPool too
        return "engine", Outcome(reason="worker pool broken (workers exit at start-up, or all died)"
                                 if isinstance(exc, BrokenExecutor) else "worker pool broken (cancelled)")
    except RuntimeError as exc:
        if "Pool" in str(exc):  # pebble: "Unexpected error within the Pool" / "The Pool is not active"
            return "engine", Outcome(reason=f"worker pool broken ({exc})")
        return "file", Outcome(reason=type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - raised by the task, or an unpicklable result
        pebble = sys.modules.get("pebble")  # only a pebble future can raise its ProcessExpired
        if pebble is not None and isinstance(exc, pebble.ProcessExpired):
            return _worker_died(exc, timeout_s, orphans)
        outcome = _outcome_of_exception(exc, timeout_s)
        if outcome.reason in ENGINE_EXCEPTIONS:
            return "unavailable", Outcome(reason=f"engine incomplete ({outcome.reason})")
        return "file", outcome
    return "ok", Outcome(value=value)


def _worker_died(exc: Any, timeout_s: float, orphans: Container[int]) -> tuple[str, Outcome]:
    """The worker running the task died (:class:`WorkerExpired`, ``pebble.ProcessExpired``): with the fork
    server, by the CPU limit, or else."""
    if exc.pid in orphans:
        return "engine", Outcome(reason="worker lost with the fork server")
    if exc.exitcode == -signal.SIGXCPU:  # the CPU limit: the task ran too long
        return "file", Outcome(timed_out=True, reason=f"> {timeout_s:g} s CPU")
    return "crash", Outcome(reason=_signal_reason(exc.exitcode))


def _signal_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"


def _outcome_of_exception(exc: BaseException, timeout_s: float) -> Outcome:
    if isinstance(exc, FutureTimeout):
        return Outcome(timed_out=True, reason=f"> {timeout_s:g} s")
    if isinstance(exc, MemoryError):
        return Outcome(reason="MemoryError")
    return Outcome(reason=type(exc).__name__)
