"""The inspection of the ``logs`` plugin: formats recognised, secrets, real NIRs, XML/JSON, ZIP.

Imported by :func:`plugins.logs.preuves_inspect` on the inspection path only: the text and XML
toolkits compile their RE2 patterns and load lxml at import, which the service process (it reads
only the declarations of ``plugins/logs.py``) never needs. The fork server imports it once
(``plugins.logs.PRELOAD``).
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
import struct
import zipfile
import zlib
from bisect import bisect_right
from collections import Counter
from datetime import datetime
from typing import Any, Iterator, Mapping

from plugins.logs import PLUGIN, secret_words
from plugins.logs_mail import header_summary, parts_summary
from validator_core import Inspection, Proof, finding
from validator_core.toolkit.text import (
    IdentityScan,
    as_bytes,
    decode_text,
    find_secrets,
    linear,
    mask_secrets,
    scan_identities,
    scan_secrets,
)
from validator_core.toolkit.xml import find_first, local_name, parse_xml


# --- timestamps --------------------------------------------------------------------------------------
# A log line's timestamp is at its start; a 1 MB single-line file must not be scanned 5 times whole.
# These patterns (Python's re, for their look-arounds) only ever see the first 256 characters of at
# most 2 x timestamp_scan_lines lines, and each has fixed-width groups: bounded work per line.
TIMESTAMP_LINE_CHARS = 256
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_TS_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # ISO 8601 / RFC 3339 (most application logs)
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})?"), "iso"),
    # Common/combined log format: [10/Oct/2023:13:55:36 +0200]
    (re.compile(r"\b(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?: ([+-]\d{4}))?"), "clf"),
    # French dates: 24/03/2023 14:05:00
    (re.compile(r"\b(\d{2})/(\d{2})/(\d{4})[ T](\d{2}):(\d{2}):(\d{2})\b"), "fr"),
    # RFC 5322 (SMTP Date:, Received:): Fri, 24 Mar 2023 14:05:00 +0100
    (re.compile(r"\b(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2})(?: ([+-]\d{4}))?"), "rfc5322"),
    # HL7 v2 DTM in MSH-7: 20230324140500[+0100]
    (re.compile(r"(?<=\|)((?:19|20)\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?([+-]\d{4})?(?=\||\^|\r|\n|$)"), "hl7"),
)


def _timestamp(match: re.Match[str], style: str) -> str | None:
    """An ISO 8601 rendering of a matched timestamp, or ``None`` when it is not a real date."""
    g = match.groups()
    try:
        if style == "iso":
            dt = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5]))
            zone = g[6] or ""
        elif style == "clf":
            dt = datetime(int(g[2]), _MONTHS[g[1].lower()], int(g[0]), int(g[3]), int(g[4]), int(g[5]))
            zone = g[6] or ""
        elif style == "fr":
            dt = datetime(int(g[2]), int(g[1]), int(g[0]), int(g[3]), int(g[4]), int(g[5]))
            zone = ""
        elif style == "rfc5322":
            dt = datetime(int(g[2]), _MONTHS[g[1].lower()], int(g[0]), int(g[3]), int(g[4]), int(g[5]))
            zone = g[6] or ""
        else:
            dt = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5] or 0))
            zone = g[6] or ""
    except (ValueError, KeyError):
        return None
    if zone and zone != "Z" and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    return dt.isoformat() + zone


def _first_timestamp(lines: list[str]) -> str | None:
    for line in lines:
        line = line[:TIMESTAMP_LINE_CHARS]
        best: tuple[int, str] | None = None
        for pattern, style in _TS_PATTERNS:
            for match in pattern.finditer(line):
                value = _timestamp(match, style)
                if value is not None:
                    if best is None or match.start() < best[0]:
                        best = (match.start(), value)
                    break
        if best is not None:
            return best[1]
    return None


# Lines end on \r\n, \r or \n: an HL7 v2 dump separates its segments with carriage returns.
def _edge_lines(text: str, count: int, from_end: bool) -> list[str]:
    """The first (or last, last one first) ``count`` lines, each cut to TIMESTAMP_LINE_CHARS.

    Literal searches for the next CR and the next LF, each redone only once passed: one pass over the
    part of the text those lines cover, never a list of every line of the file.
    """
    lines: list[str] = []
    if not from_end:
        pos, cr, lf = 0, text.find("\r"), text.find("\n")
        while len(lines) < count:
            ends = [e for e in (cr, lf) if e >= 0]
            end = min(ends) if ends else len(text)
            lines.append(text[pos:min(end, pos + TIMESTAMP_LINE_CHARS)])
            if not ends:
                break
            pos = end + (2 if text.startswith("\r\n", end) else 1)
            cr = text.find("\r", pos) if 0 <= cr < pos else cr
            lf = text.find("\n", pos) if 0 <= lf < pos else lf
        return lines
    stop, cr, lf = len(text), text.rfind("\r"), text.rfind("\n")
    while len(lines) < count:
        start = max(cr, lf) + 1
        lines.append(text[start:min(stop, start + TIMESTAMP_LINE_CHARS)])
        if start == 0:
            break
        stop = start - (2 if text.startswith("\r\n", start - 2) and start >= 2 else 1)
        cr = text.rfind("\r", 0, stop) if cr >= stop else cr
        lf = text.rfind("\n", 0, stop) if lf >= stop else lf
    return lines


def timestamps(text: str, scan_lines: int) -> dict[str, str]:
    out: dict[str, str] = {}
    first = _first_timestamp(_edge_lines(text, scan_lines, from_end=False))
    if first:
        out["first_timestamp"] = first
        last = _first_timestamp(_edge_lines(text, scan_lines, from_end=True))
        if last:
            out["last_timestamp"] = last
    return out


# --- structured formats ------------------------------------------------------------------------------
# An MSH segment starts the text or follows a CR/LF or the MLLP start byte (VT); "MSH" is found by a
# literal search (a regex alternation at every position cost ~100 ms per Mo). A segment ends at a
# CR/LF, VT or the MLLP end byte (FS): a candidate's segment never runs into the next candidate, so
# reading the segments costs one pass over the text however many "MSH|" it holds.
_MSH_FIELD_SEPARATORS = "|^~\\&#!"
_SEGMENT_END = re.compile(r"[\r\n\x0b\x1c]")  # a character class: linear
MSH_SEGMENT_CHARS = 2048


def _msh_starts(text: str) -> Iterator[int]:
    pos = text.find("MSH")
    while pos >= 0:
        if (pos == 0 or text[pos - 1] in "\r\n\x0b") and text[pos + 3:pos + 4] and text[pos + 3] in _MSH_FIELD_SEPARATORS:
            yield pos
        pos = text.find("MSH", pos + 3)


def hl7v2_facts(text: str, max_messages: int) -> dict[str, Any] | None:
    """HL7 v2 messages (an MSH segment each): count, MSH-9 types, MSH-12 versions."""
    types: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    count = 0
    for tried, start in enumerate(_msh_starts(text)):
        if count >= max_messages or tried >= 4 * max_messages:
            break
        sep = text[start + 3]
        end = _SEGMENT_END.search(text, start + 4, start + MSH_SEGMENT_CHARS)
        segment = text[start:end.start() if end else start + MSH_SEGMENT_CHARS]
        fields = segment.split(sep)
        if len(fields) < 9 or len(fields[1]) < 3:  # MSH-2 holds the encoding characters
            continue
        component = fields[1][0]
        count += 1
        parts = fields[8].split(component)
        types[("^".join(p for p in parts[:2] if p) or "?")[:64]] += 1
        if len(fields) > 11 and fields[11]:
            versions[fields[11].split(component)[0][:10]] += 1
    if not count:
        return None
    return {
        "messages": count,
        "truncated": count >= max_messages,
        "message_types": dict(types.most_common(20)),
        "versions": sorted(versions),
    }


def fhir_facts(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return None
    out: dict[str, Any] = {"resourceType": value["resourceType"][:64]}
    if value["resourceType"] == "Bundle":
        entries = value.get("entry") if isinstance(value.get("entry"), list) else []
        kinds = Counter(
            e["resource"]["resourceType"][:64]
            for e in entries[:10_000]
            if isinstance(e, dict) and isinstance(e.get("resource"), dict) and isinstance(e["resource"].get("resourceType"), str)
        )
        out["bundle_type"] = str(value.get("type"))[:32] if value.get("type") else None
        out["entries"] = len(entries)
        out["entry_resource_types"] = dict(kinds.most_common(20))
    if isinstance(value.get("meta"), dict) and isinstance(value["meta"].get("profile"), list):
        out["profiles"] = [str(p)[:200] for p in value["meta"]["profile"][:5]]
    return {k: v for k, v in out.items() if v is not None}


SOAP_NAMESPACES = {
    "http://schemas.xmlsoap.org/soap/envelope/": "1.1",
    "http://www.w3.org/2003/05/soap-envelope": "1.2",
}
HL7_V3 = "urn:hl7-org:v3"
FHIR_NS = "http://hl7.org/fhir"


def xml_structured(root: Any) -> tuple[str | None, dict[str, Any]]:
    """(format, facts) for a recognised XML vocabulary: CDA, SOAP, FHIR XML; (None, {}) otherwise."""
    name, namespace = local_name(root), (root.tag.split("}", 1)[0][1:] if root.tag.startswith("{") else None)
    if name == "ClinicalDocument" and namespace == HL7_V3:
        facts: dict[str, Any] = {}
        templates = [c.get("root") for c in root if local_name(c) == "templateId" and c.get("root")]
        if templates:
            facts["template_ids"] = templates[:10]
        for child in root:
            if local_name(child) == "code":
                facts["code"] = child.get("code")
                facts["code_system"] = child.get("codeSystem")
                break
        facts["structured_body"] = find_first(root, "structuredBody", 5000) is not None
        return "cda", {k: v for k, v in facts.items() if v is not None}
    if name == "Envelope" and namespace in SOAP_NAMESPACES:
        facts = {"version": SOAP_NAMESPACES[namespace], "header": False}
        for child in root:
            child_name = local_name(child)
            if child_name == "Header":
                facts["header"] = True
                for header in child:
                    if local_name(header) == "Action" and header.text:
                        facts["action"] = header.text.strip()[:200]
            elif child_name == "Body":
                operation = next((c for c in child if isinstance(c.tag, str)), None)
                if operation is not None:
                    facts["body"] = local_name(operation)
                    facts["fault"] = local_name(operation) == "Fault"
        return "soap", facts
    if namespace == FHIR_NS:
        return "fhir_xml", {"resourceType": name}
    return None, {}


# Over the first 64 KiB only (RE2: Python's re cost ~0.4 µs a character on this case-insensitive alternation).
_SMTP_HEADER_RE = linear(r"(?im)^(Received|Return-Path|Message-ID|MIME-Version|DKIM-Signature|From|To|Subject|Date|Content-Type):")
_BLANK_LINE = linear(r"\r?\n\r?\n")
_FIRST_HEADER = linear(r"[A-Za-z0-9-]+|From [^\n]*")


def looks_like_smtp(text: str) -> bool:
    """RFC 5322 headers at the top: at least a From: and two other message headers before a blank line."""
    head = text[:65536]
    blank = _BLANK_LINE.search(head)
    head = head[: blank.start()] if blank else head
    names = {m.group(1).lower() for m in _SMTP_HEADER_RE.finditer(head)}
    first = head.lstrip().split(":", 1)[0]
    return "from" in names and len(names) >= 3 and bool(_FIRST_HEADER.fullmatch(first[:200]))


# The email parser's cost is per line (140,000 header lines took ~0.9 s, 30,000 tiny MIME parts 1.5 s):
# it reads the first SMTP_PARSE_LINES lines only — a 1 Mo message with a base64 attachment has ~13,500,
# and its structure (the part headers) comes first. Each line is also checked against the boundary of
# every enclosing multipart: the parser stops before the SMTP_MAX_MULTIPARTS + 1-th multipart header
# (a real message nests a handful; 20,000 nested ones took 1 s, then overflowed the stack).
SMTP_PARSE_LINES = 3000
SMTP_MAX_MULTIPARTS = 32
# The parser splits a header's parameters by copying the rest of the value each time (quadratic: a
# 1 Mo Content-Type of "a=b; " took 40 s, a 900 Ko boundary 4.7 s). Lines are cut to RFC 5322's 998
# characters and a header keeps SMTP_MAX_FOLDS continuation lines (DKIM signatures fold into ~6).
SMTP_LINE_CHARS = 998
SMTP_MAX_FOLDS = 8
# Each MIME part costs the parser a header parse and a content-type lookup per enclosing multipart: 750
# parts with 750-character headers cost 4-5x an ordinary message of the same size. A proof's message
# carries a few parts (body, CDA, PDF, an IHE_XDM archive): the parser stops before the
# SMTP_MAX_PARTS + 1-th boundary line ("--…").
SMTP_MAX_PARTS = 100
_MULTIPART = linear(rb"(?i)multipart/")


def smtp_facts(data: bytes) -> dict[str, Any]:
    """The message's structure only: no addresses, no subject (personal data), no bodies (the parts
    and headers read by :mod:`plugins.logs_mail`)."""
    cut, pos = len(data), -1
    for _ in range(SMTP_PARSE_LINES):
        pos = data.find(b"\n", pos + 1)
        if pos < 0:
            break
    else:
        cut = pos + 1
    truncated = cut < len(data)
    lines, folds, boundaries = [], 0, 0
    for line in data[:cut].split(b"\n"):
        if line[:2] == b"--":
            boundaries += 1
            if boundaries > SMTP_MAX_PARTS:
                truncated = True
                break
        folds = folds + 1 if line[:1] in (b" ", b"\t") else 0
        if folds > SMTP_MAX_FOLDS or len(line) > SMTP_LINE_CHARS:
            truncated = True
            if folds > SMTP_MAX_FOLDS:
                continue
        lines.append(line[:SMTP_LINE_CHARS])
    data = b"\n".join(lines)
    for count, match in enumerate(_MULTIPART.finditer(data)):
        if count >= SMTP_MAX_MULTIPARTS:
            data, truncated = data[: data.rfind(b"\n", 0, match.start()) + 1], True
            break
    try:
        message = email.message_from_bytes(data, policy=email.policy.compat32)
        parts = parts_summary(message)  # parts, attachments, MIME defects (plugins/logs_mail.py)
    except RecursionError:  # multiparts nested deeper than the interpreter's stack: not a real message
        return {"parsed_lines": SMTP_PARSE_LINES, "truncated": truncated, "nesting_too_deep": True}
    return {
        "truncated": truncated,
        "content_type": message.get_content_type(),
        **parts,
        **header_summary(message),
        "received_headers": len(message.get_all("Received") or []),
        "dkim_signed": message.get("DKIM-Signature") is not None,
        "has_message_id": message.get("Message-ID") is not None,
        "date": (str(message.get("Date")).strip()[:64] if message.get("Date") else None),
    }


# Searched over the text's UTF-8 bytes with RE2 (linear). The namespace is looked for inside the start
# tag only: up to its ">" or to the next "<" (which an attribute value cannot hold), so that
# "<soap:Envelope" repeated costs one pass, where a 500-character window per tag cost 7-13x.
_EMBEDDED = {
    "soap": linear(rb"<(?:[\w.-]+:)?Envelope\b[^<>]*?(?:schemas\.xmlsoap\.org/soap/envelope/|www\.w3\.org/2003/05/soap-envelope)"),
    "cda": linear(rb"<(?:[\w.-]+:)?ClinicalDocument\b[^<>]*?urn:hl7-org:v3"),
    "fhir_json": linear(rb"\"resourceType\"\s*:\s*\"[A-Z][A-Za-z]+\""),
}


# --- ZIP: the central directory, the local headers, and stored members where they lie ---------------
# Nothing is ever inflated, except at most 4 bytes of a deflated member (its signature: is it an
# archive?) among the first ``zip_max_members_examined``. A stored member (method 0) is its own bytes,
# read straight from the upload: its text is scanned for secrets and NIRs like the file itself, and a
# stored ZIP inside is opened the same way (its central directory only), to ``zip_max_nesting`` levels.
ARCHIVE_SUFFIXES = (".zip", ".jar", ".war", ".ear", ".apk", ".aar", ".ipa", ".xpi", ".nupkg", ".whl",
                    ".7z", ".rar", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".zst", ".lz", ".lzma",
                    ".tar", ".cab", ".arj", ".z")
ARCHIVE_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!",
                      b"\xfd7zX", b"BZh", b"(\xb5/\xfd", b"MSCF")
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_UNICODE_PATH = 0x7075  # Info-ZIP Unicode Path extra field: version, CRC-32 of the header name, UTF-8 name
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError,
               struct.error, KeyError, IndexError)


def unsafe_path(name: str) -> bool:
    """Absolute (``/``, ``\\``, ``C:``), climbing (a ``..`` component) or NUL-cut: "zip slip"."""
    return (name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or "\x00" in name
            or (len(name) > 1 and name[1] == ":" and name[0].isascii() and name[0].isalpha()))


def _unicode_paths(extra: bytes) -> list[str]:
    names = []
    index = 0
    while index + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, index)
        body = extra[index + 4:index + 4 + size]
        if header_id == _UNICODE_PATH and len(body) > 5 and body[0] == 1:
            names.append(body[5:].decode("utf-8", "replace"))
        index += 4 + size
    return names


_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(32), 127)}


def _shown(name: str, limit: int = 80) -> str:
    """A member name as reported: control characters (a NUL that cuts the name) written out, secrets masked."""
    return mask_secrets(name.translate(_CONTROLS), limit)


class _Walk:
    """What reading one archive (and the stored archives inside it) found, within shared budgets."""

    def __init__(self, limits: Mapping[str, Any], scan_bytes: int) -> None:
        self.max_nesting = int(limits["zip_max_nesting"])
        self.members_left = int(limits["zip_max_members_examined"])
        self.bytes_left = scan_bytes  # stored bytes scanned, across every member and level
        self.seen: set[tuple[int, int]] = set()
        # Counted in full, shown (masked: a name may hold a token) for the first few only: thousands
        # of hostile names cost one count each.
        self.unsafe, self.unsafe_shown = 0, []
        self.sources: Counter[str] = Counter()
        self.mismatched, self.mismatched_shown = 0, []
        self.nested, self.nested_examined = 0, 0
        self.nested_listed: list[dict[str, Any]] = []
        self.listed = int(limits["zip_max_members_listed"])
        self.nested_declared = 0
        self.texts: list[tuple[str, bytes]] = []  # (member path, UTF-8 text) of stored members
        self.not_scanned = 0
        self.bad_local_headers = 0

    def archive(self, data: bytes, base: int, prefix: str, depth: int) -> list[zipfile.ZipInfo]:
        """Read ``data``'s directory, check every member; ``base`` is where ``data`` starts in the upload."""
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
        for info in infos:
            if self.members_left <= 0:
                self.not_scanned += 1
                continue
            self.members_left -= 1
            self.member(data, base, prefix, depth, info)
        return infos

    def member(self, data: bytes, base: int, prefix: str, depth: int, info: zipfile.ZipInfo) -> None:
        path = prefix + info.filename
        names = [("central", info.orig_filename)] + [("unicode_path", n) for n in _unicode_paths(info.extra)]
        start = None
        offset = info.header_offset
        if 0 <= offset and offset + _LOCAL_HEADER.size <= len(data):
            (signature, _version, flags, _method, _time, _date, _crc, _csize, _usize, name_len,
             extra_len) = _LOCAL_HEADER.unpack_from(data, offset)
            if signature == b"PK\x03\x04":
                raw = data[offset + 30:offset + 30 + name_len]
                local = raw.decode("utf-8" if flags & 0x800 else "cp437", "replace")
                names.append(("local", local))
                names += [("unicode_path", n) for n in
                          _unicode_paths(data[offset + 30 + name_len:offset + 30 + name_len + extra_len])]
                if local != info.orig_filename:
                    self.mismatched += 1
                    if len(self.mismatched_shown) < 3:
                        self.mismatched_shown.append(f"{_shown(info.orig_filename, 60)} / {_shown(local, 60)}")
                start = offset + 30 + name_len + extra_len
        if start is None:
            self.bad_local_headers += 1
        seen_here: set[str] = set()
        for where, name in names:
            if unsafe_path(name):
                self.sources[where] += 1
                if name not in seen_here:
                    seen_here.add(name)
                    self.unsafe += 1
                    shown = _shown(prefix + name) if len(self.unsafe_shown) < 3 else None
                    if shown is not None and shown not in self.unsafe_shown:
                        self.unsafe_shown.append(shown)
        end = min(start + info.compress_size, len(data)) if start is not None else None
        by_name = info.filename.lower().endswith(ARCHIVE_SUFFIXES)
        head = b""
        if start is not None and not info.flag_bits & 0x1:
            if info.compress_type == zipfile.ZIP_STORED:
                head = data[start:start + 4]
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                try:  # 4 bytes out at most: a signature, never the content
                    head = zlib.decompressobj(-15).decompress(data[start:min(end, start + 1024)], 4)
                except zlib.error:
                    head = b""
        by_signature = head.startswith(ARCHIVE_SIGNATURES)
        if by_name or by_signature:
            self.nested += 1
            entry: dict[str, Any] = {"name": path, "detected_by": "signature" if by_signature else "name",
                                     "method": info.compress_type, "declared_bytes": info.file_size}
            if len(self.nested_listed) < self.listed:
                entry["name"] = _shown(path, 200)
                self.nested_listed.append(entry)
            if (info.compress_type == zipfile.ZIP_STORED and head.startswith(b"PK") and depth < self.max_nesting
                    and (base + start, base + end) not in self.seen):
                self.seen.add((base + start, base + end))
                try:
                    inner = self.archive(data[start:end], base + start, path + "/", depth + 1)
                except _ZIP_ERRORS:
                    entry["readable"] = False
                else:
                    declared = sum(i.file_size for i in inner)
                    entry.update(examined=True, members=len(inner), inner_declared_bytes=declared)
                    self.nested_declared += declared
                    self.nested_examined += 1
                return
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1 or start is None:
            self.not_scanned += 1
            return
        if (base + start, base + end) in self.seen or self.bytes_left <= 0:  # entries sharing their data
            return
        self.seen.add((base + start, base + end))
        content = data[start:min(end, start + self.bytes_left)]
        self.bytes_left -= len(content)
        decoded = decode_text(content, detect_charset=False)
        self.texts.append((path, as_bytes(decoded.text)))


