"""Text scanners shared by plugins: URLs, and identities (NIR / INS) in proof content.

The PDF, logs and report-link plugins all look for the same things in text: a NIR with a valid key
that is not one of the known test identities is a privacy red flag (real patient data in a proof);
INS OIDs tell a test (``.10``) or demo (``.11``) identity from a real one (``.8``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

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
    for match in _OID_RE.finditer(text) if "1.2.250.1.213.1.4." in text else ():
        kind = INS_OIDS["1.2.250.1.213.1.4." + match.group(1)]
        scan.ins_oids[kind] = scan.ins_oids.get(kind, 0) + 1
    return scan


# --- Credentials in URLs ---------------------------------------------------------------------
# Query parameters whose value is a secret. Gazelle's `privacyKey` is deliberately absent: it is the
# share key that makes a private report readable by the ANS, i.e. what the proof is meant to carry.
SECRET_QUERY_PARAMS = frozenset(
    {"password", "passwd", "pwd", "pass", "token", "access_token", "id_token", "refresh_token",
     "api_key", "apikey", "secret", "client_secret", "auth", "sig", "signature"}
)
MASK = "•••"


def url_credentials(url: str) -> list[str]:
    """What kind of credentials ``url`` carries: ``"userinfo"`` and/or the secret query parameters."""
    try:
        parts = urlsplit(url)
        found = ["userinfo"] if (parts.username or parts.password) else []
        for name, value in parse_qsl(parts.query, keep_blank_values=False):
            if name.lower() in SECRET_QUERY_PARAMS and value:
                found.append(name)
    except ValueError:
        return []
    return found


def mask_url(url: str, max_len: int = 300) -> str:
    """``url`` with its user name, password and secret query values replaced by ``•••``.

    Safe to show in a report: the credential kinds stay visible, the values never do.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            # Rebuild from the raw pairs so that the other parameters keep their exact spelling.
            pairs = [p.partition("=") for p in query.split("&")]
            query = "&".join(
                n + (s + MASK if s and n.lower() in SECRET_QUERY_PARAMS and v else s + v) for n, s, v in pairs
            )
        masked = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        # Unparsable: keep the scheme only, anything after it could be a secret.
        masked = url.split(":", 1)[0] + ":" + MASK
    return masked if len(masked) <= max_len else masked[: max_len - 1] + "…"


# --- Secrets in text -------------------------------------------------------------------------
# Careful regexes rather than a detector library: the kinds that matter in proof logs are few, and
# each pattern below is anchored on a syntax (PEM armour, JWT's base64 JSON header, an Authorization
# scheme, userinfo in a URL, a key=value pair) so that ordinary log text does not match.
_SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private_key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    ("bearer_token", re.compile(r"(?i)\bBearer\s+(?!eyJ)[A-Za-z0-9\-._~+/]{16,}=*")),
    ("basic_auth", re.compile(r"(?i)\bAuthorization\s*:\s*Basic\s+[A-Za-z0-9+/]{8,}=*")),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("url_password", re.compile(r"(?i)\b[a-z][a-z0-9+.-]{1,15}://[^\s/:@\"'<>]+:([^\s/@\"'<>]+)@")),
    (
        "password_pair",
        re.compile(
            r"""(?ix)\b(password|passwd|pwd|passphrase|mot[_ ]de[_ ]passe|mdp|client_secret|secret_key|"""
            r"""api[_-]?key|access[_-]?token)["']?\s*[=:]\s*["']?([^\s"'&;,<>]{4,})"""
        ),
    ),
)
# Literals one of which each pattern's match must contain (in lower case): a cheap ``in`` test on the
# text skips the regex pass — seven case-insensitive passes over a 1 Mo log cost ~180 ms, the
# literal tests ~2 ms — without changing what is found.
_SECRET_NEEDLES: dict[str, tuple[str, ...]] = {
    "private_key": ("private key",),
    "jwt": ("eyj",),
    "bearer_token": ("bearer",),
    "basic_auth": ("basic",),
    "aws_access_key": ("akia", "asia"),
    "url_password": ("://",),
    # password|passwd|passphrase|mot de passe / pwd / mdp / client_secret|secret_key / api key / access token
    "password_pair": ("pass", "pwd", "mdp", "secret", "api", "token"),
}
# Values that are placeholders, not secrets (masked in the log already, or a template).
_PLACEHOLDER_RE = re.compile(r"(?i)^(?:[*x•#.]+|<.*|\$\{.*|\{\{.*|%s|null|none|nil|undefined|redacted|\[redacted\]|hidden|changeme|\(.*)$")


@dataclass
class SecretScan:
    """Secrets found in a text: per kind a count and the first line numbers (never the values)."""

    counts: dict[str, int] = field(default_factory=dict)
    lines: dict[str, list[int]] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.counts)

    def kinds(self) -> list[str]:
        return sorted(self.counts)

    def first_lines(self, limit: int = 5) -> list[int]:
        return sorted({n for lines in self.lines.values() for n in lines})[:limit]


def scan_secrets(text: str, max_matches: int = 1000) -> SecretScan:
    """Find private keys, tokens and passwords in ``text``; bounded to ``max_matches`` per kind."""
    scan = SecretScan()
    line_starts: list[int] | None = None
    lowered = text.lower()
    for kind, pattern in _SECRET_PATTERNS:
        if not any(needle in lowered for needle in _SECRET_NEEDLES[kind]):
            continue
        for count, match in enumerate(pattern.finditer(text)):
            if count >= max_matches:
                break
            if kind == "password_pair" and _PLACEHOLDER_RE.match(match.group(2)):
                continue
            if kind == "url_password" and _PLACEHOLDER_RE.match(match.group(1)):
                continue
            if line_starts is None:
                line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
            line = bisect_right(line_starts, match.start())
            scan.counts[kind] = scan.counts.get(kind, 0) + 1
            recorded = scan.lines.setdefault(kind, [])
            if len(recorded) < 5:
                recorded.append(line)
    return scan


# --- Decoding --------------------------------------------------------------------------------
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


@dataclass(frozen=True)
class Decoded:
    """Bytes as text: ``encoding`` is ``None`` when the bytes are not text (binary)."""

    text: str
    encoding: str | None
    bom: bool = False

    @property
    def is_text(self) -> bool:
        return self.encoding is not None


def decode_text(data: bytes) -> Decoded:
    """Decode ``data``: a BOM, then UTF-8, then charset detection (charset-normalizer).

    Binary data (NUL bytes without a UTF-16 BOM, or no plausible charset) decodes as Latin-1 so that
    ASCII patterns (URLs, PEM armour) can still be searched, with ``encoding=None``.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), "utf-16" if codec == "utf-16" else "utf-8", bom=True)
            except UnicodeDecodeError:
                break
    if b"\x00" not in data[:8192]:
        try:
            text = data.decode("utf-8")
            return Decoded(text, "ascii" if text.isascii() else "utf-8")
        except UnicodeDecodeError:
            pass
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return Decoded(str(best), best.encoding)
    return Decoded(data.decode("latin-1"), None)


def mask_identities(text: str) -> str:
    """``text`` with every NIR-shaped number masked (for quoting third-party messages in a report)."""
    return _NIR_RE.sub(lambda m: mask_nir("".join(m.groups())), text)
