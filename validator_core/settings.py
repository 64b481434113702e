"""Engine settings, from ``PREUVES_*`` environment variables.

The HTTP service extends these (``api/settings.py``); the CLI overrides a few from its flags
(``dataclasses.replace``). A checked dataclass (:mod:`validator_core.checked`) rather than
pydantic-settings, which alone cost a cold ``preuves check`` more than checking a PNG.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from validator_core.checked import Check, Checked, ValidationError, check_fields
from validator_core.registry import PluginConfig


@dataclass(slots=True, init=False)
class CoreSettings(Checked):
    """Engine settings. Every field is ``PREUVES_<NAME>`` in the environment (any case).

    ``CoreSettings(**values)`` reads the environment: a keyword given wins over its variable, a
    variable over the default. A bad value raises :class:`~validator_core.checked.ValidationError`
    (a ``ValueError``) naming the variable or keyword it came from.
    """

    ENV_PREFIX: ClassVar[str] = "PREUVES_"

    rules: Annotated[Path | None, Check(description="Fichier de règles TOML remplaçant celui de l'ANS intégré")] = None
    plugins: Annotated[list[str] | None, Check(
        split=",", description="Liste blanche de plugins (noms séparés par des virgules) ; vide = aucun")] = None
    disable_plugins: Annotated[list[str], Check(
        split=",", description="Plugins à ne pas charger (noms séparés par des virgules)")] = field(default_factory=list)
    extra_plugins: Annotated[list[str], Check(
        split=",", description="Modules de plugins supplémentaires à charger (chemins d'import)")] = field(default_factory=list)
    load_entrypoints: Annotated[bool, Check(description="Charger les plugins tiers (groupe d'entry points « preuves »)")] = True
    trace_plugins: Annotated[bool, Check(description="Journaliser chaque appel de hook")] = False
    check_timeout_s: Annotated[float, Check(gt=0, description="Délai maximal d'une vérification (secondes)")] = 20.0
    worker_memory_mb: Annotated[int, Check(
        ge=64, description="Plafond d'espace d'adressage d'un worker (Mo ; en mode fork, au-delà de celui hérité du "
                           "parent)")] = 2048
    workers: Annotated[int, Check(ge=0, description="Nombre de processus workers (0 = nombre de cœurs)")] = 0
    worker_max_tasks: Annotated[int, Check(ge=0, description="Tâches avant recyclage d'un worker (0 = jamais)")] = 1000
    isolation: Annotated[Literal["process", "inline"], Check(
        description="« process » (workers isolés) ; « inline » (débogage, pas de délai)")] = "process"
    worker_start: Annotated[Literal["forkserver", "fork"], Check(
        description="Démarrage des workers : « forkserver » (serveur de fork propre, préchargé ; défaut) ou "
        "« fork » (copie du processus appelant ; la CLI l'utilise pour démarrer vite)")] = "forkserver"

    def __init__(self, **values: Any) -> None:
        fields = dataclasses.fields(self)
        unknown = set(values) - {f.name for f in fields}
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        environ = _environment(self.ENV_PREFIX)
        defaults = self.defaults()
        came_from: dict[str, str] = {}  # field -> the variable its value was read from
        for f in fields:
            if f.name in values:
                value = values[f.name]
            elif f.name in environ:
                value = environ[f.name]
                came_from[f.name] = self.ENV_PREFIX + f.name.upper()
            else:
                value = defaults[f.name]
            object.__setattr__(self, f.name, value)
        try:
            check_fields(self)
        except ValidationError as exc:
            problems = [((came_from.get(str(loc[0]), loc[0]), *loc[1:]) if loc else loc, msg)
                        for loc, msg in exc.problems]
            raise ValidationError(exc.title, problems) from None

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every field's default, whatever the environment says (a new list for each list field)."""
        return {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
                for f in dataclasses.fields(cls)}

    def plugin_config(self) -> PluginConfig:
        return PluginConfig(
            allow=None if self.plugins is None else tuple(self.plugins),
            block=tuple(self.disable_plugins),
            extra=tuple(self.extra_plugins),
            entrypoints=self.load_entrypoints,
            trace=self.trace_plugins,
        )

    def worker_count(self) -> int:
        return self.workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _environment(prefix: str) -> dict[str, str]:
    """``PREUVES_*`` variables by field name; names are matched in any case."""
    prefix = prefix.lower()
    return {key.lower()[len(prefix):]: value for key, value in os.environ.items() if key.lower().startswith(prefix)}


@lru_cache(maxsize=1)
def get_core_settings() -> CoreSettings:
    return CoreSettings()
