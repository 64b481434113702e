"""``make bench``: measure, side by side in one run, and write ``bench/RESULTS.md``.

Sections (issue 7): 1. library per type vs the sha256 floor; 2. HTTP upload vs a receive-only route;
3. against native tools (mediainfo + file, MediaConch, qpdf --check); 4. throughput and peak RSS under
concurrency; 5. scaling with file size and page count; 6. a bounded loopback soak; 7. reliability
(issue 12: hostile texts, links and media, a 20,000-page PDF under load, cold start-up, hostile HTTP clients).
Everything runs on loopback; every loop is bounded in count and time.

    python -m bench.run [--quick] [--only 1,2,...] [--soak N]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import corpus
from bench.measure import PeakRss, Timing, machine, repeat, rss_bytes, sha256_floor, tree_pids
from bench.server import Server

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"


class Report:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.verdicts: list[tuple[str, str, bool | None]] = []

    def h(self, title: str) -> None:
        self.parts.append(f"\n## {title}\n")
        print(f"== {title}", flush=True)

    def p(self, text: str) -> None:
        self.parts.append(text + "\n")

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.parts.append("| " + " | ".join(header) + " |")
        self.parts.append("|" + "---|" * len(header))
        for row in rows:
            self.parts.append("| " + " | ".join(row) + " |")
            print("   " + " | ".join(row), flush=True)
        self.parts.append("")

    def target(self, name: str, value: str, met: bool | None) -> None:
        self.verdicts.append((name, value, met))

    def expect_verdicts(self, section: str, verdicts: list[tuple[str, str, str]]) -> None:
        """A target met when every (file, verdict, expected verdict) of a section matches: a timing of a
        file the validator wrongly rejects (``check.crashed``…) measures nothing."""
        wrong = [f"{label} : {got} (attendu {expected})" for label, got, expected in verdicts if got != expected]
        self.target(f"Fichiers de mesure de la section {section} : verdict attendu", "; ".join(wrong) or
                    f"{len(verdicts)} sur {len(verdicts)}", not wrong)


def _engine(rules: Path | None = None):
    from validator_core import Engine
    from validator_core.registry import PluginConfig
    from validator_core.settings import CoreSettings

    settings = CoreSettings(load_entrypoints=False, **({"rules": str(rules)} if rules else {}))
    return Engine(settings, plugin_config=PluginConfig(entrypoints=False))


def section_library(rep: Report, runs: int) -> None:
    rep.h("1. Bibliothèque, par type (médiane et min–max, ms) contre le plancher sha256")
    engine = _engine()
    # The first-wave target (format, size, structure) with the picture checks issue 16 added, and with
    # its OCR off (the frames are still decoded: issue 12 asks that a few decode): what each costs.
    without_ocr = _engine(rules=corpus.rules_without_ocr())
    video_50 = corpus.mp4_sized(50)
    # (label, file, proof type, engine, the target its ratio is held to or None)
    files = [
        ("PNG 1080p (écran d'application)", corpus.png_1080p(), "screenshot", engine, None),
        ("PNG 1080p (écran chargé, bruit)", corpus.png_1080p(busy=True), "screenshot", engine, None),
        ("MP4 30 s 720p", corpus.mp4_30s(), "video", engine, None),
        ("MP4 50 Mo", video_50, "video", engine, "Vidéo 50 Mo ≤ 2× sha256"),
        ("MP4 50 Mo, sans OCR (`ocr = false`)", video_50, "video", without_ocr,
         "Vidéo 50 Mo ≤ 2× sha256, sans OCR (`ocr = false` ; images décodées)"),
        ("PDF 10 pages", corpus.pdf_pages(10), "pdf_report", engine, None),
        ("PDF 300 pages", corpus.pdf_pages(300), "pdf_report", engine, None),
        ("Log 1 Mo", corpus.log_1mo(), "logs", engine, None),
        ("Lien Gazelle", corpus.link_file(), "report_link", engine, None),
    ]
    rows, verdicts = [], []
    try:
        engine.start()
        without_ocr.start()
        for label, path, proof_type, used, target in files:
            validate = repeat(lambda: used.validate(path, proof_type), runs)
            floor = repeat(lambda: sha256_floor(path), runs)
            ratio = validate.median / floor.median
            verdict = used.validate(path, proof_type).verdict.value
            rows.append([label, f"{path.stat().st_size:,}".replace(",", " "), validate.cell(), floor.cell(),
                         f"{ratio:.1f}×", verdict])
            verdicts.append((label, verdict, _expected_verdict(proof_type)))
            if target:
                rep.target(target, f"{ratio:.2f}×", ratio <= 2.0)
    finally:
        engine.close()
        without_ocr.close()
    rep.table(["fichier", "octets", "validate()", "sha256", "ratio", "verdict"], rows)
    rep.expect_verdicts("1", verdicts)


def _expected_verdict(proof_type: str) -> str:
    # The corpus' PDFs are made by reportlab, not PDF/A: pdf_report.pdfa_missing, a warning, by design.
    return "accepted_with_warnings" if proof_type == "pdf_report" else "accepted"


def _upload(client: httpx.Client, url: str, path: Path, proof_type: str | None = None) -> httpx.Response:
    with path.open("rb") as fh:
        data = {"proof_type": proof_type} if proof_type else {}
        return client.post(url, files={"file": (path.name, fh, "application/octet-stream")}, data=data)


def section_http(rep: Report, runs: int) -> None:
    rep.h("2. HTTP : envoi de 50 Mo, validation contre réception seule (ms)")
    video = corpus.mp4_sized(50)
    with Server(HERE / "out" / "tmp-http", PREUVES_BENCH_ROUTES="1") as server, httpx.Client(timeout=120) as client:
        full, receive = [], []
        _upload(client, server.base + "/v1/validations", video, "video")
        _upload(client, server.base + "/v1/bench/receive", video)
        for _ in range(runs):  # alternate, so drift hits both sides alike
            for url, samples in (("/v1/validations", full), ("/v1/bench/receive", receive)):
                started = time.perf_counter()
                response = _upload(client, server.base + url, video, "video" if "validations" in url else None)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, (url, response.status_code, response.text[:300])
    ratio = statistics.median(full) / statistics.median(receive)
    rep.table(["route", "médiane (min–max) ms"],
              [["POST /v1/validations (video)", Timing(full).cell()], ["POST /v1/bench/receive", Timing(receive).cell()],
               ["ratio", f"{ratio:.2f}×"]])
    rep.target("HTTP 50 Mo ≤ 1.3× réception seule", f"{ratio:.2f}×", ratio <= 1.3)


def _time_cmd(cmd: list[str] | str, runs: int, **kw) -> Timing:
    def run() -> None:
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       shell=isinstance(cmd, str), timeout=900, **kw)

    return repeat(run, runs)


def section_tools(rep: Report, runs: int) -> None:
    rep.h("3. Contre les outils natifs (un processus sur le même lot, secondes)")
    videos = [corpus.mp4_30s(), corpus.mp4_sized(10), corpus.mp4_sized(25), corpus.mp4_sized(50)]
    batch_dir = HERE / "out" / "batch"
    shutil.rmtree(batch_dir, ignore_errors=True)
    batch_dir.mkdir(parents=True)
    video_batch = []
    for i in range(5):
        for v in videos:
            link = batch_dir / f"{i}-{v.name}"
            link.symlink_to(v)
            video_batch.append(str(link))
    pdfs = [str(corpus.pdf_pages(10)), str(corpus.pdf_pages(300))] * 5
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}, "PREUVES_LOAD_ENTRYPOINTS": "0"}
    preuves = [sys.executable, "-m", "validator_core.cli", "check", "--json"]
    rows = []
    ours_v = _time_cmd([*preuves, "--type", "video", *video_batch], runs, env=env, cwd=ROOT)
    rows.append([f"preuves check (vidéo ×{len(video_batch)})", ours_v.cell("s")])
    if shutil.which("mediainfo") and shutil.which("file"):
        q = " ".join(video_batch)
        mi = _time_cmd(f"mediainfo --Output=JSON {q} >/dev/null && file --mime-type {q} >/dev/null", runs)
        rows.append(["mediainfo --Output=JSON + file --mime-type", mi.cell("s")])
    if shutil.which("mediaconch"):
        # --Force: MediaConch otherwise answers from its database of files already seen.
        mc = _time_cmd(["mediaconch", "--Force", "-p", str(HERE / "mediaconch-policy.xml"), *video_batch], runs)
        rows.append(["MediaConch --Force (politique équivalente)", mc.cell("s")])
        rep.target("Plus rapide que MediaConch (vidéos)", f"{ours_v.median:.2f} s vs {mc.median:.2f} s",
                   ours_v.median < mc.median)
    else:
        rows.append(["MediaConch", "non installé (apt-get install mediaconch)"])
        rep.target("Plus rapide que MediaConch (vidéos)", "non mesuré", None)
    ours_p = _time_cmd([*preuves, "--type", "pdf_report", *pdfs], runs, env=env, cwd=ROOT)
    rows.append([f"preuves check (PDF ×{len(pdfs)})", ours_p.cell("s")])
    if shutil.which("qpdf"):
        qp = _time_cmd("for f in " + " ".join(pdfs) + "; do qpdf --check \"$f\" >/dev/null; done", runs)
        rows.append(["qpdf --check (boucle shell)", qp.cell("s")])
        rep.target("PDF ≤ 2× qpdf --check", f"{ours_p.median / qp.median:.2f}×", ours_p.median <= 2 * qp.median)
    rep.table(["commande", "médiane (min–max) s"], rows)
    rep.p("Les deux côtés paient le démarrage de leur processus (pour `preuves` : Python et deux workers).")


class _Clients:
    """One keep-alive HTTP client per load thread, as the portal would hold (creating an httpx client
    per request costs the load generator more CPU than the service spends on a small file)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[httpx.Client] = []

    def get(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=120)
            self._all.append(client)
        return client

    def close(self) -> None:
        for client in self._all:
            client.close()


