"""``preuves serve``: run the HTTP service under uvicorn.

:func:`run` is what the CLI calls. Several HTTP processes (``workers > 1``) each build their own
engine with its own worker processes; unless ``PREUVES_WORKERS`` says otherwise each gets a share of
the CPUs, and Prometheus metrics switch to multi-process mode (``api/metrics.py``).
"""

from __future__ import annotations

import logging
import logging.config
import os
import shutil
import tempfile
from typing import Any

from api.logs import log_config
from api.settings import ApiSettings, get_settings

log = logging.getLogger("preuves.api")


def run(host: str | None = None, port: int | None = None, workers: int | None = None, **uvicorn_options: Any) -> None:
    """Start the service (blocks until stopped).

    :param host: address to bind (default ``PREUVES_HOST``, else 127.0.0.1). Without API keys a
        non-loopback address is replaced by 127.0.0.1 (with a warning) unless
        ``PREUVES_ALLOW_ANONYMOUS=1``.
    :param port: port (default ``PREUVES_PORT``, else 8000).
    :param workers: HTTP processes (default ``PREUVES_HTTP_WORKERS``, else 1).
    :param uvicorn_options: passed to ``uvicorn.run`` (e.g. ``timeout_keep_alive``).
    """
    import uvicorn

    settings: ApiSettings = get_settings()
    logging.config.dictConfig(log_config(settings.log_level, settings.log_json))
    bind, warning = settings.listen_host(host)
    if warning:
        log.warning(warning)
    elif not settings.auth_enabled:
        log.warning(f"aucune clé d'API (PREUVES_API_KEYS) : service sans authentification sur {bind}")
    workers = workers or settings.http_workers
    metrics_dir = _prepare_multiprocess(workers) if workers > 1 else None
    try:
        _serve(uvicorn, settings, bind, port, workers, uvicorn_options)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve(uvicorn: Any, settings: ApiSettings, bind: str, port: int | None, workers: int,
           uvicorn_options: dict[str, Any]) -> None:
    log.info("starting", extra={"host": bind, "port": port or settings.port, "http_workers": workers})
    uvicorn.run(
        "api.main:app",
        host=bind,
        port=port if port is not None else settings.port,
        workers=workers,
        log_config=log_config(settings.log_level, settings.log_json),
        access_log=False,  # our middleware logs each request with its id (api/middleware.py)
        http="h11",  # its handling of bodies left unread after a response is what api/upload.py expects
        server_header=False,
        **uvicorn_options,
    )


def _prepare_multiprocess(workers: int) -> str | None:
    """Environment inherited by the HTTP processes uvicorn starts; the metrics dir we made, if any."""
    made = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="preuves-metrics-")
    if not os.environ.get("PREUVES_WORKERS"):
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        os.environ["PREUVES_WORKERS"] = str(max(1, cpus // workers))
    return made
