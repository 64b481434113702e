"""``preuves_register_messages``: the messages of the ``requirement.*`` codes this plugin emits.

They belong to the core's ``requirement.*`` family (:data:`validator_core.catalogue.REQUIREMENT_CODE_FAMILY`),
which any catalogue plugin may emit: the codes name what a proof expects, not who checked it. The
core's own ``requirement.type_not_admitted`` is registered by the core.
"""

from __future__ import annotations

from validator_core import hookimpl

# code → (French, English); templates are filled from the finding's details.
MESSAGES: dict[str, tuple[str, str]] = {
    "requirement.pdfa_required": (
        "La preuve {requirement} exige un PDF/A-{part} ; ce PDF ne déclare pas être au format "
        "PDF/A-{part} (déclaration trouvée : {found}). Exportez-le en PDF/A-{part} avant le dépôt.",
        "Proof {requirement} requires PDF/A-{part}; this PDF does not claim PDF/A-{part} (claim found: {found}). "
        "Export it as PDF/A-{part} before filing.",
    ),
    "requirement.pdfa_unverified": (
        "La preuve {requirement} exige un PDF/A-{part}, mais la déclaration PDF/A n'a pas pu être "
        "vérifiée : contrôlez-la avant le dépôt.",
        "Proof {requirement} requires PDF/A-{part}, but the PDF/A claim could not be checked: "
        "check it before filing.",
    ),
    "requirement.not_full_screen": (
        "La preuve {requirement} demande une capture en plein écran avec toutes les fenêtres "
        "impliquées visibles ; {width}×{height} px n'a pas la taille ou les proportions d'un écran entier "
        "(au moins {min_width}×{min_height} px, format 16:9, 16:10, 4:3…).",
        "Proof {requirement} asks for a full-screen capture with every window involved visible; "
        "{width}×{height} px does not have the size or shape of a whole screen "
        "(at least {min_width}×{min_height} px, 16:9, 16:10, 4:3…).",
    ),
    "requirement.file_name_mismatch": (
        "La preuve {requirement} attend un fichier nommé {expected} ; ce fichier s'appelle « {name} ».",
        "Proof {requirement} expects a file named {expected}; this file is named “{name}”.",
    ),
    "requirement.file_format_mismatch": (
        "La preuve {requirement} attend un fichier {expected} ; le contenu détecté est {media_type}.",
        "Proof {requirement} expects a {expected} file; the detected content is {media_type}.",
    ),
}


@hookimpl
def preuves_register_messages(register) -> None:
    for code, (fr, en) in MESSAGES.items():
        register(code, fr=fr, en=en)
