"""What ISO 19005-1 6.1 says about the bytes of the file, which a parser (qpdf included) forgives
and therefore never reports: the header and its binary comment, what follows the last ``%%EOF``,
the cross-reference tables' keywords and subsection headers, the spacing of ``obj``/``endobj``,
the ``stream``/``endstream`` end-of-lines and the true length of each stream's data, and the hex
strings as written.

Everything is bounded scanning of bytes already in memory: the xref chain is followed at most
``max_sections`` times; each object is looked at where the object table says it starts, over its
own body (the dictionary of a stream, never its data); no pattern here backtracks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

EOL = b"\r\n"
WHITE = b"\x00\t\n\x0c\r "
# The same white space for the patterns of this package (ISO 32000-1 7.2.2): the bytes of a character
# class, the class, its complement; and the delimiters, which end a name or a number like white space.
WHITE_CHARS = rb"\x00\t\n\x0c\r "
WS = b"[" + WHITE_CHARS + b"]"
NOT_WS = b"[^" + WHITE_CHARS + b"]"
DELIMITER_CHARS = rb"()<>\[\]{}/%"

_HEADER_RE = re.compile(rb"%PDF-\d\.\d")
_XREF_SUBSECTION_RE = re.compile(rb"(\d+)( +)(\d+)[ \t]*(\r\n|\r|\n)")
_STARTXREF_RE = re.compile(rb"startxref" + WS + rb"+(\d+)")
_PREV_RE = re.compile(rb"/Prev" + WS + rb"+(\d+)")
_OBJ_HEAD_RE = re.compile(rb"(\d+)(" + WS + rb"+)(\d+)(" + WS + rb"+)obj")
_HEX_WHITE_RE = re.compile(WS + rb"+")
_HEX_RE = re.compile(rb"[0-9A-Fa-f]*")


@dataclass
class FileFacts:
    """The file-level facts (object ``File`` of the rules)."""

    header_at_zero: bool = False
    binary_comment: bool = False
    post_eof_bytes: int = 0


@dataclass
class XrefSection:
    """One classic cross-reference section (object ``XRefSection``), or an xref stream."""

    offset: int
    stream: bool = False
    keyword_eol: bool = True  # "xref" then exactly one EOL
    subsection_spacing: bool = True  # "first count" separated by exactly one space
    trailer: bytes = b""


@dataclass
class ObjectSyntax:
    """How one indirect object is written (object ``ObjectSyntax``, 6.1.8)."""

    objgen: tuple[int, int]
    spacing: bool = True


@dataclass
class StreamSyntax:
    """How one stream's keywords and data are written (object ``StreamSyntax``, 6.1.7)."""

    objgen: tuple[int, int]
    keyword_eol: bool = True  # "stream" followed by CRLF or LF
    endstream_eol: bool = True  # "endstream" preceded by an EOL
    length_ok: bool = True


@dataclass
class HexString:
    """A hexadecimal string as written (object ``HexString``, 6.1.6)."""

    objgen: tuple[int, int]
    even: bool
    hex_only: bool


@dataclass
class ByteScan:
    file: FileFacts = field(default_factory=FileFacts)
    sections: list[XrefSection] = field(default_factory=list)
    objects: list[ObjectSyntax] = field(default_factory=list)
    streams: list[StreamSyntax] = field(default_factory=list)
    hex_strings: list[HexString] = field(default_factory=list)
    bytes_read: int = 0


def file_facts(data: bytes) -> FileFacts:
    facts = FileFacts()
    facts.header_at_zero = _HEADER_RE.match(data) is not None
    end_of_line = min((i for i in (data.find(b"\r", 0, 1024), data.find(b"\n", 0, 1024)) if i >= 0), default=-1)
    if end_of_line >= 0:
        at = end_of_line + (2 if data[end_of_line:end_of_line + 2] == b"\r\n" else 1)
        comment = data[at:at + 5]
        facts.binary_comment = len(comment) == 5 and comment[0:1] == b"%" and all(b > 127 for b in comment[1:])
    eof = data.rfind(b"%%EOF")
    if eof < 0:
        facts.post_eof_bytes = -1
    else:
        tail = data[eof + 5:]
        facts.post_eof_bytes = 0 if tail in (b"", b"\r", b"\n", b"\r\n") else len(tail)
    return facts


