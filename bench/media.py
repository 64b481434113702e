"""Issue 12, points 6–7: hostile videos and pictures against ordinary files of similar size.

Each hostile file of ``fixtures/media_hostile.py`` (a JPEG of 99,000 scans, an MP4 whose ``stts``
declares 2³²−1 entries, zeroed media data, polyglots…) is validated through the engine (workers,
``Engine.validate``) interleaved with an ordinary file of the same type and a similar size (A, B, A,
B…, same engine, same run); the ratio of the medians is reported with the expected code. Target: every
hostile file is refused with its code in at most 3× the time of the ordinary one (before this work,
the first two took the whole 20 s timeout and ended in ``check.timeout``).

    python -m bench.media [--runs 5] [--only many_scans,stts_lie] [--markdown out.md]

Exit status 1 when a ratio exceeds the target or a hostile file does not get its code.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

TARGET = 3.0


def _engine():
    from validator_core import Engine
    from validator_core.registry import PluginConfig
    from validator_core.settings import CoreSettings

    return Engine(CoreSettings(load_entrypoints=False), plugin_config=PluginConfig(entrypoints=False))


def _noisy_jpeg(folder: Path, name: str, size: tuple[int, int], quality: int) -> Path:
    """A screenshot with grain: compresses like a busy real capture (for multi-MB ordinary JPEGs)."""
    from PIL import Image

    from fixtures import media

    screen = media._screen(size)
    noise = Image.merge("RGB", [Image.effect_noise(size, 80).convert("L") for _ in range(3)])
    out = folder / name
    Image.blend(screen, noise, 0.5).save(out, quality=quality)
    return out


def cases(folder: Path) -> dict[str, tuple[Callable[[], Path], Callable[[], Path], str, str]]:
    """name -> (hostile maker, ordinary maker, proof type, expected code)."""
    from fixtures import media
    from fixtures import media_hostile as mh

    d = folder
    base = lambda: mh.small_mp4(d, "ordinary_small.mp4")  # noqa: E731 - 320x240, 3.5 s, ~170 kB
    sd = lambda: mh.small_mp4(d, "ordinary_sd.mp4", size="640x360", extra=("-r", "25"))  # noqa: E731
    shot_png = lambda: media.make_picture(d, "ordinary.png")  # noqa: E731
    shot_jpg = lambda: media.make_picture(d, "ordinary.jpg", quality=85)  # noqa: E731
    return {
        "stts_lie": (lambda: mh.make_sample_table_lie(d, b"stts"), base, "video", "video.sample_table_invalid"),
        "elst_lie": (lambda: mh.make_sample_table_lie(d, b"elst"), base, "video", "video.sample_table_invalid"),
        "many_boxes": (lambda: mh.make_mp4_many_boxes(d), sd, "video", "video.too_complex"),
        "no_mdat": (lambda: mh.make_mp4_without_mdat(d), base, "video", "video.no_media_data"),
        "zeroed_media": (lambda: mh.make_mp4_zeroed_media(d), base, "video", "video.frames_undecodable"),
        "random_media": (lambda: mh.make_mp4_random_media(d), base, "video", "video.frames_undecodable"),
        "offsets_past_end": (lambda: mh.make_mp4_offsets_past_end(d), base, "video", "video.frames_undecodable"),
        "many_scans": (lambda: mh.make_jpeg_many_scans(d),
                       lambda: _noisy_jpeg(d, "ordinary_3mb.jpg", (2560, 1440), 90), "screenshot",
                       "screenshot.too_complex"),
        "oversized_frame": (lambda: mh.make_jpeg_oversized_frame(d),
                            lambda: media.make_picture(d, "ordinary_720p.jpg", size=(1280, 720), quality=85),
                            "screenshot", "screenshot.data_incomplete"),
        "damaged_scan": (lambda: mh.make_jpeg_damaged_scan(d), shot_jpg, "screenshot", "screenshot.decode_error"),
        "many_comments": (lambda: mh.make_jpeg_many_segments(d), shot_jpg, "screenshot", "screenshot.too_complex"),
        "many_chunks": (lambda: mh.make_png_many_chunks(d),
                        lambda: media.make_picture(d, "ordinary_big.png", size=(2560, 1440)), "screenshot",
                        "screenshot.too_complex"),
        "short_stream": (lambda: mh.make_png_short_stream(d), shot_png, "screenshot", "screenshot.data_incomplete"),
        "zip64_chunk": (lambda: mh.make_png_with_zip64_chunk(d), shot_png, "screenshot", "screenshot.polyglot"),
        "zip64_comment": (lambda: mh.make_jpeg_with_zip64_comment(d),
                          lambda: media.make_picture(d, "ordinary_small.jpg", size=(640, 360), quality=85),
                          "screenshot", "screenshot.polyglot"),
        "php_comment": (lambda: mh.make_jpeg_with_php_comment(d), shot_jpg, "screenshot", "screenshot.polyglot"),
        "html_text_late": (lambda: mh.make_png_text_after_first_kb(d), shot_png, "screenshot", "screenshot.polyglot"),
    }


def measure(runs: int, only: set[str] | None) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-media-") as folder:
        engine = _engine()
        try:
            made: dict[str, Path] = {}
            for name, (make_hostile, make_ordinary, proof_type, code) in cases(Path(folder)).items():
                if only and name not in only:
                    continue
                hostile = make_hostile()
                key = str(id(make_ordinary))  # an ordinary file serves every case that names it
                if key not in made:
                    made[key] = make_ordinary()
                ordinary = made[key]
                for _ in range(2):  # warm the workers (imports, caches)
                    engine.validate(ordinary, proof_type)
                base, attack, codes = [], [], set()
                for _ in range(runs):
                    for target, samples in ((ordinary, base), (hostile, attack)):
                        started = time.perf_counter()
                        report = engine.validate(target, proof_type)
                        samples.append(time.perf_counter() - started)
                        if target is hostile:
                            codes.update(report.codes)
                ratio = statistics.median(attack) / statistics.median(base)
                row = {"file": name, "hostile_bytes": hostile.stat().st_size, "ordinary_bytes": ordinary.stat().st_size,
                       "ordinary_ms": statistics.median(base) * 1000, "hostile_ms": statistics.median(attack) * 1000,
                       "ratio": ratio, "code": code, "got_code": code in codes,
                       "engine_codes": sorted(c for c in codes if c.startswith("check."))}
                rows.append(row)
                print(f"{name:18} {row['hostile_bytes']:>9} B {row['hostile_ms']:8.1f} ms  ordinary "
                      f"{row['ordinary_bytes']:>9} B {row['ordinary_ms']:8.1f} ms  ratio {ratio:5.2f}  "
                      f"{code}{'' if row['got_code'] else ' MISSING'} {' '.join(row['engine_codes'])}", flush=True)
        finally:
            engine.close()
    return rows


def markdown(rows: list[dict], runs: int) -> str:
    lines = [f"Médianes de {runs} validations entrelacées (A, B, A, B…), même moteur, même exécution ; "
             f"cible : rapport ≤ {TARGET:g}.", "",
             "| fichier hostile | octets | ms | fichier ordinaire (octets) | ms | rapport | code |",
             "|---|---:|---:|---:|---:|---:|---|"]
    def n(value: int) -> str:
        return f"{value:,}".replace(",", " ")

    for r in rows:
        lines.append(f"| `{r['file']}` | {n(r['hostile_bytes'])} | {r['hostile_ms']:.1f} | {n(r['ordinary_bytes'])} | "
                     f"{r['ordinary_ms']:.1f} | {r['ratio']:.2f} | `{r['code']}`{'' if r['got_code'] else ' (absent)'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n} or None
    rows = measure(args.runs, only)
    text = markdown(rows, args.runs)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    print(text)
    bad = [r["file"] for r in rows if r["ratio"] > TARGET or not r["got_code"] or r["engine_codes"]]
    if bad:
        print("over target or wrong code: " + ", ".join(bad), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