def zip_facts(data: bytes, limits: Mapping[str, Any], scan_bytes: int) -> tuple[dict[str, Any] | None, list]:
    """The central directory and local headers; stored members scanned in place (``scan_bytes`` of
    them at most, across every member and level); nothing inflated."""
    walk = _Walk(limits, scan_bytes)
    try:
        infos = walk.archive(data, 0, "", 0)
    except _ZIP_ERRORS:
        return None, [finding("logs.zip_unreadable", "warning")]
    findings = []
    outer = sum(i.file_size for i in infos)
    total = outer + walk.nested_declared
    compressed = sum(i.compress_size for i in infos)
    ratio = total / max(compressed, 1)
    listed = int(limits["zip_max_members_listed"])
    facts: dict[str, Any] = {
        "members": len(infos),
        "uncompressed_bytes": outer,
        "compressed_bytes": compressed,
        "ratio": round(outer / max(compressed, 1), 1),
        "entries": [
            {"name": _shown(i.orig_filename, 200), "size": i.file_size, "compressed": i.compress_size}
            for i in infos[:listed]
        ],
        "stored_members_scanned": len(walk.texts),
        "members_not_scanned": walk.not_scanned,
    }
    if walk.nested:
        facts["nested_archives"] = walk.nested_listed
        facts["nested_declared_bytes"] = walk.nested_declared
    if walk.bad_local_headers:
        facts["bad_local_headers"] = walk.bad_local_headers
    if (ratio > float(limits["zip_max_ratio"]) and total >= int(limits["zip_ratio_min_bytes"])) or total > int(
        limits["zip_max_uncompressed_bytes"]
    ):
        findings.append(finding("logs.zip_bomb", "warning", uncompressed=total, compressed=compressed,
                                ratio=round(ratio), max_ratio=limits["zip_max_ratio"],
                                nested_uncompressed=walk.nested_declared))
    if walk.unsafe:
        findings.append(finding("logs.zip_unsafe_names", "warning", count=walk.unsafe,
                                names=", ".join(walk.unsafe_shown), sources=dict(walk.sources)))
    if walk.mismatched:
        findings.append(finding("logs.zip_name_mismatch", "warning", count=walk.mismatched,
                                names=", ".join(walk.mismatched_shown)))
    if walk.nested:
        findings.append(finding("logs.zip_nested", "warning", count=walk.nested,
                                names=", ".join(e["name"][:80] for e in walk.nested_listed[:3]),
                                examined=walk.nested_examined))
    encrypted = sum(1 for i in infos if i.flag_bits & 0x1)
    if encrypted:
        facts["encrypted_members"] = encrypted
        findings.append(finding("logs.zip_encrypted", "warning", count=encrypted))
    findings += _member_content_findings(walk.texts, facts)
    return facts, findings


