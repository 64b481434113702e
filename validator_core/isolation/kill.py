"""Killing a worker and what it started (its process group), through a pidfd when there is one.

Shared by both ways of starting workers (:mod:`~validator_core.isolation.process` for the fork server,
:mod:`~validator_core.isolation.forkpool` for plain forks). Workers make themselves process-group
leaders at start-up, so the group's id is the worker's pid.
"""

from __future__ import annotations

import os
import signal


def pidfd_open(pid: int) -> int | None:
    """A pidfd for ``pid`` (signals and waits without a pid-reuse race), or ``None`` where there is none."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:  # pragma: no cover - not Linux
        return None
    try:
        return opener(pid)
    except OSError:  # already gone, or pidfds not supported
        return None


def signal_worker(pid: int | None, pidfd: int | None, sig: int) -> None:
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
