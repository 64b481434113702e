"""The core pipeline on real files: size, format allowlist by content, extensions, inference."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import formats
from validator_core import Report, Severity, UnknownProofType, UnsupportedLanguage, Verdict

pytestmark = pytest.mark.skipif(not formats.have_ffmpeg(), reason="ffmpeg is needed for real video fixtures")


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("formats")
    out = {c: formats.make_video(d, c, seconds=3.5) for c in ("mp4", "webm", "mkv")}
    out["png"] = formats.make_image(d, "PNG")
    out["jpg"] = formats.make_image(d, "JPEG")
    out["gif"] = formats.make_image(d, "GIF")
    out["pdf"] = formats.make_pdf(d)
    out["docx"] = formats.make_docx(d)
    out["html"] = formats.make_html(d)
    return out


def core_codes(report: Report) -> list[str]:
    return [f.code for f in report.findings if f.plugin == "core"]


def test_empty_file_is_rejected(engine, tmp_path):
    empty = tmp_path / "vide.mp4"
    empty.touch()
    report = engine.validate(empty, "video")
    assert report.verdict == Verdict.REJECTED
    assert core_codes(report) == ["file.empty"]
    assert report.file.size == 0
    assert report.findings[0].message.startswith("Le fichier est vide")


@pytest.mark.parametrize("proof_type,limit", [("logs", 1_000_000), ("report_link", 1_000_000)])
def test_size_limit_is_inclusive(engine, tmp_path, proof_type, limit):
    at = formats.make_sized(tmp_path, "at.log", limit, b"ligne de log\n" * 10)
    over = formats.make_sized(tmp_path, "over.log", limit + 1, b"ligne de log\n" * 10)
    assert "file.too_large" not in engine.validate(at, proof_type).codes
    report = engine.validate(over, proof_type)
    assert report.verdict == Verdict.REJECTED
    assert "file.too_large" in report.codes
    too_large = next(f for f in report.findings if f.code == "file.too_large")
    assert too_large.details == {"size": limit + 1, "limit": limit, "limit_mo": "1", "proof_type": proof_type}
    assert report.file.sha256 is None  # nothing past the limit is read


def test_video_limit_is_50_decimal_megabytes(engine, samples, tmp_path):
    head = samples["mp4"].read_bytes()
    at = formats.make_sized(tmp_path, "at.mp4", 50_000_000, head)
    over = formats.make_sized(tmp_path, "over.mp4", 50_000_001, head)
    assert "file.too_large" not in engine.validate(at, "video").codes
    over_report = engine.validate(over, "video")
    assert over_report.codes == ["file.too_large"]
    assert over_report.file.media_type == "video/mp4"  # still says what it is


@pytest.mark.parametrize(
    "sample,proof_type",
    [("gif", "screenshot"), ("webm", "video"), ("mkv", "video"), ("docx", "pdf_report"), ("png", "pdf_report")],
)
def test_formats_outside_the_ans_table_are_not_allowed(engine, samples, sample, proof_type):
    report = engine.validate(samples[sample], proof_type)
    assert report.verdict == Verdict.REJECTED
    assert core_codes(report) == ["format.not_allowed"]
    finding = report.findings[0]
    assert finding.severity == Severity.ERROR
    expected_allowed = {"screenshot": "PNG, JPEG, MP4, MOV, AVI, FLV", "video": "MP4, MOV, AVI, FLV, PNG, JPEG",
                        "pdf_report": "PDF"}[proof_type]
    assert finding.details["allowed"] == expected_allowed
    assert finding.details["media_type"] == report.file.media_type != "application/octet-stream"


def test_pdf_named_mp4_and_html_named_png_are_rejected(engine, samples, tmp_path):
    pdf_as_mp4 = engine.validate(samples["pdf"], "video", filename="demo.mp4")
    assert pdf_as_mp4.verdict == Verdict.REJECTED
    assert "format.not_allowed" in pdf_as_mp4.codes
    assert pdf_as_mp4.file.media_type == "application/pdf"
    html_as_png = engine.validate(samples["html"], "screenshot", filename="capture.png")
    assert html_as_png.verdict == Verdict.REJECTED
    assert "format.not_allowed" in html_as_png.codes


def test_allowed_content_under_the_wrong_extension_is_a_warning(engine, samples):
    report = engine.validate(samples["mp4"], "video", filename="demo.avi")
    mismatch = [f for f in report.findings if f.code == "format.extension_mismatch"]
    assert len(mismatch) == 1 and mismatch[0].severity == Severity.WARNING
    assert mismatch[0].details["expected"].startswith(".mp4")
    assert all(f.severity != Severity.ERROR for f in report.findings if f.plugin == "core")


def test_double_extension_is_judged_by_the_last_one(engine, samples):
    report = engine.validate(samples["png"], "screenshot", filename="capture.png.php")
    assert report.file.extension == "php"
    assert "format.extension_mismatch" in report.codes


def test_hidden_characters_in_the_name_are_reported(engine, samples):
    report = engine.validate(samples["png"], "screenshot", filename="capture\u202egnp.exe")
    assert "file.suspicious_name" in report.codes
    assert "\u202e" not in report.file.name


def test_jpeg_extension_variants_are_all_fine(engine, samples):
    for name in ("a.jpg", "a.jpeg", "A.JPG"):
        assert "format.extension_mismatch" not in engine.validate(samples["jpg"], "screenshot", filename=name).codes


@pytest.mark.parametrize(
    "sample,expected",
    [("mp4", "video"), ("png", "screenshot"), ("jpg", "screenshot"), ("pdf", "pdf_report"), ("gif", "screenshot")],
)
def test_type_is_inferred_from_content(engine, samples, sample, expected):
    report = engine.validate(samples[sample])
    assert report.proof_type == expected
    assert report.proof_type_inferred is True
    assert "type.inferred" in report.codes


def test_text_with_links_is_a_report_link_and_other_text_is_logs(engine, tmp_path):
    link = tmp_path / "rapport.txt"
    link.write_text("https://interop.esante.gouv.fr/evs/report.seam?oid=1.2.3.4\n")
    log = tmp_path / "serveur.log"
    log.write_text("\n".join(f"2024-03-0{i % 9 + 1} 10:00:00 INFO tâche {i} terminée" for i in range(50)))
    assert engine.validate(link).proof_type == "report_link"
    assert engine.validate(log).proof_type == "logs"


def test_messages_follow_the_language_codes_do_not(engine, samples):
    fr = engine.validate(samples["gif"], "screenshot")
    en = engine.validate(samples["gif"], "screenshot", lang="en")
    assert fr.codes == en.codes
    assert "« Capture d'écran » n'accepte pas" in fr.findings[0].message and "image GIF" in fr.findings[0].message
    assert "does not accept" in en.findings[0].message and "GIF image" in en.findings[0].message


def test_bad_requests_raise_precise_errors(engine, samples):
    with pytest.raises(UnknownProofType) as info:
        engine.validate(samples["png"], "capture")
    assert "screenshot" in info.value.valid and "capture" in info.value.message
    with pytest.raises(UnsupportedLanguage):
        engine.validate(samples["png"], "screenshot", lang="de")
    with pytest.raises(FileNotFoundError):
        engine.validate(samples["png"].parent / "absent.png", "screenshot")


def test_report_carries_contract_fields(engine, samples):
    data = engine.validate(samples["png"], "screenshot").to_dict()
    assert set(data) == {"verdict", "proof_type", "proof_type_inferred", "file", "findings", "facts", "engine", "elapsed_ms"}
    assert set(data["file"]) == {"name", "size", "sha256", "media_type", "extension"}
    import hashlib

    assert data["file"]["sha256"] == hashlib.sha256(samples["png"].read_bytes()).hexdigest()
    assert data["engine"]["rules"].startswith("ans-guide-editeur-segur-s5@")
    assert "screenshot" in data["engine"]["plugins"]
