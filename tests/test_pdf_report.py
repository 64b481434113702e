"""The pdf_report plugin on PDFs made at test time by real tools (reportlab, pikepdf, qpdf, Pillow).

Every file goes through ``engine.validate(path, "pdf_report")`` (isolated workers), except the few
checks that the engine stops before the plugin (not a PDF by content) or that need other thresholds,
which call the plugin's inspector directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fixtures import pdfs
from plugins.pdf_report import MESSAGES, PdfInspector
from validator_core.proof import Proof
from validator_core.rules import load_rules

THRESHOLDS = load_rules().thresholds("pdf_report")

pytestmark = pytest.mark.skipif(shutil.which("qpdf") is None, reason="the qpdf CLI makes the encrypted fixtures")


@pytest.fixture(scope="session")
def pdf_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdfs")


@pytest.fixture(scope="session")
def made(pdf_dir) -> dict[str, Path]:
    """Every PDF fixture, made once for the session."""
    d = pdf_dir
    return {
        "text": pdfs.text_pdf(d, pages=2),
        "identities": pdfs.identities_pdf(d),
        "pdfa1b": pdfs.pdfa1b_pdf(d),
        "pdfa2b": pdfs.pdfa1b_pdf(d, "pdfa2b.pdf", part=2, conformance="B"),
        "scan": pdfs.image_only_pdf(d),
        "user_password": pdfs.encrypted_pdf(d),
        "owner_only": pdfs.encrypted_pdf(d, "owner.pdf", user_password=""),
        "javascript": pdfs.javascript_pdf(d),
        "attachment": pdfs.embedded_file_pdf(d),
        "link": pdfs.link_pdf(d),
        "truncated": pdfs.truncated_pdf(d),
        "junk": pdfs.junk_around_pdf(d),
        "garbage": pdfs.garbage_pdf(d),
        "zero_pages": pdfs.zero_pages_pdf(d),
        "nested": pdfs.nested_arrays_pdf(d),
        "flate_bomb": pdfs.flate_bomb_pdf(d),
        "many_pages": pdfs.many_pages_pdf(d),
        "cyclic": pdfs.cyclic_pdf(d),
        "missing_objects": pdfs.missing_objects_pdf(d),
    }


@pytest.fixture(scope="session")
def reports(engine, made):
    """One report per fixture, through the engine (each file validated once for the module)."""
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = engine.validate(made[name], "pdf_report")
        return cache[name]

    return get


def codes(report, severity: str | None = None) -> set[str]:
    return {f.code for f in report.findings if severity is None or f.severity.value == severity}


def details(report, code: str) -> dict:
    return next(f.details for f in report.findings if f.code == code)


def facts(report) -> dict:
    return report.facts["pdf_report"]


def inspect_inline(path: Path, **settings) -> tuple[set[str], dict]:
    """Run the plugin's inspector in this process (for what the engine stops earlier)."""
    proof = Proof(path=str(path), name=path.name, size=path.stat().st_size, media_type="application/pdf",
                  format="pdf", extension="pdf", proof_type="pdf_report", rules=load_rules())
    inspection = PdfInspector(proof, {**THRESHOLDS, **settings}).run()
    return {f.code for f in inspection.findings}, inspection.facts


# --- sound reports -------------------------------------------------------------------------------
def test_text_report_gives_facts_and_only_the_pdfa_warning(reports):
    report = reports("text")
    assert codes(report) == {"pdf_report.pdfa_missing"}
    assert report.verdict.value == "accepted_with_warnings"
    f = facts(report)
    assert f["page_count"] == 2
    assert f["pdf_version"] == "1.3"
    assert f["encryption"] == "none"
    assert "ReportLab" in f["producer"]
    assert f["text_extractable"] is True and f["text_pages_scanned"] == 2
    assert f["active_content"] == {} and f["repairs"] == []
    assert f["pdfa"] == {"part": None, "conformance": None, "claim": None}
    assert f["scan"]["complete"] is True and f["scan"]["bytes"] > 0
    assert f["objects_unreadable"] == 0 and f["trigger_nodes"] >= 1


def test_pdfa1b_claim_is_accepted(reports):
    report = reports("pdfa1b")
    assert report.verdict.value == "accepted", codes(report)
    pdfa = facts(report)["pdfa"]
    assert {k: pdfa[k] for k in ("part", "conformance", "claim")} == {"part": 1, "conformance": "b", "claim": "PDF/A-1b"}
    assert pdfa["claimed"] == "1B" and pdfa["checked"] == "1B" and pdfa["conformant"] is True and pdfa["failed"] == []


