"""Built-in plugin `pdf_report`: PDF reports (comptes-rendus bio, imagerie …), read with qpdf (pikepdf).

What a reviewer at the ANS needs from a filed report: it opens (no user password), it is a real,
sound PDF (not repaired on the fly), it can be read (a text layer, not only a scan), it is the PDF/A-1
the REMs ask for, and it can be trusted (no script, no launch action, no hidden payload). The plugin
also looks for identities in the text of the first pages (real NIRs, the real-INS OID).

The structure is read by qpdf (through pikepdf): a C++ parser, fuzzed continuously, that reads only
the objects asked for. pypdf only extracts the text of the first pages, from a small PDF that holds
those pages and what they use, copied out by :func:`_text_subset` — it never parses the upload itself.

Every bound counts work, never time, so that a file gets the same verdict on an idle or a loaded
machine: objects, pages, tree nodes, bytes decoded, hits, operations. Active content is looked for
three ways, none of them cut short by another's bound:

- every byte of the file, and of its object streams decoded (``max_scan_bytes``), goes through one
  linear scan (RE2) for active names, escaped (``/J#53``) or not, whatever the object count; the
  object each hit falls in is parsed and its names counted (:meth:`PdfInspector._confirm_hits`);
- what a viewer runs or opens is reached from the catalogue with its own bounded walk
  (``max_trigger_nodes``): the OpenAction chain always; and when the scan could not see every byte
  (object streams past ``max_scan_bytes``, more than ``max_scan_hits`` hits) also the catalogue's and
  every page's /AA, the /JavaScript and /EmbeddedFiles name trees, every annotation's /A and /AA,
  AcroForm fields and widgets, outlines (:meth:`PdfInspector._walk_triggers`);
- when the scan cannot place a hit (a name in a string, in bytes outside any object) or did not see
  every byte, every object is parsed in turn, up to ``max_objects`` (:meth:`PdfInspector._walk_objects`).

The page tree is walked iteratively, each node expanded once, bounded in entries and depth; a tree of
one node (the file writes /Kids once) is counted from its /Kids as written, without reading 20,000
page objects. A bound that stops what a viewer would run (page tree, trigger walk, a qpdf limit on
what they hold) is an error (``pdf_report.too_complex``): the file cannot be vouched for. A bound on
the rest is said in the report (``pdf_report.scan_partial``). Wall time is only the backstop of a
real hang (``backstop_s``, far above any file's work; the engine's worker timeout stays the last
resort).
"""

from __future__ import annotations

import bisect
import logging
import re
import signal
import threading
from contextlib import contextmanager
from io import BytesIO
from typing import Any, Iterable, Iterator, Mapping

from validator_core import Inspection, Proof, finding, hookimpl
from validator_core.toolkit.pdf import PdfEncrypted, PdfUnreadable, open_pdf

__version__ = "2.0.0"

PLUGIN = "pdf_report"

# What the inspection imports (the fork server imports them once for every worker): qpdf and pypdf,
# RE2 for the byte scan, the text toolkit for identities in the text, the PDF/A-1b checker.
PRELOAD = ("pikepdf", "pypdf", "re2", "validator_core.toolkit.text", "plugins.pdfa")

# Active or risky names (union of pdfid's and peepdf's lists, SECURITY.md), by what they mean for a
# medical report that a reviewer must open and trust.
#  - ERROR: runs code or sends/loads data on its own, or shows content other viewers do not show.
ACTIVE_ERROR = ("/JavaScript", "/JS", "/Launch", "/SubmitForm", "/ImportData", "/RichMedia", "/XFA")
#  - WARNING: hidden payloads, triggers, links to other files, 3D engines, a codec with a known history
#    of exploits and of silently swapping digits in lossy mode (JBIG2): may be legitimate, say so.
ACTIVE_WARNING = ("/AA", "/EmbeddedFile", "/EmbeddedFiles", "/GoToR", "/GoToE", "/U3D", "/PRC", "/JBIG2Decode")
#  - counted only (facts): ordinary links and the initial view of a document. They live in the
#    catalogue and in annotations, which the trigger walk always reads.
ACTIVE_COUNTED = ("/URI", "/OpenAction")
ACTIVE_NAMES = frozenset(ACTIVE_ERROR + ACTIVE_WARNING + ACTIVE_COUNTED)
# What the byte scan looks for: the names that change the verdict.
SCANNED_NAMES = frozenset(ACTIVE_ERROR + ACTIVE_WARNING)
# An /OpenAction whose action type is one of these runs something when the file is opened.
SCRIPT_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute", "/GoToE"})

# /P bits (PDF 32000-1, table 22) a reviewer needs: print, modify, copy text, annotate.
PERMISSION_BITS = {3: "print", 4: "modify", 5: "copy", 6: "annotate"}
# Page attributes a page inherits from its ancestors (PDF 32000-1, table 30).
INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")

_VERSION_RE = re.compile(rb"%PDF-(\d\.\d)")
# XMP writes the claim as an attribute (pdfaid:part="1") or an element (<pdfaid:part …>1</pdfaid:part>).
_PDFAID_PART_RE = re.compile(rb"pdfaid:part(?:\s*=\s*[\"']|[^<>]{0,200}>)\s*(\d+)")
_PDFAID_CONF_RE = re.compile(rb"pdfaid:conformance(?:\s*=\s*[\"']|[^<>]{0,200}>)\s*([A-Za-z])")

# The byte scan. A PDF name ends at white space or a delimiter (PDF 32000-1, 7.2.2 and 7.3.5), and any
# of its characters may be written #xx (7.3.5): "/J#61vaScript" is /JavaScript. One RE2 pattern (linear
# time whatever the bytes, like every scan of upload content here) finds every active name, escaped
# or not, and the names that say the file has object streams or annotations: "/", a trie of fixed
# words (each character one byte or a 3-byte escape), then a word boundary; the byte after the match
# is then checked to be a delimiter (a name like "/JS.x" is another name). bench/pdf.py times it on
# adversarial bytes against an ordinary PDF of the same size.
STRUCTURE_NAMES = frozenset({"/ObjStm", "/XRef", "/XRefStm"})
# Names only tallied, by a second pattern: whether the file has object streams, how many page-tree
# (or form, name-tree) nodes it writes. The counted names (links: thousands in a report) are counted
# as written, by a third, literal one.
TALLIED_NAMES = STRUCTURE_NAMES | {"/Kids"}
_DELIM_BYTES = frozenset(b"\x00\t\n\x0c\r /<>[]()%{}")


def _name_trie_pattern(names: list[str]) -> str:
    def char(c: str) -> str:
        escaped = "".join(f"[{d.upper()}{d.lower()}]" if d.isalpha() else d for d in f"{ord(c):02x}")
        return f"(?:{re.escape(c)}|#{escaped})"

    def build(words: list[str]) -> str:
        groups: dict[str, list[str]] = {}
        ends = False
        for word in words:
            if word:
                groups.setdefault(word[0], []).append(word[1:])
            else:
                ends = True
        alternatives = [char(c) + build(rest) for c, rest in sorted(groups.items())]
        if ends:
            alternatives.append("")
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return "/" + build([n[1:] for n in names]) + r"\b"


_SCAN_RE: Any = None  # compiled on first use (re2 is imported only where a PDF is read)
_HEX_ESCAPE_RE = re.compile(rb"#([0-9A-Fa-f]{2})")

# qpdf's warnings that say it repaired the file's structure (never shown: they may quote the file).
_REPAIR_PATTERNS: tuple[tuple[str, str], ...] = (
    ("reconstruct", "xref"),
    ("startxref", "xref"),
    ("xref", "xref"),
    ("cross-reference", "xref"),
    ("trailer", "root"),
    ("/root", "root"),
)
_OBJECT_WARNING_RE = re.compile(r"\(object (\d+) (\d+)")
_LOSSY_WARNINGS = ("null", "ignoring", "limit", "unable", "error", "invalid", "unknown token", "inserting key",
                   "treating as", "unexpected", "expected")
# Each repair's PDF syntax element at fault, for programs (details.reasons; the message says REPAIR_WORDS).
REPAIR_MARKERS = {"header": "%PDF-", "trailing_data": "%%EOF", "eof": "%%EOF", "xref": "xref", "root": "/Root",
                  "page_tree": "/Kids"}


# --- hooks ------------------------------------------------------------------------------------
@hookimpl
def preuves_register_checks(register):
    register(proof_types=("pdf_report",), media_types=("application/pdf",), version=__version__,
             description="Compte-rendu PDF : ouverture, chiffrement, PDF/A-1, couche texte, contenu actif, identités",
             preload=PRELOAD)


@hookimpl
def preuves_register_messages(register):
    for code, (fr, en) in MESSAGES.items():
        register(code, fr=fr, en=en, words=WORDS.get(code))


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    return PdfInspector(proof, proof.thresholds(PLUGIN)).run()


