"""Built-in plugin ``screenshot``: is this PNG/JPEG a readable, whole, harmless picture?

Runs on proofs of type ``screenshot`` or ``video`` whose content libmagic detected as PNG or JPEG (the
ANS row « Vidéos, Captures d'écrans » admits both). libmagic's "image/png" only means the first bytes
look right, so the picture is walked and decoded:

1. The first KB is searched for another file's signature; then one walk of the structure on an
   ``mmap`` (``plugins/screenshot_structure.py``) finds the picture's end, truncation, PNG chunk CRC
   errors, and another file's signature (ZIP incl. ZIP64, PDF, HTML/script, PHP) in every chunk or
   segment payload that is not pixel data (text chunks, ``COM``, ``APPn``…), after ``IEND``/``EOI``,
   or as a ZIP end record near the end: a polyglot (error). It also bounds the work before any decoder
   runs (chunk and segment counts, JPEG scans per component: ``screenshot.too_complex``) and checks
   that the coded data can fill the declared picture (``screenshot.data_incomplete``).
2. Pillow opens the header only, restricted to the format libmagic announced (anything else is
   ``screenshot.not_an_image``), and the pixel count is checked *before* decoding (decompression bombs).
3. The picture is decoded (a JPEG at 1/8 scale through ``draft()``) with truncated images refused,
   which catches corrupt data; a JPEG is also decoded by ffmpeg's decoder (PyAV), which reports the
   damage libjpeg conceals (``screenshot.decode_error``); a reduced greyscale copy says whether it is blank.
4. EXIF: a GPS position or a camera serial number is personal data the ANS has no use for (warning).
5. The text on screen (``plugins/screen_text.py``, Tesseract OCR with the French model) of a whole,
   non-blank picture: a real patient's NIR or the real INS-NIR OID is a warning; what it shows (test
   identities, identity statuses, dates and times) goes to ``facts.screenshot.screen_text`` for the
   catalogue's requirement checks.

Thresholds come from ``[thresholds.screenshot]`` in the rules. User documentation:
``docs/checks/screenshot.md``.
"""

from __future__ import annotations

import mmap
import struct
import warnings
import zlib
from typing import Any, Mapping

from plugins import screen_text
from plugins import screenshot_structure as structure
from plugins.screenshot_structure import KIND_LABEL, Hit
from validator_core import DOSSIER_CONTEXT, Inspection, Proof, finding, hookimpl
from validator_core.toolkit.screens import readable_minimum

__version__ = "1.1.0"

PLUGIN = "screenshot"

# What the inspection imports (the fork server imports them once for every worker): Pillow and its
# two decoders, PyAV for ffmpeg's JPEG decoder (and plugins.video_frames, which words its errors), the
# perceptual hash, and what reading the text on screen needs.
PRELOAD = ("PIL.Image", "PIL.PngImagePlugin", "PIL.JpegImagePlugin", "av", "imagehash", "scipy.fftpack",
           "plugins.video_frames") + screen_text.PRELOAD

PILLOW_FORMAT = {"png": "PNG", "jpeg": "JPEG"}
LABELS = {"png": "PNG", "jpeg": "JPEG"}
PNG_SIGNATURE = structure.PNG_SIGNATURE

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
        preload=PRELOAD,
    )


# screenshot.too_complex names what is too many (plugins.screenshot_structure.TooComplex, in French) in English.
TOO_COMPLEX_EN = {"blocs PNG": "PNG chunks", "segments JPEG": "JPEG segments",
                  "balayages d'une composante": "scans of one component"}


