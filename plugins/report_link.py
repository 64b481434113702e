"""Built-in plugin `report_link`: links to test-platform reports, and Gazelle validation reports.

A "lien vers le rapport généré dans l'espace de test" reaches us as any file of at most 1 Mo: a text
file, a Windows ``.url`` shortcut, a macOS ``.webloc``, an HTML page, a PDF, or the Gazelle validation
report itself (XML). We extract the links (never fetching one: no network at all), tell which test
platform and which kind of permalink each one is, and read a Gazelle report's verdict.

This module holds what the service process reads (declarations, messages) and the cheap inference;
the inspection is in ``plugins/report_link_inspection.py``, imported on the inspection path only.
Codes and thresholds are documented for users in ``docs/checks/report_link.md``.
"""

from __future__ import annotations

import re

from validator_core import Inspection, Proof, hookimpl

__version__ = "1.0.0"
PLUGIN = "report_link"

# What the inspection imports (the fork server imports them once for every worker): the inspection
# itself (the text, URL and XML toolkits), lxml's HTML parser and pypdf for links in pages and PDFs,
# and the URL toolkit the inference of link files uses.
PRELOAD = ("plugins.report_link_inspection", "lxml.html", "pypdf", "validator_core.toolkit.urls")

GAZELLE_NAMESPACES = {"http://validationreport.gazelle.ihe.net/", "http://gazelle.ihe.net/validation/report"}


