"""The plugin system: loading switches, declarations, messages, and a real third-party distribution."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from validator_core import Engine, Verdict
from validator_core.hookspecs import HOOK_NAMES
from validator_core.messages import LANGS, template_fields
from validator_core.registry import PluginConfig, PluginError, PluginRegistry
from validator_core.settings import CoreSettings

BUILTINS = {"video", "screenshot", "pdf_report", "report_link", "logs"}
ROOT = Path(__file__).resolve().parents[1]


def test_builtins_are_ordinary_plugins():
    registry = PluginRegistry.load(PluginConfig(entrypoints=False))
    assert BUILTINS <= set(registry.plugin_names)
    assert BUILTINS <= set(registry.checks)


def test_builtins_are_this_distributions_entry_points():
    """``pyproject.toml`` is the one list of built-ins; the installed metadata is the same (pip install -e .)."""
    import tomllib
    from importlib import metadata

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]["preuves"]
    installed = {ep.name: ep.value for ep in metadata.distribution("segur-preuves").entry_points.select(group="preuves")}
    assert installed == declared
    assert BUILTINS | {"rem_catalogue", "api"} <= set(declared)
    registry = PluginRegistry.load(PluginConfig(entrypoints=False))
    assert registry.plugin_names == sorted(declared)  # a fixed order: by name
    assert list(registry.checks) == sorted(BUILTINS)  # and the reports' order of plugins


def test_the_core_imports_no_plugin_and_no_face():
    """validator_core finds plugins through entry points: it never imports ``plugins`` or ``api``."""
    import ast

    found = []
    for source in sorted((ROOT / "validator_core").rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [f"{source.name}: {n}" for n in names if n.split(".")[0] in {"plugins", "api"}]
    assert found == []


def test_allowlist_and_blocklist_from_the_environment(monkeypatch):
    monkeypatch.setenv("PREUVES_PLUGINS", "video, screenshot")
    monkeypatch.setenv("PREUVES_DISABLE_PLUGINS", "screenshot")
    monkeypatch.setenv("PREUVES_LOAD_ENTRYPOINTS", "0")
    registry = PluginRegistry.load(CoreSettings().plugin_config())
    assert set(registry.checks) == {"video"}


def test_empty_allowlist_loads_no_plugin(monkeypatch):
    monkeypatch.setenv("PREUVES_PLUGINS", "")
    assert PluginRegistry.load(CoreSettings().plugin_config()).checks == {}


def test_every_code_has_french_and_english_messages():
    registry = PluginRegistry.load(PluginConfig(entrypoints=False))
    assert registry.missing_translations() == []
    for code, message in registry.messages.items():
        for lang in LANGS:
            assert message.template(lang).strip(), (code, lang)
        # Both languages use the same placeholders, so details fill both.
        assert template_fields(message.fr) == template_fields(message.en), code


def _emitted_codes(source: str) -> set[str]:
    """Codes passed as literals to finding(...), Finding(code=...) or the engine's _core(...)."""
    import ast

    codes = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in {"finding", "Finding", "_core"}:
            continue
        args = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "code")]
        codes |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return codes


def test_every_emitted_code_is_in_the_catalogue():
    """Scan the sources for finding codes: each must have its messages (no message-less code ships)."""
    registry = PluginRegistry.load(PluginConfig(entrypoints=False))
    root = Path(__file__).resolve().parents[1]
    emitted = set()
    for source in [*root.glob("plugins/**/*.py"), *root.glob("validator_core/*.py")]:
        emitted |= _emitted_codes(source.read_text(encoding="utf-8"))
    assert "file.empty" in emitted, "the scan found no codes: the scanner is broken"
    missing = sorted(code for code in emitted if code not in registry.messages)
    assert missing == []


