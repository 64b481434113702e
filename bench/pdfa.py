"""PDF/A-1b conformance (``plugins/pdfa``): accuracy on veraPDF's test files, speed against ``qpdf --check``.

    python -m bench.pdfa [--corpus DIR] [--runs 3] [--markdown FILE]

1. **Accuracy.** Every file of a veraPDF PDF/A-1b test suite folder (``--corpus``, or
   ``$PREUVES_PDFA_CORPUS``; its ``index.json`` gives each file's clause and expected result) goes
   through :func:`plugins.pdfa.check`; per clause group (6.1 … 6.9) and overall: pass-recall
   (conformant files said conformant), fail-recall (the others said not), balanced accuracy (their
   mean). Target: balanced ≥ 95 %. For information, pikepdf's own allowlist validator
   (``pikepdf.pdfa``, when its optional dependencies are installed) on the same files.
2. **The suite, against qpdf --check.** Our check of every file (one process; each file read, opened
   with pikepdf and checked) against ``qpdf --check`` on each file (one process per file, the way the
   tool is run), interleaved, medians of ``--runs``. Target: ≤ 3×.
3. **A 10 Mo, 2,000-page PDF/A-1b** (``fixtures.pdfa``: text on every page and an image of its own,
   made once into ``bench/out/files``): our check against ``qpdf --check`` on it, interleaved.
   Target: ≤ 2×.
4. **Linear in objects.** Conformant files of about 1,000, 4,000 and 16,000 objects: time per object.
   Target: the largest file's time per object ≤ 1.5× the smallest's.

Everything runs locally and every loop is bounded in count. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.corpus import OUT

GROUPS = ("6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7", "6.9")


def _budget():
    from plugins import pdf_report
    from validator_core.rules import load_rules

    return pdf_report.pdfa_budget(load_rules().thresholds("pdf_report"))


def _check(path: Path, budget) -> dict:
    import pikepdf

    from plugins import pdfa

    data = path.read_bytes()
    with pikepdf.open(path, password="") as pdf:
        return pdfa.check(pikepdf, pdf, data, budget)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _pct(right: int, total: int) -> str:
    return f"{100 * right / total:.1f} %" if total else "—"


def accuracy(root: Path, budget) -> tuple[str, float]:
    index = json.loads((root / "index.json").read_text(encoding="utf-8"))
    counts: dict[str, list[int]] = {}  # group -> [pass right, pass total, fail right, fail total]
    pikepdf_counts = [0, 0, 0, 0]
    try:
        import pikepdf.pdfa as reference
    except ImportError:
        reference = None
    for item in index:
        group = ".".join(item["clause"].split(".")[:2])
        row = counts.setdefault(group, [0, 0, 0, 0])
        conformant = _check(root / item["file"], budget)["conformant"]
        offset = 0 if item["expect"] == "pass" else 2
        row[offset + 1] += 1
        row[offset] += conformant == (item["expect"] == "pass")
        if reference is not None:
            try:
                said = bool(reference.validate_written(str(root / item["file"]), "1b").passed)
            except Exception:  # noqa: BLE001 - a file it cannot read is not approved
                said = False
            pikepdf_counts[offset + 1] += 1
            pikepdf_counts[offset] += said == (item["expect"] == "pass")

    def row_cells(name: str, c: list[int]) -> tuple[list[str], float]:
        recalls = [c[0] / c[1]] if c[1] else []
        recalls += [c[2] / c[3]] if c[3] else []
        balanced = sum(recalls) / len(recalls) if recalls else 0.0
        return [name, str(c[1]), str(c[3]), _pct(c[0], c[1]), _pct(c[2], c[3]), f"{100 * balanced:.1f} %"], balanced

    rows = []
    total = [0, 0, 0, 0]
    for group in GROUPS:
        if group in counts:
            rows.append(row_cells(group, counts[group])[0])
            total = [a + b for a, b in zip(total, counts[group])]
    overall_cells, overall = row_cells("**ensemble**", total)
    rows.append(overall_cells)
    if reference is not None:
        rows.append(row_cells("pikepdf.pdfa (pour information)", pikepdf_counts)[0])
    header = ["groupe", "fichiers pass", "fichiers fail", "pass-recall", "fail-recall", "exactitude équilibrée"]
    return _table(header, rows), overall


def _qpdf_check(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        subprocess.run(["qpdf", "--check", str(path)], capture_output=True, check=False)
    return time.perf_counter() - started


def _ours(paths: list[Path], budget) -> float:
    started = time.perf_counter()
    for path in paths:
        _check(path, budget)
    return time.perf_counter() - started


def compare(paths: list[Path], budget, runs: int) -> tuple[float, float]:
    """Medians (s) of our check and of qpdf --check over ``paths``, interleaved."""
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(_ours(paths, budget))
        theirs.append(_qpdf_check(paths))
    return statistics.median(ours), statistics.median(theirs)


def _made(name: str, **kwargs) -> Path:
    from fixtures import pdfa as fx

    path = OUT / name
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        fx.conformant_pdf(OUT, name, **kwargs)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=os.environ.get("PREUVES_PDFA_CORPUS"),
                        help="a veraPDF PDF/A-1b test suite folder with its index.json")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", help="write the tables to this file")
    args = parser.parse_args()
    if shutil.which("qpdf") is None:
        print("qpdf is not installed", file=sys.stderr)
        return 2
    budget = _budget()
    parts: list[str] = []
    met = True

    if args.corpus:
        root = Path(args.corpus)
        table, overall = accuracy(root, budget)
        parts += ["### Exactitude sur la suite de tests PDF/A-1b de veraPDF", "", table, "",
                  f"Objectif : exactitude équilibrée ≥ 95 % — {100 * overall:.1f} % "
                  f"({'atteint' if overall >= 0.95 else 'non atteint'}).", ""]
        met &= overall >= 0.95
        files = sorted(root.rglob("*.pdf"))
        ours, theirs = compare(files, budget, args.runs)
        parts += ["### La suite entière contre `qpdf --check`", "",
                  _table(["", "fichiers", "s (médiane)"],
                         [["plugins.pdfa (un processus)", str(len(files)), f"{ours:.2f}"],
                          ["qpdf --check (un processus par fichier)", str(len(files)), f"{theirs:.2f}"],
                          ["ratio", "", f"{ours / theirs:.2f}× (objectif ≤ 3×)"]]), ""]
        met &= ours <= 3 * theirs
    else:
        parts += ["(pas de suite de tests veraPDF : `--corpus` ou `PREUVES_PDFA_CORPUS`)", ""]

    big = _made("pdfa-2000-pages-10mo.pdf", pages=2000, lines_per_page=6, noise=4500)
    ours, theirs = compare([big], budget, args.runs)
    parts += ["### PDF/A-1b de 2 000 pages contre `qpdf --check`", "",
              _table(["", "octets", "s (médiane)"],
                     [["plugins.pdfa", f"{big.stat().st_size:,}".replace(",", " "), f"{ours:.2f}"],
                      ["qpdf --check", "", f"{theirs:.2f}"],
                      ["ratio", "", f"{ours / theirs:.2f}× (objectif ≤ 2×)"]]), ""]
    met &= ours <= 2 * theirs

    rows, per_object = [], []
    for pages in (500, 2000, 8000):
        path = _made(f"pdfa-{pages}-pages-text.pdf", pages=pages, image=False)
        import pikepdf

        with pikepdf.open(path) as pdf:
            objects = len(pdf.get_xref_table())
        seconds = min(_ours([path], budget) for _ in range(args.runs))
        per_object.append(seconds / objects)
        rows.append([f"{objects:,}".replace(",", " "), f"{seconds * 1000:.0f}", f"{seconds / objects * 1e6:.1f}"])
    ratio = per_object[-1] / per_object[0]
    parts += ["### Coût linéaire en objets", "", _table(["objets", "ms", "µs par objet"], rows), "",
              f"µs par objet, le plus grand fichier contre le plus petit : {ratio:.2f}× (objectif ≤ 1,5×).", ""]
    met &= ratio <= 1.5

    text = "\n".join(parts)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
