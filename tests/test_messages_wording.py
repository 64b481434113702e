"""How the tool says numbers, sizes, formats and severities (validator_core.wording)."""

from __future__ import annotations

import pytest

from validator_core import wording

NN = "\u202f"


@pytest.mark.parametrize(("n", "fr", "en"), [
    (0, "0 octet", "0 bytes"),
    (1, "1 octet", "1 byte"),
    (512, "512 octets", "512 bytes"),
    (1_000, "1 ko", "1 kB"),
    (800_000, "800 ko", "800 kB"),
    (999_999, "1 Mo", "1 MB"),  # not « 1 000 ko »
    (1_500_000, "1,5 Mo", "1.5 MB"),
    (12_345_678, "12,3 Mo", "12.3 MB"),
    (60_000_000, "60 Mo", "60 MB"),
    (250_000_000, "250 Mo", "250 MB"),
    (3_000_000_000, "3 Go", "3 GB"),
])
def test_size_in_decimal_units(n: int, fr: str, en: str) -> None:
    assert wording.size(n) == fr
    assert wording.size(n, "en") == en


@pytest.mark.parametrize(("n", "fr", "en"), [
    (20_000, f"20{NN}000", "20,000"),
    (1_234_567, f"1{NN}234{NN}567", "1,234,567"),
    (999, "999", "999"),
    (1920, "1920", "1920"),  # four digits stay whole
    (-20_000, f"-20{NN}000", "-20,000"),
    (1.5, "1,5", "1.5"),
    (2.0, "2", "2"),
    (0.125, "0,12", "0.12"),
    (12_345.5, f"12{NN}345,5", "12,345.5"),
])
def test_number_groups_thousands_and_uses_the_language_decimal_mark(n: float, fr: str, en: str) -> None:
    assert wording.number(n) == fr
    assert wording.number(n, "en") == en


def test_count_agrees_the_noun() -> None:
    assert wording.count(1, "doublon", "doublons") == "1 doublon"
    assert wording.count(3, "doublon", "doublons") == "3 doublons"
    assert wording.count(0, "accepté", "acceptés") == "0 accepté"  # French: 0 is singular
    assert wording.count(0, "error", "errors", "en") == "0 errors"  # English: only 1 is
    assert wording.count(1, "error", "errors", "en") == "1 error"
    assert wording.count(20_000, "ligne", "lignes") == f"20{NN}000 lignes"


def test_severity_in_french_and_english() -> None:
    assert [wording.severity(s) for s in ("error", "warning", "info")] == ["erreur", "avertissement", "information"]
    assert [wording.severity(s, "en") for s in ("error", "warning", "info")] == ["error", "warning", "info"]


@pytest.mark.parametrize(("media_type", "fr", "en"), [
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document Word (.docx)",
     "Word document (.docx)"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "classeur Excel (.xlsx)",
     "Excel workbook (.xlsx)"),
    ("application/vnd.oasis.opendocument.text", "document OpenDocument (.odt)", "OpenDocument text (.odt)"),
    ("image/gif", "image GIF", "GIF image"),
    ("image/png", "image PNG", "PNG image"),
    ("application/zip", "archive ZIP", "ZIP archive"),
    ("video/mp4", "vidéo MP4", "MP4 video"),
    ("application/pdf", "document PDF", "PDF document"),
    ("text/plain", "texte brut", "plain text"),
    ("text/plain; charset=us-ascii", "texte brut", "plain text"),
])
def test_format_name_names_formats_as_people_do(media_type: str, fr: str, en: str) -> None:
    assert wording.format_name(media_type) == fr
    assert wording.format_name(media_type, "en") == en


def test_format_name_of_an_unknown_type_is_generic_and_never_upper_cased() -> None:
    assert wording.format_name("image/x-xcf") == "image (image/x-xcf)"
    assert wording.format_name("application/x-frobnicate") == "fichier (application/x-frobnicate)"
    assert wording.format_name("application/x-frobnicate", "en") == "file (application/x-frobnicate)"
    assert "FROBNICATE" not in wording.format_name("APPLICATION/X-FROBNICATE")


def test_lists_joined_with_or_and_and() -> None:
    assert wording.either(["A", "B", "C"]) == "A, B ou C"
    assert wording.either(["A", "B"], "en") == "A or B"
    assert wording.both(["A", "B", "C"]) == "A, B et C"
    assert wording.both(["A"], "en") == "A"


