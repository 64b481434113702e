"""``preuves serve`` and ``preuves worker``: the HTTP service's commands, added to the command line by
this plugin (``worker`` runs the service's jobs from a Celery queue: :mod:`api.jobs.distributed`).

An ordinary plugin (entry point ``api`` in group ``preuves``), so that the core's command line never
imports the HTTP package: the service (FastAPI, uvicorn, Celery) is imported only when its command runs.
"""

from __future__ import annotations

import os

import click

from validator_core import hookimpl
from validator_core.cli_support import LocalOption, PreuvesCommand


@hookimpl
def preuves_register_commands(cli: click.Group) -> None:
    @cli.command(cls=PreuvesCommand, help_en="Start the HTTP service (validation API and pre-check page).")
    @click.option("--host", cls=LocalOption, default=None, help="Adresse d'écoute (défaut : 127.0.0.1).",
                  help_en="Address to listen on (default: 127.0.0.1).")
    @click.option("--port", cls=LocalOption, default=None, type=int, help="Port (défaut : 8000).",
                  help_en="Port (default: 8000).")
    @click.option("--workers", cls=LocalOption, default=None, type=int, help="Nombre de processus du service HTTP.",
                  help_en="Number of HTTP service processes.")
    @click.option("--log-json/--log-text", cls=LocalOption, default=None,
                  help="Journaux en JSON ou en texte lisible (défaut : PREUVES_LOG_JSON, sinon texte sur un "
                       "terminal et JSON ailleurs).",
                  help_en="JSON or readable text logs (default: PREUVES_LOG_JSON, else text on a terminal and "
                          "JSON elsewhere).")
    def serve(host: str | None, port: int | None, workers: int | None, log_json: bool | None) -> None:
        """Démarre le service HTTP (API de validation et page de pré-contrôle)."""
        from api.server import run

        if log_json is not None:  # through the environment: every HTTP process uvicorn starts reads it
            os.environ["PREUVES_LOG_JSON"] = "1" if log_json else "0"
        options = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
        run(**options)

    @cli.command(cls=PreuvesCommand, help_en="Start a jobs worker (Celery; PREUVES_JOBS_BROKER=redis://… required).")
    @click.option("--concurrency", cls=LocalOption, default=None, type=int,
                  help="Travaux exécutés à la fois (défaut : PREUVES_JOBS_RUNNERS).",
                  help_en="Jobs run at once (default: PREUVES_JOBS_RUNNERS).")
    def worker(concurrency: int | None) -> None:
        """Démarre un worker de travaux (Celery ; PREUVES_JOBS_BROKER=redis://… obligatoire)."""
        from api.jobs.distributed import run_worker
        from api.settings import get_settings
        from validator_core.cli_support import fail

        settings = get_settings()
        if not settings.jobs_broker:
            fail("PREUVES_JOBS_BROKER (redis://hôte:port/0) est obligatoire pour `preuves worker` ; "
                 "sans lui, `preuves serve` exécute les travaux lui-même.",
                 en="PREUVES_JOBS_BROKER (redis://host:port/0) is required by `preuves worker`; without it, "
                    "`preuves serve` runs the jobs itself.")
        run_worker(settings, concurrency=concurrency or settings.jobs_runners)
