"""The built-in catalogue as a plugin package: its build tool, its command, its PDF/A reading, and a
core catalogue machinery that serves another catalogue plugin as well (with or without the built-in)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fixtures.media import make_picture
from fixtures.pdfs import text_pdf
from plugins.rem_catalogue.build import DEFAULT_SOURCE
from plugins.rem_catalogue.checks import pdfa_claim
from plugins.rem_catalogue.register import DATA_FILE
from validator_core.registry import PluginConfig, PluginError, PluginRegistry

ROOT = Path(__file__).resolve().parents[1]
XYZ = "tests.plugins_for_tests.xyz_catalogue"
BUILT_INS_WITHOUT_CATALOGUE = ("video", "screenshot", "pdf_report", "report_link", "logs")


# -- the build tool ---------------------------------------------------------------------------
def test_build_tool_reproduces_the_packaged_catalogue(tmp_path):
    """The shipped JSON is what ``python -m plugins.rem_catalogue.build`` makes of the ANS export."""
    assert DEFAULT_SOURCE.is_file(), "the ANS export is part of the plugin package (source/)"
    out = tmp_path / "rem-catalogue.json"
    run = subprocess.run([sys.executable, "-m", "plugins.rem_catalogue.build", "--output", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == DATA_FILE.read_bytes()
    assert json.loads(run.stdout) == json.loads(DATA_FILE.read_text(encoding="utf-8"))["stats"]


def test_build_tool_refuses_a_missing_source(tmp_path):
    out = tmp_path / "out.json"
    run = subprocess.run([sys.executable, "-m", "plugins.rem_catalogue.build", str(tmp_path / "none.json"),
                          "--output", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "source not found" in run.stderr
    assert not out.exists()


# -- the command ------------------------------------------------------------------------------
def test_requirements_command_is_added_by_the_plugin_hook():
    from plugins.rem_catalogue.commands import preuves_register_commands

    cli = click.Group()
    preuves_register_commands(cli)
    runner = CliRunner()
    listed = runner.invoke(cli, ["requirements", "--rem", "BIO", "--search", "prescription au format"])
    assert listed.exit_code == 0, listed.output
    assert "DOC/va1.01.01.01" in listed.output and "pdfa=1" in listed.output
    stats = runner.invoke(cli, ["requirements", "--stats"])
    assert stats.exit_code == 0 and "preuves lues" in stats.output and "ignoré" in stats.output


# -- PDF/A: read from the pdf_report plugin's facts ----------------------------------------------
@pytest.mark.parametrize("facts, expected", [
    ({"pdf_report": {"pdfa": {"part": "1", "conformance": "B", "claim": "PDF/A-1B"}}}, (True, "1")),
    ({"pdf_report": {"pdfa": {"part": "2", "conformance": "B"}}}, (True, "2")),
    ({"pdf_report": {"pdfa": {"part": None, "conformance": None, "claim": None}}}, (True, None)),
    ({"pdf_report": {"pdfa": "PDF/A-1b"}}, (True, "1")),
    ({"pdf_report": {"pages": 3}}, (False, None)),  # the plugin said nothing about PDF/A
    ({}, (False, None)),  # pdf_report disabled or failed on this file
])
def test_pdfa_claim_reads_the_pdf_report_facts(facts, expected):
    assert pdfa_claim(facts) == expected


# -- another catalogue plugin ------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(fixtures_dir):
    directory = fixtures_dir / "xyz"
    directory.mkdir(exist_ok=True)
    certificate = directory / "certificat.txt"
    certificate.write_text("Certificat de signature : CN=Editeur de test, valide jusqu'au 2030-01-01\n")
    return {"plain": text_pdf(directory, "plain.pdf"), "png": make_picture(directory, "screen.png", size=(1920, 1080)),
            "certificate": certificate}


def test_another_catalogue_plugin_uses_the_same_machinery(engine_factory, files):
    engine = engine_factory(extra=(XYZ,), workers=1)
    catalogue = engine.catalogue()
    assert "XYZ" in catalogue.rems and "BIO" in catalogue.rems
    pdf_proof = catalogue.find("sig/va1.01.01.01", "xyz")
    certificate_proof = catalogue.find("SIG/va1.01.01.02", "XYZ")
    # The built-in rules classify another catalogue's proof text; the plugin's own rule answers first.
    assert (pdf_proof.admits, pdf_proof.expectations, pdf_proof.classified_by) == (("pdf_report",), {"pdfa": "1"},
                                                                                  "rem_catalogue")
    assert (certificate_proof.admits, certificate_proof.classified_by) == (("logs",), "xyz_catalogue")
    # rem_catalogue's PDF/A-1 check applies to it: the plugin's warning becomes an error.
    report = engine.validate(files["plain"], requirement=pdf_proof.id, rem="XYZ")
    assert report.verdict == "rejected"
    assert [f.code for f in report.findings if f.severity == "error"] == ["pdf_report.pdfa_missing"]
    # The plugin's requirement.* code has its message.
    report = engine.validate(files["certificate"], requirement=certificate_proof.id, rem="XYZ")
    unchecked = next(f for f in report.findings if f.code == "requirement.certificate_unchecked")
    assert unchecked.message.startswith("La preuve SIG/va1.01.01.02 attend le certificat")


def test_the_core_serves_a_catalogue_without_the_builtin_plugin(engine_factory, files):
    engine = engine_factory(extra=(XYZ,), allow=(*BUILT_INS_WITHOUT_CATALOGUE, "xyz_catalogue"), workers=1)
    catalogue = engine.catalogue()
    assert catalogue.rems == ["XYZ"]
    assert not catalogue.find("SIG/va1.01.01.01", "XYZ").classified  # nobody classified it: admits every type
    # The core's own requirement.* code keeps its message (a picture given as a screenshot, for a file proof).
    report = engine.validate(files["png"], "screenshot", requirement="SIG/va1.01.01.02", rem="XYZ", lang="en")
    not_admitted = next(f for f in report.findings if f.code == "requirement.type_not_admitted")
    assert not_admitted.severity == "error" and "expects “File (TBB, DUMP, logs…)”" in not_admitted.message


def test_a_requirement_code_is_registered_once(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "copycat_catalogue.py").write_text(textwrap.dedent("""
        from validator_core import hookimpl

        @hookimpl
        def preuves_register_messages(register):
            register("requirement.not_full_screen", fr="x", en="y")
    """))
    with pytest.raises(PluginError, match="registered twice"):
        PluginRegistry.load(PluginConfig(extra=("copycat_catalogue",), entrypoints=False))
