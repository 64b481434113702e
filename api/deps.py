"""FastAPI dependencies (``Annotated``): settings, engine, upload directory, API key, admission (slot)."""

from __future__ import annotations

import contextlib
import threading
from typing import Annotated, AsyncIterator, Iterator

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api import metrics_collector as metrics
from api.callers import caller_of, key_matches
from api.errors import CallerBusy, Saturated, Unauthorized, Unavailable
from api.settings import ApiSettings
from api.upload import UploadDir
from validator_core.engine import Engine
from validator_core.errors import EngineUnavailable
from validator_core.isolation import EngineHealth


def _settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def _engine(request: Request) -> Engine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:  # lifespan not run, or shutting down
        raise Unavailable("moteur non démarré", request.app.state.settings.retry_after_s,
                          reason_en="engine not started")
    return engine


def _upload_dir(request: Request) -> UploadDir:
    return request.app.state.upload_dir


SettingsDep = Annotated[ApiSettings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
UploadDirDep = Annotated[UploadDir, Depends(_upload_dir)]

# Declared as security schemes so /docs offers both; auto_error=False: our error is problem+json.
bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <clé d'API>")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <clé d'API>")


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


class Admission:
    """Bounded counts of this process's validating requests (single, batch, dossier, bench).

    A request is admitted before its body is read: at most ``receiving`` bodies are being received at
    once, and one caller (API key, else address) has at most ``per_caller`` requests in progress
    (received or checked), so that one key holder cannot take every place. A place among the
    ``in_flight`` validations is taken only once the body is complete: a client that sends its file
    slowly holds a reception place (bounded in time by the minimum upload rate, ``api/upload.py``),
    never a validation place.
    """

    def __init__(self, *, receiving: int, in_flight: int, per_caller: int) -> None:
        self.receiving_limit = receiving
        self.in_flight_limit = in_flight
        self.per_caller_limit = per_caller
        self.receiving = 0
        self.in_flight = 0
        self.by_caller: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, caller: str, retry_after_s: int) -> "Slot":
        with self._lock:
            held = self.by_caller.get(caller, 0)
            if held >= self.per_caller_limit:
                metrics.SATURATED.labels("429").inc()
                raise CallerBusy(retry_after_s, self.per_caller_limit)
            if self.receiving >= self.receiving_limit:
                metrics.SATURATED.labels("429").inc()
                raise Saturated(retry_after_s, self.receiving + self.in_flight, close=True)
            self.by_caller[caller] = held + 1
            self.receiving += 1
        metrics.RECEIVING.inc()
        return Slot(self, caller, retry_after_s)

    def _start_validating(self) -> bool:
        with self._lock:
            if self.in_flight >= self.in_flight_limit:
                return False
            self.in_flight += 1
            self.receiving -= 1
        metrics.RECEIVING.dec()
        metrics.QUEUE_DEPTH.inc()
        return True

    def _stop_validating(self) -> None:
        with self._lock:
            self.in_flight -= 1
            self.receiving += 1
        metrics.QUEUE_DEPTH.dec()
        metrics.RECEIVING.inc()

    def _leave(self, caller: str) -> None:
        with self._lock:
            self.receiving -= 1
            left = self.by_caller.get(caller, 1) - 1
            if left > 0:
                self.by_caller[caller] = left
            else:
                self.by_caller.pop(caller, None)
        metrics.RECEIVING.dec()


class Slot:
    """One admitted request; :meth:`validating` holds a validation place around the engine calls."""

    def __init__(self, admission: Admission, caller: str, retry_after_s: int) -> None:
        self.admission = admission
        self.caller = caller
        self.retry_after_s = retry_after_s

    @contextlib.contextmanager
    def validating(self) -> Iterator[None]:
        admission = self.admission
        if not admission._start_validating():
            metrics.SATURATED.labels("429").inc()
            raise Saturated(self.retry_after_s, admission.in_flight)
        try:
            yield
        finally:
            admission._stop_validating()

    def release(self) -> None:
        self.admission._leave(self.caller)


WORKERS_DOWN = "workers de validation arrêtés"


def engine_liveness(health: EngineHealth) -> tuple[bool, bool, str | None]:
    """``(alive, ready, reason)`` from :meth:`Engine.health`: the workers are not dead for good; they
    can take a file now; why not.

    A pool being rebuilt after a one-off failure (a killed fork server) is alive; it is dead when it
    keeps failing to start workers (the engine's own judgement: ``health.alive``).
    """
    ready = health.alive and health.ready
    return health.alive, ready, None if ready else (health.failure or WORKERS_DOWN)


def engine_unavailable(engine: Engine) -> str | None:
    """Why the engine cannot validate now (answered 503 before the body is read), or None.

    Only a pool the engine itself calls dead is refused up front (it keeps trying to rebuild in the
    background); a pool that is merely not started yet, or being rebuilt, gets the request.
    """
    health = engine.health()
    return None if health.alive else (health.failure or WORKERS_DOWN)


async def validation_slot(request: Request, settings: SettingsDep, engine: EngineDep) -> AsyncIterator[Slot]:
    """Admit the request before reading its body; 429/503 with Retry-After otherwise."""
    reason = engine_unavailable(engine)
    if reason is not None:
        metrics.SATURATED.labels("503").inc()
        raise EngineUnavailable(reason, retry_after_s=settings.retry_after_s)
    _kind, caller = caller_of(request.scope, [k.get_secret_value() for k in settings.api_keys])
    slot = request.app.state.admission.enter(caller, settings.retry_after_s)
    try:
        yield slot
    finally:
        slot.release()


ApiKeyDep = Depends(require_api_key)
SlotDep = Annotated[Slot, Depends(validation_slot)]
