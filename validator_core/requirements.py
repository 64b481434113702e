"""The REM requirement catalogue: which proofs a requirement asks for, and what each admits.

Vocabulary (from the REMs, see ``docs/requirements.md``): a *requirement* ``SECTION[/SUB][/va1].NN``
has *scenarios* ``<requirement>.NN``; a scenario has *proofs* ``<scenario>.NN``. Editors file one
proof at a time: "DOC/va1.01.01.01 of REM BIO". This module holds:

- the catalogue model (:class:`ProofSpec`, :class:`Catalogue`), filled through the
  ``preuves_register_requirements`` hook (the built-in catalogue is the plugin ``plugins.rem_catalogue``);
- lenient id handling (:func:`id_key`, :func:`parse_proofs_text`): the source data has typos
  (``PSC.01.01.02`` filed under scenario ``PSC.01.02``, a bare ``07.01.01``, proofs without an id);
- proof-text classification helpers (:func:`classify_text`): which proof types a proof admits
  ("vidéo ou copies d'écran" → ``video`` + ``screenshot``) and what else its text expects (PDF/A-1,
  full-screen capture, a Gazelle link, a CSV file name …). Classification is a hook
  (``preuves_classify_proof``), these are the built-in rules behind it;
- the build step: ``python -m validator_core.requirements build [SOURCE]`` regenerates
  ``validator_core/data/rem-catalogue.json`` from the ANS pre-publication export;
- ``requirement.*`` finding codes and their messages (core-ish: emitted by the engine whatever
  plugin supplied the requirement).
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import threading
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from validator_core.errors import UnknownRem, UnknownRequirement
from validator_core.messages import Message

DATA_FILE = Path(__file__).with_name("data") / "rem-catalogue.json"
DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "rem-prepub-2023.json"
GENERAL_PROFILE = "Général"

# ---------------------------------------------------------------------------------------------
# Ids
# ---------------------------------------------------------------------------------------------
# A proof id as written in the source: optional section path, then 2-digit groups. The trailing
# letter admits "ORDN/CONF.01p"-style typos.
_ID = r"(?:[A-Za-z][A-Za-z0-9\-]*(?:/[A-Za-z0-9\-]+)*\.)?\d{2}(?:\.\d{2}){1,4}[a-z]?"
PROOF_HEAD_RE = re.compile(r"(?m)^[ \t\u00a0'\"*]*(" + _ID + r")?[ \t\u00a0]*:")
_LAST_GROUP_RE = re.compile(r"(\d{2})[a-z]?$")


def id_key(raw: str) -> str:
    """The lookup key of an id typed by a person: case, spaces, ``SC.`` prefix and quotes ignored.

    ``"doc/VA1.01.01.01 "`` → ``"doc/va1.01.01.01"``; ``"PSC 01.01"`` → ``"psc.01.01"``.
    """
    text = unicodedata.normalize("NFKC", raw).strip().strip("'\"«» ").strip()
    text = re.sub(r"^SC\.", "", text, flags=re.IGNORECASE)
    text = re.sub(r"(?<=[A-Za-z])\s+(?=\d)", ".", text)  # "PSC 01.01"
    text = re.sub(r"\s+", "", text)
    return text.casefold()


def _child_id(parent: str, raw: str) -> str:
    """The canonical id of a child of ``parent`` written as ``raw`` (repaired when it disagrees)."""
    if raw.startswith(parent + ".") and re.fullmatch(r"\d{2}", raw[len(parent) + 1:]):
        return raw
    if raw == parent:  # the parent's id written in place of the child's: the first child
        return f"{parent}.01"
    match = _LAST_GROUP_RE.search(raw)
    return f"{parent}.{match.group(1) if match else raw}"


@dataclass
class ParsedProofs:
    proofs: list[dict[str, str]]  # {"id", "text"} (+ "raw_id" when the id was repaired)
    unparsed: list[str]  # fragments with no usable id (kept and reported, never dropped silently)


def parse_proofs_text(scenario: str, text: str) -> ParsedProofs:
    """Split a scenario's ``proofs_text`` into proofs (each introduced by its id and a colon).

    Lenient: an id that does not extend ``scenario`` is repaired to ``scenario + "." + its last
    two digits`` (the written id is kept as ``raw_id``); text before the first id, or after a colon
    with no id, is returned in ``unparsed``.
    """
    proofs: list[dict[str, str]] = []
    unparsed: list[str] = []
    heads = list(PROOF_HEAD_RE.finditer(text))
    preamble = text[: heads[0].start()] if heads else text
    if preamble.strip():
        unparsed.append(_squash(preamble))
    seen: set[str] = set()
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(text)
        body = _squash(text[head.end():end])
        raw = head.group(1)
        if raw is None:
            if body:
                unparsed.append(body)
            continue
        proof_id = _child_id(scenario, raw) if scenario else raw
        if proof_id in seen and scenario:  # a repaired id colliding with a sibling: next free number
            proof_id = next(f"{scenario}.{n:02d}" for n in range(1, 100) if f"{scenario}.{n:02d}" not in seen)
        if proof_id in seen or not body:
            unparsed.append(f"{raw} : {body}")
            continue
        seen.add(proof_id)
        entry = {"id": proof_id, "text": body}
        if proof_id != raw:
            entry["raw_id"] = raw
        proofs.append(entry)
    return ParsedProofs(proofs, unparsed)


def _squash(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split()).strip(" '")


# ---------------------------------------------------------------------------------------------
# Catalogue model
# ---------------------------------------------------------------------------------------------
@dataclass
class ProofSpec:
    """One proof the REM asks for, with what it admits once classified."""

    id: str
    text: str
    rem: str
    requirement: str
    scenario: str
    profile: str = GENERAL_PROFILE
    section: str = ""
    requirement_text: str = ""
    scenario_text: str = ""
    raw_id: str | None = None
    source: str = ""  # the plugin that registered it
    admits: tuple[str, ...] = ()
    expectations: dict[str, Any] = field(default_factory=dict)
    classified_by: str | None = None

    @property
    def classified(self) -> bool:
        return bool(self.admits)

    def context(self) -> dict[str, Any]:
        """What plugins see in ``Proof.context["requirement"]`` (plain, picklable values)."""
        return {
            "id": self.id, "rem": self.rem, "requirement": self.requirement, "scenario": self.scenario,
            "profile": self.profile, "text": self.text, "admits": list(self.admits),
            "expectations": dict(self.expectations),
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["admits"] = list(self.admits)
        for key in ("requirement_text", "scenario_text"):
            data.pop(key)
        return data


@dataclass(frozen=True)
class ProofClassification:
    """What ``preuves_classify_proof`` returns: the admitted proof types and the text's expectations."""

    admits: tuple[str, ...]
    expectations: dict[str, Any] = field(default_factory=dict)


