"""Built-in plugin `pdf_report`: PDF reports (comptes-rendus bio, imagerie …), read with pypdf.

What a reviewer at the ANS needs from a filed report: it opens (no user password), it is a real,
sound PDF (not repaired on the fly), it can be read (a text layer, not only a scan), it is the PDF/A-1
the REMs ask for, and it can be trusted (no script, no launch action, no hidden payload). The plugin
also looks for identities in the text of the first pages (real NIRs, the real-INS OID).

All work is bounded, on top of the engine's worker timeout and memory cap: pypdf's own decoding
limits are tightened for a 10 Mo input (:func:`_pypdf_limits`), the object walk stops after
``max_objects`` objects or ``walk_budget_s`` seconds, text is extracted from ``text_pages`` pages at
most, within ``text_budget_s`` seconds and ``text_max_chars`` characters. Every bound that cuts the
work short is said in the report (``pdf_report.scan_partial``), never silently.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from contextlib import contextmanager
from io import BytesIO
from typing import Any, Iterator

from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject, StreamObject

from validator_core import Inspection, Proof, finding, hookimpl
from validator_core.textscan import scan_identities

__version__ = "1.0.0"

PLUGIN = "pdf_report"

# Defaults when rules.toml has no value (the rules file says why each number is what it is).
DEFAULTS: dict[str, Any] = {
    "header_search_bytes": 1024,
    "max_objects": 50_000,
    "max_walk_depth": 64,
    "open_budget_s": 4.0,
    "walk_budget_s": 5.0,
    "text_pages": 3,
    "text_max_chars": 200_000,
    "text_budget_s": 3.0,
    "max_missing_lookups": 16,
    "min_text_chars": 20,
    "max_decompressed_bytes": 25_000_000,
    "max_content_operations": 1_000_000,
    "max_xmp_bytes": 1_000_000,
    "max_page_tree_entries": 100_000,
    "pdfa_required_part": 1,
    "pdfa_requirement_families": ["DOC", "MSS", "CRI"],
}

# Active or risky names (union of pdfid's and peepdf's lists, SECURITY.md), by what they mean for a
# medical report that a reviewer must open and trust.
#  - ERROR: runs code or sends/loads data on its own, or shows content other viewers do not show.
ACTIVE_ERROR = ("/JavaScript", "/JS", "/Launch", "/SubmitForm", "/ImportData", "/RichMedia", "/XFA")
#  - WARNING: hidden payloads, triggers, links to other files, 3D engines, a codec with a known history
#    of exploits and of silently swapping digits in lossy mode (JBIG2): may be legitimate, say so.
ACTIVE_WARNING = ("/AA", "/EmbeddedFile", "/EmbeddedFiles", "/GoToR", "/GoToE", "/U3D", "/PRC", "/JBIG2Decode")
#  - counted only (facts): ordinary links and the initial view of a document.
ACTIVE_COUNTED = ("/URI", "/OpenAction")
ACTIVE_NAMES = frozenset(ACTIVE_ERROR + ACTIVE_WARNING + ACTIVE_COUNTED)
# An /OpenAction whose action type is one of these runs something when the file is opened.
SCRIPT_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute", "/GoToE"})

# /P bits (PDF 32000-1, table 22) a reviewer needs: print, modify, copy text, annotate.
PERMISSION_BITS = {3: "print", 4: "modify", 5: "copy", 6: "annotate"}

_VERSION_RE = re.compile(rb"%PDF-(\d\.\d)")
# XMP writes the claim as an attribute (pdfaid:part="1") or an element (<pdfaid:part …>1</pdfaid:part>).
_PDFAID_PART_RE = re.compile(rb"pdfaid:part(?:\s*=\s*[\"']|[^<>]{0,200}>)\s*(\d+)")
_PDFAID_CONF_RE = re.compile(rb"pdfaid:conformance(?:\s*=\s*[\"']|[^<>]{0,200}>)\s*([A-Za-z])")
# What a viewer does with a file cut before its end: look for the objects themselves. Appended to a
# copy of a file without %%EOF, it sends pypdf to its xref reconstruction (startxref 0).
_RECOVERY_TAIL = b"\nstartxref\n0\n%%EOF\n"
_PARSE_ERRORS = (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError, AssertionError,
                 OSError, UnicodeError, OverflowError, ZeroDivisionError)


# --- hooks ------------------------------------------------------------------------------------
@hookimpl
def preuves_register_checks(register):
    register(proof_types=("pdf_report",), media_types=("application/pdf",), version=__version__,
             description="Compte-rendu PDF : ouverture, chiffrement, PDF/A-1, couche texte, contenu actif, identités")


@hookimpl
def preuves_register_messages(register):
    for code, (fr, en) in MESSAGES.items():
        register(code, fr=fr, en=en)


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    settings = {**DEFAULTS, **proof.thresholds(PLUGIN)}
    return PdfInspector(proof, settings).run()


MESSAGES: dict[str, tuple[str, str]] = {
    "pdf_report.not_pdf": (
        "Le contenu n'est pas un PDF : aucun en-tête « %PDF- » dans les {searched} premiers octets.",
        "The content is not a PDF: no “%PDF-” header in the first {searched} bytes.",
    ),
    "pdf_report.unreadable": (
        "Le PDF ne peut pas être lu, même en mode tolérant ({reason}) : l'ANS ne pourra pas l'ouvrir. "
        "Réexportez-le depuis le logiciel d'origine.",
        "The PDF cannot be read, even leniently ({reason}): the ANS will not be able to open it. "
        "Export it again from the original software.",
    ),
    "pdf_report.encrypted": (
        "Le PDF est protégé par un mot de passe à l'ouverture : l'ANS ne pourra pas l'ouvrir. "
        "Déposez une version sans mot de passe.",
        "The PDF is protected by an open (user) password: the ANS will not be able to open it. "
        "File a version without a password.",
    ),
    "pdf_report.no_pages": (
        "Le PDF ne contient aucune page : il n'y a rien à examiner.",
        "The PDF has no pages: there is nothing to review.",
    ),
    "pdf_report.restricted": (
        "Le PDF s'ouvre mais un mot de passe propriétaire lui retire {count} droit(s) sur 4 (impression, "
        "modification, copie du texte, annotations) : le relecteur peut en être gêné. Préférez une version "
        "sans restriction.",
        "The PDF opens but an owner password removes {count} of 4 rights (printing, modifying, copying "
        "text, annotating): this may hinder the reviewer. Prefer a version without restrictions.",
    ),
    "pdf_report.no_text": (
        "Aucun texte n'a pu être extrait des {pages_scanned} première(s) page(s) : le compte-rendu semble "
        "être une image numérisée. Déposez le PDF produit par le logiciel (avec sa couche texte).",
        "No text could be extracted from the first {pages_scanned} page(s): the report looks like a "
        "scanned image. File the PDF produced by the software (with its text layer).",
    ),
    "pdf_report.pdfa_missing": (
        "Le PDF ne déclare pas la conformité PDF/A-1 (métadonnées XMP pdfaid) alors que les exigences "
        "{families} des REM demandent le document « au format PDF/A-1 ».",
        "The PDF does not claim PDF/A-1 conformance (XMP pdfaid metadata) while the REMs' {families} "
        "requirements ask for the document “au format PDF/A-1”.",
    ),
    "pdf_report.pdfa_not_1": (
        "Le PDF déclare {claim}, pas PDF/A-1 : les exigences {families} des REM demandent le document "
        "« au format PDF/A-1 ».",
        "The PDF claims {claim}, not PDF/A-1: the REMs' {families} requirements ask for the document "
        "“au format PDF/A-1”.",
    ),
    "pdf_report.active_content": (
        "Le PDF contient du contenu actif ({keys}) : script, lancement de programme, envoi ou import de "
        "données, formulaire XFA ou média intégré. Un compte-rendu ne doit rien exécuter à l'ouverture : "
        "réexportez-le sans ce contenu (PDF/A-1).",
        "The PDF holds active content ({keys}): script, program launch, data submission or import, XFA "
        "form or embedded media. A report must not run anything when opened: export it again without "
        "this content (PDF/A-1).",
    ),
    "pdf_report.risky_content": (
        "Le PDF contient des éléments à risque ({keys}) : pièces jointes, actions déclenchées, liens vers "
        "d'autres fichiers, 3D ou images JBIG2. Vérifiez qu'ils sont voulus ; PDF/A-1 les exclut pour la "
        "plupart.",
        "The PDF holds risky elements ({keys}): attachments, triggered actions, links to other files, 3D "
        "or JBIG2 images. Check that they are intended; PDF/A-1 excludes most of them.",
    ),
    "pdf_report.repaired": (
        "Le PDF est abîmé et a dû être réparé pour être lu (en cause : {reasons} — octets avant l'en-tête "
        "ou après la fin, fichier coupé, table des références croisées) : un autre lecteur peut l'afficher "
        "autrement ou refuser de l'ouvrir. Réexportez-le.",
        "The PDF is damaged and had to be repaired to be read (at fault: {reasons} — bytes before the "
        "header or after the end, cut file, cross-reference table): another viewer may show it "
        "differently or refuse to open it. Export it again.",
    ),
    "pdf_report.objects_unreadable": (
        "{count} objet(s) du PDF n'ont pas pu être lus (structure invalide, trop imbriquée ou au-delà des "
        "limites de décompression) : le document peut s'afficher incomplet.",
        "{count} PDF object(s) could not be read (invalid structure, nested too deep or beyond the "
        "decompression limits): the document may display incompletely.",
    ),
    "pdf_report.scan_partial": (
        "Analyse partielle : {scanned} objet(s) examiné(s) sur {total} (limite de {limit} ou de durée) ; "
        "le contenu actif au-delà n'a pas été recherché.",
        "Partial analysis: {scanned} of {total} object(s) examined (limit of {limit} or of time); active "
        "content beyond was not looked for.",
    ),
    "pdf_report.budget_exceeded": (
        "Analyse interrompue après {seconds} s, avant la fin de la recherche de contenu actif ou de "
        "l'extraction du texte (étape « {stage} ») : le fichier n'a pas pu être entièrement vérifié. Un "
        "compte-rendu ordinaire s'analyse en moins d'une seconde.",
        "Analysis stopped after {seconds} s ({stage}): the file could not be fully checked. An ordinary "
        "report is analysed in under a second.",
    ),
    "pdf_report.nir_unknown": (
        "Le texte contient {count} NIR valide(s) qui ne sont pas des identités de test connues ({masked}) : "
        "des données de vrais patients ont peut-être fuité dans la preuve. Utilisez des identités fictives.",
        "The text holds {count} valid NIR(s) that are not known test identities ({masked}): real patients' "
        "data may have leaked into the proof. Use fictitious identities.",
    ),
    "pdf_report.ins_real_oid": (
        "Le texte cite {count} fois l'OID de l'INS-NIR réel (1.2.250.1.213.1.4.8) : une preuve doit "
        "utiliser des INS de test (…4.10) ou de démonstration (…4.11).",
        "The text cites the real INS-NIR OID (1.2.250.1.213.1.4.8) {count} time(s): a proof must use test "
        "(…4.10) or demo (…4.11) INS.",
    ),
}


# --- pypdf set-up ----------------------------------------------------------------------------
def _pypdf_limits(size: int, settings: dict[str, Any]) -> dict[str, Any]:
    """pypdf's limits (``pypdf.Configuration``) tightened for a file of ``size`` bytes (≤ 10 Mo).

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
        "xform_maximum_invocations_per_extraction": 500,
        "page_tree_maximum_entries": int(settings["max_page_tree_entries"]),
        "page_tree_maximum_page_entries": 4 * int(settings["max_page_tree_entries"]),
        "outline_maximum_entries": 10_000,
        "form_fields_maximum_entries": 10_000,
        "named_destinations_maximum_entries": 10_000,
        "jbig2dec_binary": None,  # never run an external decoder on an upload
        "disable_legacy_handling": True,
    }


