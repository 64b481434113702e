"""FastAPI dependencies (``Annotated``): settings, engine, upload directory, API key, in-flight slot."""

from __future__ import annotations

import hmac
import threading
from typing import Annotated, AsyncIterator

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api import metrics
from api.errors import Saturated, Unauthorized, Unavailable
from api.settings import ApiSettings
from api.upload import UploadDir
from validator_core.engine import Engine


def _settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def _engine(request: Request) -> Engine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:  # lifespan not run, or shutting down
        raise Unavailable("moteur non démarré", request.app.state.settings.retry_after_s)
    return engine


def _upload_dir(request: Request) -> UploadDir:
    return request.app.state.upload_dir


SettingsDep = Annotated[ApiSettings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
UploadDirDep = Annotated[UploadDir, Depends(_upload_dir)]

# Declared as security schemes so /docs offers both; auto_error=False: our error is problem+json.
bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <clé d'API>")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <clé d'API>")


def key_matches(given: str, keys: list[str]) -> bool:
    """Constant-time comparison against every configured key (no early exit reveals which one)."""
    given_bytes = given.encode()
    found = False
    for key in keys:
        found |= hmac.compare_digest(given_bytes, key.encode())
    return found


def require_api_key(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    """Every ``/v1/*`` call needs a key when ``PREUVES_API_KEYS`` is set."""
    if not settings.auth_enabled:
        return
    keys = [k.get_secret_value() for k in settings.api_keys]
    candidates = [c for c in (bearer.credentials if bearer else None, api_key) if c]
    # Every key presented must be valid: a wrong key next to a right one is still a wrong key.
    if not candidates or not all([key_matches(c, keys) for c in candidates]):
        raise Unauthorized()


class InFlightGate:
    """A bounded count of validation requests in this process (receiving or being checked)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        with self._lock:
            if self.count >= self.limit:
                return False
            self.count += 1
        metrics.QUEUE_DEPTH.inc()
        return True

    def release(self) -> None:
        with self._lock:
            self.count -= 1
        metrics.QUEUE_DEPTH.dec()


async def validation_slot(request: Request, settings: SettingsDep, engine: EngineDep) -> AsyncIterator[None]:
    """Take a place in the bounded queue before reading the body; 429/503 with Retry-After otherwise."""
    if not engine.pool.alive:
        metrics.SATURATED.labels("503").inc()
        raise Unavailable("workers de validation arrêtés", settings.retry_after_s)
    gate: InFlightGate = request.app.state.gate
    if not gate.try_acquire():
        metrics.SATURATED.labels("429").inc()
        raise Saturated(settings.retry_after_s, gate.count)
    try:
        yield
    finally:
        gate.release()


ApiKeyDep = Depends(require_api_key)
SlotDep = Annotated[None, Depends(validation_slot)]