def _load(server: Server, path: Path, proof_type: str, total: int, clients: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    pool_of_clients = _Clients()

    def one(_: int) -> None:
        nonlocal errors
        client = pool_of_clients.get()
        started = time.perf_counter()
        response = _upload(client, server.base + "/v1/validations", path, proof_type)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors += 1

    started = time.perf_counter()
    with cf.ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(total)))
    pool_of_clients.close()
    return time.perf_counter() - started, latencies, errors


def section_load(rep: Report, quick: bool) -> None:
    rep.h("4. Débit et mémoire sous concurrence (HTTP, boucle locale)")
    rows = []
    captures = 100 if quick else 400
    # The 50/s target is issue 7's, for format, size and structure. Reading the text of a capture (OCR:
    # a real patient's NIR, the INS status, the clock) costs ~0.25 s of one core per 1080p screen: with
    # it on (the default) the rate is measured and shown, against the same service with ``ocr = false``.
    with Server(HERE / "out" / "tmp-load-no-ocr", PREUVES_MAX_IN_FLIGHT="64",
                PREUVES_RULES=str(corpus.rules_without_ocr())) as server:
        elapsed, lat, errors = _load(server, corpus.ui_1080p(), "screenshot", captures, 8)
        rows.append(_load_row("captures 1080p, sans OCR (`ocr = false`)", captures, 8, elapsed, lat, errors))
        rep.target("≥ 50 captures/s sur 2 cœurs (format, taille, structure : `ocr = false`)",
                   f"{captures / elapsed:.1f}/s", captures / elapsed >= 50)
    with Server(HERE / "out" / "tmp-load", PREUVES_MAX_IN_FLIGHT="64") as server:
        for label, path, proof_type, total, clients in (
            ("captures 1080p, avec OCR (défaut)", corpus.ui_1080p(), "screenshot", captures // 4, 8),
            ("vidéos 30 s", corpus.mp4_30s(), "video", 20 if quick else 100, 8),
        ):
            elapsed, lat, errors = _load(server, path, proof_type, total, clients)
            rows.append(_load_row(label, total, clients, elapsed, lat, errors))
        rep.table(["fichiers", "requêtes", "clients", "débit", "p50 ms", "p99 ms", "erreurs"], rows)
        video = corpus.mp4_sized(50)
        baseline = sum(rss_bytes(p) for p in tree_pids(server.pid))
        with PeakRss(server.pid) as peak:
            elapsed, lat, errors = _load(server, video, "video", 20, 20)
        rep.p(f"20 envois simultanés de 50 Mo ({elapsed:.1f} s, {errors} erreur(s)) — mémoire du service entier "
              f"(processus principal, serveur de fork, workers) : RSS additionnée au repos {baseline / 1e6:.0f} Mo, "
              f"pic {peak.peak / 1e6:.0f} Mo ; PSS (pages partagées comptées une fois) pic {peak.peak_pss / 1e6:.0f} Mo.")
        rep.target("Pic mémoire ≤ 400 Mo (20 × 50 Mo, PSS)", f"PSS {peak.peak_pss / 1e6:.0f} Mo (RSS additionnée "
                   f"{peak.peak / 1e6:.0f} Mo)", peak.peak_pss <= 400e6)


def _load_row(label: str, total: int, clients: int, elapsed: float, lat: list[float], errors: int) -> list[str]:
    lat.sort()
    return [label, str(total), str(clients), f"{total / elapsed:.1f}/s", f"{statistics.median(lat) * 1000:.0f}",
            f"{lat[int(len(lat) * 0.99) - 1] * 1000:.0f}", str(errors)]


def section_scaling(rep: Report, runs: int, quick: bool) -> None:
    rep.h("5. Passage à l'échelle (bibliothèque, médiane ms)")
    engine = _engine()
    engine.start()
    try:
        rows, verdicts = [], []
        for mo in (1, 5, 10, 25, 50):
            path = corpus.mp4_sized(mo)
            t = repeat(lambda: engine.validate(path, "video"), runs)
            f = repeat(lambda: sha256_floor(path), runs)
            verdict = engine.validate(path, "video").verdict.value
            verdicts.append((f"vidéo {mo} Mo", verdict, _expected_verdict("video")))
            rows.append([f"vidéo {mo} Mo", f"{path.stat().st_size / 1e6:.1f} Mo", t.cell(), f.cell(),
                         f"{t.median / f.median:.1f}×", verdict])
        rep.table(["fichier", "taille", "validate()", "sha256", "ratio", "verdict"], rows)
        rows = []
        previous = None
        for pages in ((1, 10, 100, 1000) if quick else (1, 10, 100, 1000, 3000)):
            path = corpus.pdf_pages(pages)
            t = repeat(lambda: engine.validate(path, "pdf_report"), max(3, runs // 2))
            per_page = t.median / pages * 1000
            verdict = engine.validate(path, "pdf_report").verdict.value
            verdicts.append((f"PDF {pages} pages", verdict, _expected_verdict("pdf_report")))
            rows.append([str(pages), f"{path.stat().st_size / 1e6:.2f} Mo", t.cell(), f"{per_page:.2f}",
                         "" if previous is None else f"{t.median / previous:.1f}×", verdict])
            previous = t.median
        rep.table(["pages PDF", "taille", "validate() ms", "ms/page", "vs ligne précédente", "verdict"], rows)
    finally:
        engine.close()
    rep.expect_verdicts("5", verdicts)


def section_soak(rep: Report, total: int) -> None:
    rep.h(f"6. Endurance : {total} requêtes mêlées, 16 clients (boucle locale)")
    files = [(corpus.png_1080p(), "screenshot"), (corpus.mp4_30s(), "video"), (corpus.pdf_pages(10), "pdf_report"),
             (corpus.log_1mo(), "logs"), (corpus.link_file(), "report_link"), (corpus.pdf_pages(10), None)]
    tmp_dir = HERE / "out" / "tmp-soak"
    with Server(tmp_dir, PREUVES_MAX_IN_FLIGHT="64") as server:
        with httpx.Client(timeout=60) as warm:
            for path, proof_type in files:
                _upload(warm, server.base + "/v1/validations", path, proof_type)
        base_rss = sum(rss_bytes(p) for p in tree_pids(server.pid))
        base_tmp = sum(1 for p in tmp_dir.rglob("*") if p.is_file())
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        deadline = time.monotonic() + 1800

        clients = _Clients()

        def one(i: int) -> None:
            if time.monotonic() > deadline:
                return
            path, proof_type = files[i % len(files)]
            started = time.perf_counter()
            code = _upload(clients.get(), server.base + "/v1/validations", path, proof_type).status_code
            latencies.append(time.perf_counter() - started)
            statuses[code] = statuses.get(code, 0) + 1

        started = time.perf_counter()
        with cf.ThreadPoolExecutor(16) as pool:
            list(pool.map(one, range(total)))
        elapsed = time.perf_counter() - started
        clients.close()
        time.sleep(1)
        end_rss = sum(rss_bytes(p) for p in tree_pids(server.pid))
        end_tmp = sum(1 for p in tmp_dir.rglob("*") if p.is_file())
    latencies.sort()
    errors = sum(n for code, n in statuses.items() if code != 200)
    rep.table(["requêtes", "durée s", "statuts", "p50 ms", "p99 ms", "RSS début → fin (Mio)", "fichiers temporaires début → fin"],
              [[str(len(latencies)), f"{elapsed:.0f}", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
                f"{statistics.median(latencies) * 1000:.0f}", f"{latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f}",
                f"{base_rss / 2**20:.0f} → {end_rss / 2**20:.0f}", f"{base_tmp} → {end_tmp}"]])
    rep.target("Endurance : 0 erreur", str(errors), errors == 0)
    rep.target("Endurance : fichiers temporaires revenus au départ", f"{base_tmp} → {end_tmp}", end_tmp <= base_tmp)


# Issue 12 (reliability): each measurement is its own module, runnable alone (``python -m bench.X``);
# here each runs in a fresh process (its own engine and workers) and its Markdown table lands in the
# report, its exit status in the targets (0 = target met).
RELIABILITY = (
    # (title, module, arguments, option that writes its Markdown table (None: its stdout), target)
    ("Textes hostiles de 1 Mo contre un log ordinaire (validation complète)", "bench.scans", ["--runs", "5"],
     "--markdown", "chaque texte hostile de 1 Mo ≤ 3× un log ordinaire de 1 Mo"),
    ("Fichiers de liens hostiles de 1 Mo", "bench.links", ["--rounds", "3"], None, None),
    ("Vidéos et images hostiles contre des fichiers ordinaires", "bench.media", ["--runs", "5"], "--markdown",
     "chaque fichier média hostile refusé avec son code en ≤ 3× un fichier ordinaire"),
    ("PDF valide de 20 000 pages : contre `pdfinfo`, seul et sous charge", "bench.pdf", ["--runs", "10"], "--out",
     "PDF de 20 000 pages : même verdict seul et sous charge, ≤ 10× `pdfinfo` (toutes les variantes)"),
    ("PDF/A-1b : exactitude sur la suite de tests veraPDF (`PREUVES_PDFA_CORPUS`), vitesse contre `qpdf --check`",
     "bench.pdfa", ["--runs", "3"], "--markdown",
     "PDF/A-1b : exactitude équilibrée ≥ 95 %, suite ≤ 3× et 2 000 pages ≤ 2× `qpdf --check`, coût linéaire"),
    ("Service HTTP sous clients hostiles (32 lents + 10 000 connexions inactives), `kill -9` du serveur de fork",
     "bench.http_robustness", [], "--markdown",
     "envoi ordinaire ≤ 2× au repos sous attaque ; reprise ≤ 5 s après `kill -9`"),
)


def section_reliability(rep: Report, quick: bool) -> None:
    from bench.startup import section_startup

    section_startup(rep, 6 if quick else 15)
    for title, module, args, table_option, target in RELIABILITY:
        if quick and module == "bench.http_robustness":
            args = ["--rounds", "2", "--per-round", "3", "--idle", "2000", "--kills", "1"]
        rep.h(title)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="bench-section7-") as folder:
            table_file = Path(folder) / "table.md"
            extra = [table_option, str(table_file)] if table_option else []
            done = subprocess.run([sys.executable, "-m", module, *args, *extra], cwd=ROOT, capture_output=True,
                                  text=True, timeout=1800)
            table = table_file.read_text(encoding="utf-8") if table_option and table_file.exists() else \
                "\n".join(line for line in done.stdout.splitlines() if line.startswith("|") or line.startswith("pire "))
        rep.p(table.rstrip() + f"\n\n`python -m {module} {' '.join(args)}`".rstrip() +
              f" — {time.perf_counter() - started:.0f} s, code de sortie {done.returncode}")
        if done.returncode not in (0, 1):
            rep.p("```\n" + done.stderr[-2000:] + "\n```")
        if target:
            rep.target(target, "voir la section", done.returncode == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs and requests")
    parser.add_argument("--only", default="1,2,3,4,5,6,7", help="sections to run, e.g. 1,5")
    parser.add_argument("--soak", type=int, default=10_000, help="requests in the soak (section 6)")
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    only = {int(x) for x in args.only.split(",")}
    rep = Report()
    started = time.perf_counter()
    steps = {
        1: lambda: section_library(rep, runs),
        2: lambda: section_http(rep, max(3, runs - 2)),
        3: lambda: section_tools(rep, 3),
        4: lambda: section_load(rep, args.quick),
        5: lambda: section_scaling(rep, runs, args.quick),
        6: lambda: section_soak(rep, 500 if args.quick else args.soak),
        7: lambda: section_reliability(rep, args.quick),
    }
    for number, step in steps.items():
        if number in only:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - a failed section is reported, the others still run
                rep.p(f"**Section {number} en échec** : {type(exc).__name__}: {exc}")
                print(f"section {number} failed: {exc!r}", file=sys.stderr)
    head = [
        "# Résultats des mesures (`make bench`)",
        "",
        f"- Date : {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC ; durée {time.perf_counter() - started:.0f} s",
        f"- Machine : {machine()} ; Python {platform.python_version()} ; {platform.platform()}",
        f"- Commande : `python -m bench.run {' '.join(sys.argv[1:])}`".rstrip(),
        "- Chaque cellule : médiane (min–max). Les deux côtés d'une comparaison sont mesurés dans le même run.",
        "",
        "## Objectifs",
        "",
        "| objectif | mesure | atteint |",
        "|---|---|---|",
        *[f"| {name} | {value} | {'oui' if met else 'non' if met is False else '—'} |" for name, value, met in rep.verdicts],
    ]
    RESULTS.write_text("\n".join(head) + "\n" + "\n".join(rep.parts) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
