"""Engine settings, from ``PREUVES_*`` environment variables (pydantic-settings).

The HTTP service extends these (``api/settings.py``); the CLI overrides a few from its flags.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from validator_core.registry import PluginConfig


def _split_names(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class CoreSettings(BaseSettings):
    """Engine settings. Every field is ``PREUVES_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="PREUVES_", extra="ignore")

    rules: Path | None = Field(default=None, description="Fichier de règles TOML remplaçant celui de l'ANS intégré")
    plugins: Annotated[list[str] | None, NoDecode] = Field(
        default=None, description="Liste blanche de plugins (noms séparés par des virgules) ; vide = aucun"
    )
    disable_plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Plugins à ne pas charger (noms séparés par des virgules)"
    )
    extra_plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Modules de plugins supplémentaires à charger (chemins d'import)"
    )
    load_entrypoints: bool = Field(default=True, description="Charger les plugins tiers (groupe d'entry points « preuves »)")
    trace_plugins: bool = Field(default=False, description="Journaliser chaque appel de hook")
    check_timeout_s: float = Field(default=20.0, gt=0, description="Délai maximal d'une vérification (secondes)")
    worker_memory_mb: int = Field(default=2048, ge=64, description="Plafond d'espace d'adressage d'un worker (Mo)")
    workers: int = Field(default=0, ge=0, description="Nombre de processus workers (0 = nombre de cœurs)")
    worker_max_tasks: int = Field(default=1000, ge=0, description="Tâches avant recyclage d'un worker (0 = jamais)")
    isolation: Literal["process", "inline"] = Field(
        default="process", description="« process » (workers isolés) ; « inline » (débogage, pas de délai)"
    )
    worker_start: Literal["forkserver", "fork"] = Field(
        default="forkserver",
        description="Démarrage des workers : « forkserver » (serveur de fork propre, préchargé ; défaut) ou "
        "« fork » (copie du processus appelant ; la CLI l'utilise pour démarrer vite)",
    )

    _split = field_validator("plugins", "disable_plugins", "extra_plugins", mode="before")(_split_names)

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


@lru_cache(maxsize=1)
def get_core_settings() -> CoreSettings:
    return CoreSettings()
