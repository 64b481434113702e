"""``GET /healthz`` (liveness: the process and its engine work) and ``GET /readyz`` (readiness: it can
validate now). Open: no API key.

Liveness fails (503) when the engine's workers are dead and do not come back: an orchestrator should
then restart the process. Readiness fails while the engine is not started, has no plugin, or has no
worker able to take a file right now (a pool being rebuilt), or jobs cannot be accepted (their storage
cannot be written, their broker does not answer): send traffic elsewhere for a moment. Readiness also
reports the job queue (``jobs``: mode, storage, queued jobs, workers).
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.deps import WORKERS_DOWN, engine_liveness
from api.errors import Unavailable
from api.problems import responses

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    rules: str
    plugins: list[str]
    workers: int
    jobs: dict[str, Any] | None = None


@router.get("/healthz", operation_id="getLiveness", summary="Vivant : le processus répond et ses workers ne sont pas morts",
            response_model=Health, responses=responses(503))
async def healthz(request: Request) -> Health:
    engine = getattr(request.app.state, "engine", None)
    if engine is not None:  # before start-up (or during shutdown) the process itself is alive
        alive, _ready, reason = engine_liveness(engine.health())
        if not alive:
            raise Unavailable(reason or WORKERS_DOWN, request.app.state.settings.retry_after_s)
    return Health(status="ok")


@router.get("/readyz", operation_id="getReadiness", summary="Prêt : règles chargées, plugins enregistrés, workers démarrés",
            response_model=Ready, responses=responses(503))
async def readyz(request: Request) -> Ready:
    engine = getattr(request.app.state, "engine", None)
    retry = request.app.state.settings.retry_after_s
    if engine is None:
        raise Unavailable("moteur non démarré", retry, reason_en="engine not started")
    plugins = engine.plugin_names()
    if not plugins:
        raise Unavailable("aucun plugin enregistré", retry, reason_en="no plugin registered")
    health = engine.health()
    _alive, ready, reason = engine_liveness(health)
    if not ready:
        raise Unavailable(reason or WORKERS_DOWN, retry)
    jobs = request.app.state.jobs  # the storage not writable, the broker not answering: 503
    job_state = None if jobs is None else await anyio.to_thread.run_sync(jobs.readiness)
    return Ready(status="ready", rules=engine.info.rules, plugins=plugins, workers=health.workers, jobs=job_state)
