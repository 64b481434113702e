"""What a plugin receives: one proof file, already sized and sniffed by the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from validator_core.models import Finding, Severity
from validator_core.rules import Rules

HEAD_BYTES = 256 * 1024  # what libmagic and cheap sniffers look at
DOSSIER_CONTEXT = "dossier"  # in Proof.context: the file is checked as part of a dossier


@dataclass(frozen=True)
class Proof:
    """One proof file, as the engine hands it to plugins (picklable: it crosses to worker processes).

    ``path`` is a local file the engine or the HTTP layer created; ``name`` is the caller's file name,
    for display and extension checks only — never open it.
    """

    path: str
    name: str
    size: int
    media_type: str
    format: str | None
    extension: str | None
    proof_type: str | None
    rules: Rules
    head: bytes = field(default=b"", repr=False)
    # Extra context: the requirement a proof answers (``"requirement"``, filled by the catalogue), and
    # ``DOSSIER_CONTEXT`` when the file is checked as part of a dossier (a plugin may then compute what
    # the dossier compares across files, such as the screenshot's perceptual hash).
    context: dict[str, Any] = field(default_factory=dict)

    def thresholds(self, plugin: str) -> dict[str, Any]:
        """The plugin's thresholds from the rules data (``[thresholds.<plugin>]``)."""
        return self.rules.thresholds(plugin)

    @property
    def max_bytes(self) -> int:
        """The proof type's size limit (``max_bytes`` in the rules): the engine refused larger files."""
        return self.rules.proof_type(self.proof_type).max_bytes

    def open(self):
        return Path(self.path).open("rb")

    def iter_chunks(self, chunk_size: int = 1 << 20, limit: int | None = None) -> Iterator[bytes]:
        """Read the file in chunks, at most ``limit`` bytes in all (bounded reading for plugins)."""
        remaining = self.size if limit is None else min(limit, self.size)
        with self.open() as fh:
            while remaining > 0:
                chunk = fh.read(min(chunk_size, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def read(self, limit: int) -> bytes:
        """The first ``limit`` bytes (plugins must bound what they load)."""
        with self.open() as fh:
            return fh.read(limit)


def finding(code: str, severity: Severity | str, **details: Any) -> Finding:
    """Shorthand for plugins: ``finding("myplugin.too_short", "warning", duration_s=1.2)``."""
    return Finding(code=code, severity=Severity(severity), details=details)
