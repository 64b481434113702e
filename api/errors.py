"""Errors of the HTTP layer, as domain errors (:class:`~validator_core.errors.PreuvesError`).

Routes and helpers raise these (never ``HTTPException``); one handler (``api/problems.py``) turns
every :class:`PreuvesError` into ``application/problem+json`` with the status given here.
"""

from __future__ import annotations

from validator_core.errors import EngineUnavailable, PreuvesError, UnknownProofType, UnsupportedLanguage

# Library errors: bad requests, or an engine that could not examine the file (never a verdict).
CORE_STATUS: dict[type[PreuvesError], int] = {UnknownProofType: 422, UnsupportedLanguage: 422, EngineUnavailable: 503}


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


class StaticNotFound(ApiError):
    """A file of the pre-check page or of /docs that is not in the served list."""

    status = 404
    code = "http.not_found"
    title = "Ressource introuvable"


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

    def __init__(self, retry_after_s: int, in_flight: int, *, close: bool = False) -> None:
        super().__init__(
            f"Trop de validations en cours ({in_flight}) : réessayez dans {retry_after_s} s.",
            f"Too many validations in progress ({in_flight}): retry in {retry_after_s} s.",
            headers={"Retry-After": str(retry_after_s)}, close=close,
            retry_after_s=retry_after_s,
        )


class CallerBusy(ApiError):
    status = 429
    code = "rate_limit.in_flight"
    title = "Trop de requêtes en cours"

    def __init__(self, retry_after_s: int, limit: int) -> None:
        super().__init__(
            f"Cet appelant a déjà {limit} requêtes de validation en cours (sa part de la file du service) : "
            f"attendez leurs réponses, puis réessayez dans {retry_after_s} s.",
            f"This caller already has {limit} validation requests in progress (its share of the service's "
            f"queue): wait for their answers, then retry in {retry_after_s} s.",
            headers={"Retry-After": str(retry_after_s)}, close=True,
            retry_after_s=retry_after_s, limit=limit,
        )


class UploadTimeout(ApiError):
    """The body came too slowly (or stopped): the upload is abandoned, the file was not examined."""

    status = 408
    code = "request.timeout"
    title = "Délai de requête dépassé"

    def __init__(self, reason: str, *, idle_s: float, min_rate: int, window_s: float, received: int) -> None:
        if reason == "idle":
            fr = (f"Aucun octet du fichier reçu depuis {idle_s:g} s : l'envoi est abandonné et le fichier n'a pas "
                  "été examiné. Vérifiez la connexion réseau, puis renvoyez le fichier.")
            en = (f"No byte of the file received for {idle_s:g} s: the upload is abandoned and the file was not "
                  "examined. Check the network connection, then send the file again.")
        else:
            fr = (f"Envoi trop lent (moins de {min_rate} octets par seconde pendant {window_s:g} s) : l'envoi est "
                  "abandonné et le fichier n'a pas été examiné. Vérifiez la connexion réseau, puis renvoyez le fichier.")
            en = (f"Upload too slow (under {min_rate} bytes per second for {window_s:g} s): the upload is abandoned "
                  "and the file was not examined. Check the network connection, then send the file again.")
        super().__init__(fr, en, close=True, reason=reason, idle_timeout_s=idle_s, min_rate_bytes=min_rate,
                         window_s=window_s, received_bytes=received)


class AmbiguousFraming(ApiError):
    status = 400
    code = "request.ambiguous_framing"
    title = "Requête invalide"

    def __init__(self) -> None:
        super().__init__(
            "La requête porte à la fois Transfer-Encoding et Content-Length : sa longueur est ambiguë (RFC 9112 § 6.1), "
            "elle est refusée. Envoyez l'un ou l'autre ; si un mandataire ajoute l'en-tête, corrigez sa configuration.",
            "The request has both Transfer-Encoding and Content-Length: its length is ambiguous (RFC 9112 § 6.1), it is "
            "refused. Send one or the other; if a proxy adds the header, fix its configuration.",
            close=True,
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


def headers_of(exc: PreuvesError) -> dict[str, str] | None:
    if isinstance(exc, ApiError):
        return exc.headers
    if isinstance(exc, EngineUnavailable):
        return {"Retry-After": str(exc.retry_after_s)}
    return None


def status_of(exc: PreuvesError) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    for cls in type(exc).__mro__:
        if cls in CORE_STATUS:
            return CORE_STATUS[cls]
    return 422
