"""Timing and memory helpers shared by the benchmark sections."""

from __future__ import annotations

import hashlib
import os
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass
class Timing:
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def cell(self, unit: str = "ms") -> str:
        scale = 1000 if unit == "ms" else 1
        return f"{self.median * scale:.1f} ({min(self.samples) * scale:.1f}–{max(self.samples) * scale:.1f})"


def repeat(fn: Callable[[], object], runs: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return Timing(samples)


def sha256_floor(path: Path) -> None:
    """The physical floor: read and hash the bytes once."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return pids


def _proc_bytes(pid: int, file: str, field: str) -> int:
    """A ``Field:  N kB`` line of ``/proc/<pid>/<file>``, in bytes (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rss_bytes(pid: int) -> int:
    return _proc_bytes(pid, "status", "VmRSS")


def pss_bytes(pid: int) -> int:
    """Proportional set size: shared pages (the fork server's preloaded libraries) counted once overall."""
    return _proc_bytes(pid, "smaps_rollup", "Pss")


class PeakRss:
    """Samples the summed RSS and PSS of a process tree every ``interval`` s while in the ``with``.

    Summed RSS counts pages shared by the fork server and its workers once per process (an upper
    bound); summed PSS splits them (the real footprint).
    """

    def __init__(self, root_pid: int, interval: float = 0.02) -> None:
        self.root_pid, self.interval, self.peak, self.peak_pss = root_pid, interval, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = tree_pids(self.root_pid)
            self.peak = max(self.peak, sum(rss_bytes(p) for p in pids))
            self.peak_pss = max(self.peak_pss, sum(pss_bytes(p) for p in pids))
            time.sleep(self.interval)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM"
