"""Content detection: the media type from the bytes (libmagic), never from the name.

python-magic's calls are locked per ``Magic`` instance and the module-level shortcuts share one
instance across threads, so each process keeps its own ``magic.Magic(mime=True)``. libmagic is loaded
on first use (in the workers): the caller's process never needs it.

:func:`open_proof_file` is how the engine opens a path it was given: only a regular file is read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import magic

OCTET_STREAM = "application/octet-stream"


# libmagic's cost on whitespace depends on two windows: its text-encoding scan (parameter 7,
# MAGIC_PARAM_ENCODING_MAX, 64 KiB by default) and the bytes each soft-magic regex may search
# (MAGIC_PARAM_REGEX_MAX, 8 KiB). A 256 KiB head of blank lines took 300–800 ms with the defaults
# (quadratic in the window) against ~3 ms for an ordinary log; with these windows the worst head we
# know (newlines, spaces, tabs, CRLF) takes ~30 ms and every format of the rules is detected alike.
MAGIC_ENCODING_WINDOW = 8192
MAGIC_REGEX_WINDOW = 1024
_PARAM_ENCODING_MAX = 7  # not exported by python-magic


@lru_cache(maxsize=1)
def _magic() -> "magic.Magic":
    import magic

    detector = magic.Magic(mime=True)
    for param, value in ((_PARAM_ENCODING_MAX, MAGIC_ENCODING_WINDOW), (magic.MAGIC_PARAM_REGEX_MAX, MAGIC_REGEX_WINDOW)):
        try:
            detector.setparam(param, value)
        except (magic.MagicException, AttributeError, NotImplementedError):  # older libmagic: keep its default
            pass
    return detector


_MAGIC_PID: int | None = None


def media_type_of(head: bytes) -> str:
    """The media type libmagic gives the file's first bytes (``application/octet-stream`` if none)."""
    global _MAGIC_PID
    if _MAGIC_PID != os.getpid():  # a forked child must not share the parent's handle
        _magic.cache_clear()
        _MAGIC_PID = os.getpid()
    if not head:
        return "application/x-empty"
    import magic

    try:
        detected = _magic().from_buffer(head)
    except magic.MagicException:
        return OCTET_STREAM
    return (detected or OCTET_STREAM).split(";")[0].strip().lower()


def read_head(path: str | Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    with open(path, "rb") as fh:
        return sha256_of(fh, chunk_size)


def sha256_of(fh: IO[bytes], chunk_size: int = 1 << 20) -> str:
    """The digest of an open file from its start (the file position is left at the end)."""
    digest = hashlib.sha256()
    fh.seek(0)
    while chunk := fh.read(chunk_size):
        digest.update(chunk)
    return digest.hexdigest()


_KINDS = (
    (stat.S_ISCHR, "character_device"), (stat.S_ISBLK, "block_device"), (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "directory"),
)


def _kind_of(mode: int) -> str | None:
    """``None`` for a regular file, else what the path is."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "other")


@dataclass
class OpenedProof:
    """A path opened by :func:`open_proof_file`: ``fh`` for a regular file, else ``kind`` says what it is."""

    fh: IO[bytes] | None
    size: int
    kind: str | None  # None, "character_device", "block_device", "fifo", "socket", "pseudo_file", "other"

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def open_proof_file(path: str | Path) -> OpenedProof:
    """Open ``path`` for reading if, and only if, it is a regular file.

    ``/dev/zero``, a FIFO, a socket or a symbolic link to one of them is never read (reading would never
    end, or block): ``stat`` tells before any ``open`` (opening a device or a FIFO can itself block or
    act), and ``fstat`` on the descriptor opened with ``O_NONBLOCK`` confirms it is still the regular
    file just seen. A "regular" file that says it holds 0 bytes yet yields some (``/proc/self/environ``
    and other kernel pseudo-files) is refused too (``pseudo_file``). Symbolic links to regular files are
    followed: a user's link to their proof is a proof.

    :raises OSError: the path does not exist or cannot be read; :class:`IsADirectoryError` for a directory.
    """
    info = os.stat(path)
    kind = _kind_of(info.st_mode)
    if kind == "directory":
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if kind is not None:
        return OpenedProof(None, 0, kind)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        opened = os.fstat(fd)
        kind = _kind_of(opened.st_mode)
        if kind is not None or (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            os.close(fd)
            return OpenedProof(None, 0, kind or "other")  # replaced between stat and open
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    try:
        if opened.st_size == 0 and fh.read(1):
            fh.close()
            return OpenedProof(None, 0, "pseudo_file")
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    return OpenedProof(fh, opened.st_size, None)


# Characters that hide a name's real end (RLO "exe.gnp"), NUL truncation, other controls.
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f"}
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"}


def clean_name(name: str) -> tuple[str, str | None, list[str]]:
    """Decode a client file name: (display name, extension, problems).

    The extension is the last suffix of the NFKC-normalised base name, lower case, with bidi controls,
    invisible characters and anything from a NUL byte on removed — so ``x.jpg.php`` gives ``php`` and
    ``x.php\\0.jpg`` gives ``php`` (what a server stripping at NUL would store). ``problems`` names
    what was found (for ``file.suspicious_name``).
    """
    problems: list[str] = []
    if "\x00" in name:
        problems.append("octet NUL")
        name = name.split("\x00", 1)[0]
    if any(ch in _BIDI for ch in name):
        problems.append("inversion du sens d'écriture")
    if any(ch in _INVISIBLE for ch in name):
        problems.append("caractère invisible")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        problems.append("caractère de contrôle")
    cleaned = "".join(
        ch for ch in name if ch not in _BIDI and ch not in _INVISIBLE and unicodedata.category(ch) != "Cc"
    )
    cleaned = unicodedata.normalize("NFKC", cleaned)
    base = cleaned.replace("\\", "/").rsplit("/", 1)[-1].rstrip(" .")
    extension = None
    if "." in base.lstrip("."):
        extension = base.rsplit(".", 1)[-1].lower() or None
    return base or "fichier", extension, problems
