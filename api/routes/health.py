"""``GET /healthz`` (the process answers) and ``GET /readyz`` (it can validate). Open: no API key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

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


@router.get("/healthz", summary="Vivant", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", summary="Prêt : règles chargées, plugins enregistrés, workers démarrés",
            response_model=Ready, responses=responses(503))
async def readyz(request: Request) -> Ready:
    engine = getattr(request.app.state, "engine", None)
    retry = request.app.state.settings.retry_after_s
    if engine is None:
        raise Unavailable("moteur non démarré", retry)
    plugins = engine.registry.plugin_names
    if not plugins:
        raise Unavailable("aucun plugin enregistré", retry)
    if not engine.pool.alive:
        raise Unavailable("workers de validation arrêtés", retry)
    return Ready(status="ready", rules=engine.rules.version, plugins=plugins, workers=engine.pool.workers)
