"""How the tool says numbers, sizes, formats and severities to people, in French (default) or English.

One place for every output (finding messages, the CLI, the service, the page's data): a size is said in
decimal units because the ANS states its limits in Mo (10^6 octets) — « 60 Mo », « 1,5 Mo », « 800 ko »;
a number groups its thousands with a narrow no-break space (U+202F) in French; a format is named as
people name it (« document Word (.docx) », « image GIF »), never as an upper-cased media type.
"""

from __future__ import annotations

from typing import Iterable

NNBSP = "\u202f"  # French thousands separator (espace fine insécable)

# Decimal units, largest first: (bytes per unit, French unit, English unit).
_UNITS = ((10**12, "To", "TB"), (10**9, "Go", "GB"), (10**6, "Mo", "MB"), (10**3, "ko", "kB"))

_SEVERITIES = {"error": "erreur", "warning": "avertissement", "info": "information"}

# media type -> (French name, English name). libmagic's names; aliases share an entry.
_WORD = ("document Word (.docx)", "Word document (.docx)")
_FORMATS: dict[str, tuple[str, str]] = {
    # Office suites
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _WORD,
    "application/msword": ("document Word (.doc)", "Word document (.doc)"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("classeur Excel (.xlsx)",
                                                                          "Excel workbook (.xlsx)"),
    "application/vnd.ms-excel": ("classeur Excel (.xls)", "Excel workbook (.xls)"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "présentation PowerPoint (.pptx)", "PowerPoint presentation (.pptx)"),
    "application/vnd.ms-powerpoint": ("présentation PowerPoint (.ppt)", "PowerPoint presentation (.ppt)"),
    "application/vnd.oasis.opendocument.text": ("document OpenDocument (.odt)", "OpenDocument text (.odt)"),
    "application/vnd.oasis.opendocument.spreadsheet": ("classeur OpenDocument (.ods)",
                                                       "OpenDocument spreadsheet (.ods)"),
    "application/vnd.oasis.opendocument.presentation": ("présentation OpenDocument (.odp)",
                                                        "OpenDocument presentation (.odp)"),
    "application/vnd.oasis.opendocument.graphics": ("dessin OpenDocument (.odg)", "OpenDocument drawing (.odg)"),
    "application/rtf": ("document RTF (.rtf)", "RTF document (.rtf)"),
    "text/rtf": ("document RTF (.rtf)", "RTF document (.rtf)"),
    # Documents
    "application/pdf": ("document PDF", "PDF document"),
    "application/postscript": ("document PostScript", "PostScript document"),
    "application/epub+zip": ("livre EPUB", "EPUB book"),
    # Images
    "image/png": ("image PNG", "PNG image"),
    "image/jpeg": ("image JPEG", "JPEG image"),
    "image/gif": ("image GIF", "GIF image"),
    "image/webp": ("image WebP", "WebP image"),
    "image/bmp": ("image BMP", "BMP image"),
    "image/x-ms-bmp": ("image BMP", "BMP image"),
    "image/tiff": ("image TIFF", "TIFF image"),
    "image/svg+xml": ("image SVG", "SVG image"),
    "image/heic": ("image HEIC", "HEIC image"),
    "image/heif": ("image HEIF", "HEIF image"),
    "image/avif": ("image AVIF", "AVIF image"),
    "image/vnd.microsoft.icon": ("icône ICO", "ICO icon"),
    # Videos and sound
    "video/mp4": ("vidéo MP4", "MP4 video"),
    "video/x-m4v": ("vidéo MP4", "MP4 video"),
    "video/quicktime": ("vidéo MOV (QuickTime)", "MOV video (QuickTime)"),
    "video/x-msvideo": ("vidéo AVI", "AVI video"),
    "video/avi": ("vidéo AVI", "AVI video"),
    "video/msvideo": ("vidéo AVI", "AVI video"),
    "video/x-flv": ("vidéo FLV", "FLV video"),
    "video/webm": ("vidéo WebM", "WebM video"),
    "video/x-matroska": ("vidéo MKV", "MKV video"),
    "video/mpeg": ("vidéo MPEG", "MPEG video"),
    "video/3gpp": ("vidéo 3GP", "3GP video"),
    "video/x-ms-asf": ("vidéo WMV", "WMV video"),
    "audio/mpeg": ("son MP3", "MP3 audio"),
    "audio/x-wav": ("son WAV", "WAV audio"),
    "audio/ogg": ("son Ogg", "Ogg audio"),
    # Archives
    "application/zip": ("archive ZIP", "ZIP archive"),
    "application/x-7z-compressed": ("archive 7-Zip", "7-Zip archive"),
    "application/x-rar": ("archive RAR", "RAR archive"),
    "application/vnd.rar": ("archive RAR", "RAR archive"),
    "application/gzip": ("archive gzip", "gzip archive"),
    "application/x-gzip": ("archive gzip", "gzip archive"),
    "application/x-tar": ("archive tar", "tar archive"),
    "application/x-bzip2": ("archive bzip2", "bzip2 archive"),
    "application/x-xz": ("archive xz", "xz archive"),
    "application/zstd": ("archive zstd", "zstd archive"),
    # Text
    "text/plain": ("texte brut", "plain text"),
    "text/csv": ("tableau CSV", "CSV table"),
    "text/html": ("page HTML", "HTML page"),
    "text/xml": ("fichier XML", "XML file"),
    "application/xml": ("fichier XML", "XML file"),
    "application/json": ("fichier JSON", "JSON file"),
    # Others libmagic reports
    "application/octet-stream": ("contenu binaire non reconnu", "unrecognised binary content"),
    "application/x-empty": ("fichier vide", "empty file"),
    "inode/x-empty": ("fichier vide", "empty file"),
    "application/x-executable": ("programme exécutable", "executable program"),
    "application/x-dosexec": ("programme exécutable Windows", "Windows executable program"),
    "application/x-sharedlib": ("bibliothèque exécutable", "executable library"),
    "application/x-sqlite3": ("base de données SQLite", "SQLite database"),
}

# Unknown media types: named after their top-level type, the media type itself in parentheses.
_GENERIC = {
    "image": ("image", "image"),
    "video": ("vidéo", "video"),
    "audio": ("son", "audio"),
    "text": ("fichier texte", "text file"),
    "font": ("police de caractères", "font"),
    "model": ("modèle 3D", "3D model"),
}

# Media types whose office suite a compte-rendu is typically written with (see is_office_document).
OFFICE_PREFIXES = ("application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
                   "application/vnd.ms-excel", "application/vnd.ms-powerpoint", "application/vnd.ms-word",
                   "application/msword", "application/rtf", "text/rtf")


def _en(lang: str) -> bool:
    return lang == "en"


def number(n: int | float, lang: str = "fr", digits: int = 2) -> str:
    """``20000`` → « 20 000 » (U+202F), ``1.5`` → « 1,5 »; English « 20,000 », « 1.5 ».

    Thousands are grouped from five digits on (« 1920 × 1080 », « 12 345 »): a four-digit number
    is read at a glance, and French typography leaves it whole. A float keeps at most ``digits``
    decimals, trailing zeros dropped (``2.0`` → « 2 »).
    """
    grouping = "," if abs(n) >= 10_000 else ""
    if isinstance(n, float) and n != int(n):
        text = f"{n:{grouping}.{digits}f}".rstrip("0").rstrip(".")
    else:
        text = f"{int(n):{grouping}}"
    if _en(lang):
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", NNBSP)


def count(n: int, one: str, many: str, lang: str = "fr") -> str:
    """« 1 doublon », « 3 doublons ». French: 0 and 1 take the singular (« 0 accepté »); English: only 1."""
    return f"{number(n, lang)} {one if singular(n, lang) else many}"


def singular(n: int | float, lang: str = "fr") -> bool:
    """Whether ``n`` takes the singular: French below 2 (« 0 erreur », « 1,5 seconde »), English exactly 1."""
    return n == 1 if _en(lang) else abs(n) < 2


def percent(share: float, lang: str = "fr", digits: int = 1) -> str:
    """A share of 1 as a percentage: ``0.997`` → « 99,7 % » (French puts a narrow no-break space before
    the sign), English "99.7%"; at most ``digits`` decimals, trailing zeros dropped (« 50 % »)."""
    value = number(round(float(share) * 100, digits), lang, digits)
    return f"{value}%" if _en(lang) else f"{value}{NNBSP}%"


def size(n_bytes: int, lang: str = "fr") -> str:
    """A size in decimal units: « 60 Mo », « 1,5 Mo », « 800 ko », « 512 octets »; English « 60 MB »…

    One decimal below 100 units (« 1,5 Mo », « 12,3 Mo »), none from 100 on (« 250 Mo »); under 1 000
    bytes the count itself (« 1 octet », « 512 octets »).
    """
    n_bytes = int(n_bytes)
    for i, (factor, fr_unit, en_unit) in enumerate(_UNITS):
        if abs(n_bytes) >= factor:
            value = n_bytes / factor
            value = round(value, 1 if abs(value) < 100 else 0)
            if abs(value) >= 1000 and i > 0:  # 999 999 bytes round to « 1 000 ko »: say « 1 Mo »
                factor, fr_unit, en_unit = _UNITS[i - 1]
                value = round(n_bytes / factor, 1)
            return f"{number(float(value), lang, 1)} {en_unit if _en(lang) else fr_unit}"
    return count(n_bytes, "byte", "bytes", lang) if _en(lang) else count(n_bytes, "octet", "octets", lang)


def severity(sev: str, lang: str = "fr") -> str:
    """« erreur », « avertissement », « information »; English keeps the words (``error``, …)."""
    sev = str(sev)
    return sev if _en(lang) else _SEVERITIES.get(sev, sev)


def format_name(media_type: str, lang: str = "fr") -> str:
    """The name people give a media type: « document Word (.docx) », « image GIF », « archive ZIP ».

    An unknown type is named after its family with the type itself in parentheses, lower case
    (« image (image/x-foo) », « fichier (application/x-foo) »).
    """
    media_type = (media_type or "application/octet-stream").split(";")[0].strip().lower()
    known = _FORMATS.get(media_type)
    if known is not None:
        return known[1] if _en(lang) else known[0]
    family = media_type.split("/")[0]
    fr, en = _GENERIC.get(family, ("fichier", "file"))
    return f"{en if _en(lang) else fr} ({media_type})"


def is_office_document(media_type: str) -> bool:
    """A word processor's, spreadsheet's or presentation's file (Word, Excel, OpenDocument, RTF…)."""
    return (media_type or "").lower().startswith(OFFICE_PREFIXES)


def either(items: Iterable[str], lang: str = "fr") -> str:
    """« A, B ou C » / "A, B or C" (one item: itself)."""
    return _join(list(items), "or" if _en(lang) else "ou")


def both(items: Iterable[str], lang: str = "fr") -> str:
    """« A, B et C » / "A, B and C" (one item: itself)."""
    return _join(list(items), "and" if _en(lang) else "et")


def _join(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