class RegisterRequirement:
    """The callback given to ``preuves_register_requirements``.

    ``register(rem="BIO", requirement="DOC/va1.01", scenarios=[...], ...)`` where each scenario is
    ``{"id": "DOC/va1.01.01", "text": "…", "proofs": [{"id": "DOC/va1.01.01.01", "text": "…"}]}``
    (a scenario may carry its own ``"profile"``, which wins over the requirement's).
    ``register.unparsed(rem=, requirement=, scenario=, fragment=)`` records source text that could not
    be parsed into a proof (it is counted and listed, not dropped).
    """

    def __init__(self, catalogue: "Catalogue", plugin: str) -> None:
        self._catalogue = catalogue
        self._plugin = plugin

    def __call__(
        self,
        *,
        rem: str,
        requirement: str,
        scenarios: Iterable[dict[str, Any]],
        text: str = "",
        section: str = "",
        profile: str = GENERAL_PROFILE,
        **_extra: Any,
    ) -> None:
        for scenario in scenarios:
            for proof in scenario.get("proofs", ()):
                self._catalogue._add(ProofSpec(
                    id=proof["id"], text=proof.get("text", ""), rem=rem, requirement=requirement,
                    scenario=scenario.get("id", ""), profile=scenario.get("profile") or profile or GENERAL_PROFILE,
                    section=section,
                    requirement_text=text, scenario_text=scenario.get("text", ""),
                    raw_id=proof.get("raw_id"), source=self._plugin,
                ))

    def unparsed(self, *, rem: str, requirement: str = "", scenario: str = "", fragment: str = "") -> None:
        self._catalogue.unparsed.append(
            {"rem": rem, "requirement": requirement, "scenario": scenario, "fragment": fragment, "source": self._plugin}
        )


