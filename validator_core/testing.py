"""pytest helpers for plugin authors: an engine with only your plugin, and assertions on its reports.

Enable the fixture in your ``conftest.py``::

    pytest_plugins = ["validator_core.testing"]

then test your plugin on real files, through the same engine the CLI and the service use::

    from validator_core.testing import assert_codes, assert_verdict

    def test_a_forbidden_word_is_a_warning(preuves_engine, tmp_path):
        engine = preuves_engine("dsr_demo=preuves_dsr_demo")  # name = import path of your plugin
        log = tmp_path / "trace.log"
        log.write_text("connexion OK\\nINTERDIT\\n")
        report = engine.validate(log, "logs")
        assert_codes(report, "dsr_demo.forbidden")
        assert_verdict(report, "accepted_with_warnings")

An engine from :func:`plugin_engine` (what the ``preuves_engine`` fixture makes) loads the core and the
plugins you name, nothing else — no built-in plugin unless named in ``also``, no other installed
plugin — and ignores the machine's ``PREUVES_*`` variables. Checks run in worker processes, as in
production (timeouts, crashes and the memory cap apply); ``inline=True`` runs them in the test's own
process, where a debugger's breakpoints work.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Iterator

import pytest

from validator_core.engine import Engine
from validator_core.models import Report, Severity, Verdict
from validator_core.registry import PluginConfig
from validator_core.rules import Rules
from validator_core.settings import CoreSettings

__all__ = ["plugin_engine", "preuves_engine", "validate_bytes", "codes", "assert_codes", "assert_no_codes",
           "assert_verdict"]


def plugin_engine(*plugins: str | ModuleType, also: Iterable[str] = (), inline: bool = False,
                  rules: str | Path | Rules | None = None, **settings: Any) -> Engine:
    """An engine that loads the core and ``plugins`` only. Close it (``engine.close()``) when done.

    :param plugins: your plugins, as import paths (``"my_pkg.checks"``; ``"name=my_pkg.checks"`` to
        register one under another name) or imported modules. Worker processes import a plugin by its
        path, so it must be importable there (a module of your package or test suite, not ``__main__``).
    :param also: names of installed plugins to load with yours — built-in ones (``"pdf_report"``) or
        another distribution's — when your checks read their facts or findings.
    :param inline: run checks in this process (no worker, no timeout): for debugging.
    :param rules: a rules file or loaded :class:`~validator_core.rules.Rules` (default: the packaged
        rules), e.g. one with your plugin's ``[thresholds.<plugin>]``.
    :param settings: other :class:`~validator_core.settings.CoreSettings` fields (``check_timeout_s=5``,
        ``workers=1`` …).
    """
    paths = [plugin.__name__ if isinstance(plugin, ModuleType) else plugin for plugin in plugins]
    names = [path.rpartition("=")[0].strip() or path.rsplit(".", 1)[-1] for path in paths]
    # Every field given: the machine's PREUVES_* variables do not reach the engine under test.
    values = CoreSettings.defaults()
    values.update(workers=1, check_timeout_s=15.0, isolation="inline" if inline else "process")
    if not isinstance(rules, Rules):
        values["rules"] = rules
    values.update(settings)
    # Allowing only these names keeps every other plugin out, built-in or installed (entry points).
    config = PluginConfig(allow=(*names, *also), extra=tuple(paths), entrypoints=True)
    return Engine(CoreSettings(**values), rules=rules if isinstance(rules, Rules) else None, plugin_config=config)


@pytest.fixture
def preuves_engine() -> Iterator[Callable[..., Engine]]:
    """A factory of :func:`plugin_engine` engines, closed when the test ends.

    Starting worker processes takes a moment: for many tests on one engine, make a module- or
    session-scoped fixture that calls :func:`plugin_engine` and closes the engine after ``yield``.
    """
    made: list[Engine] = []

    def factory(*plugins: str | ModuleType, **options: Any) -> Engine:
        engine = plugin_engine(*plugins, **options)
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        engine.close()


def validate_bytes(engine: Engine, data: bytes, filename: str, proof_type: str | None = None,
                   **options: Any) -> Report:
    """Validate ``data`` as a file named ``filename`` (written to a temporary directory, then removed).

    ``options`` are :meth:`Engine.validate`'s (``lang="en"``, ``requirement=…``).
    """
    with tempfile.TemporaryDirectory(prefix="preuves-test-") as directory:
        path = Path(directory) / Path(filename).name
        path.write_bytes(data)
        return engine.validate(path, proof_type, **options)


def codes(report: Report, *, severity: Severity | str | None = None, plugin: str | None = None) -> set[str]:
    """The report's finding codes, of one severity and one plugin (``"core"`` for the engine's) if given."""
    return {f.code for f in report.findings
            if (severity is None or f.severity == Severity(severity)) and (plugin is None or f.plugin == plugin)}


def _listing(report: Report) -> str:
    lines = [f"  {f.severity.value:<7} {f.code} ({f.plugin or '?'}): {f.message}" for f in report.findings]
    return f"verdict {report.verdict.value}, findings:\n" + ("\n".join(lines) or "  (none)")


def assert_codes(report: Report, *expected: str, exactly: bool = False) -> None:
    """Every code of ``expected`` is in the report; with ``exactly``, no other code is."""
    present = codes(report)
    missing = [code for code in expected if code not in present]
    extra = sorted(present - set(expected)) if exactly else []
    problems = [f"{what} {', '.join(found)}" for what, found in (("missing", missing), ("unexpected", extra)) if found]
    if problems:
        raise AssertionError(f"{'; '.join(problems)}\n{_listing(report)}")


def assert_no_codes(report: Report, *unexpected: str) -> None:
    """None of ``unexpected`` is in the report."""
    found = [code for code in unexpected if code in codes(report)]
    if found:
        raise AssertionError(f"unexpected {', '.join(found)}\n{_listing(report)}")


def assert_verdict(report: Report, expected: Verdict | str) -> None:
    """The report's verdict is ``expected`` (``"accepted"``, ``"accepted_with_warnings"``, ``"rejected"``)."""
    if report.verdict != Verdict(expected):
        raise AssertionError(f"verdict {report.verdict.value}, expected {Verdict(expected).value}\n{_listing(report)}")
