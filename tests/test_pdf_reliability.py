"""pdf_report gives the same verdict under any load, and always inspects what a viewer runs (issue 12).

Files are generated at test time (``fixtures.pdfs``: raw bytes with a correct xref, object streams
written by hand), each hostile case with its exact expected code. The load test runs real
validations concurrently through an Engine with isolation="process" and two workers.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from fixtures import pdfs
from plugins.pdf_report import PdfInspector, _scan
from validator_core.proof import Proof
from validator_core.rules import load_rules

THRESHOLDS = load_rules().thresholds("pdf_report")

pytestmark = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is a test tool of the PDF fixtures")


@pytest.fixture(scope="module")
def pdf_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdf-reliability")


def codes(report, severity: str | None = None) -> set[str]:
    return {f.code for f in report.findings if severity is None or f.severity.value == severity}


def details(report, code: str) -> dict:
    return next(f.details for f in report.findings if f.code == code)


def inspect_inline(path: Path, **settings):
    proof = Proof(path=str(path), name=path.name, size=path.stat().st_size, media_type="application/pdf",
                  format="pdf", extension="pdf", proof_type="pdf_report", rules=load_rules())
    inspection = PdfInspector(proof, {**THRESHOLDS, **settings}).run()
    return {f.code: f for f in inspection.findings}, inspection.facts


# --- the same verdict alone and with both workers busy ---------------------------------------------
def test_20000_pages_same_verdict_alone_and_with_both_workers_busy(engine_factory, pdf_dir):
    import pikepdf

    path = pdfs.pages_pdf(pdf_dir, "report-20000p.pdf", 20_000)
    heavy = [pdfs.pages_pdf(pdf_dir, f"heavy-{i}.pdf", 20_000) for i in range(2)]
    assert path.stat().st_size < 10_000_000  # under the type's limit: the plugin, not file.too_large, judges
    with pikepdf.open(path) as pdf:  # an independent count (qpdf's own page flattening)
        expected_pages = len(pdf.pages)
    assert expected_pages == 20_000

    eng = engine_factory(workers=2, isolation="process", check_timeout_s=60)
    alone = eng.validate(path, "pdf_report")
    assert alone.verdict.value == "accepted_with_warnings", alone.findings
    assert codes(alone) == {"pdf_report.pdfa_missing"}
    assert alone.facts["pdf_report"]["page_count"] == expected_pages
    assert alone.facts["pdf_report"]["text_extractable"] is True

    # Two threads keep both workers busy with heavy validations, back to back, while ours run.
    busy: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    running = [threading.Event(), threading.Event()]
    stop = threading.Event()

    def keep_busy(index: int, other: Path) -> None:
        while not stop.is_set():
            started = time.monotonic()
            running[index].set()
            eng.validate(other, "pdf_report")
            busy[index].append((started, time.monotonic()))

    threads = [threading.Thread(target=keep_busy, args=(i, other), daemon=True) for i, other in enumerate(heavy)]
    for thread in threads:
        thread.start()
    loaded = []
    try:
        assert all(event.wait(30) for event in running)
        for _ in range(3):
            started = time.monotonic()
            report = eng.validate(path, "pdf_report")
            loaded.append((report, started, time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    for report, started, ended in loaded:
        # each thread had a heavy validation running alongside this one
        assert all(any(s < ended and e > started for s, e in busy[i]) for i in busy), (busy, started, ended)
        assert report.verdict == alone.verdict
        assert codes(report) == codes(alone)
        assert report.facts["pdf_report"]["page_count"] == expected_pages
        assert report.facts["pdf_report"]["text_chars"] == alone.facts["pdf_report"]["text_chars"]


# --- active content beyond any object budget ---------------------------------------------------------
@pytest.mark.parametrize("object_streams", [False, True], ids=["plain", "object-streams"])
@pytest.mark.parametrize("place", pdfs.TRIGGER_PLACES)
def test_javascript_after_more_objects_than_the_walk_limit_is_an_error(engine, pdf_dir, place, object_streams):
    path = pdfs.late_javascript_pdf(pdf_dir, f"late-{place}-{object_streams}.pdf", place=place,
                                    filler=THRESHOLDS["max_objects"] + 10_000, object_streams=object_streams)
    if object_streams:
        assert b"JavaScript" not in path.read_bytes()  # compressed: no raw byte writes it
    report = engine.validate(path, "pdf_report")
    assert "pdf_report.active_content" in codes(report, "error"), report.findings
    assert report.verdict.value == "rejected"
    names = details(report, "pdf_report.active_content")["names"]
    assert "/JavaScript" in names and "/JS" in names
    assert report.facts["pdf_report"]["open_action_script"] is (place == "open_action")
    if place == "open_action":
        assert names[0] == "/OpenAction"


@pytest.mark.parametrize("place", pdfs.TRIGGER_PLACES)
def test_the_trigger_walk_needs_neither_the_byte_scan_nor_the_object_walk(pdf_dir, place):
    # Object streams left undecoded (max_scan_bytes=0) and an object walk that stops after 100
    # objects: only the walk from the catalogue reaches the script, and it must.
    path = pdfs.late_javascript_pdf(pdf_dir, f"late-{place}-blind.pdf", place=place, filler=5_000,
                                    object_streams=True)
    found, facts = inspect_inline(path, max_scan_bytes=0, max_objects=100)
    assert "pdf_report.active_content" in found
    assert found["pdf_report.active_content"].severity.value == "error"
    assert "pdf_report.scan_partial" in found  # the partial walk is said, the triggers were all seen
    assert facts["objects_scanned"] == 100 < facts["objects_total"]
    assert facts["scan"]["complete"] is False


def test_escaped_names_are_active_names(engine, pdf_dir):
    path = pdfs.late_javascript_pdf(pdf_dir, "late-escaped.pdf", escaped=True, filler=60_000)
    assert b"/JavaScript" not in path.read_bytes() and b"/J#61vaScript" in path.read_bytes()
    report = engine.validate(path, "pdf_report")
    assert "pdf_report.active_content" in codes(report, "error")
    assert {"/OpenAction", "/JavaScript", "/JS"} <= set(details(report, "pdf_report.active_content")["names"])


def test_a_name_inside_a_string_is_not_active_content(pdf_dir):
    found, facts = inspect_inline(pdfs.string_only_pdf(pdf_dir))
    assert set(found) == {"pdf_report.pdfa_missing"}
    assert facts["active_content"] == {}
    assert facts["objects_scanned"] == facts["objects_total"]  # the scan could not place it: every object read


def test_an_action_inside_an_object_stream_bomb_is_too_complex(engine, pdf_dir):
    # The OpenAction's action sits in an object stream that inflates past the decompression limit:
    # qpdf reads it as null, a viewer without the limit would run it. Not vouched for: an error.
    path = pdfs.object_stream_bomb_pdf(pdf_dir)
    report = engine.validate(path, "pdf_report")
    assert "pdf_report.too_complex" in codes(report, "error"), report.findings
    assert details(report, "pdf_report.too_complex")["what"] == "qpdf_limits"
    assert not codes(report) & {"check.timeout", "check.crashed"}


# --- hostile page trees ------------------------------------------------------------------------------
def test_a_page_listed_more_times_than_the_tree_bound_is_too_complex(engine, pdf_dir):
    path = pdfs.page_tree_pdf(pdf_dir, "tree-duplicates.pdf", "duplicates", size=THRESHOLDS["max_page_tree_entries"] + 1)
    report = engine.validate(path, "pdf_report")
    assert "pdf_report.too_complex" in codes(report, "error")
    assert details(report, "pdf_report.too_complex")["what"] == "pages"


def test_a_page_tree_deeper_than_the_bound_is_too_complex(engine, pdf_dir):
    path = pdfs.page_tree_pdf(pdf_dir, "tree-deep.pdf", "deep", size=10_000)
    report = engine.validate(path, "pdf_report")
    assert "pdf_report.too_complex" in codes(report, "error")
    assert details(report, "pdf_report.too_complex")["what"] == "page_tree_depth"


@pytest.mark.parametrize("shape,pages", [("dag", 2), ("loop", 1)])
def test_shared_and_looping_page_tree_nodes_are_expanded_once(engine, pdf_dir, shape, pages):
    # 40 levels of a node whose two kids are the same node: 2^40 paths, each node expanded once.
    report = engine.validate(pdfs.page_tree_pdf(pdf_dir, f"tree-{shape}.pdf", shape), "pdf_report")
    assert not codes(report) & {"check.timeout", "check.crashed", "pdf_report.too_complex"}
    assert "pdf_report.repaired" in codes(report, "warning")
    assert "page_tree" in details(report, "pdf_report.repaired")["codes"]
    assert report.facts["pdf_report"]["page_count"] == pages


def _flat_tree(directory: Path, name: str, kids: bytes, extra: list[bytes], annotated: bool = False) -> Path:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s>>" % (b"/Annots [] " if annotated else b"")
    return pdfs.write_raw_pdf(directory / name, [
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count 9 >>", page, page, *extra])


@pytest.mark.parametrize("kids,extra,pages,broken,walk", [
    (b"3 0 R 4 0 R 3 0 R", [], 3, 0, "one_node"),  # a page listed twice counts twice (viewers show it twice)
    (b"3 0 R 4 0 R 3 0 R 2 0 R", [], 3, 1, "one_node"),  # the node listed as its own kid: not a page
    (b"3 0 R 4 0 R 3 0 R 99 0 R", [], 3, 1, "walked"),  # a missing kid (qpdf writes it null): walked
    (b"5 0 R 3 0 R", [b"42"], 1, 1, "walked"),  # a first kid that is no page: the tree is walked
    (b"3 0 R << /Type /Page /Parent 2 0 R >>", [], 2, 0, "walked"),  # a page written inside /Kids
])
def test_a_one_node_page_tree_is_counted_like_the_walk(pdf_dir, kids, extra, pages, broken, walk):
    path = _flat_tree(pdf_dir, f"flat-{pages}-{broken}-{walk}.pdf", kids, extra)
    found, facts = inspect_inline(path)
    assert (facts["page_count"], facts["page_tree_broken_entries"], facts["page_tree_walk"]) == (pages, broken, walk)
    assert ("pdf_report.repaired" in found) is bool(broken)


def test_pages_in_object_streams_are_counted_after_the_streams_are_scanned(pdf_dir):
    import pikepdf

    path = pdfs.pages_pdf(pdf_dir, "pages-objstm.pdf", 2_000, object_streams=True)
    found, facts = inspect_inline(path)
    with pikepdf.open(path) as pdf:
        assert facts["page_count"] == len(pdf.pages) == 2_000
    assert facts["page_tree_walk"] == "one_node" and facts["scan"]["complete"] is True
    assert facts["scan"]["object_streams"] > 1 and set(found) == {"pdf_report.pdfa_missing"}
    # the same pages with the object streams left unread: the pages are read one by one
    _, blind = inspect_inline(path, max_scan_bytes=0)
    assert blind["page_tree_walk"] == "walked" and blind["page_count"] == 2_000


def test_annotations_do_not_make_a_one_node_tree_read_page_by_page(pdf_dir):
    # Every byte was scanned: what the pages' annotations hold is known without reading each page.
    found, facts = inspect_inline(_flat_tree(pdf_dir, "flat-annotated.pdf", b"3 0 R 4 0 R", [], annotated=True))
    assert facts["page_tree_walk"] == "one_node" and facts["page_count"] == 2


# --- the byte scan ----------------------------------------------------------------------------------
@pytest.mark.parametrize("data,expected", [
    (b"<</S/JavaScript/JS(x)>>", ["/JavaScript", "/JS"]),
    (b"/J#61vaScript /#4a#53(", ["/JavaScript", "/JS"]),
    (b"/JSX /JavaScripts /AAPL /Launc /EmbeddedFile\x00/EmbeddedFiles", ["/EmbeddedFile", "/EmbeddedFiles"]),
    (b"/AA/AA", ["/AA", "/AA"]),
    (b"/XFA", ["/XFA"]),
])
def test_the_byte_scan_finds_whole_names_only(data, expected):
    assert [name for _, name in _scan(data, [100])[0]] == expected


def test_active_names_written_everywhere_are_bounded_work(pdf_dir):
    # 2 million "/JS" in a stream's data: inert (stream data), but each hit would cost a parse. The
    # scan stops at max_scan_hits and the object and trigger walks take over: bounded, exact verdict.
    objects = pdfs._one_page(extra_catalog=b"/Payload 6 0 R")
    objects.append(pdfs._stream(b"/JS /AA " * 1_000_000))
    path = pdfs.write_raw_pdf(pdf_dir / "names-everywhere.pdf", objects)
    found, facts = inspect_inline(path)
    assert set(found) == {"pdf_report.pdfa_missing"}
    assert facts["scan"]["complete"] is False and facts["objects_scanned"] == facts["objects_total"]


def test_same_file_same_facts(pdf_dir):
    path = pdfs.late_javascript_pdf(pdf_dir, "late-twice.pdf", place="annotation", filler=2_000)
    first, first_facts = inspect_inline(path)
    again, again_facts = inspect_inline(path)
    assert set(first) == set(again) and first_facts == again_facts
