"""validator_core.testing: what a plugin author's test suite gets (docs/plugins.md, "Testing a plugin").

The plugin under test is tests/plugins_for_tests/forbidden_word.py, written from the docs alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from validator_core import Verdict
from validator_core.testing import (  # noqa: F401 - preuves_engine is the fixture under test
    assert_codes,
    assert_no_codes,
    assert_verdict,
    codes,
    plugin_engine,
    preuves_engine,
    validate_bytes,
)

PLUGIN = "tests.plugins_for_tests.forbidden_word"


def test_the_engine_loads_the_author_plugin_alone_and_runs_it_in_workers(preuves_engine, tmp_path):
    engine = preuves_engine(PLUGIN)
    assert set(engine.info.plugins) == {"forbidden_word"}  # no built-in, no installed plugin
    assert engine.health().mode == "process"
    log = tmp_path / "trace.log"
    log.write_text("connexion OK\nmot de passe=hunter22 INTERDIT\n")
    report = engine.validate(log, "logs")
    assert_codes(report, "forbidden_word.found", exactly=True)
    assert_verdict(report, "accepted_with_warnings")
    [found] = report.findings
    assert found.details == {"line": 2, "context": "mot de passe=••• INTERDIT"}
    assert found.plugin == "forbidden_word" and found.message.startswith("Mot interdit trouvé ligne 2")


def test_inline_engines_and_bytes(preuves_engine):
    engine = preuves_engine(PLUGIN, inline=True)
    assert engine.health().mode == "inline"
    clean = validate_bytes(engine, b"rien a signaler\n", "app.log", "logs")
    assert_verdict(clean, Verdict.ACCEPTED)
    assert_no_codes(clean, "forbidden_word.found")
    assert clean.facts["forbidden_word"] == {"line": None}
    inferred = validate_bytes(engine, b"INTERDIT\n", "app.log", lang="en")
    assert inferred.proof_type == "logs"  # the rules' default type: the core inferred it, no plugin did
    assert codes(inferred, severity="warning") == {"forbidden_word.found"}
    assert codes(inferred, plugin="core") == {"type.inferred"}


def test_other_plugins_join_only_by_name(preuves_engine):
    engine = preuves_engine(PLUGIN, also=("pdf_report",), inline=True)
    assert set(engine.info.plugins) == {"forbidden_word", "pdf_report"}


def test_the_machine_environment_does_not_reach_the_engine(monkeypatch):
    monkeypatch.setenv("PREUVES_CHECK_TIMEOUT_S", "0.5")
    monkeypatch.setenv("PREUVES_PLUGINS", "video")
    engine = plugin_engine(PLUGIN, inline=True)
    try:
        assert engine.limits().check_timeout_s == 15.0 and set(engine.info.plugins) == {"forbidden_word"}
    finally:
        engine.close()


def test_assertions_fail_with_the_report_listed(preuves_engine):
    report = validate_bytes(preuves_engine(PLUGIN, inline=True), b"INTERDIT\n", "app.log", "logs")
    with pytest.raises(AssertionError, match=r"(?s)missing logs\.secret.*warning +forbidden_word\.found"):
        assert_codes(report, "forbidden_word.found", "logs.secret")
    with pytest.raises(AssertionError, match="unexpected forbidden_word.found"):
        assert_codes(report, exactly=True)
    with pytest.raises(AssertionError, match="unexpected forbidden_word.found"):
        assert_no_codes(report, "forbidden_word.found")
    with pytest.raises(AssertionError, match="verdict accepted_with_warnings, expected rejected"):
        assert_verdict(report, "rejected")


def _python_blocks(markdown: str, heading: str) -> list[str]:
    section = markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [block.split("\n```", 1)[0] for block in section.split("```python\n")[1:]]


def test_the_documented_example_tests_the_documented_plugin(tmp_path):
    """docs/plugins.md alone: its tiny plugin, its conftest line and its two tests, run by pytest."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
    [plugin] = _python_blocks(docs, "A complete tiny plugin")
    conftest, tests = _python_blocks(docs, "Testing a plugin")
    (tmp_path / "preuves_dsr_demo.py").write_text(plugin)
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_dsr_demo.py").write_text(tests)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    env["PYTHONPATH"] = str(tmp_path)  # worker processes import the plugin by its path
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
