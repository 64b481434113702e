"""A plugin that hangs, dies or raises costs one finding for that file — never the caller's process."""

from __future__ import annotations

import time

import pytest

from validator_core import Engine, Severity, Verdict
from validator_core.registry import PluginConfig
from validator_core.settings import CoreSettings

TIMEOUT_S = 3.0


@pytest.fixture(scope="module")
def hostile_engine(engine_factory):
    return engine_factory(
        extra=("tests.plugins_for_tests.hang", "tests.plugins_for_tests.abort"),
        check_timeout_s=TIMEOUT_S,
        worker_memory_mb=1024,
    )


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def finding_of(report, plugin):
    return [f for f in report.findings if f.details.get("check") == plugin]


def test_hanging_plugin_gives_check_timeout_then_next_file_is_normal(hostile_engine, tmp_path):
    started = time.monotonic()
    report = hostile_engine.validate(write(tmp_path, "a.log", "HANG\n"), "logs")
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT_S + 10  # answered after the timeout, not never
    (timeout,) = finding_of(report, "hang")
    assert timeout.code == "check.timeout" and timeout.severity == Severity.ERROR
    assert report.verdict == Verdict.REJECTED
    # The other plugins still reported on the same file.
    assert "abort" in report.facts and "logs" in report.engine.plugins
    nxt = hostile_engine.validate(write(tmp_path, "b.log", "all good\n"), "logs")
    assert "check.timeout" not in nxt.codes and nxt.facts["hang"] == {"looked": True}


def test_aborting_plugin_gives_check_crashed_and_the_pool_recovers(hostile_engine, tmp_path):
    report = hostile_engine.validate(write(tmp_path, "c.log", "ABORT\n"), "logs")
    (crash,) = finding_of(report, "abort")
    assert crash.code == "check.crashed"
    assert crash.details["reason"] == "SIGABRT"
    assert report.verdict == Verdict.REJECTED
    for i in range(3):
        ok = hostile_engine.validate(write(tmp_path, f"ok{i}.log", "fine\n"), "logs")
        assert ok.facts["abort"] == {"looked": True} and "check.crashed" not in ok.codes


def test_raising_plugin_is_named_but_its_message_does_not_leak(hostile_engine, tmp_path):
    report = hostile_engine.validate(write(tmp_path, "d.log", "RAISE\n"), "logs")
    (crash,) = finding_of(report, "abort")
    assert crash.code == "check.crashed" and crash.details["reason"] == "ValueError"
    assert "secret" not in str(report.to_dict())


def test_memory_cap_turns_a_blow_up_into_check_crashed(hostile_engine, tmp_path):
    report = hostile_engine.validate(write(tmp_path, "e.log", "HOG\n"), "logs")
    (crash,) = finding_of(report, "abort")
    assert crash.code == "check.crashed" and crash.details["reason"] == "MemoryError"


def test_crash_message_is_french_by_default(hostile_engine, tmp_path):
    report = hostile_engine.validate(write(tmp_path, "f.log", "ABORT\n"), "logs")
    (crash,) = finding_of(report, "abort")
    assert "a échoué" in crash.message and crash.details["check"] == "abort"


def test_two_inline_engines_in_one_process_each_run_their_own_plugins(tmp_path, monkeypatch):
    """Inline mode keeps its plugins per pool: a second engine must not replace the first one's."""
    (tmp_path / "inline_other.py").write_text(
        "from validator_core import Inspection, hookimpl\n\n"
        "@hookimpl\n"
        "def preuves_register_checks(register):\n"
        "    register(proof_types=['logs'], media_types=['text/*'], version='0.0.1')\n\n"
        "@hookimpl\n"
        "def preuves_inspect(proof):\n"
        "    return Inspection(facts={'seen_by': 'other'})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = CoreSettings(isolation="inline", load_entrypoints=False)
    first = Engine(settings, plugin_config=PluginConfig(allow=("hang",), extra=("tests.plugins_for_tests.hang",),
                                                        entrypoints=False))
    second = Engine(settings, plugin_config=PluginConfig(allow=("inline_other",), extra=("inline_other",),
                                                         entrypoints=False))
    log = write(tmp_path, "a.log", "ordinary line\n")
    for engine, plugin, facts in [(first, "hang", {"looked": True}), (second, "inline_other", {"seen_by": "other"}),
                                  (first, "hang", {"looked": True})]:
        report = engine.validate(log, "logs")
        assert report.verdict == Verdict.ACCEPTED, report.codes
        assert report.facts == {plugin: facts}
        assert list(report.engine.plugins) == [plugin]
