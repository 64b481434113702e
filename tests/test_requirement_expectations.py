"""What each proof's texts ask for, read and enforced: video or still image, full screen, SMTP message
sources, HL7 v2 message types, ZIP contents, report links' platform and test case.

Real files made at test time (ffmpeg videos, Pillow pictures, RFC 5322 messages from the ``email``
package, HL7 v2 messages, ZIPs from ``zipfile``, Gazelle reports from lxml), validated through the
engine with ``requirement=`` and ``rem=`` across the six REMs.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixtures import texts
from fixtures.media import have_ffmpeg, make_picture, make_video
from plugins.logs_mail import header_summary, parts_summary
from plugins.rem_catalogue.classify import classify_text
from plugins.rem_catalogue.messages import MESSAGES
from plugins.rem_catalogue.register import load_data
from validator_core.registry import PluginConfig, PluginRegistry

ROOT = Path(__file__).resolve().parents[1]
needs_ffmpeg = pytest.mark.skipif(not have_ffmpeg(), reason="ffmpeg is needed to make test videos")


@pytest.fixture(scope="module")
def catalogue():
    return PluginRegistry.load(PluginConfig(entrypoints=False)).catalogue()


def message(directory: Path, name: str, headers: dict[str, str] | None = None, attachments: tuple[str, ...] = (),
            html: bool = False) -> Path:
    """An MSSanté-like message source: From/To/Subject/Date/Message-ID, a body, optional attachments."""
    mail = EmailMessage()
    mail["From"] = "Dr Test <dr.test@hopital.mssante.fr>"
    mail["To"] = "1850775123456@patient.mssante.fr"
    mail["Subject"] = "XDM/1.0/DDM+CR BIO TEST Patient 19850701"
    mail["Date"] = format_datetime(datetime(2023, 3, 24, 14, 5, tzinfo=timezone.utc))
    mail["Message-ID"] = make_msgid(domain="hopital.mssante.fr")
    for key, value in (headers or {}).items():
        mail[key] = value
    mail.set_content("Bonjour,\nveuillez trouver le compte rendu ci-joint.\n")
    if html:
        mail.add_alternative("<p>Bonjour,</p>", subtype="html")
    for kind in attachments:
        if kind == "zip":
            mail.add_attachment(xdm_bytes(), maintype="application", subtype="octet-stream", filename="IHE_XDM.ZIP")
        else:
            mail.add_attachment(b"%PDF-1.4\n%test\n", maintype="application", subtype="pdf", filename="CR_TEST.pdf")
    path = directory / name
    path.write_bytes(mail.as_bytes())
    return path


def xdm_bytes(metadata: bool = True, document: bool = True) -> bytes:
    """An IHE XDM archive (ITI TF-3 §4.2.1): INDEX.HTM, README.TXT, IHE_XDM/SUBSET01/{METADATA.XML, DOC}."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("INDEX.HTM", "<html><body>IHE XDM</body></html>")
        archive.writestr("README.TXT", "Archive IHE XDM de test")
        if metadata:
            archive.writestr("IHE_XDM/SUBSET01/METADATA.XML", "<SubmitObjectsRequest/>")
        if document:
            archive.writestr("IHE_XDM/SUBSET01/DOC0001.XML", "<ClinicalDocument xmlns='urn:hl7-org:v3'/>")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def files(fixtures_dir):
    d = fixtures_dir / "expectations"
    d.mkdir(exist_ok=True)
    nir = texts.test_nirs()[1]
    out = {
        "screen": make_picture(d, "screen.png", size=(1920, 1080)),
        "window": make_picture(d, "window.png", size=(1400, 900)),
        "note": texts._write(d / "note.txt", "Message envoyé le 24/03 : entête X-MSS-MES positionné à FIN.\n"),
        "fin": message(d, "fin.eml", {"X-MSS-MES": "FIN"}),
        "oui": message(d, "oui.eml", {"X-MSS-MES": "OUI"}),
        "new": message(d, "new.eml"),
        "reply": message(d, "reply.eml", {"In-Reply-To": "<a@hopital.mssante.fr>", "References": "<a@hopital.mssante.fr>"}),
        "alternative": message(d, "alternative.eml", html=True),
        "pdf_only": message(d, "pdf_only.eml", attachments=("pdf",)),
        "xdm_and_pdf": message(d, "xdm_and_pdf.eml", attachments=("zip", "pdf")),
        "mdn_asked": message(d, "mdn.eml", {"Disposition-Notification-To": "dr.test@hopital.mssante.fr"}),
        "a08": texts._write(d / "a08.hl7", texts.hl7_message(nir, event="A08")),
        "a31": texts._write(d / "a31.hl7", texts.hl7_message(nir, event="A31")),
        "a47_a31": texts._write(d / "a47.hl7", texts.hl7_message(nir, "M1", event="A47") + texts.hl7_message(nir, "M2", event="A31")),
        "app_log": texts.make_app_log(d),
        "xdm": texts._write(d / "IHE_XDM.ZIP", xdm_bytes()),
        "xdm_no_metadata": texts._write(d / "xdm_no_metadata.zip", xdm_bytes(metadata=False)),
        "id": texts._write(d / "execution.txt", "4242\n"),
        "id_label": texts._write(d / "execution-label.txt", "Identifiant d'exécution MSS-LPS-SEGUR-PER-ORG : 4243\n"),
        "gazelle_link": texts.make_link_text(d, "gazelle.txt", texts.LINKS["evs_report"]),
        "segur_link": texts.make_link_text(d, "segur.txt", texts.LINKS["test_instance"]),
        "mssante_link": texts.make_link_text(d, "mssante.txt", texts.LINKS["mssante_execution"]),
        "gazelle_bio": texts.make_gazelle_current(d, "PASSED", name="gazelle-cr-bio.xml"),
        "gazelle_hl7": texts.make_gazelle_legacy(d, "PASSED", name="gazelle-hl7.xml"),
    }
    one = d / "intra-one.zip"
    with zipfile.ZipFile(one, "w") as archive:
        archive.writestr("message1.hl7", texts.hl7_message(nir))
    three = d / "intra-three.zip"
    with zipfile.ZipFile(three, "w") as archive:
        archive.writestr("message1.hl7", texts.hl7_message(nir))
        archive.writestr("integration-pfi.log", "2023-03-24T14:05:00 INFO message 1 intégré\n")
        archive.writestr("METADATA.xml", "<SubmitObjectsRequest/>")
    out.update({"intra_one": one, "intra_three": three})
    return out


