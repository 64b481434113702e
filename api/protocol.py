"""uvicorn's h11 protocol with the limits it lacks: a header deadline and a cap on open connections.

uvicorn (0.54) and h11 give a connection all the time it wants to send its request line and headers:
one that never sends a complete head stays open forever, and ~20,000 of them exhaust the process's
file descriptors (``accept()`` then fails with EMFILE for everyone). :class:`GuardedH11Protocol`:

- **Header deadline.** From the first byte of a request, a connection has ``PREUVES_HEADER_TIMEOUT_S``
  to deliver the complete request line and headers, however it trickles them (uvicorn's keep-alive
  timer is reset by any byte, this one is not): past it, 408 problem+json and close. A connection that
  sends nothing at all is closed, silently, ``PREUVES_IDLE_CONNECTION_TIMEOUT_S`` after it opened (or
  after its previous response, if uvicorn's keep-alive timer has not closed it first). Deadlines are
  spread (the last quarter of the header deadline, the last half of the silent one): a crowd of
  sockets opened together is not closed in one instant, to come back as one burst of accepts (each
  accept and close costs the event loop ~0.2 ms). A body is the application's to time
  (``api/upload.py``: idle timeout, minimum rate).
- **Connection cap.** At most ``ApiSettings.connection_limit()`` open connections (sized from
  RLIMIT_NOFILE, leaving room for temp files and worker pipes). A connection past the cap closes the
  oldest *idle* one (no request in progress: waiting for a head, or between keep-alive requests), so
  a flood of idle sockets cannot keep out a client that sends a request; when every connection has a
  request in progress, the newcomer gets 503 problem+json and is closed.
- **Malformed requests** get a 400 problem+json (uvicorn answers in plain text).

``preuves serve`` (``api/server.py``) runs uvicorn with this class. It reads the settings of its own
process (``get_settings()``), so it also works in the processes of ``--workers N``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import uuid
from collections import OrderedDict
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from api import metrics_collector as metrics
from api.problems import PROBLEM_MEDIA_TYPE, TITLES, TYPE_PREFIX
from api.settings import get_settings

HEADER_JITTER = 0.25  # header deadlines fall in [0.75, 1] × PREUVES_HEADER_TIMEOUT_S
SILENT_JITTER = 0.5  # silent connections are closed in [0.5, 1] × PREUVES_IDLE_CONNECTION_TIMEOUT_S
_PHRASES = {400: "Bad Request", 408: "Request Timeout", 503: "Service Unavailable"}


def raw_problem(status: int, code: str, detail: str, detail_en: str, **extensions: Any) -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection (written outside any request)."""
    request_id = uuid.uuid4().hex
    body = json.dumps({
        "type": TYPE_PREFIX + code, "title": TITLES.get(status, "Erreur"), "status": status, "detail": detail,
        "detail_en": detail_en, "code": code, "instance": None, "request_id": request_id, **extensions,
    }, ensure_ascii=False).encode()
    retry = f"retry-after: {extensions['retry_after_s']}\r\n" if "retry_after_s" in extensions else ""
    head = (f"HTTP/1.1 {status} {_PHRASES[status]}\r\ncontent-type: {PROBLEM_MEDIA_TYPE}\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\nx-request-id: {request_id}\r\n{retry}\r\n")
    return head.encode() + body


def _header_timeout_response(timeout_s: float) -> bytes:
    return raw_problem(
        408, "request.timeout",
        f"Requête incomplète : ligne de requête et en-têtes non reçus en {timeout_s:g} s ; la connexion est fermée. "
        "Vérifiez la connexion réseau, puis renvoyez la requête.",
        f"Incomplete request: request line and headers not received within {timeout_s:g} s; the connection is "
        "closed. Check the network connection, then send the request again.",
        reason="headers", header_timeout_s=timeout_s,
    )


