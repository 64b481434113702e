"""``preuves`` speaks one language per output, and a JSON caller gets JSON errors.

Run as real processes: click's own usage errors said in French (or English with ``--lang en`` /
``PREUVES_LANG=en``), usage errors as one JSON object ``{"code", "message"}`` on stderr when the output
is JSON, ``--type`` choices in ``--help``, the catalogue's edition in ``preuves requirements``.
"""

from __future__ import annotations

import json

import pytest

from fixtures import formats
from tests.test_cli import preuves


@pytest.fixture(scope="module")
def gif(tmp_path_factory):
    return formats.make_image(tmp_path_factory.mktemp("usage"), "GIF")


@pytest.mark.parametrize("args, code, words", [
    (["check", "--json", "--format", "xml", "x"], "cli.usage", "xml"),
    (["check", "--format=json", "--bogus", "x"], "cli.usage", "--bogus"),
    (["check", "--json"], "cli.usage", "PATHS"),
    (["check", "--json", "--type", "capture", "GIF"], "request.unknown_proof_type", "screenshot"),
    (["check", "--json", "/nulle/part.png"], "cli.bad_path", "introuvable"),
])
def test_usage_errors_are_json_when_the_output_is(gif, args, code, words):
    args = [str(gif) if a == "GIF" else a for a in args]
    result = preuves(*args)
    assert result.returncode == 2 and result.stdout == ""
    error = json.loads(result.stderr)
    assert set(error) == {"code", "message"} and error["code"] == code and words in error["message"]


def test_click_usage_errors_are_said_in_french():
    result = preuves("check", "--format", "xml", "x")
    assert result.returncode == 2
    assert "valeur invalide pour --format : xml (choix : table, json, csv, junit, sarif)" in result.stderr
    assert "Aide : preuves check --help" in result.stderr and "Error" not in result.stderr
    unknown = preuves("check", "--formt", "csv", "x")
    assert unknown.returncode == 2 and "option inconnue : --formt (proches : --format" in unknown.stderr


def test_lang_en_switches_everything_the_command_prints(gif):
    result = preuves("check", "--lang", "en", str(gif))
    assert result.returncode == 1
    out = result.stdout
    assert "Proof check" in out and "error: " in out and "1 file: 0 accepted, 0 accepted with warnings, 1 rejected" in out
    assert not any(word in out for word in ("fichier", "erreur", "rejeté", "déduit"))
    missing = preuves("check", "/nulle/part.png", PREUVES_LANG="en")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr and "introuvable" not in missing.stderr
    bad = preuves("check", "--lang", "en", "--format", "xml", "x")
    assert "invalid value for --format: xml" in bad.stderr and "Help: preuves check --help" in bad.stderr


def test_help_lists_the_proof_types_in_the_help_language():
    french = preuves("check", "--help")
    assert french.returncode == 0
    text = " ".join(french.stdout.split())
    assert "Utilisation : preuves check" in text and "Affiche cette aide et quitte." in text
    assert "Choix : video (Vidéo), screenshot (Capture d'écran)" in text and "pdf_report (Compte-rendu PDF)" in text
    english = preuves("check", "--help", PREUVES_LANG="en")
    text = " ".join(english.stdout.split())
    assert "Usage: preuves check" in text and "Show this message and exit." in text
    assert "Choices: video (Video)" in text and "Type de preuve" not in text
    group = " ".join(preuves("--help", PREUVES_LANG="en").stdout.split())
    assert "Commands:" in group and "check Check one or more proof files." in group


def test_requirements_names_the_catalogue_edition():
    text = preuves("requirements", "--stats")
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].startswith("Catalogue : REM vague 2, pré-publication de mars 2023")
    data = json.loads(preuves("requirements", "--stats", "--json").stdout)
    assert data["editions"] == ["REM vague 2, pré-publication de mars 2023 (lignes approuvées)"]
    assert data["proofs"] > 1000  # the figures are still there: the edition is added
    profiles = json.loads(preuves("requirements", "--rem", "BIO", "--profiles", "--json").stdout)
    assert profiles["rem"] == "BIO" and profiles["editions"] == data["editions"]


def test_requirements_stats_agree_their_counts_and_write_the_percent_as_each_language_does():
    from validator_core.toolkit import wording

    data = json.loads(preuves("requirements", "--stats", "--json").stdout)
    french = preuves("requirements", "--stats").stdout.splitlines()[1]
    english = preuves("requirements", "--stats", PREUVES_LANG="en").stdout.splitlines()
    share = data["classified_share"]
    assert f"classées ({wording.percent(share)})" in french and "\u202f%)" in french  # « (99,7 %) »
    assert f"{wording.count(data['duplicates'], 'doublon ignoré', 'doublons ignorés')})" in french
    assert f"{wording.count(data['proofs'], 'preuve lue', 'preuves lues')} (" in french and "(s)" not in french
    assert english[0].startswith("Catalogue: REM vague 2")
    assert english[1].startswith(f"{wording.count(data['proofs'], 'proof read', 'proofs read', 'en')} (")
    assert f"classified ({wording.percent(share, 'en')})" in english[1] and "%)" in english[1]
    assert not {"lues", "classées", "Attendus"} & set(" ".join(english).replace(",", " ").split())


def test_every_command_lists_in_english_when_asked():
    """``PREUVES_LANG=en preuves --help``: the built-in commands' summaries are all English."""
    group = preuves("--help", PREUVES_LANG="en").stdout
    listed = group[group.index("Commands:"):]
    assert "requirements  List the REMs' requirements" in listed and "serve         Start the HTTP service" in listed
    assert not any(word in listed for word in ("Vérifie", "Liste", "Démarre"))
    errors = preuves("requirements", "--profiles", "--lang", "en")  # it has no --lang: the error says so, in English
    assert errors.returncode == 2 and "no such option: --lang" in errors.stderr
