"""Pictures and videos of a made-up patient-file application, for the OCR and frame checks.

A UI-like canvas (title bar, side menu, a patient panel, a taskbar with its clock at the bottom right),
light or dark, with text at a chosen pixel size; videos are made from such screens with ffmpeg.
The NIRs: ``REAL_LOOKING`` has a valid key and is no test identity; ``TEST_IDENTITY`` comes from the
core's list of DMP test patients; ``WRONG_KEY`` is ``REAL_LOOKING`` with a wrong key.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from validator_core.toolkit.text import test_nirs

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _with_key(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


REAL_LOOKING = _with_key("1850578006084")
WRONG_KEY = REAL_LOOKING[:13] + f"{(int(REAL_LOOKING[13:]) + 1) % 97:02d}"
TEST_IDENTITY = sorted(n for n in test_nirs() if n.isdigit())[0]


def spaced(nir: str) -> str:
    """A NIR as UIs print it: ``1 85 05 78 006 084 36``."""
    return " ".join((nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]))


THEMES = {
    "light": {"background": (246, 247, 249), "panel": (255, 255, 255), "text": (33, 37, 41),
              "bar": (0, 83, 155), "bar_text": (255, 255, 255), "taskbar": (225, 228, 232)},
    "dark": {"background": (30, 31, 34), "panel": (43, 45, 49), "text": (225, 227, 230),
             "bar": (20, 60, 110), "bar_text": (240, 240, 240), "taskbar": (18, 18, 20)},
}


def ui_screen(lines: list[str], *, size: tuple[int, int] = (1280, 720), font_px: int = 16,
              theme: str = "light", clock: str | None = "14:32", date: str | None = "02/12/2026",
              title: str = "Dossier patient — Logiciel de démonstration") -> Image.Image:
    """A screen of the application showing ``lines`` in its patient panel."""
    colours = THEMES[theme]
    width, height = size
    image = Image.new("RGB", size, colours["background"])
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, font_px)
    small = ImageFont.truetype(FONT, max(12, font_px - 2))
    bar = font_px * 2
    draw.rectangle((0, 0, width, bar), fill=colours["bar"])
    draw.text((font_px, font_px // 2), title, font=ImageFont.truetype(BOLD, font_px), fill=colours["bar_text"])
    menu = min(width // 5, 220)
    for i, item in enumerate(("Accueil", "Patients", "Agenda", "Documents", "Paramètres")):
        draw.text((font_px, bar + font_px + i * font_px * 2), item, font=font, fill=colours["text"])
    draw.rectangle((menu, bar + font_px, width - font_px, height - bar - font_px), fill=colours["panel"])
    y = bar + font_px * 2
    for line in lines:
        draw.text((menu + font_px * 2, y), line, font=font, fill=colours["text"])
        y += int(font_px * 1.8)
    draw.rectangle((0, height - bar, width, height), fill=colours["taskbar"])
    if clock or date:
        text = "\n".join(t for t in (clock, date) if t)
        box = draw.multiline_textbbox((0, 0), text, font=small, align="right")
        draw.multiline_text((width - box[2] - font_px, height - bar + (bar - box[3]) // 2), text, font=small,
                            fill=colours["text"], align="right", spacing=1)
    return image


def patient_lines(nir: str, status: str = "Identité qualifiée") -> list[str]:
    return [
        "Nom de naissance : MARTIN   Prénom : Jeanne",
        "Né(e) le : 05/05/1985   Sexe : F",
        f"Matricule INS : {spaced(nir)}",
        f"Statut : {status}",
        "OID : 1.2.250.1.213.1.4.10",
    ]


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def video(path: Path, screens: list[tuple[Image.Image, float]], *, fps: int = 10, gop: int = 20) -> Path:
    """An H.264 MP4 showing each screen for its seconds (a keyframe every ``gop`` frames)."""
    work = path.parent / (path.stem + "-frames")
    work.mkdir(exist_ok=True)
    listing = []
    for i, (image, seconds) in enumerate(screens):
        name = work / f"s{i:03d}.png"
        image.save(name)
        listing += [f"file '{name}'", f"duration {seconds}"]
    listing.append(f"file '{work / f's{len(screens) - 1:03d}.png'}'")  # the concat demuxer's last entry
    (work / "list.txt").write_text("\n".join(listing) + "\n")
    subprocess.run([ffmpeg(), "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(work / "list.txt"),
                    "-vf", f"fps={fps},format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-g", str(gop),
                    "-movflags", "+faststart", str(path)], check=True, timeout=120)
    shutil.rmtree(work, ignore_errors=True)
    return path
