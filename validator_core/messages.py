"""One catalogue of user messages: every finding code has a French and an English template.

Core codes are defined here; plugins add theirs through the ``preuves_register_messages`` hook. Templates
are ``str.format`` strings filled from the finding's ``details`` (plus a few engine-provided values such
as ``type_label``, see :func:`validator_core.pipeline.message_values`) in the report's language, with
specs that say sizes, counts and formats to people (:func:`render`); a missing value renders as ``?``
rather than failing the report.

A detail a check computes as a word (why a video does not decode, where on screen a NIR shows) is a
key in the report, said in the report's language by its code's ``words`` (``{reason:word}``): the
report's JSON keeps a stable key for programs, the reader gets words in their language.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from validator_core import wording

LANGS = ("fr", "en")


@dataclass(frozen=True)
class Message:
    """A text in French and English; a finding code's message also has the ``words`` its ``{x:word}``
    fields say (key → :class:`Message`)."""

    fr: str
    en: str
    words: Mapping[str, "Message"] = field(default_factory=dict, compare=False)

    def template(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


def vocabulary(words: Mapping[str, "Message | tuple[str, str]"] | None) -> dict[str, Message]:
    """``words`` as :class:`Message` values (a plugin gives ``(fr, en)`` pairs)."""
    return {key: w if isinstance(w, Message) else Message(*w) for key, w in (words or {}).items()}


# file.suspicious_name's details.reason: what validator_core.detect.clean_name found, in French (its words).
NAME_PROBLEMS: dict[str, Message] = {
    "octet NUL": Message("octet NUL", "NUL byte"),
    "inversion du sens d'écriture": Message("inversion du sens d'écriture", "writing-direction override"),
    "caractère invisible": Message("caractère invisible", "invisible character"),
    "caractère de contrôle": Message("caractère de contrôle", "control character"),
}
# format.extension_mismatch's details.extension for a name without one (the report keeps the French).
NO_EXTENSION = "(aucune)"
EXTENSION_WORDS = {NO_EXTENSION: Message("(aucune)", "(none)")}
# What a program's failure means, by the name the engine or a check records for developers (details keep
# it): the exception's class (``MemoryError``), the signal that ended a worker (``SIGSEGV``). Every
# code's ``{x:word}`` knows these words; its own ``words`` come first.
COMMON_WORDS: dict[str, Message] = {
    "MemoryError": Message("mémoire insuffisante", "not enough memory"),
    "RecursionError": Message("structure trop imbriquée", "structure nested too deeply"),
    "TimeoutError": Message("délai dépassé", "time limit exceeded"),
    "EOFError": Message("fin de fichier inattendue", "unexpected end of file"),
    "OSError": Message("erreur de lecture", "read error"),
    "UnicodeDecodeError": Message("texte mal encodé", "badly encoded text"),
    "OverflowError": Message("nombre hors limites", "number out of range"),
    "ZeroDivisionError": Message("valeur nulle inattendue", "unexpected zero value"),
    "ValueError": Message("valeur invalide dans le fichier", "invalid value in the file"),
    "PdfError": Message("structure PDF illisible", "unreadable PDF structure"),
    "PdfReadError": Message("structure PDF illisible", "unreadable PDF structure"),
    "SIGKILL": Message("processus arrêté par le système", "process killed by the system"),
    "SIGSEGV": Message("arrêt brutal du programme de lecture", "the reading program crashed"),
    "SIGBUS": Message("arrêt brutal du programme de lecture", "the reading program crashed"),
    "SIGABRT": Message("arrêt brutal du programme de lecture", "the reading program crashed"),
    "SIGFPE": Message("arrêt brutal du programme de lecture", "the reading program crashed"),
    "SIGILL": Message("arrêt brutal du programme de lecture", "the reading program crashed"),
}
# Any other exception class, signal or exit status: the reader learns it is the program's failure.
UNEXPECTED_FAILURE = Message("erreur inattendue du programme de lecture", "unexpected error of the reading program")
_FAILURE_NAME = re.compile(r"[A-Z][A-Za-z0-9]*(?:Error|Exception|Warning)|SIG[A-Z0-9]+|signal \d+|exit -?\d+")

CORE_MESSAGES: dict[str, Message] = {
    "file.empty": Message(
        fr="Le fichier est vide (0 octet) : il ne peut pas servir de preuve. Déposez le fichier complet, tel "
        "que le logiciel l'a produit.",
        en="The file is empty (0 bytes): it cannot serve as a proof. File the complete file, as the software "
        "produced it.",
    ),
    "file.not_regular": Message(
        fr="Ce chemin ne désigne pas un fichier ordinaire mais {kind_label} : un périphérique, un tube, une "
        "socket ou un pseudo-fichier du système ne peut pas servir de preuve ; il n'a pas été lu. "
        "Indiquez le fichier de preuve lui-même.",
        en="This path is not a regular file but {kind_label}: a device, pipe, socket or system pseudo-file "
        "cannot serve as a proof; it was not read. Give the proof file itself.",
    ),
    "file.too_large": Message(
        fr="Le fichier pèse {size:size}, {excess:size} de plus que la limite de {limit:size} fixée par l'ANS "
        "pour « {type_label} ». {size_advice}",
        en="The file is {size:size}, {excess:size} over the {limit:size} limit set by the ANS for "
        "“{type_label}”. {size_advice}",
    ),
    "file.suspicious_name": Message(
        fr="Le nom du fichier contient des caractères invisibles ou de contrôle ({reason:word}) : "
        "renommez-le avant le dépôt.",
        en="The file name holds invisible or control characters ({reason:word}): rename it before filing.",
        words=NAME_PROBLEMS,
    ),
    "format.not_allowed": Message(
        fr="Le fichier est au format {media_type:format}, que « {type_label} » n'accepte pas (formats "
        "acceptés : {allowed_names}). {format_advice}",
        en="“{type_label}” does not accept this file's format, {media_type:format} (accepted formats: "
        "{allowed_names}). {format_advice}",
    ),
    "format.extension_mismatch": Message(
        fr="L'extension « {extension:word} » ne correspond pas au contenu du fichier ({media_type:format}). "
        "Renommez-le avec l'extension {expected:or}.",
        en="The extension “{extension:word}” does not match the file's content ({media_type:format}). "
        "Rename it with the extension {expected:or}.",
        words=EXTENSION_WORDS,
    ),
    "format.unknown": Message(
        fr="Le format du contenu n'a pas été reconnu : ce n'est aucun des formats qu'accepte « {type_label} » "
        "({allowed_names}). {format_advice}",
        en="The content's format was not recognised: it is none of the formats “{type_label}” accepts "
        "({allowed_names}). {format_advice}",
    ),
    # Dossier findings (validator_core.service.duplicate_findings): about two files of a dossier, not one.
    "dossier.duplicate_file": Message(
        fr="Le même fichier est déposé pour plusieurs preuves ({proofs} : {files}). Chacune demande sa propre "
        "preuve — {asked}. Déposez pour chacune le fichier qui montre ce qu'elle demande.",
        en="The same file is filed for several proofs ({proofs}: {files}). Each asks for its own proof — "
        "{asked}. File for each one the file that shows what it asks for.",
    ),
    "dossier.duplicate_image": Message(
        fr="La même image est déposée pour deux preuves ({proofs} : {files}) : l'une est l'autre réencodée ou "
        "redimensionnée (empreintes à {distance:count:bit:bits} l'une de l'autre). Chacune demande sa propre "
        "capture — {asked}. Déposez pour chacune la capture de ce qu'elle demande.",
        en="The same picture is filed for two proofs ({proofs}: {files}): one is the other re-encoded or resized "
        "(fingerprints {distance:count:bit:bits} apart). Each asks for its own capture — {asked}. File for "
        "each one the capture of what it asks for.",
    ),
    "type.inferred": Message(
        fr="Aucun type de preuve indiqué : type déduit du contenu, « {type_label} ».",
        en="No proof type given: inferred from the content, “{type_label}”.",
    ),
    "type.inferred_office_document": Message(
        fr="Ce fichier au format {media_type:format} a été pris pour "
        "« {type_label} », un type qui accepte tout format, et n'a été vérifié que comme tel. Un compte-rendu "
        "se dépose au format PDF/A-1. Si c'en est un, exportez-le en PDF/A-1 et déposez-le comme "
        "« {report_label} » ; sinon, indiquez son type de preuve.",
        en="This {media_type:format} was taken for “{type_label}”, a type that accepts "
        "any format, and was only checked as such. A report is filed as PDF/A-1. If it is one, export it as "
        "PDF/A-1 and file it as “{report_label}”; otherwise, give its proof type.",
    ),
    "check.timeout": Message(
        fr="La vérification « {check_label} » n'a pas abouti dans le délai de {timeout_s:number} s : le fichier "
        "n'a pas pu être validé. Relancez la validation ; si le délai est de nouveau dépassé, réexportez le "
        "fichier depuis le logiciel qui l'a produit.",
        en="The “{check_label}” check did not finish within {timeout_s:number} s: the file could not be "
        "validated. Run the validation again; if it times out again, export the file again from the software "
        "that produced it.",
    ),
    "check.crashed": Message(
        fr="La vérification « {check_label} » a échoué sur ce fichier (cause technique : {reason:word}) : le fichier "
        "n'a pas pu être validé. Réexportez le fichier depuis le logiciel qui l'a produit, puis relancez la "
        "validation.",
        en="The “{check_label}” check failed on this file (technical cause: {reason:word}): the file could not be "
        "validated. Export the file again from the software that produced it, then run the validation again.",
    ),
}

# Words the engine gives a message at render time (validator_core.pipeline.message_values).
NOT_REGULAR_KINDS: dict[str, Message] = {
    "character_device": Message("un périphérique (mode caractère)", "a character device"),
    "block_device": Message("un périphérique (mode bloc)", "a block device"),
    "fifo": Message("un tube nommé", "a named pipe"),
    "socket": Message("une socket", "a socket"),
    "pseudo_file": Message("un pseudo-fichier du système", "a system pseudo-file"),
    "other": Message("un objet spécial du système", "a special system object"),
}
REPORT_TYPE = Message("Compte-rendu PDF", "PDF report")  # rules that infer no type for a PDF
CHECK_LABELS: dict[str, Message] = {
    "detection": Message("détection du format", "format detection"),
    "plugin": Message("examen du contenu", "content review"),  # any plugin's inspection
}
# What to do with a file over its type's limit, by the family of its content.
SIZE_ADVICE: dict[str, Message] = {
    "video": Message("Compressez la vidéo (H.264), baissez sa définition (1080p ou 720p) ou découpez-la en "
                     "plusieurs fichiers.",
                     "Compress the video (H.264), lower its resolution (1080p or 720p) or split it into several "
                     "files."),
    "image": Message("Enregistrez la capture en PNG ou en JPEG, ou baissez sa définition.",
                     "Save the capture as PNG or JPEG, or lower its resolution."),
    "application/pdf": Message("Réduisez le poids du PDF (export avec images compressées) ou découpez-le.",
                               "Reduce the PDF's weight (export with compressed pictures) or split it."),
    "other": Message("Ne gardez que la partie utile du fichier ou compressez-le en archive ZIP.",
                     "Keep only the useful part of the file or compress it into a ZIP archive."),
}
# What to do with a file in a format its type does not accept.
FORMAT_ADVICE: dict[str, Message] = {
    "application/pdf": Message("Exportez-le en PDF/A-1 depuis le logiciel qui l'a produit.",
                               "Export it as PDF/A-1 from the software that produced it."),
    "other": Message("Enregistrez-le ou exportez-le dans un des formats acceptés.",
                     "Save or export it in one of the accepted formats."),
}


def size_advice(media_type: str | None, accepted_media_types: list[str]) -> Message:
    """What to do with a file over its limit: by its content's family (video, image, PDF, other); content
    not recognised, by the family of the first format its type accepts."""
    for candidate in (media_type or "", *accepted_media_types[:1]):
        advice = SIZE_ADVICE.get(candidate) or SIZE_ADVICE.get(candidate.split("/")[0])
        if advice is not None:
            return advice
    return SIZE_ADVICE["other"]


def format_advice(accepted_media_types: list[str]) -> Message:
    """What to do with a refused format: export to PDF/A-1 when the type takes only PDF, else convert."""
    if accepted_media_types and set(accepted_media_types) == {"application/pdf"}:
        return FORMAT_ADVICE["application/pdf"]
    return FORMAT_ADVICE["other"]


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "?"


_FORMATTER = string.Formatter()


class _Wording(string.Formatter):
    """``str.format`` that says values to people in one language (:mod:`validator_core.wording`).

    A field without a spec is said as people read it: a number with its thousands grouped and the
    language's decimal mark (« 20 000 », « 1,5 »), a list as « a, b, c ». Specs (after the colon):

    - ``{n:size}`` a byte count in decimal units: « 60 Mo », « 800 ko »;
    - ``{n:number}`` a number, also one written as a string (``"29.97"`` → « 29,97 »);
    - ``{n:count:doublon:doublons}`` the number and its noun agreed: « 1 doublon », « 3 doublons »;
    - ``{n:plural:est:sont}`` only the agreed word (``n`` a number, or a list: its length);
    - ``{xs:list:ligne:lignes}`` the agreed noun, then the items: « ligne 2 », « lignes 2, 5 »
      (``xs`` a list or a comma-separated string);
    - ``{t:format}`` a media type (or a list of them, joined with « ou ») named as people do:
      « document Word (.docx) »;
    - ``{xs:or}`` / ``{xs:and}`` a list joined with « ou » / « et »;
    - ``{s:severity}`` « erreur », « avertissement », « information»;
    - ``{k:word}`` a key of the code's ``words`` said in words (``"no_video_stream"`` → « aucun flux
      vidéo »); a list of keys is joined with commas (``{ks:word:and}`` / ``{ks:word:or}``: « et » /
      « ou »). In a longer text every key it holds is replaced (``"1 84 ** top_left"`` → « 1 84 ** en
      haut à gauche »), and ``key=arg`` fills the word's ``{}`` (``"at_s=8"``, word « à {} s » → « à 8 s »).
      Exception class names and signals are said too (:data:`COMMON_WORDS`); any other value as is.

    Any other spec is Python's (``{x:.1f}``).
    """

    def __init__(self, lang: str, words: Mapping[str, Message] | None = None) -> None:
        super().__init__()
        self.lang = lang
        self.words = words or {}

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        try:
            return super().get_field(field_name, args, kwargs)
        except (KeyError, IndexError, AttributeError, TypeError, ValueError):  # {x[de]}, {x.y}: not there
            return "?", field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return self._say(value, format_spec)
        except (ValueError, TypeError, IndexError, AttributeError, KeyError, OverflowError):
            return _plain(value, self.lang)

    def _say(self, value: Any, format_spec: str) -> str:
        name, _, args = format_spec.partition(":")
        lang = self.lang
        if not format_spec:
            return _plain(value, lang)
        if name == "size":
            return wording.size(int(_numeric(value)), lang) if _is_number(value) else str(value)
        if name == "number":
            return wording.number(_numeric(value), lang) if _is_number(value) else str(value)
        if name in ("count", "plural", "list"):
            one, _, many = args.partition(":")
            if name == "list":
                items = _items(value)
                return f"{one if wording.singular(len(items), lang) else many} {', '.join(items)}"
            if name == "plural":
                n = len(_items(value)) if not _is_number(value) else _numeric(value)
                return one if wording.singular(n, lang) else many
            if not _is_number(value):  # an unknown count ("?"): the plural reads right
                return f"{value} {many}"
            return wording.count(_numeric(value), one, many, lang)
        if name == "format":
            return wording.either([wording.format_name(t, lang) for t in _items(value)], lang)
        if name == "or":
            return wording.either(_items(value), lang)
        if name == "and":
            return wording.both(_items(value), lang)
        if name == "severity":
            return wording.severity(str(value), lang)
        if name == "word":
            return say_words(value, self.words, lang, args)
        return super().format_field(value, format_spec)


def say_words(value: Any, words: Mapping[str, Message], lang: str, join: str = "") -> str:
    """``value`` (a key, a list of keys, or a text holding keys) in ``lang``, by ``words`` then
    :data:`COMMON_WORDS` (see the ``word`` spec of :class:`_Wording`); ``join``: ``"and"``, ``"or"``
    or commas."""
    table = {**COMMON_WORDS, **words}
    items = value if isinstance(value, (list, tuple)) else [value]
    said = list(dict.fromkeys(_say_word(str(item), table, lang) for item in items))  # /JS, /JavaScript: once
    if join == "and":
        return wording.both(said, lang)
    if join == "or":
        return wording.either(said, lang)
    return ", ".join(said)


def _say_word(text: str, table: Mapping[str, Message], lang: str) -> str:
    if text in table:
        return _filled(table[text].template(lang), None, lang)
    if _FAILURE_NAME.fullmatch(text):
        return UNEXPECTED_FAILURE.template(lang)

    def fill(match: re.Match[str]) -> str:
        return _filled(table[match.group(1)].template(lang), match.group(2), lang)

    return _keys_pattern(tuple(sorted(table, key=len, reverse=True))).sub(fill, text)


def _filled(word: str, arg: str | None, lang: str) -> str:
    """``word``'s ``{}`` filled with ``arg`` (a number said as one), or dropped when there is none."""
    if arg is None:
        return " ".join(word.replace("{}", "").split())
    return word.replace("{}", wording.number(_numeric(arg), lang) if _is_number(arg) else arg)


