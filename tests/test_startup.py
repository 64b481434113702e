"""A cold ``preuves check`` imports only what checking needs (issue 12: start-up).

Timing is measured in ``bench/startup.py``; here, what a one-shot check must never load: pydantic
(the models, settings and rules are checked dataclasses; pydantic serves the JSON Schema and the HTTP
service only), the HTTP service itself (its plugin ``api.commands`` only adds ``serve``), pebble,
asyncio and multiprocessing (the check's worker is a plain fork,
:mod:`validator_core.isolation.forkpool`) and importlib.metadata (the built-in plugins are read from
this distribution's ``entry_points.txt``; it is needed only when another distribution declares
plugins) — and what start-up skips must not change what is loaded: the entry points read directly are
importlib.metadata's, a forked worker checks with the engine's plugins without loading them again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from fixtures import formats
from validator_core.models import Verdict
from validator_core.registry import (
    PluginConfig, PluginRegistry, _builtin_entry_points, _scan_metadata, _third_party_entry_points,
)

NEVER_ON_CHECK = ("pydantic", "pydantic_core", "pydantic_settings", "fastapi", "starlette", "uvicorn",
                  # its one worker is a plain fork (isolation.forkpool): pebble and what it runs on are not needed
                  "pebble", "asyncio", "multiprocessing")

PROBE = """
import sys
from validator_core.cli import main
try:
    main(["check", "--json", sys.argv[1]])
except SystemExit as exc:
    code = exc.code
print("LOADED", code, " ".join(sorted(sys.modules)))
"""


def test_a_cold_check_loads_neither_pydantic_nor_the_http_service(tmp_path):
    png = formats.make_image(tmp_path, "PNG", size=(1280, 720))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREUVES_")}
    done = subprocess.run([sys.executable, "-c", PROBE, str(png)], capture_output=True, text=True, env=env,
                          timeout=120)
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED"))
    _, code, *loaded = line.split()
    assert code == "0", done.stderr
    assert "validator_core.engine" in loaded and "plugins.screenshot" in loaded  # it did check the file
    assert not {name for name in loaded if name.split(".")[0] in NEVER_ON_CHECK}
    assert {name for name in loaded if name.split(".")[0] == "api"} <= {"api", "api.commands"}
    assert "importlib.metadata" not in loaded  # no other distribution declares plugins here


def _distribution(site, name: str, version: str, entry_points: str) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(entry_points)


def _pairs(entry_points) -> list[tuple[str, str]]:
    return [(ep.name, ep.value) for ep in entry_points]


def test_the_entry_points_read_directly_are_importlib_metadatas(tmp_path, monkeypatch):
    scan = _scan_metadata()
    assert scan is not None and not scan.others  # this environment: the built-ins only
    assert _pairs(_builtin_entry_points(scan)) == _pairs(_builtin_entry_points(None))

    # Another distribution with plugins: importlib.metadata lists them (versions, order), as before.
    first, last = tmp_path / "first", tmp_path / "last"
    _distribution(first, "dsr-other", "1.2", "[console_scripts]\nx = y:z\n\n[preuves]\nother = dsr_other.plugin\n")
    _distribution(first, "dsr-tools", "1.0", "[console_scripts]\ntool = dsr_tools:main\n")  # no plugin
    # A copy of this distribution first on sys.path is the one imported, and a later copy is ignored:
    # importlib.metadata.distribution's choice.
    _distribution(first, "segur-preuves", "9.9", "[preuves]\nvideo = plugins.video\n")
    _distribution(last, "segur-preuves", "0.0", "[preuves]\nlogs = plugins.logs\n")
    monkeypatch.syspath_prepend(str(first))
    monkeypatch.setattr(sys, "path", [*sys.path, last])  # a Path on sys.path: importlib.metadata reads it too
    scan = _scan_metadata()
    assert scan is not None and scan.others
    assert _pairs(_builtin_entry_points(scan)) == _pairs(_builtin_entry_points(None)) == [("video", "plugins.video")]
    third = _third_party_entry_points(scan)
    assert _pairs(third) == _pairs(_third_party_entry_points(None)) == [("other", "dsr_other.plugin")]
    assert third[0].dist.version == "1.2"

    # Directories alone cannot say what a zip on sys.path holds: importlib.metadata is asked.
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("dsr_zipped-1.0.dist-info/entry_points.txt", "[preuves]\nzipped = dsr_zipped\n")
    monkeypatch.syspath_prepend(str(archive))
    assert _scan_metadata() is None


def test_a_forked_worker_checks_with_the_engines_plugins_without_loading_them_again(tmp_path, monkeypatch):
    from validator_core.engine import Engine
    from validator_core.settings import CoreSettings

    parent = os.getpid()
    load = PluginRegistry.load.__func__

    def load_in_this_process_only(cls, config=None):
        if os.getpid() != parent:  # a worker that loads the plugins cannot start: no verdict
            raise RuntimeError("plugins loaded again in a forked worker")
        return load(cls, config)

    monkeypatch.setattr(PluginRegistry, "load", classmethod(load_in_this_process_only))
    png = formats.make_image(tmp_path, "PNG", size=(1280, 720))
    engine = Engine(CoreSettings(worker_start="fork", workers=1), plugin_config=PluginConfig(entrypoints=False))
    try:
        report = engine.validate(png, "screenshot")
    finally:
        engine.close()
    assert report.verdict != Verdict.REJECTED, report.codes
    assert "screenshot" in report.facts  # the worker ran the plugin's inspection
