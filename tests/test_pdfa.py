"""PDF/A-1b conformance (plugins/pdfa) on files made at test time by real tools, and through the engine.

A conformant PDF/A-1b (reportlab + pikepdf, :mod:`fixtures.pdfa`) and Ghostscript's own ``-dPDFA=1``
output pass; each targeted violation fails with its clause; the engine reports a false claim as a
warning, an error where the proof's requirement asks for PDF/A-1. The opt-in corpus test measures the
checker on veraPDF's PDF/A-1b test files (``PREUVES_PDFA_CORPUS=/path/to/verapdf-pdfa1b``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pikepdf
import pytest

from fixtures import pdfa as fx
from fixtures import pdfs
from plugins import pdf_report, pdfa
from plugins.pdfa.rules import RULES
from validator_core.rules import load_rules

DOCS = Path(__file__).resolve().parents[1] / "docs" / "checks" / "pdf_report.md"
BUDGET = pdf_report.pdfa_budget(load_rules().thresholds("pdf_report"))
PDFA_PROOF = ("DOC/va1.01.01.01", "BIO")  # "Le compte rendu au format PDF/A-1"


def check(path: Path, budget: pdfa.Budget = BUDGET) -> dict:
    with pikepdf.open(path, password="") as pdf:
        return pdfa.check(pikepdf, pdf, path.read_bytes(), budget)


def clauses(result: dict) -> set[str]:
    return {item["clause"] for item in result["failed"]}


@pytest.fixture(scope="module")
def pdfa_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pdfa")


@pytest.fixture(scope="module")
def conformant(pdfa_dir) -> Path:
    return fx.conformant_pdf(pdfa_dir, pages=2)


# --- conformant files ----------------------------------------------------------------------------------------
def test_conformant_pdfa1b_passes_every_rule(conformant):
    result = check(conformant)
    assert result == {"checked": "1B", "conformant": True, "failed": [], "rules": len(RULES), "complete": True}


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript (gs) is not installed")
def test_ghostscript_pdfa1_output_passes(pdfa_dir):
    source = pdfa_dir / "for_gs.pdf"
    fx._report(source, 2, image=True, embedded=True)
    made = fx.ghostscript_pdfa(source, pdfa_dir / "gs_pdfa1.pdf")
    result = check(made)
    assert result["conformant"], result["failed"]


# --- one violation each ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(fx.VIOLATIONS) + sorted(fx.BYTE_VIOLATIONS))
def test_each_violation_fails_with_its_clause(kind, conformant, pdfa_dir):
    clause = fx.VIOLATIONS[kind][0] if kind in fx.VIOLATIONS else fx.BYTE_VIOLATIONS[kind]
    result = check(fx.violation(conformant, kind, pdfa_dir))
    assert result["conformant"] is False
    assert clause in clauses(result), result["failed"]
    example = next(item for item in result["failed"] if item["clause"] == clause)
    assert example["count"] >= 1 and example["example"]


def test_a_resource_the_content_never_uses_is_exempt(conformant, pdfa_dir):
    """ISO 19005-1 Cor.2: a named resource the content stream does not use is not used for rendering."""
    def unused_transparency(pdf, pikepdf):
        fx._page_resource(pdf, pikepdf, "/ExtGState", "/Unused", pikepdf.Dictionary(ca=0.2, SMask=pikepdf.Dictionary()))

    result = check(fx._edit(conformant, pdfa_dir / "unused.pdf", unused_transparency))
    assert result["conformant"], result["failed"]


def test_default_colour_space_replaces_device_colours(conformant, pdfa_dir):
    """Device CMYK with an RGB output intent is fine where the page gives a DefaultCMYK ICC space."""
    def cmyk_with_default(pdf, pikepdf):
        fx._cmyk(pdf, pikepdf)
        profile = bytearray(fx.icc_v2_rgb())
        profile[16:20] = b"CMYK"
        fx._page_resource(pdf, pikepdf, "/ColorSpace", "/DefaultCMYK",
                          pikepdf.Array([pikepdf.Name.ICCBased, pdf.make_stream(bytes(profile), N=4)]))

    assert "6.2.3" in clauses(check(fx.violation(conformant, "cmyk_with_rgb_intent", pdfa_dir)))
    result = check(fx._edit(conformant, pdfa_dir / "default_cmyk.pdf", cmyk_with_default))
    assert "6.2.3" not in clauses(result), result["failed"]


def test_glyph_missing_from_the_embedded_subset_fails(conformant, pdfa_dir):
    def show_absent_glyph(pdf, pikepdf):
        font = next(iter(pdf.pages[0].obj.Resources.Font.keys() - {"/F1"}))
        fx._append_content(pdf, pikepdf, f"BT {font} 12 Tf 60 300 Td <FE> Tj ET".encode())

    result = check(fx._edit(conformant, pdfa_dir / "absent_glyph.pdf", show_absent_glyph))
    assert "6.3.5" in clauses(result), result["failed"]


def test_widths_that_disagree_with_the_font_program_fail(conformant, pdfa_dir):
    def wrong_widths(pdf, pikepdf):
        for _, font in pdf.pages[0].obj.Resources.Font.items():
            if "/Widths" in font:
                font.Widths = pikepdf.Array([w + 100 for w in font.Widths])

    result = check(fx._edit(conformant, pdfa_dir / "wrong_widths.pdf", wrong_widths))
    assert "6.3.6" in clauses(result), result["failed"]


# --- work is bounded -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("budget, limit", [
    (pdfa.Budget(50, 10**8, 10, 10**6), "objects"), (pdfa.Budget(10**6, 10, 10, 10**6), "content_bytes"),
    (pdfa.Budget(10**6, 10**8, 0, 10**6), "fonts"), (pdfa.Budget(10**6, 10**8, 10, 5), "operators")])
def test_a_spent_budget_never_says_conformant(conformant, budget, limit):
    result = check(conformant, budget)
    assert result["complete"] is False and result["conformant"] is False
    assert result["limit"] == limit


def _with_content(conformant: Path, out: Path, content: bytes) -> Path:
    return fx._edit(conformant, out, lambda pdf, pikepdf: fx._append_content(pdf, pikepdf, content))


def test_a_long_stream_of_plain_operators_is_read_whole(conformant, pdfa_dir):
    """2 Mo of path operators (125,000 strokes, 500,000 instructions): qpdf hands over only what the
    check follows, and the file stays conformant."""
    result = check(_with_content(conformant, pdfa_dir / "long_paths.pdf", b"0 0 m 10 10 l S\n" * 125_000))
    assert result["complete"] is True and result["conformant"] is True, result


def test_a_stream_of_too_many_followed_operators_is_not_parsed(conformant, pdfa_dir):
    """2.4 Mo of "q Q" would be 1.2 million instructions handed over at once: the check stops there."""
    result = check(_with_content(conformant, pdfa_dir / "q_flood.pdf", b"q Q " * 600_000))
    assert result == {**result, "complete": False, "conformant": False, "limit": "operators"}


def test_nesting_past_28_levels_fails_and_deeper_saves_are_not_kept(conformant, pdfa_dir):
    deep = b"q " * 200 + b"0 0 1 rg 0 0 10 10 re f " + b"Q " * 200 + b"0 0 0 0 k 0 0 5 5 re f"
    result = check(_with_content(conformant, pdfa_dir / "deep_q.pdf", deep))
    assert clauses(result) == {"6.1.12", "6.2.3"}  # the nesting, and the CMYK fill after the last Q


def test_one_object_of_a_million_elements_is_charged_as_it_is_read(conformant, pdfa_dir):
    def junk(pdf, pikepdf):
        pdf.Root.Junk = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary()] * 1_000_000))

    result = check(fx._edit(conformant, pdfa_dir / "million.pdf", junk))
    assert result["limit"] == "objects" and result["conformant"] is False


def test_hostile_pdfs_claiming_pdfa_answer_without_crash(pdfa_dir):
    """The reliability suite's hostile PDFs, made to claim PDF/A-1b: the check finishes, bounded."""
    for make in (pdfs.nested_arrays_pdf, pdfs.flate_bomb_pdf, pdfs.cyclic_pdf, pdfs.missing_objects_pdf,
                 pdfs.truncated_pdf, pdfs.junk_around_pdf):
        hostile = make(pdfa_dir)
        claimed = pdfa_dir / f"claimed_{hostile.name}"
        try:
            with pikepdf.open(hostile) as pdf:
                pdf.Root.Metadata = pdf.make_stream(fx.xmp_packet(), Type=pikepdf.Name.Metadata,
                                                    Subtype=pikepdf.Name.XML)
                pdf.save(claimed)
        except pikepdf.PdfError:
            continue
        result = check(claimed)  # answers (no exception, no hang), and never vouches for a broken file
        assert result["conformant"] is False, make.__name__


