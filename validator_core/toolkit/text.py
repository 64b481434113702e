"""Text in proof content: decoding, identities (NIR / INS) and secrets, found and masked in linear time.

The PDF, logs and report-link plugins all look for the same things in text: a NIR with a valid key
that is not one of the known test identities is a privacy red flag (real patient data in a proof);
INS OIDs tell a test (``.10``) or demo (``.11``) identity from a real one (``.8``); a private key, a
token or a password must be removed before filing, and never quoted whole in a report.

In a plugin's inspection::

    decoded = decode_text(proof.read(limit))    # .text, .encoding (None: binary), .bom
    secrets = scan_secrets(decoded.text)        # kinds, counts and line numbers, never the values
    identities = scan_identities(decoded.text)  # .facts(), .privacy_risk
    shown = mask_secrets(value)                 # any text copied from the file into a report

URLs (finding, parsing, masking) are in :mod:`validator_core.toolkit.urls`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

import re2
from stdnum.fr import nir as stdnum_nir

from validator_core.toolkit.urls import MASK, SECRET_QUERY_PARAMS, mask_urls_in_text

__all__ = [
    "Decoded", "decode_text",
    "IdentityScan", "scan_identities", "mask_identities", "mask_nir", "test_nirs", "INS_OIDS",
    "SecretScan", "scan_secrets", "find_secrets", "mask_secrets",
    "linear", "as_bytes",
]


# --- Linear-time patterns --------------------------------------------------------------------
# Every pattern that runs over upload content is compiled with RE2 (google-re2): its automaton takes
# time linear in the input whatever the input, where a backtracking engine rescans a run of token
# characters from every token start (a 1 Mo log of "-eyJhbGci" took 21 s with the former JWT
# pattern). RE2 has no look-around: a separator required *before* a match is consumed by the
# pattern, one required *after* is checked in Python. Upload text is scanned as its UTF-8 bytes with
# byte-wise (Latin-1) patterns: one encoding per scan, and every position is a byte offset.
_BYTES = re2.Options()
_BYTES.encoding = re2.Options.Encoding.LATIN1
_BYTES.log_errors = False
_TEXT = re2.Options()
_TEXT.log_errors = False
# Finding a match without its groups takes RE2's DFA only; groups need its NFA over the whole match
# (~150 ms for one 1 Mo "password=password=…" match): find first, then read the groups in a window.
_BYTES_NO_GROUPS = re2.Options()
_BYTES_NO_GROUPS.encoding = re2.Options.Encoding.LATIN1
_BYTES_NO_GROUPS.log_errors = False
_BYTES_NO_GROUPS.never_capture = True


def linear(pattern: bytes | str, groups: bool = True) -> Any:
    """``pattern`` compiled with RE2: bytes patterns run over bytes (one byte, one character),
    str patterns over str. Python's ``re`` only for quantifier-free or fixed-size inputs."""
    if isinstance(pattern, bytes):
        return re2.compile(pattern, _BYTES if groups else _BYTES_NO_GROUPS)
    return re2.compile(pattern, _TEXT)


def as_bytes(text: str | bytes) -> bytes:
    """What the byte patterns scan: ``text`` itself, or its UTF-8 encoding."""
    return text if isinstance(text, (bytes, bytearray)) else text.encode("utf-8", "surrogatepass")


# --- Identities ------------------------------------------------------------------------------
INS_OIDS = {
    "1.2.250.1.213.1.4.8": "ins_nir",
    "1.2.250.1.213.1.4.9": "ins_nia",
    "1.2.250.1.213.1.4.10": "ins_nir_test",
    "1.2.250.1.213.1.4.11": "ins_nir_demo",
}
_OID_PREFIX = b"1.2.250.1.213.1.4."
# The arc after the INS root, whole (all its digits: .10 is not .1 followed by 0); not after a digit
# or a dot (…1.2.250… inside a longer OID is another OID).
_OID_RE = linear(rb"(?:^|[^0-9.])1\.2\.250\.1\.213\.1\.4\.[0-9]+", groups=False)