def _member_content_findings(texts: list[tuple[str, bytes]], facts: dict[str, Any]) -> list:
    """Secrets and NIRs in stored members: the same scanners and codes as for a text file, the lines
    given as ``member:line``. One pass over all members joined (a NUL between two ends every match)."""
    if not texts:
        return []
    starts, pieces, position = [], [], 0
    for _path, text in texts:
        starts.append(position)
        pieces.append(text)
        position += len(text) + 1
    joined = b"\x00".join(pieces)
    counts: Counter[str] = Counter()
    where: list[str] = []
    for kind, start, _end in find_secrets(joined):
        counts[kind] += 1
        if len(where) < 5:
            index = bisect_right(starts, start) - 1
            line = joined.count(b"\n", starts[index], start) + 1
            where.append(f"{_shown(texts[index][0], 60)}:{line}")
    findings = []
    if counts:
        facts["secrets"] = dict(counts)
        findings.append(finding("logs.secret", "warning", kinds=", ".join(sorted(counts)), lines=", ".join(where),
                                counts=dict(counts), kinds_words=secret_words(sorted(counts))))
    findings += _identity_findings(scan_identities(joined), facts)
    return findings


def _identity_findings(identities: IdentityScan, facts: dict[str, Any]) -> list:
    facts["identities"] = identities.facts()
    findings = []
    if identities.unknown_valid:
        findings.append(finding("logs.nir_not_test", "warning", count=len(identities.unknown_valid),
                                nirs=", ".join(identities.unknown_valid[:5])))
    if identities.ins_oids.get("ins_nir"):
        findings.append(finding("logs.ins_real_oid", "warning", count=identities.ins_oids["ins_nir"]))
    return findings


