"""Jobs benchmarks (issue 18's targets), side by side in one run, written to ``bench/JOBS.md``:

1. a 200-file dossier (videos, screenshots, PDFs, logs) through ``POST /v1/jobs`` with a Redis broker and
   2 ``preuves worker`` processes, against the same files through the synchronous engine
   (:func:`validator_core.service.check_dossier` in-process), the two alternating round by round:
   target ≤ 1.2×;
2. the per-job overhead (enqueue + stage + result) of a 1-file job, embedded queue and distributed: the
   time from the POST to the result seen by a client polling every 5 ms, minus the time of the same
   dossier through the synchronous ``POST /v1/dossiers`` of the same service (same upload, same
   dossier check: what remains is the job's own machinery), the two alternating: target ≤ 50 ms median.

Everything runs on loopback (a redis-server started here on a free port).

    python -m bench.jobs [--runs 3] [--overhead-runs 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis

from bench.measure import machine
from bench.server import ROOT, Server, free_port
from fixtures.media import make_picture, make_video
from fixtures.pdfs import text_pdf

RESULTS = Path(__file__).resolve().parent / "JOBS.md"
PROOFS = {"video": "DMP_CONF.03.01.01", "screenshot": "MSS_CONF.25.01.01", "pdf": "DOC_va1.01.01.01",
          "logs": "DMP_AIRS.06.01.02"}  # BIO proofs admitting one type each
MIX = {"video": 20, "screenshot": 60, "pdf": 60, "logs": 60}
LOG = b"2026-01-05 10:00:00 INFO connexion au service DMP\n" * 2000


def make_dossier(folder: Path) -> list[Path]:
    """200 files named by their proof (copies of one file per type: the same work per file)."""
    sources = {"video": make_video(folder, "src.mp4", seconds=2.0, size="640x360"),
               "screenshot": make_picture(folder, "src.png", size=(1920, 1080)),
               "pdf": text_pdf(folder, "src.pdf", pages=3)}
    (folder / "src.log").write_bytes(LOG)
    sources["logs"] = folder / "src.log"
    files = []
    for kind, count in MIX.items():
        for i in range(count):
            path = folder / "dossier" / f"{PROOFS[kind]} {kind}-{i:03d}{sources[kind].suffix}"
            path.parent.mkdir(exist_ok=True)
            shutil.copyfile(sources[kind], path)
            files.append(path)
    return files


def sync_dossier(files: list[Path]) -> float:
    from validator_core.dossier import match_files
    from validator_core.engine import Engine
    from validator_core.service import check_dossier
    from validator_core.settings import CoreSettings

    engine = Engine(CoreSettings(load_entrypoints=False))
    try:
        engine.start()
        dossier = match_files(engine.catalogue(), "BIO", [(p.name, p) for p in files])
        check_dossier(engine, dossier, rem="BIO")  # warm-up
        started = time.perf_counter()
        result = check_dossier(engine, dossier, rem="BIO")
        elapsed = time.perf_counter() - started
        assert result.summary()["files"] == len(files)
        return elapsed
    finally:
        engine.close()


def sync_one(client: httpx.Client, parts: list) -> float:
    """The same 1-file dossier through the synchronous route: the job's baseline."""
    started = time.perf_counter()
    response = client.post("/v1/dossiers", data={"rem": "BIO"}, files=parts)
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


def overheads(client: httpx.Client, parts: list, runs: int) -> tuple[float, float]:
    """Median job time and median synchronous time of the same 1-file dossier, alternating (after a warm-up)."""
    jobs, syncs = [], []
    for n in range(runs + 1):
        job_time = run_job(client, parts)[0]
        sync_time = sync_one(client, parts)
        if n:
            jobs.append(job_time)
            syncs.append(sync_time)
    return statistics.median(jobs), statistics.median(syncs)


def run_job(client: httpx.Client, parts: list, poll_s: float = 0.005) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post("/v1/jobs", data={"rem": "BIO"}, files=parts)
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    while True:
        job = client.get(location).json()
        if job["status"] not in ("queued", "running"):
            return time.perf_counter() - started, job
        time.sleep(poll_s)


def parts_of(files: list[Path]) -> list:
    return [("file", (p.name, p.read_bytes())) for p in files]


