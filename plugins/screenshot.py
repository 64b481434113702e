"""Built-in plugin ``screenshot``: is this PNG/JPEG a readable, whole, harmless picture?

Runs on proofs of type ``screenshot`` or ``video`` whose content libmagic detected as PNG or JPEG (the
ANS row « Vidéos, Captures d'écrans » admits both). libmagic's "image/png" only means the first bytes
look right, so the picture is walked and decoded:

1. The first KB and the bytes after the image's end (PNG ``IEND``, JPEG ``EOI``) are searched for
   another file's signature: a ZIP, a PDF or HTML there makes a polyglot (error); other trailing bytes
   are a warning. The walk is done on an ``mmap`` with C-speed searches (no whole-file read), and also
   gives truncation (no ``IEND``/``EOI``) and PNG chunk CRC errors.
2. Pillow opens the header only, restricted to the format libmagic announced (anything else is
   ``screenshot.not_an_image``), and the pixel count is checked *before* decoding (decompression bombs).
3. The picture is decoded (a JPEG at 1/8 scale through ``draft()``), which catches corrupt data, and a
   reduced greyscale copy says whether it is blank.
4. EXIF: a GPS position or a camera serial number is personal data the ANS has no use for (warning).

Thresholds come from ``[thresholds.screenshot]`` in the rules. User documentation:
``docs/checks/screenshot.md``.
"""

from __future__ import annotations

import mmap
import re
import struct
import warnings
import zlib
from typing import Any

from validator_core import Inspection, Proof, finding, hookimpl
from validator_core.screens import DEFAULT_READABLE_SCREENS, readable_minimum

__version__ = "1.0.0"

PLUGIN = "screenshot"

DEFAULTS: dict[str, Any] = {
    "readable_screens": DEFAULT_READABLE_SCREENS,
    "max_pixels": 50_000_000,
    "blank_max_stddev": 2.0,
    "blank_sample_side": 256,
    "head_scan_bytes": 1024,
}

PILLOW_FORMAT = {"png": "PNG", "jpeg": "JPEG"}
LABELS = {"png": "PNG", "jpeg": "JPEG"}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_CHUNKS = 1_000_000  # real screenshots have tens; bounds a crafted file of empty chunks
MAX_JPEG_SEGMENTS = 100_000

# Another file inside the picture. ZIP: local header, central directory or end record.
_ARCHIVE = re.compile(rb"PK\x03\x04|PK\x01\x02|PK\x05\x06")
_PDF = re.compile(rb"%PDF-")
_HTML = re.compile(rb"<html|<script|<!doctype html|<iframe|<svg", re.IGNORECASE)
_NOT_NUL = re.compile(rb"[^\x00]")
# In JPEG entropy-coded data, 0xFF is followed by 0x00 (stuffing), 0xD0-0xD7 (restart) or 0xFF (fill);
# anything else is the next marker.
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

# EXIF tags that identify a device (values never copied into the report).
SERIAL_TAGS = {0xA431: "BodySerialNumber", 0xA435: "LensSerialNumber", 0xC62F: "CameraSerialNumber"}
EXIF_IFD, GPS_IFD = 0x8769, 0x8825


@hookimpl
def preuves_register_checks(register):
    register(
        proof_types=("video", "screenshot"),
        media_types=("image/png", "image/jpeg"),
        version=__version__,
        description="Captures d'écran : décodage, dimensions, image vide, données cachées, EXIF",
    )