@pytest.fixture(scope="module")
def videos(fixtures_dir):
    if not have_ffmpeg():
        pytest.skip("ffmpeg is needed to make test videos")
    d = fixtures_dir / "expectations"
    d.mkdir(exist_ok=True)
    return {"hd": make_video(d, "hd.mp4", size="1280x720"), "window": make_video(d, "window.mp4", size="960x600")}


def requirement_findings(report) -> dict[str, str]:
    return {f.code: f.severity.value for f in report.findings if f.code.startswith("requirement.")}


# -- the catalogue: what each proof admits and expects, with where it was read -------------------------
def test_video_only_and_still_only_proofs_are_counted(catalogue):
    exact = {"video": 0, "screenshot": 0}
    for spec in catalogue.proofs:
        if tuple(spec.admits) in (("video",), ("screenshot",)):
            exact[spec.admits[0]] += 1
    assert exact == {"video": 148, "screenshot": 62}
    medium = catalogue.stats()["expectations"]["medium"]
    assert medium["values"] == {"video": 148, "screenshot": 80} and medium["from"] == {"proof": 228}


@pytest.mark.parametrize("rem, proof, admits, medium", [
    ("BIO", "ANN/va1.02.01.01", ("video",), "video"),  # « Fournir une vidéo montrant … »
    ("LGC", "MDV.01.01.01", ("video",), "video"),  # « Démonstration vidéo … »: the demonstration names its medium
    ("RIS", "DMP/va1.09.01.01", ("video",), "video"),  # « (environnement de démonstration) » is a place
    ("LGC", "INS/va1.03.01.01", ("screenshot", "pdf_report"), "screenshot"),  # « Scan de l'édition … »
    ("DPI", "PSC.02.01.01", ("video", "screenshot"), None),  # video or screenshot, depending on a condition
])
def test_medium_of_visual_proofs(catalogue, rem, proof, admits, medium):
    spec = catalogue.find(proof, rem)
    assert spec.admits == admits
    assert spec.expectations.get("medium") == medium
    if medium:
        assert spec.sources["medium"]["from"] == "proof"
        assert spec.sources["medium"]["quote"] in " ".join(spec.text.split())


