"""``preuves_classify_proof``: which proof types a REM proof's text admits, and what else it expects.

The rules read the proof text with accents removed, in lower case, without the leading words that
say nothing about the proof's kind ("L'éditeur DOIT fournir", "Fournir les", "[Si modalité …]"):
"vidéo ou copies d'écran" → ``video`` + ``screenshot``, "Lien …" → ``report_link``, DUMP / logs /
SMTP / ZIP / CSV → ``logs``, "au format PDF/A-1" → ``pdf_report`` with ``expectations={"pdfa": "1"}``
… (the table and the counts per rule are in ``docs/requirements.md``). The hook answers last
(``trylast``): another plugin may classify a proof first.
"""

from __future__ import annotations

import re
from typing import Any

from validator_core import hookimpl
from validator_core.catalogue import ProofClassification, ProofSpec, strip_accents

VISUAL = ("video", "screenshot")
DOCUMENT = ("pdf_report", "logs")  # a PDF document goes as pdf_report (10 Mo), anything else as a file

# (pattern on the folded text, admitted types). Patterns are searched in the proof text with accents
# removed and lower-cased; every rule that matches adds its types (a proof that says "capture d'écran,
# vidéo ou notice" admits all three). Order does not matter.
TYPE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\bvideos?\b", ("video",)),
    (r"\b(copies?|captures?|capures?|impressions?) d.? ?ecrans?", ("screenshot",)),
    (r"\bdemonstration\b|^montrer\b", VISUAL),
    (r"\bscans?\b", ("screenshot", "pdf_report")),
    (r"\blien\b|\bliens\b|\bgazelle\b|identifiant de l.execution", ("report_link",)),
    (r"\bdumps?\b|\blogs?\b|^traces?\b|\btraces du systeme\b|source smtp|messager smtp|fichier zip|\.csv\b"
     r"|format csv|^fichiers?\b|^extract|^extraits?\b|message soap|^archive\b|^certificats? valide"
     r"|^(\d+ )?courriels?\b|au format ci-sis|^tableau de bord", ("logs",)),
    (r"\bpdf\b", ("pdf_report",)),
    (r"^(attestation|declaration|engagement|documentation|document presentant|procedure|pssi|pas \("
     r"|matrice|formulaire|justificatif|homologation|agrement|autorisation|description|liste de|rapports? d"
     r"|politique|processus|historique|nom des librairies|cas 1 ?:|dossier d.architecture|tableau(?! de bord)"
     r"|certificat ou garanties)", DOCUMENT),
    (r"\bnotice d.utilisation|documentation utilisateur|attestation sur l.honneur|declaration sur l.honneur",
     DOCUMENT),
)

# A proof whose text names a format ("au format PDF/A-1") is about that format, not about a visual
# demonstration that happens to mention it ("la visualisation de chaque format (… PDF/A-1)").
_PDF_FORMAT_RE = re.compile(r"format pdf|^pdf\b|contenu du pdf")
_PDFA_RE = re.compile(r"pdf ?/ ?a-? ?1")
_TEST_CASE_RE = re.compile(r"\b(CI-SIS-[A-Za-z0-9_\-]+[A-Za-z0-9]|MSS-LPS-SEGUR-[A-Z\-]*[A-Z])")
_FILE_NAME_RE = re.compile(
    r"nomm[ée]\s+([A-Za-z0-9_\-]+?_?)\[(?:date[^\]]*?)?(AAAAMMJJ)\]\.([A-Za-z0-9]+)", re.IGNORECASE
)


def fold_text(text: str) -> str:
    """Accents removed, lower case, apostrophes unified, spaces squashed (what the rules match)."""
    text = strip_accents(text).casefold().replace("\u2019", "'").replace("\u00a0", " ")
    text = " ".join(text.split())
    # Leading words that say nothing about the proof's kind: "L'éditeur DOIT fournir", "Fournir les",
    # "[Si modalité …]", "Si besoin,", "* la" … (repeated: they stack).
    prefix = re.compile(
        r"^(\*\s*|'|\[[^\]]*\]\s*|(si besoin|le cas echeant),?\s+|l'editeur (doit|fournit)( (presenter|fournir))?\s+"
        r"|fournir\s+|fourniture (de |d')|(le|la|les|un|une|des|du)\s+|l')"
    )
    while (stripped := prefix.sub("", text, count=1)) != text:
        text = stripped
    return text


def classify_text(text: str, requirement_text: str = "", scenario_text: str = "") -> ProofClassification | None:
    """The built-in rules: proof types admitted by a proof's text, and the expectations it states.

    Expectations (keys of :attr:`ProofClassification.expectations`):

    - ``pdfa``: ``"1"`` — the PDF must be PDF/A-1 ("au format PDF/A-1");
    - ``full_screen``: the capture must be full-screen with every window involved visible;
    - ``ins_structured`` / ``datamatrix_ins``: the document must carry a structured INS / an INS
      datamatrix;
    - ``gazelle_link``: a permanent link to the CI-SIS test space (Gazelle) report;
    - ``mssante_execution_id``: the execution id of a test case in the MSSanté editors' test tool;
    - ``test_case``: the test case named ("CI-SIS-CR-BIO-Create_doc-Sc1", "MSS-LPS-SEGUR-GEN");
    - ``file_format``: ``"csv"``, ``"zip"``, ``"smtp"``, ``"hl7v2"`` — what a file proof should hold;
    - ``file_name``: a name pattern such as ``LOINC_1_export_chapitres_[AAAAMMJJ].csv`` (from the
      requirement's text, for file proofs).
    """
    folded = fold_text(text)
    admits: list[str] = []
    for pattern, types in TYPE_RULES:
        if types == ("pdf_report",):
            if not _PDF_FORMAT_RE.search(folded):
                continue
        elif not re.search(pattern, folded):
            continue
        admits.extend(t for t in types if t not in admits)
    if not admits:
        return None
    expectations: dict[str, Any] = {}
    if "pdf_report" in admits and _PDFA_RE.search(folded) and _PDF_FORMAT_RE.search(folded):
        expectations["pdfa"] = "1"
    if "plein ecran" in folded:
        expectations["full_screen"] = True
    if "ins structure" in folded:
        expectations["ins_structured"] = True
    if "datamatrix ins" in folded:
        expectations["datamatrix_ins"] = True
    if "report_link" in admits:
        if "identifiant de l'execution" in folded or "mssante" in folded:
            expectations["mssante_execution_id"] = True
        else:
            expectations["gazelle_link"] = True
    if match := _TEST_CASE_RE.search(text):
        expectations["test_case"] = match.group(1)
    if "logs" in admits:
        if re.search(r"\bcsv\b", folded):
            expectations["file_format"] = "csv"
        elif re.search(r"\bzip\b", folded):
            expectations["file_format"] = "zip"
        elif "smtp" in folded:
            expectations["file_format"] = "smtp"
        elif re.search(r"\bhl7\s?v2\b|message hl7", folded):
            expectations["file_format"] = "hl7v2"
        if expectations.get("file_format") == "csv" and (named := _FILE_NAME_RE.search(requirement_text)):
            prefix, _date, ext = named.groups()
            expectations["file_name"] = f"{prefix}[AAAAMMJJ].{ext.lower()}"
    return ProofClassification(admits=tuple(admits), expectations=expectations)



@hookimpl(trylast=True)
def preuves_classify_proof(proof: ProofSpec) -> ProofClassification | None:
    return classify_text(proof.text, proof.requirement_text, proof.scenario_text)