def _plugin_module(tmp_path: Path, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    return name


def test_misspelled_hook_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _plugin_module(tmp_path, "typo_plugin", """
        from validator_core import hookimpl

        @hookimpl
        def preuves_inspekt(proof):
            return None
    """)
    with pytest.raises(PluginError, match="unknown hook"):
        PluginRegistry.load(PluginConfig(extra=(mod,), entrypoints=False))


def test_codes_must_carry_the_plugin_prefix(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _plugin_module(tmp_path, "rude_plugin", """
        from validator_core import hookimpl

        @hookimpl
        def preuves_register_messages(register):
            register("video.stolen", fr="x", en="y")
    """)
    with pytest.raises(PluginError, match="must start with 'rude_plugin.'"):
        PluginRegistry.load(PluginConfig(extra=(mod,), entrypoints=False))


def test_a_message_needs_both_languages(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _plugin_module(tmp_path, "mono_plugin", """
        from validator_core import hookimpl

        @hookimpl
        def preuves_register_messages(register):
            register("mono_plugin.x", fr="Seulement en français", en="")
    """)
    with pytest.raises(PluginError, match="both a French and an English"):
        PluginRegistry.load(PluginConfig(extra=(mod,), entrypoints=False))


def test_inspect_without_declaration_is_refused(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _plugin_module(tmp_path, "lost_plugin", """
        from validator_core import hookimpl

        @hookimpl
        def preuves_inspect(proof):
            return None
    """)
    with pytest.raises(PluginError, match="declares no checks"):
        PluginRegistry.load(PluginConfig(extra=(mod,), entrypoints=False))


THIRD_PARTY = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "preuves-dsr-demo"
        version = "2.3.0"

        [project.entry-points.preuves]
        dsr_demo = "preuves_dsr_demo"
    """,
    "preuves_dsr_demo.py": '''
        """A third-party plugin: flags logs that mention a forbidden word."""
        from validator_core import Inspection, finding, hookimpl

        @hookimpl
        def preuves_register_checks(register):
            register(proof_types=["logs"], media_types=["text/*"])

        @hookimpl
        def preuves_register_messages(register):
            register("dsr_demo.forbidden", fr="Mot interdit trouvé : {word}", en="Forbidden word found: {word}")

        @hookimpl
        def preuves_inspect(proof):
            found = b"INTERDIT" in proof.head
            findings = [finding("dsr_demo.forbidden", "warning", word="INTERDIT")] if found else []
            return Inspection(findings=findings, facts={"scanned": True})
    ''',
}


@pytest.fixture(scope="module")
def installed_third_party(tmp_path_factory) -> Path:
    """Build and install a separate distribution with an entry point in group ``preuves``."""
    src = tmp_path_factory.mktemp("dsr_src")
    for name, text in THIRD_PARTY.items():
        (src / name).write_text(textwrap.dedent(text))
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(src)],
        check=True, timeout=180,
    )
    return target


def test_third_party_distribution_runs_without_core_changes(installed_third_party, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(installed_third_party))  # spawned workers inherit sys.path
    engine = Engine(CoreSettings(workers=1, check_timeout_s=15), plugin_config=PluginConfig())
    try:
        assert engine.info.plugins["dsr_demo"] == "2.3.0"  # version from the distribution
        log = tmp_path / "trace.log"
        log.write_text("connexion OK\nINTERDIT\n")
        report = engine.validate(log, "logs")
        assert "dsr_demo.forbidden" in report.codes
        assert report.verdict == Verdict.ACCEPTED_WITH_WARNINGS
        assert report.facts["dsr_demo"] == {"scanned": True}
        warning = next(f for f in report.findings if f.code == "dsr_demo.forbidden")
        assert warning.message == "Mot interdit trouvé : INTERDIT" and warning.plugin == "dsr_demo"
    finally:
        engine.close()
    blocked = PluginRegistry.load(PluginConfig(block=("dsr_demo",)))
    assert "dsr_demo" not in blocked.checks


def test_trace_switch_logs_hook_calls(caplog):
    registry = PluginRegistry.load(PluginConfig(entrypoints=False, trace=True))
    from validator_core.rules import load_rules
    from validator_core.proof import Proof

    proof = Proof(path="/dev/null", name="x.pdf", size=1, media_type="application/pdf", format="pdf",
                  extension="pdf", proof_type=None, rules=load_rules())
    with caplog.at_level("WARNING", logger="preuves.plugins"):
        assert registry.infer_proof_type(proof) == "pdf_report"
    assert any("preuves_infer_proof_type" in r.getMessage() for r in caplog.records)


def test_a_wrapper_wraps_each_plugins_inspection_in_the_worker(engine_factory, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _plugin_module(tmp_path, "stamp_wrapper", """
        import os
        from validator_core import hookimpl

        @hookimpl(wrapper=True)
        def preuves_inspect(proof):
            results = yield
            for inspection in results:
                inspection.facts["inspected_in"] = os.getpid()
            return results
    """)
    eng = engine_factory(extra=(mod,), workers=1)
    log = tmp_path / "a.log"
    log.write_text("connexion OK\n")
    report = eng.validate(log, "logs")
    assert report.facts["logs"]["inspected_in"] not in (None, os.getpid())  # wrapped, in a worker
    assert "stamp_wrapper" not in report.facts  # a wrapper is not a check


def test_first_answer_wins_in_pluggys_order_and_wrappers_see_it(tmp_path, monkeypatch):
    """tryfirst answers first; the plugins after the first answer are not asked (firstresult)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    eager = _plugin_module(tmp_path, "eager_classifier", """
        from validator_core import hookimpl
        from validator_core.catalogue import ProofClassification

        @hookimpl(tryfirst=True)
        def preuves_classify_proof(proof):
            if proof.id == "DOC/va1.01.01.01":
                return ProofClassification(admits=("logs",))
            return None
    """)
    witness = _plugin_module(tmp_path, "witness_classifier", """
        from validator_core import hookimpl

        ASKED = set()

        @hookimpl
        def preuves_classify_proof(proof):
            ASKED.add(proof.id)
            return None
    """)
    retyper = _plugin_module(tmp_path, "retyping_wrapper", """
        from validator_core import hookimpl

        @hookimpl(wrapper=True)
        def preuves_infer_proof_type(proof):
            answer = yield
            return "logs" if answer == "pdf_report" else answer
    """)
    registry = PluginRegistry.load(PluginConfig(extra=(eager, witness, retyper), entrypoints=False))
    catalogue = registry.catalogue()
    answered = catalogue.find("DOC/va1.01.01.01", "BIO")
    assert (answered.admits, answered.classified_by) == (("logs",), "eager_classifier")
    others = [p for p in catalogue.proofs if p.id != answered.id and p.classified]
    assert others and {p.classified_by for p in others} == {"rem_catalogue"}  # trylast: the fallback
    asked = sys.modules["witness_classifier"].ASKED
    assert answered.id not in asked and {p.id for p in others} <= asked

    from validator_core.proof import Proof
    from validator_core.rules import load_rules

    pdf = Proof(path="/dev/null", name="x.pdf", size=1, media_type="application/pdf", format="pdf",
                extension="pdf", proof_type=None, rules=load_rules())
    assert registry.infer_proof_type(pdf) == "logs"  # the wrapper changed the core's answer


def test_preloads_are_imported_by_the_fork_server(engine_factory, tmp_path, monkeypatch):
    """A worker starts with its plugins' declared modules already imported (by the fork server)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _plugin_module(tmp_path, "module_probe", """
        import sys
        from validator_core import Inspection, hookimpl

        @hookimpl
        def preuves_register_checks(register):
            register(proof_types=["logs"], preload=["tabnanny"])

        @hookimpl
        def preuves_inspect(proof):
            return Inspection(facts={"loaded": sorted(m for m in ("tabnanny", "pikepdf", "pymediainfo") if m in sys.modules)})
    """)
    eng = engine_factory(extra=(mod,), workers=1, worker_start="forkserver")
    preload = PluginRegistry.load(PluginConfig(extra=(mod,), entrypoints=False)).preload
    assert {"module_probe", "tabnanny", "plugins.pdf_report", "pikepdf", "pymediainfo"} <= set(preload)
    log = tmp_path / "b.log"
    log.write_text("connexion OK\n")
    assert eng.validate(log, "logs").facts["module_probe"]["loaded"] == ["pikepdf", "pymediainfo", "tabnanny"]


def test_preload_must_be_a_list(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = _plugin_module(tmp_path, "stringy_plugin", """
        from validator_core import hookimpl

        @hookimpl
        def preuves_register_checks(register):
            register(proof_types=["logs"], preload="pikepdf")

        @hookimpl
        def preuves_inspect(proof):
            return None
    """)
    with pytest.raises(PluginError, match="preload must be a list"):
        PluginRegistry.load(PluginConfig(extra=(mod,), entrypoints=False))


def test_a_plugin_adds_a_command_but_may_not_replace_one(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from validator_core.cli import main

    monkeypatch.syspath_prepend(str(tmp_path))
    _plugin_module(tmp_path, "hello_command", """
        import click
        from validator_core import hookimpl

        @hookimpl
        def preuves_register_commands(cli):
            @cli.command(name="hello")
            def hello():
                click.echo("bonjour")
    """)
    _plugin_module(tmp_path, "rude_command", """
        import click
        from validator_core import hookimpl

        @hookimpl
        def preuves_register_commands(cli):
            @cli.command(name="check")
            def check():
                click.echo("pas de vérification")
    """)
    runner = CliRunner()
    env = {"PREUVES_LOAD_ENTRYPOINTS": "0", "PREUVES_EXTRA_PLUGINS": "hello_command"}
    hello = runner.invoke(main, ["hello"], env=env)
    assert (hello.exit_code, hello.output) == (0, "bonjour\n")
    assert "hello" in runner.invoke(main, ["--help"], env=env).output
    assert "serve" in runner.invoke(main, ["--help"], env=env).output  # the built-ins' commands stay
    assert runner.invoke(main, ["hello"], env={"PREUVES_LOAD_ENTRYPOINTS": "0"}).exit_code == 2  # plugin gone
    rude = runner.invoke(main, ["types"], env={"PREUVES_LOAD_ENTRYPOINTS": "0", "PREUVES_EXTRA_PLUGINS": "rude_command"})
    assert rude.exit_code == 2 and "plugin 'rude_command' replaces the command 'check' of 'core'" in rude.output
    core_check = runner.invoke(main, ["check", "--help"], env={"PREUVES_LOAD_ENTRYPOINTS": "0"})
    assert "Vérifie un ou plusieurs fichiers de preuve." in core_check.output  # the next start is clean
    left_out = runner.invoke(main, ["serve"], env={"PREUVES_DISABLE_PLUGINS": "api"})
    assert left_out.exit_code == 2 and "PREUVES_DISABLE_PLUGINS" in left_out.output
    # Choosing the checks does not remove the command that serves them.
    assert "serve" in runner.invoke(main, ["--help"], env={"PREUVES_PLUGINS": "video"}).output


def test_every_hook_is_documented_under_its_signature():
    import inspect

    from validator_core import hookspecs

    docs = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in HOOK_NAMES:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"{name}({params})" in docs, f"docs/plugins.md does not document {name}({params})"
    assert HOOK_NAMES, "no hooks found"
