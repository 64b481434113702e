"""PNG and JPEG structure walks for the ``screenshot`` plugin: one linear pass, bounded work.

What a decoder does not say, found by reading the structure once on an ``mmap`` (C-speed searches,
nothing loaded whole):

- where the picture ends (PNG ``IEND``, JPEG ``EOI``), truncation and PNG chunk CRC errors;
- *polyglots*: another file's signature (ZIP records including ZIP64, PDF, HTML/script, PHP) in any
  chunk or segment payload that is not pixel data — text chunks (compressed ones inflated within a
  budget), ``COM``, ``APPn`` — with the kind, the offset and the chunk or segment holding it;
- *work bounds*, checked before any decoder runs: chunk and segment counts, and JPEG scans per
  component (a 3.4 MB progressive JPEG of 99,000 scans costs libjpeg minutes: each scan walks every
  block of its component);
- *data that cannot fill the declared picture*: a PNG whose compressed stream ends before the rows the
  header announces (Pillow fills the rest with zeros and says nothing: :func:`png_stream_shortfall`,
  called when a decoded picture ends on a zero row), a JPEG scan too short to code
  its blocks (a header claiming 7000×7000 over a 1280×720 scan). The JPEG bound is exact, not a
  guess: a sequential Huffman scan spends at least 2 bits per block (a DC code and an AC code or EOB,
  each at least one bit), a progressive DC scan at least 1; AC scans can code whole runs of blocks
  in a few bits, so they have no bound.
"""

from __future__ import annotations

