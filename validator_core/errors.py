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
