"""Shared test set-up: engines with small timeouts, and a place for generated fixtures.

Entry-point loading is off in tests (a plugin installed on the machine must not change results);
test plugins are registered by import path (``tests.plugins_for_tests.*``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

from validator_core import Engine
from validator_core.registry import PluginConfig
from validator_core.settings import CoreSettings


def make_settings(**overrides) -> CoreSettings:
    values = {"check_timeout_s": 15.0, "workers": 2, "load_entrypoints": False, "worker_memory_mb": 2048}
    values.update(overrides)
    return CoreSettings(**values)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """The built-in plugins, isolated in workers: the engine the CLI and the service use."""
    eng = Engine(make_settings())
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def engine_factory() -> Iterator[Callable[..., Engine]]:
    """Build engines with other settings or extra plugins; closed at the end of the session."""
    made: list[Engine] = []

    def factory(*, extra: tuple[str, ...] = (), allow: tuple[str, ...] | None = None, **overrides) -> Engine:
        settings = make_settings(**overrides)
        config = PluginConfig(allow=allow, extra=extra, entrypoints=False)
        eng = Engine(settings, plugin_config=config)
        made.append(eng)
        return eng

    yield factory
    for eng in made:
        eng.close()


@pytest.fixture(scope="session")
def fixtures_dir(tmp_path_factory) -> Path:
    """A session directory for generated fixture files (shared by the test modules)."""
    return tmp_path_factory.mktemp("fixtures")


@pytest.fixture(autouse=True)
def _no_user_env(monkeypatch):
    """Tests must not depend on the developer's PREUVES_* variables."""
    for key in list(os.environ):
        if key.startswith("PREUVES_"):
            monkeypatch.delenv(key, raising=False)
