"""``preuves check DIR`` and its output formats, run as a real process over a folder of real files.

JUnit XML is validated against the schema Jenkins' xUnit plugin reads reports with, SARIF against the
OASIS SARIF 2.1.0 schema (both vendored in ``tests/data``: see its README); exit codes stay 0/1/2.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from fixtures import formats
from tests.test_cli import preuves as run_preuves

DATA = Path(__file__).with_name("data")
_RUNS: dict[tuple[str, ...], object] = {}


def preuves(*args: str):
    """``preuves`` run once per command line in this module (each run starts its workers: ~1 s)."""
    if args not in _RUNS:
        _RUNS[args] = run_preuves(*args)
    return _RUNS[args]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A dossier-like folder: accepted, warned and rejected files, a sub-folder, hidden and desktop files,
    a link inside the tree, one leading out of it and one back to the top."""
    root = tmp_path_factory.mktemp("cli-dir") / "dépôt"
    (root / "sub").mkdir(parents=True)
    (root / ".cache").mkdir()
    outside = tmp_path_factory.mktemp("outside")
    formats.make_image(root, "PNG", name="DOC_va1.25.01.01 capture.png")
    formats.make_pdf(root, name="compte-rendu.pdf")  # a plain PDF: the PDF/A warning
    formats.make_image(root / "sub", "GIF", name="animation.gif")  # rejected: GIF is no screenshot format
    formats.make_image(root / ".cache", "GIF", name="hidden.gif")
    formats.make_image(outside, "GIF", name="secret.gif")
    (root / ".notes.log").write_text("hidden\n")
    (root / "Thumbs.db").write_bytes(b"\x00" * 64)
    (root / "vers-ailleurs.gif").symlink_to(outside / "secret.gif")
    (root / "sub" / "lien-interne.pdf").symlink_to(root / "compte-rendu.pdf")
    (root / "sub" / "boucle").symlink_to(root, target_is_directory=True)  # walked once: no loop, no repeat
    return root


EXPECTED = ["DOC_va1.25.01.01 capture.png", "compte-rendu.pdf", "sub/animation.gif", "sub/lien-interne.pdf"]


def shown(folder: Path) -> list[str]:
    return [os.path.join(str(folder), name) for name in EXPECTED]


def test_a_folder_is_checked_file_by_file_in_name_order(folder):
    result = preuves("check", "--json", str(folder))
    assert result.returncode == 1, result.stderr  # the GIF is rejected
    reports = json.loads(result.stdout)
    assert [r["file"]["name"] for r in reports] == [Path(n).name for n in EXPECTED]
    assert [r["verdict"] for r in reports] == ["accepted", "accepted_with_warnings", "rejected",
                                               "accepted_with_warnings"]


def test_names_carrying_proof_ids_suggest_the_dossier_command(folder):
    result = preuves("check", str(folder))
    assert f"preuves dossier {folder}" in result.stderr and "DOC_va1.25.01.01 capture.png" in result.stderr
    plain = preuves("check", str(folder / "compte-rendu.pdf"))  # one file: no folder, no suggestion
    assert plain.returncode == 0 and "preuves dossier" not in plain.stderr


def test_an_empty_folder_is_a_usage_error(tmp_path):
    (tmp_path / "vide").mkdir()
    (tmp_path / "vide" / ".DS_Store").write_bytes(b"x")
    result = preuves("check", "--json", str(tmp_path / "vide"))
    assert result.returncode == 2 and result.stdout == ""
    error = json.loads(result.stderr)
    assert error["code"] == "cli.bad_path" and "dossier vide" in error["message"]


def test_table_off_a_terminal_is_plain_text_with_french_words(folder):
    result = preuves("check", str(folder))
    assert result.returncode == 1
    out = result.stdout
    assert "┃" not in out and "│" not in out  # no table drawn for a pipe
    assert "erreur : " in out and "avertissement : " in out and " error " not in out
    assert "Compte-rendu PDF (déduit du contenu)" in out and "pdf_report (" not in out
    assert out.rstrip().splitlines()[-1] == \
        "4 fichiers : 1 accepté, 2 acceptés avec avertissements, 1 rejeté"


