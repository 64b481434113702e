"""``application/problem+json`` (RFC 9457) for every 4xx/5xx, and its OpenAPI description.

One handler maps domain errors (:class:`~validator_core.errors.PreuvesError`, including the HTTP
layer's own in ``api/errors.py``) to problems; FastAPI's request validation errors, Starlette's
404/405 and any unexpected exception get the same shape, so a client parses one format.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.status import HTTP_500_INTERNAL_SERVER_ERROR

from api import language
from api.errors import NOT_FOUND, ApiError, FileTooLarge, Unauthorized, headers_of, status_of
from api.structured_logging import request_id_var
from validator_core.errors import PreuvesError

log = logging.getLogger("preuves.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:preuves:problem:"

TITLES = {
    400: "Requête invalide", 401: "Authentification requise", 403: "Accès refusé", 404: "Ressource introuvable",
    405: "Méthode non autorisée", 406: "Format de réponse non disponible", 408: "Délai de requête dépassé",
    413: "Requête trop volumineuse",
    415: "Type de contenu non pris en charge", 422: "Requête invalide", 429: "Service saturé",
    500: "Erreur interne", 503: "Service indisponible",
}
TITLES_EN = {
    400: "Bad request", 401: "Authentication required", 403: "Access denied", 404: "Not found",
    405: "Method not allowed", 406: "Response format not available", 408: "Request timeout",
    413: "Request too large",
    415: "Unsupported content type", 422: "Invalid request", 429: "Service saturated",
    500: "Internal error", 503: "Service unavailable",
}


class Problem(BaseModel):
    """An error (RFC 9457). ``code`` is stable (see docs/http.md); ``title`` and ``detail`` are in the answer's
    language (``Content-Language``: French, or English with ``lang=en`` / ``Accept-Language: en``),
    ``detail_en`` always English."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI du type de problème (urn:preuves:problem:<code>)")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="Explication et ce qu'il faut faire, dans la langue de la réponse (français par "
                                    "défaut ; `lang=en` ou `Accept-Language: en` : anglais)")
    detail_en: str | None = Field(default=None, description="La même explication, toujours en anglais")
    code: str = Field(description="Code stable du problème")
    instance: str | None = Field(default=None, description="Chemin de la requête")
    request_id: str | None = Field(default=None, description="Identifiant de la requête (en-tête X-Request-ID)")