def xref_sections(data: bytes, max_sections: int) -> list[XrefSection]:
    """The cross-reference sections, from the last ``startxref`` back along ``/Prev``."""
    found = list(_STARTXREF_RE.finditer(data, max(0, len(data) - 4096)))
    if not found:
        return []
    offset = int(found[-1].group(1))
    sections: list[XrefSection] = []
    seen: set[int] = set()
    while 0 <= offset < len(data) and offset not in seen and len(sections) < max_sections:
        seen.add(offset)
        section = XrefSection(offset)
        sections.append(section)
        if data.startswith(b"xref", offset):
            at = offset + 4
            eol = data[at:at + 2]
            width = 2 if eol == b"\r\n" else 1 if eol[:1] in (b"\r", b"\n") else 0
            section.keyword_eol = width > 0 and data[at + width:at + width + 1] not in (b"\r", b"\n", b" ", b"\t")
            at += width
            # Subsections: "first count" EOL, then count entries of 20 bytes.
            while True:
                while data[at:at + 1] in (b" ", b"\t", b"\r", b"\n") and at < len(data):
                    at += 1
                match = _XREF_SUBSECTION_RE.match(data, at)
                if match is None:
                    break
                if match.group(2) != b" ":
                    section.subsection_spacing = False
                count = int(match.group(3))
                at = match.end() + 20 * count
                if count < 0 or at > len(data):
                    break
            trailer = data.find(b"trailer", at, at + 64)
            end = data.find(b"startxref", trailer if trailer >= 0 else at, (trailer if trailer >= 0 else at) + 65536)
            section.trailer = data[trailer:end] if trailer >= 0 else b""
            prev = _PREV_RE.search(section.trailer)
        else:
            head = data[offset:offset + 4096]
            if not (_OBJ_HEAD_RE.match(head) and b"/XRef" in head):
                sections.pop()  # startxref points at neither: the parser rebuilt the table, nothing to read here
                break
            section.stream = True
            section.trailer = head
            prev = _PREV_RE.search(head)
        if prev is None:
            break
        offset = int(prev.group(1))
    return sections


def _preceded_by_eol(data: bytes, at: int) -> bool:
    return at > 0 and data[at - 1:at] in (b"\r", b"\n")


def _skip_eol(data: bytes, at: int) -> int:
    """Where the next line starts if an EOL marker is at ``at`` (else -1)."""
    if data[at:at + 2] == b"\r\n":
        return at + 2
    if data[at:at + 1] in (b"\r", b"\n"):
        return at + 1
    return -1


# A literal string without nested parentheses (possessive: linear), a dictionary opener, a hex string, a
# comment, or the opening of a string that nests parentheses (read by the careful scan).
_BODY_TOKEN_RE = re.compile(rb"\((?:[^\\()]|\\.)*+\)|<<|<([^<>]*)>|%[^\r\n]*|\(", re.S)
_PAREN_RE = re.compile(rb"\\.|[()]", re.S)


def _end_of_string(data: bytes, at: int, end: int) -> int:
    """Where the literal string opened at ``at`` ends (balanced parentheses, escapes skipped)."""
    depth = 0
    for match in _PAREN_RE.finditer(data, at, end):
        token = match.group()
        if token == b"(":
            depth += 1
        elif token == b")":
            depth -= 1
            if depth == 0:
                return match.end()
    return end


def scan_body(data: bytes, start: int, end: int, objgen: tuple[int, int], out: list[HexString]) -> int:
    """Record each ill-written hex string in ``data[start:end]`` (an object's body, never stream data,
    or a content stream): a well-written one has nothing for the rules, and a file may hold millions.
    Literal strings and comments are skipped. Linear in the bytes."""
    at = start
    while at < end:
        match = _BODY_TOKEN_RE.search(data, at, end)
        if match is None:
            break
        token = match.group()
        if token == b"(":
            at = _end_of_string(data, match.start(), end)
            continue
        at = match.end()
        if match.group(1) is not None:
            body = _HEX_WHITE_RE.sub(b"", match.group(1))
            even, hex_only = len(body) % 2 == 0, _HEX_RE.fullmatch(body) is not None
            if not (even and hex_only):
                out.append(HexString(objgen, even, hex_only))
    return end