# --- messages ----------------------------------------------------------------------------------
MESSAGES: dict[str, tuple[str, str]] = {
    "report_link.no_link": (
        "Aucun lien n'a été trouvé dans le fichier : déposez le lien (URL) vers le rapport généré dans "
        "l'espace de test.",
        "No link was found in the file: file the link (URL) to the report generated on the test platform.",
    ),
    "report_link.no_web_link": (
        "Le fichier ne contient que des liens qui ne sont pas des adresses web ({schemes}) : un rapport "
        "de test s'ouvre par un lien https://. Déposez le lien https:// du rapport.",
        "The file holds only links that are not web addresses ({schemes}): a test report opens with an "
        "https:// link. File the report's https:// link.",
    ),
    "report_link.non_web_link": (
        "{count:count:lien non web ignoré:liens non web ignorés} ({schemes}) : ce ne sont pas des liens vers "
        "un rapport. Retirez-les du fichier.",
        "{count:count:non-web link:non-web links} ({schemes}) ignored: they are not report links. Remove them "
        "from the file.",
    ),
    "report_link.insecure_http": (
        "{count:count:lien:liens} en http:// sans chiffrement TLS (par exemple {example}) : utilisez "
        "l'adresse https://.",
        "{count:count:link uses:links use} http:// without TLS (e.g. {example}): use the https:// address.",
    ),
    "report_link.unknown_host": (
        "Lien vers un site qui n'est pas une plateforme de test connue ({hosts}). Déposez le lien du rapport "
        "sur une des plateformes attendues : {known}.",
        "Link to a site that is not a known test platform ({hosts}). File the link to the report on one of "
        "the expected platforms: {known}.",
    ),
    "report_link.credentials_in_url": (
        "Un lien contient des identifiants ({kinds_words[fr]}) : {example}. Quiconque lit le dossier pourrait "
        "s'en servir : retirez-les avant le dépôt (un lien permanent Gazelle ou MSSanté n'en a pas "
        "besoin) et révoquez le jeton, la signature ou le mot de passe concerné.",
        "A link carries credentials ({kinds_words[en]}): {example}. Anyone reading the dossier could use them: "
        "remove them before filing (a Gazelle or MSSanté permalink needs none) and revoke that token, "
        "signature or password.",
    ),
    "report_link.backslash_in_url": (
        "Le lien {example} contient une barre oblique inverse (\\) avant son chemin : un navigateur la lit "
        "comme « / » et ouvre {host}, pas le site qui semble écrit. Ce lien est refusé : déposez le lien "
        "copié depuis la barre d'adresse du navigateur, sans « \\ ».",
        "The link {example} holds a backslash (\\) before its path: a browser reads it as \"/\" and opens "
        "{host}, not the site it seems to name. The link is refused: file the link copied from the "
        "browser's address bar, without \"\\\".",
    ),
    "report_link.userinfo_in_url": (
        "Le lien {example} contient un nom d'utilisateur ou un mot de passe avant « @ » : un navigateur "
        "ouvre {host}, et ce qui précède « @ » peut faire passer ce site pour un autre, ou divulguer un "
        "mot de passe. Ce lien est refusé : retirez la partie « …@ » et, si c'était un mot de passe, "
        "changez-le.",
        "The link {example} holds a user name or password before \"@\": a browser opens {host}, and "
        "what comes before \"@\" can pass that site off as another one, or leak a password. The link "
        "is refused: remove the \"…@\" part and, if it was a password, change it.",
    ),
    "report_link.obfuscated_url": (
        "Le lien {example} écrit son nom d'hôte sous une forme déguisée ({forms_words[fr]}) : un navigateur ouvre "
        "{host}. Un lien copié depuis la barre d'adresse n'a jamais cette forme, qui sert à tromper un "
        "lecteur ou un filtre : ce lien est refusé. Déposez le lien tel que la plateforme l'affiche.",
        "The link {example} spells its host name in a disguised form ({forms_words[en]}): a browser opens {host}. "
        "A link copied from the address bar never looks like this, a form used to fool a reader or a "
        "filter: the link is refused. File the link as the platform shows it.",
    ),
    "report_link.idn_homograph": (
        "Le nom d'hôte « {unicode} » (en clair : {host}) imite des lettres latines avec des lettres "
        "d'autres alphabets ou d'une adresse connue ({forms_words[fr]}) : ce n'est pas une plateforme de test "
        "connue ({known}). Ce lien est refusé : déposez le lien vers la plateforme officielle.",
        "The host name \"{unicode}\" (plainly: {host}) imitates Latin letters with letters of other "
        "scripts, or a known address ({forms_words[en]}): it is not a known test platform ({known}). The link is "
        "refused: file the link to the official platform.",
    ),
    "report_link.invalid_url": (
        "{count:count:lien mal formé:liens mal formés} qu'un navigateur refuse d'ouvrir ({example}), "
        "{count:plural:ignoré:ignorés}. Corrigez-les ou retirez-les du fichier.",
        "{count:count:malformed link:malformed links} that a browser refuses to open ({example}), ignored. "
        "Fix them or remove them from the file.",
    ),
    "report_link.no_valid_link": (
        "Aucun lien du fichier ne s'ouvre dans un navigateur ({count:count:adresse mal formée:adresses mal formées}) : "
        "déposez le lien vers le rapport copié depuis la barre d'adresse.",
        "No link in the file opens in a browser ({count:count:malformed address:malformed addresses}): file the link to the "
        "report copied from the address bar.",
    ),
    "report_link.not_a_report": (
        "Le lien {example} mène à la plateforme {platform} mais pas à un rapport ou une exécution de "
        "test. Déposez le lien permanent du rapport (de la forme {expected}).",
        "The link {example} leads to the {platform} platform but not to a test report or execution. "
        "File the report's permalink (shaped like {expected}).",
    ),
    "report_link.execution_id": (
        "Identifiant d'exécution {id} de l'outil de tests éditeurs MSSanté, comme la preuve le demande : le "
        "relecteur ouvrira {url}.",
        "Execution id {id} of the MSSanté editors' test tool, as the proof asks: the reviewer will open {url}.",
    ),
    "report_link.gazelle_failed": (
        "Le rapport de validation Gazelle est en échec ({result}) : {errors:count:erreur:erreurs}, "
        "{warnings:count:avertissement:avertissements}. Premières contraintes en échec : {failures_text:word}. "
        "Corrigez le document, validez-le de nouveau et déposez le rapport de la validation réussie.",
        "The Gazelle validation report failed ({result}): {errors:count:error:errors}, "
        "{warnings:count:warning:warnings}. First failing constraints: {failures_text:word}. Fix the document, "
        "validate it again and file the report of the successful validation.",
    ),
    "report_link.gazelle_result_unknown": (
        "Le rapport de validation Gazelle n'indique pas de résultat exploitable ({result}). Déposez le "
        "rapport complet, tel que Gazelle l'a produit.",
        "The Gazelle validation report gives no usable result ({result}). File the complete report, as "
        "Gazelle produced it.",
    ),
    "report_link.gazelle_unreadable": (
        "Le fichier ressemble à un rapport Gazelle mais n'est pas un XML bien formé (ligne {line}). Déposez "
        "le rapport complet, tel que Gazelle l'a produit.",
        "The file looks like a Gazelle report but is not well-formed XML (line {line}). File the complete "
        "report, as Gazelle produced it.",
    ),
    "report_link.xml_doctype": (
        "Le XML déclare un DOCTYPE ({entities:count:entité:entités}, dont {external:count:externe:externes}) : "
        "elles n'ont été ni chargées ni développées. Un rapport Gazelle n'en contient pas : déposez le rapport "
        "tel que Gazelle l'a produit.",
        "The XML declares a DOCTYPE ({entities:count:entity:entities}, {external:number} external): they were "
        "neither loaded nor expanded. A Gazelle report has none: file the report as Gazelle produced it.",
    ),
}