def problem_response(
    status: int, code: str, detail: str, *, detail_en: str | None = None, title: str | None = None,
    title_en: str | None = None, instance: str | None = None, headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem in the request's language (:func:`api.language.current`): ``detail`` / ``title`` are the
    French texts, ``detail_en`` / ``title_en`` the English ones (by status when not given)."""
    english = language.current() == "en"
    title_en = title_en or TITLES_EN.get(status, "Error")
    title = title or TITLES.get(status, "Erreur")
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title_en if english else title,
        "status": status,
        "detail": (detail_en or detail) if english else detail,
        "detail_en": detail_en or detail,
        "code": code,
        "instance": instance,
        "request_id": request_id_var.get(),
    }
    for key, value in extensions.items():
        body.setdefault(key, value)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def error_response(exc: PreuvesError, instance: str | None, headers: dict[str, str] | None = None) -> JSONResponse:
    """The problem of a domain error (its status, headers, title and details)."""
    api_error = isinstance(exc, ApiError)
    return problem_response(status_of(exc), exc.code, exc.message, detail_en=exc.message_en,
                            title=exc.title if api_error else None, title_en=exc.title_en if api_error else None,
                            instance=instance, headers=headers if headers is not None else headers_of(exc),
                            **exc.details)


async def preuves_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PreuvesError)
    return error_response(exc, request.url.path)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
    return problem_response(
        422, "request.invalid", "La requête ne respecte pas le schéma de l'API : corrigez les paramètres que liste "
        "« errors » (la description de chaque route : /docs).",
        detail_en="The request does not match the API schema: fix the parameters “errors” lists (each route's "
                  "description: /docs).", instance=request.url.path, errors=errors,
    )


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "http.not_found", 405: "http.method_not_allowed"}.get(exc.status_code, f"http.{exc.status_code}")
    detail = {404: NOT_FOUND[0], 405: "Méthode non autorisée pour cette adresse : vérifiez-la (les méthodes de chaque "
                                        "adresse : /docs)."}.get(exc.status_code, str(exc.detail))
    detail_en = {404: NOT_FOUND[1], 405: "Method not allowed for this address: check it (each address's methods: "
                                         "/docs)."}.get(exc.status_code, str(exc.detail))
    return problem_response(exc.status_code, code, detail, detail_en=detail_en, instance=request.url.path,
                            headers=dict(exc.headers or {}))


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # The exception (type and traceback) goes to the log, never its message to the client: it may
    # quote a path or a file's content.
    log.error("unexpected error", exc_info=exc)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR, "service.internal_error",
        "Erreur interne du service ; l'identifiant de requête permet de la retrouver dans les journaux.",
        detail_en="Internal error; the request id locates it in the logs.", instance=request.url.path,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(PreuvesError, preuves_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)


# -- OpenAPI ----------------------------------------------------------------------------------
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}



def _example(error: ApiError) -> dict[str, Any]:
    """The French problem body of ``error`` (its text is the one the service sends)."""
    return {"type": TYPE_PREFIX + error.code, "title": error.title, "status": error.status, "detail": error.message,
            "code": error.code, **error.details}


EXAMPLES: dict[int, dict[str, Any]] = {
    401: {**_example(Unauthorized()), "request_id": "3f2c9a…"},
    413: _example(FileTooLarge(size=60_000_000, complete=True, limit=50_000_000, proof_type="video",
                               label=("Vidéo", "Video"), index=0, filename="demo.mp4")),
    422: {"type": TYPE_PREFIX + "request.unknown_proof_type", "title": "Requête invalide", "status": 422,
          "detail": "Type de preuve inconnu : « vidéo ». Types valides : video, screenshot, report_link, logs, pdf_report.",
          "code": "request.unknown_proof_type", "proof_type": "vidéo",
          "valid": ["video", "screenshot", "report_link", "logs", "pdf_report"]},
    429: {"type": TYPE_PREFIX + "service.saturated", "title": "Service saturé", "status": 429,
          "detail": "Trop de validations en cours (32) : réessayez dans 5 s.", "code": "service.saturated",
          "retry_after_s": 5},
    408: {"type": TYPE_PREFIX + "request.timeout", "title": "Délai de requête dépassé", "status": 408,
          "detail": "Envoi trop lent (moins de 10000 octets par seconde pendant 30 s) : l'envoi est abandonné et le "
                    "fichier n'a pas été examiné. Vérifiez la connexion réseau, puis renvoyez le fichier.",
          "code": "request.timeout", "reason": "slow", "min_rate_bytes": 10000, "window_s": 30},
    503: {"type": TYPE_PREFIX + "engine.unavailable", "title": "Service indisponible", "status": 503,
          "detail": "Le moteur de validation est momentanément indisponible : le fichier n'a pas été examiné. "
                    "Réessayez dans 5 s ; si le problème persiste, prévenez l'exploitant du service.",
          "code": "engine.unavailable", "reason": "workers cannot start", "retry_after_s": 5},
}

DESCRIPTIONS = {
    401: "Clé d'API absente ou invalide (quand des clés sont configurées).",
    413: "Fichier au-delà de la limite de son type (`file.too_large` : `limit`, `limit_mo`, `proof_type`, `size`), "
         "dit dès qu'il la dépasse quand `proof_type` précède `file` ; ou corps au-delà du plafond du service "
         "(`request.body_too_large`, même sans Content-Length ou en chunked). Dans un lot ou un dossier, un fichier "
         "au-delà de la limite de son type mais sous le plafond par fichier a son rapport `rejected`.",
    422: "Requête invalide : `proof_type` inconnu (le corps liste `valid`), `lang` inconnue, champ `file` absent, "
         "multipart mal formé.",
    400: "Requête HTTP ambiguë (`Transfer-Encoding` et `Content-Length` ensemble : `request.ambiguous_framing`).",
    408: "Corps reçu trop lentement ou interrompu (`request.timeout`) ; le fichier n'a pas été examiné.",
    429: "Trop de validations en cours (`service.saturated`), ou trop pour cet appelant (`rate_limit.in_flight`) ; "
         "réessayer après `Retry-After` secondes.",
    503: "Moteur indisponible (`engine.unavailable` : le fichier n'a pas été examiné) ou service non démarré "
         "(`service.unavailable`) ; réessayer après `Retry-After` secondes.",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each status documented as a problem with an example."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        content: dict[str, Any] = {"schema": PROBLEM_REF}
        if status in EXAMPLES:
            content["example"] = EXAMPLES[status]
        headers = {}
        if status in (429, 503):
            headers["Retry-After"] = {"description": "Secondes avant de réessayer", "schema": {"type": "integer"}}
        entry: dict[str, Any] = {"description": DESCRIPTIONS.get(status, TITLES.get(status, "Erreur")),
                                 "content": {PROBLEM_MEDIA_TYPE: content}}
        if headers:
            entry["headers"] = headers
        out[status] = entry
    return out
