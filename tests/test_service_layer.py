"""The service layer: the engine façade (``Engine.validate_many`` and what callers may ask), the use cases
of ``validator_core/service.py`` that the CLI and the HTTP service share, and the import rules that keep
routes thin (no route imports another; nothing outside the engine reaches into its internals)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from validator_core.dossier import UnknownProfile
from validator_core.engine import BatchItem
from validator_core.errors import EngineUnavailable, UnknownProofType, UnknownRem, UnknownRequirement, UnsupportedLanguage
from validator_core.models import Report, Verdict
from validator_core.service import check_fields, request_lang, resolve_profiles, resolve_rem

ROOT = Path(__file__).resolve().parents[1]
PROOF = "DOC/va1.01.01.01"  # a BIO proof (a prescription, PDF)


def _log(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- Engine.validate_many ---------------------------------------------------------------------------
def test_validate_many_keeps_the_order_and_reports_progress(engine, tmp_path):
    files = [_log(tmp_path, f"{i}.log", f"ligne {i}\n") for i in range(5)]
    files.insert(2, tmp_path / "empty.log")
    files[2].write_bytes(b"")
    seen = []
    outcomes = engine.validate_many([BatchItem(p, "logs") for p in files], lang="en", on_done=seen.append)
    assert [o.file.name for o in outcomes] == [p.name for p in files]
    assert outcomes[2].codes == ["file.empty"] and outcomes[2].verdict == Verdict.REJECTED
    assert all(o.verdict == Verdict.ACCEPTED for i, o in enumerate(outcomes) if i != 2)
    assert sorted(d.done for d in seen) == list(range(1, 7)) and {d.total for d in seen} == {6}
    assert {str(d.item.path) for d in seen} == {str(p) for p in files}
    assert all(d.elapsed_s >= 0 and isinstance(d.outcome, Report) for d in seen)


def test_an_unreadable_file_is_its_own_outcome_not_the_batch(engine, tmp_path):
    good = _log(tmp_path, "a.log", "rien\n")
    outcomes = engine.validate_many([BatchItem(good), BatchItem(tmp_path), BatchItem(tmp_path / "absent.log")])
    assert isinstance(outcomes[0], Report) and outcomes[0].proof_type == "logs"
    assert isinstance(outcomes[1], IsADirectoryError) and isinstance(outcomes[2], FileNotFoundError)


def test_a_bad_request_fails_before_any_file_is_read(engine, tmp_path):
    good = _log(tmp_path, "a.log", "rien\n")
    seen = []
    with pytest.raises(UnknownProofType):
        engine.validate_many([BatchItem(good, "logs"), BatchItem(good, "vidéo")], on_done=seen.append)
    with pytest.raises(UnknownRequirement):
        engine.validate_many([BatchItem(good), BatchItem(good, requirement="DOC/va9.99")], on_done=seen.append)
    with pytest.raises(UnsupportedLanguage):
        engine.validate_many([BatchItem(good)], lang="de", on_done=seen.append)
    assert seen == []


def test_an_engine_failure_on_one_file_fails_the_batch(engine_factory, tmp_path):
    # The test plugin raises ImportError on "IMPORT": a missing module is the engine's failure, not a verdict.
    probe = engine_factory(allow=("reliability_core_plugin",), extra=("fixtures.reliability_core_plugin",))
    files = [_log(tmp_path, "a.log", "rien\n"), _log(tmp_path, "b.log", "IMPORT\n"), _log(tmp_path, "c.log", "rien\n")]
    with pytest.raises(EngineUnavailable):
        probe.validate_many([BatchItem(p, "logs") for p in files])


def test_the_engine_keeps_its_internals_private(engine):
    for name in ("registry", "pool", "rules", "settings"):
        assert not hasattr(engine, name), name
    limits = engine.limits()
    types = engine.proof_types()
    assert limits.max_bytes == {t["id"]: t["max_bytes"] for t in types["proof_types"]}
    assert limits.largest == max(limits.max_bytes.values()) and limits.for_type(None) == limits.largest
    assert limits.for_type("logs") == limits.max_bytes["logs"] < limits.largest
    assert limits.cpu_limit_s > limits.check_timeout_s
    assert types["rules"] == engine.info.rules
    assert "logs" in engine.plugin_names() and engine.message("file.empty").fr
    assert engine.health().workers >= 1


# -- request fields ---------------------------------------------------------------------------------
def test_check_fields_refuses_unknown_values_and_skips_empty_ones(engine):
    check_fields(engine, proof_types=["logs", None, ""], rems=["bio"], requirements=[PROOF, None, ""])
    with pytest.raises(UnknownProofType):
        check_fields(engine, proof_types=["logs", "vidéo"])
    with pytest.raises(UnknownRem) as unknown_rem:
        check_fields(engine, rems=["XYZ"])
    assert "BIO" in unknown_rem.value.valid
    with pytest.raises(UnknownRequirement):
        check_fields(engine, rems=["BIO"], requirements=["DOC/va9.99.99.99"])
    # A repeated REM is the caller's to report (as a repeated field), not looked up here.
    check_fields(engine, rems=["XYZ", "ABC"])


def test_request_lang_rem_and_profiles_as_the_catalogue_spells_them(engine):
    assert request_lang(None) == "fr" and request_lang("en") == "en"
    with pytest.raises(UnsupportedLanguage):
        request_lang("de")
    assert resolve_rem(engine, "bio") == "BIO"
    profiles = engine.catalogue().profiles("BIO")
    other = next(p for p in profiles if p != "Général")
    assert resolve_profiles(engine, "BIO", [f" {other.upper()} , {other}", ""]) == [other]
    with pytest.raises(UnknownProfile) as unknown:
        resolve_profiles(engine, "BIO", ["pas un profil"])
    assert unknown.value.code == "request.unknown_profile" and unknown.value.details["valid"] == sorted(profiles)


def test_the_cli_checks_its_fields_like_the_service(tmp_path):
    # The same check_fields as POST /v1/validations: an unknown REM is refused even without a requirement.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")} | {"PREUVES_LOAD_ENTRYPOINTS": "0"}
    done = subprocess.run([sys.executable, "-m", "validator_core.cli", "check", "--rem", "XYZ",
                           str(_log(tmp_path, "a.log", "rien\n"))], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert "REM inconnu : « XYZ »" in done.stderr


# -- import rules -----------------------------------------------------------------------------------
def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = [node.module] if node.module else []
            if node.level:  # relative to the package of api/routes/ (level 1) or api/ (level 2)
                parts = ["api", "routes"][: 3 - node.level] + parts
            base = ".".join(parts)
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return found


def test_no_route_imports_another_route():
    routes = {p.stem for p in (ROOT / "api" / "routes").glob("*.py") if p.stem != "__init__"}
    assert {"validations", "dossiers"} <= routes
    for path in (ROOT / "api" / "routes").glob("*.py"):
        wrong = [name for name in _imports(path) if name.startswith("api.routes.")
                 and name.split(".")[2] in routes - {path.stem}]
        assert not wrong, f"{path.name} imports {wrong}"


def test_nothing_outside_the_engine_reaches_into_it():
    private = {"_registry", "_pool", "_rules", "_settings", "_plugin_config", "_limits"}
    offenders = []
    for folder in ("api", "validator_core", "bench", "plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "validator_core" / "engine.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Attribute) and node.attr in private
                        and not (isinstance(node.value, ast.Name) and node.value.id == "self")):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert not offenders