def test_scenario_expectations_reach_the_visual_proofs_only(catalogue):
    ciba = catalogue.find("PSC.01.03.03", "DB")
    assert ciba.expectations["full_screen"] is True
    assert ciba.sources["full_screen"] == {"from": "scenario", "quote": "la vidéo doit être en plein écran"}
    web = catalogue.find("PSC.01.01.01", "LGC")
    assert web.sources["browser_visible"] == {
        "from": "scenario", "quote": "le navigateur doit être entièrement visible, URL et date Windows en bas à droite incluses"}
    # The same scenario's documentation proofs get none of it.
    history = catalogue.find("PSC.01.04.01", "BIO")
    assert history.admits == ("pdf_report", "logs") and not history.expectations
    assert catalogue.find("PSC.01.04.05", "BIO").expectations["browser_visible"] is True


def test_test_case_named_by_the_scenario(catalogue):
    spec = catalogue.find("INS/va1.73.03.01", "BIO")  # « … pour ce test »
    assert spec.expectations["test_case"] == "CI-SIS-HL7V2-Cons_del_INS"
    assert spec.expectations["test_cases"] == ["CI-SIS-HL7V2-Cons_del_INS", "CI-SIS-HL7V2-Cons_del_INS_manuel"]
    assert spec.sources["test_case"]["from"] == "scenario"
    assert spec.sources["test_case"]["quote"].startswith("Cas de Test : CI-SIS-HL7V2-Cons_del_INS ou")
    assert spec.expectations["platform_host"] == "interopsegur.esante.gouv.fr"
    # Names glued to the next word in the export ("…INSCe cas de test", "…GENDescription").
    assert catalogue.find("INS/va1.67.01.01", "RIS").expectations["test_case"] == "CI-SIS-HL7V2-Cons_identite_INS"
    assert classify_text("Lien permanent du rapport", scenario_text="Nom : MSS-LPS-SEGUR-GENDescription : Vérifier"
                         ).expectations["test_case"] == "MSS-LPS-SEGUR-GEN"


def test_smtp_expectations_come_from_the_requirement(catalogue):
    fin = catalogue.find("MSS/CONF.21.01.02", "PFI")
    assert fin.expectations["file_format"] == "smtp"
    assert fin.expectations["smtp_headers"] == [{"name": "X-MSS-MES", "value": "FIN"}]
    assert fin.sources["smtp_headers"]["from"] == "requirement" and '"FIN"' in fin.sources["smtp_headers"]["quote"]
    reply = catalogue.find("MSS/va1.08.01.01", "RIS")
    assert [h["name"] for h in reply.expectations["smtp_headers"]] == ["Message-ID", "In-Reply-To", "References"]
    body = catalogue.find("MSS/va1.11.01.01", "BIO")
    assert body.expectations["smtp_headers"] == [{"name": "Content-Type", "values": ["text/plain", "multipart/alternative"]}]
    assert catalogue.find("MSS/va1.01.01.03", "LGC").expectations["smtp_attachments"] == ["zip", "pdf"]
    assert catalogue.find("MSS/UX.01.01.02", "PFI").expectations["smtp_attachments"] == ["zip"]


