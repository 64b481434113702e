"""Issue 14 points 6-8 on real files made here: conditional proofs and « prêt pour le dépôt », profiles,
checklists, the same file or picture filed twice, and the catalogue defects found in the audit, across
the BIO, RIS, LGC, DB, DPI and PFI REMs."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from fixtures.media import make_picture
from plugins.rem_catalogue.build import DEFAULT_SOURCE
from plugins.rem_catalogue.conditions import PROFILE_CLAUSES, SYSTEM_CONDITIONS
from validator_core.catalogue import ProofSpec, strip_accents
from validator_core.cli import main as cli
from validator_core.dossier import (
    Dossier, DossierEntry, UnknownCondition, UnknownProfile, checklist_csv, load_manifest, match_files, scan_folder,
    to_markdown,
)
from validator_core.service import check_dossier, requirements_checklist

CND = "tests.plugins_for_tests.conditional_catalogue"


def _spec(engine, rem, proof_id, profile=None):
    specs = engine.catalogue().find_all(proof_id, rem, [profile] if profile else None)
    return specs[0] if profile else specs


# -- point 6: conditions in the catalogue ------------------------------------------------------------------
def test_system_conditions_are_read_from_requirement_texts(engine):
    catalogue = engine.catalogue()
    bio = [p for p in catalogue.select("BIO", ["Général"]) if p.conditions]
    referential = [p for p in bio if p.conditions[0]["id"] == "referentiel_identite"]
    assert referential and all(re.match(r"(?i)si le système (est|fait fonction de) référentiel d", p.requirement_text)
                               for p in referential)
    first = referential[0].conditions[0]
    assert first["when"] == ["oui"] and first["from"] == "requirement" and first["quote"].startswith("Si le système")
    hosting = [p for p in catalogue.select("LGC") if any(c["id"] == "hebergement" for c in p.conditions)]
    assert hosting and all("hébergement" in p.requirement_text for p in hosting)
    # A behaviour the system must have is not a situation an editor may be out of.
    opposition = [p for p in catalogue.select("BIO") if p.requirement_text.startswith("Si le patient ne s'est pas")]
    assert opposition and not any(p.conditions for p in opposition)


def test_every_leading_system_clause_of_the_source_is_a_condition():
    rows = json.loads(DEFAULT_SOURCE.read_text(encoding="utf-8"))
    patterns = [re.compile(pattern) for pattern in (*(p for _i, _l, p in SYSTEM_CONDITIONS), *PROFILE_CLAUSES)]
    unread = set()
    for row in rows:
        text = strip_accents(" ".join((row["requirement_text"] or "").split())).casefold().replace("\u2019", "'")
        if re.match(r"si (le systeme|l'industriel|la pfi)\b", text) and not any(p.match(text) for p in patterns):
            unread.add(text[:80])
    assert unread == set()


def test_psc_modalities_are_alternatives(engine):
    for rem in ("LGC", "RIS"):
        web, ciba, internal = (_spec(engine, rem, i)[0] for i in ("PSC.01.01.01", "PSC.01.03.03", "PSC.01.04.01"))
        assert [c["when"] for c in web.conditions] == [["web"]] and web.conditions[0]["from"] == "scenario"
        assert [c["when"] for c in ciba.conditions] == [["ciba"]]
        assert [c["when"] for c in internal.conditions] == [["navigateur_interne"]]
        assert internal.conditions[0]["quote"].startswith("[Si modalité de type")
        # « [Si modalité de type : Mode web ou … ou application native avec navigateur interne] »: all four.
        assert _spec(engine, rem, "PSC.01.04.05")[0].conditions[0]["when"] == [
            "web", "navigateur_externe", "ciba", "navigateur_interne"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("cnd")
    paths = {}
    for name in ("LOG_va1.01.01.01 connexions.log", "LOG_va1.03.01.01 web.log"):
        (directory / name).write_text("2026-01-01T10:00:00 connexion utilisateur=demo statut=OK\n", encoding="utf-8")
        paths[name] = directory / name
    return directory


def test_declared_conditions_make_a_dossier_ready(engine_factory, logs):
    engine = engine_factory(extra=(CND,), workers=1)
    dossier = scan_folder(logs, engine.catalogue(), "CND")
    before = check_dossier(engine, dossier, rem="CND")
    assert {c.proof.id for c in before.undecided} == {"LOG/va1.02.01.01", "LOG/va1.03.02.01"}
    assert before.missing == [] and not before.summary()["ready"]
    after = check_dossier(engine, dossier, rem="CND", conditions={"wifi": ["non"], "psc_modalite": ["web"]})
    summary = after.summary()
    assert summary["ready"] and summary["not_applicable"] == 2 and summary["undecided"] == 0, summary
    reasons = {c.proof.id: c.conditions[0] for c in after.not_applicable}
    assert reasons["LOG/va1.02.01.01"]["declared"] == ["non"] and reasons["LOG/va1.03.02.01"]["when"] == ["ciba"]
    assert "Prêt pour le dépôt." in to_markdown(after) and "Si le système intègre des points d'accès Wifi" in to_markdown(after)
    # A condition that holds puts its proof back among the missing.
    wifi = check_dossier(engine, dossier, rem="CND", conditions={"wifi": ["oui"], "psc_modalite": ["web"]})
    assert [m.id for m in wifi.missing] == ["LOG/va1.02.01.01"] and not wifi.summary()["ready"]


def test_conditions_come_from_a_manifest_and_the_command_line(engine_factory, logs, tmp_path):
    engine = engine_factory(extra=(CND,), workers=1)
    manifest = tmp_path / "dossier.json"
    manifest.write_text(json.dumps({"rem": "CND", "conditions": {"wifi": False, "psc_modalite": ["web"]},
                                    "proofs": {"LOG/va1.01.01.01": str(logs / "LOG_va1.01.01.01 connexions.log"),
                                               "LOG/va1.03.01.01": str(logs / "LOG_va1.03.01.01 web.log")}}))
    loaded = load_manifest(manifest)
    assert loaded.conditions == {"wifi": ["non"], "psc_modalite": ["web"]}
    assert check_dossier(engine, loaded).summary()["ready"]
    with pytest.raises(UnknownCondition, match="wifi, psc_modalite|psc_modalite, wifi"):
        check_dossier(engine, loaded, conditions={"referentiel": ["oui"]})
    with pytest.raises(UnknownCondition, match="web, ciba"):
        check_dossier(engine, loaded, conditions={"psc_modalite": ["mobile"]})


def test_bio_conditional_proofs_are_no_longer_missing(engine, tmp_path):
    empty = Dossier(rem="BIO", profiles=[], entries=[])
    before = check_dossier(engine, empty)
    assert before.summary()["expected_proofs"] == 288
    assert len(before.undecided) == 71 and len(before.missing) == 288 - 71  # issue 14 counted 70 by hand
    declared = {c: ["non"] for c in engine.catalogue().conditions("BIO") if c != "psc_modalite"}
    after = check_dossier(engine, empty, conditions={**declared, "psc_modalite": ["web"]})
    # Web only: the proofs of the three other modalities do not apply, PSC.01.04.05 (all four) still does.
    assert len(after.undecided) == 0 and len(after.not_applicable) == 71 - 2
    assert after.summary()["expected_proofs"] == 288 - 69
    assert {"PSC.01.01.01", "PSC.01.04.05"} <= {m.id for m in after.missing}
    # The summary by requirement gives each missing proof with its scenario's text.
    groups = {g["requirement"]: g for g in after.by_requirement()}
    psc = groups["PSC.01"]
    assert psc["text"].startswith("Le système DOIT implémenter PSC")
    assert any(m["proof"] == "PSC.01.01.01" and m["scenario_text"].startswith("Scénario - mode web") for m in psc["missing"])


def test_cli_dossier_conditions_and_unknown_profile(engine, tmp_path):
    (tmp_path / "notes.txt").write_text("rien\n")
    runner = CliRunner(env={"PREUVES_WORKERS": "1"})
    result = runner.invoke(cli, ["dossier", str(tmp_path), "--rem", "BIO", "--json", "--condition", "referentiel_identite=non",
                                 "--condition", "psc_modalite=web,ciba"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["conditions"] == {"referentiel_identite": ["non"], "psc_modalite": ["web", "ciba"]}
    assert data["summary"]["not_applicable"] > 0 and data["requirements"]
    assert all("scenario_text" in m for m in data["missing"])
    refused = runner.invoke(cli, ["dossier", str(tmp_path), "--rem", "BIO", "--profile", "Hôpital de jour"])
    assert refused.exit_code == 2 and "Environnement hospitalier" in refused.output
    unknown = runner.invoke(cli, ["dossier", str(tmp_path), "--rem", "BIO", "--condition", "wifi_partout"])
    assert unknown.exit_code == 2 and "referentiel_identite" in unknown.output


def test_requirements_profiles_and_unknown_profile():
    runner = CliRunner(env={"PREUVES_WORKERS": "1"})
    listed = runner.invoke(cli, ["requirements", "--rem", "ris", "--profiles", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    profiles = {p["profile"]: p["proofs"] for p in data["profiles"]}
    assert profiles["Général"] > 200 and "Envoi manuel par MSS au PS Demandeur" in profiles
    assert {"referentiel_identite", "psc_modalite"} <= {c["id"] for c in data["conditions"]}
    refused = runner.invoke(cli, ["requirements", "--rem", "BIO", "--profile", "Hôpital de jour"])
    assert refused.exit_code == 2 and "Référentiel d'identités" in refused.output


def test_checklist_csv_is_a_manifest_once_filled(engine, tmp_path):
    text = requirements_checklist(engine, "dpi", ["IAM"], "csv")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert {r["profile"] for r in rows} == {"Général", "IAM"}
    assert len(rows) == len(engine.catalogue().select("DPI", ["Général", "IAM"]))
    assert all(r["file"] == "" and r["proof"] for r in rows)
    conditional = [r for r in rows if r["conditions"]]
    assert conditional and all("=" in r["conditions"] for r in conditional)
    # No cell a spreadsheet runs as a formula, whatever a catalogue plugin's texts say: quoted with "'".
    forged = ProofSpec(id="X.01.01.01", text='=HYPERLINK("http://x.example","clic")', rem="X", requirement="X.01",
                       scenario="X.01.01", scenario_text="- étape 1")
    cells = next(csv.DictReader(io.StringIO(checklist_csv([forged])), delimiter=";"))
    assert cells["proof_text"] == "'" + forged.text and cells["scenario_text"] == "'- étape 1"
    # The editor fills one row: the checklist is the dossier's manifest.
    picture = make_picture(tmp_path, "capture.png", size=(1920, 1080))
    target = next(r for r in rows if "screenshot" in r["admits"])
    target["file"] = str(picture)
    filled = tmp_path / "checklist.csv"
    with filled.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    loaded = load_manifest(filled)
    assert [(e.proof, e.path) for e in loaded.entries] == [(target["proof"], picture)]
    markdown = requirements_checklist(engine, "DPI", [], "md")
    assert markdown.startswith("# Liste des preuves — REM DPI (Général)") and "- [ ] **" in markdown
    with pytest.raises(UnknownProfile):
        requirements_checklist(engine, "DPI", ["Hôpital de jour"], "md")
    cli_md = CliRunner(env={"PREUVES_WORKERS": "1"}).invoke(cli, ["requirements", "--rem", "PFI", "--checklist", "md"])
    assert cli_md.exit_code == 0 and "REM PFI" in cli_md.output


# -- point 7: the same file, the same picture --------------------------------------------------------------
def _other_screen(path):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1920, 1080), (20, 24, 32))  # a dark application, another layout
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.rectangle([60 + 150 * i, 100 + 60 * (i % 5), 180 + 150 * i, 900 - 40 * (i % 7)], fill=(200, 120 + 10 * i, 40))
    image.save(path)
    return path


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    from PIL import Image

    directory = tmp_path_factory.mktemp("dup")
    original = make_picture(directory, "capture.png", size=(1920, 1080))
    copy = directory / "copie.png"
    copy.write_bytes(original.read_bytes())
    reencoded = directory / "capture-reduite.jpg"
    with Image.open(original) as image:
        image.resize((1600, 900)).save(reencoded, quality=70)
    return {"original": original, "copy": copy, "jpeg": reencoded, "other": _other_screen(directory / "autre.png")}


def _screenshot_proofs(engine, rem, n=2):
    return [p.id for p in engine.catalogue().select(rem, ["Général"]) if p.admits == ("screenshot",)][:n]


def test_same_file_and_same_picture_for_two_proofs(engine, screens):
    first, second = _screenshot_proofs(engine, "LGC")
    dossier = Dossier(rem="LGC", profiles=[], entries=[DossierEntry(first, screens["original"]),
                                                       DossierEntry(second, screens["copy"])])
    result = check_dossier(engine, dossier)
    assert [f.code for f in result.findings] == ["dossier.duplicate_file"]
    finding = result.findings[0]
    assert finding.severity == "warning" and first in finding.message and second in finding.message
    assert "demande sa propre preuve" in finding.message and "«" in finding.details["asked"]
    assert result.summary()["warnings"] == 1
    first, second = _screenshot_proofs(engine, "BIO")
    resized = check_dossier(engine, Dossier(rem="BIO", profiles=[], entries=[
        DossierEntry(first, screens["original"]), DossierEntry(second, screens["jpeg"])]), lang="en")
    assert [f.code for f in resized.findings] == ["dossier.duplicate_image"]
    assert resized.findings[0].details["distance"] <= 8 and "same picture" in resized.findings[0].message
    assert "dossier.duplicate_image" in to_markdown(resized)
    report = resized.proofs[0].files[0].report
    assert re.fullmatch(r"[0-9a-f]{16}", report.facts["screenshot"]["phash"])  # computed in the worker
    # A single check does not pay for it (ImageHash loads numpy and scipy in the worker).
    alone = engine.validate(screens["original"], "screenshot")
    assert "phash" not in alone.facts["screenshot"]


def test_different_pictures_and_one_proof_are_not_duplicates(engine, screens):
    first, second = _screenshot_proofs(engine, "RIS")
    different = check_dossier(engine, Dossier(rem="RIS", profiles=[], entries=[
        DossierEntry(first, screens["original"]), DossierEntry(second, screens["other"])]))
    assert different.findings == []
    same_proof = check_dossier(engine, Dossier(rem="RIS", profiles=[], entries=[
        DossierEntry(first, screens["original"]), DossierEntry(first, screens["jpeg"])]))
    assert same_proof.findings == []  # two captures of one proof: a series, not a duplicate


# -- point 8: catalogue defects ----------------------------------------------------------------------------
def test_requirements_sharing_an_id_in_two_profiles_are_both_kept(engine, screens, tmp_path):
    catalogue = engine.catalogue()
    assert catalogue.duplicates == 0
    manual = "Envoi manuel par MSS au PS Demandeur"
    both = catalogue.find_all("MSS/va1.31.01.01", "RIS")
    assert {p.profile: p.text.split(" ")[0] for p in both} == {"Général": "Extrait", manual: "Lien"}
    rpps = catalogue.find("MSS/va1.30.01.01", "RIS")
    assert rpps.requirement_text.startswith("Si le système a une capacité de gérer des moyens d'authentification")
    # A dossier of that profile checks the file against the profile's proof too, and finds it missing otherwise.
    link = tmp_path / "MSS_va1.31.01.01 lien.txt"
    link.write_text("https://interop.esante.gouv.fr/gazelle/report.seam?oid=1.3.6.1.4.1.12559.11.1.2.1.4.123456\n")
    result = check_dossier(engine, scan_folder(tmp_path, catalogue, "RIS"), rem="RIS", profiles=[manual])
    filed = {(p.proof.id, p.proof.profile) for p in result.proofs}
    assert filed == {("MSS/va1.31.01.01", "Général"), ("MSS/va1.31.01.01", manual)}
    general_only = check_dossier(engine, Dossier(rem="RIS", profiles=[manual], entries=[]))
    assert ("MSS/va1.31.01.01", manual) in {(m.id, m.profile) for m in general_only.missing}


@pytest.mark.parametrize("rem", ["BIO", "DPI", "PFI", "RIS"])
def test_a_proof_written_without_id_reaches_a_dossier(engine, tmp_path, rem):
    spec = engine.catalogue().find("SSI/IE.44.01.03", rem)
    assert spec.text.startswith("Lister toutes les méthodes proposées pour la vérification d'identité")
    (tmp_path / "SSI_IE.44.01.03 methodes.txt").write_text("Méthodes : France Connect, pièce d'identité en face à face\n")
    dossier = scan_folder(tmp_path, engine.catalogue(), rem)
    assert [e.proof for e in dossier.entries] == ["SSI/IE.44.01.03"]


def test_db_log_proofs_are_two(engine):
    first, second = (engine.catalogue().find(i, "DB") for i in ("CO.50.01.01", "CO.50.01.02"))
    assert "ITI-18" in first.text and "ITI-43" not in first.text and "ITI-43" in second.text
    assert engine.catalogue().find("CO.01.04.02", "DB") is second  # the id as written still finds it


def test_loinc_file_named_after_its_proof_id_has_no_name_warning(engine, tmp_path):
    for name in ("LOI_va1.01.01.01 LOINC_1_export_chapitres_20230315.csv", "LOI_va1.01.01.01 export.csv"):
        (tmp_path / name).write_text("code;libelle\n01;Hématologie\n02;Biochimie\n", encoding="utf-8")
    result = check_dossier(engine, scan_folder(tmp_path, engine.catalogue(), "BIO"), rem="BIO")
    codes = {r.path.rsplit("/", 1)[-1]: r.report.codes for p in result.proofs for r in p.files}
    assert "requirement.file_name_mismatch" not in codes["LOI_va1.01.01.01 LOINC_1_export_chapitres_20230315.csv"]
    assert "requirement.file_name_mismatch" in codes["LOI_va1.01.01.01 export.csv"]
    matched = match_files(engine.catalogue(), "BIO", [("LOINC_1_export_chapitres_20230315.csv", tmp_path / "x.csv")])
    assert matched.unmatched  # the bare ANS name names no proof: filed through a manifest
