"""Opt-in: every file of the corpus folder sent to the real HTTP service gets a 200 and a report.

Run with ``PREUVES_CORPUS=/path/to/corpus .venv/bin/python -m pytest -q -s tests/test_corpus_http.py``
(``tests/_corpus.py``). Each file
is posted twice: with no type (inferred from the content) and as the type its extension suggests.
Target: 100 % answered with 200, no 5xx, no ``check.crashed`` / ``check.timeout``; the summary
(count, verdicts, slowest file) is printed. The files are third-party test data, never copied into
the repository.
"""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest

from tests._corpus import CORPUS, SKIP_REASON
from tests._server import start_server, stop_server

TYPE_BY_EXTENSION = {".pdf": "pdf_report", ".png": "screenshot", ".jpg": "screenshot", ".jp2": "screenshot"}

pytestmark = [pytest.mark.corpus, pytest.mark.skipif(CORPUS is None, reason=SKIP_REASON)]


def test_every_corpus_file_is_answered_over_http(tmp_path):
    assert CORPUS is not None
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("README.md", "index.json"))
    proc, url = start_server(tmp_path / "tmp", tmp_path / "server.log", PREUVES_RATE_LIMIT_PER_MIN="0")
    statuses: Counter[int] = Counter()
    verdicts: Counter[str] = Counter()
    problems: list[str] = []
    timings: list[tuple[float, str]] = []
    try:
        with httpx.Client(timeout=120) as client:
            for path in files:
                for proof_type in (None, TYPE_BY_EXTENSION.get(path.suffix.lower())):
                    data = {"proof_type": proof_type} if proof_type else {}
                    started = time.perf_counter()
                    with path.open("rb") as fh:
                        response = client.post(url + "/v1/validations", data=data,
                                               files={"file": (path.name, fh, "application/octet-stream")})
                    timings.append((time.perf_counter() - started, f"{path.name} ({proof_type or 'déduit'})"))
                    statuses[response.status_code] += 1
                    if response.status_code != 200:
                        problems.append(f"{path.name}: HTTP {response.status_code}")
                        continue
                    report = response.json()
                    verdicts[report["verdict"]] += 1
                    isolation = [f["code"] for f in report["findings"] if f["code"] in ("check.crashed", "check.timeout")]
                    if isolation:
                        problems.append(f"{path.name} ({proof_type}): {isolation}")
    finally:
        stop_server(proc)
    timings.sort(reverse=True)
    print(f"\ncorpus over HTTP: {len(files)} files, {sum(statuses.values())} requests, statuses {dict(statuses)}, "
          f"verdicts {dict(verdicts)}")
    for elapsed, name in timings[:3]:
        print(f"  slowest: {elapsed * 1000:7.0f} ms  {name}")
    assert problems == []
    assert not [p for p in tmp_path.joinpath("tmp").rglob("*") if p.is_file()], "temp files left"
