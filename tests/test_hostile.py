"""The hostile-file suite: every crafted file gets a precise report within the timeout.

One table, all generated at test time by real tools (ffmpeg, Pillow, qpdf, pikepdf, zipfile), all
through the engine with its worker isolation. Each row says which code must come out; no row may end
in ``check.timeout`` or ``check.crashed`` (those would mean a parser got the better of a plugin), the
engine must still answer a normal file afterwards, and the caller's process must not leak descriptors.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import pytest

from fixtures import formats, media, pdfs, texts
from fixtures import media_hostile as mh
from validator_core import Verdict

SECRET = "CONTENU-SECRET-NE-DOIT-PAS-FUIR"


def _xxe(d: Path) -> Path:
    target = d / "secret.txt"
    target.write_text(SECRET)
    return texts.make_xxe(d, target)


# name -> (maker, proof type, expected code, expected verdict)
CASES: dict[str, tuple[Callable[[Path], Path], str, str, Verdict]] = {
    "zero-length mp4": (lambda d: formats.make_sized(d, "vide.mp4", 0), "video", "file.empty", Verdict.REJECTED),
    "mp4 cut before moov": (media.make_mp4_without_moov, "video", "video.index_missing", Verdict.REJECTED),
    "mp4 cut mid-data": (media.make_truncated_faststart_mp4, "video", "video.truncated", Verdict.REJECTED),
    "junk after ftyp": (media.make_junk_after_ftyp, "video", "video.index_missing", Verdict.REJECTED),
    "png cut in half": (lambda d: media.cut(media.make_picture(d, "full.png"), "half.png", keep=0.5),
                        "screenshot", "screenshot.truncated", Verdict.REJECTED),
    "png + zip polyglot": (lambda d: media.append(media.make_picture(d, "p.png"), "poly.png", media.zip_bytes()),
                           "screenshot", "screenshot.polyglot", Verdict.REJECTED),
    "png + pdf polyglot": (lambda d: media.append(media.make_picture(d, "q.png"), "polypdf.png", media.pdf_bytes()),
                           "screenshot", "screenshot.polyglot", Verdict.REJECTED),
    "png bomb (144 Mpx)": (media.make_png_bomb, "screenshot", "screenshot.too_many_pixels", Verdict.REJECTED),
    "png header bomb": (media.make_png_header_bomb, "screenshot", "screenshot.too_many_pixels", Verdict.REJECTED),
    "billion laughs": (texts.make_billion_laughs, "logs", "logs.xml_doctype", Verdict.ACCEPTED_WITH_WARNINGS),
    "xxe": (_xxe, "logs", "logs.xml_doctype", Verdict.ACCEPTED_WITH_WARNINGS),
    "zip bomb": (texts.make_zip_bomb, "logs", "logs.zip_bomb", Verdict.ACCEPTED_WITH_WARNINGS),
    "pdf 100k nested arrays": (pdfs.nested_arrays_pdf, "pdf_report", "pdf_report.objects_unreadable", None),
    "pdf 3000 pages": (pdfs.many_pages_pdf, "pdf_report", "pdf_report.pdfa_missing", Verdict.ACCEPTED_WITH_WARNINGS),
    "pdf flate bomb": (pdfs.flate_bomb_pdf, "pdf_report", None, None),
    "pdf cyclic page tree": (pdfs.cyclic_pdf, "pdf_report", None, None),
    "pdf encrypted (user password)": (pdfs.encrypted_pdf, "pdf_report", "pdf_report.encrypted", Verdict.REJECTED),
    "pdf javascript in object streams": (pdfs.javascript_pdf, "pdf_report", "pdf_report.active_content", Verdict.REJECTED),
    "pdf named .mp4": (lambda d: formats.make_pdf(d, name="demo.mp4"), "video", "format.not_allowed", Verdict.REJECTED),
    "html named .png": (lambda d: formats.make_html(d, name="capture.png"), "screenshot", "format.not_allowed",
                        Verdict.REJECTED),
    # Issue 12: small files that used to pin a worker for the whole timeout, refused before any parser.
    "mp4 stts declaring 2^32-1 entries": (lambda d: mh.make_sample_table_lie(d, b"stts"), "video",
                                          "video.sample_table_invalid", Verdict.REJECTED),
    "mp4 elst declaring 2^32-1 entries": (lambda d: mh.make_sample_table_lie(d, b"elst"), "video",
                                          "video.sample_table_invalid", Verdict.REJECTED),
    "mp4 of 10,001 empty boxes": (mh.make_mp4_many_boxes, "video", "video.too_complex", Verdict.REJECTED),
    "jpeg of 99,000 scans": (mh.make_jpeg_many_scans, "screenshot", "screenshot.too_complex", Verdict.REJECTED),
    "jpeg of 2,500 comments": (mh.make_jpeg_many_segments, "screenshot", "screenshot.too_complex", Verdict.REJECTED),
    "png of 25,000 empty chunks": (mh.make_png_many_chunks, "screenshot", "screenshot.too_complex", Verdict.REJECTED),
    # Issue 12: unplayable videos and damaged pictures that were accepted.
    "mp4 without mdat": (mh.make_mp4_without_mdat, "video", "video.no_media_data", Verdict.REJECTED),
    "mp4 zeroed media data": (mh.make_mp4_zeroed_media, "video", "video.frames_undecodable", Verdict.REJECTED),
    "mp4 random media data": (mh.make_mp4_random_media, "video", "video.frames_undecodable", Verdict.REJECTED),
    "mp4 chunk offsets past the end": (mh.make_mp4_offsets_past_end, "video", "video.frames_undecodable",
                                       Verdict.REJECTED),
    "avi zeroed frames": (mh.make_avi_zeroed_frames, "video", "video.frames_undecodable", Verdict.REJECTED),
    "jpeg sof 7000x7000 over a 1280x720 scan": (mh.make_jpeg_oversized_frame, "screenshot",
                                                "screenshot.data_incomplete", Verdict.REJECTED),
    "jpeg invalid huffman data": (mh.make_jpeg_damaged_scan, "screenshot", "screenshot.decode_error", Verdict.REJECTED),
    "png stream holding a quarter of its rows": (mh.make_png_short_stream, "screenshot", "screenshot.data_incomplete",
                                                 Verdict.REJECTED),
    # Issue 12: polyglots where a head-and-trailer scan does not look.
    "png with a zip64 archive in a chunk": (mh.make_png_with_zip64_chunk, "screenshot", "screenshot.polyglot",
                                            Verdict.REJECTED),
    "jpeg with a zip64 archive in a comment": (mh.make_jpeg_with_zip64_comment, "screenshot", "screenshot.polyglot",
                                               Verdict.REJECTED),
    "jpeg with php in a comment": (mh.make_jpeg_with_php_comment, "screenshot", "screenshot.polyglot", Verdict.REJECTED),
    "png with html in a text chunk after 1 KB": (mh.make_png_text_after_first_kb, "screenshot", "screenshot.polyglot",
                                                 Verdict.REJECTED),
}

needs_ffmpeg = pytest.mark.skipif(not media.have_ffmpeg(), reason="ffmpeg needed")


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


@needs_ffmpeg
def test_every_hostile_file_gets_a_precise_report(engine, tmp_path):
    timeout = engine.limits().check_timeout_s
    warm = engine.validate(formats.make_image(tmp_path, "PNG", name="before.png"), "screenshot")  # pool up
    assert warm.verdict == Verdict.ACCEPTED
    fds_before = _fd_count()
    slowest = (0.0, "")
    failures = []
    for name, (make, proof_type, code, verdict) in CASES.items():
        case_dir = tmp_path / name.replace(" ", "_").replace("/", "_")
        case_dir.mkdir()
        path = make(case_dir)
        started = time.monotonic()
        report = engine.validate(path, proof_type)
        elapsed = time.monotonic() - started
        slowest = max(slowest, (elapsed, name))
        codes = report.codes
        if elapsed > timeout:
            failures.append(f"{name}: {elapsed:.1f} s > {timeout} s")
        if {"check.timeout", "check.crashed"} & set(codes):
            failures.append(f"{name}: isolation had to step in: {codes}")
        if code is not None and code not in codes:
            failures.append(f"{name}: expected {code}, got {codes}")
        if verdict is not None and report.verdict != verdict:
            failures.append(f"{name}: expected {verdict.value}, got {report.verdict.value}")
        if SECRET in str(report.to_dict()):
            failures.append(f"{name}: file content leaked into the report")
    assert failures == [], "\n".join(failures)
    print(f"slowest hostile file: {slowest[1]} ({slowest[0]:.2f} s)")
    # The pool is healthy afterwards and the caller's process holds no extra descriptors.
    ok = engine.validate(formats.make_image(tmp_path, "PNG", name="after.png"), "screenshot")
    assert ok.verdict == Verdict.ACCEPTED, ok.codes
    assert _fd_count() == fds_before