@lru_cache(maxsize=256)
def _keys_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    """The keys as whole tokens, each with an optional ``=arg``; longest first (``/JS`` after ``/JavaScript``)."""
    alternatives = "|".join(re.escape(k) for k in keys)
    return re.compile(rf"(?<![\w/%=-])({alternatives})(?:=([^\s,;()]+))?(?![\w-])")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _numeric(value: Any) -> int | float:
    if isinstance(value, (int, float)):
        return value
    number = float(str(value))
    return int(number) if number.is_integer() and "." not in str(value) else number


def _items(value: Any) -> list[str]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _plain(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return wording.number(value, lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v, lang) for v in value)
    return str(value)


def render(template: str, values: Mapping[str, Any], lang: str = "fr",
           words: Mapping[str, Message] | None = None) -> str:
    """Fill ``template`` from ``values`` in ``lang`` (see :class:`_Wording` for the specs; ``words``:
    the code's, for ``{x:word}``).

    Never raises: a missing value reads ``?``, a spec that does not suit its value (``{x:.1f}`` with a
    string) gives the value as is, a broken template is returned unfilled.
    """
    try:
        return _Wording(lang, words).vformat(template, (), _Lenient(values))
    except Exception:  # noqa: BLE001 - a message must never break a report
        return template


def template_fields(template: str) -> set[str]:
    """The details a template reads: ``{x}``, ``{x[fr]}`` and ``{x.y}`` all read ``x``."""
    return {re.match(r"[^.\[]*", field).group() for _lit, field, _spec, _conv in _FORMATTER.parse(template) if field}
