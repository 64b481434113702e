"""Request id, access log and HTTP metrics; refusal of ambiguous framing. Plain ASGI middlewares.

(Not ``BaseHTTPMiddleware``: it would wrap the streamed upload body in another task and queue.)
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics_collector as metrics
from api.errors import AmbiguousFraming
from api.language import first_header
from api.problems import error_response
from api.structured_logging import request_id_var

log = logging.getLogger("preuves.api.access")

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# Methods that get their own metric label; anything else a client makes up is "other" (a label per
# made-up method would grow /metrics without bound).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"})


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


# Fields a route adds to the access line (verdict, proof type, sizes): never names or contents.
log_fields_var: ContextVar[dict[str, Any] | None] = ContextVar("preuves_log_fields", default=None)


def add_log_fields(**fields: Any) -> None:
    current = log_fields_var.get()
    if current is not None:
        current.update(fields)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = first_header(scope, b"x-request-id") or ""
        # A caller's id is kept when it is a plain token (it ends up in logs: no injection).
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        id_token = request_id_var.set(request_id)
        fields: dict[str, Any] = {}
        fields_token = log_fields_var.set(fields)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = method_label(scope["method"])
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.REQUEST_DURATION.labels(route).observe(elapsed)
            if route not in ("/healthz", "/readyz", "/metrics") or status >= 400:
                log.info(
                    "request",
                    extra={"method": method, "route": route, "status": status,
                           "duration_ms": round(elapsed * 1000, 1), **fields},
                )
            log_fields_var.reset(fields_token)
            request_id_var.reset(id_token)


class FramingGuardMiddleware:
    """400 for a request that has both ``Transfer-Encoding`` and ``Content-Length``.

    Its length is ambiguous (RFC 9112 § 6.1: the message may be a smuggling attempt, read one way by a
    proxy in front and another way here). h11 reads such a body as chunked and goes on; the rule is
    enforced here, at the application, so that it holds whatever the HTTP server in front of it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = {k for k, _ in scope["headers"] if k in (b"transfer-encoding", b"content-length")}
            if len(names) == 2:
                error = AmbiguousFraming()
                response = error_response(error, scope.get("path"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
