"""Per-caller rate limit on ``/v1/*``: a token bucket per caller, in this process's memory.

The caller is the API key when keys are configured and the request presents a valid one (identified
by a hash of the key, never the key itself), else the client address: the socket peer's, or the
address forwarded by one of ``PREUVES_TRUSTED_PROXIES`` (``api/callers.py``). A wrong key does not
open a bucket of its own: such a request is counted against its address (and answered 401 by the
route).

Each bucket holds ``PREUVES_RATE_LIMIT_BURST`` tokens and refills at ``PREUVES_RATE_LIMIT_PER_MIN``
per minute; a request takes one token (a batch or a dossier counts as one request: the in-flight
queue bounds the work). An empty bucket answers 429 ``rate_limit.exceeded`` with ``Retry-After``:
the seconds until a token is back. Health, metrics, documentation and the web page are not limited.

Without Redis the buckets are in-process: with several HTTP processes (``preuves serve --workers N``)
each has its own, so a caller gets up to N times the limit. With Redis configured
(``PREUVES_JOBS_BROKER=redis://…``, the replicas' shared state) every process and replica counts in
Redis instead (:class:`SharedLimits`, the ``limits`` library): one limit for the whole service.

A plain ASGI middleware (like ``api/middleware.py``): it answers before the body is read and never
wraps the upload stream.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from typing import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from api import metrics_collector as metrics
from api.callers import caller_of, key_identity  # noqa: F401 - key_identity: part of this module's API
from api.errors import ApiError
from api.problems import error_response
from api.settings import ApiSettings

log = logging.getLogger("preuves.api")

LIMITED_PREFIX = "/v1/"
MAX_CALLERS = 10_000  # buckets kept; past it the least recently seen go (they are the fullest)


class RateLimited(ApiError):
    status = 429
    code = "rate_limit.exceeded"
    title = "Trop de requêtes"
    title_en = "Too many requests"

    def __init__(self, retry_after_s: int, per_min: int) -> None:
        super().__init__(
            f"Trop de requêtes pour cet appelant (limite : {per_min} par minute) : réessayez dans {retry_after_s} s.",
            f"Too many requests from this caller (limit: {per_min} per minute): retry in {retry_after_s} s.",
            headers={"Retry-After": str(retry_after_s)},
            retry_after_s=retry_after_s, limit_per_min=per_min,
        )


class TokenBuckets:
    """Token buckets by caller id; thread-safe; memory bounded by ``max_callers``."""

    def __init__(self, per_min: int, capacity: int, *, max_callers: int = MAX_CALLERS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_min / 60.0  # tokens per second
        self.capacity = float(capacity)
        self.max_callers = max_callers
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # caller → (tokens, at)
        self._lock = threading.Lock()

    def take(self, caller: str) -> float:
        """Take a token for ``caller``: 0 when granted, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(caller, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[caller] = (tokens, now)  # most recent last
            while len(self._buckets) > self.max_callers:
                # The least recently seen caller: evicting it gives it a full bucket back, which an
                # idle caller would have by now anyway.
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)


class SharedLimits:
    """The limit shared by every replica: ``limits``' sliding-window counters in Redis.

    Two windows make the bucket's two numbers: ``per_min`` a minute, and at most ``capacity`` in the
    time the rate takes to earn them (the burst). A Redis that does not answer lets requests through
    (the service keeps working; the jobs routes answer 503 on their own) and is logged.
    """

    def __init__(self, url: str, per_min: int, capacity: int) -> None:
        from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
        from limits.storage import storage_from_string
        from limits.strategies import SlidingWindowCounterRateLimiter

        self.limiter = SlidingWindowCounterRateLimiter(storage_from_string(url, socket_timeout=1, socket_connect_timeout=1))
        self.items = (RateLimitItemPerMinute(per_min, namespace="preuves-rate"),
                      RateLimitItemPerSecond(capacity, max(1, math.ceil(capacity * 60 / per_min)), namespace="preuves-burst"))

    def take(self, caller: str) -> float:
        """0 when granted (counted in every window), else the seconds until the fullest window frees one."""
        try:
            if all(self.limiter.test(item, caller) for item in self.items):
                for item in self.items:
                    self.limiter.hit(item, caller)
                return 0.0
            now = time.time()
            return max(max(0.0, self.limiter.get_window_stats(item, caller).reset_time - now)
                       for item in self.items if not self.limiter.test(item, caller)) or 1.0
        except Exception:  # noqa: BLE001 - redis-py's errors, raised through limits' storage
            log.warning("shared rate limit unavailable (Redis): request let through")
            return 0.0


class RateLimitMiddleware:
    """429 + ``Retry-After`` when a caller's bucket is empty (``/v1/*`` only)."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.per_min = settings.rate_limit_per_min
        self.keys = [k.get_secret_value() for k in settings.api_keys]
        self.buckets: TokenBuckets | SharedLimits | None = None
        if self.per_min > 0 and settings.jobs_broker:
            self.buckets = SharedLimits(settings.jobs_broker, self.per_min, settings.rate_limit_capacity)
        elif self.per_min > 0:
            self.buckets = TokenBuckets(self.per_min, settings.rate_limit_capacity)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.buckets is None or scope["type"] != "http" or scope.get("method") == "OPTIONS"
                or not scope.get("path", "").startswith(LIMITED_PREFIX)):
            await self.app(scope, receive, send)
            return
        kind, caller = caller_of(scope, self.keys)
        wait = self.buckets.take(caller)
        if not wait:
            await self.app(scope, receive, send)
            return
        metrics.RATE_LIMITED.labels(kind).inc()
        error = RateLimited(max(1, math.ceil(wait)), self.per_min)
        headers = dict(error.headers)
        if scope.get("method") not in ("GET", "HEAD"):
            # The body is not read: close the connection rather than reuse it with an upload left in it.
            headers["Connection"] = "close"
        response = error_response(error, scope.get("path"), headers)
        await response(scope, receive, send)