def test_pdfa_missing_message_names_the_requirement_families(reports):
    finding = next(f for f in reports("text").findings if f.code == "pdf_report.pdfa_missing")
    assert finding.severity.value == "warning"
    assert "PDF/A-1" in finding.message and "la production de documents" in finding.message
    assert "le compte-rendu d'imagerie" in finding.message and finding.details["families"] == "DOC, MSS, CRI"


def test_other_pdfa_part_is_a_warning_saying_the_claim(reports):
    report = reports("pdfa2b")
    assert codes(report) == {"pdf_report.pdfa_not_1"}
    assert details(report, "pdf_report.pdfa_not_1")["claim"] == "PDF/A-2b"


def test_image_only_scan_has_no_text_layer(reports):
    report = reports("scan")
    assert "pdf_report.no_text" in codes(report, "warning")
    assert facts(report)["text_extractable"] is False


# --- encryption ----------------------------------------------------------------------------------
def test_user_password_is_an_error(reports):
    report = reports("user_password")
    assert "pdf_report.encrypted" in codes(report, "error")
    assert report.verdict.value == "rejected"
    assert facts(report)["encryption"] == "user_password"


def test_owner_password_only_opens_with_a_warning(reports):
    report = reports("owner_only")
    assert "pdf_report.restricted" in codes(report, "warning")
    assert not codes(report, "error")
    f = facts(report)
    assert f["encryption"] == "owner_password"
    assert set(f["permissions_denied"]) == {"print", "modify", "copy", "annotate"}
    assert f["text_extractable"] is True  # decrypted with the empty user password
    assert details(report, "pdf_report.restricted")["count"] == 4


# --- active content ------------------------------------------------------------------------------
def test_javascript_hidden_in_object_streams_is_found(made, reports):
    # The keys are inside compressed object streams: a byte search would not see them.
    assert b"/JavaScript" not in made["javascript"].read_bytes()
    report = reports("javascript")
    assert "pdf_report.active_content" in codes(report, "error")
    names = details(report, "pdf_report.active_content")["names"]
    assert "/OpenAction" in names and "/JavaScript" in names and "/JS" in names
    assert facts(report)["open_action_script"] is True


def test_embedded_file_is_a_warning(reports):
    report = reports("attachment")
    assert "pdf_report.risky_content" in codes(report, "warning")
    assert "/EmbeddedFiles" in details(report, "pdf_report.risky_content")["names"]
    assert "pdf_report.active_content" not in codes(report)


def test_links_and_initial_view_are_only_counted(reports):
    report = reports("link")
    assert codes(report) == {"pdf_report.pdfa_missing"}
    f = facts(report)
    assert f["active_content"].get("/URI", 0) >= 1 and f["active_content"].get("/OpenAction") == 1
    assert f["open_action_script"] is False


# --- damaged files -------------------------------------------------------------------------------
def test_truncated_file_is_repaired_with_a_warning(reports):
    report = reports("truncated")
    assert "pdf_report.repaired" in codes(report, "warning")
    assert {"eof", "xref"} <= set(details(report, "pdf_report.repaired")["codes"])
    assert facts(report)["page_count"] == 2


def test_junk_before_header_and_after_eof_is_repaired(reports):
    report = reports("junk")
    assert "pdf_report.repaired" in codes(report, "warning")
    assert {"header", "trailing_data"} <= set(details(report, "pdf_report.repaired")["codes"])


def test_unparsable_pdf_is_an_error(reports):
    report = reports("garbage")
    assert "pdf_report.unreadable" in codes(report, "error")
    assert "pdf_report.repaired" not in codes(report)


def test_zero_pages_is_an_error(reports):
    report = reports("zero_pages")
    assert "pdf_report.no_pages" in codes(report, "error")
    assert facts(report)["page_count"] == 0


def test_not_a_pdf_by_content(made, pdf_dir):
    # libmagic would stop this file before the plugin; the plugin still checks the header itself.
    found, found_facts = inspect_inline(pdfs.not_pdf(pdf_dir))
    assert found == {"pdf_report.not_pdf"}
    found, _ = inspect_inline(made["text"])
    assert "pdf_report.not_pdf" not in found