# --- rules as data ---------------------------------------------------------------------------------------------------
def test_rules_are_well_formed_data():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.id.split("-")[0] == rule.clause and rule.fr and rule.en and callable(rule.test)
    groups = {rule.clause.split(".")[1] for rule in RULES}
    assert groups == {"1", "2", "3", "4", "5", "6", "7", "9"}


def test_failed_clauses_are_described_in_both_languages():
    failed = [{"clause": r.clause, "rule": r.id, "count": 1, "example": "file"} for r in RULES]
    french, english = pdfa.describe(failed, "fr"), pdfa.describe(failed, "en")
    rest = len({r.clause for r in RULES}) - 5
    assert french.count(" ; ") == 5 and french.endswith(f"et {rest} autres clauses")  # the plural agreed
    assert english.count("; ") == 5 and english.endswith(f"and {rest} more clauses")
    one = [f for f in failed if f["clause"] in sorted({r.clause for r in RULES})[:6]]
    assert pdfa.describe(one, "fr").endswith("et 1 autre clause") and pdfa.describe(one, "en").endswith("and 1 more clause")
    assert french.startswith("6.1.2 (l'en-tête") and english.startswith("6.1.2 (the “%PDF-1.n” header")


# --- through the engine -------------------------------------------------------------------------------------------------
def test_a_false_claim_is_a_warning_naming_the_clauses(engine, conformant, pdfa_dir):
    path = fx.violation(conformant, "no_output_intent", pdfa_dir)
    report = engine.validate(path, "pdf_report")
    finding = next(f for f in report.findings if f.code == "pdf_report.pdfa_nonconformant")
    assert finding.severity.value == "warning" and finding.details["clauses"] == ["6.2.3"]
    assert "6.2.3 (couleurs RVB" in finding.message and "gs -dPDFA=1" in finding.message
    assert "LibreOffice" in finding.message
    facts = report.facts["pdf_report"]["pdfa"]
    assert facts["claimed"] == "1B" and facts["conformant"] is False and facts["rules"] == len(RULES)
    english = engine.validate(path, "pdf_report", lang="en")
    message = next(f.message for f in english.findings if f.code == "pdf_report.pdfa_nonconformant")
    assert "device RGB colours" in message


