"""``preuves serve``: run the HTTP service under uvicorn.

:func:`run` is what the CLI calls. It prints the pre-check page's address on stdout
(:func:`page_line`) once the service answers, and logs on stderr (text on a terminal, JSON elsewhere:
:mod:`api.structured_logging`). Several HTTP processes (``workers > 1``) each build their own engine
with its own worker processes; unless ``PREUVES_WORKERS`` says otherwise each gets a share of the
CPUs, and Prometheus metrics switch to multi-process mode (``api/metrics_collector.py``).
"""

from __future__ import annotations

import http.client
import logging
import logging.config
import os
import resource
import shutil
import tempfile
import threading
from typing import Any

from api.protocol import GuardedH11Protocol
from api.settings import ApiSettings, get_settings
from api.structured_logging import log_config

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
    # Logs: PREUVES_LOG_JSON, else text on a terminal and JSON otherwise (api/structured_logging.py).
    logging.config.dictConfig(log_config(settings.log_level, settings.log_json))
    bind, warning = settings.listen_host(host)
    if warning:
        log.warning(warning)
    # Without API keys the service says so once, when it is ready (api/main.py): not here as well.
    workers = workers or settings.http_workers
    metrics_dir = _prepare_multiprocess(workers) if workers > 1 else None
    port = port if port is not None else settings.port
    stop_announcing = announce_when_answering(bind, port, page_line(bind, port))
    try:
        _serve(uvicorn, settings, bind, port, workers, uvicorn_options)
    finally:
        stop_announcing.set()  # stopped before it answered: nothing to announce
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve(uvicorn: Any, settings: ApiSettings, bind: str, port: int | None, workers: int,
           uvicorn_options: dict[str, Any]) -> None:
    raise_fd_limit()  # inherited by the HTTP processes uvicorn starts
    connections = settings.connection_limit()
    log.info("starting", extra={"host": bind, "port": port or settings.port, "http_workers": workers,
                                "max_connections": connections})
    options: dict[str, Any] = dict(
        log_config=log_config(settings.log_level, settings.log_json),
        access_log=False,  # our middleware logs each request with its id (api/middleware.py)
        # h11 (its handling of bodies left unread after a response is what api/upload.py expects), with
        # the time limits and the connection cap h11 and uvicorn lack (api/protocol.py).
        http=GuardedH11Protocol,
        ws="none",  # no WebSocket route: an upgrade request is an ordinary request
        server_header=False,
        # X-Forwarded-For is read by api/callers.py, from PREUVES_TRUSTED_PROXIES only; uvicorn's own
        # handling would trust it from 127.0.0.1, so any local client could name itself.
        proxy_headers=False,
        timeout_keep_alive=settings.keep_alive_s,
        timeout_graceful_shutdown=settings.shutdown_timeout_s,
        backlog=settings.backlog,
        # A backstop: GuardedH11Protocol keeps the connections under this, so uvicorn's plain-text 503
        # only ever comes for more requests at once than connections.
        limit_concurrency=connections + 1,
    )
    options.update(uvicorn_options)
    uvicorn.run(
        "api.main:app",
        host=bind,
        port=port if port is not None else settings.port,
        workers=workers,
        **options,
    )


def announce_when_answering(bind: str, port: int, line: str, interval_s: float = 0.05) -> threading.Event:
    """Print ``line`` on stdout once the service on ``bind:port`` answers HTTP; returns the event that
    stops waiting (set it when the server stops).

    uvicorn listens only once its start-up is complete — the app's lifespan (engine, worker
    processes, requirement catalogue) and then the listening socket, in every HTTP process — so the
    first answer means that the address just printed can be opened. Its own "startup complete"
    happens inside the HTTP processes it supervises (``workers > 1``); asking the socket serves both
    cases. The answer must carry the service's ``X-Request-ID``: another program that holds the port
    (uvicorn then fails to bind and stops) is not taken for the service. ``/readyz`` answered is not
    logged (api/middleware.py).
    """
    stop = threading.Event()
    host = _browser_host(bind).strip("[]")

    def wait() -> None:
        while not stop.is_set():
            connection = http.client.HTTPConnection(host, port, timeout=2)
            try:
                connection.request("GET", "/readyz")
                response = connection.getresponse()
                response.read()
                if response.getheader("x-request-id"):
                    print(line, flush=True)
                    return
            except (OSError, http.client.HTTPException):  # not listening yet
                pass
            finally:
                connection.close()
            stop.wait(interval_s)

    threading.Thread(target=wait, name="preuves-announce", daemon=True).start()
    return stop


def _browser_host(bind: str) -> str:
    """The host a browser opens for a service bound to ``bind`` (the loopback for every address)."""
    return {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(bind, f"[{bind}]" if ":" in bind else bind)


def page_line(bind: str, port: int, lang: str | None = None) -> str:
    """« Page de pré-contrôle : http://127.0.0.1:8000/ », what ``preuves serve`` prints on stdout once the
    service answers (:func:`announce_when_answering`): the address a browser opens."""
    from validator_core.cli_support import env_lang

    url = f"http://{_browser_host(bind)}:{port}/"
    if (lang or env_lang()) == "en":
        return f"Pre-check page: {url} (API documentation: {url}docs)"
    return f"Page de pré-contrôle : {url} (documentation de l'API : {url}docs)"


def raise_fd_limit() -> tuple[int, int]:
    """Raise this process's file-descriptor limit (soft) to its hard limit; returns ``(soft, hard)``.

    Each connection is a descriptor; the default soft limit (often 1,024) would make a few thousand
    idle connections exhaust it, and ``accept()`` then fails with EMFILE for everyone.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # pragma: no cover - a sandbox may refuse; keep what we have
            pass
    return soft, hard


def _prepare_multiprocess(workers: int) -> str | None:
    """Environment inherited by the HTTP processes uvicorn starts; the metrics dir we made, if any."""
    made = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="preuves-metrics-")
    if not os.environ.get("PREUVES_WORKERS"):
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        os.environ["PREUVES_WORKERS"] = str(max(1, cpus // workers))
    return made
