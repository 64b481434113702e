"""What a REM proof expects besides its proof type, read from its proof, scenario and requirement texts.

Each reader looks for one kind of expectation and, when it finds it, records the value, the text it
came from (``"proof"``, ``"scenario"`` or ``"requirement"``) and the words quoted, so that a finding
can say what the ANS asks for in its own words. The proof's own text wins over its scenario's, which
wins over its requirement's. A scenario or requirement text is shared by several proofs: its
expectations are given only to the proofs they concern (the scenario's "la vidéo doit être en plein
écran" to the visual proofs of the scenario, not to its attestation; the SMTP headers a requirement
names to its « Source SMTP » proofs). ``docs/requirements.md`` lists every key, how many proofs carry
it and what is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from plugins.rem_catalogue.folding import Folded


class _Lazy:
    """A pattern compiled on first use, used like the compiled one.

    These patterns read the catalogue's texts: the build does (``build.py``), and at run time only the
    classification of a proof registered without one; a ``preuves check`` imports this plugin but
    never reads a text, and compiling them all took ~5 ms of its start.
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


VISUAL = ("video", "screenshot")
# The words that name a moving or a still picture in a folded proof text (the classifier's rules too).
VIDEO_WORDS = r"\bvideos?\b"
SCREEN_WORDS = r"\b(copies?|captures?|capures?|impressions?) d.? ?ecrans?"
_STILL_RE = _Lazy(SCREEN_WORDS + r"|\bscans?\b")
_VIDEO_RE = _Lazy(VIDEO_WORDS)

# Test case names: CI-SIS (Gazelle) and MSSanté test tool. The export glues some names to the next
# word ("…Sc2Ces cas de test", "MSS-LPS-SEGUR-GENDescription"): a name ends before those words.
_TEST_CASE_RE = _Lazy(
    r"\b(CI-SIS-[A-Za-z0-9_\-]*?[A-Za-z0-9]|MSS-LPS-SEGUR-[A-Z\-]*?[A-Z])"
    r"(?=Ces? cas\b|Description\b|[^A-Za-z0-9_\-]|$)"
)
_TEST_CASE_LEAD_RE = _Lazy(r"(?i)(?:cas de tests?|test case)\s*:?\s*[\"«“]?\s*$")
_ALTERNATIVE_RE = _Lazy(r"(?i)^\s*[\"»”]?\s*ou\s+(?:le\s+)?(?:cas de tests?\s*:?\s*)?[\"«“]?\s*")
_FILE_NAME_RE = _Lazy(
    r"nomm[ée]\s+([A-Za-z0-9_\-]+?_?)\[(?:date[^\]]*?)?(AAAAMMJJ)\]\.([A-Za-z0-9]+)", re.IGNORECASE
)
_PDF_FORMAT_RE = _Lazy(r"format pdf|^pdf\b|contenu du pdf")
_PDFA_RE = _Lazy(r"pdf ?/ ?a-? ?1")
_HL7_TYPE_RE = _Lazy(r"(?:a minima )?message hl7 de type ([a-z]\d{2})\b")
_IHE_XDM_RE = _Lazy(r"archive ihe[ _-]?xdm")
_ZIP_LIST_RE = _Lazy(r"dans un fichier zip\s*,\s*")
_FULL_SCREEN_SCENARIO_RE = _Lazy(r"la video doit etre en plein ecran")
_BROWSER_VISIBLE_RE = _Lazy(r"le navigateur doit etre entierement visible(?:[^:*]*?incluses)?")
# « montrant le statut de l'identité », « l'identité au statut qualifiée », « le statut de l'identité "récupérée" ».
_IDENTITY_STATUS_RE = _Lazy(
    r"\bstatut (?:initial )?de l.identite|\bidentite au statut\b|\bstatut (?:ins )?(?:qualifiee|recuperee|validee|provisoire)\b")
_CLOCK_RE = _Lazy(r"date windows en bas a droite")
_COLLECT_HOST_RE = _Lazy(r"pour collecter la preuve de conformite[^:]{0,160}:\s*https?://([a-z0-9.-]+)")

