"""How the tool says numbers, sizes, formats and severities (validator_core.wording)."""

from __future__ import annotations

import pytest

from validator_core import wording

NN = "\u202f"


@pytest.mark.parametrize(("n", "fr", "en"), [
    (0, "0 octet", "0 bytes"),
    (1, "1 octet", "1 byte"),
    (512, "512 octets", "512 bytes"),
    (1_000, "1 ko", "1 kB"),
    (800_000, "800 ko", "800 kB"),
    (999_999, "1 Mo", "1 MB"),  # not « 1 000 ko »
    (1_500_000, "1,5 Mo", "1.5 MB"),
    (12_345_678, "12,3 Mo", "12.3 MB"),
    (60_000_000, "60 Mo", "60 MB"),
    (250_000_000, "250 Mo", "250 MB"),
    (3_000_000_000, "3 Go", "3 GB"),
])
def test_size_in_decimal_units(n: int, fr: str, en: str) -> None:
    assert wording.size(n) == fr
    assert wording.size(n, "en") == en


@pytest.mark.parametrize(("n", "fr", "en"), [
    (20_000, f"20{NN}000", "20,000"),
    (1_234_567, f"1{NN}234{NN}567", "1,234,567"),
    (999, "999", "999"),
    (1.5, "1,5", "1.5"),
    (2.0, "2", "2"),
    (0.125, "0,12", "0.12"),
    (12_345.5, f"12{NN}345,5", "12,345.5"),
])
def test_number_groups_thousands_and_uses_the_language_decimal_mark(n: float, fr: str, en: str) -> None:
    assert wording.number(n) == fr
    assert wording.number(n, "en") == en


def test_count_agrees_the_noun() -> None:
    assert wording.count(1, "doublon", "doublons") == "1 doublon"
    assert wording.count(3, "doublon", "doublons") == "3 doublons"
    assert wording.count(0, "accepté", "acceptés") == "0 accepté"  # French: 0 is singular
    assert wording.count(0, "error", "errors", "en") == "0 errors"  # English: only 1 is
    assert wording.count(1, "error", "errors", "en") == "1 error"
    assert wording.count(20_000, "ligne", "lignes") == f"20{NN}000 lignes"


def test_severity_in_french_and_english() -> None:
    assert [wording.severity(s) for s in ("error", "warning", "info")] == ["erreur", "avertissement", "information"]
    assert [wording.severity(s, "en") for s in ("error", "warning", "info")] == ["error", "warning", "info"]


@pytest.mark.parametrize(("media_type", "fr", "en"), [
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document Word (.docx)",
     "Word document (.docx)"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "classeur Excel (.xlsx)",
     "Excel workbook (.xlsx)"),
    ("application/vnd.oasis.opendocument.text", "document OpenDocument (.odt)", "OpenDocument text (.odt)"),
    ("image/gif", "image GIF", "GIF image"),
    ("image/png", "image PNG", "PNG image"),
    ("application/zip", "archive ZIP", "ZIP archive"),
    ("video/mp4", "vidéo MP4", "MP4 video"),
    ("application/pdf", "document PDF", "PDF document"),
    ("text/plain", "texte brut", "plain text"),
    ("text/plain; charset=us-ascii", "texte brut", "plain text"),
])
def test_format_name_names_formats_as_people_do(media_type: str, fr: str, en: str) -> None:
    assert wording.format_name(media_type) == fr
    assert wording.format_name(media_type, "en") == en


def test_format_name_of_an_unknown_type_is_generic_and_never_upper_cased() -> None:
    assert wording.format_name("image/x-xcf") == "image (image/x-xcf)"
    assert wording.format_name("application/x-frobnicate") == "fichier (application/x-frobnicate)"
    assert wording.format_name("application/x-frobnicate", "en") == "file (application/x-frobnicate)"
    assert "FROBNICATE" not in wording.format_name("APPLICATION/X-FROBNICATE")


def test_lists_joined_with_or_and_and() -> None:
    assert wording.either(["A", "B", "C"]) == "A, B ou C"
    assert wording.either(["A", "B"], "en") == "A or B"
    assert wording.both(["A", "B", "C"]) == "A, B et C"
    assert wording.both(["A"], "en") == "A"


def test_office_documents_are_recognised() -> None:
    assert wording.is_office_document("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert wording.is_office_document("application/vnd.oasis.opendocument.spreadsheet")
    assert wording.is_office_document("application/msword")
    assert not wording.is_office_document("application/pdf")
    assert not wording.is_office_document("application/zip")
