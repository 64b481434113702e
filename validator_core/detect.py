"""Content detection: the media type from the bytes (libmagic), never from the name.

python-magic's calls are locked per ``Magic`` instance and the module-level shortcuts share one
instance across threads, so each process keeps its own ``magic.Magic(mime=True)``.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from functools import lru_cache
from pathlib import Path

import magic

OCTET_STREAM = "application/octet-stream"


@lru_cache(maxsize=1)
def _magic() -> magic.Magic:
    return magic.Magic(mime=True)


_MAGIC_PID: int | None = None


def media_type_of(head: bytes) -> str:
    """The media type libmagic gives the file's first bytes (``application/octet-stream`` if none)."""
    global _MAGIC_PID
    if _MAGIC_PID != os.getpid():  # a forked child must not share the parent's handle
        _magic.cache_clear()
        _MAGIC_PID = os.getpid()
    if not head:
        return "application/x-empty"
    try:
        detected = _magic().from_buffer(head)
    except magic.MagicException:
        return OCTET_STREAM
    return (detected or OCTET_STREAM).split(";")[0].strip().lower()


def read_head(path: str | Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


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
