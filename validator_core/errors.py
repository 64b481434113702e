"""Errors the library raises for bad *requests* (not bad files: a bad file always gets a report)."""

from __future__ import annotations


class PreuvesError(Exception):
    """Base class. ``code`` is stable; ``message`` is French, ``message_en`` English."""

    code = "preuves.error"

    def __init__(self, message: str, message_en: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message
        self.details = details


class UnknownProofType(PreuvesError):
    code = "request.unknown_proof_type"

    def __init__(self, proof_type: str, valid: list[str]) -> None:
        super().__init__(
            f"Type de preuve inconnu : « {proof_type} ». Types valides : {', '.join(valid)}.",
            f"Unknown proof type: “{proof_type}”. Valid types: {', '.join(valid)}.",
            proof_type=proof_type,
            valid=valid,
        )
        self.valid = valid


class UnsupportedLanguage(PreuvesError):
    code = "request.unsupported_lang"

    def __init__(self, lang: str, valid: tuple[str, ...]) -> None:
        super().__init__(
            f"Langue non prise en charge : « {lang} ». Langues possibles : {', '.join(valid)}.",
            f"Unsupported language: “{lang}”. Possible values: {', '.join(valid)}.",
            lang=lang,
            valid=list(valid),
        )


class UnknownRequirement(PreuvesError):
    """A requirement/proof id that is not in the catalogue; ``candidates`` holds close ids (difflib)."""

    code = "request.unknown_requirement"

    def __init__(self, requirement: str, rem: str | None, candidates: list[str], *, ambiguous: bool = False) -> None:
        where = f" du REM {rem}" if rem else ""
        where_en = f" of REM {rem}" if rem else ""
        if ambiguous:
            fr = f"« {requirement} »{where} désigne plusieurs preuves : précisez laquelle ({', '.join(candidates)})."
            en = f"“{requirement}”{where_en} names several proofs: say which one ({', '.join(candidates)})."
        else:
            hint = f" Identifiants proches : {', '.join(candidates)}." if candidates else ""
            hint_en = f" Close ids: {', '.join(candidates)}." if candidates else ""
            fr = f"Preuve inconnue{where} : « {requirement} ».{hint}"
            en = f"Unknown proof{where_en}: “{requirement}”.{hint_en}"
        super().__init__(fr, en, requirement=requirement, rem=rem, candidates=candidates)
        self.candidates = candidates


class UnknownRem(PreuvesError):
    """A REM that no catalogue plugin provides."""

    code = "request.unknown_rem"

    def __init__(self, rem: str, valid: list[str]) -> None:
        super().__init__(
            f"REM inconnu : « {rem} ». REM disponibles : {', '.join(valid)}.",
            f"Unknown REM: “{rem}”. Available REMs: {', '.join(valid)}.",
            rem=rem, valid=valid,
        )
        self.valid = valid



class EngineUnavailable(PreuvesError):
    """The engine could not examine the file for reasons that are not the file's.

    Workers that cannot start, a broken pool, a dead fork server, fork refused, a missing shared
    library: the file was never looked at, so no verdict is given. Callers answer 503 with
    ``Retry-After`` (HTTP) or exit 2 (CLI); ``retry_after_s`` says when trying again makes sense.
    """

    code = "engine.unavailable"

    def __init__(self, reason: str, *, retry_after_s: int = 5) -> None:
        super().__init__(
            "Le moteur de validation est momentanément indisponible : le fichier n'a pas été examiné. "
            f"Réessayez dans {retry_after_s} s ; si le problème persiste, prévenez l'exploitant du service.",
            "The validation engine is temporarily unavailable: the file was not examined. "
            f"Try again in {retry_after_s} s; if it persists, tell the service's operator.",
            reason=reason,
            retry_after_s=retry_after_s,
        )
        self.reason = reason
        self.retry_after_s = retry_after_s