def test_hl7_and_zip_expectations(catalogue):
    assert catalogue.find("INS/va1.60.01.03", "LGC").expectations["hl7_message_type"] == "A31"
    a47 = catalogue.find("INS/va1.60.03.03", "RIS")
    assert a47.expectations["hl7_message_type"] == "A47" and a47.sources["hl7_message_type"]["quote"] == (
        "à minima message HL7 de type A47")
    intra = catalogue.find("INTRA/va1.02.01.03", "PFI")
    assert intra.expectations["file_format"] == "zip" and len(intra.expectations["zip_contents"]) == 3
    integrated = catalogue.find("MSS/UX.39.01.02", "DPI")  # « Archive IHE XDM intégrée dans le logiciel »
    assert integrated.expectations["ihe_xdm"] is True and integrated.expectations["file_format"] == "zip"


def test_admitted_types_follow_the_text_order():
    assert classify_text("Copies d'écran ou vidéo de la séquence").admits == ("screenshot", "video")
    assert classify_text("Démonstration (vidéo ou copies d'écran) montrant le déroulé").admits == ("video", "screenshot")
    assert classify_text("Démonstration montrant l'identité reçue").admits == ("video", "screenshot")
    assert classify_text("Démonstration vidéo montrant le déroulé des étapes").admits == ("video",)


def test_the_packaged_catalogue_stores_the_classification(catalogue):
    data = load_data()
    stored = [(req["rem"], p) for req in data["requirements"] for s in req["scenarios"] for p in s["proofs"]]
    entry = next(p for rem, p in stored if (rem, p["id"]) == ("BIO", "PSC.01.03.03"))
    assert entry["admits"] == ["video"] and entry["sources"]["full_screen"]["from"] == "scenario"
    assert catalogue.find("PSC.01.03.03", "BIO").classified_by == "rem_catalogue"
    assert data["stats"]["classified"] == sum(1 for _rem, p in stored if "admits" in p)


# -- point 1: video against still image ---------------------------------------------------------------
@pytest.mark.parametrize("rem, proof", [("BIO", "ANN/va1.02.01.01"), ("DB", "PSC.01.01.01"), ("LGC", "MDV.01.01.01")])
def test_a_still_image_for_a_video_proof_is_an_error(engine, files, rem, proof):
    report = engine.validate(files["screen"], requirement=proof, rem=rem)
    assert report.verdict.value == "rejected"
    assert requirement_findings(report)["requirement.video_expected"] == "error"
    found = next(f for f in report.findings if f.code == "requirement.video_expected")
    spec = engine.requirement(proof, rem)
    assert found.details["asked"] == spec.sources["medium"]["quote"] and f"« {found.details['asked']} »" in found.message
    assert "MP4" in found.message


@needs_ffmpeg
def test_a_video_for_a_video_proof_passes(engine, videos):
    report = engine.validate(videos["hd"], requirement="ANN/va1.02.01.01", rem="DPI")
    assert report.proof_type == "video" and not requirement_findings(report), report.codes


@needs_ffmpeg
@pytest.mark.parametrize("rem, proof", [("RIS", "INS/va1.03.01.01"), ("PFI", "DMP/va1.01.01.02")])
def test_a_video_for_a_still_image_proof_is_a_warning(engine, videos, rem, proof):
    report = engine.validate(videos["hd"], requirement=proof, rem=rem, lang="en")
    assert report.proof_type == "screenshot" and report.verdict.value == "accepted_with_warnings", report.codes
    assert requirement_findings(report) == {"requirement.screenshot_expected": "warning"}
    assert "still picture" in next(f.message for f in report.findings if f.code == "requirement.screenshot_expected")