# SMTP headers a requirement may name (RFC 5322, RFC 2045, RFC 3798/8098, MSSanté's X-MSS-*), spelt
# as the RFCs spell them. A name counts when quoted, written "Name:", or right after "entête (SMTP)".
SMTP_HEADERS = {name.lower(): name for name in (
    "Message-ID", "In-Reply-To", "References", "Reply-To", "Content-Type", "Return-Receipt-To",
    "Disposition-Notification-To",
)}
_HEADER_NAME = r"X-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*|" + "|".join(re.escape(n) for n in SMTP_HEADERS.values())
_HEADER_RE = _Lazy(
    rf"[«\"“]\s*({_HEADER_NAME})\s*[»\"”]|(?:ent[êe]tes?|en-t[êe]tes?)\s+(?:SMTP\s+)?({_HEADER_NAME})\b"
    rf"|\b({_HEADER_NAME}):",
    re.IGNORECASE,
)
_HEADER_VALUE_RE = _Lazy(r"(?i)valeur\s*[«\"“]\s*([A-Za-z0-9_.\-]{1,40})\s*[»\"”]")
_MEDIA_ALTERNATIVE_RE = _Lazy(r"soit\s+((?:text|multipart|message|application)/[a-z0-9.+\-]+)")
_ATTACHMENT_RE = _Lazy(r"\b(?:pieces? jointes?|en pj)\b")
_MDN_RE = _Lazy(r"(demander|retourner)[^.]{0,80}accuse de lecture \(mdn\)")


@dataclass
class Texts:
    """The three texts of a proof, folded; ``proof_body`` is where the proof's kind words start."""

    proof: Folded
    scenario: Folded
    requirement: Folded
    proof_body: int = 0

    def of(self, source: str) -> Folded:
        return {"proof": self.proof, "scenario": self.scenario, "requirement": self.requirement}[source]


@dataclass
class Expectations:
    """What the readers found: values by key, and where each was read."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, key: str, value: Any, source: str, quote: str) -> None:
        if key not in self.values:  # the first reader's text wins (proof, then scenario, then requirement)
            self.values[key] = value
            self.sources[key] = {"from": source, "quote": quote}


Reader = Callable[[Texts, tuple[str, ...], Expectations], None]


def medium(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``medium``: ``"video"`` or ``"screenshot"`` when a visual proof admits only one of the two."""
    visual = [t for t in admits if t in VISUAL]
    if len(visual) != 1:
        return
    pattern = _VIDEO_RE if visual[0] == "video" else _STILL_RE
    match = pattern.search(texts.proof.text, texts.proof_body)
    if match:
        found.add("medium", visual[0], "proof", texts.proof.clause(match.start()))


