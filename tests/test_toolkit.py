"""The plugin author's toolkit (validator_core.toolkit) and what the built-ins import.

Built-in plugins are ordinary plugins: they import the public API (``validator_core``,
``validator_core.toolkit.*``) and nothing else of the core. Their modules stay cheap to import (the
service process imports every one of them for its messages and declarations); what they import to
inspect is named in their ``PRELOAD`` tuple, for the worker processes' fork server.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import pdfs
from validator_core import toolkit
from validator_core.toolkit.pdf import PdfEncrypted, PdfUnreadable, open_pdf
from validator_core.toolkit.screens import readable_minimum

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_SOURCES = sorted((ROOT / "plugins").rglob("*.py"))
PUBLIC = ("validator_core", "validator_core.toolkit")
# A catalogue plugin works with the requirement models (docs/plugins.md, preuves_classify_proof), a
# plugin's command with the commands' shared helpers (preuves_register_commands).
PUBLIC_NAMES = {
    "validator_core.catalogue": {"ProofSpec", "ProofClassification", "GENERAL_PROFILE", "strip_accents"},
    "validator_core.cli_support": {"command_engine", "fail", "engine_unavailable", "EXIT_OK", "EXIT_REJECTED",
                                   "requirements_scope", "rem_profiles", "requirements_checklist",
                                   "PreuvesCommand", "LocalOption", "set_output", "env_lang"},
}
# What the service process must not load by importing the plugins: each costs milliseconds to
# tens of milliseconds of a cold `preuves check`, and only inspections use them.
HEAVY = ("PIL", "pikepdf", "pypdf", "av", "pymediainfo", "lxml", "charset_normalizer", "re2", "stdnum")


def _core_imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    """(module, names) of every import of the core (``validator_core``…), wherever it is."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "validator_core"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "validator_core":
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def test_built_in_plugins_import_only_the_public_api():
    seen = 0
    for source in PLUGIN_SOURCES:
        for module, names in _core_imports(ast.parse(source.read_text(encoding="utf-8"))):
            seen += 1
            public = module in PUBLIC or module.startswith("validator_core.toolkit.")
            if module == "validator_core" and names:  # "from validator_core import toolkit" is fine too
                public = all(name in importlib.import_module("validator_core").__all__ or name == "toolkit"
                             for name in names)
            public = public or set(names) <= PUBLIC_NAMES.get(module, set()) and bool(names)
            assert public, f"{source.relative_to(ROOT)} imports {module} {names}: not the plugin API"
    assert seen >= 10, "the scan found no imports of the core: it is broken"


def test_every_toolkit_module_documents_a_small_public_surface():
    modules = [info.name for info in pkgutil.iter_modules(toolkit.__path__)]
    assert set(modules) == {"text", "xml", "urls", "screens", "pdf"}
    for name in modules:
        assert f"validator_core.toolkit.{name}" in toolkit.__doc__, name
        module = importlib.import_module(f"validator_core.toolkit.{name}")
        assert module.__doc__ and module.__doc__.strip(), name
        for public in module.__all__:
            value = getattr(module, public)  # AttributeError: __all__ names something that is not there
            if inspect.isfunction(value) or inspect.isclass(value):
                assert inspect.getdoc(value), f"{name}.{public} has no docstring"
                assert value.__module__ == module.__name__, f"{name}.{public} is re-exported from {value.__module__}"


def test_the_toolkit_lends_plugins_the_core_s_wording():
    """A plugin's own output (a command's figures) says counts and shares as the messages do."""
    from validator_core import wording

    assert toolkit.__all__ == ["wording"] and toolkit.wording is wording
    assert "validator_core.wording" in toolkit.__doc__
    assert toolkit.wording.count(0, "doublon ignoré", "doublons ignorés") == "0 doublon ignoré"
    assert (toolkit.wording.percent(0.9973), toolkit.wording.percent(0.9973, "en")) == ("99,7\u202f%", "99.7%")