def test_office_documents_are_recognised() -> None:
    assert wording.is_office_document("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert wording.is_office_document("application/vnd.oasis.opendocument.spreadsheet")
    assert wording.is_office_document("application/msword")
    assert not wording.is_office_document("application/pdf")
    assert not wording.is_office_document("application/zip")
    assert not wording.is_office_document("application/vnd.ms-fontobject")  # Microsoft's, but no document


# -- every message of every code, as people read it --------------------------------------------------
# Done when (issue 17): every message of every code, rendered in French and English with sample
# details, shows no raw byte count over 9 999, no internal id, and — for errors and warnings — ends
# with what to do.

import re  # noqa: E402
from pathlib import Path  # noqa: E402

from plugins import logs, pdf_report, report_link  # noqa: E402
from validator_core.messages import render, template_fields  # noqa: E402
from validator_core.models import Finding, Severity  # noqa: E402
from validator_core.pipeline import Tools, message_values  # noqa: E402
from validator_core.registry import PluginConfig, PluginRegistry  # noqa: E402
from validator_core.rules import load_rules  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = PluginRegistry.load(PluginConfig(entrypoints=False))
# What the engine lends a message at render time (type labels, advice…), from the real rules.
TOOLS = Tools(rules=load_rules(), registry=REGISTRY, timeout_s=30.0, info=None)  # type: ignore[arg-type]

# A detail's sample, as the checks fill it: sizes and counts large enough to need a unit or a separator
# (a template that shows them raw fails), internal ids where a check stores them (a template that
# shows them instead of their words fails).
SAMPLES: dict[str, object] = {
    "admitted": "video, screenshot", "allowed": "MP4, MOV, AVI, FLV, PNG, JPEG",
    "asked": "Le compte rendu au format PDF/A-1", "at_s": "12.5", "audio_tracks": 1, "blank": 20,
    "box": "stsz", "capacity": 12_000, "check": "pdf_report", "claim": "PDF/A-2b", "codec": "HEVC",
    "column": 12_345, "compressed": 52_000, "container": "MPEG-4", "count": 12_345, "data_bytes": 2_345_678,
    "declared": 4_000_000, "defects": "MissingHeaderBodySeparatorDefect", "detected": "GIF",
    "distance": 3, "duration_s": "1.5", "entities": 12_000, "errors": 12_345,
    "example": "https://gazelle.ihe-europe.net/evs/report.seam?oid=1.2.3", "expected": 3,
    "extension": ".avi", "external": 2, "failed": 3, "failures_text": "constraint-cda-1 ; constraint-cda-2",
    "families": "DOC, MSS, CRI", "files": "a.png, b.png", "format": "PNG", "forms": "percent_encoded_host, numeric_ip",
    "found": "text/plain", "frame_rate": "119.88", "header": "Disposition-Notification-To",
    "headers": "Disposition-Notification-To, X-Mailer", "height": 1080, "host": "evil.example.net",
    "hosts": "example.org", "id": "4f1c2a", "images": 12_000, "items": "CDA ; METADATA.XML",
    "keys": "/JavaScript, /Launch", "kind": "fifo", "kinds": "password_pair, aws_access_key",
    "known": "gazelle.ihe-europe.net, mssante.fr", "limit": 12_000, "limit_mo": "1", "line": 12_345,
    "lines": "2", "masked": "1 84 12 ** *** *** **", "max_fps": "120", "max_megapixels": "50",
    "max_stddev": "2", "media_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "megapixels": "268.4", "members": "IHE_XDM/SUBSET01/DOC0001.XML", "min_bytes": 4_567_890,
    "min_fps": "5", "min_height": 720, "min_s": "3", "min_width": 1280, "minimum": "1280×720",
    "missing": "METADATA.XML", "name": "rapport.pdf", "names": "../../etc/passwd", "nirs": "1 84 12 ** *** *** **",
    "offset": 1_234_567, "pages_scanned": 12_345, "parsed": "AVI", "part": 1, "platform": "Gazelle",
    "playable": "AVC, MPEG-4 Visual", "proofs": "CAPT/1, CAPT/2", "ratio": 12_000, "reason": "MemoryError",
    "reasons": "%PDF-, xref", "requirement": "DOC/va1.01.01.01", "result": "FAILED", "sampled": 24,
    "scanned": 12_000, "scenes": 1, "schemes": "mailto, ftp", "searched": 1_024, "seconds": "12.5",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "size": 60_000_000,
    "stage": "objects", "stddev": "0.42", "still_s": "45", "tags": "BodySerialNumber", "test_case": "CDA-NOTE-1",
    "timeout_s": 30, "total": 123_456, "track": 1, "trailing_bytes": 123_456,
    "uncompressed": 2_000_000_000, "unicode": "gаzelle.ihe-europe.net", "url": "https://mssante.example/exec/4f1c2a",
    "validator": "ASIP-CDA", "warnings": 12_345, "what": "pages", "where": "1 84 12 ** *** *** ** top_left",
    "width": 1920, "codes": ["header", "xref"],
}
# Where a field means something else in one code: (code, field) → sample.
CODE_SAMPLES: dict[tuple[str, str], object] = {
    ("file.too_large", "limit"): 50_000_000,
    ("pdf_report.pdfa_incomplete", "limit"): "content_bytes",
    ("pdf_report.too_complex", "limit"): 12_000,
    ("screenshot.too_complex", "what"): "blocs PNG",
    ("screenshot.data_incomplete", "where"): "scan=2", ("video.nir_unknown", "where"): "1 84 12 ** at_s=8, top_left",
    ("pdf_report.active_content", "names"): ["/OpenAction", "/JavaScript", "/JS"],
    ("pdf_report.risky_content", "names"): ["/EmbeddedFiles", "/JBIG2Decode"],
    ("screenshot.truncated", "reason"): "chunk_incomplete=IDAT", ("screenshot.corrupt", "reason"): "bad_chunk_at=1234567",
    ("video.frames_undecodable", "reason"): "no_video_stream", ("video.unreadable", "reason"): "unrecognised_format",
    ("screenshot.decode_error", "reason"): "frame_corrupt", ("video.ocr_unavailable", "reason"): "french_model_missing",
    ("screenshot.ocr_unavailable", "reason"): "french_model_missing",
    ("report_link.gazelle_failed", "failures_text"): "not_detailed",
    ("screenshot.polyglot", "kind"): "archive ZIP",
    ("report_link.not_a_report", "expected"): "https://gazelle.ihe-europe.net/evs/report.seam?oid=…",
    ("requirement.file_name_mismatch", "expected"): "*.eml", ("requirement.file_format_mismatch", "expected"): "HL7 v2",
    ("requirement.platform_mismatch", "expected"): "Gazelle", ("requirement.platform_mismatch", "found"): "example.org",
    ("requirement.smtp_header_mismatch", "expected"): "oui", ("requirement.smtp_header_mismatch", "found"): "non",
    ("requirement.smtp_attachment_missing", "found"): "none", ("requirement.hl7_type_mismatch", "found"): "ADT^A01",
    ("requirement.hl7_message_missing", "expected"): "ORU^R01", ("requirement.hl7_type_mismatch", "expected"): "ORU^R01",
    ("requirement.test_case_mismatch", "found"): "CDA", ("requirement.pdfa_required", "found"): "—",
    ("requirement.video_expected", "detected"): "image PNG", ("requirement.screenshot_expected", "detected"): "vidéo MP4",
    ("format.extension_mismatch", "expected"): ".mp4, .m4v", ("format.extension_mismatch", "detected"): "MP4",
    ("format.extension_mismatch", "media_type"): "video/mp4",
    ("video.container_mismatch", "detected"): "MP4", ("video.frames_undecodable", "failed"): 3,
    ("report_link.credentials_in_url", "kinds"): "token, jwt",
    ("pdf_report.pdfa_nonconformant", "failed"): {"fr": "6.1.2 en-tête de fichier", "en": "6.1.2 file header"},
    ("file.too_large", "media_type"): "video/mp4",
    ("video.picture_format_unusual", "codec"): "AVC",
}
SAMPLES.update({"profile": "High 4:4:4 Predictive", "picture": "rgb", "bit_depth": 8})
# Words the checks give in both languages (details.*_words), made by the plugins' own functions.
SAMPLES.update({
    "kinds_words": logs.secret_words(["aws_access_key", "password_pair"]),
    "families_words": pdf_report._words(pdf_report.FAMILY_WORDS, ["DOC", "MSS", "CRI"]),
    "what_words": pdf_report._words(pdf_report.WHAT_WORDS, ["page_tree_depth"]),
    "forms_words": report_link.words(report_link.FORM_WORDS, ["percent_encoded_host", "numeric_ip"]),
})
CODE_SAMPLES.update({
    ("report_link.credentials_in_url", "kinds_words"): report_link.words(
        report_link.CREDENTIAL_WORDS, ["jwt", "sig"], ("paramètre « {} »", "parameter “{}”")),
    ("screenshot.too_complex", "what_words"): {"fr": "blocs PNG", "en": "PNG chunks"},
})
# Details a template does not show but the engine's values read (a type's id for its label…).
HIDDEN_DETAILS: dict[str, dict[str, object]] = {
    "requirement.type_not_admitted": {"admitted": "video, screenshot"},
    "file.not_regular": {"kind": "fifo"},
    "check.timeout": {"check": "detection"},
    "format.extension_mismatch": {"extension": ".avi"},
    "file.suspicious_name": {"reason": "octet NUL, caractère invisible"},
}
# The proof type and detected content a finding's message is rendered for (the engine's values depend on them).
CONTEXT: dict[str, tuple[str, str]] = {
    "type.inferred_office_document": ("logs", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "format.not_allowed": ("pdf_report", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "file.too_large": ("video", "video/mp4"),
}


def sample_values(code: str, template: str, lang: str) -> dict[str, object]:
    """The sample details of the fields the template reads, with what the engine adds at render time."""
    wanted = template_fields(template)
    details = {f: CODE_SAMPLES.get((code, f), SAMPLES[f]) for f in wanted if (code, f) in CODE_SAMPLES or f in SAMPLES}
    proof_type, media_type = CONTEXT.get(code, ("video", "video/mp4"))
    details.update(HIDDEN_DETAILS.get(code, {}))
    details.setdefault("proof_type", proof_type)
    finding = Finding(code=code, severity=Severity.WARNING, details=details)
    values = {**message_values(TOOLS, finding, lang, proof_type, media_type, wanted), **details}
    return {**{f: f"<{f}>" for f in wanted if f not in values}, **values}


def documented_severities() -> dict[str, set[str]]:
    """Each code's severities as the docs give them (README's core table, docs/checks/*.md)."""
    words = {"erreur": "error", "error": "error", "avertissement": "warning", "warning": "warning",
             "information": "info", "info": "info"}
    out: dict[str, set[str]] = {}
    texts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs" / "checks").glob("*.md"))]
    for text in texts:
        for code, severity in re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)` \| ([^|]+) \|", text, re.M):
            out.setdefault(code, set()).update(w for k, w in words.items() if re.search(rf"\b{k}\b", severity))
    return out


SEVERITIES = documented_severities()

# The imperative verbs a message's last sentence may start with (or one of its clauses, after « : »,
# « ; » or « — »): what the reader does next. A new message needing another verb adds it here.
ACTIONS_FR = {
    "ajoutez", "baissez", "capturez", "changez", "choisissez", "compressez", "contrôlez", "convertissez",
    "corrigez", "découpez", "déposez", "donnez", "enregistrez", "exportez", "indiquez", "joignez",
    "masquez", "ouvrez", "préférez", "produisez", "recommencez", "réduisez", "réencodez", "réenregistrez",
    "réessayez", "réexportez", "refaites", "relancez", "remplacez", "renommez", "renouvelez", "retirez",
    "révoquez", "signalez", "supprimez", "utilisez", "vérifiez", "gardez", "faites", "copiez", "recopiez",
}
ACTIONS_EN = {
    "add", "capture", "change", "check", "choose", "compress", "convert", "copy", "cut", "do", "export",
    "file", "fix", "give", "keep", "lower", "make", "mask", "open", "prefer", "produce", "rebuild", "record",
    "re-encode", "reduce", "remove", "rename", "renew", "replace", "report", "retry", "revoke", "save",
    "send", "split", "take", "try", "use",
}
# Conditions before the verb: « si c'était un mot de passe, changez-le », "if it is…, file…".
_CONDITION = re.compile(r"^(?:(?:si|sinon|puis|ou|et|pour|if|otherwise|then|or|and|for)\b[^,]*,\s*|"
                        r"(?:puis|ou|et|then|or|and)\s+)",
                        re.I)


def _last_sentence(text: str) -> str:
    # Sentence ends: « . », « ! » then a capital (not « …4.10 » nor « p. ex. »).
    sentences = re.split(r"(?<=[.!])\s+(?=[«“\"(A-ZÀ-Ý])", text.strip())
    return sentences[-1]


def ends_with_an_action(text: str, lang: str) -> bool:
    verbs = ACTIONS_EN if lang == "en" else ACTIONS_FR
    last = _last_sentence(text)
    clauses = [last] + [c for c in re.split(r"\s*(?:\s:|:\s|;|—)\s*", last)[1:]]
    for clause in clauses:
        clause = _CONDITION.sub("", clause.strip(" «»“”\"("))
        clause = _CONDITION.sub("", clause)
        word = re.split(r"[\s,]", clause, maxsplit=1)[0].lower()
        if word.split("-")[0] in verbs or word in verbs:  # « exportez-le », « re-encode »
            return True
    return False


# What a person must not read: internal ids (plugin names, detail keys, codes) and jargon.
PLUGIN_NAMES = sorted(REGISTRY.plugin_names)
JARGON = ("pdfaid", "XMP", "DOC, MSS, CRI", "None", "True", "False", "details")
SNAKE = re.compile(r"(?<![\w./-])[a-z0-9]+(?:_[a-z0-9]+)+(?![\w])")
# Digit runs of 5 or more that are ids, not counts: a SHA-256 digest, a standard's number (ISO 19005,
# RFC 5322); an OID's dots split it anyway.
ID_RUNS = re.compile(r"\b[0-9a-f]{64}\b|\b(?:ISO|RFC) \d+")
ENGLISH_SEVERITY = re.compile(r"\b(?:error|warning|info)s?\b", re.I)


def rendered(code: str, lang: str) -> str:
    message = REGISTRY.messages[code]
    template = message.template(lang)
    return render(template, sample_values(code, template, lang), lang, message.words)


CASES = [(code, lang) for code in sorted(REGISTRY.messages) for lang in ("fr", "en")]


@pytest.mark.parametrize(("code", "lang"), CASES, ids=[f"{c}-{l}" for c, l in CASES])
def test_every_message_reads_well(code: str, lang: str) -> None:
    text = rendered(code, lang)
    problems = []
    digits = ID_RUNS.sub("", text)
    if m := re.search(r"\d{5,}", digits):
        problems.append(f"raw number {m.group()!r} (say a size in Mo/ko, group a number's thousands)")
    if m := re.search(r"\d{1,3}(?:[ \u202f\u00a0,]\d{3}){2,}\s*(?:octets|bytes)", text):
        problems.append(f"size in bytes {m.group()!r} (say it in Mo/ko)")
    if "{" in text or "}" in text:
        problems.append("a placeholder left")
    if re.search(r"(?<![\w?])\?(?![\w?])", text):
        problems.append("a '?' for a missing detail")
    if m := SNAKE.search(text):
        problems.append(f"internal id {m.group()!r}")
    for word in (*PLUGIN_NAMES, *JARGON):
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) and word not in ("video", "logs", "screenshot"):
            problems.append(f"internal id or jargon {word!r}")
    if m := re.search(r"\w\((?:s|x|es|ies|e)\)", text):
        problems.append(f"plural left to the reader {m.group()!r} (agree it with the count)")
    if lang == "fr" and (m := ENGLISH_SEVERITY.search(text)):
        problems.append(f"English severity word {m.group()!r} in French")
    if lang == "en" and (french := french_in(text)):
        problems.append(f"French words {french} (a detail said by its code's words in French)")
    severities = SEVERITIES.get(code)
    if not severities:
        problems.append("no documented severity (README's core table or docs/checks/*.md)")
    elif severities & {"error", "warning"} and not ends_with_an_action(text, lang):
        problems.append("does not end with what to do (last sentence: " + repr(_last_sentence(text)) + ")")
    assert not problems, f"{code} [{lang}]: {text}\n  - " + "\n  - ".join(problems)


def test_the_action_rule_tells_an_action_from_a_statement() -> None:
    assert ends_with_an_action("Le PDF est abîmé. Réexportez-le.", "fr")
    assert ends_with_an_action("Un compte-rendu ne doit rien exécuter : réexportez-le sans ce contenu.", "fr")
    assert ends_with_an_action("Ce lien est refusé : retirez la partie « …@ » et, si c'était un mot de passe, changez-le.", "fr")
    assert ends_with_an_action("The link is refused. If it was a password, change it.", "en")
    assert not ends_with_an_action("Le fichier XML n'est pas bien formé (ligne 2, colonne 3).", "fr")
    assert not ends_with_an_action("Réexportez-le. La vidéo est vide.", "fr")  # the action must come last
    assert not ends_with_an_action("The file cannot be validated.", "en")


# -- the messages a real file gets --------------------------------------------------------------------
import zipfile  # noqa: E402

from fixtures import formats  # noqa: E402
from validator_core import Verdict  # noqa: E402

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"


def _xlsx(directory: Path) -> Path:
    out = directory / "tableau.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                   'spreadsheetml/2006/main"/>')
    return out


def _odt(directory: Path) -> Path:
    out = directory / "compte-rendu.odt"
    with zipfile.ZipFile(out, "w") as z:  # ODF: "mimetype" first and stored, as LibreOffice writes it
        z.writestr(zipfile.ZipInfo("mimetype"), ODT)
        z.writestr("content.xml", '<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:'
                   'names:tc:opendocument:xmlns:office:1.0"/>', zipfile.ZIP_DEFLATED)
    return out


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("office")
    return {WORD: formats.make_docx(d, "compte-rendu.docx"), EXCEL: _xlsx(d), ODT: _odt(d)}


@pytest.mark.parametrize(("media_type", "name_fr", "name_en"), [
    (WORD, "document Word (.docx)", "Word document (.docx)"),
    (EXCEL, "classeur Excel (.xlsx)", "Excel workbook (.xlsx)"),
    (ODT, "document OpenDocument (.odt)", "OpenDocument text (.odt)"),
])
def test_an_office_document_without_a_type_is_not_accepted_silently(engine, office, media_type, name_fr, name_en):
    report = engine.validate(office[media_type])
    assert report.file.media_type == media_type and report.proof_type == "logs" and report.proof_type_inferred
    assert report.verdict == Verdict.ACCEPTED_WITH_WARNINGS  # was « acceptée »
    (warning,) = [f for f in report.findings if f.code == "type.inferred_office_document"]
    assert warning.severity == Severity.WARNING and warning.details == {"proof_type": "logs", "media_type": media_type}
    assert name_fr in warning.message and "« Fichier (TBB, DUMP, logs…) »" in warning.message
    assert "tout format" in warning.message and "exportez-le en PDF/A-1" in warning.message
    assert "« Compte-rendu PDF »" in warning.message and ends_with_an_action(warning.message, "fr")
    english = engine.validate(office[media_type], lang="en")
    (warning,) = [f for f in english.findings if f.code == "type.inferred_office_document"]
    assert name_en in warning.message and "export it as PDF/A-1" in warning.message


def test_a_type_given_or_a_file_that_is_no_office_document_gets_no_office_warning(engine, office, tmp_path):
    log = tmp_path / "serveur.log"
    log.write_text("2024-03-01 10:00:00 INFO démarrage\n", encoding="utf-8")
    assert "type.inferred_office_document" not in engine.validate(log).codes  # inferred, but plain text
    assert "type.inferred_office_document" not in engine.validate(office[WORD], "logs").codes  # a type given


def test_a_word_file_for_a_pdf_report_is_named_and_told_to_become_pdf_a1(engine, office):
    report = engine.validate(office[WORD], "pdf_report")
    (finding,) = report.findings
    assert finding.code == "format.not_allowed" and finding.details["media_type"] == WORD
    assert finding.message == ("Le fichier est au format document Word (.docx), que « Compte-rendu PDF » n'accepte "
                               "pas (formats acceptés : document PDF). Exportez-le en PDF/A-1 depuis le logiciel qui "
                               "l'a produit.")
    assert "OPENXMLFORMATS" not in finding.message.upper().replace(WORD.upper(), "")


def test_a_file_over_its_limit_is_said_in_mo_with_what_to_do(engine, tmp_path):
    big = tmp_path / "enregistrement.mp4"
    with big.open("wb") as fh:  # sparse: the size is what counts (fstat), nothing past the limit is read
        fh.write(b"\x00\x00\x00\x18ftypmp42")
        fh.truncate(60_000_000)
    fr = engine.validate(big, "video").findings[0]
    assert fr.code == "file.too_large" and fr.details["size"] == 60_000_000 and fr.details["limit"] == 50_000_000
    assert fr.message.startswith("Le fichier pèse 60 Mo, 10 Mo de plus que la limite de 50 Mo fixée par l'ANS "
                                 "pour « Vidéo ».")
    assert fr.message.endswith("Compressez la vidéo (H.264), baissez sa définition (1080p ou 720p) ou découpez-la "
                               "en plusieurs fichiers.")
    en = engine.validate(big, "video", lang="en").findings[0]
    assert en.message.startswith("The file is 60 MB, 10 MB over the 50 MB limit") and "split it" in en.message
    logs = engine.validate(big, "logs").findings[0]
    assert "limite de 1 Mo" in logs.message and not re.search(r"\d{5,}", logs.message)


def test_a_name_without_extension_is_said_in_the_report_language(engine, tmp_path):
    picture = formats.make_image(tmp_path, "PNG")
    bare = picture.rename(tmp_path / "capture")
    fr, en = (next(f for f in engine.validate(bare, "screenshot", lang=lang).findings
                   if f.code == "format.extension_mismatch") for lang in ("fr", "en"))
    assert fr.details["extension"] == en.details["extension"] == "(aucune)"  # the report's value, unchanged
    assert fr.message == ("L'extension « (aucune) » ne correspond pas au contenu du fichier (image PNG). "
                          "Renommez-le avec l'extension .png.")
    assert en.message == "The extension “(none)” does not match the file's content (PNG image). Rename it with the extension .png."


def test_the_dossier_summary_agrees_its_counts_and_says_severities_in_french() -> None:
    from validator_core.dossier import DossierResult, summary_line, to_markdown

    duplicate = Finding(code="dossier.duplicate_file", severity=Severity.WARNING, message="Le même fichier…")
    result = DossierResult(rem="BIO", profiles=["Général"], proofs=[], missing=[], unmatched=["a.txt"], unknown=[],
                           findings=[duplicate])
    line = summary_line(result)
    assert "0 preuve déposée sur 0 attendue" in line and "0 acceptée" in line and "1 fichier sans preuve" in line
    assert "(s)" not in line and "1 unmatched file." in summary_line(result, "en")
    result.unmatched.append("b.txt")
    assert "2 fichiers sans preuve" in summary_line(result) and "2 unmatched files" in summary_line(result, "en")
    markdown = to_markdown(result)
    assert "- avertissement : Le même fichier…" in markdown and not ENGLISH_SEVERITY.search(markdown)
    assert "- warning: Le même fichier…" in to_markdown(result, "en")


# -- what a check chose to say (a key in details), in the report's language -----------------------------
import string  # noqa: E402

from validator_core.messages import COMMON_WORDS, UNEXPECTED_FAILURE  # noqa: E402


def word_fields(template: str) -> set[str]:
    """The fields a template says through its code's words (``{x:word}``, ``{x:word:and}``)."""
    return {field for _lit, field, spec, _conv in string.Formatter().parse(template)
            if field and (spec or "").split(":")[0] == "word"}


def _fragments(text: str) -> list[str]:
    return [part.strip() for part in text.split("{}") if len(part.strip()) >= 4]


# Every French word of every vocabulary that English says otherwise: none may show in an English message.
FRENCH_WORDS = sorted({fragment for words in [*(m.words for m in REGISTRY.messages.values()), COMMON_WORDS,
                                              {"": UNEXPECTED_FAILURE}]
                       for w in words.values() if w.fr != w.en for fragment in _fragments(w.fr)})
_FRENCH_RE = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in FRENCH_WORDS))


def french_in(text: str) -> list[str]:
    return [m.group() for m in _FRENCH_RE.finditer(text)]


WORD_CASES = sorted((code, field, key) for code, m in REGISTRY.messages.items()
                    for field in word_fields(m.en) | word_fields(m.fr)
                    for key in [*m.words, *(["MemoryError", "SIGSEGV", "KeyError"] if field == "reason" else [])])


def test_the_vocabularies_are_found() -> None:
    codes = {code for code, _f, _k in WORD_CASES}
    assert {"check.crashed", "video.frames_undecodable", "screenshot.nir_unknown", "pdf_report.repaired"} <= codes
    assert "aucun flux vidéo" in FRENCH_WORDS and "en haut à gauche" in FRENCH_WORDS


@pytest.mark.parametrize(("code", "field", "key"), WORD_CASES, ids=[f"{c}-{f}-{k}" for c, f, k in WORD_CASES])
def test_every_word_a_check_chose_is_said_in_the_report_language(code: str, field: str, key: str) -> None:
    message = REGISTRY.messages[code]
    word = message.words.get(key) or COMMON_WORDS.get(key) or UNEXPECTED_FAILURE
    value = f"{key}=12345" if "{}" in word.fr else key  # a word about an offset or a name: "bad_chunk_at=12345"
    for lang in ("fr", "en"):
        template = message.template(lang)
        values = {**sample_values(code, template, lang), field: value}
        text = render(template, values, lang, message.words)
        said = word.template(lang).replace("{}", "12\u202f345" if lang == "fr" else "12,345")
        assert said in text, f"{code} [{lang}]: {text}"
        assert key not in text.replace(said, "") or key in said, f"{code} [{lang}]: the key {key!r} shows: {text}"
        if lang == "en":
            french = french_in(text)
            assert not french, f"{code} [en]: French words {french} in {text}"


def _english(report, code: str) -> str:
    (found,) = [f for f in report.findings if f.code == code]
    french = french_in(found.message)
    assert not french, f"French words {french} in {found.message}"
    return found.message


def test_what_the_picture_checks_found_is_said_in_english(engine, tmp_path) -> None:
    from PIL import Image

    png = tmp_path / "capture.png"
    Image.new("RGB", (640, 400), (200, 40, 40)).save(png)
    data = bytearray(png.read_bytes())
    data[data.index(b"IDAT") + 10] ^= 0xFF  # a flipped byte: the chunk's checksum no longer matches
    png.write_bytes(bytes(data))
    report = engine.validate(png, "screenshot", lang="en")
    (corrupt,) = [f for f in report.findings if f.code == "screenshot.corrupt"]
    assert corrupt.details["reason"] == "chunk_crc_wrong=IDAT"  # the key, for programs
    assert "(wrong checksum of the IDAT chunk)" in _english(report, "screenshot.corrupt")
    french = engine.validate(png, "screenshot").findings
    assert "(somme de contrôle du bloc IDAT fausse)" in next(f for f in french if f.code == "screenshot.corrupt").message

    jpeg = tmp_path / "capture.jpg"
    Image.new("RGB", (640, 400), (40, 40, 200)).save(jpeg, quality=90)
    jpeg.write_bytes(jpeg.read_bytes()[:-200])  # cut before its end marker
    assert "(EOI marker missing)" in _english(engine.validate(jpeg, "screenshot", lang="en"), "screenshot.truncated")


def test_what_the_pdf_check_found_is_said_in_words(engine, tmp_path) -> None:
    from fixtures import pdfs
    from plugins.pdf_report import NAME_WORDS, REPAIR_WORDS

    report = engine.validate(pdfs.javascript_pdf(tmp_path), "pdf_report", lang="en")
    (active,) = [f for f in report.findings if f.code == "pdf_report.active_content"]
    text = _english(report, "pdf_report.active_content")
    assert active.details["names"] and all(NAME_WORDS[n][1] in text for n in active.details["names"])
    assert "/JavaScript" in active.details["keys"] and "/J" not in text  # the raw names stay in details only
    report = engine.validate(pdfs.junk_around_pdf(tmp_path), "pdf_report", lang="en")
    (repaired,) = [f for f in report.findings if f.code == "pdf_report.repaired"]
    text = _english(report, "pdf_report.repaired")
    assert repaired.details["codes"] and all(REPAIR_WORDS[c][1] in text for c in repaired.details["codes"])
    assert "%%EOF" not in text and repaired.details["reasons"]


def test_a_crash_is_explained_in_words_and_its_class_kept_for_developers(engine_factory, tmp_path) -> None:
    crashing = engine_factory(extra=("tests.plugins_for_tests.abort",), workers=1)
    log = tmp_path / "serveur.log"
    log.write_text("RAISE\n", encoding="utf-8")
    for lang, words in (("fr", "(cause technique : valeur invalide dans le fichier)"),
                        ("en", "(technical cause: invalid value in the file)")):
        (crash,) = [f for f in crashing.validate(log, "logs", lang=lang).findings if f.code == "check.crashed"]
        assert crash.details["reason"] == "ValueError" and words in crash.message, crash.message
        assert "ValueError" not in crash.message


def test_every_pdfa_clause_is_explained_in_words_before_its_pdf_name() -> None:
    """pdf_report.pdfa_nonconformant lists the failed clauses by their descriptions: each says what is
    wrong in words; a PDF or XMP name (/ID, pdfaid:part) may follow in parentheses, never stand alone."""
    from plugins.pdfa.rules import RULES

    for rule in RULES:
        for text in (rule.fr, rule.en):
            first = text.split()[0]
            assert not re.match(r"[/%]|pdfaid|xref\b", first) and len(text.split()) >= 4, (rule.id, text)


def test_no_check_passes_words_as_a_finding_detail() -> None:
    """A literal a plugin gives ``finding(...)`` is a key (or a number, a dash), never words: words
    belong to the code's vocabulary, said in the report's language (« aucun flux vidéo » in an English
    report was the bug). What a call makes of its arguments (``", ".join(…)``, a helper that gives both
    languages) is that call's business, not a literal detail."""
    import ast

    def literals(node: ast.AST):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node
        elif not isinstance(node, ast.Call):
            for child in ast.iter_child_nodes(node):
                yield from literals(child)

    found = []
    for source in sorted((ROOT / "plugins").rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            name = getattr(call, "func", None)
            if not isinstance(call, ast.Call) or getattr(name, "id", getattr(name, "attr", None)) != "finding":
                continue
            for keyword in call.keywords:
                for node in literals(keyword.value):
                    if re.search(r"[A-Za-zÀ-ÿ]{2,}\s+[A-Za-zÀ-ÿ]|[À-ÿ]", node.value):
                        found.append(f"{source.relative_to(ROOT)}:{node.lineno} {keyword.arg}={node.value!r}")
    assert not found, "words passed as finding details (give a key and the code's words):\n" + "\n".join(found)


def test_a_third_party_plugin_s_words_are_said_in_the_report_language(tmp_path, monkeypatch) -> None:
    from validator_core.registry import PluginError
    from validator_core.pipeline import message_for

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "dsr_words.py").write_text(
        "from validator_core import hookimpl\n\n"
        "@hookimpl\n"
        "def preuves_register_messages(register):\n"
        "    register('dsr_words.unreadable', fr='Illisible ({reason:word}) : réexportez-le.',\n"
        "             en='Unreadable ({reason:word}): export it again.',\n"
        "             words={'bad_block_at': (\"bloc invalide à l'octet {}\", 'invalid block at byte {}')})\n",
        encoding="utf-8")
    registry = PluginRegistry.load(PluginConfig(extra=("dsr_words",), entrypoints=False))
    tools = Tools(rules=load_rules(), registry=registry, timeout_s=30.0, info=None)  # type: ignore[arg-type]
    found = Finding(code="dsr_words.unreadable", severity=Severity.ERROR, details={"reason": "bad_block_at=123456"})
    assert message_for(tools, found, "fr", None, None) == f"Illisible (bloc invalide à l'octet 123{NN}456) : réexportez-le."
    assert message_for(tools, found, "en", None, None) == "Unreadable (invalid block at byte 123,456): export it again."
    found.details["reason"] = "MemoryError"  # an exception's class: words, not the class
    assert message_for(tools, found, "en", None, None) == "Unreadable (not enough memory): export it again."

    (tmp_path / "dsr_half.py").write_text(
        "from validator_core import hookimpl\n\n"
        "@hookimpl\n"
        "def preuves_register_messages(register):\n"
        "    register('dsr_half.x', fr='({k:word})', en='({k:word})', words={'k': ('seulement en français', '')})\n",
        encoding="utf-8")
    with pytest.raises(PluginError, match=r"words map keys to \(French, English\) pairs"):
        PluginRegistry.load(PluginConfig(extra=("dsr_half",), entrypoints=False))