# pypdf says what it repaired through warnings on its reader's logger; these map its message templates
# (never the formatted text, which may quote the file) to a reason shown to the user. Warnings that are
# not repairs (dangling references, text-extraction oddities) are only counted.
_REPAIR_LOGGER = "pypdf._reader"
_REPAIR_PATTERNS: tuple[tuple[str, str], ...] = (
    ("eof marker not found", "eof"),
    ("eof marker seems truncated", "eof"),
    ("startxref found while searching", "eof"),
    ("invalid pdf header", "header"),
    ("root", "root"),
    ("xref", "xref"),
    ("ref repaired", "xref"),
    ("wrong pointing object", "xref"),
    ("parsing for object streams", "xref"),
    ("%(generation)d found", "xref"),
)

# What the message names for each repair: the PDF syntax element at fault (the same in both languages).
REPAIR_MARKERS = {"header": "%PDF-", "trailing_data": "%%EOF", "eof": "%%EOF", "xref": "xref", "root": "/Root"}


class _PypdfWarnings(logging.Handler):
    """Collects pypdf's repair warnings while a file is read."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.reasons: set[str] = set()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if record.name != _REPAIR_LOGGER:
            return
        template = str(record.msg).lower()
        for needle, reason in _REPAIR_PATTERNS:
            if needle in template:
                self.reasons.add(reason)
                return


@contextmanager
def _capture_pypdf_warnings() -> Iterator[_PypdfWarnings]:
    handler = _PypdfWarnings()
    logger = logging.getLogger("pypdf")
    previous = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False  # a hostile file must not flood the worker's log
    logger.setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate, _ = previous
        logger.setLevel(previous[1])


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so that pypdf's ``except Exception`` cannot swallow it."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """A hard stop for one stage (SIGALRM), on top of the deadlines checked between objects and pages.

    One pypdf call (a page's text, a damaged page tree) can take long; this turns it into our own
    finding instead of the engine's check.timeout. Only in a main thread (worker processes run
    plugins there); elsewhere the per-step deadlines alone apply.
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


