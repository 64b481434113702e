"""What every ``preuves`` command shares: exit codes, usage errors, the run's plugin registry and engine.

Plugins that add commands (``preuves_register_commands``) use these too: ``fail`` for a usage error
(exit 2, message on stderr), ``command_engine`` for an engine built from the ``PREUVES_*`` settings
that reuses the registry this run loaded at start, ``engine_unavailable`` when the engine cannot
examine the files (exit 2, no verdict); ``requirements_scope``, ``rem_profiles`` and
``requirements_checklist`` for a catalogue's command (the use cases of :mod:`validator_core.service`).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from validator_core.errors import EngineUnavailable

if TYPE_CHECKING:
    from validator_core.registry import PluginRegistry

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def fail(message: str) -> None:
    click.echo(f"preuves: {message}", err=True)
    sys.exit(EXIT_USAGE)


def engine_unavailable(exc: EngineUnavailable, lang: str) -> None:
    """The engine could not examine the files: exit 2, no verdict."""
    fail((exc.message if lang == "fr" else exc.message_en) + f" ({exc.reason})")


def command_engine(rules: str | None, *, files: int | None = None):
    """Build the engine, turning start-up errors (rules, plugins) into exit 2 with the reason.

    ``files``: how many files this command checks (a one-shot run starts no more workers than that,
    and forks them from this process unless ``PREUVES_WORKER_START`` says otherwise).
    """
    from dataclasses import replace

    from validator_core.engine import Engine
    from validator_core.registry import PluginError
    from validator_core.rules import RulesError
    from validator_core.settings import CoreSettings

    overrides: dict[str, object] = {"rules": rules} if rules else {}
    if files is not None and "PREUVES_WORKER_START" not in os.environ:
        overrides["worker_start"] = "fork"
    try:
        settings = CoreSettings(**overrides)
        if files is not None:
            settings = replace(settings, workers=min(settings.worker_count(), max(1, files)))
        return Engine(settings, registry=plugin_registry())
    except (RulesError, PluginError) as exc:
        fail(str(exc))
    except ValueError as exc:  # a bad PREUVES_* value (the message names the variable)
        fail(f"réglage invalide : {exc}")


REGISTRY_KEY = "preuves.registry"  # in the click context's meta: the registry this run started with


def plugin_registry() -> "PluginRegistry":
    """The plugin registry this run of ``preuves`` loaded at start (commands and the engine share it)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:  # a command called on its own (a test's CliRunner, an embedding application)
        return load_registry()
    root = ctx.find_root()
    if REGISTRY_KEY not in root.meta:
        root.meta[REGISTRY_KEY] = load_registry()
    return root.meta[REGISTRY_KEY]


def load_registry() -> "PluginRegistry":
    from validator_core.registry import PluginError, PluginRegistry
    from validator_core.settings import CoreSettings

    try:
        return PluginRegistry.load(CoreSettings().plugin_config())
    except PluginError as exc:
        fail(str(exc))
    except ValueError as exc:  # a bad PREUVES_* value (the message names the variable)
        fail(f"réglage invalide : {exc}")


# -- the catalogue use cases a plugin's command shows (validator_core.service, imported when called:
# loading the commands stays cheap) --------------------------------------------------------------------
def requirements_scope(engine, rem: str, profiles) -> tuple[str, list[str]]:
    """``rem`` and ``profiles`` as the catalogue spells them; an unknown one raises (with the valid ones)."""
    from validator_core.service import resolve_profiles, resolve_rem

    rem = resolve_rem(engine, rem)
    return rem, resolve_profiles(engine, rem, profiles)


def rem_profiles(engine, rem: str) -> dict:
    """:func:`validator_core.service.rem_profiles`: a REM's profiles and the conditions of its proofs."""
    from validator_core.service import rem_profiles as profiles_of

    return profiles_of(engine, rem)


def requirements_checklist(engine, rem: str, profiles, fmt: str, lang: str = "fr") -> str:
    """:func:`validator_core.service.requirements_checklist`: the checklist to fill, CSV or Markdown."""
    from validator_core.service import requirements_checklist as checklist

    return checklist(engine, rem, profiles, fmt, lang)
