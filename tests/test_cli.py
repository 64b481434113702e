"""The ``preuves`` command, run as a real process: JSON shape, table, exit codes 0/1/2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import formats

ROOT = Path(__file__).resolve().parents[1]


def preuves(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    full_env.update({"PREUVES_LOAD_ENTRYPOINTS": "0", "PREUVES_WORKERS": "1", "COLUMNS": "200", **env})
    return subprocess.run(
        [sys.executable, "-m", "validator_core.cli", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=full_env,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    empty = d / "vide.log"
    empty.touch()
    return {"png": formats.make_image(d, "PNG"), "gif": formats.make_image(d, "GIF"), "empty": empty,
            "pdf": formats.make_pdf(d)}


def test_json_is_one_array_of_reports_in_order(files):
    result = preuves("check", "--json", str(files["png"]), str(files["gif"]), str(files["empty"]))
    assert result.returncode == 1, result.stderr
    reports = json.loads(result.stdout)
    assert [r["file"]["name"] for r in reports] == ["sample.png", "sample.gif", "vide.log"]
    assert [r["verdict"] for r in reports][1:] == ["rejected", "rejected"]
    assert "format.not_allowed" in [f["code"] for f in reports[1]["findings"]]
    assert [f["code"] for f in reports[2]["findings"]] == ["file.empty"]
    assert reports[0]["proof_type_inferred"] is True


def test_exit_zero_when_nothing_is_rejected(files):
    result = preuves("check", "--type", "pdf_report", str(files["pdf"]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vérification des preuves" in result.stdout and "accepté" in result.stdout


def test_english_messages(files):
    result = preuves("check", "--json", "--lang", "en", "--type", "screenshot", str(files["gif"]))
    (report,) = json.loads(result.stdout)
    assert "does not accept" in report["findings"][0]["message"]


def test_missing_paths_are_usage_errors_and_nothing_is_checked(files):
    result = preuves("check", "--json", str(files["png"]), "/nulle/part.mp4")
    assert result.returncode == 2
    assert "/nulle/part.mp4" in result.stderr and "introuvable" in result.stderr
    assert result.stdout == ""


def test_unknown_type_lists_valid_ones(files):
    result = preuves("check", "--type", "capture", str(files["png"]))
    assert result.returncode == 2
    assert "screenshot" in result.stderr and "capture" in result.stderr


def test_bad_rules_file_fails_at_start_naming_the_key(files, tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text('[meta]\nid = "x"\nversion = "1"\ntitle = "t"\n[formats.pdf]\nlabel = 3\n')
    result = preuves("check", "--rules", str(bad), str(files["pdf"]))
    assert result.returncode == 2
    assert "formats.pdf.label" in result.stderr and "line 6" in result.stderr


def test_types_lists_the_rules():
    result = preuves("types", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert {row["id"] for row in data["proof_types"]} == {"video", "screenshot", "report_link", "logs", "pdf_report"}
    table = preuves("types")
    assert "50 Mo" in table.stdout and "tout format" in table.stdout


def test_check_against_a_requirement(files):
    """A plain PDF for a proof that asks for PDF/A-1: the PDF/A warning becomes an error."""
    result = preuves("check", "--json", "--requirement", "DOC/va1.01.01.01", "--rem", "BIO", str(files["pdf"]))
    assert result.returncode == 1, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["facts"]["requirement"]["id"] == "DOC/va1.01.01.01"
    pdfa = [f for f in report["findings"] if f["code"] == "pdf_report.pdfa_missing"]
    assert pdfa and pdfa[0]["severity"] == "error"


def test_unknown_requirement_is_a_usage_error_with_close_ids(files):
    result = preuves("check", "--requirement", "DOC/va1.01.01.99", "--rem", "BIO", str(files["pdf"]))
    assert result.returncode == 2
    assert "DOC/va1.01.01.99" in result.stderr and "DOC/va1.01.01.0" in result.stderr


def test_table_shows_names_as_they_are(tmp_path):
    """A file name is never read as rich markup or an emoji code."""
    odd = tmp_path / "[bold]relevé:smile:.log"
    odd.write_text("connexion OK\n")
    result = preuves("check", str(odd))
    assert result.returncode == 0, result.stderr
    assert "[bold]relevé:smile:.log" in result.stdout.replace("\n", "").replace("│", "").replace(" ", "")