class _BoundedReader(PdfReader):
    """pypdf's reader, with a bound on lookups of objects that the xref does not list.

    For each such lookup pypdf searches the whole file with a regular expression: a 10 Mo file that
    refers to thousands of missing objects costs thousands of full-file searches (quadratic). After
    ``missing_budget`` of them, a missing object is simply null — what pypdf returns when its search
    fails anyway.
    """

    def __init__(self, stream: BytesIO, *, missing_budget: int) -> None:
        self.missing_lookups = 0
        self.missing_budget = missing_budget
        super().__init__(stream, strict=False)

    def get_object(self, indirect_reference: int | IndirectObject) -> PdfObject | None:
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


# --- the inspection --------------------------------------------------------------------------
class PdfInspector:
    """One inspection of one PDF: ``run()`` returns the findings and facts."""

    def __init__(self, proof: Proof, settings: dict[str, Any]) -> None:
        self.proof = proof
        self.settings = settings
        self.findings: list = []
        self.facts: dict[str, Any] = {}

    def run(self) -> Inspection:
        data = self.proof.read(self.proof.size)  # ≤ 10 Mo: the engine refused anything larger
        header_at = self._header_offset(data)
        if header_at < 0:
            self.findings.append(finding("pdf_report.not_pdf", "error", searched=self.settings["header_search_bytes"]))
            return self._done()
        version = _VERSION_RE.match(data, header_at)
        self.facts["pdf_version"] = version.group(1).decode() if version else None
        repairs = self._byte_level_repairs(data, header_at)

        with apply_configuration(**_pypdf_limits(len(data), self.settings)), _capture_pypdf_warnings() as warned:
            try:
                self._inspect(data, repairs)
            except RecursionError:
                self._unreadable("structure trop imbriquée")
            except MemoryError:
                self._unreadable("mémoire insuffisante")
            repairs.extend(r for r in sorted(warned.reasons) if r not in repairs)
            self.facts["parser_warnings"] = warned.count
        if repairs and not any(f.code in ("pdf_report.unreadable", "pdf_report.not_pdf") for f in self.findings):
            self.findings.append(finding(
                "pdf_report.repaired", "warning", codes=repairs,
                reasons=", ".join(dict.fromkeys(REPAIR_MARKERS[r] for r in repairs)),
            ))
        self.facts["repairs"] = repairs
        return self._done()

    def _done(self) -> Inspection:
        return Inspection(findings=self.findings, facts=self.facts)

    def _unreadable(self, reason: str) -> None:
        self.findings.append(finding("pdf_report.unreadable", "error", reason=reason))

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

    # -- structure --------------------------------------------------------------------------
    def _inspect(self, data: bytes, repairs: list[str]) -> None:
        opened: tuple[PdfReader, DictionaryObject, int] | None = None
        budget = float(self.settings["open_budget_s"])
        try:
            with _time_limit(budget):
                opened = self._open(data, repairs)
        except _OutOfTime:
            self._unreadable(f"analyse de la structure interrompue après {budget:g} s")
            self.facts["budget_exceeded"] = ["structure"]
        if opened is None:
            return
        reader, root, pages = opened

        self._walk_objects(reader, root)
        if pages:
            self._scan_text(reader, pages)

    def _budget_exceeded(self, stage: str, seconds: float) -> None:
        self.facts.setdefault("budget_exceeded", []).append(stage)
        self.findings.append(finding("pdf_report.budget_exceeded", "warning", stage=stage,
                                     seconds=round(seconds, 1)))

    def _open(self, data: bytes, repairs: list[str]) -> tuple[PdfReader, DictionaryObject, int] | None:
        """Parse, decrypt, find the catalog and count pages; None when the file cannot be read."""
        missing = int(self.settings["max_missing_lookups"])
        try:
            reader = _BoundedReader(BytesIO(data), missing_budget=missing)
        except _PARSE_ERRORS as exc:
            if "eof" not in repairs:
                self._unreadable(type(exc).__name__)
                return None
            try:  # a truncated file: rebuild the xref from the objects, as viewers do
                reader = _BoundedReader(BytesIO(data + _RECOVERY_TAIL), missing_budget=missing)
            except _PARSE_ERRORS:
                self._unreadable(type(exc).__name__)
                return None

        if not self._check_encryption(reader):
            return None
        try:
            root = reader.trailer["/Root"].get_object()
            if not isinstance(root, DictionaryObject):
                raise PyPdfError("no catalog")
        except Exception as exc:  # noqa: BLE001 - any failure here means "cannot be read"
            self._unreadable(type(exc).__name__)
            return None

        catalog_version = root.get("/Version")
        if isinstance(catalog_version, NameObject) and self.facts.get("pdf_version"):
            declared = str(catalog_version).lstrip("/")
            if re.fullmatch(r"\d\.\d", declared) and declared > self.facts["pdf_version"]:
                self.facts["pdf_version"] = declared
        self._document_info(reader)
        self._pdfa_claim(root)

        pages = self._page_count(reader, root)
        self.facts["page_count"] = pages
        if pages == 0:
            self.findings.append(finding("pdf_report.no_pages", "error"))
        return reader, root, pages

    def _check_encryption(self, reader: PdfReader) -> bool:
        """False when the file cannot be opened without a password (nothing more to look at)."""
        if not reader.is_encrypted:
            self.facts["encryption"] = "none"
            return True
        try:
            opened = reader.decrypt("")
        except (DependencyError, NotImplementedError, PyPdfError, ValueError, KeyError, TypeError):
            opened = 0  # a scheme we cannot open (e.g. certificates): the ANS cannot either
        if not opened:
            self.facts["encryption"] = "user_password"
            self.findings.append(finding("pdf_report.encrypted", "error"))
            return False
        self.facts["encryption"] = "owner_password"
        denied = self._denied_permissions(reader)
        self.facts["permissions_denied"] = denied
        self.findings.append(finding("pdf_report.restricted", "warning", count=len(denied), denied=denied))
        return True

    @staticmethod
    def _denied_permissions(reader: PdfReader) -> list[str]:
        try:
            encrypt = reader.trailer["/Encrypt"].get_object()
            p = int(encrypt.get("/P", -1))
        except Exception:  # noqa: BLE001
            return []
        return [name for bit, name in PERMISSION_BITS.items() if not p & (1 << (bit - 1))]

    def _document_info(self, reader: PdfReader) -> None:
        """Producer and creator (software names; title/author may name a patient: never read)."""
        try:
            info = reader.trailer.get("/Info")
            info = info.get_object() if info is not None else None
        except Exception:  # noqa: BLE001
            info = None
        for key, fact in (("/Producer", "producer"), ("/Creator", "creator")):
            value = None
            if isinstance(info, DictionaryObject):
                raw = dict.get(info, key)
                if raw is not None and not isinstance(raw, IndirectObject):
                    value = str(raw)[:120]
            self.facts[fact] = value

    def _pdfa_claim(self, root: DictionaryObject) -> None:
        """The PDF/A claim of the XMP packet (``pdfaid:part`` / ``pdfaid:conformance``).

        Read with a byte search, not an XML parser: a claim is two short values, and XMP from uploads
        must not reach an XML parser for that. This is a claim only; conformance needs veraPDF.
        """
        part = conformance = None
        try:
            metadata = root.get("/Metadata")
            stream = metadata.get_object() if metadata is not None else None
            if isinstance(stream, StreamObject):
                xmp = stream.get_data()[: int(self.settings["max_xmp_bytes"])]
                if m := _PDFAID_PART_RE.search(xmp):
                    part = int(m.group(1))
                if m := _PDFAID_CONF_RE.search(xmp):
                    conformance = m.group(1).decode().lower()
        except Exception:  # noqa: BLE001 - an unreadable XMP packet is no claim
            pass
        claim = f"PDF/A-{part}{conformance or ''}" if part else None
        self.facts["pdfa"] = {"part": part, "conformance": conformance, "claim": claim}
        families = ", ".join(self.settings["pdfa_requirement_families"])
        required = int(self.settings["pdfa_required_part"])
        if part is None:
            self.findings.append(finding("pdf_report.pdfa_missing", "warning", families=families, required_part=required))
        elif part != required:
            self.findings.append(finding("pdf_report.pdfa_not_1", "warning", claim=claim, families=families,
                                         required_part=required))

    def _page_count(self, reader: PdfReader, root: DictionaryObject) -> int:
        try:
            return len(reader.pages)
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - a broken page tree: trust the declared /Count, if any
            try:
                count = root["/Pages"].get_object().get("/Count", 0)
                return max(0, int(count))
            except Exception:  # noqa: BLE001
                return 0

    # -- active content ---------------------------------------------------------------------
    def _walk_objects(self, reader: PdfReader, root: DictionaryObject) -> None:
        """Count active names in every object (bounded), object streams included."""
        free = reader.xref_free_entry
        refs: set[tuple[int, int]] = set()
        for gen, table in reader.xref.items():
            if gen == 65535:
                continue
            for idnum in table:
                if not free.get(gen, {}).get(idnum, False):
                    refs.add((idnum, gen))
        refs.update((idnum, 0) for idnum in reader.xref_objStm)
        ordered = sorted(refs)
        limit = int(self.settings["max_objects"])
        depth_limit = int(self.settings["max_walk_depth"])
        counts: dict[str, int] = {}
        scanned = unreadable = 0
        budget = float(self.settings["walk_budget_s"])
        deadline = time.monotonic() + budget
        try:
            with _time_limit(budget + 1):  # backstop of the per-object deadline (one slow object)
                for idnum, gen in ordered[:limit]:
                    if time.monotonic() > deadline:
                        self._budget_exceeded("objects", budget)
                        break
                    scanned += 1
                    try:
                        obj = reader.get_object(IndirectObject(idnum, gen, reader))
                    except (Exception, RecursionError):  # noqa: BLE001 - one bad object is not the file
                        unreadable += 1
                        continue
                    _count_names(obj, counts, depth_limit)
        except _OutOfTime:
            self._budget_exceeded("objects", budget + 1)

        try:
            with _time_limit(1.0):
                script_open = self._open_action_runs_script(root)
        except _OutOfTime:
            script_open = False
        self.facts["objects_total"] = len(ordered)
        self.facts["objects_scanned"] = scanned
        self.facts["objects_unreadable"] = unreadable
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
        if unreadable:
            self.findings.append(finding("pdf_report.objects_unreadable", "warning", count=unreadable))
        if scanned < len(ordered) and "objects" not in self.facts.get("budget_exceeded", ()):
            self.findings.append(finding("pdf_report.scan_partial", "warning", scanned=scanned,
                                         total=len(ordered), limit=limit))

    @staticmethod
    def _open_action_runs_script(root: DictionaryObject) -> bool:
        """Does the catalog's /OpenAction (or an action it chains with /Next) run something?"""
        try:
            action = root.get("/OpenAction")
            for _ in range(16):  # /Next chains, bounded (they may loop)
                action = action.get_object() if action is not None else None
                if not isinstance(action, DictionaryObject):
                    return False
                if action.get("/S") in SCRIPT_ACTIONS or "/JS" in action:
                    return True
                action = action.get("/Next")
                if isinstance(action, ArrayObject):
                    action = action[0] if action else None
        except Exception:  # noqa: BLE001
            return False
        return False

    # -- text -------------------------------------------------------------------------------
    def _scan_text(self, reader: PdfReader, pages: int) -> None:
        """Extract text from the first pages (bounded), then look for a text layer and identities."""
        max_pages = min(pages, int(self.settings["text_pages"]))
        max_chars = int(self.settings["text_max_chars"])
        budget = float(self.settings["text_budget_s"])
        deadline = time.monotonic() + budget
        parts: list[str] = []
        total = scanned = failed = 0
        timed_out = False
        try:
            with _time_limit(budget + 1):  # backstop of the per-page deadline (one slow page)
                for index in range(max_pages):
                    if total >= max_chars:
                        break
                    if time.monotonic() > deadline:
                        timed_out = True
                        self._budget_exceeded("text", budget)
                        break
                    scanned += 1
                    try:
                        text = reader.pages[index].extract_text() or ""
                    except (Exception, RecursionError):  # noqa: BLE001 - an unreadable page has no text for us
                        failed += 1
                        continue
                    text = text[: max_chars - total]
                    total += len(text)
                    parts.append(text)
        except _OutOfTime:
            timed_out = True
            self._budget_exceeded("text", budget + 1)
        text = "\n".join(parts)
        visible = sum(1 for ch in text if not ch.isspace())
        has_text = visible >= int(self.settings["min_text_chars"])
        self.facts["text_pages_scanned"] = scanned
        self.facts["text_pages_failed"] = failed
        self.facts["text_extractable"] = has_text
        self.facts["text_chars"] = visible
        if scanned and not has_text and not timed_out:  # a page cut short says nothing of the layer
            self.findings.append(finding("pdf_report.no_text", "warning", pages_scanned=scanned))

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


def _count_names(obj: Any, counts: dict[str, int], depth_limit: int) -> None:
    """Count active names among the keys and name values of one object's direct content.

    Iterative (no recursion on attacker-controlled depth); indirect references are not followed:
    every indirect object gets its own visit from the walk.
    """
    stack: list[tuple[Any, int]] = [(obj, 0)]
    budget = 100_000  # direct elements per object (pypdf caps arrays/dicts at 100k elements anyway)
    while stack and budget > 0:
        item, depth = stack.pop()
        budget -= 1
        if isinstance(item, DictionaryObject):
            for key, value in dict.items(item):
                if key in ACTIVE_NAMES:
                    counts[key] = counts.get(key, 0) + 1
                if depth < depth_limit and isinstance(value, (DictionaryObject, ArrayObject, NameObject)):
                    stack.append((value, depth + 1))
        elif isinstance(item, ArrayObject):
            if depth < depth_limit:
                stack.extend((value, depth + 1) for value in list.__iter__(item)
                             if isinstance(value, (DictionaryObject, ArrayObject, NameObject)))
        elif isinstance(item, NameObject) and item in ACTIVE_NAMES:
            counts[item] = counts.get(item, 0) + 1
