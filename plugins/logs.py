"""Built-in plugin `logs`: files (TBB, DUMP, logs, …) — what they are, and what they must not hold.

Facts: text or binary, encoding, line count, first/last timestamps, and the structured formats
recognised (HL7 v2, FHIR JSON, CDA, SOAP, SMTP message source, ZIP, generic XML/JSON). Warnings:
secrets (private keys, tokens, passwords), NIRs with a valid key that are not test identities, XML or
JSON that does not parse, a DOCTYPE (never expanded), a ZIP that promises a bomb (never inflated),
unsafe or disagreeing member names, nested archives. Stored (uncompressed) ZIP members are scanned
for secrets and NIRs where they lie in the file; nothing is ever inflated.

Every pattern over the content is linear-time (RE2, or Python's ``re`` for quantifier-free patterns
and fixed-size windows), and every string fact copied from the content goes through the secrets
scanner's masking (``mask_secrets``) before it enters the report.

This module holds what the service process reads (declarations, messages); the inspection is in
``plugins/logs_inspection.py``, imported on the inspection path only. Codes and thresholds are
documented for users in ``docs/checks/logs.md``.
"""

from __future__ import annotations

from validator_core import Inspection, Proof, hookimpl

__version__ = "1.0.0"
PLUGIN = "logs"

# What the inspection imports (the fork server imports them once for every worker): the inspection
# itself, whose text and XML toolkits compile RE2 patterns and load lxml at import, and the charset
# detector its decoding falls back to.
PRELOAD = ("plugins.logs_inspection", "charset_normalizer")

MESSAGES: dict[str, tuple[str, str]] = {
    "logs.secret": (
        "Le fichier contient des secrets ({kinds}, lignes {lines}) : retirez-les (ou masquez-les) avant "
        "le dépôt, et renouvelez les clés, jetons ou mots de passe concernés.",
        "The file holds secrets ({kinds}, lines {lines}): remove (or mask) them before filing, and renew "
        "the keys, tokens or passwords concerned.",
    ),
    "logs.nir_not_test": (
        "{count} NIR valide(s) qui ne sont pas des identités de test ({nirs}) : des données réelles de "
        "patients ont pu fuiter dans la preuve. Utilisez des identités fictives.",
        "{count} valid NIR(s) that are not test identities ({nirs}): real patient data may have leaked "
        "into the proof. Use fictitious identities.",
    ),
    "logs.ins_real_oid": (
        "Le fichier cite {count} fois l'OID de l'INS-NIR réel (1.2.250.1.213.1.4.8) : une preuve doit "
        "utiliser des identités de test (OID …4.10) ou de démonstration (…4.11).",
        "The file quotes the real INS-NIR OID (1.2.250.1.213.1.4.8) {count} time(s): a proof must use test "
        "(OID …4.10) or demo (…4.11) identities.",
    ),
    "logs.xml_invalid": (
        "Le fichier XML n'est pas bien formé (ligne {line}, colonne {column}).",
        "The XML file is not well-formed (line {line}, column {column}).",
    ),
    "logs.xml_doctype": (
        "Le XML déclare un DOCTYPE ({entities} entité(s), dont {external} externe(s)) : il n'a été ni "
        "chargé ni développé. Retirez-le si ce n'est pas voulu.",
        "The XML declares a DOCTYPE ({entities} entity(ies), {external} external): it was neither loaded "
        "nor expanded. Remove it if it is not intended.",
    ),
    "logs.json_invalid": (
        "Le fichier JSON n'est pas valide (ligne {line}, colonne {column}).",
        "The JSON file is not valid (line {line}, column {column}).",
    ),
    "logs.zip_bomb": (
        "L'archive ZIP annonce {uncompressed} octets décompressés pour {compressed} compressés "
        "(ratio {ratio}) : c'est une bombe de décompression, pas un lot de logs.",
        "The ZIP archive declares {uncompressed} bytes uncompressed for {compressed} compressed "
        "(ratio {ratio}): that is a decompression bomb, not a log bundle.",
    ),
    "logs.zip_unreadable": (
        "Le fichier ressemble à une archive ZIP mais son répertoire central est illisible.",
        "The file looks like a ZIP archive but its central directory cannot be read.",
    ),
    "logs.zip_unsafe_names": (
        "L'archive ZIP contient {count} chemin(s) dangereux (absolu, « .. » ou caractère nul) : {names}. "
        "À l'extraction, ces fichiers s'écriraient hors du dossier cible (« zip slip ») : refaites "
        "l'archive avec des chemins relatifs.",
        "The ZIP archive holds {count} unsafe path(s) (absolute, “..” or a NUL character): {names}. On "
        "extraction these files would be written outside the target folder (“zip slip”): rebuild the "
        "archive with relative paths.",
    ),
    "logs.zip_name_mismatch": (
        "{count} membre(s) de l'archive ZIP portent dans leur en-tête local un autre nom que dans le "
        "répertoire central ({names}) : selon l'outil, un autre fichier serait extrait que celui "
        "annoncé. Refaites l'archive avec un outil standard.",
        "{count} ZIP member(s) carry another name in their local header than in the central directory "
        "({names}): depending on the tool, another file would be extracted than the one listed. Rebuild "
        "the archive with a standard tool.",
    ),
    "logs.zip_nested": (
        "L'archive ZIP contient {count} archive(s) imbriquée(s) ({names}) : une archive dans une archive "
        "est la forme habituelle d'une bombe de décompression, et son contenu compressé n'a pas été "
        "examiné. Déposez les fichiers à plat, dans une seule archive.",
        "The ZIP archive holds {count} nested archive(s) ({names}): an archive inside an archive is the "
        "usual form of a decompression bomb, and its compressed content was not examined. File the "
        "files flat, in a single archive.",
    ),
    "logs.zip_encrypted": (
        "L'archive ZIP contient {count} fichier(s) chiffré(s) : l'ANS ne pourra pas les lire.",
        "The ZIP archive holds {count} encrypted file(s): the ANS will not be able to read them.",
    ),
}


@hookimpl
def preuves_register_checks(register):
    register(
        proof_types=("logs",),
        media_types=None,
        version=__version__,
        description="Fichiers (TBB, DUMP, logs) : formats reconnus, secrets, NIR réels, XML/JSON, ZIP",
        preload=PRELOAD,
    )


@hookimpl
def preuves_register_messages(register):
    for code, (fr, en) in MESSAGES.items():
        register(code, fr=fr, en=en)


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    from plugins.logs_inspection import inspect

    return inspect(proof)