class Catalogue:
    """Every proof registered by plugins, by REM; lenient lookup by id."""

    def __init__(self) -> None:
        self.proofs: list[ProofSpec] = []
        self.unparsed: list[dict[str, str]] = []
        self.duplicate_entries: list[dict[str, str]] = []  # same (REM, id) given twice: first one kept
        self._by_key: dict[tuple[str, str], ProofSpec] = {}  # (REM, id_key) → proof
        self._aliases: dict[tuple[str, str], ProofSpec] = {}  # raw (written) ids of repaired proofs

    def _add(self, spec: ProofSpec) -> None:
        key = (spec.rem.upper(), id_key(spec.id))
        if key in self._by_key:
            self.duplicate_entries.append({"rem": spec.rem, "requirement": spec.requirement, "scenario": spec.scenario,
                                           "fragment": f"{spec.id} : {spec.text}", "source": spec.source})
            return
        self._by_key[key] = spec
        self.proofs.append(spec)
        if spec.raw_id:
            self._aliases.setdefault((spec.rem.upper(), id_key(spec.raw_id)), spec)

    # -- queries ------------------------------------------------------------------------------
    @property
    def rems(self) -> list[str]:
        return sorted({p.rem for p in self.proofs})

    def profiles(self, rem: str | None = None) -> list[str]:
        return sorted({p.profile for p in self.proofs if rem is None or p.rem.upper() == rem.upper()})

    def select(self, rem: str | None = None, profiles: Iterable[str] | None = None,
               search: str | None = None) -> list[ProofSpec]:
        """Proofs of ``rem`` (any when ``None``) whose profile is one of ``profiles`` (any when ``None``)."""
        wanted = None if profiles is None else {_fold(p) for p in profiles}
        needle = _fold(search) if search else None
        out = []
        for p in self.proofs:
            if rem and p.rem.upper() != rem.upper():
                continue
            if wanted is not None and _fold(p.profile) not in wanted:
                continue
            if needle and needle not in _fold(" ".join((p.id, p.text, p.requirement_text, p.scenario_text))):
                continue
            out.append(p)
        return out

    def find(self, proof_id: str, rem: str | None = None) -> ProofSpec:
        """The proof ``proof_id`` (of ``rem`` when given), leniently; raises :class:`UnknownRequirement`.

        A scenario or requirement id with exactly one proof resolves to that proof.
        """
        key = id_key(proof_id)
        rems = [rem.upper()] if rem else sorted({p.rem.upper() for p in self.proofs})
        if rem and rem.upper() not in {r.upper() for r in self.rems}:
            raise UnknownRem(rem, self.rems)
        for table in (self._by_key, self._aliases):
            for r in rems:
                if (r, key) in table:
                    return table[(r, key)]
        children = [p for p in self.select(rem) if id_key(p.scenario) == key or id_key(p.requirement) == key]
        if len({p.id for p in children}) == 1:
            return children[0]
        candidates = sorted({p.id for p in children}) or self.close_matches(proof_id, rem)
        raise UnknownRequirement(proof_id, rem, candidates, ambiguous=bool(children))

    def close_matches(self, proof_id: str, rem: str | None = None, n: int = 5) -> list[str]:
        ids = sorted({p.id for p in self.select(rem)})
        by_key = {id_key(i): i for i in ids}
        return [by_key[k] for k in difflib.get_close_matches(id_key(proof_id), list(by_key), n=n, cutoff=0.6)]

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_entries)

    def stats(self) -> dict[str, Any]:
        classified = sum(1 for p in self.proofs if p.classified)
        total = len(self.proofs)
        return {
            "proofs": total,
            "classified": classified,
            "classified_share": round(classified / total, 4) if total else 0.0,
            "unclassified": total - classified,
            "repaired_ids": sum(1 for p in self.proofs if p.raw_id),
            "unparsed_fragments": len(self.unparsed),
            "duplicates": self.duplicates,
            "by_rem": {r: len(self.select(r)) for r in self.rems},
        }


def _fold(text: str) -> str:
    return strip_accents(text).casefold()


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def build_catalogue(
    register_hooks: Iterable[tuple[str, Callable[..., Any]]],
    classify: Callable[[ProofSpec], tuple[ProofClassification | None, str | None]],
) -> Catalogue:
    """Fill a catalogue from ``(plugin, preuves_register_requirements)`` pairs, then classify it."""
    catalogue = Catalogue()
    for plugin, function in register_hooks:
        function(register=RegisterRequirement(catalogue, plugin))
    for spec in catalogue.proofs:
        result, by = classify(spec)
        if result is not None and result.admits:
            spec.admits = tuple(dict.fromkeys(result.admits))
            spec.expectations = dict(result.expectations)
            spec.classified_by = by
    return catalogue


