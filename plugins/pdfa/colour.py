"""Colour for PDF/A-1 (6.2.2, 6.2.3): ICC profile headers, and which device colour spaces a colour
space resolves to once Default spaces, Indexed bases and Separation/DeviceN alternates are followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class IccInfo:
    """What 6.2.2 and 6.2.3 read in an ICC profile: its header (ICC.1, 7.2) and the stream's /N."""

    valid: bool
    device_class: str = ""
    colour_space: str = ""
    version: float = 0.0
    n: int | None = None


def icc_info(stream: Any) -> IccInfo:
    try:
        n = stream.get("/N")
        n = int(n) if n is not None else None
    except (TypeError, ValueError):
        n = None
    try:
        head = stream.read_bytes()[:128]
    except Exception:  # noqa: BLE001 - an undecodable profile is not a valid one
        return IccInfo(False, n=n)
    if len(head) < 128 or head[36:40] != b"acsp":
        return IccInfo(False, n=n)
    major, minor = head[8], head[9] >> 4
    return IccInfo(True, head[12:16].decode("latin-1"), head[16:20].decode("latin-1"), major + minor / 10, n)


DEVICE_SPACES = {"/DeviceGray": "DeviceGray", "/DeviceRGB": "DeviceRGB", "/DeviceCMYK": "DeviceCMYK",
                 "/G": "DeviceGray", "/RGB": "DeviceRGB", "/CMYK": "DeviceCMYK"}  # inline-image abbreviations
DEFAULTS = {"DeviceGray": "/DefaultGray", "DeviceRGB": "/DefaultRGB", "DeviceCMYK": "/DefaultCMYK"}


def resolve(pikepdf: Any, space: Any, resources: Any, emit: Any, where: tuple[int, int], depth: int = 0) -> None:
    """Report the colour objects ``space`` uses: ``emit(kind, object, where)`` with kinds
    ``DeviceGray``/``DeviceRGB``/``DeviceCMYK`` (after Default spaces), ``ICCProfile`` (the stream)
    and ``DeviceN`` (its number of components). A name not a device space is looked up in the
    resources' /ColorSpace."""
    if depth > 8 or space is None:
        return
    Name, Array, Dictionary = pikepdf.Name, pikepdf.Array, pikepdf.Dictionary
    if isinstance(space, Name):
        key = str(space)
        device = DEVICE_SPACES.get(key)
        if device is not None:
            default = _lookup(resources, DEFAULTS[device], Dictionary)
            if default is not None:
                resolve(pikepdf, default, None, emit, where, depth + 1)
            else:
                emit(device, None, where)
            return
        if key == "/Pattern":
            return
        named = _lookup(resources, key, Dictionary)
        if named is not None:
            resolve(pikepdf, named, resources, emit, where, depth + 1)
        return
    if not isinstance(space, Array) or len(space) == 0:
        return
    family = space[0]
    family = str(family) if isinstance(family, Name) else ""
    if family == "/ICCBased" and len(space) > 1 and isinstance(space[1], pikepdf.Stream):
        emit("ICCProfile", space[1], space[1].objgen if space[1].objgen != (0, 0) else where)
    elif family in ("/Indexed", "/I") and len(space) > 1:
        resolve(pikepdf, space[1], resources, emit, where, depth + 1)
    elif family == "/Separation" and len(space) > 2:
        resolve(pikepdf, space[2], resources, emit, where, depth + 1)
    elif family == "/DeviceN" and len(space) > 2:
        names = space[1]
        emit("DeviceN", len(names) if isinstance(names, Array) else 0, where)
        resolve(pikepdf, space[2], resources, emit, where, depth + 1)
    elif family == "/Pattern" and len(space) > 1:
        resolve(pikepdf, space[1], resources, emit, where, depth + 1)
    elif len(space) == 1:
        resolve(pikepdf, space[0], resources, emit, where, depth + 1)


def _lookup(resources: Any, key: str, Dictionary: Any) -> Any:
    if not isinstance(resources, Dictionary):
        return None
    try:
        spaces = resources.get("/ColorSpace")
        if isinstance(spaces, Dictionary) and key in spaces:
            return spaces.get(key)
    except Exception:  # noqa: BLE001 - an unreadable resource is no colour space
        return None
    return None
