"""The REM catalogue: parsing the ANS export, lenient ids, classification, validate(requirement=…)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fixtures.media import make_picture
from fixtures.pdfs import pdfa1b_pdf, text_pdf
from plugins.rem_catalogue.build import DEFAULT_SOURCE, build_data, parse_proofs_text
from plugins.rem_catalogue.check_files import file_name_regex
from plugins.rem_catalogue.classify import classify_text
from plugins.rem_catalogue.register import load_data
from validator_core.catalogue import id_key
from validator_core.errors import PreuvesError, UnknownRem, UnknownRequirement
from validator_core.registry import PluginConfig, PluginRegistry


@pytest.fixture(scope="session")
def catalogue():
    return PluginRegistry.load(PluginConfig(entrypoints=False)).catalogue()


@pytest.fixture(scope="session")
def req_files(fixtures_dir):
    directory = fixtures_dir / "requirements"
    directory.mkdir(exist_ok=True)
    return {
        "pdfa": pdfa1b_pdf(directory, "pdfa.pdf"),
        "plain": text_pdf(directory, "plain.pdf"),
        "png": make_picture(directory, "screen.png", size=(1920, 1080)),
        "small_png": make_picture(directory, "small.png", size=(800, 600)),
    }


# -- parsing ----------------------------------------------------------------------------------
def test_parse_proofs_text_splits_on_ids_and_keeps_what_it_cannot_read():
    text = ("Préambule\nDOC/va1.29.01.01 : Capture d'écran\n\nDOC/va1.29.01.02 : Le compte rendu au format PDF/A-1\n"
            " : ?? une question de l'ANS\n")
    parsed = parse_proofs_text("DOC/va1.29.01", text)
    assert [p["id"] for p in parsed.proofs] == ["DOC/va1.29.01.01", "DOC/va1.29.01.02"]
    assert parsed.proofs[1]["text"] == "Le compte rendu au format PDF/A-1"
    assert parsed.unparsed == ["Préambule", "?? une question de l'ANS"]


def test_a_proof_written_without_its_id_is_numbered_after_its_siblings():
    # Issue 14 point 8: « : Lister toutes les méthodes … » of SSI/IE.44.01 (BIO, DPI, PFI, RIS) was unread.
    parsed = parse_proofs_text("SSI/IE.44.01", " : Lister toutes les méthodes proposées\n"
                                               "SSI/IE.44.01.01 : Copies d'écran\nSSI/IE.44.01.02 : Certificat")
    assert [(p["id"], p.get("unnumbered", False)) for p in parsed.proofs] == [
        ("SSI/IE.44.01.01", False), ("SSI/IE.44.01.02", False), ("SSI/IE.44.01.03", True)]
    assert parsed.proofs[2]["text"] == "Lister toutes les méthodes proposées" and parsed.unparsed == []


def test_ids_alone_on_a_line_start_their_own_proofs():
    # DB CO.50.01: two log proofs written "CO.01.04.01\nLog …\u00a0CO.01.04.02\nLog …" after one head.
    parsed = parse_proofs_text("CO.50.01", "01.04 : CO.01.04.01\nLog du message ITI-18.\u00a0CO.01.04.02\n"
                                           "Log du message ITI-43.\n\n : CO.01.01\nCapture d'écran de l'IHM")
    assert [(p["id"], p.get("raw_id"), p["text"]) for p in parsed.proofs] == [
        ("CO.50.01.01", "CO.01.04.01", "Log du message ITI-18."), ("CO.50.01.02", "CO.01.04.02", "Log du message ITI-43."),
        ("CO.50.01.03", "CO.01.01", "Capture d'écran de l'IHM")]


def test_parse_repairs_ids_that_disagree_with_their_scenario():
    parsed = parse_proofs_text("DMP/HISTO.07.01", "07.01.01 : Vidéo\n07.01.02 : Log du message")
    assert [(p["id"], p["raw_id"]) for p in parsed.proofs] == [
        ("DMP/HISTO.07.01.01", "07.01.01"), ("DMP/HISTO.07.01.02", "07.01.02")]
    # The scenario's own id written in place of the proof's, then a sibling colliding after repair.
    parsed = parse_proofs_text("SSI/IAM.80.02", "SSI/IAM.80.02 : Vidéo\nSSI/IAM.81.02 : Document présentant")
    assert [p["id"] for p in parsed.proofs] == ["SSI/IAM.80.02.01", "SSI/IAM.80.02.02"]


def test_packaged_catalogue_is_built_from_the_shared_export():
    data = load_data()
    if DEFAULT_SOURCE.exists():  # the data file must be what the build step produces today
        rebuilt = build_data(json.loads(DEFAULT_SOURCE.read_text(encoding="utf-8")), data["source"])
        assert rebuilt["stats"] == data["stats"]
    assert data["stats"]["rows"] == 1310
    assert data["stats"]["proofs"] > 1400
    assert data["stats"]["unparsed_fragments"] == len(data["unparsed"]) > 0


def test_catalogue_stats_publish_classified_share(catalogue):
    stats = catalogue.stats()
    assert stats["proofs"] + stats["duplicates"] == load_data()["stats"]["proofs"]
    assert stats["classified"] + stats["unclassified"] == stats["proofs"]
    assert stats["classified_share"] > 0.99
    assert {"BIO", "RIS", "LGC", "DPI", "PFI", "DB"} == set(stats["by_rem"])


# -- ids ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["DOC/va1.01.01.01", "doc/VA1.01.01.01", " 'DOC/va1.01.01.01' ", "SC.DOC/va1.01.01.01",
                                     "DOC/va1.01.01"])  # a scenario with a single proof resolves to it
def test_find_is_lenient(catalogue, written):
    assert catalogue.find(written, "bio").id == "DOC/va1.01.01.01"


def test_find_by_written_id_of_a_repaired_proof(catalogue):
    spec = catalogue.find("PSC.01.01.02", "BIO")
    assert spec.id == "PSC.01.02.02" and spec.raw_id == "PSC.01.01.02"
    assert id_key("PSC 01.01") == "psc.01.01"


def test_unknown_requirement_lists_close_matches(catalogue):
    with pytest.raises(UnknownRequirement) as info:
        catalogue.find("DOC/va1.01.01.09", "BIO")
    assert "DOC/va1.01.01.01" in info.value.candidates
    assert isinstance(info.value, PreuvesError) and "DOC/va1.01.01.01" in info.value.message
    with pytest.raises(UnknownRequirement, match="plusieurs preuves"):
        catalogue.find("DOC/va1.29.01", "BIO")
    with pytest.raises(UnknownRem):
        catalogue.find("DOC/va1.01.01.01", "XYZ")


# -- classification -----------------------------------------------------------------------------
@pytest.mark.parametrize("text, admits, expectations", [
    ("Démonstration (vidéo ou copies d'écran) montrant le déroulé des étapes du scénario", {"video", "screenshot"}, {}),
    ("Capture vidéo montrant le bon déroulé du scénario de conformité (capture réalisée en plein écran avec "
     "l'ensemble des fenêtres impliquées visibles)", {"video"}, {"medium": "video", "full_screen": True}),
    ("La prescription au format PDF/A-1", {"pdf_report"}, {"pdfa": "1"}),
    ("* la prescription au format PDF/A-1 incluant un INS structuré et un datamatrix INS dans le PDF/A-1",
     {"pdf_report"}, {"pdfa": "1", "ins_structured": True, "datamatrix_ins": True}),
    ("Lien permanent de l'espace de tests d'interopérabilité du CI-SIS vers le rapport de validation pour le cas de "
     "test : CI-SIS-CR-BIO-Create_doc-Sc1", {"report_link"}, {"gazelle_link": True, "test_case": "CI-SIS-CR-BIO-Create_doc-Sc1"}),
    ("Identifiant de l'exécution du cas de test MSS-LPS-SEGUR-GEN accessible par exemple dans la vue « Activités »",
     {"report_link"}, {"mssante_execution_id": True, "test_case": "MSS-LPS-SEGUR-GEN"}),
    ("Source SMTP du message émis.", {"logs"}, {"file_format": "smtp"}),
    ("Dans un fichier ZIP, un DUMP du message 1 en HL7v2", {"logs"}, {"file_format": "zip"}),
    ("Attestation sur l'honneur décrivant qu'un processus de veille est défini", {"pdf_report", "logs"}, {}),
    # A visual proof that mentions PDF/A-1 is not a PDF proof.
    ("L'éditeur DOIT présenter les captures d'écran ou une vidéo des fonctions de visualisation, présentant "
     "spécifiquement la visualisation de chaque format (cda r2 n3, cdaR2n1 et PDF/A-1)", {"video", "screenshot"}, {}),
])
def test_classify_text(text, admits, expectations):
    result = classify_text(text)
    assert set(result.admits) == admits
    assert result.expectations == expectations


def test_csv_proof_takes_its_file_name_from_the_requirement(catalogue):
    spec = catalogue.find("LOI/va1.01.01.01", "BIO")
    assert spec.admits == ("logs",)
    assert spec.expectations["file_name"] == "LOINC_1_export_chapitres_[AAAAMMJJ].csv"
    regex = file_name_regex(spec.expectations["file_name"])
    assert regex.match("LOINC_1_export_chapitres_20230315.csv")
    assert not regex.match("LOINC_1_export_chapitres.csv")


def test_unclassified_proofs_are_listed(catalogue):
    unclassified = [p for p in catalogue.proofs if not p.classified]
    assert unclassified and all(p.classified_by is None and p.admits == () for p in unclassified)


# -- validate(requirement=…) ----------------------------------------------------------------------
def test_requirement_sets_the_type_and_passes_context(engine, req_files):
    report = engine.validate(req_files["pdfa"], requirement="DOC/va1.01.01.01", rem="BIO")
    assert report.proof_type == "pdf_report" and report.proof_type_inferred
    assert report.facts["requirement"]["id"] == "DOC/va1.01.01.01"
    assert report.facts["requirement"]["expectations"] == {"pdfa": "1"}
    assert report.verdict != "rejected", report.codes
    assert not [c for c in report.codes if c.startswith("requirement.") or "pdfa" in c]


def test_pdf_without_pdfa_claim_is_an_error_where_pdfa1_is_required(engine, req_files):
    plain = engine.validate(req_files["plain"], "pdf_report")
    required = engine.validate(req_files["plain"], requirement="DOC/va1.01.01.01", rem="BIO")
    assert plain.verdict != "rejected"  # without a requirement, a missing claim is at most a warning
    assert required.verdict == "rejected"
    errors = [f for f in required.findings if f.severity == "error"]
    assert errors and all("pdfa" in f.code for f in errors), required.codes
    assert errors[0].details["requirement"] == "DOC/va1.01.01.01"
    assert len([f for f in required.findings if "pdfa" in f.code]) == 1  # escalated, not duplicated


def test_type_not_admitted(engine, req_files):
    # A screenshot filed for the PDF/A-1 prescription: inferred as a screenshot, which it does not admit.
    report = engine.validate(req_files["png"], requirement="DOC/va1.01.01.01", rem="BIO")
    assert report.verdict == "rejected"
    finding = next(f for f in report.findings if f.code == "requirement.type_not_admitted")
    assert finding.severity == "error" and "« Compte-rendu PDF »" in finding.message
    # An explicit type the proof does not admit: same error, the file is still checked as given.
    report = engine.validate(req_files["plain"], "pdf_report", requirement="DOC/va1.25.01.01", rem="BIO", lang="en")
    assert "requirement.type_not_admitted" in report.codes
    assert "does not admit" in next(f.message for f in report.findings if f.code == "requirement.type_not_admitted")


def test_full_screen_expectation(engine, req_files, catalogue):
    # "Capture vidéo … (capture réalisée en plein écran …)": a video proof; checked from the picture's
    # dimensions whatever type the file is checked as.
    spec = catalogue.find("SSI/IAM.80.01.01", "BIO")
    assert spec.expectations.get("full_screen") and spec.admits == ("video",)
    small = engine.validate(req_files["small_png"], "screenshot", requirement=spec.id, rem="BIO")
    big = engine.validate(req_files["png"], "screenshot", requirement=spec.id, rem="BIO")
    assert "requirement.type_not_admitted" in small.codes and "requirement.type_not_admitted" in big.codes
    assert "requirement.not_full_screen" in small.codes
    assert "requirement.not_full_screen" not in big.codes


def test_unknown_requirement_is_a_request_error(engine, req_files):
    with pytest.raises(UnknownRequirement):
        engine.validate(req_files["png"], requirement="DOC/va9.99.99.99", rem="BIO")


# -- CLI -------------------------------------------------------------------------------------
def test_cli_requirements_json_and_filters():
    from validator_core.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["requirements", "--rem", "BIO", "--search", "prescription au format", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert "DOC/va1.01.01.01" in {r["id"] for r in rows}
    assert all(r["rem"] == "BIO" for r in rows)
    stats = runner.invoke(main, ["requirements", "--stats", "--json"])
    assert json.loads(stats.output)["classified_share"] > 0.99
    unclassified = runner.invoke(main, ["requirements", "--unclassified", "--json"])
    assert all(not r["admits"] for r in json.loads(unclassified.output))
    bad = runner.invoke(main, ["requirements", "--rem", "XYZ"])
    assert bad.exit_code == 2


# -- HTTP ------------------------------------------------------------------------------------
def test_http_requirements(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import ApiSettings

    settings = ApiSettings(workers=1, load_entrypoints=False, tmp_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        listed = client.get("/v1/requirements", params={"rem": "BIO", "search": "PDF/A-1"})
        assert listed.status_code == 200
        body = listed.json()
        assert body["count"] == len(body["proofs"]) > 0 and body["stats"]["classified_share"] > 0.99
        assert "DOC/va1.01.01.01" in {p["id"] for p in body["proofs"]}
        one = client.get("/v1/requirements/doc/va1.01.01.01", params={"rem": "bio"})
        assert one.status_code == 200 and one.json()["expectations"] == {"pdfa": "1"}
        unknown = client.get("/v1/requirements/DOC/va1.01.01.09", params={"rem": "BIO"})
        assert unknown.status_code == 422
        assert "DOC/va1.01.01.01" in unknown.text
        assert client.get("/v1/requirements", params={"rem": "XYZ"}).status_code == 422


@pytest.mark.parametrize("size, full", [((1920, 1080), True), ((1366, 768), True), ((2880, 1800), True),
                                        ((3840, 1080), True), ((1080, 1920), True), ((1400, 900), False),
                                        ((800, 600), False), ((1280, 600), False)])
def test_looks_full_screen(size, full):
    from plugins.rem_catalogue.check_media import looks_full_screen
    from validator_core.rules import load_rules

    assert looks_full_screen(*size, load_rules().thresholds("rem_catalogue")) is full


def test_a_failing_requirement_check_costs_one_finding(engine_factory, req_files, tmp_path, monkeypatch):
    """preuves_check_requirement runs in the caller's process: an exception must not escape."""
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "broken_req_check.py").write_text(
        "from validator_core import hookimpl\n\n"
        "@hookimpl\n"
        "def preuves_check_requirement(requirement, facts):\n"
        "    raise KeyError('boom')\n"
    )
    eng = engine_factory(extra=("broken_req_check",), workers=1)
    report = eng.validate(req_files["plain"], "pdf_report", requirement="DOC/va1.01.01.01", rem="BIO")
    crashed = [f for f in report.findings if f.code == "check.crashed"]
    assert [f.details for f in crashed] == [{"check": "broken_req_check", "reason": "KeyError"}]
    assert report.verdict.value == "rejected"