def test_only_problems_leaves_out_the_accepted_files(folder):
    result = preuves("check", "--only-problems", str(folder))
    assert result.returncode == 1
    assert "capture.png" not in result.stdout and "animation.gif" in result.stdout
    assert "4 fichiers" in result.stdout  # the summary still counts every file
    reports = json.loads(preuves("check", "--format", "json", "--only-problems", str(folder)).stdout)
    assert [r["verdict"] for r in reports] == ["accepted_with_warnings", "rejected", "accepted_with_warnings"]


def test_junit_validates_and_a_rejected_file_is_a_failure(folder):
    result = preuves("check", "--format", "junit", str(folder))
    assert result.returncode == 1, result.stderr
    document = etree.fromstring(result.stdout.encode())
    schema = etree.XMLSchema(etree.parse(str(DATA / "junit-10.xsd")))
    assert schema.validate(document), schema.error_log
    (suite,) = document.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == shown(folder)
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [shown(folder)[2]]
    failure = failed[0].find("failure")
    assert failure.get("type") == "format.not_allowed" and "GIF" in failure.get("message")
    warned = cases[1].find("system-out").text
    assert "avertissement : " in warned and "pdf_report.pdfa_missing" in warned


def test_sarif_validates_one_result_per_finding(folder):
    result = preuves("check", "--format", "sarif", str(folder))
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)
    (run,) = log["runs"]
    reports = json.loads(preuves("check", "--json", str(folder)).stdout)
    findings = [(i, f) for i, r in enumerate(reports) for f in r["findings"] if f["code"] != "type.inferred"]
    assert [(res["ruleId"], res["level"]) for res in run["results"]] == \
        [(f["code"], {"error": "error", "warning": "warning", "info": "note"}[f["severity"]]) for _i, f in findings]
    uris = [res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for res in run["results"]]
    assert uris[0].endswith("/d%C3%A9p%C3%B4t/compte-rendu.pdf")  # the path, percent-encoded
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {res["ruleId"] for res in run["results"]}
    short = rules["format.not_allowed"]["shortDescription"]["text"]  # the French template, placeholders elided
    assert "format" in short and "{" not in short and "…" in short
    assert run["invocations"][0]["exitCode"] == 1


def test_csv_is_one_row_per_file(folder):
    result = preuves("check", "--format", "csv", "--lang", "en", str(folder))
    assert result.returncode == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter=";"))
    assert [row["file"] for row in rows] == shown(folder)
    assert [row["verdict"] for row in rows] == ["accepted", "accepted_with_warnings", "rejected",
                                                "accepted_with_warnings"]
    assert rows[2]["codes"] == "format.not_allowed" and rows[2]["messages"].startswith("error: ")
    assert rows[2]["proof_type_label"] == "Screenshot (inferred from the content)"


def test_json_and_format_json_are_the_same_and_exclusive_with_other_formats(folder):
    target = str(folder / "compte-rendu.pdf")
    a, b = preuves("check", "--json", target), preuves("check", "--format", "json", target)
    strip = lambda out: [{k: v for k, v in r.items() if k != "elapsed_ms"} for r in json.loads(out)]  # noqa: E731
    assert a.returncode == b.returncode == 0 and strip(a.stdout) == strip(b.stdout)
    both = preuves("check", "--json", "--format", "csv", target)
    assert both.returncode == 2 and "--json" in both.stderr and both.stdout == ""


def test_junit_and_sarif_carry_any_file_name(tmp_path):
    """A name with a control character (invalid in XML 1.0), markup and a CDATA end stays one well-formed,
    valid document; the name's other characters are kept."""
    odd = tmp_path / "relevé \x01 <b>&amp; ]]> .log"
    odd.write_text("connexion OK\n", encoding="utf-8")
    junit = run_preuves("check", "--format", "junit", str(tmp_path))
    assert junit.returncode == 0, junit.stderr
    document = etree.fromstring(junit.stdout.encode())
    assert etree.XMLSchema(etree.parse(str(DATA / "junit-10.xsd"))).validate(document)
    (case,) = document.iter("testcase")
    assert case.get("name") == str(odd).replace("\x01", "\ufffd")
    sarif = json.loads(run_preuves("check", "--format", "sarif", str(odd)).stdout)
    (artifact,) = sarif["runs"][0]["artifacts"]
    assert artifact["location"]["uri"].startswith("file:///") and "%01" in artifact["location"]["uri"]
