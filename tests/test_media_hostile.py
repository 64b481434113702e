"""Hostile videos and pictures (issue 12): bounded work, media data that must decode, hidden files.

Every file is built at test time (ffmpeg, Pillow, then raw bytes: ``fixtures/media_hostile.py``) and
checked through the engine (worker processes) for its exact code and details; the box walk, the frame
sampler and the picture walks are also tested directly on synthetic structures.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from fixtures import media
from fixtures import media_hostile as mh
from plugins import screenshot as shot_plugin
from plugins import screenshot_structure, video_boxes, video_frames
from plugins import video as video_plugin
from validator_core.proof import Proof
from validator_core.rules import default_rules_text, load_rules, parse_rules

pytestmark = pytest.mark.skipif(not media.have_ffmpeg(), reason="ffmpeg is needed for real video fixtures")

_RULES = load_rules()
_VIDEO = _RULES.thresholds("video")


def errors(report, plugin: str) -> set[str]:
    return {f.code for f in report.findings if f.plugin == plugin and f.severity.value == "error"}


def only(report, code):
    [found] = [f for f in report.findings if f.code == code]
    return found


def _proof(path: Path, fmt: str, rules=None) -> Proof:
    media_type = {"mp4": "video/mp4", "avi": "video/x-msvideo", "png": "image/png", "jpeg": "image/jpeg"}[fmt]
    return Proof(path=str(path), name=path.name, size=path.stat().st_size, media_type=media_type, format=fmt,
                 extension=path.suffix[1:], proof_type="screenshot" if fmt in ("png", "jpeg") else "video",
                 rules=rules or _RULES, head=path.read_bytes()[:256 * 1024])


@pytest.fixture(scope="module")
def base_mp4(tmp_path_factory) -> Path:
    return mh.small_mp4(tmp_path_factory.mktemp("base"), "base.mp4", size="1280x720")


# -- video: sample tables checked before libmediainfo ----------------------------------------------


@pytest.mark.parametrize("table", [b"stts", b"stsc", b"stsz", b"stco", b"stss", b"elst", b"stsd"])
def test_a_lying_sample_table_is_refused_before_libmediainfo(engine, base_mp4, tmp_path, table):
    path = mh.make_sample_table_lie(tmp_path, table, source=base_mp4)
    report = engine.validate(path, "video")
    assert report.verdict.value == "rejected"
    assert [f.code for f in report.findings if f.plugin == "video"] == ["video.sample_table_invalid"]
    details = only(report, "video.sample_table_invalid").details
    assert details["box"] == table.decode() and details["declared"] == 0xFFFFFFFF
    assert details["capacity"] < 1000 and details["track"] == 1
    assert details["path"].startswith("moov/trak[1]/") and details["path"].endswith(table.decode())
    assert report.facts.get("video", {}) == {}  # returned before libmediainfo: no container fact
    assert "4\u202f294\u202f967\u202f295 entrées" in report.findings[-1].message


def test_ctts_of_a_video_with_b_frames_is_checked_too(engine, tmp_path):
    source = mh.small_mp4(tmp_path, "bframes.mp4", extra=("-preset", "medium", "-bf", "3"))
    assert b"ctts" in source.read_bytes()
    report = engine.validate(mh.make_sample_table_lie(tmp_path, b"ctts", source=source), "video")
    assert only(report, "video.sample_table_invalid").details["box"] == "ctts"


def test_constant_size_samples_must_fit_in_the_media_data(engine, base_mp4, tmp_path):
    data = bytearray(base_mp4.read_bytes())
    at = data.index(b"stsz")
    data[at + 8 : at + 16] = struct.pack(">II", 1, 0xFFFFFFFF)  # sample_size 1, 2³²−1 samples
    path = tmp_path / "constant.mp4"
    path.write_bytes(bytes(data))
    details = only(engine.validate(path, "video"), "video.sample_table_invalid").details
    mdat = [b for b in mh.top_level(bytes(data)) if b[0] == b"mdat"][0]
    assert details["box"] == "stsz" and details["capacity"] == mdat[2] - 8


def _stbl_file(tmp_path: Path, payload_box: bytes) -> Path:
    """ftyp + moov/trak/mdia/minf/stbl/<payload_box> + an mdat of 1000 bytes."""
    stbl = mh.box(b"stbl", payload_box)
    moov = mh.box(b"moov", mh.box(b"trak", mh.box(b"mdia", mh.box(b"minf", stbl))))
    ftyp = mh.box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2")
    path = tmp_path / "synthetic.mp4"
    path.write_bytes(ftyp + moov + mh.box(b"mdat", bytes(1000)))
    return path


FULL = b"\x00\x00\x00\x00"  # version 0, flags 0
TABLES = {  # name -> (payload for n entries, entry size): a table holding exactly n entries
    b"stts": lambda n: FULL + struct.pack(">I", n) + bytes(8 * n),
    b"ctts": lambda n: FULL + struct.pack(">I", n) + bytes(8 * n),
    b"stsc": lambda n: FULL + struct.pack(">I", n) + bytes(12 * n),
    b"stco": lambda n: FULL + struct.pack(">I", n) + bytes(4 * n),
    b"co64": lambda n: FULL + struct.pack(">I", n) + bytes(8 * n),
    b"stss": lambda n: FULL + struct.pack(">I", n) + bytes(4 * n),
    b"elst": lambda n: FULL + struct.pack(">I", n) + bytes(12 * n),
    b"stsz": lambda n: FULL + struct.pack(">II", 0, n) + bytes(4 * n),
    b"stz2": lambda n: FULL + b"\x00\x00\x00\x10" + struct.pack(">I", n) + bytes(2 * n),  # 16-bit sizes
    b"trun": lambda n: b"\x00\x00\x03\x00" + struct.pack(">I", n) + bytes(8 * n),  # duration + size per sample
    b"sbgp": lambda n: FULL + b"roll" + struct.pack(">I", n) + bytes(8 * n),
    b"saio": lambda n: FULL + struct.pack(">I", n) + bytes(4 * n),
    b"saiz": lambda n: FULL + b"\x00" + struct.pack(">I", n) + bytes(n),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_table_layout_bounds_its_count_by_its_box(tmp_path, name):
    honest = TABLES[name](5)
    path = _stbl_file(tmp_path, mh.box(name, honest))
    walked = video_boxes.walk(str(path), path.stat().st_size, max_boxes=_VIDEO["max_boxes"])
    assert walked.lie is None and walked.media_bytes == 1000 and walked.top_level == ["ftyp", "moov", "mdat"]
    count_at = honest.index(struct.pack(">I", 5))  # the declared count, in the box's payload
    lying = honest[:count_at] + struct.pack(">I", 6) + honest[count_at + 4 :]
    path = _stbl_file(tmp_path, mh.box(name, lying))
    lie = video_boxes.walk(str(path), path.stat().st_size, max_boxes=_VIDEO["max_boxes"]).lie
    assert (lie.box, lie.declared, lie.capacity, lie.track) == (name.decode(), 6, 5, 1)
    assert lie.path == f"moov/trak[1]/mdia/minf/stbl/{name.decode()}"


def test_a_box_claiming_more_than_its_parent_is_clipped(tmp_path):
    """A table whose box says 4 GB is measured by what its parent really holds."""
    huge = struct.pack(">I", 0xFFFFFFF0) + b"stts" + FULL + struct.pack(">I", 1000) + bytes(16)  # 2 entries
    path = _stbl_file(tmp_path, huge)
    lie = video_boxes.walk(str(path), path.stat().st_size, max_boxes=_VIDEO["max_boxes"]).lie
    assert (lie.box, lie.declared, lie.capacity) == ("stts", 1000, 2)


def test_too_many_boxes_is_refused_quickly(engine, tmp_path):
    report = engine.validate(mh.make_mp4_many_boxes(tmp_path), "video")
    assert errors(report, "video") == {"video.too_complex"}
    assert only(report, "video.too_complex").details == {"container": "MP4", "limit": 10_000}


def test_the_box_bound_grows_with_the_file(tmp_path):
    """One box per KB is allowed past the base bound: a large fragmented recording is not refused."""
    path = tmp_path / "fragments.mp4"
    base = mh.small_mp4(tmp_path, "b.mp4").read_bytes()
    path.write_bytes(base + (mh.box(b"free", bytes(1100)) * 12_000))  # 12,000 boxes in 13 MB
    walked = video_boxes.walk(str(path), path.stat().st_size, max_boxes=_VIDEO["max_boxes"])
    assert not walked.too_many_boxes and walked.max_boxes == path.stat().st_size // 1024


# -- video: media data present and decodable -------------------------------------------------------


def test_an_index_without_media_data_is_rejected(engine, tmp_path):
    path = mh.make_mp4_without_mdat(tmp_path)
    assert path.stat().st_size < 4000
    report = engine.validate(path, "video")
    assert errors(report, "video") == {"video.no_media_data"}
    assert report.facts["video"]["duration_s"] == pytest.approx(3.5, abs=0.15)  # the index still says so
    assert "frames_decoded" not in report.facts["video"]


@pytest.mark.parametrize("make", [mh.make_mp4_zeroed_media, mh.make_mp4_random_media, mh.make_mp4_offsets_past_end,
                                  mh.make_avi_zeroed_frames])
def test_media_data_that_does_not_decode_is_rejected(engine, tmp_path, make):
    path = make(tmp_path)
    report = engine.validate(path, "video")
    assert errors(report, "video") == {"video.frames_undecodable"}
    details = only(report, "video.frames_undecodable").details
    assert details["failed"] == details["sampled"] == 3
    assert details["at_s"] == "0" and details["reason"]
    assert report.facts["video"]["frames_decoded"] == 0


def test_a_wiped_middle_is_found_at_its_position(engine, tmp_path):
    report = engine.validate(mh.make_mp4_wiped_middle(tmp_path), "video")
    assert errors(report, "video") == {"video.frames_undecodable"}
    details = only(report, "video.frames_undecodable").details
    assert (details["failed"], details["sampled"], details["at_s"]) == (1, 3, "15")
    assert report.facts["video"]["frames_decoded"] == 2  # start and 90 %: one frame each (decode_frames_per_position)
    assert "la première à 15 s" in only(report, "video.frames_undecodable").message


def _sample_frames(path: Path, **overrides) -> video_frames.FrameSample:
    """The frame sampler on an MP4 with the bounds of ``[thresholds.video]``, some overridden."""
    bounds = {"positions": tuple(_VIDEO["decode_positions"]), "frames_per_position": _VIDEO["decode_frames_per_position"],
              "max_packets_per_position": _VIDEO["decode_max_packets_per_position"], "max_pixels": _VIDEO["max_pixels"]}
    return video_frames.sample_frames(str(path), container_format="mp4", **{**bounds, **overrides})


def test_the_frame_sampler_keeps_decoded_frames_for_other_checks(base_mp4):
    sample = _sample_frames(base_mp4, keep_frames=True)
    assert sample.opened and sample.has_video and not sample.failed
    assert [p.target_s for p in sample.positions] == [0.0, 1.75, 3.15]
    first = sample.frames[0]
    assert first.key_frame and first.time_s == 0.0
    assert first.frame.to_image().size == (1280, 720)
    assert sample.messages == []


def test_the_frame_sampler_is_bounded_and_silent(tmp_path, capfd):
    """Random media data: every packet fails, yet at most max_packets are read per position, nothing
    reaches stderr (ffmpeg's log is captured) and the sampler does not raise."""
    path = mh.make_mp4_random_media(tmp_path)
    capfd.readouterr()
    sample = _sample_frames(path, max_packets_per_position=5)
    assert [p.packets for p in sample.positions] == [5, 5, 5]
    assert sample.decoded == 0 and sample.messages
    assert capfd.readouterr().err == ""


def test_a_picture_too_large_is_not_decoded(base_mp4):
    text = default_rules_text().replace("max_pixels = 50_000_000", "max_pixels = 900_000", 1)  # [thresholds.video]
    inspection = video_plugin.preuves_inspect(_proof_video(base_mp4, parse_rules(text, "test")))
    [found] = [f for f in inspection.findings if f.code == "video.too_many_pixels"]
    assert found.details == {"width": 1280, "height": 720, "megapixels": "0.9", "max_megapixels": "0.9"}


def _proof_video(path: Path, rules) -> Proof:
    return Proof(path=str(path), name=path.name, size=path.stat().st_size, media_type="video/mp4", format="mp4",
                 extension="mp4", proof_type="video", rules=rules, head=path.read_bytes()[:4096])


# -- pictures: work bounded before decoding ---------------------------------------------------------


def test_99000_scans_are_refused_before_decoding(engine, tmp_path):
    path = mh.make_jpeg_many_scans(tmp_path)
    assert 3_300_000 < path.stat().st_size < 3_500_000
    report = engine.validate(path, "screenshot")
    assert errors(report, "screenshot") == {"screenshot.too_complex"}
    details = only(report, "screenshot.too_complex").details
    assert (details["count"], details["limit"]) == (33, 32)
    assert "luminance_stddev" not in report.facts["screenshot"] and "width" not in report.facts["screenshot"]


@pytest.mark.parametrize("extra, refused", [(26, False), (27, True)])
def test_the_scan_bound_is_per_component(tmp_path, extra, refused):
    """Pillow's progressive script gives luminance 6 scans: 26 more reach the cap of 32, 27 pass it."""
    path = mh.make_jpeg_many_scans(tmp_path, scans=extra)
    codes = {f.code for f in shot_plugin.preuves_inspect(_proof(path, "jpeg")).findings}
    assert ("screenshot.too_complex" in codes) is refused
    if not refused:
        assert codes == {"screenshot.blank"}  # decoded (a flat grey picture)


def test_thousands_of_segments_or_chunks_are_refused(engine, tmp_path):
    jpeg = engine.validate(mh.make_jpeg_many_segments(tmp_path), "screenshot")
    assert errors(jpeg, "screenshot") == {"screenshot.too_complex"}
    assert only(jpeg, "screenshot.too_complex").details["limit"] == 2_000
    png = engine.validate(mh.make_png_many_chunks(tmp_path), "screenshot")
    assert errors(png, "screenshot") == {"screenshot.too_complex"}
    assert only(png, "screenshot.too_complex").details["limit"] == 20_000


def test_many_real_idat_chunks_in_a_large_file_are_allowed(tmp_path):
    """The chunk cap grows with the file (one per KB): 21,000 IDAT chunks in a 24 MB PNG still pass."""
    data = media.make_picture(tmp_path, "screen.png", size=(1600, 900)).read_bytes()
    pos, stream, head = 8, b"", b""
    while pos < len(data):
        length, name = struct.unpack(">I4s", data[pos : pos + 8])
        if name == b"IDAT":
            stream += data[pos + 8 : pos + 8 + length]
        elif name != b"IEND":
            head += data[pos : pos + 12 + length]
        pos += 12 + length
    pieces = b"".join(mh.chunk(b"IDAT", stream[i : i + 1024]) for i in range(0, len(stream), 1024))
    padding = mh.chunk(b"prVt", bytes(24 * 1024 * 1024))
    path = tmp_path / "rechunked.png"
    path.write_bytes(data[:8] + head + padding + pieces + mh.chunk(b"IDAT", b"") * 21_000 + mh.chunk(b"IEND", b""))
    assert {f.code for f in shot_plugin.preuves_inspect(_proof(path, "png")).findings} == set()


# -- pictures: data that cannot fill the picture, decoder errors -------------------------------------


def test_a_header_claiming_7000x7000_over_a_1280x720_scan(engine, tmp_path):
    report = engine.validate(mh.make_jpeg_oversized_frame(tmp_path), "screenshot")
    assert errors(report, "screenshot") == {"screenshot.data_incomplete"}
    details = only(report, "screenshot.data_incomplete").details
    assert (details["width"], details["height"], details["where"]) == (7000, 7000, "scan=1")
    # 4:2:0 7000×7000, one interleaved scan: 438² MCUs of 4 luminance + 2 chroma blocks, ≥ 2 bits each.
    assert details["min_bytes"] == 438 * 438 * 6 * 2 // 8
    assert details["data_bytes"] < details["min_bytes"]


def test_the_scan_bound_holds_for_real_pictures(tmp_path):
    """Every subsampling, progressive or not, greyscale, odd sizes: no ordinary JPEG is called short."""
    from PIL import Image

    for i, (size, options) in enumerate([((1600, 900), {"subsampling": 0, "quality": 95}),
                                         ((1601, 899), {"subsampling": 1, "quality": 30}),
                                         ((1280, 720), {"subsampling": 2, "quality": 5}),
                                         ((1920, 1080), {"progressive": True, "quality": 1}),
                                         ((1333, 777), {"progressive": True, "subsampling": 0})]):
        path = tmp_path / f"real{i}.jpg"
        Image.new("RGB", size, (200, 200, 200)).save(path, **options)  # flat: the least data per block
        assert {f.code for f in shot_plugin.preuves_inspect(_proof(path, "jpeg")).findings} == {"screenshot.blank"}, options
    grey = tmp_path / "grey.jpg"
    Image.open(media.make_picture(tmp_path, "grey_src.png")).convert("L").save(grey, quality=10)
    assert {f.code for f in shot_plugin.preuves_inspect(_proof(grey, "jpeg")).findings} == set()


@pytest.mark.parametrize("progressive", [False, True])
def test_damage_libjpeg_conceals_is_reported_by_the_decoder(engine, tmp_path, progressive):
    path = mh.make_jpeg_damaged_scan(tmp_path, f"damaged_{progressive}.jpg", progressive=progressive)
    from PIL import Image

    Image.open(path).load()  # libjpeg (Pillow) decodes it without an error
    report = engine.validate(path, "screenshot")
    assert errors(report, "screenshot") == {"screenshot.decode_error"}
    reason = only(report, "screenshot.decode_error").details["reason"]
    assert reason and "repeated" not in reason


def test_a_png_stream_short_of_its_rows(engine, tmp_path):
    report = engine.validate(mh.make_png_short_stream(tmp_path), "screenshot")
    assert errors(report, "screenshot") == {"screenshot.data_incomplete"}
    details = only(report, "screenshot.data_incomplete").details
    assert details["where"] == "IDAT" and details["min_bytes"] == 900 * (1 + 1600 * 3)
    assert details["data_bytes"] == 225 * (1 + 1600 * 3)


def test_a_black_last_row_is_counted_and_found_complete(tmp_path):
    """A zero last row sends the stream to be counted (what a short stream leaves); a picture that
    really ends in black is complete and stays accepted."""
    from PIL import ImageDraw

    image = media._screen((1600, 900))
    ImageDraw.Draw(image).rectangle([0, 880, 1600, 900], fill=(0, 0, 0))
    path = tmp_path / "black_bottom.png"
    image.save(path)
    assert shot_plugin.preuves_inspect(_proof(path, "png")).findings == []


def test_interlaced_png_sizes_are_computed_per_pass():
    assert screenshot_structure.png_raw_size(37, 23, 8, 2, 0) == 23 * (1 + 37 * 3)
    # Adam7 passes of 37×23 (x0, y0, dx, dy → ceil((37−x0)/dx) × ceil((23−y0)/dy)).
    passes = [(5, 3), (5, 3), (10, 3), (9, 6), (19, 6), (18, 12), (37, 11)]
    assert screenshot_structure.png_raw_size(37, 23, 8, 2, 1) == sum(h * (1 + w * 3) for w, h in passes)
    assert screenshot_structure.png_raw_size(10, 1, 1, 0, 0) == 1 + 2  # 10 one-bit pixels: 2 bytes a row
    assert screenshot_structure.png_raw_size(4, 4, 4, 2, 0) is None  # 4-bit RGB does not exist


def test_truncated_images_are_refused_even_if_pillow_is_told_otherwise(tmp_path, monkeypatch):
    from PIL import Image, ImageFile, ImageStat

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    cut = media.cut(media.make_picture(tmp_path, "full.jpg", quality=90), "cut.jpg", keep=0.5)
    with Image.open(cut) as image:
        out = shot_plugin._load_and_measure(image, *image.size, _RULES.thresholds("screenshot"), "JPEG", {}, None,
                                            ImageFile, ImageStat)
    assert [f.code for f in out] == ["screenshot.truncated"]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for whoever set it


# -- pictures: polyglots in every chunk and segment --------------------------------------------------


def test_zip64_archive_in_a_png_chunk(engine, tmp_path):
    path = mh.make_png_with_zip64_chunk(tmp_path)
    assert zipfile.ZipFile(path).namelist() == ["payload.txt"]
    report = engine.validate(path, "screenshot")
    assert report.verdict.value == "rejected"
    details = only(report, "screenshot.polyglot").details
    assert (details["kind"], details["location"], details["container"]) == ("ZIP", "chunk", "zzIP")
    assert path.read_bytes()[details["offset"] : details["offset"] + 4] == b"PK\x03\x04"


def test_zip64_archive_in_a_jpeg_comment(engine, tmp_path):
    path = mh.make_jpeg_with_zip64_comment(tmp_path)
    assert zipfile.ZipFile(path).namelist() == ["payload.txt"]
    details = only(engine.validate(path, "screenshot"), "screenshot.polyglot").details
    assert (details["kind"], details["location"], details["container"]) == ("ZIP", "segment", "COM")
    assert details["offset"] > 1024  # past the head scan


def test_zip64_end_record_alone_is_followed_to_its_central_directory(tmp_path):
    """A ZIP64 archive in pixel data (not scanned): found by its end records, as ZIP readers find it."""
    source = media.make_picture(tmp_path, "p.png")
    path = mh.insert_before_iend(source, "zip64_idat.png", mh.chunk(b"IDAT", mh.zip64_bytes()))
    assert zipfile.ZipFile(path).namelist() == ["payload.txt"]
    findings = shot_plugin.preuves_inspect(_proof(path, "png")).findings
    assert [(f.code, f.details["location"]) for f in findings] == [("screenshot.polyglot", "end")]


def test_php_in_a_jpeg_comment(engine, tmp_path):
    details = only(engine.validate(mh.make_jpeg_with_php_comment(tmp_path), "screenshot"), "screenshot.polyglot").details
    assert (details["kind"], details["signature"], details["location"], details["container"]) == (
        "PHP", "php", "segment", "COM")
    assert details["offset"] > 1024


def test_php_hidden_after_the_image_stream(engine, tmp_path):
    details = only(engine.validate(mh.make_png_php_after_stream(tmp_path), "screenshot"), "screenshot.polyglot").details
    assert (details["kind"], details["location"]) == ("PHP", "data")


def test_html_in_a_text_chunk_after_the_first_kilobyte(engine, tmp_path):
    path = mh.make_png_text_after_first_kb(tmp_path)
    details = only(engine.validate(path, "screenshot"), "screenshot.polyglot").details
    assert (details["kind"], details["location"], details["container"]) == ("HTML", "chunk", "tEXt")
    assert details["offset"] > 1024 and path.read_bytes()[details["offset"] :].startswith(b"<html>")


def test_html_in_a_compressed_text_chunk(engine, tmp_path):
    details = only(engine.validate(mh.make_png_compressed_html(tmp_path), "screenshot"), "screenshot.polyglot").details
    assert (details["kind"], details["location"], details["container"]) == ("HTML", "compressed_text", "zTXt")


def test_compressed_text_past_the_budget_is_listed_not_inflated(tmp_path):
    source = media.make_picture(tmp_path, "p.png")
    body = zlib.compress(b"a" * 5_000 + b"<script>")
    path = mh.insert_before_iend(source, "big_ztxt.png", mh.chunk(b"zTXt", b"Comment\x00\x00" + body))
    rules = parse_rules(default_rules_text().replace("text_inflate_bytes = 1_048_576", "text_inflate_bytes = 4_000"), "t")
    inspection = shot_plugin.preuves_inspect(_proof(path, "png", rules))
    assert [f.code for f in inspection.findings] == []
    [skipped] = inspection.facts["unscanned_text"]
    assert skipped["chunk"] == "zTXt" and skipped["reason"] == "too_large"


def test_one_finding_per_hidden_kind_earliest_first(tmp_path):
    source = media.make_picture(tmp_path, "p.png")
    chunks = mh.chunk(b"tEXt", b"a\x00<svg onload=x>") + mh.chunk(b"zzIP", mh.zip64_bytes())
    path = mh.insert_before_iend(source, "two.png", chunks + mh.chunk(b"tEXt", b"b\x00<iframe>"))
    findings = shot_plugin.preuves_inspect(_proof(path, "png")).findings
    assert [(f.details["kind"], f.details["container"]) for f in findings] == [("HTML", "tEXt"), ("ZIP", "zzIP")]


def test_chance_bytes_in_binary_metadata_are_not_php(tmp_path):
    """"<?=" is three bytes: in an ICC profile or EXIF blob it is chance, in a comment it is PHP."""
    source = media.make_picture(tmp_path, "p.png")
    binary = mh.insert_before_iend(source, "binary.png", mh.chunk(b"prVt", b"\x01\x02<?=\x03"))
    assert shot_plugin.preuves_inspect(_proof(binary, "png")).findings == []
    text = mh.insert_before_iend(source, "text.png", mh.chunk(b"tEXt", b"c\x00<?= $x ?>"))
    [found] = shot_plugin.preuves_inspect(_proof(text, "png")).findings
    assert found.details["kind"] == "PHP"


def test_signatures_are_found_in_one_pass_per_run_of_chunks(tmp_path):
    """Ten thousand adjacent comments: one search over the run, each hit attributed to its segment."""
    data = media.make_picture(tmp_path, "p.jpg", quality=80).read_bytes()
    comments = b"\xff\xfe\x00\x03x" * 1500 + b"\xff\xfe\x00\x0a%PDF-1.7" + b"\xff\xfe\x00\x03x" * 10
    path = tmp_path / "comments.jpg"
    path.write_bytes(data[:2] + comments + data[2:])
    [found] = shot_plugin.preuves_inspect(_proof(path, "jpeg")).findings
    assert (found.details["kind"], found.details["container"], found.details["offset"]) == ("PDF", "COM", 2 + 1500 * 5 + 4)


def test_zip_bytes_helper_round_trips():
    assert zipfile.ZipFile(io.BytesIO(mh.zip64_bytes())).read("payload.txt").startswith(b"hidden document")
