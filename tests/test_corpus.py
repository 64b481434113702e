"""Opt-in: every PDF of the corpus folder (pdfium, govdocs1 error PDFs, corkami) gets a report.

Run with ``PREUVES_CORPUS=/path/to/corpus .venv/bin/python -m pytest -q -s tests/test_corpus.py``.
Skipped unless the variable names a folder (``tests/_corpus.py``); the files are third-party test data
and are never copied into the repository. Expected on every file: a report of the pdf_report plugin within the worker timeout,
no ``check.crashed``, no ``check.timeout``. The summary (files, verdicts, slowest) is printed.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from tests._corpus import CORPUS, SKIP_REASON

pytestmark = [pytest.mark.corpus, pytest.mark.skipif(CORPUS is None, reason=SKIP_REASON)]


def corpus_pdfs() -> list[Path]:
    assert CORPUS is not None
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")


def test_every_corpus_pdf_gets_a_report(engine):
    files = corpus_pdfs()
    assert files, "no PDF in the corpus"
    verdicts: Counter[str] = Counter()
    plugin_reports = 0
    failures: list[str] = []
    timings: list[tuple[float, str]] = []
    for path in files:
        started = time.perf_counter()
        report = engine.validate(path, "pdf_report")
        elapsed = time.perf_counter() - started
        timings.append((elapsed, path.relative_to(CORPUS).as_posix()))
        verdicts[report.verdict.value] += 1
        plugin_reports += "pdf_report" in report.facts
        isolation = [f"{f.code}({f.details.get('reason', '')})" for f in report.findings
                     if f.code in ("check.crashed", "check.timeout")]
        if isolation:
            failures.append(f"{path.name}: {', '.join(isolation)}")
    timings.sort(reverse=True)
    total = sum(t for t, _ in timings)
    print(f"\ncorpus: {len(files)} PDFs, {len(files) - len(failures)} reports without crash/timeout, "
          f"{plugin_reports} inspected by pdf_report (the others stopped by the core: empty file, not PDF by content)")
    print(f"verdicts: {dict(verdicts)}; total {total:.1f} s, median {timings[len(timings) // 2][0] * 1000:.0f} ms")
    for elapsed, name in timings[:5]:
        print(f"  slowest: {elapsed * 1000:8.0f} ms  {name}")
    assert not failures, failures