class CatalogueCache:
    """Build the catalogue once, on first use (thread-safe); the registry owns one."""

    def __init__(self, build: Callable[[], Catalogue]) -> None:
        self._build = build
        self._value: Catalogue | None = None
        self._lock = threading.Lock()

    def get(self) -> Catalogue:
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value


# ---------------------------------------------------------------------------------------------
# Classification helpers: the built-in rules behind ``preuves_classify_proof``
# ---------------------------------------------------------------------------------------------
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


def file_name_regex(pattern: str) -> re.Pattern[str]:
    """``LOINC_1_export_chapitres_[AAAAMMJJ].csv`` → a regex matching ``…_20230315.csv``."""
    parts = re.split(r"\[AAAAMMJJ\]", pattern)
    return re.compile("^" + r"\d{8}".join(re.escape(p) for p in parts) + "$", re.IGNORECASE)


def pdfa_part_from_facts(facts: dict[str, Any]) -> tuple[bool, str | None]:
    """What the plugins found about a PDF/A claim: ``(known, part)``.

    Reads ``facts["pdf_report"]["pdfa"]`` (the pdf_report plugin: a dict with ``part``, a string such
    as ``"1B"``/``"PDF/A-1b"``, a number, or ``None``/``False`` when there is no claim), then
    ``facts["rem_catalogue"]["pdfa_part"]`` (the catalogue plugin's own bounded XMP probe).
    """
    for plugin, key in (("pdf_report", "pdfa"), ("rem_catalogue", "pdfa_part")):
        section = facts.get(plugin)
        if not isinstance(section, dict) or key not in section:
            continue
        value = section[key]
        if isinstance(value, dict):
            value = value.get("part", value.get("version"))
        if value in (None, False, "", 0):
            return True, None
        match = re.search(r"(\d)", str(value))
        return True, match.group(1) if match else None
    return False, None


# ---------------------------------------------------------------------------------------------
# Codes emitted for requirements (core-ish: whatever plugin supplied the requirement)
# ---------------------------------------------------------------------------------------------
REQUIREMENT_MESSAGES: dict[str, Message] = {
    "requirement.type_not_admitted": Message(
        fr="La preuve {requirement} attend : {admitted}. Ce fichier est de type « {type_label} », "
        "que cette exigence n'admet pas.",
        en="Proof {requirement} expects: {admitted}. This file is a “{type_label}”, which this "
        "requirement does not admit.",
    ),
    "requirement.pdfa_required": Message(
        fr="La preuve {requirement} exige un PDF/A-{part} ; ce PDF ne déclare pas être au format "
        "PDF/A-{part} (déclaration trouvée : {found}). Exportez-le en PDF/A-{part} avant le dépôt.",
        en="Proof {requirement} requires PDF/A-{part}; this PDF does not claim PDF/A-{part} (claim found: {found}). "
        "Export it as PDF/A-{part} before filing.",
    ),
    "requirement.pdfa_unverified": Message(
        fr="La preuve {requirement} exige un PDF/A-{part}, mais la déclaration PDF/A n'a pas pu être "
        "vérifiée : contrôlez-la avant le dépôt.",
        en="Proof {requirement} requires PDF/A-{part}, but the PDF/A claim could not be checked: "
        "check it before filing.",
    ),
    "requirement.not_full_screen": Message(
        fr="La preuve {requirement} demande une capture en plein écran avec toutes les fenêtres "
        "impliquées visibles ; {width}×{height} px n'a pas la taille ou les proportions d'un écran entier "
        "(au moins {min_width}×{min_height} px, format 16:9, 16:10, 4:3…).",
        en="Proof {requirement} asks for a full-screen capture with every window involved visible; "
        "{width}×{height} px does not have the size or shape of a whole screen "
        "(at least {min_width}×{min_height} px, 16:9, 16:10, 4:3…).",
    ),
    "requirement.file_name_mismatch": Message(
        fr="La preuve {requirement} attend un fichier nommé {expected} ; ce fichier s'appelle « {name} ».",
        en="Proof {requirement} expects a file named {expected}; this file is named “{name}”.",
    ),
    "requirement.file_format_mismatch": Message(
        fr="La preuve {requirement} attend un fichier {expected} ; le contenu détecté est {media_type}.",
        en="Proof {requirement} expects a {expected} file; the detected content is {media_type}.",
    ),
}


