"""``preuves_register_messages``: the messages of the ``requirement.*`` codes this plugin emits.

They belong to the core's ``requirement.*`` family (:data:`validator_core.catalogue.REQUIREMENT_CODE_FAMILY`),
which any catalogue plugin may emit: the codes name what a proof expects, not who checked it. The
core's own ``requirement.type_not_admitted`` is registered by the core.

Each message quotes what the proof asks for in the ANS's words (``{asked}``, from its proof, scenario
or requirement text: ``details.asked_in``) and says what to do; ``docs/checks/rem_catalogue.md``
documents every code.
"""

from __future__ import annotations

from validator_core import hookimpl

# code → (French, English); templates are filled from the finding's details.
MESSAGES: dict[str, tuple[str, str]] = {
    "requirement.pdfa_required": (
        "La preuve {requirement} demande « {asked} » ; ce PDF ne déclare pas être au format "
        "PDF/A-{part} (déclaration trouvée : {found}). Exportez-le en PDF/A-{part} avant le dépôt.",
        "Proof {requirement} asks for “{asked}”; this PDF does not claim PDF/A-{part} (claim found: {found}). "
        "Export it as PDF/A-{part} before filing.",
    ),
    "requirement.pdfa_unverified": (
        "La preuve {requirement} demande « {asked} », mais la déclaration PDF/A n'a pas pu être "
        "vérifiée : contrôlez-la avant le dépôt.",
        "Proof {requirement} asks for “{asked}”, but the PDF/A claim could not be checked: "
        "check it before filing.",
    ),
    "requirement.video_expected": (
        "La preuve {requirement} demande une vidéo : « {asked} ». Ce fichier est une image fixe ({detected}) : "
        "déposez l'enregistrement vidéo du scénario (MP4, MOV, AVI ou FLV).",
        "Proof {requirement} asks for a video: “{asked}”. This file is a still image ({detected}): "
        "file the video recording of the scenario (MP4, MOV, AVI or FLV).",
    ),
    "requirement.screenshot_expected": (
        "La preuve {requirement} demande une image fixe : « {asked} ». Ce fichier est une vidéo ({detected}) : "
        "le relecteur attend une image ; déposez la capture ou le scan demandé (PNG ou JPEG).",
        "Proof {requirement} asks for a still picture: “{asked}”. This file is a video ({detected}): the "
        "reviewer expects a picture; file the screenshot or scan asked for (PNG or JPEG).",
    ),
    "requirement.not_full_screen": (
        "La preuve {requirement} demande « {asked} » ; {width}×{height} px n'a pas la taille ou les "
        "proportions d'un écran entier (au moins {min_width}×{min_height} px, format 16:9, 16:10, 4:3…). "
        "Capturez ou enregistrez l'écran entier, pas une fenêtre.",
        "Proof {requirement} asks for “{asked}”; {width}×{height} px does not have the size or shape of a "
        "whole screen (at least {min_width}×{min_height} px, 16:9, 16:10, 4:3…). Capture or record the whole "
        "screen, not a window.",
    ),
    "requirement.identity_status_not_seen": (
        "La preuve {requirement} demande « {asked} » ; aucun statut d'identité (« Identité qualifiée », "
        "« récupérée », « provisoire », « validée ») n'a été lu à l'écran ({images:count:image lue:images lues}). Vérifiez "
        "que le statut est visible et lisible.",
        "Proof {requirement} asks for “{asked}”; no identity status (“Identité qualifiée”, “récupérée”, "
        "“provisoire”, “validée”) was read on screen ({images:count:picture read:pictures read}). Check that the status is "
        "visible and readable.",
    ),
    "requirement.clock_not_seen": (
        "La preuve {requirement} demande « {asked} » ; ni date ni heure n'a été lue à l'écran "
        "({images:count:image lue:images lues}) : la barre des tâches et son horloge semblent absentes. Enregistrez l'écran entier.",
        "Proof {requirement} asks for “{asked}”; no date or time was read on screen "
        "({images:count:picture read:pictures read}): the taskbar and its clock seem missing. Record the whole screen.",
    ),
    "requirement.file_name_mismatch": (
        "La preuve {requirement} attend un fichier nommé {expected} (« {asked} ») ; ce fichier s'appelle "
        "« {name} ». Renommez-le.",
        "Proof {requirement} expects a file named {expected} (“{asked}”); this file is named “{name}”. "
        "Rename it.",
    ),
    "requirement.file_format_mismatch": (
        "La preuve {requirement} attend un fichier {expected} (« {asked} ») ; le contenu détecté est : "
        "{media_type:format}. Déposez le fichier {expected} lui-même.",
        "Proof {requirement} expects a {expected} file (“{asked}”); the detected content is: {media_type:format}. "
        "File the {expected} file itself.",
    ),
    "requirement.smtp_expected": (
        "La preuve {requirement} demande « {asked} » : la source d'un message électronique (RFC 5322 : "
        "en-têtes From, Date…, puis le corps MIME). Ce fichier n'en est pas une : exportez la source du "
        "message depuis le client de messagerie (« Afficher la source », fichier .eml).",
        "Proof {requirement} asks for “{asked}”: the source of an e-mail message (RFC 5322: From, Date… "
        "headers, then the MIME body). This file is not one: export the message source from the mail "
        "client (“View source”, an .eml file).",
    ),
    "requirement.smtp_malformed": (
        "La preuve {requirement} demande « {asked} » ; la structure MIME de ce message est défectueuse "
        "({defects}). Déposez la source complète du message, telle qu'envoyée.",
        "Proof {requirement} asks for “{asked}”; this message's MIME structure is defective ({defects}). "
        "File the complete message source, as sent.",
    ),
    "requirement.smtp_header_missing": (
        "L'exigence de la preuve {requirement} demande « {asked} » ; il manque à la source du message : "
        "{headers}. Déposez la source d'un message qui porte ces en-têtes.",
        "The requirement of proof {requirement} asks for “{asked}”; the message source lacks: {headers}. "
        "File the source of a message that carries these headers.",
    ),
    "requirement.smtp_header_mismatch": (
        "L'exigence de la preuve {requirement} demande « {asked} » ; l'en-tête {header} du message vaut "
        "{found}, pas {expected:or}. Déposez la source d'un message conforme.",
        "The requirement of proof {requirement} asks for “{asked}”; the message's {header} header is "
        "{found}, not {expected:or}. File the source of a compliant message.",
    ),
    "requirement.smtp_attachment_missing": (
        "L'exigence de la preuve {requirement} demande « {asked} » ; le message n'a pas de pièce jointe "
        "{missing} (pièces jointes trouvées : {found:word}). Déposez la source du message envoyé avec ses "
        "pièces jointes.",
        "The requirement of proof {requirement} asks for “{asked}”; the message has no {missing} attachment "
        "(attachments found: {found:word}). File the source of the message sent with its attachments.",
    ),
    "requirement.hl7_message_missing": (
        "La preuve {requirement} demande « {asked} » ; aucun message HL7 v2 (segment MSH) n'a été trouvé "
        "dans ce fichier. Déposez le log qui contient le message {expected} émis.",
        "Proof {requirement} asks for “{asked}”; no HL7 v2 message (MSH segment) was found in this file. "
        "File the log that holds the {expected} message sent.",
    ),
    "requirement.hl7_type_mismatch": (
        "La preuve {requirement} demande « {asked} » ; les messages HL7 v2 de ce fichier sont de type "
        "{found} (MSH-9), aucun {expected}. Déposez le log du message {expected}.",
        "Proof {requirement} asks for “{asked}”; the HL7 v2 messages of this file are {found} (MSH-9), "
        "none {expected}. File the log of the {expected} message.",
    ),
    "requirement.ihe_xdm_incomplete": (
        "La preuve {requirement} demande « {asked} » ; l'archive ne contient pas {missing} (membres : "
        "{members}). Une archive IHE XDM range les documents d'un lot et leur METADATA.XML sous "
        "IHE_XDM/<lot>/ : déposez l'archive produite par le logiciel.",
        "Proof {requirement} asks for “{asked}”; the archive does not hold {missing} (members: {members}). "
        "An IHE XDM archive keeps a submission's documents and their METADATA.XML under IHE_XDM/<subset>/: "
        "file the archive the software produced.",
    ),
    "requirement.zip_missing_files": (
        "La preuve {requirement} demande « {asked} » : {expected:count:élément:éléments} ({items}) ; "
        "l'archive ne contient que {count:count:fichier:fichiers} ({members}). Ajoutez les éléments manquants à l'archive.",
        "Proof {requirement} asks for “{asked}”: {expected:count:item:items} ({items}); the archive holds only "
        "{count:count:file:files} ({members}). Add the missing items to the archive.",
    ),
    "requirement.platform_mismatch": (
        "La preuve {requirement} demande « {asked} » ; ce lien mène à {found}, pas à {expected}. "
        "Déposez le lien (ou l'identifiant d'exécution) obtenu sur {expected}.",
        "Proof {requirement} asks for “{asked}”; this link leads to {found}, not to {expected}. "
        "File the link (or execution id) obtained on {expected}.",
    ),
    "requirement.test_case_mismatch": (
        "La preuve {requirement} demande « {asked} » ; ce rapport Gazelle vient du validateur « {validator} », "
        "qui valide un autre type de document ({found}) que le cas de test {test_case}. Déposez le rapport "
        "de validation du cas de test {test_case}.",
        "Proof {requirement} asks for “{asked}”; this Gazelle report comes from the validator “{validator}”, "
        "which validates another kind of document ({found}) than test case {test_case}. File the "
        "validation report of test case {test_case}.",
    ),
}


# The keys a detail holds in place of words (the message has no attachment at all).
WORDS = {"requirement.smtp_attachment_missing": {"none": ("aucune", "none")}}


@hookimpl
def preuves_register_messages(register) -> None:
    for code, (fr, en) in MESSAGES.items():
        register(code, fr=fr, en=en, words=WORDS.get(code))
