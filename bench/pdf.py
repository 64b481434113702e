"""Issue 12, point 4: a valid 20,000-page PDF, against ``pdfinfo`` and under load.

    python -m bench.pdf [--runs 10] [--pages 20000] [--out bench/PDF.md]

1. **Engine vs pdfinfo.** ``Engine.validate(path, "pdf_report")`` on a warm engine (isolation
   ``process``: the pool is started and each worker has validated the file once, as in the service)
   against a cold ``pdfinfo path`` process (its start-up counted), interleaved A, B, A, B; medians
   and their ratio. Target: ≤ 10×. ``pdfinfo`` reads the catalogue and the declared page count; the
   engine also sniffs and hashes the file, walks the page tree, scans every byte for active names,
   walks what a viewer runs and extracts the first pages' text. This report has one page-tree node
   and no trigger name, so its 20,000 pages are counted from the node's /Kids; the same pages in
   object streams (PDF 1.5) too, once the streams are scanned. For information, not a target: the
   same pages with a link on each (every page and annotation is then read), a cold ``preuves
   check`` process against ``pdfinfo``, and the plugin alone in this process.
2. **Same verdict under load.** The verdict (and page count) of the file validated alone, 10 times,
   and while both workers are busy with other heavy validations (two threads validating other
   20,000-page PDFs in a loop), 10 times. Target: one verdict, the same in both.
3. **Hostile bytes vs an ordinary report.** A one-page PDF carrying adversarial bytes in a stream
   ("/" runs, names one byte short of an active one, escaped names, names followed by a name
   character, one long escaped name), as large as the 20,000-page report, against that report: the
   whole inspection, interleaved. Target: ≤ 3×. For information, against the same one-page PDF
   carrying random bytes (an image's data: the cheapest bytes to scan), and the scan alone.

Everything runs locally; every loop is bounded in count. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _engine(workers: int = 2):
    from validator_core import Engine
    from validator_core.registry import PluginConfig
    from validator_core.settings import CoreSettings

    return Engine(CoreSettings(load_entrypoints=False, workers=workers, isolation="process"),
                  plugin_config=PluginConfig(entrypoints=False))


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _cell(samples: list[float], unit: str = "ms") -> str:
    scale = 1000 if unit == "ms" else 1
    return (f"{statistics.median(samples) * scale:.1f} ({min(samples) * scale:.1f}–"
            f"{max(samples) * scale:.1f})")


def _pdfinfo(path: Path) -> None:
    subprocess.run(["pdfinfo", str(path)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)


def _verdict(report) -> tuple[str, int | None, tuple[str, ...]]:
    return (report.verdict.value, (report.facts.get("pdf_report") or {}).get("page_count"),
            tuple(sorted(f.code for f in report.findings)))


def section_pdfinfo(path: Path, runs: int, rows: list[list[str]], targets: list[tuple[str, str, bool | None]],
                    label: str = "", target: bool = True) -> None:
    from plugins.pdf_report import PdfInspector
    from validator_core.proof import Proof
    from validator_core.rules import load_rules

    engine = _engine()
    try:
        for _ in range(3):  # warm both workers (imports, fork server) as a running service is
            engine.validate(path, "pdf_report")
        ours, theirs = [], []
        for _ in range(runs):
            ours.append(_timed(lambda: engine.validate(path, "pdf_report")))
            theirs.append(_timed(lambda: _pdfinfo(path)))
    finally:
        engine.close()
    ratio = statistics.median(ours) / statistics.median(theirs)
    rows.append([f"{label}Engine.validate() (moteur chaud, workers)", _cell(ours)])
    rows.append([f"{label}pdfinfo (processus à froid)", _cell(theirs)])
    rows.append([f"{label}rapport moteur / pdfinfo (médianes)", f"{ratio:.1f}×"])
    targets.append((f"{label}PDF 20 000 pages ≤ 10× pdfinfo (moteur chaud contre pdfinfo à froid)"
                    + ("" if target else " — pour information, hors cible"), f"{ratio:.1f}×",
                    (ratio <= 10) if target else None))
    if not target:
        return

    proof = Proof(path=str(path), name=path.name, size=path.stat().st_size, media_type="application/pdf",
                  format="pdf", extension="pdf", proof_type="pdf_report", rules=load_rules())
    inline = [_timed(lambda: PdfInspector(proof, proof.thresholds("pdf_report")).run()) for _ in range(max(3, runs // 2))]
    rows.append(["le plugin seul, dans ce processus (pour information)", _cell(inline)])

    preuves = [str(Path(sys.executable).with_name("preuves")), "check", "--type", "pdf_report", str(path)]
    if Path(preuves[0]).exists():
        env = {**os.environ, "PREUVES_LOAD_ENTRYPOINTS": "0"}
        cold, info = [], []
        for _ in range(max(3, runs // 3)):
            cold.append(_timed(lambda: subprocess.run(preuves, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                                      stderr=subprocess.DEVNULL, timeout=120)))
            info.append(_timed(lambda: _pdfinfo(path)))
        rows.append(["preuves check à froid / pdfinfo à froid (pour information)",
                     f"{_cell(cold)} / {_cell(info)} = {statistics.median(cold) / statistics.median(info):.0f}×"])


def section_walked(path: Path, runs: int, rows: list[list[str]]) -> None:
    """For information: the plugin alone on the file with its object streams left unscanned
    (``max_scan_bytes`` = 0), so that every page and every annotation is read, against pdfinfo."""
    from plugins.pdf_report import PdfInspector
    from validator_core.proof import Proof
    from validator_core.rules import load_rules

    proof = Proof(path=str(path), name=path.name, size=path.stat().st_size, media_type="application/pdf",
                  format="pdf", extension="pdf", proof_type="pdf_report", rules=load_rules())
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(_timed(lambda: PdfInspector(proof, {**proof.thresholds("pdf_report"), "max_scan_bytes": 0}).run()))
        theirs.append(_timed(lambda: _pdfinfo(path)))
    rows.append(["[le même, flux d'objets non balayés : chaque page et chaque annotation lues] plugin seul / "
                 "pdfinfo (pour information)",
                 f"{_cell(ours)} / {_cell(theirs)} = {statistics.median(ours) / statistics.median(theirs):.1f}×"])


def section_load(path: Path, heavy: list[Path], runs: int, rows: list[list[str]],
                 targets: list[tuple[str, str, bool | None]]) -> None:
    engine = _engine()
    try:
        engine.validate(path, "pdf_report")
        alone = []
        alone_s = []
        for _ in range(runs):
            started = time.perf_counter()
            alone.append(_verdict(engine.validate(path, "pdf_report")))
            alone_s.append(time.perf_counter() - started)

        stop = threading.Event()
        busy_count = [0]

        def keep_busy(other: Path) -> None:
            while not stop.is_set():
                engine.validate(other, "pdf_report")
                busy_count[0] += 1

        threads = [threading.Thread(target=keep_busy, args=(other,), daemon=True) for other in heavy]
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # both workers are now inside a heavy validation
        loaded, loaded_s = [], []
        try:
            for _ in range(runs):
                started = time.perf_counter()
                loaded.append(_verdict(engine.validate(path, "pdf_report")))
                loaded_s.append(time.perf_counter() - started)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)
    finally:
        engine.close()
    verdicts = set(alone) | set(loaded)
    shown = "; ".join(f"{v} ({n} pages)" for v, n, _ in sorted(verdicts))
    rows.append([f"verdict seul ({runs} fois)", f"{sorted(set(alone))[0][0]} — {_cell(alone_s)}"])
    rows.append([f"verdict, les deux workers occupés ({runs} fois, {busy_count[0]} validations lourdes à côté)",
                 f"{sorted(set(loaded))[0][0]} — {_cell(loaded_s)}"])
    targets.append(("même verdict seul et sous charge", shown, len(verdicts) == 1))


def _inspect(path: Path) -> None:
    from plugins.pdf_report import PdfInspector
    from validator_core.proof import Proof
    from validator_core.rules import load_rules

    proof = Proof(path=str(path), name=path.name, size=path.stat().st_size, media_type="application/pdf",
                  format="pdf", extension="pdf", proof_type="pdf_report", rules=load_rules())
    PdfInspector(proof, proof.thresholds("pdf_report")).run()


def section_scan(directory: Path, report: Path, runs: int, rows: list[list[str]],
                 targets: list[tuple[str, str, bool | None]]) -> None:
    """A one-page PDF carrying adversarial bytes in a stream, as large as ``report`` (an ordinary text
    report), against that report: the whole inspection, interleaved. For information, the same PDF
    carrying random bytes (an image's data, the cheapest content to scan) and the scan alone."""
    from fixtures.pdfs import _one_page, _stream, write_raw_pdf
    from plugins.pdf_report import _scan
    from validator_core.rules import load_rules

    size = report.stat().st_size - 1_000

    def carrier(name: str, payload: bytes) -> Path:
        objects = _one_page(extra_catalog=b"/Payload 6 0 R")
        objects.append(_stream(payload))
        return write_raw_pdf(directory / name, objects)

    random_data = os.urandom(size)
    random_pdf = carrier("random.pdf", random_data)
    patterns = {
        "« / » répétés": b"/" * size,
        "noms presque actifs (/JavaScrip)": (b"/JavaScrip" * (size // 10 + 1))[:size],
        "noms échappés (/#4A#61#76…)": (b"/#4A#61#76#61#53#63#72#69#70 " * (size // 30 + 1))[:size],
        "noms suivis d'un caractère de nom (/JSx)": (b"/JSx" * (size // 4 + 1))[:size],
        "noms actifs partout (/JS /AA …)": (b"/JS /AA " * (size // 8 + 1))[:size],
        "noms comptés partout (/URI)": (b"/URI " * (size // 5 + 1))[:size],
        "un seul nom très long": b"/" + b"#41" * (size // 3),
    }
    for label, data in patterns.items():
        hostile = carrier("hostile.pdf", data)
        whole_h, whole_o, whole_r, scan_h, scan_r = [], [], [], [], []
        for _ in range(runs):
            whole_h.append(_timed(lambda: _inspect(hostile)))
            whole_o.append(_timed(lambda: _inspect(report)))
            whole_r.append(_timed(lambda: _inspect(random_pdf)))
            scan_h.append(_timed(lambda: _scan(data, [load_rules().thresholds("pdf_report")["max_scan_hits"]])))
            scan_r.append(_timed(lambda: _scan(random_data, [load_rules().thresholds("pdf_report")["max_scan_hits"]])))
        ratio = statistics.median(whole_h) / statistics.median(whole_o)
        rows.append([f"PDF hostile ({label}, {size / 1e6:.1f} Mo) / rapport ordinaire de même taille",
                     f"{_cell(whole_h)} / {_cell(whole_o)} = {ratio:.2f}×"])
        rows.append([f"  — pour information : / même PDF d'octets aléatoires ; balayage seul",
                     f"{statistics.median(whole_h) / statistics.median(whole_r):.2f}× ; "
                     f"{statistics.median(scan_h) / statistics.median(scan_r):.2f}× "
                     f"({statistics.median(scan_h) * 1000:.0f} ms contre {statistics.median(scan_r) * 1000:.0f} ms)"])
        targets.append((f"PDF hostile ({label}) ≤ 3× un rapport ordinaire de même taille", f"{ratio:.2f}×",
                        ratio <= 3))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=None, help="also write the tables to this Markdown file")
    args = parser.parse_args(argv)
    if shutil.which("pdfinfo") is None:
        print("pdfinfo (poppler-utils) is needed", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    from bench.measure import machine
    from fixtures import pdfs

    rows: list[list[str]] = []
    targets: list[tuple[str, str, bool | None]] = []
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        directory = Path(tmp)
        path = pdfs.pages_pdf(directory, f"report-{args.pages}p.pdf", args.pages)
        heavy = [pdfs.pages_pdf(directory, f"heavy-{i}.pdf", args.pages) for i in range(2)]
        print(f"== {path.name}: {path.stat().st_size / 1e6:.1f} Mo, {args.pages} pages; {machine()}", flush=True)
        section_pdfinfo(path, args.runs, rows, targets)
        packed = pdfs.pages_pdf(directory, f"report-{args.pages}p-objstm.pdf", args.pages, object_streams=True)
        section_pdfinfo(packed, args.runs, rows, targets,
                        label=f"[mêmes pages en flux d'objets, {packed.stat().st_size / 1e6:.1f} Mo] ")
        linked = pdfs.pages_pdf(directory, f"report-{args.pages}p-links.pdf", args.pages, object_streams=True,
                                links=True)
        section_pdfinfo(linked, args.runs, rows, targets,
                        label=f"[un lien par page, flux d'objets, {linked.stat().st_size / 1e6:.1f} Mo] ")
        section_walked(linked, max(3, args.runs // 2), rows)
        section_load(path, heavy, args.runs, rows, targets)
        section_scan(directory, path, max(3, args.runs // 2), rows, targets)
        lines = [f"PDF de {args.pages} pages ({path.stat().st_size / 1e6:.1f} Mo, une page et un flux de contenu "
                 f"par page, fixtures.pdfs.pages_pdf) ; {machine()}.", "", "| mesure | valeur |", "|---|---|"]
        lines += [f"| {a} | {b} |" for a, b in rows]
        lines += ["", "| cible | mesure | atteinte |", "|---|---|---|"]
        lines += [f"| {a} | {b} | {'—' if ok is None else 'oui' if ok else 'NON'} |" for a, b, ok in targets]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0 if all(ok is not False for _, _, ok in targets) else 1


if __name__ == "__main__":
    raise SystemExit(main())