MESSAGES: dict[str, tuple[str, str]] = {
    "pdf_report.not_pdf": (
        "Le contenu n'est pas un PDF : aucun en-tête « %PDF- » au début du fichier ({searched:size} examinés). "
        "Déposez le compte-rendu au format PDF/A-1, tel que le logiciel l'exporte.",
        "The content is not a PDF: no “%PDF-” header at the start of the file ({searched:size} examined). File "
        "the report as PDF/A-1, as the software exports it.",
    ),
    "pdf_report.unreadable": (
        "Le PDF ne peut pas être lu, même en mode tolérant ({reason:word}) : l'ANS ne pourra pas l'ouvrir. "
        "Réexportez-le depuis le logiciel d'origine.",
        "The PDF cannot be read, even leniently ({reason:word}): the ANS will not be able to open it. "
        "Export it again from the original software.",
    ),
    "pdf_report.encrypted": (
        "Le PDF est protégé par un mot de passe à l'ouverture : l'ANS ne pourra pas l'ouvrir. "
        "Déposez une version sans mot de passe.",
        "The PDF is protected by an open (user) password: the ANS will not be able to open it. "
        "File a version without a password.",
    ),
    "pdf_report.no_pages": (
        "Le PDF ne contient aucune page : il n'y a rien à examiner. Réexportez le compte-rendu depuis le "
        "logiciel d'origine.",
        "The PDF has no pages: there is nothing to review. Export the report again from the original "
        "software.",
    ),
    "pdf_report.restricted": (
        "Le PDF s'ouvre mais un mot de passe propriétaire lui retire {count} {count:plural:droit:droits} sur 4 "
        "(impression, modification, copie du texte, annotations) : le relecteur peut en être gêné. Préférez une "
        "version sans restriction.",
        "The PDF opens but an owner password removes {count} of 4 rights (printing, modifying, copying "
        "text, annotating): this may hinder the reviewer. Prefer a version without restrictions.",
    ),
    "pdf_report.no_text": (
        "Aucun texte n'a pu être extrait {pages_scanned:plural:de la première page:des premières pages} "
        "({pages_scanned:count:page examinée:pages examinées}) : le compte-rendu semble être une image numérisée. Déposez le PDF produit "
        "par le logiciel (avec sa couche texte).",
        "No text could be extracted from the first {pages_scanned:count:page:pages} examined: the report looks "
        "like a scanned image. File the PDF produced by the software (with its text layer).",
    ),
    "pdf_report.pdfa_missing": (
        "Le PDF ne déclare pas être au format PDF/A-1 (la déclaration PDF/A du document est absente) alors que "
        "les REM demandent ce document « au format PDF/A-1 » (exigences sur {families_words[fr]:and}). Exportez-le "
        "en PDF/A-1 depuis le logiciel qui l'a produit.",
        "The PDF does not claim to be PDF/A-1 (the document's PDF/A claim is missing) while the REMs ask for "
        "this document “au format PDF/A-1” (requirements on {families_words[en]:and}). Export it as PDF/A-1 from "
        "the software that produced it.",
    ),
    "pdf_report.pdfa_not_1": (
        "Le PDF déclare {claim}, pas PDF/A-1 : les REM demandent ce document « au format PDF/A-1 » (exigences "
        "sur {families_words[fr]:and}). Exportez-le en PDF/A-1 depuis le logiciel qui l'a produit.",
        "The PDF claims {claim}, not PDF/A-1: the REMs ask for this document “au format PDF/A-1” (requirements "
        "on {families_words[en]:and}). Export it as PDF/A-1 from the software that produced it.",
    ),
    "pdf_report.pdfa_nonconformant": (
        "Le PDF n'est pas conforme à PDF/A-1 (ISO 19005-1, niveau B) : {failed[fr]}. Produisez-le en PDF/A-1 : "
        "option d'export PDF/A-1 du logiciel qui génère le compte-rendu, export PDF de LibreOffice avec "
        "« PDF/A-1b », ou Ghostscript (gs -dPDFA=1 -dPDFACompatibilityPolicy=1 -sColorConversionStrategy=RGB "
        "-sDEVICE=pdfwrite).",
        "The PDF does not conform to PDF/A-1 (ISO 19005-1, level B): {failed[en]}. Produce it as PDF/A-1: the "
        "PDF/A-1 export option of the software that generates the report, LibreOffice's PDF export with "
        "“PDF/A-1b”, or Ghostscript (gs -dPDFA=1 -dPDFACompatibilityPolicy=1 -sColorConversionStrategy=RGB "
        "-sDEVICE=pdfwrite).",
    ),
    "pdf_report.pdfa_incomplete": (
        "La conformité PDF/A-1 n'a pas pu être entièrement vérifiée : le fichier dépasse une limite "
        "d'analyse, très loin de ce que contient un compte-rendu ordinaire, ou contient des données illisibles. "
        "Réexportez-le en PDF/A-1.",
        "PDF/A-1 conformance could not be fully checked: the file exceeds an analysis limit, far "
        "beyond what an ordinary report holds, or holds unreadable data. Export it again as PDF/A-1.",
    ),
    "pdf_report.active_content": (
        "Le PDF contient du contenu actif : {names:word:and}. Un compte-rendu ne doit rien exécuter à "
        "l'ouverture : réexportez-le sans ce contenu (PDF/A-1).",
        "The PDF holds active content: {names:word:and}. A report must not run anything when opened: export it "
        "again without this content (PDF/A-1).",
    ),
    "pdf_report.risky_content": (
        "Le PDF contient des éléments à risque : {names:word:and}. PDF/A-1 les exclut pour la plupart : "
        "vérifiez qu'ils sont voulus, sinon réexportez le compte-rendu en PDF/A-1.",
        "The PDF holds risky elements: {names:word:and}. PDF/A-1 excludes most of them: check that they are "
        "intended, otherwise export the report again as PDF/A-1.",
    ),
    "pdf_report.repaired": (
        "Le PDF est abîmé et a dû être réparé pour être lu (en cause : {codes:word:and}) : un autre lecteur "
        "peut l'afficher autrement ou refuser de l'ouvrir. Réexportez-le.",
        "The PDF is damaged and had to be repaired to be read (at fault: {codes:word:and}): another viewer may "
        "show it differently or refuse to open it. Export it again.",
    ),
    "pdf_report.objects_unreadable": (
        "{count:count:objet du PDF n'a:objets du PDF n'ont} pas pu être lus (structure invalide, trop imbriquée "
        "ou au-delà des limites de décompression) : le document peut s'afficher incomplet. Réexportez-le "
        "depuis le logiciel d'origine.",
        "{count:count:PDF object:PDF objects} could not be read (invalid structure, nested too deep or beyond "
        "the decompression limits): the document may display incompletely. Export it again from the original "
        "software.",
    ),
    "pdf_report.scan_partial": (
        "Analyse partielle : {scanned} objets examinés sur {total} (limite de {limit}) ; le contenu actif "
        "éventuel des autres objets n'a pas été recherché. Les actions qu'un lecteur exécute (ouverture, pages, "
        "annotations, formulaires, scripts du document) ont, elles, toutes été examinées. Pour une analyse "
        "complète, réexportez le compte-rendu depuis le logiciel d'origine.",
        "Partial analysis: {scanned} of {total} objects examined (limit of {limit}); active content in the "
        "other objects was not looked for. The actions a viewer runs (opening, pages, annotations, forms, "
        "document scripts) were all examined. For a full analysis, export the report again from the original "
        "software.",
    ),
    "pdf_report.too_complex": (
        "Le PDF dépasse une limite d'analyse ({what_words[fr]} : plus de {limit}) : les actions qu'un lecteur "
        "exécuterait n'ont pas toutes pu être examinées, le fichier ne peut donc pas être garanti sans "
        "script. Un compte-rendu ordinaire en est très loin : réexportez-le.",
        "The PDF exceeds an analysis limit ({what_words[en]}: more than {limit}): not every action a viewer "
        "would run could be examined, so the file cannot be vouched for as script-free. An ordinary report is "
        "far from it: export it again.",
    ),
    "pdf_report.budget_exceeded": (
        "Analyse interrompue après {seconds:number} s, bien au-delà du temps d'un compte-rendu ordinaire (moins "
        "d'une seconde) : le fichier n'a pas pu être entièrement vérifié. Réexportez-le depuis le logiciel "
        "d'origine.",
        "Analysis stopped after {seconds:number} s, far beyond the time an ordinary report takes (under a "
        "second): the file could not be fully checked. Export it again from the original software.",
    ),
    "pdf_report.nir_unknown": (
        "Le texte contient {count:count:NIR valide:NIR valides} qui ne {count:plural:correspond:correspondent} "
        "à aucune identité de test connue ({masked}) : des données de vrais patients ont peut-être fuité dans "
        "la preuve. Utilisez des identités fictives.",
        "The text holds {count:count:valid NIR:valid NIRs} that {count:plural:is:are} not a known test identity "
        "({masked}): real patients' data may have leaked into the proof. Use fictitious identities.",
    ),
    "pdf_report.ins_real_oid": (
        "Le texte cite l'OID de l'INS-NIR réel (1.2.250.1.213.1.4.8) {count:count:fois:fois} : une preuve doit "
        "utiliser des INS de test (…4.10) ou de démonstration (…4.11). Refaites le compte-rendu avec des "
        "identités de test.",
        "The text cites the real INS-NIR OID (1.2.250.1.213.1.4.8) {count:count:time:times}: a proof must use "
        "test (…4.10) or demo (…4.11) INS. Make the report again with test identities.",
    ),
}