# ---------------------------------------------------------------------------------------------
# Build: shared/data/rem-prepub-2023.json → validator_core/data/rem-catalogue.json
# ---------------------------------------------------------------------------------------------
def build_data(rows: list[dict[str, Any]], source: str) -> dict[str, Any]:
    """Group the export's scenario rows into requirements → scenarios → parsed proofs."""
    requirements: dict[tuple[str, str], dict[str, Any]] = {}
    unparsed: list[dict[str, str]] = []
    repaired_scenarios = 0
    for row in rows:
        rem, req_id = row["rem"].strip(), row["requirement"].strip()
        req = requirements.setdefault((rem, req_id), {
            "rem": rem, "id": req_id, "section": row.get("section", ""), "profile": row.get("profile") or GENERAL_PROFILE,
            "chapter": row.get("chapter", ""), "block": row.get("block", ""), "function": row.get("function", ""),
            "text": (row.get("requirement_text") or "").strip(), "scenarios": [],
        })
        raw_scenario = (row.get("scenario") or "").strip()
        proofs_text = row.get("proofs_text") or ""
        if not raw_scenario and not proofs_text.strip():
            continue  # a requirement without a compliance scenario in this export
        scenario_id = _child_id(req_id, raw_scenario) if raw_scenario else f"{req_id}.01"
        scenario: dict[str, Any] = {"id": scenario_id, "text": _squash(row.get("scenario_text") or "")}
        if (row.get("profile") or GENERAL_PROFILE) != req["profile"]:  # a row of another profile (2 in the export)
            scenario["profile"] = row["profile"]
        if scenario_id != raw_scenario:
            scenario["raw_id"] = raw_scenario
            repaired_scenarios += 1
        parsed = parse_proofs_text(scenario_id, proofs_text)
        scenario["proofs"] = parsed.proofs
        if not parsed.proofs and not parsed.unparsed:
            unparsed.append({"rem": rem, "requirement": req_id, "scenario": scenario_id, "fragment": "(aucune preuve)"})
        for fragment in parsed.unparsed:
            unparsed.append({"rem": rem, "requirement": req_id, "scenario": scenario_id, "fragment": fragment})
        req["scenarios"].append(scenario)
    reqs = list(requirements.values())
    proofs = [p for r in reqs for s in r["scenarios"] for p in s["proofs"]]
    return {
        "source": source,
        "description": "REM vague 2, pré-publication de mars 2023 (lignes approuvées) — exigences, scénarios, preuves",
        "stats": {
            "rows": len(rows), "requirements": len(reqs),
            "scenarios": sum(len(r["scenarios"]) for r in reqs), "proofs": len(proofs),
            "repaired_proof_ids": sum(1 for p in proofs if "raw_id" in p),
            "repaired_scenario_ids": repaired_scenarios, "unparsed_fragments": len(unparsed),
        },
        "requirements": reqs,
        "unparsed": unparsed,
    }


def load_data(path: Path = DATA_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m validator_core.requirements")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="regenerate the packaged catalogue from the ANS export")
    build.add_argument("source", nargs="?", default=str(DEFAULT_SOURCE))
    build.add_argument("--output", default=str(DATA_FILE))
    args = parser.parse_args(argv)
    source = Path(args.source)
    rows = json.loads(source.read_text(encoding="utf-8"))
    data = build_data(rows, "ansforge/segur-squash-plugins macros/import_gsheet/import_gsheet_sans_modele.xlsx "
                            f"(via shared/data/{source.name})")
    Path(args.output).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(data["stats"], ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))


# ---------------------------------------------------------------------------------------------
# Engine helpers
# ---------------------------------------------------------------------------------------------
def choose_proof_type(spec: ProofSpec, inferred: str, media_type: str, rules: Any) -> str:
    """The proof type of a file filed for ``spec`` when the caller gave none.

    The inferred type when the requirement admits it; else the first admitted type whose formats
    accept the detected content (a PDF filed for a "Fichiers" proof is a file); else the inferred
    type (and the engine reports ``requirement.type_not_admitted``).
    """
    if not spec.admits or inferred in spec.admits:
        return inferred
    format_id = rules.format_for_media_type(media_type)
    for candidate in spec.admits:
        if candidate in rules.proof_types and rules.allows(candidate, format_id):
            return candidate
    return inferred


def apply_requirement_findings(findings: list[Any], extra: list[Any]) -> None:
    """Add requirement findings; one whose code is already present replaces it (escalation)."""
    for item in extra:
        for index, existing in enumerate(findings):
            if existing.code == item.code:
                findings[index] = item
                break
        else:
            findings.append(item)