def test_a_still_image_for_a_still_image_proof_passes(engine, files):
    report = engine.validate(files["screen"], requirement="INS/va1.03.01.01", rem="BIO")
    assert not requirement_findings(report), report.codes


@needs_ffmpeg
def test_full_screen_read_in_the_scenario_applies_to_videos(engine, videos, files):
    window = engine.validate(videos["window"], requirement="PSC.01.03.03", rem="DPI")  # « la vidéo doit être en plein écran »
    found = next(f for f in window.findings if f.code == "requirement.not_full_screen")
    assert found.details["asked_in"] == "scenario" and "la vidéo doit être en plein écran" in found.message
    assert requirement_findings(engine.validate(videos["hd"], requirement="PSC.01.03.03", rem="DPI")) == {}
    browser = engine.validate(files["window"], requirement="PSC.02.01.01", rem="LGC")  # a screenshot is admitted there
    assert requirement_findings(browser) == {"requirement.not_full_screen": "warning"}


# -- point 3: structured files ------------------------------------------------------------------------
def test_a_note_for_a_source_smtp_proof_is_an_error(engine, files):
    report = engine.validate(files["note"], requirement="MSS/CONF.21.01.02", rem="DPI")
    assert report.verdict.value == "rejected"
    assert requirement_findings(report) == {"requirement.smtp_expected": "error"}
    assert "« Source SMTP du message émis »" in next(f.message for f in report.findings if f.code == "requirement.smtp_expected")


@pytest.mark.parametrize("rem, proof, name, expected", [
    ("PFI", "MSS/CONF.21.01.02", "fin", {}),
    ("BIO", "MSS/CONF.21.01.02", "oui", {"requirement.smtp_header_mismatch": "warning"}),
    ("LGC", "MSS/CONF.21.01.02", "new", {"requirement.smtp_header_missing": "warning"}),
    ("RIS", "MSS/va1.12.01.01", "new", {}),  # Message-ID
    ("LGC", "MSS/va1.08.01.01", "new", {"requirement.smtp_header_missing": "warning"}),  # In-Reply-To, References
    ("BIO", "MSS/va1.08.01.01", "reply", {}),
    ("PFI", "MSS/va1.11.01.01", "new", {}),  # text/plain body
    ("RIS", "MSS/va1.11.01.01", "alternative", {}),  # multipart/alternative body
    ("LGC", "MSS/UX.33.01.02", "new", {"requirement.smtp_header_missing": "warning"}),  # MDN asked
    ("RIS", "MSS/UX.33.01.02", "mdn_asked", {}),
    ("RIS", "MSS/va1.01.01.03", "pdf_only", {"requirement.smtp_attachment_missing": "warning"}),
    ("BIO", "MSS/va1.01.01.03", "xdm_and_pdf", {}),
    ("PFI", "MSS/CONF.23.01.01", "xdm_and_pdf", {}),
])
def test_source_smtp_against_its_requirement(engine, files, rem, proof, name, expected):
    report = engine.validate(files[name], requirement=proof, rem=rem)
    assert "smtp" in report.facts["logs"]["formats"]
    assert requirement_findings(report) == expected, report.codes
    for f in report.findings:
        if f.code.startswith("requirement.smtp"):
            assert f.details["asked_in"] == "requirement" and f.details["asked"] in f.message


def test_the_header_value_named_by_the_requirement_is_quoted(engine, files):
    report = engine.validate(files["oui"], requirement="MSS/CONF.21.01.02", rem="BIO", lang="en")
    found = next(f for f in report.findings if f.code == "requirement.smtp_header_mismatch")
    assert (found.details["header"], found.details["expected"], found.details["found"]) == ("X-MSS-MES", "FIN", "OUI")
    assert '"X-MSS-MES"' in found.message and "not FIN" in found.message