def object_syntax(data: bytes, offsets: list[tuple[int, tuple[int, int], int | None]],
                  scan: ByteScan) -> None:
    """Check each indirect object written at ``offset`` (its stream data length from the parser's
    ``/Length`` when it is a stream)."""
    ordered = sorted(offsets)
    size = len(data)
    for index, (offset, objgen, length) in enumerate(ordered):
        limit = ordered[index + 1][0] if index + 1 < len(ordered) else size
        syntax = ObjectSyntax(objgen)
        scan.objects.append(syntax)
        head = _OBJ_HEAD_RE.match(data, offset)
        if head is None or not _preceded_by_eol(data, offset):
            syntax.spacing = False
            if head is None:
                continue
        elif len(head.group(2)) != 1 or len(head.group(4)) != 1:
            syntax.spacing = False
        body_start = head.end()
        if _skip_eol(data, body_start) < 0:
            syntax.spacing = False
        if length is not None:
            keyword = data.find(b"stream", body_start, limit)
            if keyword < 0:
                continue
            scan_body(data, body_start, keyword, objgen, scan.hex_strings)
            stream = StreamSyntax(objgen)
            scan.streams.append(stream)
            at = keyword + 6
            start = at + 2 if data[at:at + 2] == b"\r\n" else at + 1 if data[at:at + 1] == b"\n" else -1
            stream.keyword_eol = start >= 0
            if start < 0:
                start = at + (1 if data[at:at + 1] == b"\r" else 0)
            # Where endstream is: right after the declared data (and an EOL), else the first one after it.
            declared_end = start + length
            next_line = _skip_eol(data, declared_end) if 0 <= declared_end < size else -1
            if next_line >= 0 and data.startswith(b"endstream", next_line):
                end_keyword = next_line
            elif 0 <= declared_end < size and data.startswith(b"endstream", declared_end):
                end_keyword = declared_end
            else:
                end_keyword = data.find(b"endstream", start, limit if limit > start else size)
            if end_keyword < 0:
                stream.length_ok = stream.endstream_eol = False
                syntax.spacing = False
                continue
            eol = 2 if data[end_keyword - 2:end_keyword] == b"\r\n" else 1 if _preceded_by_eol(data, end_keyword) else 0
            stream.endstream_eol = eol > 0
            real = end_keyword - eol - start
            # Data ending in CR before a LF end-of-line is data: both readings are the declared length.
            stream.length_ok = length == real or (eol == 2 and length == real + 1)
            endobj = data.find(b"endobj", end_keyword + 9, limit)
        else:
            endobj = data.find(b"endobj", body_start, limit)
            if endobj >= 0:
                scan_body(data, body_start, endobj, objgen, scan.hex_strings)
        if endobj < 0:
            syntax.spacing = False
            continue
        if not _preceded_by_eol(data, endobj) or _skip_eol(data, endobj + 6) < 0 and endobj + 6 < size:
            syntax.spacing = False
        scan.bytes_read += endobj - offset


def scan(data: bytes, offsets: list[tuple[int, tuple[int, int], int | None]], max_sections: int) -> ByteScan:
    """The byte-level facts of one file; ``offsets`` are the parser's (offset, objgen, stream length)."""
    result = ByteScan(file=file_facts(data))
    result.sections = xref_sections(data, max_sections)
    object_syntax(data, offsets, result)
    return result


_STRING = rb"(<[0-9A-Fa-f" + WHITE_CHARS + rb"]*>|\((?:[^\\()]|\\.)*\))"
_ID_RE = re.compile(rb"/ID" + WS + rb"*\[" + WS + rb"*" + _STRING + WS + rb"*" + _STRING, re.S)
_ESCAPE_RE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _string_value(token: bytes) -> bytes:
    if token.startswith(b"<"):
        digits = _HEX_WHITE_RE.sub(b"", token[1:-1])
        try:
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        except ValueError:
            return digits
    def unescape(m: re.Match) -> bytes:
        value = m.group(1)
        if value[:1].isdigit():
            return bytes([int(value, 8) & 0xFF])
        return _ESCAPES.get(value, value if value not in (b"\r", b"\n") else b"")
    return _ESCAPE_RE.sub(unescape, token[1:-1])


def trailer_id(trailer: bytes) -> tuple[bytes, bytes] | None:
    """The two strings of a trailer's /ID, as written (decoded), or None without one."""
    match = _ID_RE.search(trailer)
    if match is None:
        return None
    return _string_value(match.group(1)), _string_value(match.group(2))
