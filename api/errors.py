"""Errors of the HTTP layer, as domain errors (:class:`~validator_core.errors.PreuvesError`).

Routes and helpers raise these (never ``HTTPException``); one handler (``api/problems.py``) turns
every :class:`PreuvesError` into ``application/problem+json`` with the status given here.
"""

from __future__ import annotations

from validator_core.errors import PreuvesError, UnknownProofType, UnsupportedLanguage

# Library errors are bad requests; their status in HTTP.
CORE_STATUS: dict[type[PreuvesError], int] = {UnknownProofType: 422, UnsupportedLanguage: 422}


class ApiError(PreuvesError):
    """An error of the service; ``status`` is its HTTP status, ``headers`` go with the response."""

    status = 422
    title = "Requête invalide"

    def __init__(self, message: str, message_en: str | None = None, *, headers: dict[str, str] | None = None,
                 close: bool = False, **details: object) -> None:
        super().__init__(message, message_en, **details)
        self.headers = dict(headers or {})
        if close:  # the request body was not read to its end: the connection cannot be reused
            self.headers["Connection"] = "close"


class BadRequest(ApiError):
    code = "request.invalid"


class MissingFile(BadRequest):
    code = "request.missing_file"

    def __init__(self, field: str = "file") -> None:
        super().__init__(
            f"Le champ « {field} » (le fichier de preuve) est absent de la requête multipart/form-data.",
            f"The “{field}” field (the proof file) is missing from the multipart/form-data request.",
            field=field,
        )


class BadMultipart(BadRequest):
    code = "request.bad_multipart"


class Unauthorized(ApiError):
    status = 401
    code = "auth.unauthorized"
    title = "Authentification requise"

    def __init__(self) -> None:
        super().__init__(
            "Clé d'API absente ou invalide (en-tête « Authorization: Bearer <clé> » ou « X-API-Key »).",
            "Missing or invalid API key (“Authorization: Bearer <key>” or “X-API-Key” header).",
            headers={"WWW-Authenticate": 'Bearer realm="preuves"'},
        )


class BodyTooLarge(ApiError):
    status = 413
    code = "request.body_too_large"
    title = "Requête trop volumineuse"

    def __init__(self, limit: int, *, close: bool) -> None:
        super().__init__(
            f"Le corps de la requête dépasse le plafond du service ({limit} octets).",
            f"The request body is over the service's cap ({limit} bytes).",
            close=close,
            limit=limit,
        )


class Saturated(ApiError):
    status = 429
    code = "service.saturated"
    title = "Service saturé"

    def __init__(self, retry_after_s: int, in_flight: int) -> None:
        super().__init__(
            f"Trop de validations en cours ({in_flight}) : réessayez dans {retry_after_s} s.",
            f"Too many validations in progress ({in_flight}): retry in {retry_after_s} s.",
            headers={"Retry-After": str(retry_after_s)},
            retry_after_s=retry_after_s,
        )


class Unavailable(ApiError):
    status = 503
    code = "service.unavailable"
    title = "Service indisponible"

    def __init__(self, reason: str, retry_after_s: int) -> None:
        super().__init__(
            f"Service indisponible ({reason}) : réessayez dans {retry_after_s} s.",
            f"Service unavailable ({reason}): retry in {retry_after_s} s.",
            headers={"Retry-After": str(retry_after_s)},
            reason=reason,
            retry_after_s=retry_after_s,
        )


def status_of(exc: PreuvesError) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    for cls in type(exc).__mro__:
        if cls in CORE_STATUS:
            return CORE_STATUS[cls]
    return 422