def pdfa(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``pdfa``: ``"1"`` — "au format PDF/A-1" in a PDF proof."""
    body = texts.proof.text[texts.proof_body:]
    if "pdf_report" in admits and _PDF_FORMAT_RE.search(body) and (match := _PDFA_RE.search(texts.proof.text)):
        found.add("pdfa", "1", "proof", texts.proof.clause(match.start()))


def full_screen(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``full_screen``: the proof's "capture réalisée en plein écran …", or its scenario's "la vidéo doit
    être en plein écran" for a visual proof."""
    if (position := texts.proof.text.find("plein ecran")) >= 0:
        found.add("full_screen", True, "proof", texts.proof.clause(position))
    elif any(t in VISUAL for t in admits) and (match := _FULL_SCREEN_SCENARIO_RE.search(texts.scenario.text)):
        found.add("full_screen", True, "scenario", texts.scenario.quote(*match.span()))


def browser_visible(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``browser_visible``: the scenario's "le navigateur doit être entièrement visible, URL et date
    Windows en bas à droite incluses", for a visual proof."""
    if any(t in VISUAL for t in admits) and (match := _BROWSER_VISIBLE_RE.search(texts.scenario.text)):
        found.add("browser_visible", True, "scenario", texts.scenario.quote(*match.span()))


def identity_status(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``identity_status``: a visual proof that shows an identity's status (« montrant … le statut de
    l'identité », « l'identité au statut qualifiée »)."""
    if any(t in VISUAL for t in admits) and (match := _IDENTITY_STATUS_RE.search(texts.proof.text, texts.proof_body)):
        found.add("identity_status", True, "proof", texts.proof.clause(match.start()))


def clock_visible(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``clock_visible``: the scenario's « URL et date Windows en bas à droite incluses », for a visual proof."""
    if any(t in VISUAL for t in admits) and (match := _CLOCK_RE.search(texts.scenario.text)):
        found.add("clock_visible", True, "scenario", texts.scenario.quote(*match.span()))


def ins(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``ins_structured`` / ``datamatrix_ins``: "incluant un INS structuré et un datamatrix INS"."""
    for key, words in (("ins_structured", "ins structure"), ("datamatrix_ins", "datamatrix ins")):
        if (position := texts.proof.text.find(words)) >= 0:
            found.add(key, True, "proof", texts.proof.clause(position))


def platform(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``mssante_execution_id`` (the MSSanté test tool) or ``gazelle_link`` (the CI-SIS test space), and
    ``platform_host`` when the scenario names the host the proof is collected on (interopsegur)."""
    if "report_link" not in admits:
        return
    body = texts.proof.text
    mssante = re.search(r"identifiant de l'execution|mssante", body)
    if mssante:
        found.add("mssante_execution_id", True, "proof", texts.proof.clause(mssante.start()))
        return
    link = re.search(r"\blien\b|\bliens\b|\bgazelle\b", body)
    found.add("gazelle_link", True, "proof", texts.proof.clause(link.start() if link else 0))
    for source in ("proof", "scenario"):
        if match := _COLLECT_HOST_RE.search(texts.of(source).text):
            found.add("platform_host", match.group(1).rstrip("."), source, texts.of(source).quote(*match.span()))
            return


def test_case(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``test_case`` (the first named) and ``test_cases`` (all, when the text admits several): from the
    proof's text, else, for a report link, from its scenario's ("Cas de Test : CI-SIS-HL7V2-Cons_del_INS
    ou le cas de test : CI-SIS-HL7V2-Cons_del_INS_manuel")."""
    sources = ("proof", "scenario") if "report_link" in admits else ("proof",)
    for source in sources:
        original = texts.of(source).original
        names = list(dict.fromkeys(m.group(1) for m in _TEST_CASE_RE.finditer(original)))
        if not names:
            continue
        first = _TEST_CASE_RE.search(original)
        lead = _TEST_CASE_LEAD_RE.search(original[max(0, first.start() - 40):first.start()])
        start = first.start() - (len(lead.group(0)) if lead else 0)
        end = first.end()
        while (alternative := _ALTERNATIVE_RE.match(original[end:])) and (
                following := _TEST_CASE_RE.match(original, end + alternative.end())):
            end = following.end()
        found.add("test_case", names[0], source, " ".join(original[start:end].split()))
        if source == "scenario" and len(names) > 1:
            found.add("test_cases", names, source, " ".join(original[start:end].split()))
        return


def file_format(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``file_format``: ``csv``, ``zip``, ``smtp`` or ``hl7v2`` — what a file proof holds; ``ihe_xdm`` for
    an IHE XDM archive; ``zip_contents`` for "Dans un fichier ZIP, A, B et C"; ``hl7_message_type``
    for "message HL7 de type A31"."""
    if "logs" not in admits:
        return
    text = texts.proof.text
    checks = (
        ("csv", re.search(r"\bcsv\b", text)),
        ("zip", re.search(r"\bzip\b", text) or _IHE_XDM_RE.search(text)),
        ("smtp", re.search(r"smtp", text)),
        ("hl7v2", re.search(r"\bhl7\s?v2\b|message hl7", text)),
    )
    for value, match in checks:
        if match:
            found.add("file_format", value, "proof", texts.proof.clause(match.start()))
            break
    if match := _IHE_XDM_RE.search(text):
        found.add("ihe_xdm", True, "proof", texts.proof.clause(match.start()))
    if match := _ZIP_LIST_RE.search(text):
        items = _list_items(texts.proof, match.end())
        if len(items) > 1:
            found.add("zip_contents", items, "proof", texts.proof.clause(match.end()))
    if match := _HL7_TYPE_RE.search(text):
        found.add("hl7_message_type", match.group(1).upper(), "proof", texts.proof.quote(*match.span()))


def file_name(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``file_name``: a CSV name imposed by the requirement, ``LOINC_1_export_chapitres_[AAAAMMJJ].csv``."""
    if found.values.get("file_format") != "csv":
        return
    original = texts.requirement.original
    if named := _FILE_NAME_RE.search(original):
        prefix, _date, ext = named.groups()
        found.add("file_name", f"{prefix}[AAAAMMJJ].{ext.lower()}", "requirement",
                  " ".join(original[named.start():named.end()].split()))


def smtp_headers(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``smtp_headers``: the headers a « Source SMTP » proof's requirement (or scenario) names, each
    ``{"name": …}`` with its ``"value"`` ("avec la valeur "FIN"") or admitted ``"values"`` ("Soit
    text/plain … Soit multipart/alternative"); an MDN requested adds Disposition-Notification-To, an
    MDN returned is ``multipart/report`` (RFC 8098)."""
    if found.values.get("file_format") != "smtp":
        return
    for source in ("requirement", "scenario"):
        folded = texts.of(source)
        original = folded.original
        if not re.search(r"entete|en-tete|header|\(mdn\)", folded.text):
            continue
        headers: dict[str, dict[str, Any]] = {}
        first: int | None = None
        for match in _HEADER_RE.finditer(original):
            raw = next(g for g in match.groups() if g)
            name = SMTP_HEADERS.get(raw.lower(), raw.upper() if raw.upper().startswith("X-") else raw)
            header = headers.setdefault(name, {"name": name})
            first = match.start() if first is None else first
            value = _HEADER_VALUE_RE.search(original[match.end():match.end() + 160].split(".")[0])
            if value:
                header["value"] = value.group(1)
            if name == "Content-Type":
                values = _MEDIA_ALTERNATIVE_RE.findall(folded.text)
                if values:
                    header["values"] = list(dict.fromkeys(values))
        quote = folded.sentence(folded.position_of(first)) if first is not None else ""
        if mdn := _MDN_RE.search(folded.text):
            if mdn.group(1) == "demander":
                headers.setdefault("Disposition-Notification-To", {"name": "Disposition-Notification-To"})
            else:
                headers.setdefault("Content-Type", {"name": "Content-Type", "values": ["multipart/report"]})
            quote = quote or folded.quote(*mdn.span())
        if headers:
            found.add("smtp_headers", list(headers.values()), source, quote)
            return


def smtp_attachments(texts: Texts, admits: tuple[str, ...], found: Expectations) -> None:
    """``smtp_attachments``: ``["zip", "pdf"]`` — what the requirement says the message carries as
    attachments ("en pièce jointe le PDF/A-1 et le CDA R2 N3 (IHE_XDM.zip)")."""
    if found.values.get("file_format") != "smtp":
        return
    folded = texts.requirement
    match = _ATTACHMENT_RE.search(folded.text)
    if not match:
        return
    window = folded.text[max(0, match.start() - 80):match.end() + 320]
    kinds = [kind for kind, pattern in (("zip", r"\bzip\b|xdm"), ("pdf", r"\bpdf\b")) if re.search(pattern, window)]
    if kinds:
        found.add("smtp_attachments", kinds, "requirement", folded.sentence(match.start()))


READERS: tuple[Reader, ...] = (
    medium, pdfa, full_screen, browser_visible, ins, platform, test_case, file_format, file_name,
    smtp_headers, smtp_attachments, identity_status, clock_visible,
)



def read_expectations(texts: Texts, admits: tuple[str, ...]) -> Expectations:
    found = Expectations()
    for reader in READERS:
        reader(texts, admits, found)
    return found


def _list_items(folded: Folded, start: int) -> list[str]:
    """"A, B et C" from ``start`` to the end of the sentence: the original words of each item (commas
    inside parentheses do not split)."""
    text = folded.text
    sentence_end = re.compile(r"[.;](?=\s|$)").search(text, start)
    end = sentence_end.start() if sentence_end else len(text)
    items: list[str] = []
    depth, item_start, position = 0, start, start
    while position < end:
        ch = text[position]
        if ch in "(«":
            depth += 1
        elif ch in ")»":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch == "," or text.startswith(" et ", position)):
            items.append(folded.quote(item_start, position))
            position += 1 if ch == "," else 4
            item_start = position
            continue
        position += 1
    items.append(folded.quote(item_start, end))
    return [item for item in items if item]



def asked(spec: Any, key: str) -> dict[str, str]:
    """The details a finding about expectation ``key`` carries: the words quoted and their text."""
    source = spec.sources.get(key) or {}
    return {"requirement": spec.id, "asked": source.get("quote") or spec.text[:200], "asked_in": source.get("from") or "proof"}
