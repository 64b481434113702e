"""The ``screenshot`` plugin, on pictures Pillow makes at test time (and broken or crafted variants)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import media
from plugins import screenshot as shot_plugin
from validator_core.proof import Proof
from validator_core.rules import default_rules_text, load_rules, parse_rules

DOCS = Path(__file__).resolve().parents[1] / "docs" / "checks" / "screenshot.md"


@pytest.fixture(scope="session")
def pictures(fixtures_dir) -> dict[str, Path]:
    d = fixtures_dir / "screenshot"
    d.mkdir(exist_ok=True)
    p: dict[str, Path] = {
        "ok.png": media.make_picture(d, "ok.png", dpi=(96, 96)),
        "ok.jpg": media.make_picture(d, "ok.jpg", quality=85),
        "xga.png": media.make_picture(d, "xga.png", size=(1024, 768)),
        "progressive.jpg": media.make_picture(d, "progressive.jpg", progressive=True, quality=80),
        "small.png": media.make_picture(d, "small.png", size=(800, 600)),
        "blank.png": media.make_blank(d, "blank.png"),
        "grainy_blank.jpg": media.make_blank(d, "grainy_blank.jpg", noise=3),
        "bomb.png": media.make_png_bomb(d),
        "bomb_header.png": media.make_png_header_bomb(d),
        "corrupt.png": media.make_corrupt_png(d),
        "disguised.jpg": media.make_jpeg_header_png_body(d),
        "exif.jpg": media.make_jpeg_with_exif(d),
        "script.png": media.make_png_with_script_text(d),
    }
    p["rgba.png"] = media.make_picture(d, "rgba.png")
    from PIL import Image

    Image.open(p["rgba.png"]).convert("RGBA").save(p["rgba.png"])
    p["truncated.png"] = media.cut(p["ok.png"], "truncated.png", keep=0.6)
    p["truncated.jpg"] = media.cut(p["ok.jpg"], "truncated.jpg", keep=0.6)
    p["header_only.png"] = media.cut(p["ok.png"], "header_only.png", keep=0.0004)  # 31 bytes: IHDR cut
    p["zip.png"] = media.append(p["ok.png"], "zip.png", media.zip_bytes())
    p["zip.jpg"] = media.append(p["ok.jpg"], "zip.jpg", media.zip_bytes())
    p["pdf.jpg"] = media.append(p["ok.jpg"], "pdf.jpg", media.pdf_bytes())
    p["html.png"] = media.append(p["ok.png"], "html.png", b"<HTML><body>x</body></html>")
    p["trailer.png"] = media.append(p["ok.png"], "trailer.png", b"some bytes after IEND")
    p["trailer.jpg"] = media.append(p["ok.jpg"], "trailer.jpg", b"some bytes after EOI")
    p["nul_padding.jpg"] = media.append(p["ok.jpg"], "nul_padding.jpg", b"\x00" * 512)
    return p


def plugin_codes(report) -> set[str]:
    return {f.code for f in report.findings if f.plugin == "screenshot"}


def only(report, code):
    [finding] = [f for f in report.findings if f.code == code]
    return finding


# -- good pictures --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, fmt, size", [("ok.png", "PNG", (1600, 900)), ("ok.jpg", "JPEG", (1600, 900)),
                                             ("xga.png", "PNG", (1024, 768)),
                                             ("progressive.jpg", "JPEG", (1600, 900)),
                                             ("rgba.png", "PNG", (1600, 900))])
def test_good_screenshots_are_accepted_with_their_facts(engine, pictures, name, fmt, size):
    report = engine.validate(pictures[name], "screenshot")
    assert report.verdict.value == "accepted", report.findings
    facts = report.facts["screenshot"]
    assert facts["format"] == fmt
    assert (facts["width"], facts["height"]) == size
    assert facts["luminance_stddev"] > 10


def test_mode_and_dpi_are_facts(engine, pictures):
    facts = engine.validate(pictures["ok.png"], "screenshot").facts["screenshot"]
    assert facts["mode"] == "RGB"
    assert facts["dpi"] == [pytest.approx(96, abs=0.1)] * 2
    assert engine.validate(pictures["rgba.png"], "screenshot").facts["screenshot"]["mode"] == "RGBA"


def test_a_picture_filed_as_video_gets_the_screenshot_checks(engine, pictures):
    report = engine.validate(pictures["ok.png"], "video")
    assert report.verdict.value == "accepted"
    assert "screenshot" in report.facts and "video" not in report.facts


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bomb.png", "bomb_header.png"])
def test_decompression_bombs_are_refused_before_decoding(engine, pictures, name):
    report = engine.validate(pictures[name], "screenshot")
    assert plugin_codes(report) == {"screenshot.too_many_pixels"}
    finding = only(report, "screenshot.too_many_pixels")
    assert finding.details["max_megapixels"] == "50"
    side = 12_000 if name == "bomb.png" else 100_000
    assert (finding.details["width"], finding.details["height"]) == (side, side)
    assert "luminance_stddev" not in report.facts["screenshot"]  # never decoded


@pytest.mark.parametrize("name, reason", [("truncated.png", "IDAT"), ("truncated.jpg", "jpeg_eoi_missing"),
                                          ("header_only.png", "IHDR")])
def test_truncated_pictures_are_rejected(engine, pictures, name, reason):
    report = engine.validate(pictures[name], "screenshot")
    assert plugin_codes(report) == {"screenshot.truncated"}
    assert reason in only(report, "screenshot.truncated").details["reason"]


def test_flipped_bytes_are_caught_by_the_chunk_checksum(engine, pictures):
    report = engine.validate(pictures["corrupt.png"], "screenshot")
    assert plugin_codes(report) == {"screenshot.corrupt"}
    assert "IDAT" in only(report, "screenshot.corrupt").details["reason"]


def test_corrupt_data_with_a_valid_structure_fails_decoding(pictures, tmp_path):
    """Same flipped bytes, CRC recomputed: only decoding the picture can tell."""
    import struct
    import zlib

    data = bytearray(pictures["corrupt.png"].read_bytes())
    idat = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[idat : idat + 4])[0]
    crc_at = idat + 8 + length
    data[crc_at : crc_at + 4] = struct.pack(">I", zlib.crc32(bytes(data[idat + 4 : crc_at])))
    path = tmp_path / "crc_fixed.png"
    path.write_bytes(bytes(data))
    inspection = shot_plugin.preuves_inspect(_proof(path, "png"))
    assert {f.code for f in inspection.findings} == {"screenshot.corrupt"}


def test_jpeg_header_on_other_content_is_not_an_image(engine, pictures):
    report = engine.validate(pictures["disguised.jpg"], "screenshot")
    assert report.file.media_type == "image/jpeg"  # what libmagic believes
    assert "screenshot.not_an_image" in plugin_codes(report)
    assert report.verdict.value == "rejected"


@pytest.mark.parametrize("name, signature", [("zip.png", "archive"), ("zip.jpg", "archive"),
                                             ("pdf.jpg", "document"), ("html.png", "html")])
def test_a_file_hidden_after_the_picture_is_a_polyglot(engine, pictures, name, signature):
    report = engine.validate(pictures[name], "screenshot")
    assert report.verdict.value == "rejected"
    finding = only(report, "screenshot.polyglot")
    assert finding.details["signature"] == signature and finding.details["location"] == "trailer"
    assert finding.details["offset"] >= report.file.size - report.facts["screenshot"]["trailing_bytes"]
    assert "screenshot.trailing_data" not in plugin_codes(report)


def test_script_in_the_first_kilobyte_is_a_polyglot(engine, pictures):
    report = engine.validate(pictures["script.png"], "screenshot")
    finding = only(report, "screenshot.polyglot")
    assert finding.details["signature"] == "html" and finding.details["location"] == "head"
    assert finding.details["offset"] < 1024
    assert f"à la position {finding.details['offset']}" in finding.message


def test_zip_hidden_in_a_chunk_before_iend_is_found(pictures, tmp_path):
    """An archive in a private chunk just before IEND: nothing trails the picture, the head is clean,
    yet a ZIP reader (which looks for the end record from the end) opens the file as an archive. The
    chunk's payload is scanned: the finding names the chunk and the local header's offset."""
    import struct
    import zlib

    payload = media.zip_bytes()
    chunk = struct.pack(">I", len(payload)) + b"zzIP" + payload
    chunk += struct.pack(">I", zlib.crc32(chunk[4:]))
    data = pictures["ok.png"].read_bytes()
    path = tmp_path / "zip_in_chunk.png"
    path.write_bytes(data[:-12] + chunk + data[-12:])  # IEND is the last 12 bytes
    inspection = shot_plugin.preuves_inspect(_proof(path, "png"))
    assert [(f.code, f.details["location"], f.details["container"]) for f in inspection.findings] == [
        ("screenshot.polyglot", "chunk", "zzIP")]
    assert inspection.findings[0].details["offset"] == len(data) - 12 + 8  # the local header, in the chunk
    assert "trailing_bytes" not in inspection.facts

    import zipfile

    assert zipfile.ZipFile(path).namelist() == ["payload.txt"]  # it really is an archive too


def test_zip_hidden_in_pixel_data_is_found_by_its_end_record(pictures, tmp_path):
    """Pixel chunks are not scanned (compressed data matches signatures by chance), but an archive
    there still has its end record near the end of the file, where ZIP readers look."""
    import struct
    import zipfile
    import zlib

    payload = media.zip_bytes()
    chunk = struct.pack(">I", len(payload)) + b"IDAT" + payload  # after the image's zlib stream ends
    chunk += struct.pack(">I", zlib.crc32(chunk[4:]))
    data = pictures["ok.png"].read_bytes()
    path = tmp_path / "zip_in_idat.png"
    path.write_bytes(data[:-12] + chunk + data[-12:])
    inspection = shot_plugin.preuves_inspect(_proof(path, "png"))
    assert [(f.code, f.details["location"]) for f in inspection.findings] == [("screenshot.polyglot", "end")]
    assert zipfile.ZipFile(path).namelist() == ["payload.txt"]


# -- warnings --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["blank.png", "grainy_blank.jpg"])
def test_blank_captures_are_a_warning(engine, pictures, name):
    report = engine.validate(pictures[name], "screenshot")
    assert plugin_codes(report) == {"screenshot.blank"}
    assert float(only(report, "screenshot.blank").details["stddev"]) < 2


def test_small_picture_is_a_warning(engine, pictures):
    report = engine.validate(pictures["small.png"], "screenshot")
    assert plugin_codes(report) == {"screenshot.resolution_low"}
    assert "800×600" in only(report, "screenshot.resolution_low").message


@pytest.mark.parametrize("name", ["trailer.png", "trailer.jpg"])
def test_plain_trailing_bytes_are_a_warning(engine, pictures, name):
    report = engine.validate(pictures[name], "screenshot")
    assert plugin_codes(report) == {"screenshot.trailing_data"}
    assert only(report, "screenshot.trailing_data").details["trailing_bytes"] == 20 + name.endswith(".png")


def test_nul_padding_after_the_end_is_not_reported(engine, pictures):
    report = engine.validate(pictures["nul_padding.jpg"], "screenshot")
    assert report.verdict.value == "accepted"
    assert report.facts["screenshot"]["trailing_bytes"] == 512


def test_gps_and_serial_number_in_exif_are_privacy_warnings(engine, pictures):
    report = engine.validate(pictures["exif.jpg"], "screenshot")
    assert plugin_codes(report) == {"screenshot.exif_gps", "screenshot.exif_serial"}
    serial = only(report, "screenshot.exif_serial")
    assert serial.details == {"tags": "BodySerialNumber"}
    assert "SN-0042" not in str(report.to_dict())  # the value itself never reaches the report


def test_thresholds_come_from_the_rules(pictures):
    text = default_rules_text().replace("max_pixels = 50_000_000", "max_pixels = 1_000_000")
    text = text.replace("blank_max_stddev = 2.0", "blank_max_stddev = 60.0")
    rules = parse_rules(text, "test")
    codes = {f.code for f in shot_plugin.preuves_inspect(_proof(pictures["ok.png"], "png", rules)).findings}
    assert codes == {"screenshot.too_many_pixels"}
    codes = {f.code for f in shot_plugin.preuves_inspect(_proof(pictures["small.png"], "png", rules)).findings}
    assert codes == {"screenshot.blank", "screenshot.resolution_low"}


# -- bad input: a report, quickly, never a crash ----------------------------------------------------


def test_hostile_pictures_never_crash_the_check(engine, pictures):
    for name, path in pictures.items():
        report = engine.validate(path, "screenshot")
        assert not {f.code for f in report.findings} & {"check.crashed", "check.timeout"}, name
        for finding in report.findings:
            assert "{" not in finding.message and finding.message != finding.code, (name, finding)
        for finding in engine.validate(path, "screenshot", lang="en").findings:
            assert "{" not in finding.message, (name, finding)


def test_every_code_is_documented_with_its_french_message():
    text = DOCS.read_text(encoding="utf-8")
    registered = {}
    shot_plugin.preuves_register_messages(lambda code, fr, en, **_words: registered.setdefault(code, fr))
    assert len(registered) == 16
    for code, fr in registered.items():
        assert f"`{code}`" in text, code
        assert fr.split("{")[0].strip()[:30] in text, code


_RULES = load_rules()


def _proof(path: Path, fmt: str, rules=None) -> Proof:
    return Proof(path=str(path), name=path.name, size=path.stat().st_size,
                 media_type="image/png" if fmt == "png" else "image/jpeg", format=fmt,
                 extension=path.suffix[1:], proof_type="screenshot", rules=rules or _RULES,
                 head=path.read_bytes()[:4096])
