"""ISO/QuickTime (MP4, MOV) box walk: the sample tables' declared sizes, checked before any parser.

A sample table (``stts``, ``stsz``, ``stco``…) starts with an entry count and then holds that many
fixed-size entries, so the box's own size bounds the count. A file that declares 2³²−1 ``stts``
entries in a 24-byte box is a lie, and libmediainfo believes it: it loops for minutes on a 66 kB file.
We read every box header once (a few bytes per box, on an ``mmap``), descend only the boxes that hold
the index (``moov/trak/mdia/minf/stbl``, fragments ``moof/traf``, ``mfra``), and compare each table's
declared count with what fits in its box: linear in the number of boxes, never in declared counts.

The walk also sums the media data (``mdat`` payloads): an index whose frames are nowhere is a file no
player can play, however sound its header (an ``mdat`` cut off by a faulty tool or an attacker).

Used by ``plugins/video.py``; independent of the engine (a path in, a :class:`Mp4Structure` out).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field

# Boxes whose payload is a sequence of boxes holding (part of) the index. "meta", "udta", "ilst"…
# carry tags, not the sample index, and QuickTime variants of them do not always nest boxes cleanly.
CONTAINER_BOXES = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex",
                             b"moof", b"traf", b"mfra"})

TABLE_BOXES = frozenset({b"stts", b"ctts", b"stsc", b"stco", b"co64", b"stss", b"stps", b"elst", b"stsd", b"dref",
                         b"stsz", b"stz2", b"trun", b"sbgp", b"saio", b"saiz", b"tfra"})
_HEAD = struct.Struct(">I4s")
_U64 = struct.Struct(">Q")

MAX_DEPTH = 16  # moov/trak/mdia/minf/stbl/stsd is 6 deep; nesting beyond 16 is not an index


@dataclass(frozen=True)
class TableLie:
    """A sample table whose declared entry count cannot fit where it is stored."""

    box: str  # "stts", "stsz"…
    path: str  # "moov/trak[1]/mdia/minf/stbl/stts"
    track: int | None  # 1-based position of the ``trak`` (None outside a track, e.g. in ``moof``)
    declared: int  # entries (or samples) the box announces
    capacity: int  # most entries that fit in the box (or, for constant-size samples, in the media data)
    offset: int  # byte offset of the box in the file


@dataclass
class Mp4Structure:
    top_level: list[str] = field(default_factory=list)  # names of the top-level boxes, in order
    boxes: int = 0  # boxes visited (every level)
    media_bytes: int = 0  # payload bytes of the top-level ``mdat`` boxes that lie inside the file
    mdat_boxes: int = 0
    lie: TableLie | None = None  # the first lying table met (depth first, in file order)
    too_many_boxes: bool = False  # the walk stopped at ``max_boxes``
    max_boxes: int = 0  # the bound that applied
    # Per track: stsz (sample_size, sample_count, offset, path) for the media-data check after the walk.
    _constant_sizes: list[tuple[int, int, int, str, int | None]] = field(default_factory=list, repr=False)


def _u32(mm: mmap.mmap, pos: int) -> int:
    return int.from_bytes(mm[pos : pos + 4], "big")


def _capacity(name: bytes, mm: mmap.mmap, start: int, end: int) -> tuple[int, int] | None:
    """(declared, capacity) for a sample table whose payload is ``mm[start:end]``; None if not a table.

    Layouts from ISO/IEC 14496-12 (full boxes: version(1) flags(3) first). ``capacity`` is how many
    entries of the declared layout fit in the payload after the fixed fields.
    """
    size = end - start
    if size < 8:
        return None  # too short even for version/flags + a count: the parsers refuse it on their own
    version = mm[start]
    flags = int.from_bytes(mm[start + 1 : start + 4], "big")
    if name in (b"stts", b"ctts", b"stsc", b"stco", b"co64", b"stss", b"stps", b"elst", b"stsd", b"dref"):
        entry = {b"stts": 8, b"ctts": 8, b"stsc": 12, b"stco": 4, b"co64": 8, b"stss": 4, b"stps": 4,
                 b"elst": 20 if version == 1 else 12,
                 b"stsd": 16,  # a sample entry is a box: header (8) + reserved (6) + data_reference_index (2)
                 b"dref": 12}[name]  # a data entry is a full box (8 + 4)
        return _u32(mm, start + 4), (size - 8) // entry
    if name == b"stsz":  # sample_size(4) sample_count(4) [entry_size(4) × count when sample_size == 0]
        if size < 12:
            return None
        if _u32(mm, start + 4) != 0:
            return None  # constant size: no table; checked against the media data after the walk
        return _u32(mm, start + 8), (size - 12) // 4
    if name == b"stz2":  # reserved(3) field_size(1) sample_count(4), entries of field_size bits
        if size < 12:
            return None
        bits = mm[start + 7]
        if bits not in (4, 8, 16):
            return _u32(mm, start + 8), 0
        return _u32(mm, start + 8), (size - 12) * 8 // bits
    if name == b"trun":  # sample_count(4) [data_offset(4)] [first_sample_flags(4)], per sample 4 × fields
        fixed = 8 + 4 * bool(flags & 0x1) + 4 * bool(flags & 0x4)
        per_sample = 4 * sum(bool(flags & bit) for bit in (0x100, 0x200, 0x400, 0x800))
        if per_sample == 0 or size < fixed:
            return None
        return _u32(mm, start + 4), (size - fixed) // per_sample
    if name == b"sbgp":  # grouping_type(4) [grouping_type_parameter(4) if v1] entry_count(4), entries 8
        fixed = 12 + 4 * (version == 1)
        if size < fixed:
            return None
        return _u32(mm, start + fixed - 4), (size - fixed) // 8
    if name == b"saio":  # [aux_info_type(4) aux_info_type_parameter(4)] entry_count(4), offsets 4 or 8
        fixed = 8 + 8 * bool(flags & 0x1)
        if size < fixed:
            return None
        return _u32(mm, start + fixed - 4), (size - fixed) // (8 if version == 1 else 4)
    if name == b"saiz":  # [8 bytes] default_sample_info_size(1) sample_count(4) [sizes(1) × count]
        fixed = 9 + 8 * bool(flags & 0x1)
        if size < fixed or mm[start + fixed - 5] != 0:
            return None
        return _u32(mm, start + fixed - 4), size - fixed
    if name == b"tfra":  # track_ID(4) lengths(4) number_of_entry(4)
        if size < 16:
            return None
        lengths = _u32(mm, start + 8)
        entry = (16 if version == 1 else 8) + ((lengths >> 4) & 3) + ((lengths >> 2) & 3) + (lengths & 3) + 3
        return _u32(mm, start + 12), (size - 16) // entry
    return None


def walk(path: str, size: int, *, max_boxes: int) -> Mp4Structure:
    """Walk the boxes of an MP4/MOV file and check its sample tables (see the module docstring).

    Work is bounded by ``max_boxes`` headers read, or one per KB of file if that is more (a recording
    fragmented at every frame has under one box per KB), whatever the file declares: the walk never
    costs more than a file of that size is worth. A box that claims more than its parent holds is
    clipped to the parent, so no declared size makes the walk read further.
    """
    out = Mp4Structure()
    if size < 8:
        return out
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        size = len(mm)
        max_boxes = max(max_boxes, size // 1024)
        out.max_boxes = max_boxes
        # (start, end, depth, path, track number) of the box sequences still to walk.
        stack: list[tuple[int, int, int, str, int | None]] = [(0, size, 0, "", None)]
        while stack:
            pos, end, depth, parent, track = stack.pop()
            children: list[tuple[int, int, int, str, int | None]] = []
            traks = 0
            while pos + 8 <= end:
                if out.boxes >= max_boxes:
                    out.too_many_boxes = True
                    return out
                out.boxes += 1
                length, name = _HEAD.unpack_from(mm, pos)
                header = 8
                if length == 1:
                    if pos + 16 > end:
                        break
                    length = _U64.unpack_from(mm, pos + 8)[0]
                    header = 16
                elif length == 0:  # "to the end of the enclosing space"
                    length = end - pos
                if length < header:
                    break  # not a box (QuickTime ends some lists with a 32-bit zero): stop this level
                box_end = min(pos + length, end)  # a box never reaches past its parent
                if depth == 0:
                    out.top_level.append(name.decode("latin-1"))
                    if name == b"mdat":
                        out.mdat_boxes += 1
                        out.media_bytes += max(0, box_end - pos - header)
                        pos += length
                        continue
                if name in CONTAINER_BOXES:
                    if depth < MAX_DEPTH:
                        box_track = track
                        label = name.decode("latin-1")
                        if name == b"trak":
                            traks += 1
                            box_track, label = traks, f"trak[{traks}]"
                        children.append((pos + header, box_end, depth + 1, f"{parent}/{label}" if parent else label,
                                         box_track))
                elif name in TABLE_BOXES and out.lie is None:
                    _check_table(out, mm, name, pos, pos + header, box_end, parent, track)
                pos += length
            stack.extend(reversed(children))  # depth first, siblings in file order
    if out.lie is None:
        # Constant-size samples: the table is implicit, but every sample's bytes must be in the file.
        for sample_size, count, offset, box_path, box_track in out._constant_sizes:
            if sample_size * count > out.media_bytes:
                out.lie = TableLie("stsz", box_path, box_track, count, out.media_bytes // sample_size, offset)
                break
    return out


def _check_table(out: Mp4Structure, mm: mmap.mmap, name: bytes, pos: int, start: int, end: int, parent: str,
                 track: int | None) -> None:
    label = name.decode("latin-1")
    box_path = f"{parent}/{label}" if parent else label
    counted = _capacity(name, mm, start, end)
    if counted is not None and counted[0] > counted[1]:
        out.lie = TableLie(label, box_path, track, counted[0], counted[1], pos)
    elif name == b"stsz" and end - start >= 12:
        sample_size = _u32(mm, start + 4)
        if sample_size:
            out._constant_sizes.append((sample_size, _u32(mm, start + 8), pos, box_path, track))