# The disguises report_link.obfuscated_url and report_link.idn_homograph name
# (validator_core.toolkit.urls' forms), in words: (fr, en).
FORM_WORDS: dict[str, tuple[str, str]] = {
    "backslash": ("barre oblique inverse", "backslash"),
    "userinfo": ("identifiants avant « @ »", "credentials before “@”"),
    "whitespace_in_host": ("espaces ou retours à la ligne dans le nom", "spaces or line breaks in the name"),
    "percent_encoded_host": ("lettres codées en « %xx »", "letters encoded as “%xx”"),
    "mapped_host": ("caractères pleine chasse ou invisibles", "full-width or invisible characters"),
    "numeric_ip": ("adresse IP écrite en nombre", "IP address written as a number"),
    "mixed_script": ("lettres de plusieurs alphabets", "letters of several scripts"),
    "whole_script_confusable": ("lettres cyrilliques ou grecques sosies des latines",
                                "Cyrillic or Greek lookalikes of Latin letters"),
    "lookalike": ("imitation d'une adresse connue", "imitation of a known address"),
}
# The credentials report_link.credentials_in_url names: token shapes (validator_core.toolkit.urls'
# TOKEN_SHAPES) in words; any other kind is the name of the URL parameter that carried it.
CREDENTIAL_WORDS: dict[str, tuple[str, str]] = {
    "jwt": ("jeton JWT", "JWT token"), "google_api_key": ("clé d'API Google", "Google API key"),
    "google_oauth_token": ("jeton OAuth Google", "Google OAuth token"), "github_token": ("jeton GitHub", "GitHub token"),
    "gitlab_token": ("jeton GitLab", "GitLab token"), "slack_token": ("jeton Slack", "Slack token"),
    "aws_access_key": ("clé d'accès AWS", "AWS access key"), "stripe_key": ("clé Stripe", "Stripe key"),
    "api_secret_key": ("clé d'API secrète", "secret API key"), "token": ("jeton", "token"),
}


def words(table: dict[str, tuple[str, str]], kinds: list[str], other: tuple[str, str] = ("« {} »", "“{}”")) -> dict[str, str]:
    """``kinds`` said per language; a kind the table lacks is quoted as is (``other``)."""
    return {lang: ", ".join(dict.fromkeys(table[k][i] if k in table else other[i].format(k) for k in kinds))
            for i, lang in enumerate(("fr", "en"))}


@hookimpl
def preuves_register_checks(register):
    register(
        proof_types=("report_link",),
        media_types=None,
        version=__version__,
        description="Liens vers les rapports des plateformes de test (Gazelle, MSSanté) et rapports Gazelle XML",
        preload=PRELOAD,
    )


# The keys a detail holds in place of words (Gazelle listed no failing constraint).
WORDS = {"report_link.gazelle_failed": {"not_detailed": ("non détaillées", "not detailed")}}


