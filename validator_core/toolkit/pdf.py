"""A PDF opened with qpdf (pikepdf) under decoding limits: the opener of the ``pdf_report`` plugin.

qpdf (C++, fuzzed continuously) reads only the objects asked for. :func:`open_pdf` sets its global
limits before opening: every decoder (Flate, RunLength, PNG and TIFF predictors, DCT) stops at
``max_decompressed_bytes`` of output (a Flate bomb stops there) and the parser reads at most
``max_container_items`` elements of one array or dictionary (past it qpdf reads null and says so in a
warning, :meth:`pikepdf.Pdf.get_warnings`). The file is mapped, not read whole, and opened with the
empty user password only. ``pikepdf`` is imported on first use::

    from validator_core.toolkit.pdf import PdfEncrypted, PdfUnreadable, open_pdf

    limits = proof.thresholds("myplugin")
    try:
        pdf = open_pdf(proof.path, max_decompressed_bytes=limits["max_decompressed_bytes"],
                       max_container_items=limits["max_container_items"])
    except PdfEncrypted:
        ...  # an open password: nobody at the ANS can read it
    except PdfUnreadable as exc:
        ...  # exc.reason names the error (never its text: it may quote the file)
    with pdf:
        pages = len(pdf.pages)

qpdf's limits are process-wide: set them per file in a worker that inspects one file at a time (the
engine's workers do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pikepdf

__all__ = ["PdfUnreadable", "PdfEncrypted", "open_pdf", "qpdf_limits"]


class PdfUnreadable(Exception):
    """qpdf cannot open the file, even leniently. ``reason`` is the error's type name only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PdfEncrypted(PdfUnreadable):
    """The file needs an open (user) password, or an encryption scheme qpdf cannot open (certificates)."""


def qpdf_limits(*, max_decompressed_bytes: int, max_container_items: int) -> dict[str, int]:
    """The arguments of :func:`pikepdf.settings.set_qpdf_limits` for these two bounds.

    qpdf's ``doc_max_warnings`` is left alone: setting it makes qpdf walk the page tree at open,
    unbounded and printing to stderr.
    """
    out = int(max_decompressed_bytes)
    return {
        "flate_max_memory": out,
        "run_length_max_memory": out,
        "png_max_memory": out,
        "tiff_max_memory": out,
        "dct_max_memory": out,
        "parser_max_container_size": int(max_container_items),
    }


def open_pdf(path: str, *, max_decompressed_bytes: int, max_container_items: int) -> "pikepdf.Pdf":
    """``path`` opened by qpdf under :func:`qpdf_limits`, pages not inheriting attributes, memory-mapped.

    :raises PdfEncrypted: an open password is needed (only the empty one is tried).
    :raises PdfUnreadable: qpdf refuses the file.
    """
    import pikepdf

    pikepdf.settings.set_qpdf_limits(**qpdf_limits(max_decompressed_bytes=max_decompressed_bytes,
                                                   max_container_items=max_container_items))
    try:
        return pikepdf.open(path, password="", inherit_page_attributes=False, access_mode=pikepdf.AccessMode.mmap)
    except pikepdf.PasswordError:
        raise PdfEncrypted("PasswordError") from None
    except (pikepdf.PdfError, RuntimeError, ValueError, OSError) as exc:
        if "encrypt" in str(exc).lower():  # a scheme qpdf cannot open: the ANS cannot either
            raise PdfEncrypted(type(exc).__name__) from None
        raise PdfUnreadable(type(exc).__name__) from None