# The REM requirement families asking for PDF/A-1 (``pdfa_requirement_families``), in words: (fr, en).
FAMILY_WORDS = {
    "DOC": ("la production de documents", "document production"),
    "MSS": ("les envois par MSSanté", "sending through MSSanté"),
    "CRI": ("le compte-rendu d'imagerie", "the imaging report"),
}
# What ``pdf_report.too_complex`` counts, in words: (fr, en).
WHAT_WORDS = {
    "pages": ("pages", "pages"),
    "page_tree_depth": ("profondeur de l'arbre des pages", "page tree depth"),
    "triggers": ("actions déclenchées", "triggered actions"),
    "qpdf_limits": ("taille décompressée ou nombre d'éléments", "decompressed size or number of items"),
}


def _words(table: Mapping[str, tuple[str, str]], keys: Iterable[str]) -> dict[str, list[str]]:
    """``keys`` said per language, a list each (a key the table lacks is said as is): templates join them
    (``{families_words[fr]:and}``)."""
    keys = list(keys)
    return {lang: [table.get(k, (k, k))[i] for k in keys] for i, lang in enumerate(("fr", "en"))}


# The active and risky names (details.names, as the PDF writes them) in words: (fr, en).
NAME_WORDS = {
    "/JavaScript": ("script JavaScript", "JavaScript script"), "/JS": ("script JavaScript", "JavaScript script"),
    "/Launch": ("lancement de programme", "program launch"), "/SubmitForm": ("envoi de formulaire", "form submission"),
    "/ImportData": ("import de données", "data import"), "/RichMedia": ("média intégré", "embedded media"),
    "/XFA": ("formulaire XFA", "XFA form"), "/OpenAction": ("action lancée à l'ouverture", "action run on opening"),
    "/AA": ("actions déclenchées", "triggered actions"), "/EmbeddedFile": ("pièces jointes", "attachments"),
    "/EmbeddedFiles": ("pièces jointes", "attachments"), "/GoToR": ("liens vers d'autres fichiers", "links to other files"),
    "/GoToE": ("liens vers des fichiers joints", "links to attached files"), "/U3D": ("modèles 3D", "3D models"),
    "/PRC": ("modèles 3D", "3D models"), "/JBIG2Decode": ("images JBIG2", "JBIG2 images"),
}
# What was repaired (details.codes, REPAIR_MARKERS' keys) in words: (fr, en).
REPAIR_WORDS = {
    "header": ("octets avant l'en-tête « %PDF- »", "bytes before the “%PDF-” header"),
    "trailing_data": ("données après la fin du fichier", "data after the end of the file"),
    "eof": ("fin du fichier absente (fichier coupé)", "end of the file missing (cut file)"),
    "xref": ("table des références croisées", "cross-reference table"),
    "root": ("catalogue du document", "document catalogue"),
    "page_tree": ("arbre des pages", "page tree"),
}
WORDS = {"pdf_report.active_content": NAME_WORDS, "pdf_report.risky_content": NAME_WORDS,
         "pdf_report.repaired": REPAIR_WORDS}

# What ``pdf_report.too_complex`` names, in the message (the same words in both languages are codes).
LIMIT_WHAT = {
    "pages": "max_page_tree_entries",
    "page_tree_depth": "max_walk_depth",
    "triggers": "max_trigger_nodes",
    "qpdf_limits": "max_decompressed_bytes / max_container_items",
}


# --- pypdf set-up (qpdf's limits: validator_core.toolkit.pdf) ----------------------------------
def pdfa_budget(settings: Mapping[str, Any]):
    """The work one PDF/A-1b check may do (:class:`plugins.pdfa.Budget`), from ``[thresholds.pdf_report]``."""
    from plugins import pdfa

    return pdfa.Budget(int(settings["pdfa_max_objects"]), int(settings["pdfa_max_content_bytes"]),
                       int(settings["pdfa_max_fonts"]), int(settings["pdfa_max_operators"]))


