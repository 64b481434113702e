"""Text on screen: what a screenshot or a video frame shows, read by OCR, for the ``screenshot`` and
``video`` plugins alike.

Tesseract (its C API through tesserocr: one model load per worker, no process per picture) reads the
picture with the French model after a bounded preparation: greyscale, dark themes inverted (Tesseract's
models are trained on dark text on light paper), small pictures upscaled so that 12 px UI text reaches
the size the model reads well, never beyond ``ocr_max_pixels``. Each picture's recognition has its own
deadline (``ocr_timeout_ms``), under the worker's timeout.

What is read is scanned line by line with the toolkit's identity scanner (the one PDF and logs use):
a valid NIR that is not a known test identity, the real INS-NIR OID, test identities; and for the
catalogue's requirement checks, the identity status words (« Identité qualifiée »…) and the dates
and times shown (the taskbar clock). The report gets counts, masked numbers with where they were
seen, and a short masked sample — never the whole text.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from validator_core import finding

# What reading imports, for the plugins' PRELOAD (the fork server imports it once for every worker):
# Tesseract's binding, Pillow, and the toolkit's RE2 scanner (imported where text is read).
PRELOAD = ("tesserocr", "PIL.Image", "PIL.ImageOps", "PIL.ImageStat", "re2", "validator_core.toolkit.text")

# The rules tables whose OCR keys (ocr_upscale_*, ocr_max_pixels, ocr_dark_mean, ocr_timeout_ms) this
# module reads: each plugin that calls it passes its own ``proof.thresholds(...)``.
THRESHOLD_TABLES = ("screenshot", "video")

LANGUAGE = "fra"
# Where Debian (tesseract-ocr-fra, Tesseract 5 then 4) and other systems put the models; TESSDATA_PREFIX first.
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")

STATUS_WORDS = {"qualifiee": "qualifiée", "recuperee": "récupérée", "provisoire": "provisoire", "validee": "validée"}
_STATUS_RE = re.compile(r"\b(qualifiee|recuperee|provisoire|validee)s?\b")
_DATE_RE = re.compile(r"\b([0-3]?\d)[/.-]([01]?\d)[/.-]((?:19|20)\d\d)\b")
_TIME_RE = re.compile(r"\b([01]?\d|2[0-3]) ?[:h] ?([0-5]\d)(?:[:]([0-5]\d))?\b")
_SPACES_RE = re.compile(r"[ \t]{2,}")
MAX_LISTED = 5


def fold(text: str) -> str:
    """Lower case without accents: the status words as OCR may return them (« QUALIFIÉE », « Qualifiee »)."""
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


# -- the OCR engine --------------------------------------------------------------------------------


def tessdata_dir() -> str | None:
    """The directory holding the French model, or None when Tesseract's French data is not installed."""
    candidates = [os.environ.get("TESSDATA_PREFIX", "")] + list(TESSDATA_DIRS)
    for directory in candidates:
        if directory and os.path.isfile(os.path.join(directory, f"{LANGUAGE}.traineddata")):
            return directory
    return None


@lru_cache(maxsize=1)
def _engine() -> Any:
    """One Tesseract instance per worker process (loading the model costs ~100 ms; reading reuses it)."""
    import tesserocr

    directory = tessdata_dir()
    if directory is None:
        raise OcrUnavailable("french_model_missing")
    try:
        api = tesserocr.PyTessBaseAPI(path=directory, lang=LANGUAGE, psm=tesserocr.PSM.AUTO,
                                      oem=tesserocr.OEM.LSTM_ONLY)
    except RuntimeError as exc:  # a model file Tesseract cannot load (another major version, damaged)
        raise OcrUnavailable("french_model_unreadable") from exc
    # Pictures are inverted here when dark; Tesseract's own per-line inversion test would cost a
    # second recognition of every line it doubts.
    api.SetVariable("tessedit_do_invert", "0")
    return api


