"""The benchmark's files, made once by real tools into ``bench/out/files`` (reused across runs)."""

from __future__ import annotations

import random
from pathlib import Path

from fixtures import formats

OUT = Path(__file__).resolve().parent / "out" / "files"


def _cached(name: str, make) -> Path:
    path = OUT / name
    if not path.exists() or path.stat().st_size == 0:
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = make(OUT, "tmp-" + name)
        Path(tmp).rename(path)
    return path


def png_1080p(busy: bool = False) -> Path:
    """A full-HD capture (an ffmpeg test-pattern frame): ~230 Ko like a typical application screen, or
    with ``busy`` noise ~3.6 Mo (a photo-like screen: the worst case for decoding)."""
    def make(directory: Path, name: str) -> Path:
        import subprocess

        out = directory / name
        source = "testsrc2=size=1920x1080:rate=1" + (",noise=alls=12:allf=t" if busy else "")
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source,
                        "-frames:v", "1", str(out)], check=True, timeout=60)
        return out

    return _cached("screen-1080p-busy.png" if busy else "screen-1080p.png", make)


def ui_1080p() -> Path:
    """A full-HD application screen with a patient panel and text (what the OCR reads in a real capture)."""
    def make(directory: Path, name: str) -> Path:
        from fixtures.screens import patient_lines, ui_screen

        out = directory / name
        lines = patient_lines("1 84 12 75 123 456") + ["Compte rendu de biologie", "Prescripteur : Dr Martin"] * 4
        ui_screen(lines, size=(1920, 1080), font_px=18).save(out, format="PNG")
        return out

    return _cached("screen-1080p-ui.png", make)


def rules_without_ocr() -> Path:
    """The packaged rules with the text reading (OCR) off, for screenshots and videos.

    Written on every call, not cached: a rules file must set every key the packaged rules set, so a
    copy from before a new key would no longer load."""
    from validator_core.rules import default_rules_text

    text = default_rules_text()
    assert text.count("\nocr = true\n") == 2, "the rules' OCR switches moved"
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / "rules-without-ocr.toml"
    out.write_text(text.replace("\nocr = true\n", "\nocr = false\n"), encoding="utf-8")
    return out


def mp4_30s() -> Path:
    return _cached("demo-30s-720p.mp4", lambda d, n: formats.make_video(
        d, "mp4", seconds=30, size="1280x720", name=n, extra=("-preset", "veryfast")))


def mp4_sized(megabytes: int) -> Path:
    """An H.264 1080p MP4 of about ``megabytes`` Mo (noise keeps the bitrate up), under 50 000 000 bytes."""
    seconds = 20
    bitrate = int(megabytes * 8 / seconds * 0.97 * 1000)  # kbit/s
    cap = min(megabytes * 1_000_000, 49_500_000)
    return _cached(f"video-{megabytes}mo.mp4", lambda d, n: formats.make_video(
        d, "mp4", seconds=seconds, size="1920x1080", rate=25, noise=30, name=n,
        extra=("-preset", "ultrafast", "-b:v", f"{bitrate}k", "-maxrate", f"{bitrate}k",
               "-bufsize", f"{bitrate * 2}k", "-fs", str(cap))))


def pdf_pages(pages: int) -> Path:
    def make(directory: Path, name: str) -> Path:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        out = directory / name
        pdf = canvas.Canvas(str(out), pagesize=A4)
        for page in range(1, pages + 1):
            pdf.setFont("Helvetica", 11)
            pdf.drawString(72, 800, f"Compte rendu d'examen de biologie — page {page}/{pages}")
            for line in range(40):
                pdf.drawString(72, 770 - line * 17, f"Analyse {line:02d} : glycémie 5,{line % 10} mmol/L (N 3,9–6,1)")
            pdf.showPage()
        pdf.save()
        return out

    return _cached(f"report-{pages}p.pdf", make)


def log_1mo() -> Path:
    def make(directory: Path, name: str) -> Path:
        rng = random.Random(7)
        lines, size = [], 0
        while True:
            line = (f"2024-03-{rng.randint(1, 28):02d}T10:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z INFO "
                    f"[dmp-client] requête {rng.randint(1, 10**6)} traitée en {rng.randint(1, 900)} ms statut=200\n")
            if size + len(line.encode()) > 999_000:
                break
            lines.append(line)
            size += len(line.encode())
        out = directory / name
        out.write_text("".join(lines), encoding="utf-8")
        return out

    return _cached("server-1mo.log", make)


def link_file() -> Path:
    def make(directory: Path, name: str) -> Path:
        out = directory / name
        out.write_text("https://interop.esante.gouv.fr/evs/report.seam?oid=1.3.6.1.4.1.12559.11.1.2.1.4.123456\n")
        return out

    return _cached("gazelle-link.txt", make)
