"""Issue 16: what the pictures show — OCR of screenshots and video frames, blank and frozen videos,
identities on screen, and the requirement checks that read them.

Every picture and video is made at test time (``fixtures/screens.py``: Pillow text on a UI-like canvas,
light and dark, 12–24 px; ffmpeg videos from those screens) with known NIRs: a real-looking valid one,
a DMP test identity, a wrong key. Checks run in the engine's workers, as in production.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from fixtures import screens
from fixtures.screens import REAL_LOOKING, TEST_IDENTITY, WRONG_KEY, patient_lines, spaced, ui_screen
from plugins import screen_text
from plugins.rem_catalogue.check_screen import check_screen
from validator_core.rules import load_rules
from validator_core.testing import plugin_engine
from validator_core.toolkit.text import scan_identities

needs_ocr = pytest.mark.skipif(screen_text.tessdata_dir() is None, reason="tesseract-ocr-fra is not installed")
needs_ffmpeg = pytest.mark.skipif(screens.ffmpeg() is None, reason="ffmpeg makes the test videos")
RULES = load_rules()
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def visual():
    engine = plugin_engine(also=("video", "screenshot"))
    yield engine
    engine.close()


def by_code(report) -> dict:
    return {f.code: f for f in report.findings}


# -- the one scanner, on spaced NIRs as UIs print them ----------------------------------------------


def test_the_scanner_reads_spaced_nirs_and_ignores_wrong_keys():
    assert spaced(REAL_LOOKING).count(" ") == 6
    found = scan_identities(f"Matricule INS : {spaced(REAL_LOOKING)} / {spaced(TEST_IDENTITY)} / {spaced(WRONG_KEY)}")
    assert found.unknown_valid == [REAL_LOOKING[:5] + "•" * 10]
    assert found.test_nirs == 1 and found.invalid_key == 1


# -- screenshots ------------------------------------------------------------------------------------


@needs_ocr
@pytest.mark.parametrize("theme, font_px", [("light", 12), ("dark", 12), ("light", 24), ("dark", 16)])
def test_a_real_looking_nir_on_a_screenshot_is_a_masked_warning_with_its_place(visual, tmp_path, theme, font_px):
    path = tmp_path / "patient.png"
    ui_screen(patient_lines(REAL_LOOKING), size=(960, 540), font_px=font_px, theme=theme).save(path)
    report = visual.validate(path, "screenshot")
    found = by_code(report)["screenshot.nir_unknown"]
    assert found.severity.value == "warning" and found.details["count"] == 1
    assert found.details["masked"] == REAL_LOOKING[:5] + "•" * 10
    place = found.details["where"].removeprefix(found.details["masked"] + " ")  # the panel: not the bottom third
    assert place in ("top_left", "top_centre", "middle_left", "middle_centre"), place
    in_fr, in_en = screen_text.REGION_WORDS[place]  # the place said in the report's language
    assert f"({found.details['masked']} {in_fr})" in found.message
    english = by_code(visual.validate(path, "screenshot", lang="en"))["screenshot.nir_unknown"]
    assert f"({found.details['masked']} {in_en})" in english.message
    shown = report.facts["screenshot"]["screen_text"]
    assert shown["identity_status"] == ["qualifiée"] and shown["ins_oids"] == {"ins_nir_test": 1}
    assert {"time": "14:32", "where": "bottom_right"} in shown["times"] and "02/12/2026" in shown["dates"]
    whole = json.dumps(report.to_dict(), ensure_ascii=False)
    assert REAL_LOOKING not in whole and spaced(REAL_LOOKING) not in whole  # masked everywhere, sample included
    assert len(shown["sample"]) <= RULES.thresholds("screenshot")["ocr_sample_chars"]


@needs_ocr
def test_a_test_identity_or_a_wrong_key_on_screen_is_no_warning(visual, tmp_path):
    path = tmp_path / "test_identity.jpg"
    lines = patient_lines(TEST_IDENTITY) + [f"Ancien matricule : {spaced(WRONG_KEY)}"]
    ui_screen(lines, size=(1280, 720), font_px=16).save(path, quality=92)
    report = visual.validate(path, "screenshot")
    assert "screenshot.nir_unknown" not in report.codes and report.verdict.value == "accepted"
    shown = report.facts["screenshot"]["screen_text"]
    assert shown["test_identities"] == 1 and shown["nir_invalid_key"] == 1 and shown["nir_unknown_valid"] == 0


@needs_ocr
def test_the_real_ins_oid_on_screen_is_the_pdf_warning_family(visual, tmp_path):
    path = tmp_path / "real_oid.png"
    lines = patient_lines(TEST_IDENTITY)[:-1] + ["OID : 1.2.250.1.213.1.4.8"]
    ui_screen(lines, size=(960, 540), font_px=18).save(path)
    found = by_code(visual.validate(path, "screenshot"))["screenshot.ins_real_oid"]
    assert found.severity.value == "warning" and found.details["count"] == 1


def test_without_tesseract_the_ocr_is_an_information_and_the_verdict_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(screen_text, "TESSDATA_DIRS", ())
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    screen_text._engine.cache_clear()
    path = tmp_path / "patient.png"
    ui_screen(patient_lines(REAL_LOOKING), size=(1280, 720)).save(path)
    engine = plugin_engine(also=("screenshot",), inline=True)  # inline: the patched module is this process's
    try:
        report = engine.validate(path, "screenshot")
    finally:
        engine.close()
        screen_text._engine.cache_clear()
    found = by_code(report)["screenshot.ocr_unavailable"]
    assert found.severity.value == "info" and found.details["reason"] == "french_model_missing"
    assert "(modèle français de Tesseract absent (tesseract-ocr-fra))" in found.message
    assert report.verdict.value == "accepted" and "screen_text" not in report.facts["screenshot"]


@needs_ocr
def test_a_line_tesseract_finds_but_reads_no_character_in_is_skipped_not_a_crash(visual):
    # tests/data/ocr-empty-text-line.png: the first keyframe of an ffmpeg test pattern (noise=30) encoded
    # at 0.4 Mbit/s, in greyscale as the video plugin hands it to OCR. Tesseract segments a text line
    # in its gradients and returns no text for it; tesserocr raises « No text returned ».
    picture = Image.open(DATA / "ocr-empty-text-line.png")
    lines = screen_text.read_lines(picture, RULES.thresholds("video"))
    assert lines is not None and all(line.text for line in lines)
    report = visual.validate(DATA / "ocr-empty-text-line.png", "screenshot")
    assert report.verdict.value == "accepted" and "check.crashed" not in report.codes
    assert report.facts["screenshot"]["screen_text"]["images_read"] == 1


@needs_ocr
@needs_ffmpeg
def test_a_small_picture_without_a_text_block_is_not_read_enlarged(tmp_path, monkeypatch):
    """Under ocr_upscale_below_pixels a picture is read enlarged (4× the pixels): Tesseract's layout at its
    own size first says whether any text block is there. A test pattern has none: no reading at all."""
    import subprocess

    limits = RULES.thresholds("video")
    pattern = tmp_path / "pattern.png"
    subprocess.run([screens.ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720", "-frames:v", "1",
                    str(pattern)], check=True, timeout=60)
    picture = Image.open(pattern).convert("L")
    assert picture.width * picture.height < limits["ocr_upscale_below_pixels"]
    engine = screen_text._engine()
    assert not screen_text.holds_text(engine, picture)
    prepared = []
    real_prepare = screen_text.prepare
    monkeypatch.setattr(screen_text, "prepare", lambda image, lim: prepared.append(real_prepare(image, lim)[1])
                        or real_prepare(image, lim))
    assert screen_text.read_lines(picture, limits) == [] and prepared == [1.0]  # never enlarged
    screen = ui_screen(patient_lines(REAL_LOOKING), size=(960, 540), font_px=12)
    assert screen_text.holds_text(engine, screen.convert("L"))


def test_the_rules_switch_the_ocr_off(tmp_path):
    text = (Path(__file__).resolve().parents[1] / "validator_core/data/rules.toml").read_text(encoding="utf-8")
    assert text.count("\nocr = true\n") == 2
    rules = tmp_path / "rules.toml"
    rules.write_text(text.replace("\nocr = true\n", "\nocr = false\n"), encoding="utf-8")
    path = tmp_path / "patient.png"
    ui_screen(patient_lines(REAL_LOOKING), size=(960, 540)).save(path)
    engine = plugin_engine(also=("screenshot",), rules=rules)
    try:
        report = engine.validate(path, "screenshot")
    finally:
        engine.close()
    assert "screen_text" not in report.facts["screenshot"] and "screenshot.nir_unknown" not in report.codes


def test_preparation_is_bounded_in_pixels_and_inverts_dark_themes():
    limits = RULES.thresholds("screenshot")
    small, scale = screen_text.prepare(ui_screen(["x"], size=(640, 360), theme="dark"), limits)
    assert scale == limits["ocr_upscale_factor"] and small.mode == "L"
    assert small.getpixel((5, small.height // 2)) > 128  # the dark background became light
    huge, scale = screen_text.prepare(Image.new("RGB", (7680, 4320), "white"), limits)
    assert huge.width * huge.height <= limits["ocr_max_pixels"] * 1.01 and scale < 1


# -- videos -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    if screens.ffmpeg() is None:
        pytest.skip("ffmpeg makes the test videos")
    folder = tmp_path_factory.mktemp("visual_videos")
    size = (960, 540)
    return {
        "black": screens.video(folder / "black.mp4", [(Image.new("RGB", size), 20)]),
        "still": screens.video(folder / "still.mp4", [(ui_screen(patient_lines(TEST_IDENTITY), size=size), 30)]),
        "scenario": screens.video(folder / "scenario.mp4", [
            (ui_screen(["Connexion de l'utilisateur"], size=size), 4),
            (ui_screen(patient_lines(TEST_IDENTITY), size=size), 4),
            (ui_screen(patient_lines(REAL_LOOKING), size=size, theme="dark"), 4),
            (ui_screen(["Document envoyé au DMP"], size=size), 4),
        ]),
        "long_still": screens.video(folder / "long.mp4", [(ui_screen(["Accueil"], size=(640, 360)), 240)], fps=5,
                                    gop=25),
    }


def test_a_black_recording_is_blank_and_not_read(visual, videos):
    report = visual.validate(videos["black"], "video")
    found = by_code(report)["video.blank"]
    facts = report.facts["video"]
    assert found.severity.value == "warning" and facts["blank_share"] == 1.0
    assert "video.static" not in report.codes and "screen_text" not in facts


@needs_ocr
def test_one_still_screen_for_thirty_seconds_is_static(visual, videos):
    report = visual.validate(videos["still"], "video")
    found = by_code(report)["video.static"]
    facts = report.facts["video"]
    assert facts["scenes"] == 1 and facts["longest_still_s"] == pytest.approx(30, abs=0.5)
    assert found.details["scenes"] == 1 and facts["frames_sampled"] >= 10
    assert facts["screen_text"]["images_read"] == 1  # the distinct scenes only, not every sample


@needs_ocr
def test_a_scenario_with_changing_screens_shows_scenes_and_where_a_real_nir_was_seen(visual, videos):
    report = visual.validate(videos["scenario"], "video")
    facts = report.facts["video"]
    assert "video.static" not in report.codes and "video.blank" not in report.codes
    assert facts["scenes"] == 4 and facts["longest_still_s"] == pytest.approx(4, abs=0.5)
    found = by_code(report)["video.nir_unknown"]
    assert found.details["masked"] == REAL_LOOKING[:5] + "•" * 10 and "at_s=8, " in found.details["where"]
    assert "à 8 s, " in found.message
    assert facts["screen_text"]["test_identities"] == 1 and facts["screen_text"]["images_read"] == 4


def test_the_sample_size_caps_the_work_not_the_duration(visual, videos):
    report = visual.validate(videos["long_still"], "video")
    facts = report.facts["video"]
    assert facts["duration_s"] == pytest.approx(240, abs=1)
    assert facts["frames_sampled"] <= RULES.thresholds("video")["sample_frames"]
    assert "video.static" in report.codes


# -- what the catalogue checks read -----------------------------------------------------------------


class _Spec:
    id = "INS/va1.18.02.01"
    text = "Démonstration montrant l'identité au statut qualifiée"

    def __init__(self, **expectations):
        self.expectations = expectations
        self.sources = {key: {"from": "proof", "quote": "l'identité au statut qualifiée"} for key in expectations}


def test_the_catalogue_warns_when_no_status_or_no_clock_was_read():
    read = {"images_read": 2, "identity_status": [], "dates": [], "times": []}
    codes = {f.code: f for f in check_screen(_Spec(identity_status=True, clock_visible=True), "video", None,
                                             {"video": {"screen_text": read}}, RULES)}
    assert set(codes) == {"requirement.identity_status_not_seen", "requirement.clock_not_seen"}
    assert codes["requirement.clock_not_seen"].severity.value == "warning"
    seen = {"images_read": 1, "identity_status": ["qualifiée"], "dates": [], "times": [{"time": "14:32", "where": "x"}]}
    assert check_screen(_Spec(identity_status=True, clock_visible=True), "screenshot", None,
                        {"screenshot": {"screen_text": seen}}, RULES) == []
    # No OCR (off, unavailable, a blank video): nothing is judged.
    assert check_screen(_Spec(identity_status=True), "video", None, {"video": {"duration_s": 3}}, RULES) == []


@needs_ocr
def test_an_ins_proof_without_a_visible_status_is_a_requirement_warning(engine, tmp_path):
    without = tmp_path / "no_status.png"
    ui_screen(patient_lines(TEST_IDENTITY, status="")[:-1], size=(1280, 720)).save(without)
    report = engine.validate(without, requirement="INS/va1.18.02.01", rem="LGC")
    found = by_code(report)["requirement.identity_status_not_seen"]
    assert found.details["asked_in"] == "proof" and "statut" in found.details["asked"]
    shown = tmp_path / "status.png"
    ui_screen(patient_lines(TEST_IDENTITY), size=(1280, 720)).save(shown)
    assert "requirement.identity_status_not_seen" not in engine.validate(shown, requirement="INS/va1.18.02.01",
                                                                         rem="LGC").codes


@needs_ocr
@needs_ffmpeg
def test_a_browser_proof_without_the_taskbar_clock_is_a_requirement_warning(engine, tmp_path):
    size = (1280, 720)
    bare = screens.video(tmp_path / "bare.mp4", [(ui_screen(["Page de connexion"], size=size, clock=None, date=None), 2),
                                                (ui_screen(["Tableau de bord"], size=size, clock=None, date=None), 2)])
    report = engine.validate(bare, requirement="PSC.01.01.01", rem="DPI")
    found = by_code(report)["requirement.clock_not_seen"]
    assert found.details["asked_in"] == "scenario" and "date Windows" in found.details["asked"]
    clocked = screens.video(tmp_path / "clock.mp4", [(ui_screen(["Page de connexion"], size=size), 2),
                                                    (ui_screen(["Tableau de bord"], size=size), 2)])
    assert "requirement.clock_not_seen" not in engine.validate(clocked, requirement="PSC.01.01.01", rem="DPI").codes
