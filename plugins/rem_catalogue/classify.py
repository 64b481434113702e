"""``preuves_classify_proof``: which proof types a REM proof's text admits, and what else it expects.

The type rules read the proof text with accents removed, in lower case, without the leading words that
say nothing about the proof's kind ("L'éditeur DOIT fournir", "Fournir les", "[Si modalité …]"):
"vidéo ou copies d'écran" → ``video`` + ``screenshot``, "Vidéo montrant …" → ``video`` alone, "Lien …"
→ ``report_link``, DUMP / logs / SMTP / ZIP / CSV → ``logs``, "au format PDF/A-1" → ``pdf_report`` …
The admitted types come in the order the text names them. The expectations (PDF/A-1, full screen,
SMTP headers, test case …) are read from the proof, scenario and requirement texts by
:mod:`plugins.rem_catalogue.expectations`, each with the text it came from and the words quoted (the
table and the counts per rule are in ``docs/requirements.md``).

The build (:mod:`plugins.rem_catalogue.build`) stores this classification in the packaged catalogue;
the hook classifies the proofs registered without one (another catalogue plugin's). It answers last
(``trylast``): another plugin may classify a proof first.
"""

from __future__ import annotations

import re

from plugins.rem_catalogue.expectations import SCREEN_WORDS, VIDEO_WORDS, VISUAL, Texts, read_expectations
from plugins.rem_catalogue.folding import Folded, leading_words_end
from validator_core import hookimpl
from validator_core.catalogue import ProofClassification, ProofSpec

DOCUMENT = ("pdf_report", "logs")  # a PDF document goes as pdf_report (10 Mo), anything else as a file

# (pattern on the folded text, admitted types). Patterns are searched in the proof text with accents
# removed and lower-cased; every rule that matches adds its types (a proof that says "capture d'écran,
# vidéo ou notice" admits all three), in the order the text names them.
TYPE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (VIDEO_WORDS, ("video",)),
    (SCREEN_WORDS, ("screenshot",)),
    # "Démonstration (…)" / "Montrer …" that names neither a video nor a screenshot admits both; an
    # "(environnement de démonstration)" is a place, not a medium.
    (r"(?<!environnement de )\bdemonstration\b|^montrer\b", VISUAL),
    (r"\bscans?\b", ("screenshot", "pdf_report")),
    (r"\blien\b|\bliens\b|\bgazelle\b|identifiant de l.execution", ("report_link",)),
    (r"\bdumps?\b|\blogs?\b|^traces?\b|\btraces du systeme\b|source smtp|messager smtp|fichier zip|\.csv\b"
     r"|format csv|^fichiers?\b|^extract|^extraits?\b|message soap|^archive\b|^certificats? valide"
     r"|^(\d+ )?courriels?\b|au format ci-sis|^tableau de bord", ("logs",)),
    (r"\bpdf\b", ("pdf_report",)),
    (r"^(attestation|declaration|engagement|documentation|document presentant|procedure|pssi|pas \("
     r"|matrice|formulaire|justificatif|homologation|agrement|autorisation|description|liste de|lister\b|rapports? d"
     r"|politique|processus|historique|nom des librairies|cas 1 ?:|dossier d.architecture|tableau(?! de bord)"
     r"|certificat ou garanties)", DOCUMENT),
    (r"\bnotice d.utilisation|documentation utilisateur|attestation sur l.honneur|declaration sur l.honneur",
     DOCUMENT),
)
_NAMED_MEDIUM = re.compile(VIDEO_WORDS + "|" + SCREEN_WORDS)

# A proof whose text names a format ("au format PDF/A-1") is about that format, not about a visual
# demonstration that happens to mention it ("la visualisation de chaque format (… PDF/A-1)").
_PDF_FORMAT_RE = re.compile(r"format pdf|^pdf\b|contenu du pdf")


def admitted_types(body: str) -> tuple[str, ...]:
    """The proof types the folded text ``body`` admits, in the order it names them."""
    first: dict[str, tuple[int, int]] = {}  # type → (position in the text, rule order)
    for order, (pattern, types) in enumerate(TYPE_RULES):
        if types == ("pdf_report",):
            match = _PDF_FORMAT_RE.search(body)
        elif types == VISUAL and _NAMED_MEDIUM.search(body):
            match = None  # a demonstration that names its medium admits that medium
        else:
            match = re.search(pattern, body)
        if match is None:
            continue
        for rank, proof_type in enumerate(types):
            key = (match.start(), order * 10 + rank)
            if proof_type not in first or key < first[proof_type]:
                first[proof_type] = key
    return tuple(sorted(first, key=first.__getitem__))


def classify_text(text: str, requirement_text: str = "", scenario_text: str = "") -> ProofClassification | None:
    """The built-in rules: the proof types a proof's text admits, and what its texts expect.

    ``None`` when no rule reads the text (the proof then admits every type). The expectations and
    where each was read are described in :mod:`plugins.rem_catalogue.expectations`.
    """
    proof = Folded(text)
    body_start = leading_words_end(proof.text)
    admits = admitted_types(proof.text[body_start:])
    if not admits:
        return None
    texts = Texts(proof=proof, scenario=Folded(scenario_text), requirement=Folded(requirement_text),
                  proof_body=body_start)
    found = read_expectations(texts, admits)
    return ProofClassification(admits=admits, expectations=found.values, sources=found.sources)


@hookimpl(trylast=True)
def preuves_classify_proof(proof: ProofSpec) -> ProofClassification | None:
    if proof.classified:  # registered with its classification (this plugin's packaged catalogue)
        return None
    return classify_text(proof.text, proof.requirement_text, proof.scenario_text)