@hookimpl
def preuves_register_messages(register):
    for code, (fr, en) in MESSAGES.items():
        register(code, fr=fr, en=en, words=WORDS.get(code))


# --- inference: claim Gazelle XML reports and link files -----------------------------------------
_SPACES_RE = re.compile(r"\s*")
_ROOT_RE = re.compile(r"<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)([^>]*)>?", re.S)
SNIFF_CHARS = 16 * 1024


def sniff_gazelle_root(head: bytes) -> str | None:
    """``"current"`` or ``"legacy"`` when ``head`` starts a Gazelle validation report, else ``None``.

    Cheap: a decode of the first 16 KB and two regexes; the root element's name decides, and its
    namespace (current shape) or the overview element (legacy shape) confirms.
    """
    sample = head[: SNIFF_CHARS * 2]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = sample.decode("utf-16", errors="ignore")
    else:
        text = sample.decode("utf-8", errors="ignore")
    text = text.lstrip("\ufeff")[:SNIFF_CHARS]
    rest = text[_prolog_end(text):]
    root = _ROOT_RE.match(rest)
    if root is None:
        return None
    name, attrs = root.group(2), root.group(3)
    if name == "validationReport":
        declared = set(re.findall(r"""xmlns(?::[\w.-]+)?\s*=\s*["']([^"']+)["']""", attrs))
        if declared & GAZELLE_NAMESPACES or "validationOverview" in text:
            return "current"
    elif name == "detailedResult" and ("ValidationResultsOverview" in text or "ValidationTestResult" in text):
        return "legacy"
    return None


def _prolog_end(text: str) -> int:
    """Where the root element may start: after the XML declaration, PIs, comments and a DOCTYPE.

    A loop over ``str.find`` rather than one regex: a regex with lazy ``.*?`` and ``\\s*`` around
    optional parts backtracks quadratically on a DOCTYPE followed by spaces and no ``>``.
    """
    pos, size = 0, len(text)
    while pos < size:
        pos = _SPACES_RE.match(text, pos).end()
        if text.startswith("<?", pos):
            end, skip = text.find("?>", pos + 2), 2
        elif text.startswith("<!--", pos):
            end, skip = text.find("-->", pos + 4), 3
        elif text[pos:pos + 9].upper() == "<!DOCTYPE":
            bracket, close = text.find("[", pos), text.find(">", pos)
            if bracket != -1 and (close == -1 or bracket < close):  # internal subset
                subset_end = text.find("]", bracket)
                close = text.find(">", subset_end) if subset_end != -1 else -1
            end, skip = close, 1
        else:
            return pos
        if end == -1:
            return size
        pos = end + skip
    return pos


LINK_FILE_EXTENSIONS = {"url", "webloc", "website"}
LINK_TEXT_MAX_BYTES = 64 * 1024


def looks_like_link_file(proof: Proof) -> bool:
    """A shortcut (``.url``, ``.webloc``, ``.website``), or short text whose non-empty lines mostly
    hold a web URL (a link pasted into a file)."""
    if proof.extension in LINK_FILE_EXTENSIONS:
        return True
    if not proof.media_type.startswith("text/") or proof.size > LINK_TEXT_MAX_BYTES:
        return False
    from validator_core.toolkit.urls import WEB_URL_RE

    text = proof.head.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()][:200]
    if not lines:
        return False
    with_url = sum(1 for line in lines if WEB_URL_RE.search(line))
    return with_url > 0 and (with_url * 2 >= len(lines) or (len(lines) <= 5))


@hookimpl
def preuves_infer_proof_type(proof: Proof) -> str | None:
    media_type = proof.media_type
    if ("xml" in media_type or media_type.startswith("text/")) and sniff_gazelle_root(proof.head):
        return PLUGIN
    # A PDF, a video or a picture named ".url" is what its content is: the type the rules give it.
    if proof.rules.proof_type_for_media_type(media_type) is None and looks_like_link_file(proof):
        return PLUGIN
    return None


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    from plugins.report_link_inspection import inspect

    return inspect(proof)


