"""Rules as data: the packaged ANS table, user overrides, and precise errors for bad files."""

from __future__ import annotations

import pytest

from validator_core import Engine, Verdict
from validator_core.registry import PluginConfig
from validator_core.rules import RulesError, default_rules_text, load_rules, parse_rules
from validator_core.settings import CoreSettings


def test_packaged_rules_encode_the_ans_table():
    rules = load_rules()
    limits = {t: r.max_bytes for t, r in rules.proof_types.items()}
    assert limits == {"video": 50_000_000, "screenshot": 50_000_000, "report_link": 1_000_000,
                      "logs": 1_000_000, "pdf_report": 10_000_000}
    assert set(rules.proof_type("video").formats) == {"mp4", "mov", "avi", "flv", "png", "jpeg"}
    assert rules.proof_type("logs").any_format and rules.proof_type("report_link").any_format
    assert rules.proof_type("pdf_report").formats == ("pdf",)
    for rule in rules.proof_types.values():
        assert rule.source.startswith("Guide éditeur de référencement Ségur, §5")
    assert rules.format_for_media_type("video/quicktime") == "mov"
    assert rules.allows("screenshot", "mp4") and not rules.allows("pdf_report", "png")


def test_rules_json_lists_every_type():
    data = load_rules().to_dict()
    by_id = {row["id"]: row for row in data["proof_types"]}
    assert by_id["screenshot"]["extensions"][:2] == ["png", "jpg"]
    assert by_id["logs"]["any_format"] is True and by_id["logs"]["formats"] == []


def test_bad_toml_names_the_line():
    with pytest.raises(RulesError, match=r"line 3"):
        parse_rules('[meta]\nid = "x"\nversion = \n', "bad.toml")


def test_bad_key_names_the_key_and_the_line():
    text = default_rules_text().replace("max_bytes = 10_000_000", 'max_bytes = "dix"')
    line = next(i for i, l in enumerate(text.splitlines(), 1) if 'max_bytes = "dix"' in l)
    with pytest.raises(RulesError) as info:
        parse_rules(text, "mine.toml")
    assert "proof_types.pdf_report.max_bytes" in str(info.value)
    assert f"line {line}" in str(info.value)


def test_unknown_format_and_typo_keys_are_refused():
    text = default_rules_text().replace('formats = ["pdf"]', 'formats = ["pdf", "docx"]')
    with pytest.raises(RulesError, match="unknown format 'docx'"):
        parse_rules(text, "mine.toml")
    text = default_rules_text().replace("max_bytes = 10_000_000", "max_bytes = 10_000_000\nmax_byte = 3")
    with pytest.raises(RulesError, match="max_byte"):
        parse_rules(text, "mine.toml")


def test_user_rules_file_overrides_the_limits(tmp_path):
    import re

    text = default_rules_text().replace('id = "ans-guide-editeur-segur-s5"', 'id = "portail-test"')
    # Lower the logs limit to 10 bytes (the first max_bytes after the [proof_types.logs] header).
    text = re.sub(r"(?s)(\[proof_types\.logs\].*?max_bytes = )[\d_]+", r"\g<1>10", text, count=1)
    user = tmp_path / "regles.toml"
    user.write_text(text)
    engine = Engine(CoreSettings(rules=user, isolation="inline"), plugin_config=PluginConfig(allow=(), entrypoints=False))
    assert engine.limits().max_bytes["logs"] == 10
    log = tmp_path / "a.log"
    log.write_text("onze octets")
    report = engine.validate(log, "logs")
    assert report.verdict == Verdict.REJECTED and report.codes == ["file.too_large"]
    assert report.engine.rules.startswith("portail-test@")


def test_missing_rules_file_is_a_clear_error(tmp_path):
    with pytest.raises(RulesError, match="cannot read rules file"):
        load_rules(tmp_path / "absent.toml")