@lru_cache(maxsize=1)
def _not_text() -> frozenset[int]:
    import tesserocr

    return frozenset({tesserocr.PT.FLOWING_IMAGE, tesserocr.PT.HEADING_IMAGE, tesserocr.PT.PULLOUT_IMAGE,
                      tesserocr.PT.HORZ_LINE, tesserocr.PT.VERT_LINE, tesserocr.PT.NOISE})


class OcrUnavailable(Exception):
    """Tesseract or its French model is missing: reported as ``<plugin>.ocr_unavailable`` (info)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- preparing a picture ---------------------------------------------------------------------------


def prepare(image: Any, limits: Mapping[str, Any]) -> tuple[Any, float]:
    """A greyscale copy Tesseract reads well, and the scale from the original to it.

    Dark themes (mean brightness under ``ocr_dark_mean``) are inverted. A picture smaller than
    ``ocr_upscale_below_pixels`` is enlarged up to ``ocr_upscale_factor`` (12 px text becomes the ~25 px
    the model reads best), and no picture ends up over ``ocr_max_pixels`` (a larger one is reduced).
    """
    from PIL import Image, ImageOps, ImageStat

    grey = image if image.mode == "L" else image.convert("L")
    width, height = grey.size
    scale = _scale(width, height, limits)
    if scale != 1.0:
        grey = grey.resize((max(1, round(width * scale)), max(1, round(height * scale))),
                           Image.Resampling.BICUBIC if scale > 1 else Image.Resampling.BOX)
    if ImageStat.Stat(grey.reduce(max(1, max(grey.size) // 256))).mean[0] < float(limits["ocr_dark_mean"]):
        grey = ImageOps.invert(grey)
    return grey, scale


def _scale(width: int, height: int, limits: Mapping[str, Any]) -> float:
    """How :func:`prepare` resizes a ``width``×``height`` picture (1.0: not at all)."""
    pixels = max(1, width * height)
    scale = float(limits["ocr_upscale_factor"]) if pixels < int(limits["ocr_upscale_below_pixels"]) else 1.0
    scale = min(scale, (int(limits["ocr_max_pixels"]) / pixels) ** 0.5)
    return scale if abs(scale - 1.0) > 0.01 else 1.0


# -- reading ---------------------------------------------------------------------------------------


@dataclass
class Line:
    text: str
    box: tuple[int, int, int, int]  # x, y, width, height in the original picture's pixels


def read_lines(image: Any, limits: Mapping[str, Any], timeout_ms: int | None = None) -> list[Line] | None:
    """The text lines Tesseract reads in ``image`` (a Pillow image), with their boxes, within
    ``timeout_ms`` (default ``ocr_timeout_ms``); None past the deadline (the picture counts as unread).
    A picture to enlarge is first laid out at its own size: no text block there, no lines (:func:`holds_text`).

    Raises :class:`OcrUnavailable` when Tesseract or its French model is missing.
    """
    try:
        import tesserocr
    except ImportError as exc:
        raise OcrUnavailable("tesserocr_missing") from exc
    api = _engine()
    if _scale(*image.size, limits) > 1 and not holds_text(api, prepare(image, {**limits, "ocr_upscale_factor": 1.0})[0]):
        return []  # no block Tesseract's layout analysis takes for text: the enlarged picture is not read
    prepared, scale = prepare(image, limits)
    api.SetImage(prepared)
    try:
        deadline = int(limits["ocr_timeout_ms"]) if timeout_ms is None else min(timeout_ms, int(limits["ocr_timeout_ms"]))
        if not api.Recognize(max(1, deadline)):
            return None  # past the deadline: what Tesseract read is dropped
        lines: list[Line] = []
        iterator = api.GetIterator()
        if iterator is None:  # nothing was recognised at all
            return lines
        level = tesserocr.RIL.TEXTLINE
        for item in tesserocr.iterate_level(iterator, level):
            try:
                text = item.GetUTF8Text(level)
            except RuntimeError:
                # A line Tesseract segmented but read no character in (compressed gradients, test
                # patterns): the binding raises « No text returned » where the C API returns NULL.
                continue
            box = item.BoundingBox(level)
            if not text or not text.strip() or box is None:
                continue
            x1, y1, x2, y2 = (round(v / scale) for v in box)
            lines.append(Line(_SPACES_RE.sub(" ", text.strip()), (x1, y1, x2 - x1, y2 - y1)))
        return lines
    finally:
        api.Clear()


def holds_text(api: Any, picture: Any) -> bool:
    """Whether Tesseract's page layout analysis finds, in ``picture``, a block that is not a picture, a
    rule or noise (the blocks its recognition reads).

    A picture under ``ocr_upscale_below_pixels`` is enlarged so that small glyphs reach the size the
    model *recognises* well; finding where text lies needs no enlargement, at a quarter of the pixels.
    A frame of a test pattern, a photo or noise holds no text block: reading it enlarged (~150 ms a
    720p frame) would find nothing, the layout at its own size says so in ~40 ms.
    """
    import tesserocr

    api.SetImage(picture)
    try:
        iterator = api.AnalyseLayout()
        if iterator is None:
            return False
        level = tesserocr.RIL.BLOCK
        return any(block.BlockType() not in _not_text() for block in tesserocr.iterate_level(iterator, level))
    finally:
        api.Clear()


def region(box: tuple[int, int, int, int], width: int, height: int) -> str:
    """Where a box lies, the third of the picture a reviewer finds it in: ``"top_left"``, ``"middle_centre"``…
    (a key of :data:`REGION_WORDS`: « en haut à gauche », « au centre »)."""
    x, y, w, h = box
    cx, cy = (x + w / 2) / max(1, width), (y + h / 2) / max(1, height)
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    column = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
    return f"{row}_{column}"


# -- what was read ---------------------------------------------------------------------------------


@dataclass
class ScreenText:
    """What the pictures of one proof show, summed over every picture read."""

    images_read: int = 0
    chars: int = 0
    test_identities: int = 0
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (masked NIR, where)
    invalid_keys: int = 0
    ins_oids: dict[str, int] = field(default_factory=dict)
    status: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    times: list[tuple[str, str]] = field(default_factory=list)  # (hh:mm, where)
    sample: str = ""

    def add(self, lines: Iterable[Line], where: Callable[[Line], str], sample_chars: int) -> None:
        from validator_core.toolkit.text import scan_identities

        self.images_read += 1
        for line in lines:
            self.chars += len(line.text)
            scan = scan_identities(line.text)
            self.test_identities += scan.test_nirs
            self.invalid_keys += scan.invalid_key
            for masked in scan.unknown_valid:
                if all(masked != m for m, _ in self.unknown):
                    self.unknown.append((masked, where(line)))
            for kind, count in scan.ins_oids.items():
                self.ins_oids[kind] = self.ins_oids.get(kind, 0) + count
            folded = fold(line.text)
            for match in _STATUS_RE.finditer(folded):
                word = STATUS_WORDS[match.group(1)]
                if word not in self.status:
                    self.status.append(word)
            for match in _DATE_RE.finditer(line.text):
                day, month, year = (int(g) for g in match.groups())
                value = f"{day:02d}/{month:02d}/{year}"
                if 1 <= day <= 31 and 1 <= month <= 12 and value not in self.dates:
                    self.dates.append(value)
            for match in _TIME_RE.finditer(line.text):
                value = f"{int(match.group(1)):02d}:{match.group(2)}"
                if all(value != t for t, _ in self.times):
                    self.times.append((value, where(line)))
            if len(self.sample) < sample_chars:
                self.sample = (self.sample + " " + line.text).strip()[:sample_chars]

    def facts(self) -> dict[str, Any]:
        from validator_core.toolkit.text import mask_identities, mask_secrets

        return {
            "images_read": self.images_read,
            "chars": self.chars,
            "test_identities": self.test_identities,
            "nir_unknown_valid": len(self.unknown),
            "nir_invalid_key": self.invalid_keys,
            "ins_oids": dict(self.ins_oids),
            "identity_status": list(self.status),
            "dates": self.dates[:MAX_LISTED],
            "times": [{"time": t, "where": w} for t, w in self.times[:MAX_LISTED]],
            "sample": mask_secrets(mask_identities(self.sample)),
        }

    def findings(self, plugin: str) -> list:
        out = []
        if self.unknown:
            out.append(finding(f"{plugin}.nir_unknown", "warning", count=len(self.unknown),
                               masked=", ".join(m for m, _ in self.unknown[:MAX_LISTED]),
                               where=", ".join(f"{m} {w}" for m, w in self.unknown[:MAX_LISTED])))
        real = self.ins_oids.get("ins_nir", 0)
        if real:
            out.append(finding(f"{plugin}.ins_real_oid", "warning", count=real))
        return out


def unavailable(plugin: str, reason: str):
    return finding(f"{plugin}.ocr_unavailable", "info", reason=reason)


# Where a NIR shows (``region``; ``at_s=8``: the instant of a video's picture) and why the text was not
# read (``OcrUnavailable.reason``), in words.
REGION_WORDS = {
    "top_left": ("en haut à gauche", "top left"), "top_centre": ("en haut au centre", "top centre"),
    "top_right": ("en haut à droite", "top right"), "middle_left": ("au milieu à gauche", "middle left"),
    "middle_centre": ("au centre", "centre"), "middle_right": ("au milieu à droite", "middle right"),
    "bottom_left": ("en bas à gauche", "bottom left"), "bottom_centre": ("en bas au centre", "bottom centre"),
    "bottom_right": ("en bas à droite", "bottom right"), "at_s": ("à {} s", "at {} s"),
}
OCR_WORDS = {
    "french_model_missing": ("modèle français de Tesseract absent (tesseract-ocr-fra)",
                             "Tesseract's French model missing (tesseract-ocr-fra)"),
    "french_model_unreadable": ("modèle français de Tesseract illisible", "Tesseract's French model unreadable"),
    "tesserocr_missing": ("module Python tesserocr absent", "tesserocr Python module missing"),
}


def register_messages(register: Callable[..., None], plugin: str, shown_in: tuple[str, str]) -> None:
    """The messages of the codes above, for ``plugin`` (``shown_in``: « la capture », "the screenshot")."""
    fr, en = shown_in
    register(
        f"{plugin}.nir_unknown",
        fr=f"{fr[0].upper() + fr[1:]} montre {{count:count:NIR valide:NIR valides}} qui ne "
        f"{{count:plural:correspond:correspondent}} à aucune identité de test connue ({{where:word}}) : des données de "
        f"vrais patients ont peut-être fuité dans la preuve. Utilisez des identités fictives.",
        en=f"{en[0].upper() + en[1:]} shows {{count:count:valid NIR:valid NIRs}} that {{count:plural:is:are}} not "
        f"a known test identity ({{where:word}}): real patients' data may have leaked into the proof. Use fictitious "
        f"identities.",
        words=REGION_WORDS,
    )
    register(
        f"{plugin}.ins_real_oid",
        fr=f"{fr[0].upper() + fr[1:]} montre l'OID de l'INS-NIR réel (1.2.250.1.213.1.4.8) "
        f"{{count:count:fois:fois}} : une preuve doit utiliser des INS de test (…4.10) ou de démonstration "
        f"(…4.11). Refaites-la avec des identités de test.",
        en=f"{en[0].upper() + en[1:]} shows the real INS-NIR OID (1.2.250.1.213.1.4.8) {{count:count:time:times}}: "
        f"a proof must use test (…4.10) or demo (…4.11) INS. Make it again with test identities.",
    )
    register(
        f"{plugin}.ocr_unavailable",
        fr=f"Le texte affiché dans {fr} n'a pas été lu ({{reason:word}}) : les identités visibles n'ont pas été "
        f"vérifiées.",
        en=f"The text shown in {en} was not read ({{reason:word}}): the identities on screen were not checked.",
        words=OCR_WORDS,
    )