def _oid_arcs(data: bytes, limit: int) -> Iterator[str]:
    """The arc after each INS root ``1.2.250.1.213.1.4.`` in ``data``, at most ``limit``."""
    if _OID_PREFIX not in data:
        return
    for count, match in enumerate(_OID_RE.finditer(data)):
        if count >= limit:
            return
        yield match.group().rsplit(b".", 1)[1][:12].decode("ascii")
# A NIR: sex (1, 2; 3, 4, 7, 8 for temporary numbers), year, month, department (2A/2B for Corsica),
# commune, order number, then a two-digit key; groups may be separated by one space (also a no-break
# or thin space, as French typography writes them), never inside a longer run of letters or digits.
_SEP = rb"(?:[\t\n\v\f\r ]|\xc2\xa0|\xe2\x80[\xaf\x89])?"
# Found without groups (RE2's DFA alone); the digits are read from the matched bytes.
_NIR_RE = linear(
    rb"(?:^|[^0-9A-Za-z])[123478]" + _SEP + rb"[0-9]{2}" + _SEP + rb"[0-9]{2}" + _SEP
    + rb"(?:[0-9]{2}|2[ABab])" + _SEP + rb"[0-9]{3}" + _SEP + rb"[0-9]{3}" + _SEP + rb"[0-9]{2}", groups=False
)
_DIGITS = frozenset(b"0123456789")
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_SPACES = b"\t\n\v\f\r \xc2\xa0\xe2\x80\xaf\x89"  # every byte of a separator _SEP accepts


def _nir_key_ok(nir: str) -> bool:
    """The NIR key (97 minus the 13-digit number mod 97; Corsica 2A/2B count as 19/18): a quick test
    before python-stdnum's full one, for logs full of 15-digit identifiers."""
    body = nir[:13].replace("2A", "19").replace("2B", "18")
    return body.isdigit() and 97 - int(body) % 97 == int(nir[13:])