@hookimpl
def preuves_register_messages(register):
    register(
        "screenshot.not_an_image",
        fr="Le fichier commence comme une image {format}, mais son contenu n'en est pas une : "
        "il ne s'affichera pas. Refaites la capture et enregistrez-la en PNG ou en JPEG.",
        en="The file starts like a {format} picture but its content is not one: it will not display. "
        "Take the screenshot again and save it as PNG or JPEG.",
    )
    register(
        "screenshot.truncated",
        fr="L'image {format} est tronquée : elle s'arrête avant sa fin ({reason}). "
        "Le transfert ou l'enregistrement a été interrompu ; déposez le fichier complet.",
        en="The {format} picture is truncated: it stops before its end ({reason}). The transfer or the "
        "save was interrupted; file the complete file.",
    )
    register(
        "screenshot.corrupt",
        fr="L'image {format} est endommagée ({reason}) : elle ne s'affichera pas correctement. "
        "Refaites la capture.",
        en="The {format} picture is damaged ({reason}): it will not display correctly. "
        "Take the screenshot again.",
    )
    register(
        "screenshot.too_many_pixels",
        fr="L'image annonce {width}×{height} pixels ({megapixels} Mpx), au-delà du plafond de "
        "{max_megapixels} Mpx : elle n'a pas été décodée (risque de « bombe de décompression »). "
        "Une capture d'écran réelle est bien plus petite.",
        en="The picture claims {width}×{height} pixels ({megapixels} MP), over the {max_megapixels} MP "
        "cap: it was not decoded (decompression-bomb risk). A real screenshot is much smaller.",
    )
    register(
        "screenshot.polyglot",
        fr="L'image cache un autre fichier ({kind}, à l'octet {offset}) : un fichier à la fois image et "
        "{kind} est refusé. Exportez une capture simple depuis votre outil.",
        en="The picture hides another file ({kind}, at byte {offset}): a file that is both a picture and "
        "{kind} is refused. Export a plain screenshot from your tool.",
    )
    register(
        "screenshot.trailing_data",
        fr="{trailing_bytes} octets suivent la fin de l'image {format} : ils ne s'affichent pas et "
        "peuvent cacher des données. Réenregistrez l'image.",
        en="{trailing_bytes} bytes follow the end of the {format} picture: they do not display and may "
        "hide data. Save the picture again.",
    )
    register(
        "screenshot.blank",
        fr="L'image est presque uniforme (écart type de luminosité {stddev}, seuil {max_stddev}) : "
        "la capture semble vide (écran noir ou blanc).",
        en="The picture is almost uniform (brightness standard deviation {stddev}, threshold "
        "{max_stddev}): the screenshot looks empty (black or white screen).",
    )
    register(
        "screenshot.resolution_low",
        fr="L'image ({width}×{height}) est plus petite qu'un écran lisible ({minimum}) : une capture "
        "« plein écran avec l'ensemble des fenêtres impliquées visibles » sera difficile à lire.",
        en="The picture ({width}×{height}) is smaller than a readable screen ({minimum}): a “full-screen "
        "capture with all the windows involved visible” will be hard to read.",
    )
    register(
        "screenshot.exif_gps",
        fr="Les métadonnées EXIF de l'image contiennent une position GPS : retirez-les avant le dépôt "
        "(donnée personnelle inutile à la preuve).",
        en="The picture's EXIF metadata holds a GPS position: remove it before filing (personal data "
        "the proof does not need).",
    )
    register(
        "screenshot.exif_serial",
        fr="Les métadonnées EXIF de l'image contiennent un numéro de série d'appareil ({tags}) : "
        "retirez-les avant le dépôt.",
        en="The picture's EXIF metadata holds a device serial number ({tags}): remove it before filing.",
    )


# -- structure walks (on an mmap: random access, C-speed searches, nothing loaded whole) ----------