def _pypdf_limits(size: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    """pypdf's limits (``pypdf.Configuration``) for the text of the first pages of a ≤ 10 Mo file.

    pypdf's defaults (75 MB per stream, 300 MB of decoding work) are for any PDF; a report of 10 Mo has
    no stream longer than the file itself, and no page whose content inflates to tens of megabytes.
    """
    out = int(settings["max_decompressed_bytes"])
    return {
        # A declared /Length longer than the file is a lie: do not allocate for it.
        "maximum_declared_stream_length": max(size, 1024),
        "array_based_stream_maximum_output_length": out,
        "zlib_maximum_output_length": out,
        "zlib_maximum_recovery_input_length": min(size, 5_000_000),
        "lzw_maximum_output_length": out,
        "run_length_maximum_output_length": out,
        "brotli_maximum_output_length": out,
        "jbig2_maximum_output_length": out,
        "image_maximum_buffer_size": out,
        "stream_decoding_work_maximum_length": 4 * out,
        "stream_parsing_work_maximum_count": int(settings["max_content_operations"]),
        "xmp_maximum_input_length": int(settings["max_xmp_bytes"]),
        "xmp_maximum_element_count": 10_000,
        "xform_maximum_invocations_per_extraction": 100,
        "page_tree_maximum_entries": 1_000,  # the copy holds ≤ text_pages pages
        "outline_maximum_entries": 10_000,
        "form_fields_maximum_entries": 10_000,
        "named_destinations_maximum_entries": 10_000,
        "jbig2dec_binary": None,  # never run an external decoder on an upload
        "disable_legacy_handling": True,
    }


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs oddities of the pages it reads: a hostile file must not flood the worker's log."""
    logger = logging.getLogger("pypdf")
    previous = logger.propagate, logger.level
    logger.propagate = False
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.propagate, level = previous
        logger.setLevel(level)


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that a library's ``except Exception`` cannot swallow it."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """The backstop of a real hang (SIGALRM), far above what any file's work bounds allow.

    It turns a hang into our own finding instead of the engine's check.timeout. Only in a main thread
    (worker processes run plugins there); elsewhere the engine's worker timeout alone applies.
    """
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def on_alarm(signum, frame):  # noqa: ARG001
        raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_BOUNDED_READER: type | None = None


def _bounded_reader(stream: BytesIO, missing_budget: int):
    """pypdf's reader, with a bound on lookups of objects that the xref does not list.

    For each such lookup pypdf searches the whole file with a regular expression; after
    ``missing_budget`` of them a missing object is simply null (what pypdf returns when its search
    fails anyway). The class is made on first use: pypdf is imported only where a PDF is read.
    """
    global _BOUNDED_READER
    if _BOUNDED_READER is None:
        from pypdf import PdfReader
        from pypdf.generic import IndirectObject

        class BoundedReader(PdfReader):
            def __init__(self, stream: BytesIO, *, missing_budget: int) -> None:
                self.missing_lookups = 0
                self.missing_budget = missing_budget
                super().__init__(stream, strict=False)

            def get_object(self, indirect_reference):
                if isinstance(indirect_reference, int):
                    indirect_reference = IndirectObject(indirect_reference, 0, self)
                key = (indirect_reference.generation, indirect_reference.idnum)
                if (
                    key not in self.resolved_objects
                    and not (key[0] == 0 and key[1] in self.xref_objStm)
                    and key[1] not in self.xref.get(key[0], {})
                ):
                    self.missing_lookups += 1
                    if self.missing_lookups > self.missing_budget:
                        self.resolved_objects[key] = None
                        return None
                return super().get_object(indirect_reference)

        _BOUNDED_READER = BoundedReader
    return _BOUNDED_READER(stream, missing_budget=missing_budget)


class _TextWorkDone(BaseException):
    """Raised from pypdf's operator visitor when the text pages used up ``text_max_operations``
    (a BaseException: pypdf catches ``Exception`` around forms)."""


class _TooComplex(Exception):
    """A work bound on what a viewer runs was reached: the inspection cannot vouch for the file."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(what)
        self.what, self.limit = what, limit


# --- the inspection --------------------------------------------------------------------------
class PdfInspector:
    """One inspection of one PDF: ``run()`` returns the findings and facts."""

    def __init__(self, proof: Proof, settings: Mapping[str, Any]) -> None:
        self.proof = proof
        self.settings = settings
        self.findings: list = []
        self.facts: dict[str, Any] = {}
        self.stage = "structure"
        # Active names per indirect object ((num, gen) -> {name: count}), each object counted once
        # whichever pass (byte scan, trigger walk, object walk) reached it first.
        self.names_by_object: dict[tuple[int, int], dict[str, int]] = {}
        self.unreadable: set[tuple[int, int]] = set()
        self.warnings = 0
        self.repairs: list[str] = []
        self._xref_table: dict | None = None

    def run(self) -> Inspection:
        data = self.proof.read(self.proof.size)  # ≤ 10 Mo: the engine refused anything larger
        header_at = self._header_offset(data)
        if header_at < 0:
            self.findings.append(finding("pdf_report.not_pdf", "error", searched=self.settings["header_search_bytes"]))
            return self._done()
        version = _VERSION_RE.match(data, header_at)
        self.facts["pdf_version"] = version.group(1).decode() if version else None
        self.repairs = self._byte_level_repairs(data, header_at)

        backstop = float(self.settings["backstop_s"])
        try:
            with _time_limit(backstop):
                self._inspect(data, header_at)
        except _OutOfTime:
            self.facts["budget_exceeded"] = [self.stage]
            self.findings.append(finding("pdf_report.budget_exceeded", "error", stage=self.stage,
                                         seconds=round(backstop, 1)))
        except RecursionError:
            self._unreadable("RecursionError")
        except MemoryError:
            self._unreadable("MemoryError")
        self.facts["parser_warnings"] = self.warnings
        if self.repairs and not any(f.code in ("pdf_report.unreadable", "pdf_report.not_pdf") for f in self.findings):
            self.findings.append(finding(
                "pdf_report.repaired", "warning", codes=self.repairs,
                reasons=", ".join(dict.fromkeys(REPAIR_MARKERS[r] for r in self.repairs)),
            ))
        self.facts["repairs"] = self.repairs
        return self._done()

    def _done(self) -> Inspection:
        return Inspection(findings=self.findings, facts=self.facts)

    def _unreadable(self, reason: str) -> None:
        self.findings.append(finding("pdf_report.unreadable", "error", reason=reason))

    def _too_complex(self, what: str, limit: int) -> None:
        self.facts.setdefault("limits_reached", []).append(what)
        self.findings.append(finding("pdf_report.too_complex", "error", what=what, limit=limit,
                                     setting=LIMIT_WHAT[what], what_words=_words(WHAT_WORDS, [what])))

    # -- bytes ------------------------------------------------------------------------------
    def _header_offset(self, data: bytes) -> int:
        """Where ``%PDF-`` starts; viewers accept it within the first KB (PDF 32000 Annex H)."""
        return data.find(b"%PDF-", 0, int(self.settings["header_search_bytes"]) + 5)

    @staticmethod
    def _byte_level_repairs(data: bytes, header_at: int) -> list[str]:
        repairs = []
        if header_at > 0:
            repairs.append("header")
        tail = data[-65536:]
        eof = tail.rfind(b"%%EOF")
        if eof < 0:
            repairs.append("eof")
        elif tail[eof + 5:].strip(b" \t\r\n\f\x00"):
            repairs.append("trailing_data")
        return repairs

    # -- qpdf warnings ----------------------------------------------------------------------
    def _collect_warnings(self, pdf) -> bool:
        """qpdf's warnings since the last call: structure repairs, and objects it could not read.

        Returns whether one of them says a qpdf limit stopped the reading of an object (qpdf then
        gives null, and a dictionary key whose value is null is absent: only the warning tells).
        """
        limited = False
        for text in pdf.get_warnings():
            self.warnings += 1
            lowered = text.lower()
            if "limits error" in lowered or "limit exceeded" in lowered:  # "limits error(parser-max-nesting)",
                limited = True                                               # "PL_Flate memory limit exceeded"
            if m := _OBJECT_WARNING_RE.search(text):
                # qpdf says which object; only some warnings mean that what it read is not what is written
                # ("name with stray #", "duplicated key" are notes on an object read whole)
                if any(word in lowered for word in _LOSSY_WARNINGS):
                    self.unreadable.add((int(m.group(1)), int(m.group(2))))
                continue
            for needle, reason in _REPAIR_PATTERNS:
                if needle in lowered:
                    if reason not in self.repairs:
                        self.repairs.append(reason)
                    break
        return limited

    # -- structure --------------------------------------------------------------------------
    def _inspect(self, data: bytes, header_at: int) -> None:
        import pikepdf

        try:
            # qpdf decodes only what it is asked to (object streams, XMP, the byte scan's object
            # streams); its decoders stop at the same output size as pypdf's, arrays and dictionaries
            # at the size pypdf allows.
            pdf = open_pdf(self.proof.path, max_decompressed_bytes=int(self.settings["max_decompressed_bytes"]),
                           max_container_items=int(self.settings["max_container_items"]))
        except PdfEncrypted:
            self.facts["encryption"] = "user_password"
            self.findings.append(finding("pdf_report.encrypted", "error"))
            return
        except PdfUnreadable as exc:
            self._unreadable(exc.reason)
            return
        try:
            self._collect_warnings(pdf)
            self._inspect_document(pikepdf, pdf, data, header_at)
        finally:
            pdf.close()

    def _inspect_document(self, pikepdf, pdf, data: bytes, header_at: int) -> None:
        self._check_encryption(pdf)
        try:
            root = pdf.Root
            if not isinstance(root, pikepdf.Dictionary):
                raise TypeError("no catalog")
        except Exception as exc:  # noqa: BLE001 - any failure here means "cannot be read"
            self._unreadable(type(exc).__name__)
            return
        self._catalog_version(pikepdf, root)
        self._document_info(pikepdf, pdf)

        # The bytes first, raw and of the object streams decoded: where active names are written, and
        # whether pages can hold triggers at all or the page tree has a single node.
        self.stage = "objects"
        hits_left = [int(self.settings["max_scan_hits"])]
        raw_hits, capped = _scan(data, hits_left)
        tally = _tally(data)
        streams_possible = bool(tally.keys() & STRUCTURE_NAMES) or "xref" in self.repairs or any(
            key in pdf.trailer for key in ("/W", "/XRefStm"))
        packed_hits: list[tuple[tuple[int, int], str]] = []
        complete, limited = not capped, False
        if streams_possible:
            packed_hits, packed_complete, limited = self._scan_object_streams(pikepdf, pdf, hits_left, tally)
            complete = complete and packed_complete
            limited = self._collect_warnings(pdf) or limited
        self.facts.setdefault("scan", {"object_stream_bytes": 0, "object_streams": 0})["complete"] = complete
        # A complete scan has read every byte of every object: what pages and annotations hold is known
        # from it. Only when it is not (object streams past max_scan_bytes) are they walked one by one.
        page_triggers = not complete
        # A page-tree node needs its own /Kids: a file that writes that name once has one node, and
        # every kid of it is a page (or not a page at all), known without reading each one.
        flat = complete and tally.get("/Kids") == 1
        # Names only counted (links, initial view): tallied from the bytes when the scan saw them all.
        tally = {name: n for name, n in tally.items() if name in ACTIVE_COUNTED}

        # What a viewer shows and runs: read whatever the object count; a qpdf limit reached here
        # (a bomb in an object stream holding an action, nesting past qpdf's bound) stops the vouching.
        limits_before = pikepdf.settings.qpdf_limit_errors()
        try:
            self._pdfa_claim(pikepdf, root)
            self._pdfa_conformance(pikepdf, pdf, data, header_at)
            self.stage = "pages"
            counted = self._flat_pages(pikepdf, pdf, root) if flat else None
            if counted is None:
                counted = self._walk_pages(pikepdf, root, page_triggers)
            pages, first_pages, trigger_pages = counted
            self.facts["page_count"] = pages
            if pages == 0:
                self.findings.append(finding("pdf_report.no_pages", "error"))
            self.stage = "triggers"
            script_open = self._walk_triggers(pikepdf, pdf, root, trigger_pages, everything=not complete)
        except _TooComplex as exc:
            self._too_complex(exc.what, exc.limit)
            first_pages, script_open = [], False
        # An object stream we could not decode for a limit hides its objects from us, not from a
        # viewer without the limit: that too stops the vouching.
        limited = self._collect_warnings(pdf) or pikepdf.settings.qpdf_limit_errors() > limits_before or limited
        if limited and "qpdf_limits" not in self.facts.get("limits_reached", ()):
            self._too_complex("qpdf_limits", int(self.settings["max_decompressed_bytes"]))

        self.stage = "objects"
        self._confirm_hits(pikepdf, pdf, data, header_at, raw_hits, packed_hits, complete)
        self._collect_warnings(pdf)
        self._active_content_findings(script_open, tally if complete else None)

        if first_pages:
            self.stage = "text"
            self._scan_text(pikepdf, pdf, first_pages, len(data))
        self._collect_warnings(pdf)

    def _check_encryption(self, pdf) -> None:
        if not pdf.is_encrypted:
            self.facts["encryption"] = "none"
            return
        self.facts["encryption"] = "owner_password"  # it opened with the empty user password
        try:
            p = int(pdf.encryption.P)
        except Exception:  # noqa: BLE001
            p = -1
        denied = [name for bit, name in PERMISSION_BITS.items() if not p & (1 << (bit - 1))]
        self.facts["permissions_denied"] = denied
        self.findings.append(finding("pdf_report.restricted", "warning", count=len(denied), denied=denied))

    def _catalog_version(self, pikepdf, root) -> None:
        try:
            declared = root.get("/Version")
        except Exception:  # noqa: BLE001
            return
        if isinstance(declared, pikepdf.Name) and self.facts.get("pdf_version"):
            declared = str(declared).lstrip("/")
            if re.fullmatch(r"\d\.\d", declared) and declared > self.facts["pdf_version"]:
                self.facts["pdf_version"] = declared

    def _document_info(self, pikepdf, pdf) -> None:
        """Producer and creator (software names; title/author may name a patient: never read)."""
        try:
            info = pdf.trailer.get("/Info")
        except Exception:  # noqa: BLE001
            info = None
        for key, fact in (("/Producer", "producer"), ("/Creator", "creator")):
            value = None
            try:
                if isinstance(info, pikepdf.Dictionary):
                    raw = info.get(key)
                    if isinstance(raw, pikepdf.String):
                        value = str(raw)[:120]
            except Exception:  # noqa: BLE001
                value = None
            self.facts[fact] = value

    def _pdfa_claim(self, pikepdf, root) -> None:
        """The PDF/A claim of the XMP packet (``pdfaid:part`` / ``pdfaid:conformance``).

        Read with a byte search, not an XML parser: a claim is two short values, and XMP from uploads
        must not reach an XML parser for that. This is a claim only; conformance needs veraPDF.
        """
        part = conformance = None
        try:
            stream = root.get("/Metadata")
            if isinstance(stream, pikepdf.Stream):
                xmp = stream.read_bytes()[: int(self.settings["max_xmp_bytes"])]
                if m := _PDFAID_PART_RE.search(xmp):
                    part = int(m.group(1))
                if m := _PDFAID_CONF_RE.search(xmp):
                    conformance = m.group(1).decode().lower()
        except Exception:  # noqa: BLE001 - an unreadable XMP packet is no claim
            pass
        claim = f"PDF/A-{part}{conformance or ''}" if part else None
        self.facts["pdfa"] = {"part": part, "conformance": conformance, "claim": claim}
        families = ", ".join(self.settings["pdfa_requirement_families"])
        families_words = _words(FAMILY_WORDS, self.settings["pdfa_requirement_families"])
        required = int(self.settings["pdfa_required_part"])
        if part is None:
            self.findings.append(finding("pdf_report.pdfa_missing", "warning", families=families, required_part=required,
                                         families_words=families_words))
        elif part != required:
            self.findings.append(finding("pdf_report.pdfa_not_1", "warning", claim=claim, families=families,
                                         required_part=required, families_words=families_words))

    def _pdfa_conformance(self, pikepdf, pdf, data: bytes, header_at: int) -> None:
        """Check PDF/A-1b conformance (:mod:`plugins.pdfa`) when the file claims PDF/A-1 or the proof's
        requirement asks for it; the failed clauses go into the facts. A file that claims PDF/A-1 and
        does not conform gets pdfa_nonconformant: an error when the requirement asks for PDF/A-1, a
        warning when it is only claimed. Without the claim, pdfa_missing / pdfa_not_1 already say the
        file is not PDF/A-1 (raised to errors by the requirement)."""
        claim = self.facts["pdfa"]
        required = str(self.proof.context.get("requirement", {}).get("expectations", {}).get("pdfa") or "") == "1"
        if claim["part"] != 1 and not required:
            return
        from plugins import pdfa

        self.stage = "pdfa"
        result = pdfa.check(pikepdf, pdf, data, pdfa_budget(self.settings), header_at)
        claim.update({"claimed": f"1{claim['conformance'].upper()}" if claim["part"] == 1 and claim["conformance"]
                      else None, **result})
        severity = "error" if required else "warning"
        if claim["part"] != 1:
            return
        if result["failed"]:
            self.findings.append(finding(
                "pdf_report.pdfa_nonconformant", severity, clauses=sorted({f["clause"] for f in result["failed"]}),
                failed={lang: pdfa.describe(result["failed"], lang) for lang in ("fr", "en")}))
        elif not result["complete"]:
            self.findings.append(finding("pdf_report.pdfa_incomplete", severity, limit=result["limit"]))

    # -- the page tree ------------------------------------------------------------------------
    def _flat_pages(self, pikepdf, pdf, root):
        """The page count of a one-node page tree without reading its pages, or None to walk it.

        Only for a file whose bytes (raw, and every object stream decoded) write no /AA nor /Annots
        and /Kids once (see the caller): no kid can then be a node, nor hold a trigger. The kids are read from the node's
        /Kids as written (references only, else None); a kid counts as a page when the xref holds it,
        as a broken entry when not (missing, free, or the node itself). The first ``text_pages``
        kids are read for their text, and must be pages: if one is not, the tree is walked instead.
        """
        Dictionary = pikepdf.Dictionary
        KIDS = pikepdf.Name.Kids
        max_entries = int(self.settings["max_page_tree_entries"])
        text_pages = int(self.settings["text_pages"])
        try:
            top = root.get("/Pages")
            if not isinstance(top, Dictionary) or KIDS not in top:
                return None
            written = top[KIDS].unparse()
        except Exception:  # noqa: BLE001
            return None
        refs = _kid_references(written)
        if refs is None:
            return None
        if len(refs) + 1 > max_entries:
            raise _TooComplex("pages", max_entries)
        xref = self._xref(pdf)
        inherited = {k: top[k] for k in INHERITABLE if k in top}
        count = broken = 0
        for og in refs:
            entry = xref.get(og)
            if entry is None or entry.type not in (1, 2) or og == top.objgen:
                broken += 1
            else:
                count += 1
        first = []
        for og in refs[:text_pages]:
            node = self._safe_get(pdf, og)
            if not isinstance(node, Dictionary) or KIDS in node:
                return None
            first.append((node, inherited))
        if broken and "page_tree" not in self.repairs:
            self.repairs.append("page_tree")
        self.facts["page_tree_broken_entries"] = broken
        self.facts["page_tree_walk"] = "one_node"
        return count, first, []

    def _walk_pages(self, pikepdf, root, with_triggers: bool = True):
        """Count the pages of the page tree: iterative, each node expanded once, depth- and entry-bounded.

        A node with /Kids is a node of the tree, anything else a page (what qpdf, pypdf and pdf.js do).
        A node met twice (a loop, or a node shared by two parents) is not expanded again and the tree
        counts as repaired; a page met twice is counted each time (viewers show it twice) and
        inspected once. Returns the count, the first ``text_pages`` pages with the attributes they
        inherit, and the pages that carry triggers (/AA, /Annots) with the object that holds them
        (not asked when ``with_triggers`` is false: no byte of the file writes those names).
        """
        Dictionary, Array = pikepdf.Dictionary, pikepdf.Array
        KIDS, AA, ANNOTS = pikepdf.Name.Kids, pikepdf.Name.AA, pikepdf.Name.Annots
        max_entries = int(self.settings["max_page_tree_entries"])
        max_depth = int(self.settings["max_walk_depth"])
        text_pages = int(self.settings["text_pages"])
        try:
            top = root.get("/Pages")
        except Exception:  # noqa: BLE001
            top = None
        if not isinstance(top, Dictionary):
            return 0, [], []
        # Frames of the walk, depth first in document order: [kids, next index, depth, inherited
        # attributes, indirect object holding the kids ((-1, -1): the trailer)].
        holder = top.objgen if top.objgen != (0, 0) else (root.objgen if root.objgen != (0, 0) else (-1, -1))
        frames: list[list[Any]] = [[[top], 0, 0, {}, holder]]
        nodes: set[tuple[int, int]] = set()
        leaves: set[tuple[int, int]] = set()
        first: list[tuple[Any, dict]] = []
        triggers: list[tuple[Any, tuple[int, int]]] = []
        queued = 1
        count = broken = 0
        while frames:
            frame = frames[-1]
            kids, index, depth, inherited, holder = frame
            if index >= len(kids):
                frames.pop()
                continue
            frame[1] = index + 1
            node = kids[index]
            try:
                if not isinstance(node, Dictionary):
                    broken += 1  # null, a missing object, a number …: not a page
                    continue
                og = node.objgen
                if KIDS in node:
                    if og in nodes:
                        broken += 1
                        continue
                    if og != (0, 0):
                        nodes.add(og)
                    if depth >= max_depth:
                        raise _TooComplex("page_tree_depth", max_depth)
                    children = node[KIDS]
                    if not isinstance(children, Array):
                        broken += 1
                        continue
                    queued += len(children)
                    if queued > max_entries:  # checked before the kids are read
                        raise _TooComplex("pages", max_entries)
                    if len(first) < text_pages:
                        inherited = {**inherited, **{k: node[k] for k in INHERITABLE if k in node}}
                    frames.append([list(children), 0, depth + 1, inherited, og if og != (0, 0) else holder])
                    continue
                count += 1
                if og != (0, 0):
                    if og in leaves:
                        continue
                    leaves.add(og)
                if len(first) < text_pages:
                    first.append((node, inherited))
                if with_triggers and (AA in node or ANNOTS in node):
                    triggers.append((node, og if og != (0, 0) else holder))
            except _TooComplex:
                raise
            except Exception:  # noqa: BLE001 - an object qpdf cannot give is not a page
                broken += 1
        if broken and "page_tree" not in self.repairs:
            self.repairs.append("page_tree")
        self.facts["page_tree_broken_entries"] = broken
        self.facts["page_tree_walk"] = "walked"
        return count, first, triggers

    # -- active content ---------------------------------------------------------------------
    def _count_object(self, pikepdf, pdf, og: tuple[int, int], obj: Any = None) -> dict[str, int]:
        """The active names in one indirect object's own content (counted once per object)."""
        known = self.names_by_object.get(og)
        if known is not None:
            return known
        counts: dict[str, int] = {}
        try:
            if obj is None:
                obj = pdf.get_object(og)
            if obj is None:
                self.names_by_object[og] = counts
                return counts
            _count_names(pikepdf, obj, counts)
        except (Exception, RecursionError):  # noqa: BLE001 - one bad object is not the file
            self.unreadable.add(og)
        self.names_by_object[og] = counts
        return counts

    def _walk_triggers(self, pikepdf, pdf, root, pages, everything: bool = True) -> bool:
        """Everything a viewer runs or opens, reached from the catalogue whatever the object count.

        OpenAction (and its /Next chain), the catalogue's /AA, the /JavaScript and /EmbeddedFiles name
        trees, AcroForm (/XFA, every field and its widgets' /A and /AA), outlines, and on every page
        its /AA and every annotation's /A, /AA, attached file and parent field. Each node is one unit
        of ``max_trigger_nodes``; each indirect object met (or the one holding a direct node) gets its
        names counted. Returns whether the OpenAction runs something.

        When the byte scan read every byte (``everything`` false), it has already placed every active
        name in its object, whatever the object count: only the catalogue and its OpenAction chain
        are read here (an /S such as /RichMediaExecute runs something without an active name).
        """
        Dictionary, Array, Stream = pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream
        budget = int(self.settings["max_trigger_nodes"])
        max_depth = int(self.settings["max_walk_depth"])
        root_holder = root.objgen if root.objgen != (0, 0) else (-1, -1)
        # (object, role, depth, indirect object holding it)
        stack: list[tuple[Any, str, int, tuple[int, int]]] = [(root, "catalog", 0, root_holder)]
        stack.extend((page, "page", 0, holder) for page, holder in reversed(pages))
        seen: set[tuple[tuple[int, int], str]] = set()
        visited = 0
        script_open = False

        def get(obj, key):
            try:
                return obj.get(key) if key in obj else None
            except Exception:  # noqa: BLE001
                return None

        while stack:
            obj, role, depth, holder = stack.pop()
            if obj is None or not isinstance(obj, (Dictionary, Array, Stream)):
                continue
            visited += 1
            if visited > budget:
                raise _TooComplex("triggers", budget)
            try:
                og = obj.objgen
            except Exception:  # noqa: BLE001
                continue
            if og != (0, 0):
                if (og, role) in seen:  # once per role: the OpenAction may also sit in the name tree
                    continue
                seen.add((og, role))
                holder = og
            if holder == (-1, -1):
                if role == "catalog":  # a catalogue written straight into the trailer: its own content
                    _count_names(pikepdf, obj, self.names_by_object.setdefault((-1, -1), {}))
            else:
                self._count_object(pikepdf, pdf, holder, obj if holder == og else None)
            if depth >= max_depth:
                continue
            nxt = depth + 1

            def push(value, next_role, at=nxt):
                if value is not None:
                    stack.append((value, next_role, at, holder))

            try:
                if isinstance(obj, Array):  # arrays of actions (/Next), of annotations, of fields
                    element_role = {"annots": "annot", "fields": "field", "actions": "action",
                                    "open_actions": "open_action"}.get(role)
                    if element_role:
                        for i in range(len(obj)):
                            push(obj[i], element_role)
                    continue
                if role == "catalog":
                    action = get(obj, "/OpenAction")
                    if isinstance(action, Dictionary):  # an array is a destination: only a view
                        push(action, "open_action")
                    if not everything:
                        continue
                    push(get(obj, "/AA"), "aa")
                    push(get(obj, "/Names"), "names")
                    push(get(obj, "/AcroForm"), "acroform")
                    outlines = get(obj, "/Outlines")
                    if isinstance(outlines, Dictionary):
                        push(get(outlines, "/First"), "outline")
                elif role == "names":
                    push(get(obj, "/JavaScript"), "tree_action")
                    push(get(obj, "/EmbeddedFiles"), "tree_file")
                elif role in ("tree_action", "tree_file"):
                    kids = get(obj, "/Kids")
                    if isinstance(kids, Array):
                        for i in range(len(kids)):
                            push(kids[i], role)
                    names = get(obj, "/Names")
                    if isinstance(names, Array):
                        leaf = "action" if role == "tree_action" else "filespec"
                        for i in range(1, len(names), 2):
                            push(names[i], leaf)
                elif role in ("action", "open_action"):
                    if role == "open_action" and (get(obj, "/S") in SCRIPT_ACTIONS or "/JS" in obj):
                        script_open = True
                    push(get(obj, "/Next"), role + "s" if isinstance(get(obj, "/Next"), Array) else role, depth)
                elif role == "aa":
                    for key in sorted(obj.keys()):  # event names (PDF 32000-1, tables 194-197)
                        push(get(obj, key), "action")
                elif role == "acroform":
                    push(get(obj, "/Fields"), "fields")
                elif role == "field":
                    push(get(obj, "/A"), "action")
                    push(get(obj, "/AA"), "aa")
                    push(get(obj, "/Kids"), "fields")
                elif role == "page":
                    push(get(obj, "/AA"), "aa")
                    push(get(obj, "/Annots"), "annots")
                elif role == "annot":
                    push(get(obj, "/A"), "action")
                    push(get(obj, "/AA"), "aa")
                    push(get(obj, "/FS"), "filespec")
                    push(get(obj, "/Parent"), "field")  # a widget's field
                elif role == "filespec":
                    files = get(obj, "/EF")
                    if isinstance(files, Dictionary):
                        for key in sorted(files.keys()):
                            push(get(files, key), "file")
                elif role == "outline":
                    push(get(obj, "/A"), "action")
                    push(get(obj, "/First"), "outline")
                    push(get(obj, "/Next"), "outline", depth)  # siblings: same depth, bounded by the budget
            except Exception:  # noqa: BLE001 - an unreadable node has no trigger we can follow
                if og != (0, 0):
                    self.unreadable.add(og)
        self.facts["trigger_nodes"] = visited
        return script_open

    def _scan_object_streams(self, pikepdf, pdf, hits_left: list[int],
                             tally: dict[str, int]) -> tuple[list[tuple[tuple[int, int], str]], bool, bool]:
        """Decode every object stream (``max_scan_bytes`` in all) and scan it for active names.

        Returns the hits placed in their objects (from the stream's offset table), whether every
        stream was scanned (within the bytes and hits bounds), and whether one could not be decoded
        because of a qpdf limit. The tallied names are added to ``tally``.
        """
        xref = self._xref(pdf)
        budget = int(self.settings["max_scan_bytes"])
        decoded = scanned = 0
        complete, limited = True, False
        hits: list[tuple[tuple[int, int], str]] = []
        for number in sorted({e.obj_stream_number for e in xref.values() if e.type == 2}):
            stream = self._safe_get(pdf, (number, 0))
            if not isinstance(stream, pikepdf.Stream):
                continue
            try:
                body = stream.read_bytes()
                first = int(stream.get("/First", 0))
            except Exception as exc:  # noqa: BLE001 - undecodable: its objects are null for qpdf too
                self.unreadable.add((number, 0))
                text = str(exc).lower()
                limited = limited or "limit exceeded" in text or "limits error" in text
                continue
            decoded += len(body)
            if decoded > budget:
                complete = False
                break
            scanned += 1
            for name, n in _tally(body).items():
                tally[name] = tally.get(name, 0) + n
            found, capped = _scan(body, hits_left)
            if found:
                placed = _object_stream_index(body, first)
                starts = [start for start, _ in placed]
                for at, name in found:
                    i = bisect.bisect_right(starts, at) - 1
                    hits.append(((placed[i][1], 0) if i >= 0 else (-1, -1), name))
            if capped:
                complete = False
                break
        self.facts["scan"] = {"object_stream_bytes": decoded, "object_streams": scanned}
        return hits, complete, limited

    def _confirm_hits(self, pikepdf, pdf, data: bytes, header_at: int, raw_hits: list[tuple[int, str]],
                      packed_hits: list[tuple[tuple[int, int], str]], complete: bool) -> None:
        """Confirm each active name the byte scan found by parsing the object that holds it.

        A hit in bytes that no object parses to (a string, dead bytes left by an incremental update)
        cannot be placed, and sends the file to the object-by-object walk. A hit inside a stream's
        data (an image, a font) is inert: viewers do not read stream data as objects, except object
        streams, which were decoded and scanned themselves. The object table is read only when a hit
        or an object stream needs it.
        """
        hits = raw_hits
        xref = self._xref(pdf) if hits or self._xref_table is not None else None
        unplaced = False
        if hits:
            live = sorted((entry.offset + header_at, og) for og, entry in xref.items() if entry.type == 1)
            offsets = [offset for offset, _ in live]
            for at, name in hits:
                i = bisect.bisect_right(offsets, at) - 1
                if i < 0:
                    unplaced = True
                    continue
                og = live[i][1]
                if not self._confirm(pikepdf, pdf, og, name) and not isinstance(self._safe_get(pdf, og),
                                                                               pikepdf.Stream):
                    unplaced = True
        for og, name in packed_hits:
            if og == (-1, -1) or not self._confirm(pikepdf, pdf, og, name):
                unplaced = True
        self.facts["scan"]["bytes"] = len(data)

        if complete and not unplaced:
            if xref is not None:
                total = sum(1 for entry in xref.values() if entry.type in (1, 2))
                self.facts["objects_total"] = self.facts["objects_scanned"] = total
        else:
            self._walk_objects(pikepdf, pdf, xref if xref is not None else self._xref(pdf))
        unreadable = len(self.unreadable)
        self.facts["objects_unreadable"] = unreadable
        if unreadable:
            self.findings.append(finding("pdf_report.objects_unreadable", "warning", count=unreadable))

    def _xref(self, pdf) -> dict:
        """The object table (read once: ~1 µs an entry)."""
        if self._xref_table is None:
            try:
                self._xref_table = pdf.get_xref_table()
            except Exception:  # noqa: BLE001
                self._xref_table = {}
        return self._xref_table

    @staticmethod
    def _safe_get(pdf, og):
        try:
            return pdf.get_object(og)
        except Exception:  # noqa: BLE001
            return None

    def _confirm(self, pikepdf, pdf, og: tuple[int, int], name: str) -> bool:
        """Does the object at ``og`` hold ``name``? An object qpdf cannot parse keeps the byte hit:
        a viewer that reads it differently could run it."""
        counts = self._count_object(pikepdf, pdf, og)
        if counts.get(name):
            return True
        self._collect_warnings(pdf)  # did qpdf fail on this very object?
        if og in self.unreadable:
            counts[name] = counts.get(name, 0) + 1
            return True
        return False

    def _walk_objects(self, pikepdf, pdf, xref: dict) -> None:
        """Count active names in every object, in xref order, up to ``max_objects`` objects."""
        limit = int(self.settings["max_objects"])
        ordered = sorted(og for og, entry in xref.items() if entry.type in (1, 2))
        total = len(ordered)
        scanned = 0
        for og in ordered:
            if og in self.names_by_object:
                scanned += 1
                continue
            if scanned >= limit:
                break
            scanned += 1
            self._count_object(pikepdf, pdf, og)
        self.facts["objects_total"] = total
        self.facts["objects_scanned"] = scanned
        if scanned < total:
            self.findings.append(finding("pdf_report.scan_partial", "warning", scanned=scanned,
                                         total=total, limit=limit))

    def _active_content_findings(self, script_open: bool, tally: dict[str, int] | None) -> None:
        counts: dict[str, int] = {}
        for names in self.names_by_object.values():
            for name, n in names.items():
                counts[name] = counts.get(name, 0) + n
        if tally is not None:  # the scan saw every byte: its count of the counted-only names is complete
            for name in ACTIVE_COUNTED:
                counts.pop(name, None)
            counts.update(tally)
        self.facts["active_content"] = dict(sorted(counts.items()))
        self.facts["open_action_script"] = script_open
        errors = [k for k in ACTIVE_ERROR if counts.get(k)]
        if script_open:
            errors.insert(0, "/OpenAction")
        warnings = [k for k in ACTIVE_WARNING if counts.get(k)]
        if errors:
            self.findings.append(finding("pdf_report.active_content", "error", keys=", ".join(errors),
                                         names=errors))
        if warnings:
            self.findings.append(finding("pdf_report.risky_content", "warning", keys=", ".join(warnings),
                                         names=warnings))

    # -- text -------------------------------------------------------------------------------
    def _scan_text(self, pikepdf, pdf, first_pages, size: int) -> None:
        """Extract text from the first pages (bounded), then look for a text layer and identities."""
        from pypdf import apply_configuration

        max_chars = int(self.settings["text_max_chars"])
        parts: list[str] = []
        total = scanned = failed = 0
        # pypdf's work is parsing content streams and running their operators, forms included (each
        # time they are drawn): one budget over all the text pages. The operator visitor pypdf calls
        # charges what was parsed and run; each parse, of the page or of a form, may use only what is
        # left (a parse cut at that limit uses it all). Past it: _TextWorkDone, the text so far is kept.
        remaining = [int(self.settings["text_max_operations"])]

        def charge(operator, operands, cm, tm):  # noqa: ARG001
            remaining[0] -= 1 + len(operands)
            if operator == b"TJ" and operands and isinstance(operands[0], list):
                remaining[0] -= len(operands[0])
            if remaining[0] < 0:
                raise _TextWorkDone()

        cut = False
        try:
            subset = _text_subset(pikepdf, pdf, first_pages, int(self.settings["text_max_objects"]))
        except Exception:  # noqa: BLE001 - pages we cannot copy have no text for us
            subset = None
        with apply_configuration(**_pypdf_limits(size, self.settings)), _quiet_pypdf():
            try:
                reader = _bounded_reader(BytesIO(subset), int(self.settings["max_missing_lookups"])) if subset else None
                pages = list(reader.pages) if reader is not None else []
            except (Exception, RecursionError):  # noqa: BLE001
                pages = []
            failed = len(first_pages) - len(pages)
            scanned = failed
            for page in pages:
                if total >= max_chars:
                    break
                if remaining[0] < 0:
                    cut = True
                    break
                scanned += 1
                _bound_forms(page, remaining)
                try:
                    with apply_configuration(stream_parsing_work_maximum_count=max(1, remaining[0])):
                        text = page.extract_text(visitor_operand_before=charge) or ""
                except _TextWorkDone:
                    cut = True
                    break
                except (Exception, RecursionError) as exc:  # noqa: BLE001 - an unreadable page has no text for us
                    failed += 1
                    if type(exc).__name__ == "LimitReachedError":  # a parse or decode cut at a limit: all spent,
                        remaining[0] = -1                          # and the page says nothing of the text layer
                        cut = True
                    continue
                text = text[: max_chars - total]
                total += len(text)
                parts.append(text)
        text = "\n".join(parts)
        visible = sum(1 for ch in text if not ch.isspace())
        has_text = visible >= int(self.settings["min_text_chars"])
        self.facts["text_pages_scanned"] = scanned
        self.facts["text_pages_failed"] = failed
        self.facts["text_extractable"] = has_text
        self.facts["text_chars"] = visible
        if cut:
            self.facts["text_work_limit_reached"] = True
        if scanned and not has_text and not cut:  # pages cut short say nothing of the text layer
            self.findings.append(finding("pdf_report.no_text", "warning", pages_scanned=scanned))

        from validator_core.toolkit.text import scan_identities  # RE2 patterns: compiled where text is read

        identities = scan_identities(text)
        self.facts["identities"] = identities.facts()
        if identities.unknown_valid:
            self.findings.append(finding(
                "pdf_report.nir_unknown", "warning", count=len(identities.unknown_valid),
                masked=", ".join(identities.unknown_valid[:5]),
            ))
        real = identities.ins_oids.get("ins_nir", 0)
        if real:
            self.findings.append(finding("pdf_report.ins_real_oid", "warning", count=real))


# --- helpers -------------------------------------------------------------------------------------
def _bound_forms(page: Any, remaining: list[int]) -> None:
    """Give each form pypdf draws while extracting ``page``'s text only the work budget left.

    pypdf parses a form anew each time a page draws it, with its per-stream limit, and skips a form
    whose parse fails: without this, a page drawing hundreds of forms that each fail at the limit
    costs hundreds of full parses. The wrapper sits on the page object (pypdf calls the method on
    it); a pypdf without this method keeps its own per-form limits.
    """
    from pypdf import PageObject, apply_configuration
    from pypdf.errors import LimitReachedError

    original = getattr(PageObject, "_extract_text__xform", None)
    if original is None:
        return

    def bounded(**kwargs):
        if remaining[0] <= 0:
            raise _TextWorkDone()
        with apply_configuration(stream_parsing_work_maximum_count=remaining[0]):
            try:
                return original(page, **kwargs)
            except LimitReachedError:
                remaining[0] = -1
                raise _TextWorkDone() from None

    page._extract_text__xform = bounded


def _scan(data: bytes, hits_left: list[int]) -> tuple[list[tuple[int, str]], bool]:
    """(offset, name) of every active name written in ``data``, literally or escaped, and whether the
    scan stopped at the hits bound (``hits_left[0]``, shared by the caller's scans)."""
    global _SCAN_RE
    if _SCAN_RE is None:
        import re2

        _SCAN_RE = re2.compile(_name_trie_pattern(sorted(SCANNED_NAMES)).encode("latin-1"))
    size = len(data)
    found: list[tuple[int, str]] = []
    for m in _SCAN_RE.finditer(data):
        end = m.end()
        if end < size and data[end] not in _DELIM_BYTES:
            continue
        if hits_left[0] <= 0:  # each hit costs a parse: a file writing active names everywhere is not
            return found, True  # scanned to its end, the object and trigger walks take over
        hits_left[0] -= 1
        raw = m.group()
        if b"#" in raw:  # only real hits get here: decode the escapes
            raw = _HEX_ESCAPE_RE.sub(lambda h: bytes([int(h.group(1), 16)]), raw)
        found.append((m.start(), raw.decode("latin-1")))
    return found, False


# The tallied names, with Python's engine: C-speed per match (links are written thousands of times),
# linear (a one-byte guard after "/", then fixed words behind a one-byte look-ahead). Counts stop at
# _TALLY_CAP matches (a lower bound past it: enough to say a file has object streams or more than
# one page-tree node, and for the facts).
_TALLY_RE: Any = None
_TALLY_CAP = 100_000


def _tally(data: bytes) -> dict[str, int]:
    global _TALLY_RE
    if _TALLY_RE is None:
        words = sorted(TALLIED_NAMES)
        guard = "".join(sorted({re.escape(w[1]) for w in words})) + "#"
        _TALLY_RE = re.compile((f"/(?=[{guard}])" + _name_trie_pattern(words)[1:-2]).encode("latin-1")
                               + rb"(?=[\x00\t\n\x0c\r /<>\[\]()%{}]|\Z)")
    raw_counts: dict[bytes, int] = {}
    for i, m in enumerate(_TALLY_RE.finditer(data)):
        if i >= _TALLY_CAP:
            break
        raw = m[0]
        raw_counts[raw] = raw_counts.get(raw, 0) + 1
    counts: dict[str, int] = {}
    for raw, n in raw_counts.items():
        if b"#" in raw:
            raw = _HEX_ESCAPE_RE.sub(lambda h: bytes([int(h.group(1), 16)]), raw)
        name = raw.decode("latin-1")
        counts[name] = counts.get(name, 0) + n
    for name, literal, longer in _COUNTED:
        # Every occurrence of the name, less those that run on into a longer name (/URIs): bytes.count
        # allocates nothing (a file of a million /URI made a million-item list), the regex finds only
        # the rare longer names.
        if found := data.count(literal) - len(longer.findall(data)):
            counts[name] = counts.get(name, 0) + found
    return counts


# (name, its bytes, the name running on into a longer one: followed by a byte that is no delimiter)
_COUNTED = tuple((name, name.encode(), re.compile(re.escape(name.encode()) + rb"[^\x00\t\n\x0c\r /<>\[\]()%{}]"))
                 for name in ACTIVE_COUNTED)


def _kid_references(written: bytes) -> list[tuple[int, int]] | None:
    """The (number, generation) of a /Kids array as qpdf writes it (``[3 0 R 6 0 R …]``), or None if it
    holds anything else (a page written inside the array): the caller then walks the tree. Split into
    tokens and checked by slices, in C: a regex per reference costs ~4x more at 20,000 pages."""
    if written[:1] != b"[" or written[-1:] != b"]":
        return None
    tokens = written[1:-1].split()
    numbers, generations = tokens[0::3], tokens[1::3]
    if len(tokens) % 3 or set(tokens[2::3]) - {b"R"}:
        return None
    if numbers and not (b"".join(numbers).isdigit() and b"".join(generations).isdigit()):
        return None
    return list(zip(map(int, numbers), map(int, generations)))


def _object_stream_index(body: bytes, first: int) -> list[tuple[int, int]]:
    """(offset in ``body``, object number) of the objects of one object stream, sorted by offset."""
    numbers = body[:max(0, first)].split()
    placed = []
    for i in range(0, len(numbers) - 1, 2):
        try:
            placed.append((first + int(numbers[i + 1]), int(numbers[i])))
        except ValueError:
            break
    placed.sort()
    return placed


# Per object, the text is qpdf's own writing of it (not the upload's bytes) and short: Python's engine
# has less overhead per call than RE2's wrapper. Both patterns are linear: the trie tries fixed words
# after each "/" behind a one-byte look-ahead; the string pattern's repeat is possessive over two
# disjoint alternatives. The trie is compiled on the first object counted (2 ms: the plugin is imported
# by every engine, a PDF opened by few of them).
_COUNT_RE: Any = None
_STRING_RE = re.compile(rb"\((?:[^\\()]|\\.)*+\)")


def _count_names(pikepdf, obj: Any, counts: dict[str, int]) -> None:
    """Count active names among the keys and name values of one object's own content.

    qpdf writes the object as PDF syntax (C++, references to other objects left as references: those
    objects are counted on their own); its strings are removed (qpdf escapes every parenthesis inside
    a string, so a string is ``(`` … ``)`` with no bare parenthesis, or hexadecimal), and the names
    left are counted with the same trie of names as the byte scan. Linear in the object's size.
    """
    if isinstance(obj, pikepdf.Stream):
        text = obj.stream_dict.unparse()
    elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):
        text = obj.unparse(resolved=True)
    elif isinstance(obj, pikepdf.Name):
        text = obj.unparse()
    else:
        return
    global _COUNT_RE
    if _COUNT_RE is None:
        _COUNT_RE = re.compile(_name_trie_pattern(sorted(ACTIVE_NAMES))[:-2].encode("latin-1")
                               + rb"(?=[\x00\t\n\x0c\r /<>\[\]()%{}]|\Z)")
    if b"(" in text:
        text = _STRING_RE.sub(b"()", text)
    for raw in _COUNT_RE.findall(text) if b"/" in text else ():
        if b"#" in raw:
            raw = _HEX_ESCAPE_RE.sub(lambda h: bytes([int(h.group(1), 16)]), raw)
        name = raw.decode("latin-1")
        counts[name] = counts.get(name, 0) + 1


