"""Errors of the HTTP layer, as domain errors (:class:`~validator_core.errors.PreuvesError`).

Routes and helpers raise these (never ``HTTPException``); one handler (``api/problems.py``) turns
every :class:`PreuvesError` into ``application/problem+json`` with the status given here.
"""

from __future__ import annotations

from validator_core.errors import EngineUnavailable, PreuvesError, UnknownProofType, UnsupportedLanguage
from validator_core.messages import SIZE_ADVICE, Message
from validator_core.wording import size as size_text

# Library errors: bad requests, or an engine that could not examine the file (never a verdict).
CORE_STATUS: dict[type[PreuvesError], int] = {UnknownProofType: 422, UnsupportedLanguage: 422, EngineUnavailable: 503}


class ApiError(PreuvesError):
    """An error of the service; ``status`` is its HTTP status, ``headers`` go with the response."""

    status = 422
    title = "Requête invalide"
    title_en = "Invalid request"

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
            f"Le champ « {field} » (le fichier de preuve) est absent de la requête multipart/form-data : joignez-y "
            "le fichier (curl -F file=@preuve.pdf).",
            f"The “{field}” field (the proof file) is missing from the multipart/form-data request: attach the file "
            "to it (curl -F file=@proof.pdf).",
            field=field,
        )


class BadMultipart(BadRequest):
    code = "request.bad_multipart"


NOT_FOUND = ("Aucune ressource à cette adresse : vérifiez-la (les adresses du service : /docs).",
             "Nothing at this address: check it (the service's addresses: /docs).")


class StaticNotFound(ApiError):
    """A file of the pre-check page or of /docs that is not in the served list."""

    status = 404
    code = "http.not_found"
    title = "Ressource introuvable"
    title_en = "Not found"


class Unauthorized(ApiError):
    status = 401
    code = "auth.unauthorized"
    title = "Authentification requise"
    title_en = "Authentication required"

    def __init__(self) -> None:
        super().__init__(
            "Clé d'API absente ou invalide : envoyez-la dans l'en-tête « Authorization: Bearer <clé> » ou "
            "« X-API-Key » ; sans clé, demandez-en une à l'exploitant du service.",
            "Missing or invalid API key: send it in the “Authorization: Bearer <key>” or “X-API-Key” header; "
            "without a key, ask the service's operator for one.",
            headers={"WWW-Authenticate": 'Bearer realm="preuves"'},
        )


class BodyTooLarge(ApiError):
    """A request body over the service's cap that no single file explains (a batch, a dossier or a job
    too big as a whole, a JSON body): the files of one file too large get :class:`FileTooLarge`."""

    status = 413
    code = "request.body_too_large"
    title = "Requête trop volumineuse"
    title_en = "Request too large"

    def __init__(self, limit: int, *, close: bool) -> None:
        super().__init__(
            f"Le corps de la requête dépasse le plafond du service ({size_text(limit)}) : envoyez les fichiers en "
            "plusieurs requêtes.",
            f"The request body is over the service's cap ({size_text(limit, 'en')}): send the files in several "
            "requests.",
            close=close,
            limit=limit,
        )


# What to do with a file over its type's limit, by proof type: the engine's own advice for the content a
# type is filed as (validator_core.messages.SIZE_ADVICE, which the ``file.too_large`` message picks by the
# file's content); a refusal made while the file arrives knows its type, not yet its content.
SHRINK = {"video": SIZE_ADVICE["video"], "screenshot": SIZE_ADVICE["image"],
          "pdf_report": SIZE_ADVICE["application/pdf"]}
SHRINK_OTHER = SIZE_ADVICE["other"]
SHRINK_ANY = Message("Compressez le fichier (une vidéo en H.264), baissez sa définition ou découpez-le en plusieurs "
                     "fichiers.",
                     "Compress the file (a video in H.264), lower its resolution or split it into several files.")


