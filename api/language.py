"""The language of each answer: French, or English when the client asks for it.

One choice per request, made in one place and read by every answer (reports, dossiers, jobs,
problem+json titles and details):

1. a ``lang`` field of the request's form or JSON body (the contract's field), when the route has one;
2. else the ``?lang=`` query parameter (every route takes it);
3. else ``Accept-Language``, by q-value (``en-GB`` is English; a language the service does not speak
   is skipped; ``*`` or nothing it speaks: French);
4. else French.

An explicit ``lang`` (field or query) other than ``fr``/``en`` is a 422 ``request.unsupported_lang``; a
header the service cannot satisfy is not an error (the answer is French). :class:`LanguageMiddleware`
makes the first choice from the query and header before routing, so that answers given before a route
runs (404, 401, 429, a refused framing) are in that language too, and writes ``Content-Language`` and
``Vary: Accept-Language`` on every ``/v1/*`` answer and every problem.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Query
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from validator_core.messages import LANGS
from validator_core.service import request_lang

DEFAULT = "fr"


class _Chosen:
    """The request's language, changed by a route that reads a ``lang`` field in the body."""

    __slots__ = ("lang",)

    def __init__(self, lang: str) -> None:
        self.lang = lang


# A mutable holder rather than the value: a route running in a thread (which gets a copy of the
# context) still updates the choice the middleware writes in Content-Language.
_chosen: ContextVar[_Chosen | None] = ContextVar("preuves_lang", default=None)


def current() -> str:
    """The language chosen for the answer being made (French outside a request)."""
    chosen = _chosen.get()
    return chosen.lang if chosen is not None else DEFAULT


def from_accept_language(header: str | None) -> str | None:
    """The best language of ``header`` the service speaks (``fr``/``en``), or None.

    ``en-GB;q=0.8, de, fr;q=0.5`` → ``en`` (de is skipped, en outranks fr). Ties keep the header's
    order; ``q=0`` refuses a language; ``*`` stands for French.
    """
    best: tuple[float, int, str] | None = None
    for position, item in enumerate((header or "").split(",")[:32]):  # a longer list is not a real one
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        primary = DEFAULT if primary == "*" else primary
        if primary not in LANGS:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if best is None or (q, -position) > (best[0], -best[1]):
            best = (q, position, primary)
    return best[2] if best else None


def negotiate(query_lang: str | None, accept_language: str | None) -> str:
    """The language from ``?lang=`` (when it is one the service speaks), else from the header."""
    if query_lang in LANGS:
        return query_lang
    return from_accept_language(accept_language) or DEFAULT


def choose(field: str | None) -> str:
    """The answer's language once a route has read its ``lang`` field: the field when given
    (:class:`~validator_core.errors.UnsupportedLanguage` when it is not ``fr``/``en``), else the
    negotiated one."""
    if not field:
        return current()
    return answer_in(request_lang(field))


def answer_in(lang: str) -> str:
    """Say that the answer is in ``lang`` (a stored job's result keeps the language it was made in)."""
    chosen = _chosen.get()
    if chosen is not None:
        chosen.lang = lang
    return lang


async def answer_lang(
    lang: Annotated[str | None, Query(
        description="Langue de la réponse : `fr` (défaut) ou `en`. Prime sur `Accept-Language` ; le champ `lang` "
                    "d'un formulaire prime sur les deux.", json_schema_extra={"enum": list(LANGS)})] = None,
) -> str:
    """The dependency of every ``/v1/*`` route: checks an explicit ``?lang=`` (422 when unknown) and gives the
    negotiated language."""
    if lang:
        request_lang(lang)
    return current()


LangDep = Annotated[str, Depends(answer_lang)]
LANG_DEPENDENCY = Depends(answer_lang)


def first_header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) in an ASGI scope, or None."""
    return next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == name), None)


class LanguageMiddleware:
    """Choose the request's language before routing; write ``Content-Language`` and ``Vary``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        chosen = _Chosen(negotiate(query.get("lang"), first_header(scope, b"accept-language")))
        token = _chosen.set(chosen)
        path = scope.get("path", "")

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if path.startswith("/v1/") or content_type.startswith(b"application/problem+json"):
                    headers = _with_language(headers, chosen.lang)
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_language)
        finally:
            _chosen.reset(token)


def _with_language(headers: list[tuple[bytes, bytes]], lang: str) -> list[tuple[bytes, bytes]]:
    out = [(k, v) for k, v in headers if k.lower() not in (b"content-language", b"vary")]
    vary = [v.decode("latin-1") for k, v in headers if k.lower() == b"vary"]
    names = [n.strip() for value in vary for n in value.split(",") if n.strip()]
    if not any(n.lower() == "accept-language" for n in names):
        names.append("Accept-Language")
    out.append((b"vary", ", ".join(names).encode("latin-1")))
    out.append((b"content-language", lang.encode()))
    return out
