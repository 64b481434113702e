"""``preuves serve`` and ``preuves worker``: the HTTP service's commands, added to the command line by
this plugin (``worker`` runs the service's jobs from a Celery queue: :mod:`api.jobs.distributed`).

An ordinary plugin (entry point ``api`` in group ``preuves``), so that the core's command line never
imports the HTTP package: the service (FastAPI, uvicorn, Celery) is imported only when its command runs.
"""

from __future__ import annotations

import click

from validator_core import hookimpl


@hookimpl
def preuves_register_commands(cli: click.Group) -> None:
    @cli.command()
    @click.option("--host", default=None, help="Adresse d'écoute (défaut : 127.0.0.1).")
    @click.option("--port", default=None, type=int, help="Port (défaut : 8000).")
    @click.option("--workers", default=None, type=int, help="Nombre de processus du service HTTP.")
    def serve(host: str | None, port: int | None, workers: int | None) -> None:
        """Démarre le service HTTP (API de validation)."""
        from api.server import run

        options = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
        run(**options)

    @cli.command()
    @click.option("--concurrency", default=None, type=int,
                  help="Travaux exécutés à la fois (défaut : PREUVES_JOBS_RUNNERS).")
    def worker(concurrency: int | None) -> None:
        """Démarre un worker de travaux (Celery ; PREUVES_JOBS_BROKER=redis://… obligatoire)."""
        from api.jobs.distributed import run_worker
        from api.settings import get_settings
        from validator_core.cli_support import fail

        settings = get_settings()
        if not settings.jobs_broker:
            fail("PREUVES_JOBS_BROKER (redis://hôte:port/0) est obligatoire pour `preuves worker` ; "
                 "sans lui, `preuves serve` exécute les travaux lui-même.")
        run_worker(settings, concurrency=concurrency or settings.jobs_runners)