# --- identities ----------------------------------------------------------------------------------
def test_identities_in_text(reports):
    report = reports("identities")
    assert {"pdf_report.nir_unknown", "pdf_report.ins_real_oid"} <= codes(report, "warning")
    masked = details(report, "pdf_report.nir_unknown")["masked"]
    assert pdfs.UNKNOWN_NIR not in masked and masked.startswith(pdfs.UNKNOWN_NIR[:5])
    ident = facts(report)["identities"]
    assert ident["nir_test_identities"] == 1 and ident["nir_unknown_valid"] == 1
    assert ident["ins_oids"].get("ins_nir_test") == 1
    for f in report.findings:  # no full NIR anywhere in the report's messages
        assert pdfs.UNKNOWN_NIR not in f.message


# --- hostile files: each gets a report of its own ------------------------------------------------
def _no_isolation_failure(report):
    assert not codes(report) & {"check.crashed", "check.timeout"}, report.findings
    assert "pdf_report" in report.facts


def test_100k_nested_arrays(reports):
    # The catalogue holds the bomb: qpdf stops at its nesting limit (null), so what the catalogue
    # holds cannot be vouched for.
    report = reports("nested")
    _no_isolation_failure(report)
    assert "pdf_report.objects_unreadable" in codes(report, "warning")
    assert "pdf_report.too_complex" in codes(report, "error")
    assert details(report, "pdf_report.too_complex")["what"] == "qpdf_limits"
    assert facts(report)["page_count"] == 1


def test_flate_bomb(reports):
    report = reports("flate_bomb")
    _no_isolation_failure(report)
    f = facts(report)
    assert f["text_pages_failed"] == 1  # stopped at the decompression limit, not inflated to 200 MB
    assert f["text_work_limit_reached"] is True
    assert "pdf_report.no_text" not in codes(report)  # a page cut at a limit says nothing of the text layer


def test_3000_pages(reports):
    report = reports("many_pages")
    _no_isolation_failure(report)
    f = facts(report)
    assert f["page_count"] == 3000
    assert f["text_pages_scanned"] == THRESHOLDS["text_pages"]
    assert "pdf_report.scan_partial" not in codes(report)


def test_cyclic_page_tree(reports):
    _no_isolation_failure(reports("cyclic"))


def test_thousands_of_missing_objects_are_bounded(made):
    # pypdf searched the 2 MB file once per missing kid (3,000 times: ~50 s); qpdf reads them as null.
    found, found_facts = inspect_inline(made["missing_objects"])
    assert "budget_exceeded" not in found_facts
    assert found_facts["page_count"] == 1
    assert found_facts["page_tree_broken_entries"] == 3000
    assert "pdf_report.repaired" in found and "page_tree" in found_facts["repairs"]
    assert found_facts["scan"]["complete"] is True


def test_the_backstop_of_a_hang_is_an_error(made):
    # The wall-clock backstop (far above any file's work) turns a hang into our own finding, an error:
    # a check cut short cannot vouch for the file. Here it is set absurdly low to make it fire.
    found, found_facts = inspect_inline(made["many_pages"], backstop_s=0.001)
    assert "pdf_report.budget_exceeded" in found
    assert len(found_facts["budget_exceeded"]) == 1


def test_text_work_bound_is_reported(made):
    found, found_facts = inspect_inline(made["text"], text_max_operations=10)
    assert found_facts["text_work_limit_reached"] is True
    assert "pdf_report.no_text" not in found  # pages cut short say nothing of the text layer


def test_object_bound_is_reported(pdf_dir):
    # "/JavaScript" inside a string: the byte scan cannot place it in an object that holds the name,
    # so every object is parsed in turn, up to max_objects.
    path = pdfs.string_only_pdf(pdf_dir)
    found, found_facts = inspect_inline(path, max_objects=2)
    assert "pdf_report.scan_partial" in found
    assert found_facts["objects_scanned"] == 2 < found_facts["objects_total"]
    found, found_facts = inspect_inline(path)
    assert "pdf_report.scan_partial" not in found and "pdf_report.active_content" not in found
    assert found_facts["objects_scanned"] == found_facts["objects_total"]


# --- messages ------------------------------------------------------------------------------------
def test_every_code_has_both_languages_and_renders(engine, made):
    for code in MESSAGES:
        message = engine.message(code)
        assert message is not None and message.fr and message.en
    english = engine.validate(made["owner_only"], "pdf_report", lang="en")
    restricted = next(f for f in english.findings if f.code == "pdf_report.restricted")
    assert "removes 4 of 4 rights" in restricted.message
