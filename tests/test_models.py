"""The report models: checked dataclasses with the contract's JSON, and what plugins may hand them."""

from __future__ import annotations

import json
import pickle

import pytest

from validator_core import FileFacts, Finding, Inspection, Report, Severity, Verdict
from validator_core.checked import ValidationError
from validator_core.models import EngineInfo
from validator_core.registry import PluginConfig


def _report(**overrides) -> Report:
    values = dict(verdict="accepted_with_warnings", proof_type="logs",
                  file={"name": "a.log", "size": 12, "sha256": "ab" * 32, "media_type": "text/plain", "extension": "log"},
                  findings=[{"code": "logs.thing", "severity": "warning", "details": {"n": 1, "t": (1, 2)}}],
                  facts={"logs": {"lines": 3}}, engine={"version": "1", "rules": "r@1", "plugins": {"logs": "1"}})
    values.update(overrides)
    return Report.model_validate(values)


def test_constructors_convert_like_the_contract_says():
    found = Finding(code="check.crashed", severity="error", details={"check": "x"})
    assert found.severity is Severity.ERROR and found.message == "" and found.plugin == ""
    report = _report()
    assert report.verdict is Verdict.ACCEPTED_WITH_WARNINGS
    assert isinstance(report.file, FileFacts) and isinstance(report.engine, EngineInfo)
    assert isinstance(report.findings[0], Finding) and report.codes == ["logs.thing"]
    with pytest.raises(TypeError):  # keywords only, as with the former pydantic models
        Finding("logs.thing", "warning")


def test_bad_values_are_value_errors_naming_the_field():
    with pytest.raises(ValueError, match=r"code: String should match pattern"):
        Finding(code="Pas un code", severity="error")
    with pytest.raises(ValueError, match=r"severity: Input should be 'error', 'warning' or 'info'"):
        Finding(code="logs.thing", severity="fatal")
    with pytest.raises(ValidationError, match=r"file\.size: Input should be greater than or equal to 0"):
        _report(file={"name": "a", "size": -1})
    with pytest.raises(ValidationError) as info:
        Inspection.model_validate({"findings": [{"code": "logs.ok", "severity": "info"}, {"severity": "info"}],
                                   "facts": []})
    assert [e["loc"] for e in info.value.errors()] == [("findings", 1, "code"), ("facts",)]


def test_to_dict_is_the_pydantic_json_of_the_same_classes():
    """The contract's JSON did not change when the models stopped being pydantic models."""
    from pydantic import TypeAdapter

    report = _report()
    data = report.to_dict()
    assert data == TypeAdapter(Report).dump_python(report, mode="json")
    assert list(data) == ["verdict", "proof_type", "proof_type_inferred", "file", "findings", "facts", "engine",
                          "elapsed_ms"]
    assert data["findings"][0]["details"] == {"n": 1, "t": [1, 2]}
    assert json.loads(json.dumps(data)) == data


def test_models_cross_processes_unchanged():
    report = _report()
    assert pickle.loads(pickle.dumps(report)) == report


def test_a_plugin_may_return_a_dict_and_a_bad_one_is_its_crash(engine_factory, tmp_path):
    engine = engine_factory(extra=("tests.plugins_for_tests.dict_result",), allow=("dict_result",), isolation="inline")
    good = tmp_path / "good.log"
    good.write_text("un\ndeux\n")
    report = engine.validate(good, "logs")
    assert report.codes == ["dict_result.seen"] and report.findings[0].message == "Vu : dict"
    assert report.facts["dict_result"] == {"lines": 2}
    bad = tmp_path / "bad.log"
    bad.write_text("BAD\n")
    crashed = engine.validate(bad, "logs")
    assert crashed.verdict == Verdict.REJECTED and crashed.codes == ["check.crashed"]
    assert crashed.findings[0].details == {"check": "dict_result", "reason": "ValidationError"}
