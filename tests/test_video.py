"""The ``video`` plugin, on videos ffmpeg makes at test time, through the engine and directly."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fixtures import media
from fixtures import media_hostile as mh
from plugins import video as video_plugin
from plugins import video_frames
from validator_core.proof import Proof
from validator_core.rules import RulesError, default_rules_text, load_rules, parse_rules

pytestmark = pytest.mark.skipif(not media.have_ffmpeg(), reason="ffmpeg is needed for real video fixtures")

DOCS = Path(__file__).resolve().parents[1] / "docs" / "checks" / "video.md"


@pytest.fixture(scope="session")
def videos(fixtures_dir) -> dict[str, Path]:
    """Every video fixture, encoded once per session (two at a time: the machine has two cores)."""
    d = fixtures_dir / "video"
    d.mkdir(exist_ok=True)
    jobs = {
        "ok.mp4": lambda: media.make_video(d, "ok.mp4", audio=True),
        "ok.mov": lambda: media.make_video(d, "ok.mov"),
        "ok.avi": lambda: media.make_video(d, "ok.avi", codec="mpeg4", size="1024x768"),
        "ok.flv": lambda: media.make_video(d, "ok.flv", codec="flv1"),
        "small.mp4": lambda: media.make_video(d, "small.mp4", size="640x360"),
        "portrait.mp4": lambda: media.make_video(d, "portrait.mp4", size="720x1280"),
        "short.mp4": lambda: media.make_video(d, "short.mp4", seconds=1.0),
        "audio_only.mp4": lambda: media.make_audio_only_mp4(d),
        "no_moov.mp4": lambda: media.make_mp4_without_moov(d, "no_moov.mp4"),
        "no_moov.mov": lambda: media.make_mp4_without_moov(d, "no_moov.mov"),
        "truncated_faststart.mp4": lambda: media.make_truncated_faststart_mp4(d),
        "vp9.mp4": lambda: media.make_video(d, "vp9.mp4", codec="vp9", size="320x240"),
        "hevc.mov": lambda: media.make_video(d, "hevc.mov", codec="hevc", size="320x240"),
        "mjpeg.avi": lambda: media.make_video(d, "mjpeg.avi", codec="mjpeg", size="320x240"),
        "vfr.mp4": lambda: media.make_vfr_mp4(d),
        # What screen recorders fed RGB write (ffmpeg's default for an RGB source, OBS's I444), and High 10.
        "yuv444.mp4": lambda: media.make_video(d, "yuv444.mp4", extra=("-pix_fmt", "yuv444p")),
        "high10.mp4": lambda: media.make_video(d, "high10.mp4", extra=("-pix_fmt", "yuv420p10le")),
        "rgb.mp4": lambda: media.make_video(d, "rgb.mp4", extra=("-c:v", "libx264rgb", "-pix_fmt", "bgr0")),
        "fast.mp4": lambda: media.make_video(d, "fast.mp4", size="160x120", rate="240", seconds=3.2),
        "slow.mp4": lambda: media.make_video(d, "slow.mp4", size="1280x720", rate="1/2", seconds=6),
        "junk.mp4": lambda: media.make_junk_after_ftyp(d),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        out = {name: future.result() for name, future in futures.items()}
    out["truncated.avi"] = media.cut(out["ok.avi"], "truncated.avi", keep=0.5)
    out["truncated.flv"] = media.cut(out["ok.flv"], "truncated.flv", keep=0.5)
    return out


def codes(report) -> set[str]:
    return {f.code for f in report.findings}


def plugin_codes(report) -> set[str]:
    return {f.code for f in report.findings if f.plugin == "video"}


# -- playable videos: facts, no warning ----------------------------------------------------------


@pytest.mark.parametrize(
    "name, container, codec, size",
    [
        ("ok.mp4", "MPEG-4", "AVC", (1280, 720)),
        ("ok.mov", "MPEG-4", "AVC", (1280, 720)),
        ("ok.avi", "AVI", "MPEG-4 Visual", (1024, 768)),
        ("ok.flv", "Flash Video", "Sorenson Spark", (1280, 720)),
    ],
)
def test_good_videos_are_accepted_with_their_facts(engine, videos, name, container, codec, size):
    report = engine.validate(videos[name], "video")
    assert report.verdict.value == "accepted", report.findings
    facts = report.facts["video"]
    assert facts["container"] == container
    assert facts["codec"] == codec
    assert (facts["width"], facts["height"]) == size
    assert facts["duration_s"] == pytest.approx(3.5, abs=0.15)
    assert facts["frame_rate"] == pytest.approx(10.0)
    assert facts["bitrate"] > 0
    # One keyframe at each of the three positions (start, 50 %, 90 %), each decoded once: the count is
    # the distinct keyframes ffprobe places at or before those times.
    assert facts["frames_decoded"] == _keyframes_before(videos[name], (0.0, 0.5, 0.9), facts["duration_s"])


def _keyframes_before(path, fractions, duration_s) -> int:
    import subprocess

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0",
         str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    keys = sorted(float(t) for t, flags in (line.split(",")[:2] for line in out.splitlines() if line)
                  if "K" in flags and t != "N/A")
    chosen = {max([k for k in keys if k <= f * duration_s + 1e-6] or keys[:1]) for f in fractions}
    return len(chosen)


@pytest.mark.parametrize("name", ["ok.mp4", "ok.mov", "ok.avi", "ok.flv"])
def test_extensionless_upload_files_give_the_same_facts(engine, videos, name, tmp_path):
    """The HTTP layer stores uploads as "up-…" (no extension); libmediainfo must still read them fully."""
    import shutil

    bare = tmp_path / "up-7f3a"
    shutil.copy(videos[name], bare)
    named = engine.validate(videos[name], "video")
    report = engine.validate(bare, "video", filename=name)
    assert report.facts["video"] == named.facts["video"]
    assert report.codes == named.codes


def test_audio_track_is_a_fact(engine, videos):
    assert engine.validate(videos["ok.mp4"], "video").facts["video"]["audio"] is True
    assert engine.validate(videos["ok.mov"], "video").facts["video"]["audio"] is False


def test_mov_profile_is_reported(engine, videos):
    assert engine.validate(videos["ok.mov"], "video").facts["video"]["container_profile"] == "QuickTime"


def test_a_video_filed_as_screenshot_gets_the_video_checks(engine, videos):
    report = engine.validate(videos["ok.mp4"], "screenshot")
    assert "video" in report.facts and "screenshot" not in report.facts
    assert report.verdict.value == "accepted"


# -- errors: not playable -----------------------------------------------------------------------


def test_mp4_holding_only_sound_is_rejected(engine, videos):
    report = engine.validate(videos["audio_only.mp4"], "video")
    assert report.verdict.value == "rejected"
    assert plugin_codes(report) == {"video.no_video_track"}
    finding = report.findings[-1]
    assert finding.details == {"container": "MP4", "audio_tracks": 1}
    assert "(1 piste son)" in finding.message
    assert report.facts["video"]["audio"] is True


@pytest.mark.parametrize("name, label", [("no_moov.mp4", "MP4"), ("no_moov.mov", "MOV")])
def test_cut_before_the_moov_index_is_rejected(engine, videos, name, label):
    report = engine.validate(videos[name], "video")
    assert report.verdict.value == "rejected"
    assert plugin_codes(report) == {"video.index_missing"}  # not also "no video track": one cause
    assert f"fichier {label}" in report.findings[-1].message


@pytest.mark.parametrize("name", ["truncated_faststart.mp4", "truncated.avi", "truncated.flv"])
def test_truncated_data_is_rejected(engine, videos, name):
    report = engine.validate(videos[name], "video")
    assert "video.truncated" in plugin_codes(report)
    assert report.verdict.value == "rejected"


def test_complete_files_are_not_called_truncated(engine, videos):
    for name in ("ok.mp4", "ok.mov", "ok.avi", "ok.flv", "vfr.mp4"):
        assert "video.truncated" not in codes(engine.validate(videos[name], "video")), name


def test_junk_behind_an_mp4_header_is_rejected_not_crashed(engine, videos):
    report = engine.validate(videos["junk.mp4"], "video")
    assert report.verdict.value == "rejected"
    assert plugin_codes(report) & {"video.index_missing", "video.unreadable"}
    assert not codes(report) & {"check.crashed", "check.timeout"}


def test_container_that_disagrees_with_detection_is_rejected(videos):
    """libmagic said AVI, libmediainfo reads MPEG-4 (the plugin trusts neither blindly)."""
    proof = _proof(videos["ok.mp4"], fmt="avi", media_type="video/x-msvideo")
    inspection = video_plugin.preuves_inspect(proof)
    found = {f.code: f for f in inspection.findings}
    assert "video.container_mismatch" in found
    assert found["video.container_mismatch"].details == {"detected": "AVI", "parsed": "MPEG-4"}


def test_mov_and_mp4_are_one_container_family(videos):
    proof = _proof(videos["ok.mov"], fmt="mp4", media_type="video/mp4")
    assert "video.container_mismatch" not in {f.code for f in video_plugin.preuves_inspect(proof).findings}


# -- warnings ------------------------------------------------------------------------------------


def test_small_picture_is_a_warning_with_the_threshold_in_the_message(engine, videos):
    report = engine.validate(videos["small.mp4"], "video")
    assert report.verdict.value == "accepted_with_warnings"
    assert plugin_codes(report) == {"video.resolution_low"}
    finding = report.findings[-1]
    assert finding.details["width"] == 640 and finding.details["height"] == 360
    assert "640×360" in finding.message and "1280×720" in finding.message


def test_portrait_recording_is_judged_by_its_long_side(engine, videos):
    assert "video.resolution_low" not in codes(engine.validate(videos["portrait.mp4"], "video"))


def test_short_video_is_a_warning(engine, videos):
    report = engine.validate(videos["short.mp4"], "video")
    assert plugin_codes(report) == {"video.too_short"}
    assert report.findings[-1].details == {"duration_s": "1", "min_s": "3"}


@pytest.mark.parametrize("name, codec", [("vp9.mp4", "VP9"), ("hevc.mov", "HEVC"), ("mjpeg.avi", "JPEG")])
def test_codecs_a_player_may_not_open_are_a_warning(engine, videos, name, codec):
    report = engine.validate(videos[name], "video")
    assert "video.codec_unusual" in plugin_codes(report)
    assert report.facts["video"]["codec"] == codec
    assert report.verdict.value == "accepted_with_warnings"


@pytest.mark.parametrize("name, picture, depth, said", [
    ("yuv444.mp4", "4:4:4", 8, "(4:4:4, 8 bits)"), ("high10.mp4", "4:2:0", 10, "(4:2:0, 10 bits)"),
    ("rgb.mp4", "rgb", 8, "(couleurs RVB, 8 bits)")])
def test_pictures_players_refuse_are_a_warning(engine, videos, name, picture, depth, said):
    report = engine.validate(videos[name], "video")
    assert plugin_codes(report) == {"video.picture_format_unusual"}, report.findings
    found = report.findings[-1]
    assert (found.details["picture"], found.details["bit_depth"]) == (picture, depth)
    assert said in found.message and "H.264 ordinaire" in found.message
    assert report.verdict.value == "accepted_with_warnings"


def test_ordinary_pictures_are_no_warning_and_are_described(engine, videos):
    report = engine.validate(videos["ok.mp4"], "video")
    facts = report.facts["video"]
    assert (facts["chroma_subsampling"], facts["bit_depth"], facts["color_space"]) == ("4:2:0", 8, "YUV")
    assert facts["codec_profile"] == "Constrained Baseline" and "video.picture_format_unusual" not in plugin_codes(report)


def test_variable_frame_rate_is_a_warning(engine, videos):
    report = engine.validate(videos["vfr.mp4"], "video")
    assert plugin_codes(report) == {"video.frame_rate_variable"}
    assert report.facts["video"]["frame_rate_mode"] == "VFR"


@pytest.mark.parametrize("name, fps", [("fast.mp4", 240.0), ("slow.mp4", 0.5)])
def test_absurd_frame_rates_are_a_warning(engine, videos, name, fps):
    report = engine.validate(videos[name], "video")
    assert "video.frame_rate_abnormal" in plugin_codes(report)
    assert report.facts["video"]["frame_rate"] == pytest.approx(fps)


def test_thresholds_come_from_the_rules(videos):
    text = default_rules_text().replace("min_duration_s = 3.0", "min_duration_s = 5.0")
    text = text.replace('playable_codecs = ["AVC",', 'playable_codecs = ["VP9", "AVC",')
    rules = parse_rules(text, "test")
    ok = video_plugin.preuves_inspect(_proof(videos["ok.mp4"], rules=rules))
    assert [f.code for f in ok.findings] == ["video.too_short"]
    vp9 = video_plugin.preuves_inspect(_proof(videos["vp9.mp4"], rules=rules))
    assert "video.codec_unusual" not in {f.code for f in vp9.findings}


def test_rules_without_video_thresholds_fail_at_load_naming_each_key():
    """No default in the plugin: a rules file that leaves out a threshold is refused when loaded."""
    text = re.sub(r"\[thresholds\.video\].*?(?=\n\[)", "[thresholds.video]\n", default_rules_text(), flags=re.S)
    with pytest.raises(RulesError) as info:
        parse_rules(text, "mine.toml")
    assert "mine.toml: key 'thresholds.video.min_duration_s' is missing: plugin 'video' reads it" in str(info.value)
    assert str(info.value).count("thresholds.video.") == len(load_rules().thresholds("video"))


# -- bad input: a report, quickly, never a crash ------------------------------------------------


@pytest.mark.parametrize("source, keep", [("ok.mp4", 0.001), ("ok.mp4", 0.02), ("ok.mov", 0.9),
                                          ("ok.avi", 0.01), ("ok.flv", 0.0001), ("ok.flv", 0.99)])
def test_cut_anywhere_gives_a_rejection_not_a_crash(engine, videos, source, keep, tmp_path):
    path = tmp_path / f"cut_{keep}_{source}"
    path.write_bytes(videos[source].read_bytes()[: max(1, int(videos[source].stat().st_size * keep))])
    report = engine.validate(path, "video")
    assert not {f.code for f in report.findings} & {"check.crashed", "check.timeout"}
    assert report.verdict.value == "rejected", (source, keep, report.findings)


def test_zero_length_video_is_rejected_by_the_engine(engine, tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    assert engine.validate(path, "video").codes == ["file.empty"]


# -- the frame sample: one pass, greyscale pictures as swscale gives them ---------------------------


def _pictures(count: int = 24) -> video_frames.Pictures:
    limits = _RULES.thresholds("video")
    return video_frames.Pictures(positions=tuple(i / count for i in range(count)),
                                 thumb_size=tuple(limits["scene_thumb_size"]), pixel_delta=limits["scene_pixel_delta"],
                                 changed_share=limits["scene_changed_share"], picture_max_pixels=limits["ocr_max_pixels"])


@pytest.mark.parametrize("name", ["ok.mp4", "ok.mov", "ok.avi", "ok.flv"])
def test_the_decode_check_and_the_picture_sample_share_one_open_and_each_keyframe(videos, name, monkeypatch):
    import av

    opened = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *a, **kw: opened.append(a[0]) or real_open(*a, **kw))
    limits = _RULES.thresholds("video")
    sample = video_frames.sample_frames(
        str(videos[name]), container_format=name.rsplit(".", 1)[1], positions=tuple(limits["decode_positions"]),
        frames_per_position=1, max_packets_per_position=limits["decode_max_packets_per_position"],
        max_pixels=limits["max_pixels"], keep_frames=True, pictures=_pictures())
    assert len(opened) == 1 and not sample.failed and len(sample.positions) == 3  # the check judges its 3 positions
    duration = sample.duration_s
    keys = _keyframes_before(videos[name], [i / 24 for i in range(24)], duration)
    times = [f.time_s for f in sample.pictured]
    assert len(times) == keys and times == sorted(times)  # each keyframe once, in time order
    checked = {id(f.frame) for f in sample.frames}
    # The keyframes the check decoded are the sample's own frames, not decoded again.
    assert sum(id(f.frame) in checked for f in sample.pictured) == len(sample.frames)
    assert all(f.thumb is not None for f in sample.pictured) and sample.pictured[0].picture is not None


def test_an_index_declaring_no_track_is_opened_without_the_probe_options(tmp_path):
    base = mh.small_mp4(tmp_path).read_bytes()
    boxes = {name: base[start:start + length] for name, start, length in mh.top_level(base)}
    mvhd = next(boxes[b"moov"][8 + s:8 + s + n] for b, s, n in mh.top_level(boxes[b"moov"][8:]) if b == b"mvhd")
    path = tmp_path / "no_track.mp4"
    path.write_bytes(boxes[b"ftyp"] + mh.box(b"moov", mvhd) + boxes[b"mdat"])
    sample = video_frames.sample_frames(str(path), container_format="mp4", positions=(0.0,), frames_per_position=1,
                                        max_packets_per_position=4, max_pixels=50_000_000)
    assert sample.opened and not sample.has_video and sample.open_error is None


@pytest.mark.parametrize("pix_fmt, color_range", [("yuv420p", None), ("yuv420p", "JPEG"), ("yuvj420p", None),
                                                  ("yuv422p", None), ("yuv444p", None), ("nv12", None),
                                                  ("gray", None), ("rgb24", None), ("yuv420p10le", None)])
def test_greyscale_pictures_have_the_levels_swscale_gives(pix_fmt, color_range):
    """The luma plane read directly (LUMA_FIRST) must give the values swscale's ``gray`` gives: the
    blank, scene and dark-theme thresholds were tuned on those."""
    import av
    import numpy as np

    rows = np.linspace(0, 255, 180, dtype=np.uint8)[:, None, None]
    rgb = np.broadcast_to(rows, (180, 320, 3)).copy()
    rgb[:, ::7] = (250, 20, 90)  # colour stripes: chroma that must not leak into the grey
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
    if color_range:
        frame.color_range = video_frames.JPEG_RANGE
    expected = np.asarray(frame.reformat(format="gray").to_image().convert("L"), dtype=int)
    got = video_frames.grey(frame, 320, 180)
    assert got.mode == "L" and got.size == (320, 180)
    assert np.abs(np.asarray(got, dtype=int) - expected).max() <= 1, pix_fmt
    thumb = video_frames.grey(frame, 160, 90)  # scaled: swscale's own
    assert thumb.size == (160, 90)


# -- messages and documentation --------------------------------------------------------------------


def test_every_message_renders_in_both_languages(engine, videos):
    for name in videos:
        for lang in ("fr", "en"):
            for finding in engine.validate(videos[name], "video", lang=lang).findings:
                assert "{" not in finding.message and finding.message != finding.code, (name, finding)


def test_every_code_is_documented_with_its_french_message():
    text = DOCS.read_text(encoding="utf-8")
    registered = {}
    video_plugin.preuves_register_messages(lambda code, fr, en, **_words: registered.setdefault(code, fr))
    assert registered
    for code, fr in registered.items():
        assert f"`{code}`" in text, code
        assert fr.split("{")[0].strip()[:30] in text, code


# -- helpers --------------------------------------------------------------------------------------

_RULES = load_rules()


def _proof(path: Path, *, fmt: str = "mp4", media_type: str = "video/mp4", rules=None) -> Proof:
    return Proof(path=str(path), name=path.name, size=path.stat().st_size, media_type=media_type, format=fmt,
                 extension=path.suffix[1:], proof_type="video", rules=rules or _RULES,
                 head=path.read_bytes()[:4096])