class Broken(Exception):
    """The structure walk met a truncated or corrupt picture; ``kind`` is "truncated" or "corrupt"."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def png_end(mm: mmap.mmap) -> int:
    """Offset just after the PNG's ``IEND`` chunk, checking every chunk's length and CRC."""
    size = len(mm)
    if mm[:8] != PNG_SIGNATURE:
        raise Broken("corrupt", "signature PNG invalide")
    view = memoryview(mm)
    try:
        pos = 8
        for _ in range(MAX_PNG_CHUNKS):
            if pos + 8 > size:
                raise Broken("truncated", "bloc IEND absent")
            length = int.from_bytes(mm[pos : pos + 4], "big")
            name = bytes(mm[pos + 4 : pos + 8])
            if length > 0x7FFFFFFF or not name.isalpha():
                raise Broken("corrupt", f"bloc invalide à l'octet {pos}")
            end = pos + 12 + length
            if end > size:
                raise Broken("truncated", f"bloc {name.decode('ascii')} incomplet")
            stored = int.from_bytes(mm[end - 4 : end], "big")
            if zlib.crc32(view[pos + 4 : end - 4]) != stored:
                raise Broken("corrupt", f"somme de contrôle du bloc {name.decode('ascii')} fausse")
            if name == b"IEND":
                return end
            pos = end
        raise Broken("corrupt", "trop de blocs")
    finally:
        view.release()


def jpeg_end(mm: mmap.mmap) -> int:
    """Offset just after the JPEG's ``EOI`` marker: segments by length, entropy data by search."""
    size = len(mm)
    if mm[:2] != b"\xff\xd8":
        raise Broken("corrupt", "marqueur SOI absent")
    pos = 2
    for _ in range(MAX_JPEG_SEGMENTS):
        if pos >= size:
            raise Broken("truncated", "marqueur EOI absent")
        if mm[pos] != 0xFF:
            raise Broken("corrupt", f"marqueur attendu à l'octet {pos}")
        while pos < size and mm[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            raise Broken("truncated", "marqueur EOI absent")
        marker = mm[pos]
        pos += 1
        if marker == 0xD9:
            return pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            continue
        if pos + 2 > size:
            raise Broken("truncated", "segment incomplet")
        length = int.from_bytes(mm[pos : pos + 2], "big")
        if length < 2:
            raise Broken("corrupt", f"segment de longueur {length}")
        pos += length
        if pos > size:
            raise Broken("truncated", "segment incomplet")
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            found = _JPEG_MARKER.search(mm, pos)
            if found is None:
                raise Broken("truncated", "marqueur EOI absent")
            pos = found.start()
    raise Broken("corrupt", "trop de segments")


def polyglot_kind(data: bytes | mmap.mmap, start: int = 0, end: int | None = None) -> tuple[str, int] | None:
    """("archive" | "document" | "html", offset) of another file's signature in data[start:end]."""
    end = len(data) if end is None else end
    for kind, pattern in (("archive", _ARCHIVE), ("document", _PDF), ("html", _HTML)):
        found = pattern.search(data, start, end)
        if found:
            return kind, found.start()
    return None


def zip_end_record_near_end(mm: mmap.mmap) -> int | None:
    """A ZIP end-of-central-directory record in the last 64 KB that points at a real central directory.

    That is how ZIP readers find an archive (from the end, tolerating bytes after it), so a picture
    holding one opens as a ZIP too, wherever the archive hides (after IEND, inside a chunk…). Requiring
    the central directory's signature where the record says it starts keeps a chance ``PK\x05\x06``
    inside compressed pixels from counting.
    """
    size = len(mm)
    start = max(0, size - 22 - 0xFFFF)
    pos = mm.rfind(b"PK\x05\x06", start)
    while pos >= 0:
        if pos + 22 <= size:
            cd_size = int.from_bytes(mm[pos + 12 : pos + 16], "little")
            cd_offset = int.from_bytes(mm[pos + 16 : pos + 20], "little")
            cd_start = pos - cd_size
            if cd_size and cd_start >= 0 and cd_offset <= cd_start and mm[cd_start : cd_start + 4] == b"PK\x01\x02":
                return pos
        pos = mm.rfind(b"PK\x05\x06", start, pos)
    return None


KIND_LABEL = {"archive": "ZIP", "document": "PDF", "html": "HTML"}


def _polyglot(kind: str, offset: int, location: str):
    """``location``: "head" (first KB), "trailer" (after IEND/EOI) or "end" (ZIP end record)."""
    return finding("screenshot.polyglot", "error", kind=KIND_LABEL[kind], signature=kind, offset=offset,
                   location=location)


def _dpi(image) -> list[float] | None:
    dpi = image.info.get("dpi")
    try:
        values = [round(float(v), 1) for v in dpi][:2] if dpi else None
    except (TypeError, ValueError):
        return None
    return values if values and all(v > 0 for v in values) else None


def _exif_findings(image) -> list:
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 - broken EXIF is not our concern here
        return []
    out = []
    try:
        gps = exif.get_ifd(GPS_IFD)
    except Exception:  # noqa: BLE001
        gps = {}
    # A GPS IFD holding only a version tag (0) carries no position.
    if any(tag in gps for tag in (1, 2, 3, 4)):
        out.append(finding("screenshot.exif_gps", "warning"))
    tags = [name for tag, name in SERIAL_TAGS.items() if tag in exif]
    try:
        sub = exif.get_ifd(EXIF_IFD)
    except Exception:  # noqa: BLE001
        sub = {}
    tags += [name for tag, name in SERIAL_TAGS.items() if tag in sub and name not in tags]
    if tags:
        out.append(finding("screenshot.exif_serial", "warning", tags=", ".join(tags)))
    return out


# -- the check -----------------------------------------------------------------------------------


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    limits = {**DEFAULTS, **proof.thresholds(PLUGIN)}
    label = LABELS.get(proof.format or "", proof.media_type)
    findings: list = []
    facts: dict[str, Any] = {"format": label}

    head = proof.head[: int(limits["head_scan_bytes"])]
    hit = polyglot_kind(head)
    if hit:
        findings.append(_polyglot(*hit, "head"))

    if proof.size == 0:  # the engine rejects empty files first; mmap cannot map them
        return Inspection(findings=findings, facts=facts)
    structure_broken = None
    with open(proof.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        try:
            end = png_end(mm) if proof.format == "png" else jpeg_end(mm) if proof.format == "jpeg" else None
        except Broken as broken:
            structure_broken = broken
            end = None
        if end is not None and end < len(mm):
            facts["trailing_bytes"] = len(mm) - end
            hit = polyglot_kind(mm, end)
            if hit:
                findings.append(_polyglot(*hit, "trailer"))
            elif _NOT_NUL.search(mm, end):  # a run of NUL bytes is padding some encoders add
                findings.append(finding("screenshot.trailing_data", "warning", trailing_bytes=len(mm) - end, format=label))
        if not any(f.code == "screenshot.polyglot" for f in findings):
            eocd = zip_end_record_near_end(mm)
            if eocd is not None:
                findings.append(_polyglot("archive", eocd, "end"))

    findings += _decode(proof, limits, label, facts, structure_broken)
    return Inspection(findings=findings, facts=facts)


def _decode(proof: Proof, limits: dict[str, Any], label: str, facts: dict[str, Any], broken: Broken | None) -> list:
    from PIL import Image, ImageStat, UnidentifiedImageError

    out: list = []
    formats = [PILLOW_FORMAT[proof.format]] if proof.format in PILLOW_FORMAT else None
    max_pixels = int(limits["max_pixels"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(proof.path, formats=formats)  # header only: no pixel decoded yet
        except Image.DecompressionBombError:
            # Pillow's own guard (twice MAX_IMAGE_PIXELS) fired first; the size is in the header.
            width, height = _png_header_size(proof.head) or ("?", "?")
            megapixels = f"{width * height / 1e6:.1f}" if width != "?" else "?"
            facts.update({"width": width, "height": height} if width != "?" else {})
            out.append(finding("screenshot.too_many_pixels", "error", width=width, height=height,
                               megapixels=megapixels, max_megapixels=f"{max_pixels / 1e6:g}"))
            return out
        except (UnidentifiedImageError, SyntaxError, ValueError, OSError, EOFError, struct.error):
            if broken is not None and broken.kind == "truncated":  # cut before the header's end
                out.append(finding("screenshot.truncated", "error", format=label, reason=broken.reason))
            else:
                out.append(finding("screenshot.not_an_image", "error", format=label))
            return out
        with image:
            width, height = image.size
            facts.update({"width": width, "height": height, "mode": image.mode})
            dpi = _dpi(image)
            if dpi:
                facts["dpi"] = dpi
            frames = getattr(image, "n_frames", 1)
            if frames and frames > 1:
                facts["frames"] = frames
            if width * height > max_pixels:
                out.append(finding("screenshot.too_many_pixels", "error", width=width, height=height,
                                   megapixels=f"{width * height / 1e6:.1f}", max_megapixels=f"{max_pixels / 1e6:g}"))
                return out
            if broken is not None:
                out.append(finding(f"screenshot.{broken.kind}", "error", format=label, reason=broken.reason))
            else:
                side = int(limits["blank_sample_side"])
                if image.format == "JPEG":
                    # Decode at 1/2..1/8 scale in libjpeg: every byte is still read, far fewer pixels made.
                    image.draft("RGB" if image.mode not in ("L", "1") else "L", (max(1, width // 8), max(1, height // 8)))
                try:
                    image.load()
                except (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error) as exc:
                    truncated = "truncated" in str(exc).lower()
                    out.append(finding("screenshot.truncated" if truncated else "screenshot.corrupt", "error",
                                       format=label, reason="données d'image incomplètes" if truncated
                                       else "décodage impossible"))
                else:
                    stddev = _luminance_stddev(image, side, ImageStat)
                    facts["luminance_stddev"] = round(stddev, 2)
                    if stddev < float(limits["blank_max_stddev"]):
                        out.append(finding("screenshot.blank", "warning", stddev=f"{stddev:.2f}",
                                           max_stddev=f"{float(limits['blank_max_stddev']):g}"))
            minimum = readable_minimum(width, height, limits["readable_screens"])
            if minimum is not None:
                out.append(finding("screenshot.resolution_low", "warning", width=width, height=height, minimum=minimum))
            out += _exif_findings(image)
    return out


def _png_header_size(head: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR (the first chunk), without Pillow."""
    if head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR" and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    return None


def _luminance_stddev(image, side: int, image_stat) -> float:
    """Standard deviation of brightness (0–255) on a copy reduced to about ``side`` pixels."""
    from PIL import Image

    picture = image
    if picture.mode not in ("L", "RGB"):
        # Transparent pixels count as what they show on a white page.
        if "A" in picture.mode or picture.mode == "P" and "transparency" in picture.info:
            rgba = picture.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            picture = Image.alpha_composite(background, rgba).convert("RGB")
        else:
            try:
                picture = picture.convert("RGB")
            except ValueError:  # 16-bit and float modes convert to greyscale only
                picture = picture.convert("L")
    factor = max(1, max(picture.size) // side)
    if factor > 1:
        picture = picture.reduce(factor)
    return float(image_stat.Stat(picture.convert("L")).stddev[0])