def test_message_facts_hold_no_personal_data(files):
    import email
    import email.policy

    parsed = email.message_from_bytes(files["xdm_and_pdf"].read_bytes(), policy=email.policy.compat32)
    summary = {**parts_summary(parsed), **header_summary(parsed)}
    assert summary["attachment_extensions"] == {"zip": 1, "pdf": 1}
    assert summary["subject_prefix"] == "XDM/1.0/DDM"
    assert {"From", "To", "Subject", "Message-ID"} <= set(summary["headers"])
    flat = repr(summary)
    assert "TEST Patient" not in flat and "1850775123456" not in flat and "CR_TEST" not in flat


@pytest.mark.parametrize("rem, proof, name, expected", [
    ("BIO", "INS/va1.60.01.03", "a08", {"requirement.hl7_type_mismatch": "warning"}),
    ("RIS", "INS/va1.60.01.03", "a31", {}),
    ("LGC", "INS/va1.60.03.03", "a47_a31", {}),  # « à minima … A47 »: other messages may come with it
    ("BIO", "INS/va1.60.03.03", "a31", {"requirement.hl7_type_mismatch": "warning"}),
    ("LGC", "INS/va1.60.02.03", "app_log", {"requirement.hl7_message_missing": "warning"}),
])
def test_hl7_message_type_against_msh9(engine, files, rem, proof, name, expected):
    report = engine.validate(files[name], requirement=proof, rem=rem)
    assert requirement_findings(report) == expected, report.codes
    if expected == {"requirement.hl7_type_mismatch": "warning"}:
        found = next(f for f in report.findings if f.code == "requirement.hl7_type_mismatch")
        assert "message HL7 de type" in found.details["asked"] and "ADT^" in found.message


@pytest.mark.parametrize("rem, proof, name, expected", [
    ("PFI", "INTRA/va1.01.01.03", "xdm", {}),
    ("PFI", "INTRA/va1.02.01.05", "xdm_no_metadata", {"requirement.ihe_xdm_incomplete": "warning"}),
    ("LGC", "MSS/UX.39.01.02", "xdm", {}),
    ("RIS", "MSS/UX.39.01.02", "app_log", {"requirement.file_format_mismatch": "warning"}),
    ("PFI", "INTRA/va1.01.01.01", "intra_one", {"requirement.zip_missing_files": "warning"}),
    ("PFI", "INTRA/va1.02.01.04", "intra_three", {}),
])
def test_zip_contents_from_the_central_directory(engine, files, rem, proof, name, expected):
    report = engine.validate(files[name], requirement=proof, rem=rem)
    assert requirement_findings(report) == expected, report.codes
    if "requirement.ihe_xdm_incomplete" in expected:
        found = next(f for f in report.findings if f.code == "requirement.ihe_xdm_incomplete")
        assert "METADATA.XML" in found.details["missing"] and "DOC0001.XML" in found.details["members"]


# -- point 4: report links the right way round -------------------------------------------------------
@pytest.mark.parametrize("rem, proof, name, value", [
    ("BIO", "MSS/CONF.01.01.01", "id", "4242"),
    ("LGC", "MSS/CONF.04.01.01", "id_label", "4243"),
    ("RIS", "MSS/CONF.12.01.01", "id", "4242"),
])
def test_an_execution_id_is_accepted_where_the_proof_asks_for_one(engine, files, rem, proof, name, value):
    report = engine.validate(files[name], requirement=proof, rem=rem)
    assert report.proof_type == "report_link" and report.verdict.value == "accepted", report.codes
    assert report.facts["report_link"]["execution_id"] == value
    found = next(f for f in report.findings if f.code == "report_link.execution_id")
    assert found.severity.value == "info" and f"/project/MSSante/execution/show/{value}" in found.message


def test_a_bare_number_is_no_link_elsewhere(engine, files):
    assert "report_link.no_link" in engine.validate(files["id"], "report_link").codes  # no requirement
    assert "report_link.no_link" in engine.validate(files["id"], requirement="DOC/va1.30.01.01", rem="BIO").codes


