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
        "Le fichier contient des secrets ({kinds_words[fr]} ; {lines:list:ligne:lignes}) : retirez-les (ou "
        "masquez-les) avant le dépôt, et renouvelez les clés, jetons ou mots de passe concernés.",
        "The file holds secrets ({kinds_words[en]}; {lines:list:line:lines}): remove (or mask) them before "
        "filing, and renew the keys, tokens or passwords concerned.",
    ),
    "logs.nir_not_test": (
        "Le fichier contient {count:count:NIR valide:NIR valides} qui ne {count:plural:correspond:correspondent} "
        "à aucune identité de test ({nirs}) : des données réelles de patients ont pu fuiter dans la preuve. "
        "Utilisez des identités fictives.",
        "The file holds {count:count:valid NIR:valid NIRs} that {count:plural:is:are} not test identities "
        "({nirs}): real patient data may have leaked into the proof. Use fictitious identities.",
    ),
    "logs.ins_real_oid": (
        "Le fichier cite l'OID de l'INS-NIR réel (1.2.250.1.213.1.4.8) {count:count:fois:fois} : une preuve "
        "doit utiliser des identités de test (OID …4.10) ou de démonstration (…4.11). Remplacez ces "
        "identités par des identités de test.",
        "The file quotes the real INS-NIR OID (1.2.250.1.213.1.4.8) {count:count:time:times}: a proof must "
        "use test (OID …4.10) or demo (…4.11) identities. Replace these identities with test identities.",
    ),
    "logs.xml_invalid": (
        "Le fichier XML n'est pas bien formé (ligne {line}, colonne {column}) : il a sans doute été coupé ou "
        "retouché. Déposez le fichier complet, tel que le logiciel l'a produit.",
        "The XML file is not well-formed (line {line}, column {column}): it was probably cut or edited. "
        "File the complete file, as the software produced it.",
    ),
    "logs.xml_doctype": (
        "Le XML déclare un DOCTYPE ({entities:count:entité:entités}, dont {external:count:externe:externes}) : "
        "il n'a été ni chargé ni développé. Retirez-le si ce n'est pas voulu.",
        "The XML declares a DOCTYPE ({entities:count:entity:entities}, {external:number} external): it was "
        "neither loaded nor expanded. Remove it if it is not intended.",
    ),
    "logs.json_invalid": (
        "Le fichier JSON n'est pas valide (ligne {line}, colonne {column}) : il a sans doute été coupé ou "
        "retouché. Déposez le fichier complet, tel que le logiciel l'a produit.",
        "The JSON file is not valid (line {line}, column {column}): it was probably cut or edited. File the "
        "complete file, as the software produced it.",
    ),
    "logs.zip_bomb": (
        "L'archive ZIP annonce {uncompressed:size} une fois décompressée pour {compressed:size} compressés "
        "(ratio de {ratio:number}) : c'est une bombe de décompression, pas un lot de logs. Déposez une archive "
        "ordinaire qui ne contient que les logs demandés.",
        "The ZIP archive declares {uncompressed:size} uncompressed for {compressed:size} compressed (ratio of "
        "{ratio:number}): that is a decompression bomb, not a log bundle. File an ordinary archive holding "
        "only the logs asked for.",
    ),
    "logs.zip_unreadable": (
        "Le fichier ressemble à une archive ZIP mais sa table des fichiers est illisible : l'archive est "
        "abîmée ou incomplète. Refaites l'archive avec un outil standard.",
        "The file looks like a ZIP archive but its file table cannot be read: the archive is damaged or "
        "incomplete. Rebuild the archive with a standard tool.",
    ),
    "logs.zip_unsafe_names": (
        "L'archive ZIP contient {count:count:chemin dangereux:chemins dangereux} (absolu, « .. » ou caractère "
        "nul) : {names}. À l'extraction, ces fichiers s'écriraient hors du dossier cible (« zip slip ») : "
        "refaites l'archive avec des chemins relatifs.",
        "The ZIP archive holds {count:count:unsafe path:unsafe paths} (absolute, “..” or a NUL character): "
        "{names}. On extraction these files would be written outside the target folder (“zip slip”): "
        "rebuild the archive with relative paths.",
    ),
    "logs.zip_name_mismatch": (
        "L'archive ZIP contient {count:count:fichier qui porte:fichiers qui portent} deux noms différents "
        "({names}) : selon l'outil, un autre fichier serait extrait que celui annoncé. Refaites l'archive "
        "avec un outil standard.",
        "The ZIP archive holds {count:count:file that carries:files that carry} two different names "
        "({names}): depending on the tool, another file would be extracted than the one listed. Rebuild the "
        "archive with a standard tool.",
    ),
    "logs.zip_nested": (
        "L'archive ZIP contient {count:count:archive imbriquée:archives imbriquées} ({names}) : une archive "
        "dans une archive est la forme habituelle d'une bombe de décompression, et son contenu compressé n'a "
        "pas été examiné. Déposez les fichiers à plat, dans une seule archive.",
        "The ZIP archive holds {count:count:nested archive:nested archives} ({names}): an archive inside an "
        "archive is the usual form of a decompression bomb, and its compressed content was not examined. "
        "File the files flat, in a single archive.",
    ),
    "logs.zip_encrypted": (
        "L'archive ZIP contient {count:count:fichier chiffré:fichiers chiffrés} : l'ANS ne pourra pas les lire. "
        "Refaites l'archive sans mot de passe.",
        "The ZIP archive holds {count:count:encrypted file:encrypted files}: the ANS will not be able to read "
        "them. Rebuild the archive without a password.",
    ),
}

# The secrets logs.secret names (validator_core.toolkit.text's kinds), in words: (fr, en).
SECRET_WORDS: dict[str, tuple[str, str]] = {
    "private_key": ("clé privée", "private key"),
    "jwt": ("jeton JWT", "JWT token"),
    "bearer_token": ("jeton d'accès « Bearer »", "Bearer access token"),
    "basic_auth": ("identifiants HTTP « Basic »", "HTTP Basic credentials"),
    "aws_access_key": ("clé d'accès AWS", "AWS access key"),
    "aws_secret_key": ("clé secrète AWS", "AWS secret key"),
    "github_token": ("jeton GitHub", "GitHub token"),
    "gitlab_token": ("jeton GitLab", "GitLab token"),
    "slack_token": ("jeton Slack", "Slack token"),
    "slack_webhook": ("adresse de webhook Slack", "Slack webhook address"),
    "google_api_key": ("clé d'API Google", "Google API key"),
    "stripe_key": ("clé Stripe", "Stripe key"),
    "sendgrid_key": ("clé SendGrid", "SendGrid key"),
    "npm_token": ("jeton npm", "npm token"),
    "pypi_token": ("jeton PyPI", "PyPI token"),
    "openai_key": ("clé OpenAI", "OpenAI key"),
    "azure_storage_key": ("clé de stockage Azure", "Azure storage key"),
    "url_password": ("mot de passe dans une adresse", "password in an address"),
    "url_secret_param": ("paramètre secret d'une adresse", "secret address parameter"),
    "password_pair": ("mot de passe ou clé en clair", "plain password or key"),
}


def secret_words(kinds: list[str]) -> dict[str, str]:
    """The ``kinds`` of secrets in words, per language (``details.kinds_words`` of logs.secret)."""
    return {lang: ", ".join(SECRET_WORDS.get(k, (k.replace("_", " "),) * 2)[i] for k in kinds)
            for i, lang in enumerate(("fr", "en"))}


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