# Why the picture is truncated or damaged (details.reason: a key) in words: the structure walk's
# reasons, and Pillow's refusal.
BROKEN_WORDS = {
    **structure.REASON_WORDS,
    "image_data_incomplete": ("données d'image incomplètes", "incomplete image data"),
    "cannot_decode": ("décodage impossible", "cannot be decoded"),
}
# ffmpeg's decoder: its own message, or these keys.
DECODER_WORDS = {
    "no_frame_decoded": ("aucune image décodée", "no picture decoded"),
    "frame_corrupt": ("image signalée corrompue par le décodeur", "picture flagged as corrupt by the decoder"),
}


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
        fr="L'image {format} est tronquée : elle s'arrête avant sa fin ({reason:word}). "
        "Le transfert ou l'enregistrement a été interrompu ; déposez le fichier complet.",
        en="The {format} picture is truncated: it stops before its end ({reason:word}). The transfer or the "
        "save was interrupted; file the complete file.",
        words=BROKEN_WORDS,
    )
    register(
        "screenshot.corrupt",
        fr="L'image {format} est endommagée ({reason:word}) : elle ne s'affichera pas correctement. "
        "Refaites la capture.",
        en="The {format} picture is damaged ({reason:word}): it will not display correctly. "
        "Take the screenshot again.",
        words=BROKEN_WORDS,
    )
    register(
        "screenshot.too_many_pixels",
        fr="L'image annonce {width}×{height} pixels ({megapixels:number} Mpx), au-delà du plafond de "
        "{max_megapixels:number} Mpx : elle n'a pas été décodée (risque de « bombe de décompression »). "
        "Une capture d'écran réelle est bien plus petite : refaites la capture à la définition de l'écran.",
        en="The picture claims {width}×{height} pixels ({megapixels:number} MP), over the "
        "{max_megapixels:number} MP cap: it was not decoded (decompression-bomb risk). A real screenshot is "
        "much smaller: take the screenshot again at the screen's resolution.",
    )
    register(
        "screenshot.polyglot",
        fr="L'image cache un autre fichier ({kind}, à la position {offset}) : un fichier à la fois image et "
        "{kind} est refusé. Exportez une capture simple depuis votre outil.",
        en="The picture hides another file ({kind}, at position {offset}): a file that is both a picture and "
        "{kind} is refused. Export a plain screenshot from your tool.",
    )
    register(
        "screenshot.too_complex",
        fr="L'image {format} a une structure anormalement complexe ({what_words[fr]} : {count}, plafond {limit}) : "
        "elle n'a pas été décodée, son décodage occuperait le service pendant des minutes. Une capture "
        "réelle en a bien moins ; réenregistrez l'image depuis votre outil de capture.",
        en="The {format} picture has an abnormally complex structure ({what_words[en]}: {count}, cap {limit}): it was "
        "not decoded, decoding it would keep the service busy for minutes. A real capture has far fewer; "
        "save the picture again from your capture tool.",
    )
    register(
        "screenshot.data_incomplete",
        fr="Les données de l'image {format} ne peuvent pas remplir l'image annoncée ({width}×{height}) : "
        "{where:word} contient {data_bytes:size}, il en faudrait au moins {min_bytes:size}. Une partie de l'image "
        "est vide ou fausse (fichier endommagé ou en-tête modifié) ; refaites la capture.",
        en="The {format} picture's data cannot fill the announced picture ({width}×{height}): {where:word} holds "
        "{data_bytes:size} where at least {min_bytes:size} are needed. Part of the picture is empty or wrong "
        "(damaged file or altered header); take the screenshot again.",
        words=structure.REASON_WORDS,
    )
    register(
        "screenshot.decode_error",
        fr="Le décodage de l'image {format} signale une erreur ({reason:word}) : des zones de l'image "
        "s'afficheront grises, décalées ou brouillées. Refaites la capture.",
        en="Decoding the {format} picture reports an error ({reason:word}): parts of the picture will display "
        "grey, shifted or garbled. Take the screenshot again.",
        words=DECODER_WORDS,
    )
    register(
        "screenshot.trailing_data",
        fr="Des données ({trailing_bytes:size}) suivent la fin de l'image {format} : elles ne s'affichent pas "
        "et peuvent cacher autre chose. Réenregistrez l'image depuis votre outil de capture.",
        en="Data ({trailing_bytes:size}) follows the end of the {format} picture: it does not display and may "
        "hide something else. Save the picture again from your capture tool.",
    )
    register(
        "screenshot.blank",
        fr="L'image est presque uniforme (écart type de luminosité {stddev:number}, seuil "
        "{max_stddev:number}) : la capture semble vide (écran noir ou blanc). Refaites la capture, écran "
        "allumé et fenêtres visibles.",
        en="The picture is almost uniform (brightness standard deviation {stddev:number}, threshold "
        "{max_stddev:number}): the screenshot looks empty (black or white screen). Take the screenshot again, "
        "with the screen on and the windows visible.",
    )
    register(
        "screenshot.resolution_low",
        fr="L'image ({width}×{height}) est plus petite qu'un écran lisible ({minimum}) : une capture "
        "« plein écran avec l'ensemble des fenêtres impliquées visibles » sera difficile à lire. Capturez "
        "l'écran entier, à sa définition d'origine.",
        en="The picture ({width}×{height}) is smaller than a readable screen ({minimum}): a “full-screen "
        "capture with all the windows involved visible” will be hard to read. Capture the whole screen, at "
        "its native resolution.",
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
    screen_text.register_messages(register, PLUGIN, ("la capture", "the screenshot"))


# -- findings from the structure walk --------------------------------------------------------------


def _polyglot(hit: Hit):
    """``location``: "head" (first KB), "chunk"/"segment" (a PNG chunk or JPEG segment, named in
    ``container``), "compressed_text" (an inflated zTXt/iTXt), "trailer" (after IEND/EOI), "end" (ZIP
    end record) or "data" (a PHP open tag elsewhere, pixel data included)."""
    details = {"kind": KIND_LABEL[hit.kind], "signature": hit.kind, "offset": hit.offset, "location": hit.location}
    if hit.container:
        details["container"] = hit.container
    return finding("screenshot.polyglot", "error", **details)


def _first_per_kind(hits: list[Hit]) -> list[Hit]:
    """One hit per kind of hidden file, the earliest in the file (the first listed wins a tie)."""
    best: dict[str, Hit] = {}
    for hit in hits:
        if hit.kind not in best or hit.offset < best[hit.kind].offset:
            best[hit.kind] = hit
    return sorted(best.values(), key=lambda h: h.offset)


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


def _limits(limits: Mapping[str, Any]) -> structure.Limits:
    return structure.Limits(
        max_png_chunks=int(limits["max_png_chunks"]),
        max_jpeg_segments=int(limits["max_jpeg_segments"]),
        max_jpeg_scans_per_component=int(limits["max_jpeg_scans_per_component"]),
        text_inflate_bytes=int(limits["text_inflate_bytes"]),
        max_pixels=int(limits["max_pixels"]),
    )


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    limits = proof.thresholds(PLUGIN)
    label = LABELS.get(proof.format or "", proof.media_type)
    findings: list = []
    facts: dict[str, Any] = {"format": label}

    hits = [Hit(kind, at, "head") for kind, at in structure.find_signatures(proof.head[: int(limits["head_scan_bytes"])])]

    if proof.size == 0:  # the engine rejects empty files first; mmap cannot map them
        findings += [_polyglot(hit) for hit in hits]
        return Inspection(findings=findings, facts=facts)
    trailing = None
    with open(proof.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        if proof.format == "png":
            walk = structure.walk_png(mm, _limits(limits))
        elif proof.format == "jpeg":
            walk = structure.walk_jpeg(mm, _limits(limits))
        else:
            walk = structure.Walk()
        hits += walk.hits
        if walk.unscanned:
            facts["unscanned_text"] = walk.unscanned
        end = walk.end
        if end is not None and end < len(mm):
            facts["trailing_bytes"] = len(mm) - end
            found = structure.find_signatures(mm[end:])
            hits += [Hit(kind, end + at, "trailer") for kind, at in found]
            if not found and mm[end:].translate(None, b"\x00"):  # NUL padding is what some encoders add
                trailing = finding("screenshot.trailing_data", "warning", trailing_bytes=len(mm) - end, format=label)
        if not any(hit.kind == "archive" for hit in hits):
            eocd = structure.zip_end_record_near_end(mm)
            if eocd is not None:
                hits.append(Hit("archive", eocd, "end"))
        if not any(hit.kind == "php" for hit in hits):
            php = structure.php_open_tag(mm)
            if php is not None:
                hits.append(Hit("php", php, "data"))
        jpeg_data = bytes(mm[:end]) if (proof.format == "jpeg" and end is not None and _ffmpeg_decodes(walk)
                                         and limits["jpeg_decoder_check"]) else None

    findings += [_polyglot(hit) for hit in _first_per_kind(hits)]
    if trailing is not None:
        findings.append(trailing)
    if walk.too_complex is not None:
        # Refused before any decoder runs: Pillow alone would spend minutes on it.
        too = walk.too_complex
        findings.append(finding("screenshot.too_complex", "error", format=label, what=too.what,
                                what_words={"fr": too.what, "en": TOO_COMPLEX_EN.get(too.what, too.what)}, count=too.count,
                                limit=too.limit))
        return Inspection(findings=findings, facts=facts)
    findings += _decode(proof, limits, label, facts, walk, jpeg_data)
    return Inspection(findings=findings, facts=facts)


def _ffmpeg_decodes(walk: structure.Walk) -> bool:
    """ffmpeg's JPEG decoder covers Huffman-coded 8-bit frames (baseline, extended, progressive)."""
    return walk.broken is None and walk.incomplete is None and walk.sof in (0xC0, 0xC1, 0xC2) and walk.precision == 8


def _decode(proof: Proof, limits: Mapping[str, Any], label: str, facts: dict[str, Any], walk: structure.Walk,
            jpeg_data: bytes | None) -> list:
    from PIL import Image, ImageFile, ImageStat, UnidentifiedImageError

    out: list = []
    broken = walk.broken
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
            elif walk.incomplete is not None:
                gap = walk.incomplete
                out.append(finding("screenshot.data_incomplete", "error", format=label, width=width, height=height,
                                   where=gap.where, data_bytes=gap.data_bytes, min_bytes=gap.min_bytes))
            else:
                measured = _load_and_measure(image, width, height, limits, label, facts, jpeg_data, ImageFile,
                                             ImageStat, proof.path, walk,
                                             in_dossier=bool(proof.context.get(DOSSIER_CONTEXT)))
                out += measured
                if limits["ocr"] and not measured:  # a whole, decoded, non-blank picture
                    out += _screen_text(proof, image, formats, limits, facts)
            minimum = readable_minimum(width, height, limits["readable_screens"])
            if minimum is not None:
                out.append(finding("screenshot.resolution_low", "warning", width=width, height=height, minimum=minimum))
            out += _exif_findings(image)
    return out


def _load_and_measure(image, width, height, limits, label, facts, jpeg_data, image_file, image_stat,
                      path: str | None = None, walk: structure.Walk | None = None, in_dossier: bool = False) -> list:
    side = int(limits["blank_sample_side"])
    if image.format == "JPEG":
        # Decode at 1/2..1/8 scale in libjpeg: every byte is still read, far fewer pixels made.
        image.draft("RGB" if image.mode not in ("L", "1") else "L", (max(1, width // 8), max(1, height // 8)))
    # Pillow's global switch: when on, a truncated picture decodes silently with grey rows. Whatever
    # another module in this worker set, this check needs it off.
    saved = image_file.LOAD_TRUNCATED_IMAGES
    image_file.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error) as exc:
        truncated = "truncated" in str(exc).lower()
        return [finding("screenshot.truncated" if truncated else "screenshot.corrupt", "error", format=label,
                        reason="image_data_incomplete" if truncated else "cannot_decode")]
    finally:
        image_file.LOAD_TRUNCATED_IMAGES = saved
    if walk is not None and walk.idat and path and _ends_on_a_zero_row(image, width, height):
        # A zero last row is what a short stream leaves (or a black one): count the stream to tell.
        gap = structure.png_stream_shortfall(path, walk)
        if gap is not None:
            return [finding("screenshot.data_incomplete", "error", format=label, width=width, height=height,
                            where=gap.where, data_bytes=gap.data_bytes, min_bytes=gap.min_bytes)]
    if jpeg_data is not None:
        # libjpeg conceals damaged entropy data (grey or smeared blocks) and only warns, which Pillow
        # drops; ffmpeg's decoder reports it.
        error = jpeg_decoder_error(jpeg_data)
        if error:
            return [finding("screenshot.decode_error", "error", format=label, reason=error)]
    stddev = _luminance_stddev(image, side, image_stat)
    facts["luminance_stddev"] = round(stddev, 2)
    # The picture's perceptual hash (DCT of a 32×32 grey thumbnail, 64 bits, ImageHash), on the pixels
    # decoded above within max_pixels: a dossier tells the same screenshot filed for two proofs even
    # re-encoded as JPEG or resized (validator_core.service.check_dossier compares them). Hashes this far
    # apart or less are the same picture, by this plugin's measure. Only in a dossier: ImageHash needs
    # numpy and scipy, ~0.3 s for the first screenshot of a fresh worker that a single check would pay.
    if in_dossier:
        import imagehash

        facts["phash"] = str(imagehash.phash(image))
        facts["phash_same_picture_bits"] = int(limits["phash_same_picture_bits"])
    if stddev < float(limits["blank_max_stddev"]):
        return [finding("screenshot.blank", "warning", stddev=f"{stddev:.2f}",
                        max_stddev=f"{float(limits['blank_max_stddev']):g}")]
    return []


def _screen_text(proof: Proof, image, formats, limits: Mapping[str, Any], facts: dict[str, Any]) -> list:
    """OCR of the picture (``plugins/screen_text.py``): identities and what the requirement checks read."""
    from PIL import Image

    try:
        if image.format == "JPEG":
            # The JPEG was decoded at reduced scale for the checks above (draft): text needs every pixel.
            with Image.open(proof.path, formats=formats) as full:
                full.load()
                lines, size = screen_text.read_lines(full, limits), full.size
        else:
            lines, size = screen_text.read_lines(image, limits), image.size
    except screen_text.OcrUnavailable as exc:
        return [screen_text.unavailable(PLUGIN, exc.reason)]
    shown = screen_text.ScreenText()
    if lines is not None:  # None: past ocr_timeout_ms, nothing read
        shown.add(lines, lambda line: screen_text.region(line.box, *size), int(limits["ocr_sample_chars"]))
    facts["screen_text"] = shown.facts()
    return shown.findings(PLUGIN)


def _ends_on_a_zero_row(image, width: int, height: int) -> bool:
    """Whether one of the last two rows is all zero bytes (two: Adam7's last pass fills odd rows)."""
    rows = image.crop((0, max(0, height - 2), width, height)).tobytes()
    if height < 2:
        return not rows.strip(b"\x00")
    half = len(rows) // 2
    return not rows[:half].strip(b"\x00") or not rows[half:].strip(b"\x00")


def jpeg_decoder_error(data: bytes) -> str | None:
    """The first error ffmpeg's JPEG decoder reports on ``data`` (one picture, SOI to EOI), or None.

    Decoded at 1/8 scale (``lowres``: the whole entropy-coded data is still read), one thread; the
    decoder's log is captured, never printed.
    """
    import av
    import av.logging

    from plugins.video_frames import clean_message

    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=True) as logs:
            try:
                context = av.CodecContext.create("mjpeg", "r")
                context.thread_type = "NONE"
                context.options = {"lowres": "3"}
                frames = list(context.decode(av.Packet(data))) + list(context.decode(None))
            except (av.error.FFmpegError, MemoryError, ValueError) as exc:
                log = getattr(exc, "log", None)
                return clean_message(log[2] if log and len(log) > 2 and log[2] else getattr(exc, "strerror", exc))
        if logs:
            return clean_message(logs[0][2])
        if not frames:
            return "no_frame_decoded"
        if any(frame.is_corrupt for frame in frames):
            return "frame_corrupt"
        return None
    finally:
        av.logging.set_level(previous)


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
