"""Private temporary directories: one per pool, one sub-directory per worker, nothing left behind.

A plugin's parser may leave files in ``TMPDIR`` (or be killed before it removes them). Each worker gets
``<pool dir>/w<pid>`` as its ``TMPDIR`` (:func:`_private_tmp`, at worker start-up); the parent removes
the sub-directory of every worker that is gone (:meth:`_PoolDir.sweep`), the whole pool directory when
the pool closes, and at the next start the pool directories of engines that were killed
(:func:`sweep_stale_pool_dirs`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
import time

POOL_DIR_PREFIX = "preuves-workers-"


def _private_tmp(root: str) -> None:
    """``TMPDIR`` for this worker only: whatever a plugin leaves there is removed with the worker."""
    path = os.path.join(root, f"w{os.getpid()}")
    if os.path.isdir(path):  # a dead worker with the same pid, not swept yet
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, mode=0o700, exist_ok=True)
    tempfile.tempdir = path
    os.environ["TMPDIR"] = path


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
        if entry.name.startswith(POOL_DIR_PREFIX) and _remove_if_abandoned(entry, uid, min_age_s):
            removed.append(entry.path)
    return removed


def _remove_if_abandoned(entry: os.DirEntry[str], uid: int, min_age_s: float) -> bool:
    """Remove ``entry`` if it is a pool directory of user ``uid`` whose owner is gone; true if removed."""
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
        return False
    lock_path = os.path.join(entry.path, ".owner")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:  # created but not locked yet, or half removed: only when old
        if time.time() - info.st_mtime > min_age_s:
            shutil.rmtree(entry.path, ignore_errors=True)
            return True
        return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # its owner is alive
        os.close(fd)
        return False
    try:
        shutil.rmtree(entry.path, ignore_errors=True)
        return True
    finally:
        os.close(fd)
