"""Text scanners shared by plugins: URLs, and identities (NIR / INS) in proof content.

The PDF, logs and report-link plugins all look for the same things in text: a NIR with a valid key
that is not one of the known test identities is a privacy red flag (real patient data in a proof);
INS OIDs tell a test (``.10``) or demo (``.11``) identity from a real one (``.8``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from stdnum.fr import nir as stdnum_nir

# --- URLs -------------------------------------------------------------------------------------
# Any scheme (so that javascript:/data:/file: links are seen and refused), then non-space characters;
# trailing punctuation is trimmed by clean_url().
URL_RE = re.compile(r"""(?i)\b((?:https?|ftp|file|javascript|data|vbscript|mailto):[^\s<>"'`]+)""")
WEB_URL_RE = re.compile(r"(?i)\bhttps?://[^\s<>\"'`]+")


def clean_url(url: str) -> str:
    return url.rstrip(".,;:!?)]}>»\u201d'\"")


def find_urls(text: str, limit: int = 1000) -> list[str]:
    """URLs in ``text`` in order of appearance, without duplicates, at most ``limit``."""
    seen: dict[str, None] = {}
    for match in URL_RE.finditer(text):
        seen.setdefault(clean_url(match.group(1)), None)
        if len(seen) >= limit:
            break
    return list(seen)


# --- Identities ------------------------------------------------------------------------------
INS_OIDS = {
    "1.2.250.1.213.1.4.8": "ins_nir",
    "1.2.250.1.213.1.4.9": "ins_nia",
    "1.2.250.1.213.1.4.10": "ins_nir_test",
    "1.2.250.1.213.1.4.11": "ins_nir_demo",
}
_OID_RE = re.compile(r"(?<![\d.])1\.2\.250\.1\.213\.1\.4\.(8|9|10|11)(?![\d])")
# A NIR: sex (1, 2; 3, 4, 7, 8 for temporary numbers), year, month, department (2A/2B for Corsica),
# commune, order number, then a two-digit key; groups may be separated by single spaces.
_NIR_RE = re.compile(
    r"(?<![0-9A-Za-z])([123478])\s?(\d{2})\s?(\d{2})\s?(\d{2}|2[ABab])\s?(\d{3})\s?(\d{3})\s?(\d{2})(?![0-9A-Za-z])"
)


@lru_cache(maxsize=1)
def test_nirs() -> frozenset[str]:
    """The fictitious DMP test patients' NIRs (``validator_core/data/ins-test-nirs.txt``)."""
    text = resources.files("validator_core").joinpath("data/ins-test-nirs.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().upper() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def mask_nir(nir: str) -> str:
    """Show sex, year and month only: enough to find it in the file, not enough to identify anyone."""
    return nir[:5] + "•" * (len(nir) - 5)


@dataclass
class IdentityScan:
    """What :func:`scan_identities` found. ``unknown_valid`` holds masked NIRs (privacy red flags)."""

    test_nirs: int = 0
    unknown_valid: list[str] = field(default_factory=list)
    invalid_key: int = 0
    ins_oids: dict[str, int] = field(default_factory=dict)

    @property
    def privacy_risk(self) -> bool:
        return bool(self.unknown_valid) or self.ins_oids.get("ins_nir", 0) > 0

    def facts(self) -> dict[str, Any]:
        return {
            "nir_test_identities": self.test_nirs,
            "nir_unknown_valid": len(self.unknown_valid),
            "nir_invalid_key": self.invalid_key,
            "ins_oids": dict(self.ins_oids),
        }

    def merge(self, other: "IdentityScan") -> None:
        self.test_nirs += other.test_nirs
        self.invalid_key += other.invalid_key
        for masked in other.unknown_valid:
            if masked not in self.unknown_valid:
                self.unknown_valid.append(masked)
        for key, count in other.ins_oids.items():
            self.ins_oids[key] = self.ins_oids.get(key, 0) + count


def scan_identities(text: str, max_matches: int = 10_000) -> IdentityScan:
    """Find NIRs and INS OIDs in ``text``; bounded to ``max_matches`` candidates."""
    scan = IdentityScan()
    known = test_nirs()
    for count, match in enumerate(_NIR_RE.finditer(text)):
        if count >= max_matches:
            break
        nir = "".join(match.groups()).upper()
        if not stdnum_nir.is_valid(nir):
            scan.invalid_key += 1
        elif nir in known:
            scan.test_nirs += 1
        else:
            masked = mask_nir(nir)
            if masked not in scan.unknown_valid:
                scan.unknown_valid.append(masked)
    for match in _OID_RE.finditer(text):
        kind = INS_OIDS["1.2.250.1.213.1.4." + match.group(1)]
        scan.ins_oids[kind] = scan.ins_oids.get(kind, 0) + 1
    return scan
