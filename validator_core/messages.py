"""One catalogue of user messages: every finding code has a French and an English template.

Core codes are defined here; plugins add theirs through the ``preuves_register_messages`` hook. Templates
are ``str.format`` strings filled from the finding's ``details`` (plus a few engine-provided values such
as ``type_label``); a missing value renders as ``?`` rather than failing the report.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any, Mapping

LANGS = ("fr", "en")


@dataclass(frozen=True)
class Message:
    fr: str
    en: str

    def template(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


CORE_MESSAGES: dict[str, Message] = {
    "file.empty": Message(
        fr="Le fichier est vide (0 octet) : il ne peut pas servir de preuve.",
        en="The file is empty (0 bytes): it cannot serve as a proof.",
    ),
    "file.not_regular": Message(
        fr="Ce chemin ne désigne pas un fichier ordinaire (type : {kind}) : un périphérique, un tube, une "
        "socket ou un pseudo-fichier du système ne peut pas servir de preuve ; il n'a pas été lu. "
        "Indiquez le fichier de preuve lui-même.",
        en="This path is not a regular file (type: {kind}): a device, pipe, socket or system pseudo-file "
        "cannot serve as a proof; it was not read. Give the proof file itself.",
    ),
    "file.too_large": Message(
        fr="Le fichier pèse {size} octets, au-delà de la limite de {limit} octets ({limit_mo} Mo) "
        "fixée par l'ANS pour « {type_label} ».",
        en="The file is {size} bytes, over the {limit} bytes ({limit_mo} MB) limit set by the ANS "
        "for “{type_label}”.",
    ),
    "file.suspicious_name": Message(
        fr="Le nom du fichier contient des caractères invisibles ou de contrôle ({reason}) : "
        "renommez-le avant le dépôt.",
        en="The file name holds invisible or control characters ({reason}): rename it before filing.",
    ),
    "format.not_allowed": Message(
        fr="Le contenu du fichier est au format {detected} ({media_type}), qui n'est pas accepté pour "
        "« {type_label} ». Formats acceptés : {allowed}.",
        en="The file's content is {detected} ({media_type}), which is not accepted for “{type_label}”. "
        "Accepted formats: {allowed}.",
    ),
    "format.extension_mismatch": Message(
        fr="L'extension « {extension} » ne correspond pas au contenu ({detected}) ; "
        "extension attendue : {expected}.",
        en="The extension “{extension}” does not match the content ({detected}); "
        "expected extension: {expected}.",
    ),
    "format.unknown": Message(
        fr="Le format du contenu n'a pas pu être reconnu ({media_type}). Formats acceptés pour "
        "« {type_label} » : {allowed}.",
        en="The content's format could not be recognised ({media_type}). Accepted formats for "
        "“{type_label}”: {allowed}.",
    ),
    # Dossier findings (validator_core.service.duplicate_findings): about two files of a dossier, not one.
    "dossier.duplicate_file": Message(
        fr="Le même fichier (SHA-256 {sha256}) est déposé pour plusieurs preuves ({proofs} : {files}). Chacune "
        "demande sa propre preuve — {asked}. Déposez pour chacune le fichier qui montre ce qu'elle demande.",
        en="The same file (SHA-256 {sha256}) is filed for several proofs ({proofs}: {files}). Each asks for its "
        "own proof — {asked}. File for each one the file that shows what it asks for.",
    ),
    "dossier.duplicate_image": Message(
        fr="La même image est déposée pour deux preuves ({proofs} : {files} ; empreintes perceptuelles à "
        "{distance} bit(s) l'une de l'autre : une capture réencodée ou redimensionnée). Chacune demande sa "
        "propre capture — {asked}. Déposez pour chacune la capture de ce qu'elle demande.",
        en="The same picture is filed for two proofs ({proofs}: {files}; perceptual hashes {distance} bit(s) "
        "apart: one capture re-encoded or resized). Each asks for its own capture — {asked}. File for each "
        "one the capture of what it asks for.",
    ),
    "type.inferred": Message(
        fr="Aucun type de preuve indiqué : type déduit du contenu, « {type_label} ».",
        en="No proof type given: inferred from the content, “{type_label}”.",
    ),
    "check.timeout": Message(
        fr="La vérification « {check} » n'a pas abouti dans le délai de {timeout_s} s : "
        "le fichier ne peut pas être validé.",
        en="The “{check}” check did not finish within {timeout_s} s: the file cannot be validated.",
    ),
    "check.crashed": Message(
        fr="La vérification « {check} » a échoué sur ce fichier ({reason}) : "
        "le fichier ne peut pas être validé.",
        en="The “{check}” check failed on this file ({reason}): the file cannot be validated.",
    ),
}


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "?"


_FORMATTER = string.Formatter()


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``template`` from ``values``; unknown fields and bad format specs never raise."""
    try:
        return _FORMATTER.vformat(template, (), _Lenient(values))
    except (ValueError, TypeError, IndexError, AttributeError, KeyError):
        # A format spec that does not suit the value (e.g. "{x:.1f}" with a string): fall back to
        # the template with plain substitutions.
        safe = {k: str(v) for k, v in values.items()}
        try:
            return _FORMATTER.vformat(
                "".join(
                    lit + ("{" + field + "}" if field is not None else "")
                    for lit, field, _spec, _conv in _FORMATTER.parse(template)
                ),
                (),
                _Lenient(safe),
            )
        except Exception:  # noqa: BLE001 - a message must never break a report
            return template


def template_fields(template: str) -> set[str]:
    """The details a template reads: ``{x}``, ``{x[fr]}`` and ``{x.y}`` all read ``x``."""
    return {re.match(r"[^.\[]*", field).group() for _lit, field, _spec, _conv in _FORMATTER.parse(template) if field}