import bisect
import mmap
import re
import struct
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Another file's signature. ZIP: local header, central directory, end records (ZIP64 record and
# locator too): a ZIP reader needs none of them at the start of the file.
ARCHIVE_SIGNATURES = (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07")
PDF_SIGNATURES = (b"%pdf-",)  # searched in a lower-cased copy
HTML_SIGNATURES = (b"<html", b"<script", b"<!doctype html", b"<iframe", b"<svg", b"<body", b"<object",
                   b"<embed")
# PHP runs whatever precedes its open tag, which must be followed by white space. "<?=" (short echo) is
# three bytes, met by chance every few MB of compressed data: it counts in text only.
_PHP_OPEN = re.compile(rb"<\?php(?=[ \t\r\n]|\Z)")
_PHP_OPEN_ANYCASE = re.compile(rb"(?i)<\?php(?=[ \t\r\n]|\Z)")
PHP_ECHO = b"<?="

KIND_LABEL = {"archive": "ZIP", "document": "PDF", "html": "HTML", "php": "PHP"}

# In JPEG entropy-coded data, 0xFF is followed by 0x00 (stuffing), 0xD0-0xD7 (restart) or 0xFF (fill);
# anything else is the next marker.
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"

PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel
PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
PIXEL_CHUNKS = frozenset({b"IDAT", b"fdAT"})  # compressed pixels: not scanned (chance matches)
INFLATE_STEP = 1 << 18
_CHUNK_HEAD = struct.Struct(">I4s")
_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")


class Broken(Exception):
    """The walk met a truncated or corrupt picture; ``kind`` is "truncated" or "corrupt", ``reason`` a key
    of :data:`REASON_WORDS` (``"bad_chunk_at=1234"``: with the byte offset or chunk name it is about)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


# What broke (``Broken.reason``, ``Incomplete.where``) in words: ``{}`` is the offset or name after ``=``.
REASON_WORDS = {
    "bad_png_signature": ("signature PNG invalide", "invalid PNG signature"),
    "png_iend_missing": ("bloc IEND absent", "IEND chunk missing"),
    "bad_chunk_at": ("bloc invalide à l'octet {}", "invalid chunk at byte {}"),
    "chunk_incomplete": ("bloc {} incomplet", "incomplete {} chunk"),
    "chunk_crc_wrong": ("somme de contrôle du bloc {} fausse", "wrong checksum of the {} chunk"),
    "jpeg_soi_missing": ("marqueur SOI absent", "SOI marker missing"),
    "jpeg_eoi_missing": ("marqueur EOI absent", "EOI marker missing"),
    "marker_expected_at": ("marqueur attendu à l'octet {}", "marker expected at byte {}"),
    "segment_incomplete": ("segment incomplet", "incomplete segment"),
    "bad_segment_length": ("segment de longueur {} invalide", "segment of invalid length {}"),
    "scan": ("le balayage {}", "scan {}"),
}


class TooComplex(Exception):
    """The structure exceeds a work bound; nothing should decode it."""

    def __init__(self, what: str, count: int, limit: int) -> None:
        super().__init__(what)
        self.what = what
        self.count = count
        self.limit = limit


@dataclass(frozen=True)
class Hit:
    kind: str  # "archive" | "document" | "html" | "php"
    offset: int
    location: str  # "head" | "chunk" | "segment" | "compressed_text" | "trailer" | "end" | "data"
    container: str | None = None  # the PNG chunk or JPEG segment holding it ("tEXt", "COM", "APP1"…)


@dataclass(frozen=True)
class Incomplete:
    """The coded data holds less than the declared picture needs (``data_bytes`` < ``min_bytes``)."""

    data_bytes: int
    min_bytes: int
    where: str  # "IDAT" or "scan=2" (the JPEG scan, said by REASON_WORDS)


@dataclass(frozen=True)
class Limits:
    """The work bounds of one walk (from ``[thresholds.screenshot]``: the plugin passes them)."""

    max_png_chunks: int
    max_jpeg_segments: int
    max_jpeg_scans_per_component: int
    text_inflate_bytes: int
    max_pixels: int


@dataclass
class Walk:
    end: int | None = None  # offset just after IEND / EOI
    broken: Broken | None = None
    too_complex: TooComplex | None = None
    incomplete: Incomplete | None = None
    hits: list[Hit] = field(default_factory=list)
    unscanned: list[dict] = field(default_factory=list)  # compressed text not inflated, and why
    units: int = 0  # chunks or segments walked
    scans: int = 0  # JPEG scans
    sof: int | None = None  # JPEG frame marker (0xC0 baseline, 0xC2 progressive…)
    precision: int | None = None
    idat: list[tuple[int, int]] = field(default_factory=list)  # PNG image data chunk payloads
    png_raw_bytes: int | None = None  # what the IDAT stream must inflate to (None: bomb or unknown)


def find_signatures(data: bytes) -> list[tuple[str, int]]:
    """The earliest offset of each kind of signature in ``data``, in offset order (linear searches)."""
    best: dict[str, int] = {}

    def consider(kind: str, pos: int) -> None:
        if pos >= 0 and (kind not in best or pos < best[kind]):
            best[kind] = pos

    for needle in ARCHIVE_SIGNATURES:
        consider("archive", data.find(needle))
    lowered = data.lower()
    for needle in PDF_SIGNATURES:
        consider("document", lowered.find(needle))
    for needle in HTML_SIGNATURES:
        consider("html", lowered.find(needle))
    found = _PHP_OPEN.search(lowered)
    if found:
        consider("php", found.start())
    return sorted(best.items(), key=lambda item: item[1])


def php_open_tag(mm: mmap.mmap | bytes) -> int | None:
    """Offset of a PHP open tag anywhere (pixel data included: PHP does not care where it sits)."""
    found = _PHP_OPEN_ANYCASE.search(mm)
    return found.start() if found else None


class _Unit(NamedTuple):  # a tuple: the walks make one per chunk or segment
    start: int
    stop: int
    container: str
    text: bool


def _scan_units(w: Walk, mm: mmap.mmap, units: list[_Unit], location: str) -> None:
    """Scan the payloads of ``units`` (in file order) for signatures, one search per run of adjacent
    units: ten thousand 1-byte comments cost one search, not ten thousand. A hit is attributed to the
    unit it falls in (or the one before, if it falls in the few header bytes between two)."""
    run: list[_Unit] = []

    def flush() -> None:
        if not run:
            return
        first = run[0].start
        starts = [unit.start for unit in run]
        for kind, at in find_signatures(mm[first : run[-1].stop]):
            unit = run[max(0, bisect.bisect_right(starts, first + at) - 1)]
            w.hits.append(Hit(kind, first + at, location, unit.container))
        for unit in run:  # "<?=" in text only (three bytes: binary data holds it by chance)
            if unit.text:
                at = mm.find(PHP_ECHO, unit.start, unit.stop)
                if at >= 0:
                    w.hits.append(Hit("php", at, location, unit.container))
                    break
        run.clear()

    for unit in units:
        if run and unit.start - run[-1].stop > 16:  # a chunk or segment header is 4–12 bytes
            flush()
        if unit.stop > unit.start:
            run.append(unit)
    flush()


# -- PNG -------------------------------------------------------------------------------------------


def png_raw_size(width: int, height: int, depth: int, colour: int, interlace: int) -> int | None:
    """Bytes the IDAT stream must inflate to (filter byte + packed samples per row, per Adam7 pass)."""
    if colour not in PNG_CHANNELS or depth not in PNG_DEPTHS[colour] or interlace not in (0, 1):
        return None
    bits = PNG_CHANNELS[colour] * depth

    def rows(w: int, h: int) -> int:
        return h * (1 + (w * bits + 7) // 8) if w > 0 and h > 0 else 0

    if interlace == 0:
        return rows(width, height)
    return sum(rows(-(-(width - x0) // dx), -(-(height - y0) // dy)) for x0, y0, dx, dy in ADAM7)


class _Inflater:
    """Counts what a zlib stream inflates to, without keeping it, stopping once ``enough`` is reached."""

    def __init__(self, enough: int) -> None:
        self.enough = enough
        self.produced = 0
        self.ended = False
        self.invalid = False
        self._z = zlib.decompressobj()

    @property
    def done(self) -> bool:
        return self.ended or self.invalid or self.produced >= self.enough

    def feed(self, data) -> None:
        buf = data
        while buf and not self.done:
            try:
                out = self._z.decompress(buf, INFLATE_STEP)
            except zlib.error:  # a flag, not an exception: a traceback would pin ``data``'s mmap view
                self.invalid = True
                return
            self.produced += len(out)
            if self._z.eof:
                self.ended = True
                return
            buf = self._z.unconsumed_tail


def _inflate_text(w: Walk, mm: mmap.mmap, name: bytes, pos: int, start: int, end: int, budget: list[int]) -> None:
    """Inflate a zTXt / compressed iTXt within the budget and scan the text; else say why not."""
    label = name.decode("ascii")
    keyword_end = mm.find(b"\x00", start, min(end, start + 80))
    if keyword_end < 0:
        return
    if name == b"zTXt":
        data_start = keyword_end + 2  # compression method byte
    else:
        if keyword_end + 3 > end or mm[keyword_end + 1] == 0:
            return  # uncompressed iTXt: already scanned as raw bytes
        language_end = mm.find(b"\x00", keyword_end + 3, end)
        translated_end = mm.find(b"\x00", language_end + 1, end) if language_end >= 0 else -1
        if translated_end < 0:
            return
        data_start = translated_end + 1
    if budget[0] <= 0:
        w.unscanned.append({"chunk": label, "offset": pos, "reason": "budget"})
        return
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(mm[data_start:end], budget[0] + 1)
    except zlib.error:
        w.unscanned.append({"chunk": label, "offset": pos, "reason": "invalid_compression"})
        return
    if len(text) > budget[0]:
        w.unscanned.append({"chunk": label, "offset": pos, "reason": "too_large"})
        budget[0] = 0
        return
    budget[0] -= len(text)
    kinds = [kind for kind, _ in find_signatures(text)]
    if PHP_ECHO in text and "php" not in kinds:
        kinds.append("php")
    w.hits += [Hit(kind, pos, "compressed_text", label) for kind in kinds]


def _plain_text(mm: mmap.mmap, name: bytes, start: int, stop: int) -> bool:
    """Whether a chunk's raw bytes are text (tEXt, uncompressed iTXt): "<?=" counts only there."""
    if name == b"tEXt":
        return True
    if name == b"iTXt":
        keyword_end = mm.find(b"\x00", start, min(stop, start + 80))
        return 0 <= keyword_end < stop - 1 and mm[keyword_end + 1] == 0
    return False


def _walked(walker, mm: mmap.mmap, limits: Limits) -> Walk:
    """Run one format's walk; a broken or too complex file ends it and is recorded, never raised."""
    w = Walk()
    try:
        walker(mm, limits, w)
    except Broken as broken:
        w.broken = broken.with_traceback(None)  # no frame (and no view of the mmap) kept alive
    except TooComplex as too:
        w.too_complex = too.with_traceback(None)
    return w


def walk_png(mm: mmap.mmap, limits: Limits) -> Walk:
    """Chunks by length and CRC up to ``IEND``; payloads scanned; the IDAT chunks listed."""
    return _walked(_walk_png, mm, limits)


def _walk_png(mm: mmap.mmap, limits: Limits, w: Walk) -> None:
    size = len(mm)
    if mm[:8] != PNG_SIGNATURE:
        raise Broken("corrupt", "bad_png_signature")
    view = memoryview(mm)
    budget = [limits.text_inflate_bytes]
    units: list[_Unit] = []
    try:
        pos = 8
        # Real encoders write IDAT chunks of 8–64 KB: past the cap, a chunk per KB of file is still fine
        # (the walk then costs what decoding a file that size would), but not thousands of empty ones.
        max_chunks = max(limits.max_png_chunks, size // 1024)
        while True:
            if w.units >= max_chunks:
                raise TooComplex("blocs PNG", w.units, max_chunks)
            w.units += 1
            if pos + 8 > size:
                raise Broken("truncated", "png_iend_missing")
            length, name = _CHUNK_HEAD.unpack_from(mm, pos)
            if length > 0x7FFFFFFF or not name.isalpha():
                raise Broken("corrupt", f"bad_chunk_at={pos}")
            end = pos + 12 + length
            if end > size:
                raise Broken("truncated", f"chunk_incomplete={name.decode('ascii')}")
            if zlib.crc32(view[pos + 4 : end - 4]) != _U32.unpack_from(mm, end - 4)[0]:
                raise Broken("corrupt", f"chunk_crc_wrong={name.decode('ascii')}")
            start, stop = pos + 8, end - 4
            if name == b"IHDR" and w.units == 1 and length >= 13:
                width = int.from_bytes(mm[start : start + 4], "big")
                height = int.from_bytes(mm[start + 4 : start + 8], "big")
                if 0 < width * height <= limits.max_pixels:  # a bomb is refused later, never inflated
                    w.png_raw_bytes = png_raw_size(width, height, mm[start + 8], mm[start + 9], mm[start + 12])
            if name == b"IDAT":
                w.idat.append((start, stop))
            elif name == b"IEND":
                w.end = end
                break
            elif name not in PIXEL_CHUNKS:
                units.append(_Unit(start, stop, name.decode("ascii"), _plain_text(mm, name, start, stop)))
                if name in (b"zTXt", b"iTXt"):
                    _inflate_text(w, mm, name, pos, start, stop, budget)
            pos = end
    finally:
        view.release()
        _scan_units(w, mm, units, "chunk")  # also when the walk stopped: what was met is reported


def png_stream_shortfall(path: str, w: Walk) -> Incomplete | None:
    """Inflate the IDAT stream (counting, keeping nothing) and compare with what IHDR announces.

    Pillow fills the rows a complete-but-short stream never reached with zeros and says nothing, so
    the plugin calls this only when a decoded picture ends with an all-zero row: an ordinary picture
    is inflated once, by Pillow. None when the stream covers the picture (or cannot be judged).
    """
    if not w.png_raw_bytes or not w.idat:
        return None
    inflater = _Inflater(w.png_raw_bytes)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for start, stop in w.idat:
            inflater.feed(mm[start:stop])
            if inflater.done:
                break
    if inflater.invalid or not inflater.ended or inflater.produced >= w.png_raw_bytes:
        return None  # broken or unfinished streams make Pillow raise; a full one is fine
    return Incomplete(inflater.produced, w.png_raw_bytes, "IDAT")


# -- JPEG ------------------------------------------------------------------------------------------


SEGMENT_NAMES = {marker: f"FF{marker:02X}" for marker in range(256)}
SEGMENT_NAMES.update({0xE0 + n: f"APP{n}" for n in range(16)})
SEGMENT_NAMES.update({0xFE: "COM", 0xDB: "DQT", 0xC4: "DHT", 0xDD: "DRI", 0xDA: "SOS"})


def walk_jpeg(mm: mmap.mmap, limits: Limits) -> Walk:
    """Segments by length up to ``EOI``, entropy-coded data by search; payloads scanned; scans bounded."""
    return _walked(_walk_jpeg, mm, limits)


def _walk_jpeg(mm: mmap.mmap, limits: Limits, w: Walk) -> None:
    if mm[:2] != b"\xff\xd8":
        raise Broken("corrupt", "jpeg_soi_missing")
    units: list[_Unit] = []
    try:
        _jpeg_segments(mm, limits, w, units)
    finally:
        _scan_units(w, mm, units, "segment")


def _jpeg_segments(mm: mmap.mmap, limits: Limits, w: Walk, units: list) -> None:
    size = len(mm)
    frame: dict | None = None
    per_component: Counter = Counter()
    pos = 2
    while True:
        if w.units >= limits.max_jpeg_segments:
            raise TooComplex("segments JPEG", w.units, limits.max_jpeg_segments)
        w.units += 1
        if pos >= size:
            raise Broken("truncated", "jpeg_eoi_missing")
        if mm[pos] != 0xFF:
            raise Broken("corrupt", f"marker_expected_at={pos}")
        while pos < size and mm[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            raise Broken("truncated", "jpeg_eoi_missing")
        marker = mm[pos]
        pos += 1
        if marker == 0xD9:
            w.end = pos
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            continue
        if pos + 2 > size:
            raise Broken("truncated", "segment_incomplete")
        length = _U16.unpack_from(mm, pos)[0]
        if length < 2:
            raise Broken("corrupt", f"bad_segment_length={length}")
        start, stop = pos + 2, pos + length
        if stop > size:
            raise Broken("truncated", "segment_incomplete")
        if marker in SOF_MARKERS and frame is None:
            frame = _frame(mm, marker, start, stop)
            w.sof = marker
            w.precision = frame["precision"] if frame else None
        if marker != 0xDA:
            text = marker == 0xFE or (marker == 0xE1 and mm[start : start + len(XMP_APP1)] == XMP_APP1)
            units.append(_Unit(start, stop, SEGMENT_NAMES[marker], text))
            pos = stop
            continue
        # Start of scan: header, then entropy-coded data up to the next real marker.
        w.scans += 1
        ids = [mm[start + 1 + 2 * i] for i in range(min(mm[start], 4))] if stop > start else []
        for component in ids:
            per_component[component] += 1
            if per_component[component] > limits.max_jpeg_scans_per_component:
                raise TooComplex("balayages d'une composante", per_component[component],
                                 limits.max_jpeg_scans_per_component)
        found = _JPEG_MARKER.search(mm, stop)
        if found is None:
            raise Broken("truncated", "jpeg_eoi_missing")
        if w.incomplete is None and frame is not None and stop - start >= 1 + 2 * len(ids) + 3:
            spectral_start = mm[stop - 3]
            needed = _scan_min_bytes(frame, ids, spectral_start)
            if needed and found.start() - stop < needed:
                w.incomplete = Incomplete(found.start() - stop, needed, f"scan={w.scans}")
        pos = found.start()


def _frame(mm: mmap.mmap, marker: int, start: int, stop: int) -> dict | None:
    """SOF: precision, height, width and each component's sampling factors."""
    if stop - start < 6:
        return None
    count = mm[start + 5]
    if stop - start < 6 + 3 * count:
        return None
    components = {}
    for i in range(count):
        at = start + 6 + 3 * i
        components[mm[at]] = (max(1, mm[at + 1] >> 4), max(1, mm[at + 1] & 0x0F))
    return {"marker": marker, "precision": mm[start], "height": int.from_bytes(mm[start + 1 : start + 3], "big"),
            "width": int.from_bytes(mm[start + 3 : start + 5], "big"), "components": components}


def _scan_min_bytes(frame: dict, ids: list[int], spectral_start: int) -> int:
    """Fewest bytes the scan's entropy-coded data can take for the frame's declared size (0: no bound)."""
    marker = frame["marker"]
    if marker in (0xC0, 0xC1):
        bits_per_block = 2  # sequential Huffman: DC code + (AC code or EOB), each ≥ 1 bit
    elif marker == 0xC2 and spectral_start == 0:
        bits_per_block = 1  # progressive DC scan: one code (first pass) or one bit (refinement) per block
    else:
        return 0  # progressive AC (EOB runs), lossless, arithmetic: no per-block floor
    width, height, components = frame["width"], frame["height"], frame["components"]
    if not width or not height or any(c not in components for c in ids) or not ids:
        return 0  # height 0 = given later by DNL; unknown components: the decoder will say
    hmax = max(h for h, _ in components.values())
    vmax = max(v for _, v in components.values())
    if len(ids) == 1:
        h, v = components[ids[0]]
        cw, ch = -(-width * h // hmax), -(-height * v // vmax)
        blocks = -(-cw // 8) * -(-ch // 8)
    else:
        mcus = -(-width // (8 * hmax)) * -(-height // (8 * vmax))
        blocks = mcus * sum(components[c][0] * components[c][1] for c in ids)
    return -(-blocks * bits_per_block // 8)


# -- archives found from the end ------------------------------------------------------------------


def zip_end_record_near_end(mm: mmap.mmap) -> int | None:
    """A ZIP end-of-central-directory record in the last 64 KB that points at a real central directory.

    That is how ZIP readers find an archive (from the end, tolerating bytes after it), so a picture
    holding one opens as a ZIP too, wherever the archive hides (after IEND, inside pixel data…).
    Requiring the central directory's signature where the record says it starts keeps a chance
    ``PK\\x05\\x06`` inside compressed pixels from counting. A ZIP64 archive's record says 0xFFFFFFFF
    and defers to the ZIP64 end record just before its locator (where ``zipfile`` reads it).
    """
    size = len(mm)
    start = max(0, size - 22 - 0xFFFF)
    pos = mm.rfind(b"PK\x05\x06", start)
    while pos >= 0:
        if pos + 22 <= size:
            cd_size = int.from_bytes(mm[pos + 12 : pos + 16], "little")
            cd_offset = int.from_bytes(mm[pos + 16 : pos + 20], "little")
            record = pos
            if cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
                locator = pos - 20
                record = locator - 56
                if record < 0 or mm[locator : locator + 4] != b"PK\x06\x07" or mm[record : record + 4] != b"PK\x06\x06":
                    pos = mm.rfind(b"PK\x05\x06", start, pos)
                    continue
                cd_size = int.from_bytes(mm[record + 40 : record + 48], "little")
                cd_offset = int.from_bytes(mm[record + 48 : record + 56], "little")
            cd_start = record - cd_size
            if cd_size and cd_start >= 0 and cd_offset <= cd_start and mm[cd_start : cd_start + 4] == b"PK\x01\x02":
                return pos
        pos = mm.rfind(b"PK\x05\x06", start, pos)
    return None