def _iter_nirs(data: bytes, max_candidates: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, digits) of each NIR-shaped number in ``data``; at most ``max_candidates`` tried."""
    pos = 0
    for _ in range(max_candidates):
        match = _NIR_RE.search(data, pos)
        if match is None:
            return
        start, end = match.start(), match.end()
        if data[start] not in _DIGITS:  # the separator before (at the very start, none)
            start += 1
        if end < len(data) and data[end] in _ALNUM:
            pos = start + 1  # glued to a letter or digit: not a NIR; one may start further on
            continue
        # The digits without their separators (sliced, not read group by group: ~10 µs a match less).
        yield start, end, data[start:end].translate(None, _SPACES).decode("ascii")
        pos = end


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


def scan_identities(text: str | bytes, max_matches: int = 10_000) -> IdentityScan:
    """Find NIRs and INS OIDs in ``text`` (or its UTF-8 bytes); bounded to ``max_matches`` candidates each."""
    scan = IdentityScan()
    known = test_nirs()
    data = as_bytes(text)
    for _start, _end, digits in _iter_nirs(data, max_matches):
        nir = digits.upper()
        if not _nir_key_ok(nir) or not stdnum_nir.is_valid(nir):
            scan.invalid_key += 1
        elif nir in known:
            scan.test_nirs += 1
        else:
            masked = mask_nir(nir)
            if masked not in scan.unknown_valid:
                scan.unknown_valid.append(masked)
    for arc in _oid_arcs(data, max_matches):
        kind = INS_OIDS.get(_OID_PREFIX.decode() + arc)
        if kind is not None:
            scan.ins_oids[kind] = scan.ins_oids.get(kind, 0) + 1
    return scan


# --- Credentials in URLs ---------------------------------------------------------------------
# SECRET_QUERY_PARAMS, url_credentials() and mask_url() are in validator_core.toolkit.urls: they judge
# a URL on the host a browser opens and mask by parameter name and value shape. MASK, the one mask
# string of every report, comes from there too.


# --- Secrets in text -------------------------------------------------------------------------
# Each pattern is anchored on a syntax (PEM armour, JWT's base64 JSON header, an Authorization
# scheme, userinfo in a URL, a key=value pair, a vendor's token prefix) so that ordinary log text does
# not match. The vendor formats and the keyword list follow detect-secrets 1.5 (Yelp, Apache-2.0;
# plugins aws, github_token, gitlab_token, slack, stripe, sendgrid, npm, pypi_token, openai,
# azure_storage_key, private_key, keyword), ported rather than depended on: its patterns run on
# Python's backtracking engine (its own JWT pattern is quadratic on "eyJ" repeated) and it brings
# `requests` for a verification we never do. Left out of its list: formats with no literal prefix
# (Twilio "AC…", Mailchimp, Discord, Telegram) match ordinary hexadecimal ids in logs.
_KEYWORDS = (
    rb"password|passwd|passphrase|pwd|mot[_ -]?de[_ -]?passe|mdp"
    rb"|(?:client|app|api|jwt|consumer|shared)[_-]?secret|secret[_-]?key"
    rb"|api[_-]?key|auth[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|private[_-]?token"
)


def _query_names() -> bytes:
    # The URL parameters that carry a secret (validator_core.toolkit.urls compares names lower-cased
    # without "-" and "_"), minus those the key=value pattern already counts: "?password=…" is one secret.
    keyword = linear(rb"(?i)(?:" + _KEYWORDS.replace(b"[_-]?", b"").replace(b"[_ -]?", b"") + rb")")
    names = sorted(n for n in SECRET_QUERY_PARAMS if not keyword.fullmatch(n.encode()))
    return b"|".join(b"[_-]?".join(re.escape(c).encode() for c in name) for name in names)


@dataclass(frozen=True)
class _SecretPattern:
    kind: str
    # Literals (lower case) one of which every match contains: a cheap ``in`` test on the lowered text
    # skips the pass — a test per spelling (tests/test_logs.py) keeps them complete.
    needles: tuple[bytes, ...]
    pattern: Any
    value_group: int = 0  # the part that is the secret (masked in facts); 0: the whole match
    finder: Any = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "finder", linear(self.pattern.pattern, groups=False))


_SECRET_PATTERNS: tuple[_SecretPattern, ...] = (
    _SecretPattern("private_key", (b"private key", b"putty-user-key-file"), linear(
        rb"-{4,5} ?BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)? ?-{4,5}"
        rb"|PuTTY-User-Key-File-[0-9]+:")),
    _SecretPattern("jwt", (b"eyj",), linear(rb"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    _SecretPattern("bearer_token", (b"bearer",), linear(rb"(?i)\bBearer\s+([A-Za-z0-9._~+/-]{16,}=*)"), 1),
    _SecretPattern("basic_auth", (b"basic",), linear(rb"(?i)\bAuthorization\s*:\s*Basic\s+([A-Za-z0-9+/]{8,}=*)"), 1),
    _SecretPattern("aws_access_key", (b"akia", b"asia", b"abia", b"acca", b"a3t"),
                   linear(rb"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[0-9A-Z]{16}\b")),
    _SecretPattern("aws_secret_key", (b"access",), linear(
        rb"(?i)\b(?:aws[_-]?)?secret[_-]?access[_-]?key[\"']?\s*[=:]\s*[\"']?([A-Za-z0-9/+]{40})"), 1),
    _SecretPattern("github_token", (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"),
                   linear(rb"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})")),
    _SecretPattern("gitlab_token", (b"glpat-", b"gldt-", b"glrt-", b"glsoat-", b"glft-", b"glcbt-", b"glptt-"),
                   linear(rb"\b(?:glpat|gldt|glrt|glsoat|glft|glcbt|glptt)-[A-Za-z0-9_-]{20,}")),
    _SecretPattern("slack_token", (b"xox", b"xapp-"),
                   linear(rb"(?i)\b(?:xox[abposr]-(?:[0-9]+-)+[a-z0-9]+|xapp-[0-9]+-[a-z0-9-]{10,})")),
    _SecretPattern("slack_webhook", (b"hooks.slack.com",),
                   linear(rb"(?i)https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+")),
    _SecretPattern("google_api_key", (b"aiza",), linear(rb"\bAIza[0-9A-Za-z_-]{35}")),
    _SecretPattern("stripe_key", (b"k_live_",), linear(rb"\b[rs]k_live_[0-9A-Za-z]{24,}")),
    _SecretPattern("sendgrid_key", (b"sg.",), linear(rb"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
    _SecretPattern("npm_token", (b"npm_",), linear(rb"\bnpm_[A-Za-z0-9]{36}")),
    _SecretPattern("pypi_token", (b"pypi-age",), linear(rb"\bpypi-AgE[IN][A-Za-z0-9_-]{50,}")),
    _SecretPattern("openai_key", (b"t3blbkfj",), linear(rb"\bsk-[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]{10,}")),
    _SecretPattern("azure_storage_key", (b"accountkey=",), linear(rb"(?i)\bAccountKey=([A-Za-z0-9+/=]{86,88})"), 1),
    _SecretPattern("url_password", (b"://",),
                   linear(rb"(?i)\b[a-z][a-z0-9+.-]{1,15}://[^\s/:@\"'<>]+:([^\s/@\"'<>]+)@"), 1),
    _SecretPattern("url_secret_param", (b"=",),
                   linear(rb"(?i)[?&](?:" + _query_names() + rb")=([^\s&#\"'<>]{4,})"), 1),
    # The keyword may end a longer name (keystore.password, dbPassword, DB_PWD) but must be followed by
    # the separator: "passwordExpiry: 2024-01-01" is not a secret.
    _SecretPattern("password_pair", (b"pass", b"pwd", b"mdp", b"secret", b"api", b"token", b"auth"),
                   linear(rb"(?i)(" + _KEYWORDS + rb")[\"']?\s*[=:]\s*[\"']?([^\s\"'&;,<>]{4,})"), 2),
)
# Values that are placeholders, not secrets (masked in the log already, or a template).
_PLACEHOLDER_RE = linear(
    r"(?i)^(?:[*x•#.]+|<.*|\$\{.*|\{\{.*|%s|null|none|nil|undefined|redacted|\[redacted\]|hidden|changeme|\(.*)$"
)
_BASE64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _is_jwt(token: bytes) -> bool:
    """A JWT's first part is base64url JSON (detect-secrets checks it the same way)."""
    header = token.split(b".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(header + b"=" * (-len(header) % 4))
        return decoded.rstrip().endswith(b"}") and isinstance(json.loads(decoded), dict)
    except (ValueError, UnicodeDecodeError):
        return False


GROUPS_WINDOW = 4096  # the groups of a match are read in its first 4 KiB (a keyword, a separator…)


def _accepted(rule: _SecretPattern, data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """The span of the secret in the match ``data[start:end]``, or None for a placeholder or a shape
    RE2 cannot exclude by itself (it has no look-around)."""
    kind = rule.kind
    if kind == "jwt":
        return (start, end) if _is_jwt(data[start:end]) else None
    if kind == "aws_secret_key" and end < len(data) and data[end] in _BASE64_CHARS:
        return None  # exactly 40 characters, not the start of a longer run
    if not rule.value_group:
        return start, end
    window = min(end, start + GROUPS_WINDOW)
    parsed = rule.pattern.match(data, start, window)
    if parsed is None:  # the structure is longer than the window (e.g. a huge user name): all of it
        return start, end
    value_start = parsed.start(rule.value_group)
    # Every value group ends its match (url_password: just before "@"); cut by the window, it runs on.
    value_end = parsed.end(rule.value_group) if parsed.end() == end else end - (kind == "url_password")
    value = data[value_start:value_end]
    if kind == "bearer_token":
        return None if _is_jwt(value) else (value_start, value_end)  # a JWT is counted once, as "jwt"
    if kind in ("password_pair", "url_password", "url_secret_param"):
        if _PLACEHOLDER_RE.match(value.decode("utf-8", "replace")):
            return None
        # PWD=/home/… in an environment dump is the working directory, not a password.
        if kind == "password_pair" and parsed.group(1).lower() == b"pwd" and value[:1] in (b"/", b"~"):
            return None
    return value_start, value_end


# All the needles in one RE2 set: one pass over the lowered text tells which patterns can match (a set
# of literals has a bounded automaton), where one ``in`` test per needle cost ~30 ms per Mo.
_NEEDLE_SET = re2.Set.SearchSet(_BYTES)
_NEEDLE_RULES: list[int] = []
for _index, _rule in enumerate(_SECRET_PATTERNS):
    for _needle in _rule.needles:
        _NEEDLE_SET.Add(re2.escape(_needle))
        _NEEDLE_RULES.append(_index)
_NEEDLE_SET.Compile()


def find_secrets(data: bytes, max_matches: int = 1000) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end of the secret value) per kind in order; at most ``max_matches`` per kind, and
    at most four times as many candidates (placeholders) looked at."""
    present = {_NEEDLE_RULES[i] for i in _NEEDLE_SET.Match(data.lower()) or ()}
    for index, rule in enumerate(_SECRET_PATTERNS):
        if index not in present:
            continue
        found = 0
        for tried, match in enumerate(rule.finder.finditer(data)):
            if tried >= 4 * max_matches:
                break
            span = _accepted(rule, data, match.start(), match.end())
            if span is not None:
                yield rule.kind, span[0], span[1]
                found += 1
                if found >= max_matches:
                    break


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

    def merge(self, other: "SecretScan", label: str | None = None) -> None:
        """Add ``other``'s counts; its line numbers are kept only without ``label`` (another file)."""
        for kind, count in other.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + count
            if label is None:
                self.lines.setdefault(kind, []).extend(other.lines.get(kind, []))


def scan_secrets(text: str | bytes, max_matches: int = 1000) -> SecretScan:
    """Find private keys, tokens and passwords in ``text`` (or its UTF-8 bytes); bounded to
    ``max_matches`` per kind."""
    scan = SecretScan()
    data = as_bytes(text)
    for kind, start, _end in find_secrets(data, max_matches):
        scan.counts[kind] = scan.counts.get(kind, 0) + 1
        recorded = scan.lines.setdefault(kind, [])
        if len(recorded) < 5:
            recorded.append(data.count(b"\n", 0, start) + 1)
    return scan


MASK_INPUT_CHARS = 4096  # a fact is short: longer ones are cut (bounded work per fact)
_TRAILING_TOKEN = linear(r"[A-Za-z0-9_.~+/=-]*$")


def mask_secrets(text: str, max_len: int | None = None) -> str:
    """``text`` with the value of every secret :func:`scan_secrets` finds replaced by ``•••``, every
    NIR masked and every URL's credentials masked: for facts copied from file content into a report
    (a SOAP action, a FHIR profile, a ZIP member name…), so that a flagged secret never comes back whole.
    At most ``max_len`` (else MASK_INPUT_CHARS) characters come out, ending in "…" when cut.
    """
    if not isinstance(text, str) or not text:
        return text
    limit = max_len or MASK_INPUT_CHARS
    cut = len(text) > limit + 512
    if cut:
        # Masked on a window a little longer than what is shown; the run of token characters the
        # window cuts (maybe part of a secret) is dropped, never shown.
        text = text[: limit + 512]
        text = text[: _TRAILING_TOKEN.search(text).start()]
        if not text:
            return MASK + "…"
    # URLs first: their masking re-serialises them (a "•" put in by the secrets pass would come out
    # percent-encoded).
    data = as_bytes(mask_urls_in_text(text))
    pieces: list[bytes] = []
    last = 0
    for start, end in sorted((start, end) for _kind, start, end in find_secrets(data, 1000)):
        if end > last:  # overlapping finds (a token inside a key=value pair): one mask
            pieces += (data[last:max(start, last)], MASK.encode("utf-8"))
            last = end
    pieces.append(data[last:])
    text = mask_identities(b"".join(pieces).decode("utf-8", "surrogatepass"))
    return text + ("…" if cut and len(text) < limit else "") if len(text) <= limit else text[: limit - 1] + "…"


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


CHARSET_SAMPLE_BYTES = 64 * 1024
_CONTROL = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v") | {"\x7f"}


def _utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"`` / ``"utf-16-be"`` for UTF-16 text without a BOM (Windows tools write it), else None.

    Text in a Latin script has a zero high byte in nearly every 16-bit unit and a non-zero low byte:
    zeros at odd offsets only (little-endian) or at even offsets only (big-endian), in the first 8 KiB.
    The decoded start must then read as text (almost no control characters), not as binary records.
    """
    sample = data[:8192]
    units = len(sample) // 2
    if units < 2:
        return None
    even, odd = sample[0 : 2 * units : 2].count(0), sample[1 : 2 * units : 2].count(0)
    if odd >= 0.3 * units and even <= 0.02 * units:
        codec = "utf-16-le"
    elif even >= 0.3 * units and odd <= 0.02 * units:
        codec = "utf-16-be"
    else:
        return None
    start = sample[: 2 * units].decode(codec, "ignore")  # a surrogate pair may straddle the cut
    controls = sum(1 for char in start if char in _CONTROL)
    return codec if controls <= 0.01 * len(start) else None


def decode_text(data: bytes, detect_charset: bool = True) -> Decoded:
    """Decode ``data``: a BOM, UTF-16 without BOM, then UTF-8, then charset detection (charset-normalizer).

    Binary data (NUL bytes that are not UTF-16, or no plausible charset) decodes as Latin-1 so that
    ASCII patterns (URLs, PEM armour) can still be searched, with ``encoding=None``.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                # An odd trailing byte (a file cut short) does not make UTF-16 text binary.
                body = data[: len(data) - len(data) % 2] if codec == "utf-16" else data
                return Decoded(body.decode(codec), "utf-16" if codec == "utf-16" else "utf-8", bom=True)
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:8192]:
        codec = _utf16_without_bom(data)
        if codec is not None:
            try:
                return Decoded(data[: len(data) - len(data) % 2].decode(codec), codec)
            except UnicodeDecodeError:  # a lone surrogate further on: binary after all
                pass
    else:
        try:
            text = data.decode("utf-8")
            return Decoded(text, "ascii" if text.isascii() else "utf-8")
        except UnicodeDecodeError:
            pass
        if not detect_charset:  # many small texts (ZIP members): Latin-1 is enough for ASCII patterns
            return Decoded(data.decode("latin-1"), "latin-1")
        from charset_normalizer import from_bytes

        # The charset is chosen on the first 64 KiB (detection costs ~60 ms per Mo whole), then the
        # whole text is decoded with it.
        best = from_bytes(data[:CHARSET_SAMPLE_BYTES]).best()
        if best is not None:
            return Decoded(data.decode(best.encoding, "replace"), best.encoding)
    return Decoded(data.decode("latin-1"), None)


def mask_identities(text: str, max_candidates: int = 10_000) -> str:
    """``text`` with every NIR-shaped number masked (for quoting third-party messages in a report)."""
    data = as_bytes(text)
    pieces: list[bytes] = []
    last = 0
    for start, end, digits in _iter_nirs(data, max_candidates):
        pieces += (data[last:start], mask_nir(digits).encode("utf-8"))
        last = end
    if not pieces:
        return text
    pieces.append(data[last:])
    return b"".join(pieces).decode("utf-8", "surrogatepass")