@pytest.mark.parametrize("rem, proof, name, expected", [
    ("PFI", "MSS/CONF.12.01.01", "gazelle_link", {"requirement.platform_mismatch": "warning"}),  # MSSanté asked
    ("BIO", "MSS/CONF.01.01.01", "mssante_link", {}),
    ("DPI", "DOC/va1.07.01.01", "mssante_link", {"requirement.platform_mismatch": "warning"}),  # Gazelle asked
    ("BIO", "DOC/va1.30.01.01", "gazelle_link", {"requirement.platform_mismatch": "warning"}),  # interopsegur asked
    ("BIO", "DOC/va1.30.01.01", "segur_link", {}),
    ("DPI", "CDA/HL7.01.01.01", "gazelle_link", {}),  # no host named by the scenario
])
def test_link_platform_against_the_proof(engine, files, rem, proof, name, expected):
    report = engine.validate(files[name], requirement=proof, rem=rem)
    assert requirement_findings(report) == expected, report.codes
    if expected:
        found = next(f for f in report.findings if f.code == "requirement.platform_mismatch")
        assert found.details["asked"] in found.message and found.details["found"] in found.message


@pytest.mark.parametrize("rem, proof, name, expected", [
    ("BIO", "DOC/va1.30.01.01", "gazelle_bio", {}),  # CR-BIO test case, CR-BIO validator
    ("RIS", "DOC/va1.15.01.01", "gazelle_bio", {"requirement.test_case_mismatch": "warning"}),  # imaging expected
    ("BIO", "INS/va1.73.03.01", "gazelle_hl7", {}),  # the scenario's HL7v2 test case, an HL7v2 validator
    ("DPI", "INS/va1.62.03.01", "gazelle_bio", {"requirement.test_case_mismatch": "warning"}),
    ("LGC", "MSS/va1.17.01.01", "gazelle_bio", {}),  # an IHE XDM test case: any document validator
])
def test_gazelle_report_against_the_expected_test_case(engine, files, rem, proof, name, expected):
    report = engine.validate(files[name], requirement=proof, rem=rem)
    assert report.facts["report_link"]["source"] == "gazelle_report"
    assert requirement_findings(report) == expected, report.codes


# -- docs and command --------------------------------------------------------------------------------
def test_every_requirement_code_is_documented_with_its_french_message():
    text = (ROOT / "docs" / "checks" / "rem_catalogue.md").read_text(encoding="utf-8")
    overview = (ROOT / "docs" / "requirements.md").read_text(encoding="utf-8")
    for code, (fr, _en) in MESSAGES.items():
        assert f"`{code}`" in text and fr in text, code
        assert f"`{code}`" in overview, code


def test_docs_list_every_expectation_with_the_catalogue_counts(catalogue):
    text = (ROOT / "docs" / "requirements.md").read_text(encoding="utf-8")
    section = text[text.index("### Attendus lus dans les textes"):text.index("## Valider un fichier")]
    rows = {}
    for line in section.splitlines():
        if match := re.match(r"\| `([a-z_0-9]+)`(?:, `([a-z_0-9]+)`)? \|[^|]*\|[^|]*\| ([\d, ]+)", line):
            counts = [int(n) for n in re.findall(r"\d+", match.group(3))]
            for key, count in zip(filter(None, match.groups()[:2]), counts):
                rows[key] = count
    stats = catalogue.stats()["expectations"]
    assert rows == {key: entry["proofs"] for key, entry in stats.items()}


def test_requirements_stats_prints_the_expectation_counts(catalogue):
    from validator_core.cli import main

    result = CliRunner().invoke(main, ["requirements", "--stats"])
    assert result.exit_code == 0, result.output
    for key, entry in catalogue.stats()["expectations"].items():
        assert f"  {key} : {entry['proofs']} (" in result.output
    assert "medium : 228 (preuve 228) — screenshot 80, video 148" in result.output
