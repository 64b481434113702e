"""Fonts for PDF/A-1 (6.3): what a font dictionary declares, what its embedded program holds, and
for each character the content shows, whether the program has its glyph and the same width.

Font programs are read by fontTools (TrueType, CFF) or, for Type 1, by the small reader below: the
eexec and charstring ciphers are fixed XORs, and the width is the first operator of a glyph's
charstring. Nothing is executed: fontTools' width extractor only follows a CFF charstring's own
operators. Each program is read once; the checker bounds how many (``max_fonts``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from fontTools import agl
from fontTools.cffLib import CFFFontSet
from fontTools.encodings.MacRoman import MacRoman
from fontTools.encodings.StandardEncoding import StandardEncoding
from fontTools.misc.psCharStrings import T2WidthExtractor
from fontTools.ttLib import TTFont

from plugins.pdfa.rules import SUBSET_RE

# fontTools logs what it finds odd in a font: a hostile file must not flood the worker's log.
logging.getLogger("fontTools").setLevel(logging.CRITICAL)

STANDARD_14 = frozenset({
    "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic", "Helvetica", "Helvetica-Bold",
    "Helvetica-Oblique", "Helvetica-BoldOblique", "Courier", "Courier-Bold", "Courier-Oblique",
    "Courier-BoldOblique", "Symbol", "ZapfDingbats",
})
WIDTH_TOLERANCE = 1.0  # in thousandths of an em, the usual rounding of /Widths
MAX_CODES_PER_FONT = 4096  # distinct character codes checked per font


# --- encodings ----------------------------------------------------------------------------------
def _encodings() -> dict[str, list[str]]:
    win = []
    for code in range(256):
        try:
            char = bytes([code]).decode("cp1252")
            win.append(agl.UV2AGL.get(ord(char), ".notdef"))
        except UnicodeDecodeError:
            win.append("bullet" if code > 32 else ".notdef")  # PDF 1.4 Appendix D: unused codes are bullets
    win[160], win[173] = "space", "hyphen"
    return {"/StandardEncoding": list(StandardEncoding), "/MacRomanEncoding": list(MacRoman),
            "/WinAnsiEncoding": win}


_ENCODINGS: dict[str, list[str]] | None = None


def encoding_table(name: str) -> list[str] | None:
    global _ENCODINGS
    if _ENCODINGS is None:
        _ENCODINGS = _encodings()
    return _ENCODINGS.get(name)


# --- font programs -------------------------------------------------------------------------------
@dataclass
class Program:
    """What the checks need from an embedded font program."""

    kind: str  # truetype | cff | type1
    glyphs: set[str] = field(default_factory=set)  # glyph names (Type 1, CFF), or CIDs as "cid<n>"
    widths: dict[Any, float] = field(default_factory=dict)  # glyph name / gid / cid -> width in 1/1000 em
    builtin: dict[int, str] = field(default_factory=dict)  # the program's own encoding (code -> name)
    cmaps: dict[tuple[int, int], dict[int, int]] = field(default_factory=dict)  # TrueType (platform, enc)
    glyph_count: int = 0
    empty_gids: set[int] = field(default_factory=set)
    gid_by_name: dict[str, int] = field(default_factory=dict)
    cids: set[int] | None = None  # CID-keyed CFF
    gid_by_cid: dict[int, int] = field(default_factory=dict)
    cmap_subtables: int = 0


class _Widths(dict):
    """Advance widths read from the program when first asked for: a check compares the widths of the
    characters shown (a few dozen), not of every glyph (thousands in a full CFF font)."""

    def __init__(self, read) -> None:
        super().__init__()
        self.read = read  # key -> width (1/1000 em) or None

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = self.read(key)
        value = self[key]
        return default if value is None else value


def read_truetype(data: bytes) -> Program:
    font = TTFont(BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    program = Program("truetype")
    units = font["head"].unitsPerEm or 1000
    order = font.getGlyphOrder()
    program.glyph_count = len(order)
    program.gid_by_name = {name: gid for gid, name in enumerate(order)}
    if "hmtx" in font:
        metrics = font["hmtx"].metrics
        for gid, name in enumerate(order):
            if name in metrics:
                program.widths[gid] = metrics[name][0] * 1000.0 / units
    if "cmap" in font:
        tables = font["cmap"].tables
        program.cmap_subtables = len(tables)
        for table in tables:
            mapping = {code: program.gid_by_name.get(name, 0) for code, name in (table.cmap or {}).items()}
            program.cmaps.setdefault((table.platformID, table.platEncID), mapping)
    if "loca" in font:
        loca = font["loca"]
        program.empty_gids = {gid for gid in range(min(len(loca) - 1, len(order))) if loca[gid + 1] == loca[gid]}
    return program


def read_cff(data: bytes) -> Program:
    cff = CFFFontSet()
    cff.decompile(BytesIO(data), None)
    top = cff[cff.fontNames[0]]
    program = Program("cff")
    charstrings = top.CharStrings
    names = list(top.charset)
    program.glyph_count = len(names)
    matrix = getattr(top, "FontMatrix", [0.001])[0] or 0.001
    cid_keyed = hasattr(top, "ROS")
    if cid_keyed:
        program.cids = set()
    for gid, name in enumerate(names):
        if cid_keyed:
            cid = int(name[3:]) if name.startswith("cid") and name[3:].isdigit() else gid
            program.cids.add(cid)
            program.gid_by_cid[cid] = gid
        program.glyphs.add(name)

    def width(key: Any) -> float | None:  # a glyph name, or a CID (CID-keyed)
        name = (names[program.gid_by_cid[key]] if key in program.gid_by_cid else None) if cid_keyed else key
        if name not in program.glyphs:
            return None
        try:
            charstring, _ = charstrings.getItemAndSelector(name)
            private = charstring.private
            extractor = T2WidthExtractor(getattr(private, "Subrs", []), cff.GlobalSubrs,
                                         private.nominalWidthX, private.defaultWidthX, private)
            extractor.execute(charstring)
            return extractor.width * matrix * 1000.0
        except Exception:  # noqa: BLE001 - a glyph whose width cannot be read is not compared
            return None

    program.widths = _Widths(width)
    encoding = getattr(top, "Encoding", None)
    if encoding == "StandardEncoding":
        encoding = encoding_table("/StandardEncoding")
    if isinstance(encoding, list):
        program.builtin = {code: name for code, name in enumerate(encoding) if name and name != ".notdef"}
    return program


_EEXEC = b"eexec"
_CHARSTRING_RE = re.compile(rb"/([^\s/\[\]{}()<>%]+)[ \t\r\n]+(\d+)[ \t\r\n]+(?:RD|-\|) ")
_ENCODING_ENTRY_RE = re.compile(rb"dup[ \t\r\n]+(\d+)[ \t\r\n]*/([^\s/\[\]{}()<>%]+)[ \t\r\n]+put")
_LENIV_RE = re.compile(rb"/lenIV[ \t\r\n]+(\d+)")
_MATRIX_RE = re.compile(rb"/FontMatrix[ \t\r\n]*\[[ \t\r\n]*([-+0-9.eE]+)")
_HEX_RE = re.compile(rb"[0-9A-Fa-f\s]+")


def _decrypt(data: bytes, key: int) -> bytes:
    out = bytearray(len(data))
    r = key
    for i, c in enumerate(data):
        out[i] = c ^ (r >> 8)
        r = ((c + r) * 52845 + 22719) & 0xFFFF
    return bytes(out)


def _type1_width(charstring: bytes) -> float | None:
    """The advance width a Type 1 charstring sets with hsbw or sbw (its first operator)."""
    stack: list[float] = []
    i = 0
    while i < len(charstring):
        v = charstring[i]
        if v >= 32:
            if v <= 246:
                stack.append(v - 139)
                i += 1
            elif v <= 250:
                stack.append((v - 247) * 256 + charstring[i + 1] + 108)
                i += 2
            elif v <= 254:
                stack.append(-(v - 251) * 256 - charstring[i + 1] - 108)
                i += 2
            else:
                stack.append(int.from_bytes(charstring[i + 1:i + 5], "big", signed=True))
                i += 5
            continue
        if v == 13 and len(stack) >= 2:  # hsbw: sbx wx
            return float(stack[1])
        if v == 12 and i + 1 < len(charstring):
            sub = charstring[i + 1]
            if sub == 7 and len(stack) >= 4:  # sbw: sbx sby wx wy
                return float(stack[2])
            if sub == 12 and len(stack) >= 2:  # div
                b = stack.pop()
                stack.append(stack.pop() / b if b else 0)
                i += 2
                continue
        return None
    return None


def read_type1(data: bytes, length1: int | None, length2: int | None) -> Program:
    program = Program("type1")
    start = length1 if length1 and 0 < length1 <= len(data) else data.find(_EEXEC) + len(_EEXEC)
    clear = data[:start]
    matrix = _MATRIX_RE.search(clear)
    scale = float(matrix.group(1)) * 1000.0 if matrix else 1.0
    if b"StandardEncoding" in clear:
        table = encoding_table("/StandardEncoding") or []
        program.builtin = {code: name for code, name in enumerate(table) if name != ".notdef"}
    for m in _ENCODING_ENTRY_RE.finditer(clear):
        program.builtin[int(m.group(1))] = m.group(2).decode("latin-1")
    secret = data[start:start + length2] if length2 else data[start:]
    secret = secret.lstrip(b"\r\n\t ")
    if secret[:4] and _HEX_RE.fullmatch(secret[:64].strip() or b"x"):
        secret = bytes.fromhex(re.sub(rb"\s+", b"", secret).decode("ascii")[: 2 * (len(secret) // 2)] or "")
    private = _decrypt(secret, 55665)[4:]
    leniv_match = _LENIV_RE.search(private)
    leniv = int(leniv_match.group(1)) if leniv_match else 4
    at = private.find(b"/CharStrings")
    bodies: dict[str, tuple[int, int]] = {}
    while at >= 0:
        m = _CHARSTRING_RE.search(private, at)
        if m is None:
            break
        name, size = m.group(1).decode("latin-1"), int(m.group(2))
        bodies.setdefault(name, (m.end(), m.end() + size))
        at = m.end() + size
        program.glyphs.add(name)

    def width(name: Any) -> float | None:
        if name not in bodies:
            return None
        start, end = bodies[name]
        # hsbw or sbw comes first (numbers of at most five bytes, a div perhaps): the first bytes suffice
        value = _type1_width(_decrypt(private[start:min(end, start + leniv + 64)], 4330)[leniv:])
        return None if value is None else value * scale

    program.widths = _Widths(width)
    program.glyph_count = len(program.glyphs)
    return program


# --- the font's view for the rules ------------------------------------------------------------------
@dataclass
class FontView:
    """A font dictionary as the 6.3 rules see it."""

    dict: Any
    subtype: str | None
    base_font: str | None
    standard: bool = False
    widths_size_ok: bool = True
    font_file_subtype: str | None = None
    embedded: bool = False
    invisible_only: bool = False
    symbolic: bool = False
    encoding: str | None = None
    subset: bool = False
    charset_complete: bool = True
    cidset_complete: bool = True
    cmap_identity: bool = False
    cid_system_info_compatible: bool = True


@dataclass
class GlyphView:
    present: bool | None
    width_ok: bool | None
    invisible: bool


@dataclass
class CMapView:
    identity: bool
    embedded: bool
    registry: str | None = None  # CIDSystemInfo, from the CMap dictionary or its program
    ordering: str | None = None
    wmode_consistent: bool = True
    max_cid: int = 0
    two_byte: bool = True
    ranges: list[tuple[int, int, int]] = field(default_factory=list)  # (low, high, first cid)
    codespace: list[tuple[int, int, int]] = field(default_factory=list)  # (bytes, low, high)


def name_of(value: Any) -> str | None:
    text = str(value) if value is not None else None
    return text if text and text.startswith("/") else None


def font_file(descriptor: Any) -> tuple[str | None, Any]:
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        try:
            stream = descriptor.get(key) if descriptor is not None else None
        except Exception:  # noqa: BLE001
            stream = None
        if stream is not None and hasattr(stream, "read_bytes"):
            return key, stream
    return None, None


_CMAP_TOKEN_RE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\d+)|<([0-9A-Fa-f]+)>\s*(\d+)|"
                            rb"(begincidrange|endcidrange|begincidchar|endcidchar|begincodespacerange|"
                            rb"endcodespacerange)|<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_WMODE_RE = re.compile(rb"/WMode\s+(\d+)\s+def")
_REGISTRY_RE = re.compile(rb"/Registry\s*\(([^()]*)\)")
_ORDERING_RE = re.compile(rb"/Ordering\s*\(([^()]*)\)")


def read_cmap(stream: Any, dict_wmode: Any) -> CMapView:
    """An embedded CMap: its code-to-CID ranges, largest CID and writing mode."""
    view = CMapView(identity=False, embedded=True)
    try:
        data = stream.read_bytes()[:2_000_000]
    except Exception:  # noqa: BLE001
        return view
    for key, pattern in (("registry", _REGISTRY_RE), ("ordering", _ORDERING_RE)):
        found = pattern.search(data)
        if found:
            setattr(view, key, found.group(1).decode("latin-1"))
    wmode = _WMODE_RE.search(data)
    declared = int(dict_wmode) if isinstance(dict_wmode, int) else 0
    view.wmode_consistent = (int(wmode.group(1)) if wmode else 0) == declared
    section = None
    for m in _CMAP_TOKEN_RE.finditer(data):
        if m.group(6):
            section = m.group(6)
            continue
        if section == b"begincidrange" and m.group(1):
            low, high, cid = int(m.group(1), 16), int(m.group(2), 16), int(m.group(3))
            view.ranges.append((low, high, cid))
            view.max_cid = max(view.max_cid, cid + max(0, high - low))
        elif section == b"begincidchar" and m.group(4):
            code, cid = int(m.group(4), 16), int(m.group(5))
            view.ranges.append((code, code, cid))
            view.max_cid = max(view.max_cid, cid)
        elif section == b"begincodespacerange" and (m.group(7) or m.group(1)):
            low_hex = m.group(7) or m.group(1)
            high_hex = m.group(8) or m.group(2)
            view.codespace.append((len(low_hex) // 2, int(low_hex, 16), int(high_hex, 16)))
    return view


def cids_of(codes: bytes, cmap: CMapView) -> list[tuple[int, int]]:
    """(code, CID) of each character of a string shown with a composite font."""
    out = []
    if cmap.identity or not cmap.codespace:
        for i in range(0, len(codes) - 1, 2):
            code = codes[i] << 8 | codes[i + 1]
            out.append((code, code if cmap.identity else _lookup_cid(code, cmap)))
        return out
    i = 0
    while i < len(codes):
        for width in (1, 2, 3, 4):
            code = int.from_bytes(codes[i:i + width], "big")
            if any(n == width and low <= code <= high for n, low, high in cmap.codespace):
                out.append((code, _lookup_cid(code, cmap)))
                i += width
                break
        else:
            i += 1
    return out


def _lookup_cid(code: int, cmap: CMapView) -> int:
    for low, high, cid in cmap.ranges:
        if low <= code <= high:
            return cid + code - low
    return 0
