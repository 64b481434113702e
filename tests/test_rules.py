"""Rules as data: the packaged ANS table, user overrides, and precise errors for bad files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from validator_core import Engine, Verdict
from validator_core.registry import PluginConfig
from validator_core.rules import MissingThreshold, RulesError, default_rules_text, load_rules, parse_rules
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


# -- one home per number: the rules file, never a default in code ----------------------------------------
PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugins"
# What a plugin calls the mapping proof.thresholds("<plugin>") returns, wherever it passes it on.
THRESHOLD_MAPPINGS = {"limits", "settings"}


def _owner(source: Path, tables: set[str]) -> str | None:
    """The thresholds table a module of plugins/ reads: its package's, or the one its name starts with
    (plugins/logs_inspection.py reads [thresholds.logs])."""
    first = source.relative_to(PLUGIN_DIR).parts[0].removesuffix(".py")
    return max((t for t in tables if first == t or first.startswith(t + "_")), key=len, default=None)


def _declared_tables(tree: ast.AST) -> tuple[str, ...] | None:
    """A module shared by several plugins names the tables it reads: ``THRESHOLD_TABLES = ("a", "b")``
    (plugins/screen_text.py, for screenshot and video); every key it reads must be in each."""
    for node in getattr(tree, "body", []):
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "THRESHOLD_TABLES" for t in node.targets)):
            return tuple(ast.literal_eval(node.value))
    return None


def _threshold_reads(tree: ast.AST) -> list[tuple[str, int, bool]]:
    """(key, line, has a default) of every ``limits["key"]``, ``self.settings["key"]``, ``limits.get("key")``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            target, key, default = node.value, node.slice.value, False
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and node.args and isinstance(node.args[0], ast.Constant)):
            target, key, default = node.func.value, node.args[0].value, len(node.args) > 1 or bool(node.keywords)
        else:
            continue
        name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else None
        if name in THRESHOLD_MAPPINGS and isinstance(key, str):
            out.append((key, node.lineno, default))
    return out


def _thresholds_calls_are_named(tree: ast.AST) -> list[int]:
    """Lines where ``….thresholds(…)`` is bound to a name outside THRESHOLD_MAPPINGS (its reads would
    escape the check below); passing it straight to a call is fine."""
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and func.attr == "thresholds":
                names = [t.id if isinstance(t, ast.Name) else getattr(t, "attr", None) for t in node.targets]
                if not set(names) <= THRESHOLD_MAPPINGS:
                    bad.append(node.lineno)
    return bad


def test_plugins_read_only_thresholds_the_rules_define_and_every_one_is_read():
    tables = {name: set(table) for name, table in load_rules().model.thresholds.items()}
    read: dict[str, set[str]] = {name: set() for name in tables}
    for source in sorted(PLUGIN_DIR.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        where = source.relative_to(PLUGIN_DIR.parent)
        assert not _thresholds_calls_are_named(tree), f"{where}: name the thresholds mapping limits or settings"
        owners = _declared_tables(tree) or (_owner(source, set(tables)),)
        for key, line, default in _threshold_reads(tree):
            for owner in owners:
                assert owner is not None, f"{where}:{line} reads threshold {key!r} but no [thresholds.*] table is its"
                assert key in tables[owner], f"{where}:{line} reads {key!r}, which [thresholds.{owner}] does not define"
                assert not default, f"{where}:{line} reads {key!r} with a default: the rules are its only home"
                read[owner].add(key)
    for owner, keys in tables.items():
        assert keys <= read[owner], f"[thresholds.{owner}] sets {sorted(keys - read[owner])}, which no code reads"


def test_a_threshold_the_rules_do_not_set_is_an_error_not_a_default():
    limits = load_rules().thresholds("video")
    assert limits["min_duration_s"] == 3.0 and "min_duration_s" in limits and dict(limits) == dict(limits.items())
    assert "max_duration_s" not in limits
    for read in (lambda: limits["max_duration_s"], lambda: limits.get("max_duration_s", 60)):
        with pytest.raises(MissingThreshold, match=r"\[thresholds\.video\] has no key 'max_duration_s', which "
                                                   r"plugin 'video' reads"):
            read()
    assert load_rules().thresholds("a_third_party_plugin") == {}


def test_a_rules_file_without_a_plugin_data_table_fails_at_load():
    text = default_rules_text()
    text = text[: text.index("[plugin_data.report_link.hosts]")]
    with pytest.raises(RulesError, match=r"mine\.toml: key 'plugin_data\.report_link\.hosts' is missing: plugin "
                                         r"'report_link' reads it"):
        parse_rules(text, "mine.toml")


# -- inference: data, not code --------------------------------------------------------------------------


def _probe(rules, media_type: str, extension: str | None = None) -> str | None:
    from validator_core import inference
    from validator_core.proof import Proof

    proof = Proof(path="/dev/null", name="x", size=10, media_type=media_type, format=None, extension=extension,
                  proof_type=None, rules=rules)
    return inference.preuves_infer_proof_type(proof=proof)


def test_the_packaged_rules_infer_by_media_type_then_default():
    rules = load_rules()
    assert [_probe(rules, m) for m in ("application/pdf", "video/webm", "image/gif", "text/plain",
                                       "application/octet-stream")] == [
        "pdf_report", "video", "screenshot", "logs", "logs"]
    assert rules.default_proof_type == "logs"


def test_inference_follows_a_user_rules_file(tmp_path):
    text = default_rules_text().replace('infer_media_types = ["image/*"]\n', "", 1)
    text = text.replace('infer_media_types = ["video/*"]', 'infer_media_types = ["video/*", "image/*"]')
    text = text.replace('default_proof_type = "logs"', 'default_proof_type = "report_link"')
    user = tmp_path / "regles.toml"
    user.write_text(text)
    engine = Engine(CoreSettings(rules=user, isolation="inline"), plugin_config=PluginConfig(allow=(), entrypoints=False))
    try:
        assert (_probe(load_rules(user), "image/png"), _probe(load_rules(user), "application/zip")) == ("video", "report_link")
        empty_zip = tmp_path / "archive.zip"
        empty_zip.write_bytes(b"PK\x05\x06" + bytes(18))  # an end record alone: application/zip
        report = engine.validate(empty_zip)
        assert report.proof_type == "report_link" and report.proof_type_inferred
    finally:
        engine.close()


@pytest.mark.parametrize("old, new, error", [
    ('default_proof_type = "logs"', 'default_proof_type = "journal"', "unknown proof type 'journal'"),
    ('infer_media_types = ["image/*"]', 'infer_media_types = ["video/*"]', "'video/\\*' is already inferred as 'video'"),
    ("[inference]\n", "[inferences]\n", "inference"),
])
def test_bad_inference_rules_are_refused(old, new, error):
    with pytest.raises(RulesError, match=error):
        parse_rules(default_rules_text().replace(old, new, 1), "mine.toml")