def _refused_response(limit: int, retry_after_s: int) -> bytes:
    return raw_problem(
        503, "service.saturated",
        f"Trop de connexions ouvertes ({limit}), toutes avec une requête en cours : réessayez dans {retry_after_s} s.",
        f"Too many open connections ({limit}), all with a request in progress: retry in {retry_after_s} s.",
        reason="connections", retry_after_s=retry_after_s,
    )


_MALFORMED = raw_problem(
    400, "request.malformed",
    "Requête HTTP mal formée (ligne de requête, en-têtes ou découpage du corps) : elle est refusée et la connexion "
    "fermée. Vérifiez le client HTTP ou le mandataire placé devant le service.",
    "Malformed HTTP request (request line, headers or body framing): it is refused and the connection closed. "
    "Check the HTTP client or the proxy in front of the service.",
)


@functools.lru_cache(maxsize=1)
def _limits() -> tuple[float, float, int, int]:
    """This process's header and silence deadlines, connection cap and Retry-After (read once)."""
    settings = get_settings()
    return (settings.header_timeout_s, settings.idle_connection_timeout_s, settings.connection_limit(),
            settings.retry_after_s)


def _idle_registry(server_state: ServerState) -> "OrderedDict[GuardedH11Protocol, None]":
    """This server's idle connections, oldest first (one registry per uvicorn server)."""
    registry = getattr(server_state, "_preuves_idle", None)
    if registry is None:
        registry = OrderedDict()
        server_state._preuves_idle = registry  # type: ignore[attr-defined]
    return registry


class GuardedH11Protocol(H11Protocol):
    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timeout_s, self.silent_timeout_s, self.max_connections, self.retry_after_s = _limits()
        self._idle = _idle_registry(server_state)
        self._header_timer: asyncio.TimerHandle | None = None
        self._pending_bytes = 0  # bytes of a request head received since the connection went idle

    # -- state ------------------------------------------------------------------------------
    def _in_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _went_idle(self) -> None:
        self._pending_bytes = 0
        self._idle[self] = None
        self._idle.move_to_end(self)
        self._arm(self.silent_timeout_s * (1 - SILENT_JITTER * random.random()))

    def _arm(self, delay: float) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(delay, self._on_header_timeout)

    def _went_busy(self) -> None:
        self._idle.pop(self, None)
        self._cancel_header_timer()

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _close(self, response: bytes | None, reason: str) -> None:
        metrics.CONNECTIONS_CLOSED.labels(reason).inc()
        self._went_busy()
        # Out of the count now: the transport reports the loss only on a later loop iteration.
        self.connections.discard(self)
        if not self.transport.is_closing():
            if response:
                self.transport.write(response)
            self.transport.close()

    # -- uvicorn's protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._went_idle()
        if len(self.connections) > self.max_connections:
            oldest = next(iter(self._idle))
            if oldest is not self:
                oldest._close(None, "evicted")
            else:  # nothing idle to close: every other connection has a request in progress
                self._close(_refused_response(self.max_connections, self.retry_after_s), "refused")

    def data_received(self, data: bytes) -> None:
        first = not self._pending_bytes and not self._in_request()
        self._pending_bytes += len(data)
        before = self.cycle
        super().data_received(data)
        if self.cycle is not before and self._in_request():
            self._went_busy()  # a complete head: the request is the application's to time now
        elif first and data and not self._in_request() and not self.transport.is_closing():
            # A request has begun: its head is due within the header deadline, whatever the pace.
            self._arm(self.header_timeout_s * (1 - HEADER_JITTER * random.random()))

    def on_response_complete(self) -> None:
        before = self.cycle
        super().on_response_complete()
        if self.transport.is_closing():
            self._went_busy()
        elif self.cycle is not before and self._in_request():
            self._went_busy()  # a pipelined request was already waiting
        else:
            self._went_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self._went_busy()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self._close(_MALFORMED, "malformed")

    # -- timers -------------------------------------------------------------------------------
    def _on_header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self._in_request():
            return
        if self._pending_bytes:
            self._close(_header_timeout_response(self.header_timeout_s), "header_timeout")
        else:
            self._close(None, "idle_timeout")