def test_the_service_process_loads_no_inspection_library():
    """Loading every plugin (what `preuves check` and the service do before any inspection) imports
    none of the libraries inspections use."""
    code = (
        "import json, sys\n"
        "from validator_core.registry import PluginConfig, PluginRegistry\n"
        "PluginRegistry.load(PluginConfig(entrypoints=False))\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True, timeout=60)
    assert json.loads(out.stdout) == []


def _plugin_of(source: Path) -> str:
    """The plugin a module of plugins/ belongs to: a package's name, or the module name a helper's
    name starts with (plugins/video_frames.py belongs to video)."""
    first = source.relative_to(ROOT / "plugins").parts[0].removesuffix(".py")
    plugins = [p.stem for p in (ROOT / "plugins").glob("*.py") if "@hookimpl" in p.read_text(encoding="utf-8")]
    return max((s for s in plugins if first == s or first.startswith(s + "_")), key=len, default=first)


def _covered(module: str, preload: tuple[str, ...]) -> bool:
    return any(module == p or p.startswith(module + ".") or module.startswith(p + ".") for p in preload)


def test_what_an_inspection_imports_is_preloaded():
    """A library imported inside a function (so that importing the plugin stays cheap) is named in the
    plugin's PRELOAD: the fork server imports it once for every worker."""
    checked = 0
    for source in PLUGIN_SOURCES:
        if source.name == "commands.py":  # a plugin's commands run in the CLI process, never in a worker
            continue
        tree = ast.parse(source.read_text(encoding="utf-8"))
        plugin = _plugin_of(source)
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for node in ast.walk(function):
                modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                           else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                for module in modules:
                    if module.split(".")[0] in sys.stdlib_module_names:
                        continue
                    preload = getattr(importlib.import_module(f"plugins.{plugin}"), "PRELOAD", ())
                    assert _covered(module, preload), f"{source.relative_to(ROOT)} imports {module} lazily: " \
                                                      f"add it to plugins.{plugin}.PRELOAD"
                    checked += 1
    assert checked >= 10
    for stem in ("video", "screenshot", "pdf_report", "report_link", "logs"):
        for module in importlib.import_module(f"plugins.{stem}").PRELOAD:
            assert importlib.util.find_spec(module) is not None, (stem, module)


# -- toolkit.pdf ---------------------------------------------------------------------------------------


def test_the_pdf_opener_sets_the_decoding_limits(tmp_path):
    import pikepdf

    with open_pdf(str(pdfs.text_pdf(tmp_path)), max_decompressed_bytes=2_000_000, max_container_items=3000) as pdf:
        assert len(pdf.pages) == 1
    limits = pikepdf.settings.get_qpdf_limits()
    assert limits["flate_max_memory"] == limits["dct_max_memory"] == 2_000_000
    assert limits["parser_max_container_size"] == 3000
    with open_pdf(str(pdfs.flate_bomb_pdf(tmp_path, inflated_mb=20)), max_decompressed_bytes=1_000_000,
                  max_container_items=3000) as bomb:
        with pytest.raises(pikepdf.PdfError, match="memory limit exceeded"):
            bomb.pages[0].Contents.read_bytes()  # 20 MB of spaces: stopped at 1 MB


@pytest.mark.parametrize("make, error, reason", [
    (pdfs.encrypted_pdf, PdfEncrypted, "PasswordError"),
    (pdfs.garbage_pdf, PdfUnreadable, "PdfError"),
    (pdfs.not_pdf, PdfUnreadable, "PdfError"),
])
def test_the_pdf_opener_names_what_it_cannot_open(tmp_path, make, error, reason):
    with pytest.raises(error) as info:
        open_pdf(str(make(tmp_path)), max_decompressed_bytes=1_000_000, max_container_items=1000)
    assert info.value.reason == reason and str(tmp_path) not in str(info.value)


# -- toolkit.screens -----------------------------------------------------------------------------------


def test_readable_screens_are_judged_on_long_and_short_sides():
    screens = [[1280, 720], [1024, 768]]
    assert readable_minimum(1280, 720, screens) is None
    assert readable_minimum(720, 1280, screens) is None  # a portrait recording of the same screen
    assert readable_minimum(1024, 768, screens) is None
    assert readable_minimum(1200, 700, screens) == "1280×720 / 1024×768"