class FileTooLarge(ApiError):
    """A file over its proof type's size limit: 413 ``file.too_large``, whether the service saw it while
    receiving (the type given before the file: nothing past the limit is stored) or once the engine
    knew the type (given after the file, inferred, or from the requirement).

    :param size: bytes of the file received; the whole file when ``complete``, else reading stopped
        there (the file is larger); None when the body was refused on its announced length.
    :param limit: the type's limit, or the largest of all types when the type is not known (the file
        is then over every type's limit); the service's cap when an operator set it lower.
    :param label: the type's name (French, English), None when not known.
    :param body_limit: the service's cap when the file is over it: such a 413 was
        ``request.body_too_large`` before, which ``aliases`` names for the clients that test it.
    """

    status = 413
    code = "file.too_large"
    title = "Fichier trop volumineux"
    title_en = "File too large"

    def __init__(self, *, size: int | None, complete: bool, limit: int, proof_type: str | None,
                 label: tuple[str, str] | None, declared: int | None = None, body_limit: int | None = None,
                 index: int | None = None, filename: str | None = None, close: bool = False) -> None:
        by_service = body_limit is not None and limit >= body_limit  # the cap, not the type, set this limit
        texts = []
        for lang, fr in (("fr", True), ("en", False)):
            limit_text = size_text(limit, lang)
            if size is None:
                subject = f"L'envoi annonce {size_text(declared or 0)}" if fr else \
                    f"The upload announces {size_text(declared or 0, lang)}"
            elif complete:
                subject = (f"Le fichier pèse {size_text(size)}, {size_text(size - limit)} de plus que" if fr else
                           f"The file is {size_text(size, lang)}, {size_text(size - limit, lang)} over")
            else:
                subject = (f"Le fichier fait plus de {size_text(size)}, au-delà de" if fr else
                           f"The file is over {size_text(size, lang)}, beyond")
            if size is None:
                subject += ", au-delà de" if fr else ", beyond"
            if by_service:
                bound = (f"la limite de {limit_text} de ce service" if fr else f"this service's {limit_text} limit")
            elif label is None:
                bound = (f"la limite de {limit_text}, la plus grande que l'ANS fixe pour une preuve" if fr else
                         f"the {limit_text} limit, the largest the ANS sets for a proof")
            else:
                bound = (f"la limite de {limit_text} fixée par l'ANS pour « {label[0]} »" if fr else
                         f"the {limit_text} limit set by the ANS for “{label[1]}”")
            action = (SHRINK.get(proof_type, SHRINK_OTHER) if proof_type else SHRINK_ANY).template(lang)
            texts.append(f"{subject} {bound} : il n'a pas été examiné. {action}" if fr else
                         f"{subject} {bound}: it was not examined. {action}")
        details: dict[str, object] = {"size": size, "complete": complete, "limit": limit,
                                      "limit_mo": f"{limit / 1_000_000:g}", "proof_type": proof_type}
        if index is not None:
            details.update(index=index, filename=filename)
        if declared is not None:
            details.update(declared=declared)
        if body_limit is not None:
            details.update(body_limit=body_limit, aliases=[BodyTooLarge.code])
        super().__init__(texts[0], texts[1], close=close, **details)


class Saturated(ApiError):
    status = 429
    code = "service.saturated"
    title = "Service saturé"
    title_en = "Service saturated"

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
    title_en = "Too many requests in progress"

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
    title_en = "Request timeout"

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
    title_en = "Bad request"

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
    title_en = "Service unavailable"

    def __init__(self, reason: str, retry_after_s: int, *, reason_en: str | None = None) -> None:
        super().__init__(
            f"Service indisponible ({reason}) : réessayez dans {retry_after_s} s ; si cela dure, prévenez "
            "l'exploitant du service.",
            f"Service unavailable ({reason_en or reason}): retry in {retry_after_s} s; if it lasts, tell the "
            "service's operator.",
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
