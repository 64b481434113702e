"""A job's callback: its ended state POSTed to the caller's ``callback_url``, signed, retried.

The URL is checked when the job is created (:func:`check_callback_url`): ``http``/``https`` to a
host of ``PREUVES_CALLBACK_HOSTS`` only, so that the service never calls an arbitrary address (it
would otherwise reach whatever its own network reaches). Redirects are not followed, for the same
reason.

The body is the job as ``GET /v1/jobs/{id}`` gives it; ``X-Preuves-Signature: sha256=<hex>`` is the
HMAC-SHA256 of those exact bytes with ``PREUVES_CALLBACK_SECRET``: the portal recomputes it to know
the call comes from us. A 2xx answer is a delivery; anything else (or no answer) is retried after
``PREUVES_CALLBACK_BACKOFF_S``, doubled each time, ``PREUVES_CALLBACK_ATTEMPTS`` times in all. A
delivery still owed when the process stops is made by the next one (``callback_status`` ``pending``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from urllib.parse import urlsplit

import httpx

from api import metrics_collector as metrics
from api.errors import ApiError
from api.jobs.store import Job, JobStore
from api.settings import ApiSettings

log = logging.getLogger("preuves.jobs")

SIGNATURE_HEADER = "X-Preuves-Signature"


class CallbackRefused(ApiError):
    status = 422
    code = "job.callback_refused"

    def __init__(self, url: str, reason: str, reason_en: str) -> None:
        super().__init__(f"callback_url refusé : {reason}.", f"callback_url refused: {reason_en}.",
                         field="callback_url", url=url[:200])


def check_callback_url(url: str, settings: ApiSettings) -> str:
    """``url`` when the service may call it; :class:`CallbackRefused` saying why not."""
    if not settings.callback_hosts or settings.callback_secret is None:
        raise CallbackRefused(url, "ce service n'accepte pas de callback (PREUVES_CALLBACK_HOSTS et "
                                   "PREUVES_CALLBACK_SECRET non définis)",
                              "this service accepts no callback (PREUVES_CALLBACK_HOSTS and PREUVES_CALLBACK_SECRET unset)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise CallbackRefused(url, "URL invalide", "invalid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise CallbackRefused(url, "seules les URL http(s)://hôte/… sans identifiants sont acceptées",
                              "only http(s)://host/… URLs without credentials are accepted")
    host = parts.hostname.lower()
    allowed = {h.lower() for h in settings.callback_hosts}
    if host not in allowed and (port is None or f"{host}:{port}" not in allowed):
        raise CallbackRefused(url, f"l'hôte {host} n'est pas dans PREUVES_CALLBACK_HOSTS",
                              f"host {host} is not in PREUVES_CALLBACK_HOSTS")
    return url


def sign(body: bytes, secret: str) -> str:
    """The ``X-Preuves-Signature`` value of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class CallbackSender:
    """Delivers callbacks from daemon threads (a slow portal never holds a job runner)."""

    def __init__(self, settings: ApiSettings, store: JobStore, stopping: threading.Event) -> None:
        self.settings = settings
        self.store = store
        self.stopping = stopping

    def deliver(self, job: Job) -> None:
        if job.request.get("callback_url"):
            threading.Thread(target=self._send, args=(job,), name=f"callback-{job.id[:8]}", daemon=True).start()

    def resume(self) -> None:
        """Deliver what a stopped process still owed."""
        for job in self.store.pending_callbacks():
            self.deliver(job)

    def _send(self, job: Job) -> None:
        assert self.settings.callback_secret is not None  # checked when the job was created
        url = job.request["callback_url"]
        body = json.dumps(job.to_public(), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.settings.callback_secret.get_secret_value()),
                   "X-Preuves-Job": job.id}
        delay = self.settings.callback_backoff_s
        for attempt in range(1, self.settings.callback_attempts + 1):
            try:
                answer = httpx.post(url, content=body, headers=headers, timeout=self.settings.callback_timeout_s,
                                    follow_redirects=False)
                if 200 <= answer.status_code < 300:
                    self.store.set_callback_status(job.id, "delivered")
                    metrics.CALLBACKS.labels("delivered").inc()
                    return
                reason = f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            log.warning("callback not delivered", extra={"job": job.id, "attempt": attempt, "reason": reason})
            if attempt == self.settings.callback_attempts or self.stopping.wait(delay):
                break  # out of attempts, or stopping (still pending: the next process sends it)
            metrics.CALLBACKS.labels("retry").inc()
            delay *= 2
        if not self.stopping.is_set():
            self.store.set_callback_status(job.id, "failed")
            metrics.CALLBACKS.labels("abandoned").inc()