def _unparse(value: Any) -> bytes:
    """PDF syntax of one value as pikepdf gives it (scalars come back as Python values)."""
    if value is None:
        return b"null"
    if value is True or value is False:
        return b"true" if value else b"false"
    if isinstance(value, int):
        return b"%d" % value
    from decimal import Decimal  # here: the CLI's process, which never reads a PDF, does not import it

    if isinstance(value, (float, Decimal)):
        return format(Decimal(value), "f").encode()
    return value.unparse()


def _references(pikepdf, value: Any, out: list[tuple[int, int]], budget: list[int]) -> None:
    """The indirect objects a value refers to (iterative; ``budget[0]`` elements, shared by the caller)."""
    Dictionary, Array, Stream = pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream
    stack = [value]
    while stack and budget[0] > 0:
        item = stack.pop()
        budget[0] -= 1
        if getattr(item, "is_indirect", False):
            out.append(item.objgen)
        elif isinstance(item, (Dictionary, Stream)):
            stack.extend(v for _, v in item.items())
        elif isinstance(item, Array):
            stack.extend(item)


def _text_subset(pikepdf, pdf, first_pages, max_objects: int) -> bytes:
    """A small PDF holding the first pages and what they draw with, for pypdf's text extraction.

    Each page is written with the attributes it inherits; the objects its resources and contents refer
    to are copied as qpdf reads them (decrypted, streams still encoded), at most ``max_objects`` of
    them (a reference past the bound is a missing object, null for pypdf). pypdf then never parses the
    upload, only this copy of a few pages: its cost does not grow with the file's page count.
    """
    Stream, Dictionary, Array = pikepdf.Stream, pikepdf.Dictionary, pikepdf.Array
    bodies: dict[tuple[int, int], bytes] = {}
    todo: list[tuple[int, int]] = []
    budget = [200_000]  # elements looked at for references, over the whole copy
    page_bodies: list[bytes] = []
    for page, inherited in first_pages:
        entries = [(b"/Type", b"/Page")]
        for key in ("/Resources", "/Contents", "/MediaBox", "/CropBox", "/Rotate"):
            value = page.get(key) if key in page else inherited.get(key)
            if value is None:
                continue
            refs: list[tuple[int, int]] = []
            _references(pikepdf, value, refs, budget)
            todo.extend(refs)
            entries.append((key.encode(), _unparse(value)))
        page_bodies.append(b"<< " + b" ".join(k + b" " + v for k, v in entries))
    highest = 0
    while todo and len(bodies) < max_objects and budget[0] > 0:
        og = todo.pop()
        if og in bodies:
            continue
        highest = max(highest, og[0])
        obj = pdf.get_object(og)
        refs: list[tuple[int, int]] = []
        if isinstance(obj, Stream):
            raw = obj.read_raw_bytes()
            items = [(k, v) for k, v in obj.items() if k != "/Length"]
            for _, v in items:
                _references(pikepdf, v, refs, budget)
            head = b" ".join(pikepdf.Name(k).unparse() + b" " + _unparse(v) for k, v in items)
            bodies[og] = b"<< " + head + b" /Length %d >>\nstream\n" % len(raw) + raw + b"\nendstream"
        elif isinstance(obj, (Dictionary, Array)):
            for v in (obj.values() if isinstance(obj, Dictionary) else obj):
                _references(pikepdf, v, refs, budget)
            bodies[og] = obj.unparse(resolved=True)
        else:
            bodies[og] = _unparse(obj)
        todo.extend(r for r in refs if r not in bodies)
    highest = max([highest, *(og[0] for og in todo)])
    pages_root = highest + 1
    catalog = highest + 2
    kids = []
    for i, body in enumerate(page_bodies):
        number = highest + 3 + i
        kids.append(b"%d 0 R" % number)
        bodies[(number, 0)] = body + b" /Parent %d 0 R >>" % pages_root
    bodies[(pages_root, 0)] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)
    bodies[(catalog, 0)] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_root

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    table = []
    for (number, gen), body in sorted(bodies.items()):
        table.append(b"%d 1\n%010d %05d n \n" % (number, len(out), gen))
        out += b"%d %d obj\n" % (number, gen) + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n" + b"".join(table)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (catalog + 1, catalog, xref_at)
    return bytes(out)
