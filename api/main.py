"""The HTTP service: ``create_app()`` builds the FastAPI app and gathers the routers.

``uvicorn api.main:app`` serves the module-level ``app`` (settings from ``PREUVES_*``); ``preuves
serve`` does the same through :func:`api.server.run`. The engine (rules, plugins, worker processes)
is created at start-up (lifespan) and closed at shutdown.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect

from api import openapi, problems
from api.callers import ForwardedForMiddleware
from api.deps import Admission
from api.language import LanguageMiddleware
from api.middleware import FramingGuardMiddleware, RequestContextMiddleware
from api.ratelimit import RateLimitMiddleware
from api.jobs.service import JobService
from api.routes import bench, docs, dossiers, health, jobs, metrics, proof_types, requirements, validations, web
from api.server import raise_fd_limit
from api.settings import ApiSettings, get_settings
from api.structured_logging import ensure_handler
from api.upload import UploadDir
from validator_core import __version__
from validator_core.engine import Engine
from validator_core.rules import load_rules

log = logging.getLogger("preuves.api")


DESCRIPTION = """\
Vérifie les preuves de conformité Ségur avant leur dépôt : formats et tailles du tableau de l'ANS,
contenu (vidéos, captures, PDF, journaux, liens de rapport).

Les erreurs sont en `application/problem+json` (RFC 9457) ; le champ `code` est stable.
Documentation d'exploitation : `docs/http.md`.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    ensure_handler(settings.log_level, settings.log_json)
    # Loaded here too (cheap) so the OpenAPI document lists the proof types before start-up.
    rules = load_rules(settings.rules)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise_fd_limit()  # also when run by a bare ``uvicorn api.main:app`` (preuves serve did it already)
        app.state.upload_dir = UploadDir(settings.upload_dir())
        engine = await anyio.to_thread.run_sync(Engine, settings)
        try:
            await anyio.to_thread.run_sync(engine.start)
            # The requirement catalogue, built now rather than on the event loop by the first request
            # that names a requirement (api/validating.py checks fields as they arrive).
            await anyio.to_thread.run_sync(engine.catalogue)
            app.state.engine = engine
            app.state.jobs = JobService(settings, engine)
            app.state.jobs.start()  # resumes the jobs a stopped process left
            log.info("service ready", extra={
                "rules": engine.info.rules, "plugins": engine.plugin_names(),
                "engine_workers": engine.health().workers, "auth": settings.auth_enabled,
                "max_in_flight": settings.max_in_flight, "max_receiving": settings.receiving_limit,
                "max_in_flight_per_caller": settings.per_caller_limit, "upload_dir": str(app.state.upload_dir.path),
                "rate_limit_per_min": settings.rate_limit_per_min,
            })
            if not settings.auth_enabled:
                log.warning("no API key configured (PREUVES_API_KEYS): /v1/* is open to whoever reaches the service")
            yield
        finally:
            app.state.engine = None
            if getattr(app.state, "jobs", None) is not None:  # running jobs go back to the queue
                await anyio.to_thread.run_sync(app.state.jobs.close, settings.shutdown_timeout_s)
            await anyio.to_thread.run_sync(engine.close)
            app.state.upload_dir.close()

    app = FastAPI(
        title="segur-preuves",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by api/routes/docs.py from local files (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = None
    app.state.jobs = None
    app.state.admission = Admission(receiving=settings.receiving_limit, in_flight=settings.max_in_flight,
                                    per_caller=settings.per_caller_limit)
    # Threads that wait on the engine: one per admitted request at most.
    app.state.validate_limiter = anyio.CapacityLimiter(settings.max_in_flight)

    problems.install(app)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    # Innermost first: the rate limit sits inside CORS (its 429 carries the CORS headers) and inside
    # the request context (request id, access log).
    app.add_middleware(RateLimitMiddleware, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "X-Request-ID", "Content-Type", "Idempotency-Key"],
            expose_headers=["X-Request-ID", "Retry-After", "Location"], max_age=600,
        )
    # Who the caller is (rate limit, per-caller share) is settled before either looks at it.
    app.add_middleware(ForwardedForMiddleware, trusted=settings.trusted_proxies)
    app.add_middleware(FramingGuardMiddleware)  # inside the request context: its 400 has an id and a metric
    # The answer's language, chosen before anything can answer (the framing guard, the rate limit, 404).
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(RequestContextMiddleware)

    for module in (health, metrics, proof_types, validations, dossiers, jobs, requirements, web, docs):  # web: the page at /
        app.include_router(module.router)
    if settings.bench_routes:  # receive-only route for bench/ (off in production)
        app.include_router(bench.router)
    app.openapi = lambda: openapi.build(app, rules, settings)  # type: ignore[method-assign]
    return app


async def _client_disconnected(request: Any, exc: Exception) -> Any:
    # Nobody is left to read a response; the temp files are already removed (api/upload.py).
    log.info("client disconnected during upload")
    return problems.problem_response(400, "request.client_disconnected", "Le client s'est déconnecté.",
                                     detail_en="The client disconnected.")


app = create_app()