# --- inspection ---------------------------------------------------------------------------------------
def _json_document(text: str) -> tuple[str, Any, tuple[int, int] | None]:
    """("json", value, None), ("ndjson", first value, None) or ("invalid", None, (line, column))."""
    try:
        return "json", json.loads(text), None
    except json.JSONDecodeError as exc:
        error = exc
    except (RecursionError, ValueError):  # nesting deeper than the stack, a number of 4,300+ digits
        return "invalid", None, (1, 1)
    if error.msg == "Extra data":
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            values = [json.loads(line) for line in lines[:1000]]
            return "ndjson", values[0], None
        except (RecursionError, ValueError):  # JSONDecodeError is a ValueError
            pass
    return "invalid", None, (error.lineno, error.colno)


def _masked(value: Any) -> Any:
    """``value`` with every string in it (keys too) through :func:`mask_secrets`: facts quote the file."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {_masked(k): _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def _looks_like_xml(stripped: str) -> bool:
    return len(stripped) > 1 and stripped[0] == "<" and (stripped[1] in "?!_" or (stripped[1].isascii() and stripped[1].isalpha()))


def inspect(proof: Proof) -> Inspection:
    """Inspect one file (``[thresholds.logs]``; no more than the proof type's limit is read)."""
    limits = proof.thresholds(PLUGIN)
    data = proof.read(proof.max_bytes)
    findings: list = []
    formats: list[str] = []
    facts: dict[str, Any] = {"formats": formats}

    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")) or proof.media_type in {"application/zip", "application/x-zip-compressed"}:
        facts["kind"] = "binary"
        zfacts, zfindings = zip_facts(data, limits, proof.max_bytes)
        findings.extend(zfindings)
        if zfacts is not None:
            formats.append("zip")
            for key in ("secrets", "identities"):
                if key in zfacts:
                    facts[key] = zfacts.pop(key)
            facts["zip"] = zfacts
        return Inspection(findings=findings, facts=_masked(facts))

    decoded = decode_text(data)
    text = decoded.text
    facts["kind"] = "text" if decoded.is_text else "binary"
    if decoded.is_text:
        facts["encoding"] = decoded.encoding
        if decoded.bom:
            facts["bom"] = True
        # CR alone ends a line too: HL7 v2 separates segments with carriage returns.
        breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        facts["lines"] = breaks + (1 if text and not text.endswith(("\n", "\r")) else 0)
        facts.update(timestamps(text, int(limits["timestamp_scan_lines"])))

        stripped = text.lstrip("\ufeff \t\r\n")
        if stripped.startswith(("{", "[")):
            shape, value, error = _json_document(stripped)
            if shape == "invalid":
                findings.append(finding("logs.json_invalid", "warning", line=error[0], column=error[1]))
            else:
                formats.append(shape)
                fhir = fhir_facts(value)
                if fhir is not None:
                    formats.append("fhir_json")
                    facts["fhir"] = fhir
        elif _looks_like_xml(stripped):
            parsed = parse_xml(data)  # libxml2 tells UTF-16 from its first bytes, with or without a BOM
            facts["xml"] = parsed.facts()
            if parsed.doctype:
                findings.append(finding("logs.xml_doctype", "warning", entities=parsed.entity_declarations,
                                        external=parsed.external_entities, references=parsed.entity_references))
            if parsed.well_formed:
                formats.append("xml")
                kind, structured = xml_structured(parsed.root)
                if kind:
                    formats.append(kind)
                    facts[kind] = structured
            else:
                findings.append(finding("logs.xml_invalid", "warning", line=parsed.error_line or "?",
                                        column=parsed.error_column or "?"))
        if looks_like_smtp(text):
            formats.append("smtp")
            facts["smtp"] = smtp_facts(data if not (decoded.encoding or "").startswith("utf-16") else as_bytes(text))

    # Messages embedded in log lines (a SOAP call, an HL7 dump, a FHIR resource after a log prefix).
    hl7 = hl7v2_facts(text, int(limits["hl7_max_messages"]))
    if hl7 is not None:
        formats.append("hl7v2")
        facts["hl7v2"] = hl7
    raw = as_bytes(text)  # what the byte patterns scan: one encoding for every scanner below
    embedded = [name for name, pattern in _EMBEDDED.items() if name not in formats and pattern.search(raw)]
    if embedded:
        facts["embedded_formats"] = embedded

    secrets = scan_secrets(raw)
    if secrets.found:
        facts["secrets"] = dict(secrets.counts)
        findings.append(finding("logs.secret", "warning", kinds=", ".join(secrets.kinds()),
                                lines=", ".join(str(n) for n in secrets.first_lines()), counts=dict(secrets.counts),
                                kinds_words=secret_words(secrets.kinds())))
    findings += _identity_findings(scan_identities(raw), facts)
    return Inspection(findings=findings, facts=_masked(facts))
