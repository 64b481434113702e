"""Property-based fuzzing of the engine's entry point with mutated real files.

Seeds are real files (ffmpeg, Pillow, reportlab, lxml-free XML text, zipfile); hypothesis flips bytes,
truncates, splices and duplicates. Property: every mutant gets a schema-valid report from a running
engine, and no plugin lets an exception escape (``check.crashed`` with a Python exception name means a
plugin forgot to handle bad input). A short run is in ``make test``; ``PREUVES_FUZZ_EXAMPLES=2000``
gives a long one (see bench/RESULTS.md for the last long run).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures import formats
from validator_core.schema import committed_schema

EXAMPLES = int(os.environ.get("PREUVES_FUZZ_EXAMPLES", "40"))
# Signals mean a native parser died: acceptable (isolated, reported); Python exceptions are our bugs.
NATIVE_DEATHS = {"SIGSEGV", "SIGABRT", "SIGBUS", "SIGKILL", "SIGILL", "SIGFPE", "MemoryError"}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, tuple[bytes, str]]:
    d = tmp_path_factory.mktemp("seeds")
    out: dict[str, tuple[bytes, str]] = {
        "png": (formats.make_image(d, "PNG", size=(320, 200)).read_bytes(), "screenshot"),
        "jpg": (formats.make_image(d, "JPEG", size=(320, 200)).read_bytes(), "screenshot"),
        "pdf": (formats.make_pdf(d).read_bytes(), "pdf_report"),
        "xml": (b'<?xml version="1.0"?><validationReport xmlns="http://validationreport.gazelle.ihe.net/" '
                b'result="PASSED"><counters numberOfErrors="0"/></validationReport>', "report_link"),
        "hl7": (b"MSH|^~\\&|APP|FAC|DMP|ANS|20240301101500||ADT^A01|123|P|2.5\r"
                b"PID|||279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS\r", "logs"),
    }
    if formats.have_ffmpeg():
        out["mp4"] = (formats.make_video(d, "mp4", seconds=1, size="320x240").read_bytes(), "video")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("trace.log", "2024-03-01 10:00:00 INFO ok\n" * 50)
    out["zip"] = (buf.getvalue(), "logs")
    return out


@st.composite
def mutants(draw, seeds: dict[str, tuple[bytes, str]]):
    name = draw(st.sampled_from(sorted(seeds)))
    data, proof_type = seeds[name]
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "duplicate", "zero"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 4096)))
            data[at:at] = data[at:end]
        else:
            end = min(len(data), at + draw(st.integers(1, 512)))
            data[at:end] = bytes(end - at)
    typed = draw(st.booleans())
    return name, bytes(data), proof_type if typed else None


def test_mutated_real_files_always_get_a_clean_report(engine, seeds, tmp_path_factory):
    validator = jsonschema.Draft202012Validator(committed_schema())
    work = tmp_path_factory.mktemp("fuzz")

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=EXAMPLES <= 40)
    @given(mutants(seeds))
    def check(case):
        name, data, proof_type = case
        path = Path(work) / f"mutant.{name}"
        path.write_bytes(data)
        report = engine.validate(path, proof_type)
        as_dict = report.to_dict()
        assert not list(validator.iter_errors(as_dict))
        escaped = [f.details for f in report.findings
                   if f.code == "check.crashed" and f.details.get("reason") not in NATIVE_DEATHS]
        assert escaped == [], f"a plugin let an exception escape on a mutated {name}: {escaped}"

    check()