class Redis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def workers(self) -> int:
        return len(list(redis.Redis(port=self.port).scan_iter("preuves:worker:*")))

    def close(self) -> None:
        self.proc.kill()


def start_workers(env: dict[str, str], count: int, broker: Redis) -> list[subprocess.Popen]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")} | {"PREUVES_LOAD_ENTRYPOINTS": "0"} | env
    procs = [subprocess.Popen([sys.executable, "-m", "validator_core.cli", "worker"], cwd=ROOT, env=base,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]
    deadline = time.monotonic() + 60
    while broker.workers() < count:
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not start")
        time.sleep(0.1)
    time.sleep(1)
    return procs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--overhead-runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp_name:
        tmp = Path(tmp_name)
        files = make_dossier(tmp)
        parts = parts_of(files)
        one = [("file", (files[-1].name, files[-1].read_bytes()))]  # a log

        broker = Redis(tmp)
        env = {"PREUVES_JOBS_BROKER": broker.url, "PREUVES_STORAGE": str(tmp / "shared"),
               "PREUVES_DATA_DIR": str(tmp / "data-distributed")}
        workers = start_workers(env, 2, broker)
        try:
            with Server(tmp / "up-distributed", **env) as server, httpx.Client(base_url=server.base, timeout=600) as c:
                print("== 200 files: the synchronous engine and 2 workers, interleaved", flush=True)
                run_job(c, parts)  # warm-up
                jobs, syncs = [], []
                for _ in range(args.runs):  # A, B, A, B …: the machine's load falls on both sides alike
                    syncs.append(sync_dossier(files))
                    elapsed, job = run_job(c, parts)
                    assert job["status"] == "done" and job["result"]["summary"]["files"] == len(files), job["status"]
                    jobs.append(elapsed)
                distributed_one = overheads(c, one, args.overhead_runs)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
            broker.close()
        with Server(tmp / "up-embedded", PREUVES_DATA_DIR=str(tmp / "data-embedded")) as server, \
                httpx.Client(base_url=server.base, timeout=600) as c:
            print("== 1-file jobs, embedded", flush=True)
            embedded_one = overheads(c, one, args.overhead_runs)

    job_time, sync = statistics.median(jobs), statistics.median(syncs)
    ratio = job_time / sync
    overhead_d = (distributed_one[0] - distributed_one[1]) * 1000
    overhead_e = (embedded_one[0] - embedded_one[1]) * 1000
    text = f"""# Travaux : mesures (`python -m bench.jobs`)

- Date : {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}
- Machine : {machine()}
- Médianes sur {args.runs} dossiers (moteur synchrone et travaux en alternance) et {args.overhead_runs} travaux
  d'un fichier, chacun suivi du même dossier par la route synchrone (après un tour d'échauffement).

| objectif | mesure | atteint |
|---|---|---|
| dossier de 200 fichiers par `POST /v1/jobs`, 2 workers ≤ 1,2 × le moteur synchrone | {job_time:.2f} s contre {sync:.2f} s : {ratio:.2f}× | {'oui' if ratio <= 1.2 else 'non'} |
| surcoût d'un travail d'un fichier (mode distribué) ≤ 50 ms | {overhead_d:.1f} ms | {'oui' if overhead_d <= 50 else 'non'} |
| surcoût d'un travail d'un fichier (file intégrée) ≤ 50 ms | {overhead_e:.1f} ms | {'oui' if overhead_e <= 50 else 'non'} |

Dossier : {MIX['video']} vidéos (640×360, 2 s), {MIX['screenshot']} captures 1080p, {MIX['pdf']} PDF de 3 pages,
{MIX['logs']} journaux de {len(LOG) // 1000} ko. Le temps d'un travail va du début du `POST` (envoi compris) au
résultat vu par un client qui consulte toutes les 5 ms ; le surcoût est ce temps moins celui du même dossier
d'un fichier par `POST /v1/dossiers` sur le même service, les deux en alternance (médianes : distribué
{distributed_one[0] * 1000:.1f} ms contre {distributed_one[1] * 1000:.1f} ms, file intégrée
{embedded_one[0] * 1000:.1f} ms contre {embedded_one[1] * 1000:.1f} ms). Un dossier est exécuté par un seul worker (ses fichiers
par les processus du moteur de ce worker) : le second worker sert aux travaux simultanés.
"""
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
