"""Dossier check on real files: a handful of BIO proofs, one good of each kind, one missing, one of a
type the proof does not admit, one PDF without the PDF/A-1 claim its proof requires, one stray file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fixtures.dossier import GOOD_PDFA, GOOD_SCREENSHOT, MISSING, NO_PDFA, REM, WRONG_TYPE, make_bio_dossier
from validator_core.dossier import (
    DossierError,
    ProofMatcher,
    load_manifest,
    scan_folder,
    summary_line,
    to_markdown,
)
from validator_core.service import check_dossier


@pytest.fixture(scope="session")
def bio_dossier(fixtures_dir):
    directory = fixtures_dir / "dossier"
    directory.mkdir(exist_ok=True)
    return make_bio_dossier(directory)


@pytest.fixture(scope="session")
def folder_result(engine, bio_dossier):
    dossier = scan_folder(bio_dossier["root"], engine.catalogue(), REM)
    return check_dossier(engine, dossier, rem=REM)


def _by_proof(result):
    return {p.proof.id: p for p in result.proofs}


def test_folder_layout_matches_files_to_proofs(engine, bio_dossier):
    dossier = scan_folder(bio_dossier["root"], engine.catalogue(), REM)
    found = {e.proof: e.path for e in dossier.entries}
    assert found == {proof: bio_dossier[proof] for proof in (GOOD_PDFA, NO_PDFA, GOOD_SCREENSHOT, WRONG_TYPE)}
    assert dossier.unmatched == [bio_dossier["notes"]]


def test_matcher_does_not_confuse_prefixes(engine):
    matcher = ProofMatcher(engine.catalogue().select(REM))
    assert matcher.match("DOC_va1.01.01.01.pdf").id == "DOC/va1.01.01.01"
    assert matcher.match("doc va1.25.01.02/x.png").id == "DOC/va1.25.01.02"
    assert matcher.match("BIO/DOC-va1.29.01.04 cr.pdf").id == "DOC/va1.29.01.04"
    assert matcher.match("DOC_va1.01.01.019.pdf") is None  # not DOC/va1.01.01.01 followed by "9"
    assert matcher.match("compte-rendu.pdf") is None


def test_each_proof_gets_its_verdict(folder_result):
    proofs = _by_proof(folder_result)
    assert proofs[GOOD_PDFA].status in ("accepted", "accepted_with_warnings"), proofs[GOOD_PDFA].files[0].report.codes
    assert proofs[GOOD_SCREENSHOT].status in ("accepted", "accepted_with_warnings")
    wrong = proofs[WRONG_TYPE]
    assert wrong.status == "rejected"
    assert "requirement.type_not_admitted" in wrong.files[0].report.codes
    no_pdfa = proofs[NO_PDFA]
    assert no_pdfa.status == "rejected"
    errors = [f for f in no_pdfa.files[0].report.findings if f.severity == "error"]
    assert errors and all("pdfa" in f.code for f in errors)
    for good in (proofs[GOOD_PDFA], proofs[GOOD_SCREENSHOT]):
        assert not [c for c in good.files[0].report.codes if c.startswith("requirement.")]


def test_missing_and_unmatched_are_reported(folder_result, bio_dossier):
    missing = {m.id for m in folder_result.missing}
    assert MISSING in missing
    assert not missing & {GOOD_PDFA, NO_PDFA, GOOD_SCREENSHOT, WRONG_TYPE}
    assert folder_result.unmatched == [str(bio_dossier["notes"])]
    summary = folder_result.summary()
    assert summary["rejected"] == 2 and summary["filed_proofs"] == 4 and not summary["ready"]
    assert summary["missing"] == len(folder_result.missing)
    # Only "Général" is in scope by default: the "Environnement hospitalier" proofs are not missing.
    assert "DOC/va1.20.01.01" not in missing


def test_optional_profile_adds_its_proofs(engine, bio_dossier):
    dossier = scan_folder(bio_dossier["root"], engine.catalogue(), REM)
    dossier.entries = []  # scope only: nothing to validate
    result = check_dossier(engine, dossier, rem=REM, profiles=["Environnement hospitalier"])
    assert "DOC/va1.20.01.01" in {m.id for m in result.missing}


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_manifests_give_the_same_verdicts(engine, bio_dossier, folder_result, kind):
    dossier = load_manifest(bio_dossier[kind])
    assert dossier.rem == REM
    result = check_dossier(engine, dossier)
    assert {k: v.status for k, v in _by_proof(result).items()} == {k: v.status for k, v in _by_proof(folder_result).items()}
    assert MISSING in {m.id for m in result.missing}


def test_manifest_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("preuve;fichier\nDOC/va1.01.01.01;x.pdf\n", encoding="utf-8")
    with pytest.raises(DossierError, match="proof"):
        load_manifest(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json", encoding="utf-8")
    with pytest.raises(DossierError, match="JSON"):
        load_manifest(bad_json)


def test_unknown_proof_id_in_a_manifest_is_reported_not_fatal(engine, bio_dossier, tmp_path):
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"rem": "BIO", "proofs": {"DOC/va1.01.01.09": str(bio_dossier[GOOD_PDFA])}}))
    result = check_dossier(engine, load_manifest(manifest))
    assert result.unknown and "DOC/va1.01.01.01" in result.unknown[0].unknown_reason
    assert not result.summary()["ready"]


def test_markdown_and_summary(folder_result):
    text = to_markdown(folder_result)
    assert text.startswith("# Vérification du dossier — REM BIO")
    for proof in (GOOD_PDFA, NO_PDFA, GOOD_SCREENSHOT, WRONG_TYPE, MISSING):
        assert f"{proof}" in text
    assert "notes.txt" in text
    line = summary_line(folder_result)
    assert "4 preuves déposées" in line and "2 rejetées" in line and "Pas prêt" in line


def test_cli_dossier(bio_dossier, tmp_path):
    from validator_core.cli import main

    report = tmp_path / "rapport.md"
    runner = CliRunner()
    result = runner.invoke(main, ["dossier", str(bio_dossier["json"]), "--json", "--report-md", str(report)],
                           env={"PREUVES_WORKERS": "1", "PREUVES_LOAD_ENTRYPOINTS": "0"})
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    statuses = {p["proof"]: p["status"] for p in data["proofs"]}
    assert statuses[WRONG_TYPE] == statuses[NO_PDFA] == "rejected"
    assert MISSING in {m["proof"] for m in data["missing"]}
    assert report.read_text(encoding="utf-8").startswith("# Vérification du dossier")
    no_rem = runner.invoke(main, ["dossier", str(bio_dossier["root"])], env={"PREUVES_WORKERS": "1"})
    assert no_rem.exit_code == 2 and "REM" in no_rem.output


def test_pdfa_remark_is_information_where_the_proof_does_not_ask_for_pdfa(folder_result):
    wrong = _by_proof(folder_result)[WRONG_TYPE].files[0].report  # a plain PDF filed for a screenshot proof
    pdfa = [f for f in wrong.findings if "pdfa" in f.code]
    assert all(f.severity == "info" for f in pdfa)
    errors = [f.code for f in wrong.findings if f.severity == "error"]
    assert errors == ["requirement.type_not_admitted"]