def test_a_false_claim_is_an_error_where_the_proof_asks_for_pdfa1(engine, conformant, pdfa_dir):
    path = fx.violation(conformant, "font_not_embedded", pdfa_dir)
    report = engine.validate(path, requirement=PDFA_PROOF[0], rem=PDFA_PROOF[1])
    finding = next(f for f in report.findings if f.code == "pdf_report.pdfa_nonconformant")
    assert finding.severity.value == "error" and "6.3.4" in finding.details["clauses"]
    assert report.verdict.value == "rejected"


def test_a_conformant_file_passes_where_the_proof_asks_for_pdfa1(engine, conformant):
    report = engine.validate(conformant, requirement=PDFA_PROOF[0], rem=PDFA_PROOF[1])
    assert not [f for f in report.findings if "pdfa" in f.code], report.codes
    assert report.facts["pdf_report"]["pdfa"]["conformant"] is True


def test_without_a_claim_the_facts_still_list_the_clauses(engine, pdfa_dir):
    path = pdfs.text_pdf(pdfa_dir, "no_claim.pdf")
    report = engine.validate(path, requirement=PDFA_PROOF[0], rem=PDFA_PROOF[1])
    assert [f.code for f in report.findings if "pdfa" in f.code] == ["pdf_report.pdfa_missing"]
    facts = report.facts["pdf_report"]["pdfa"]
    assert facts["claimed"] is None and facts["conformant"] is False and "6.7.11" in clauses(facts)


def test_every_pdf_report_code_is_documented_with_its_french_message():
    text = DOCS.read_text(encoding="utf-8")
    for code, (fr, _) in pdf_report.MESSAGES.items():
        assert f"`{code}`" in text, code
        assert fr.split("{")[0].strip()[:30] in text, code


# --- veraPDF's test suite (opt-in) ----------------------------------------------------------------------------------------
CORPUS = os.environ.get("PREUVES_PDFA_CORPUS")


@pytest.mark.skipif(not CORPUS, reason="set PREUVES_PDFA_CORPUS to a veraPDF PDF/A-1b test suite folder (with its index.json)")
def test_balanced_accuracy_on_verapdf_test_suite():
    root = Path(CORPUS)
    index = json.loads((root / "index.json").read_text(encoding="utf-8"))
    right = {"pass": [0, 0], "fail": [0, 0]}
    for item in index:
        result = check(root / item["file"])
        expected = item["expect"]
        right[expected][1] += 1
        right[expected][0] += (result["conformant"] is True) == (expected == "pass")
    recalls = [right[e][0] / right[e][1] for e in ("pass", "fail") if right[e][1]]
    balanced = sum(recalls) / len(recalls)
    assert balanced >= 0.95, (right, balanced)
