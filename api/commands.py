"""``preuves serve``: the HTTP service's command, added to the command line by this plugin.

An ordinary plugin (entry point ``api`` in group ``preuves``), so that the core's command line never
imports the HTTP package: the service (FastAPI, uvicorn) is imported only when ``serve`` runs.
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
