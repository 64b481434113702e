"""Dossier check: every file of an editor's dossier against the proof it answers, and what is missing.

A dossier is either

- a **manifest**, JSON::

      {"rem": "BIO", "profiles": ["Général"],
       "proofs": {"DOC/va1.01.01.01": "prescription.pdf", "DOC/va1.25.01.01": ["chrome-1.png", "chrome-2.png"]}}

  (``"proofs"`` may also be a list of ``{"proof": …, "file": …}``) or CSV with a header
  ``proof,file`` (optional columns ``rem`` and ``profile``); paths are relative to the manifest;
- or a **folder** laid out by proof id: a file name or a sub-folder name starting with the proof id,
  the ``/`` of the id written as ``/`` (nested folders), ``_``, ``-`` or a space
  (``DOC_va1.01.01.01 prescription.pdf``, ``DOC/va1.25.01.01/chrome.png``).

Here: reading a dossier (manifest, folder, or files named by their proof: :func:`match_files`), the
result of its check (per-proof verdicts, the proofs of the chosen REM and profiles still missing,
files that match no proof, a summary) and its Markdown report. The check itself, which validates
every file against its requirement through the engine, is :func:`validator_core.service.check_dossier`
(the CLI and the HTTP service both call it). Nothing here opens a proof file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from validator_core import wording
from validator_core.errors import PreuvesError
from validator_core.models import Finding, Report, Severity
from validator_core.catalogue import GENERAL_PROFILE, Catalogue, ProofSpec, id_key

MAX_FILES = 2000  # a dossier is a few hundred files; a folder with more is not a dossier
MAX_DEPTH = 4
MANIFEST_MAX_BYTES = 2_000_000
SKIPPED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_SEP = r"[\s_\-/\\]*"

STATUS_ORDER = ("rejected", "missing", "accepted_with_warnings", "accepted")


class DossierError(PreuvesError):
    """A manifest or folder that cannot be read as a dossier (the CLI exits 2, the API answers 422)."""

    code = "request.bad_dossier"

    def __init__(self, message: str, message_en: str | None = None) -> None:
        super().__init__(message, message_en)


class UnknownProfile(PreuvesError):
    """A profile the REM does not have (the HTTP service answers 422, with the REM's profiles)."""

    code = "request.unknown_profile"

    def __init__(self, profile: str, rem: str | None, valid: list[str]) -> None:
        where_fr, where_en = (f" pour le REM {rem}", f" for REM {rem}") if rem else ("", "")
        super().__init__(
            f"Profil inconnu{where_fr} : « {profile} ». Profils : {', '.join(valid)}.",
            f"Unknown profile{where_en}: “{profile}”. Profiles: {', '.join(valid)}.",
            profile=profile, rem=rem, valid=valid,
        )


class UnknownCondition(PreuvesError):
    """A condition (or a value of one) the REM's proofs do not state (CLI exit 2, HTTP 422, with the valid ones)."""

    code = "request.unknown_condition"

    def __init__(self, condition: str, rem: str, valid: list[str], value: str | None = None) -> None:
        what_fr, what_en = (f"valeur « {value} » de la condition « {condition} »", f"value “{value}” of condition “{condition}”") \
            if value is not None else (f"condition « {condition} »", f"condition “{condition}”")
        super().__init__(
            f"REM {rem} : {what_fr} inconnue. Valeurs possibles : {', '.join(valid) or '(aucune)'}.",
            f"REM {rem}: unknown {what_en}. Possible values: {', '.join(valid) or '(none)'}.",
            condition=condition, rem=rem, valid=valid, value=value,
        )


YES, NO = "oui", "non"
_BOOLEAN_WORDS = {"oui": YES, "yes": YES, "true": YES, "vrai": YES, "1": YES,
                  "non": NO, "no": NO, "false": NO, "faux": NO, "0": NO}


def parse_conditions(values: Iterable[str]) -> dict[str, list[str]]:
    """Conditions as a person writes them (``--condition``, the HTTP ``conditions`` field):
    ``referentiel_identite`` (it holds), ``referentiel_identite=non``, ``psc_modalite=web,ciba``."""
    out: dict[str, list[str]] = {}
    for value in values:
        name, _, given = value.partition("=")
        name = name.strip()
        if not name:
            continue
        out[name] = [_BOOLEAN_WORDS.get(v.strip().casefold(), v.strip()) for v in (given or YES).split(",") if v.strip()]
    return out


def _conditions_from_json(data: Any) -> dict[str, list[str]]:
    """A manifest's ``"conditions"``: ``{"referentiel_identite": false, "psc_modalite": ["web"]}`` or a list
    of ``"id=valeur"`` strings."""
    if data is None:
        return {}
    if isinstance(data, list):
        return parse_conditions(str(v) for v in data)
    if not isinstance(data, dict):
        raise DossierError("manifeste JSON : « conditions » doit être un objet ou une liste",
                           "JSON manifest: “conditions” must be an object or a list")
    out: dict[str, list[str]] = {}
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        out[str(name)] = [(YES if v else NO) if isinstance(v, bool) else _BOOLEAN_WORDS.get(str(v).casefold(), str(v))
                          for v in values]
    return out


def applicability(spec: ProofSpec, declared: dict[str, list[str]]) -> tuple[str, list[dict[str, Any]]]:
    """Whether ``spec`` applies given the conditions ``declared``: ``("applies", [])``;
    ``("not_applicable", conditions not met)`` when a declared value is none of a condition's ``when``;
    ``("undecided", conditions not declared)`` otherwise."""
    unmet, undeclared = [], []
    for condition in spec.conditions:
        given = declared.get(condition["id"])
        if given is None:
            undeclared.append(condition)
        elif not set(given) & set(condition.get("when", ())):
            unmet.append({**condition, "declared": list(given)})
    if unmet:
        return "not_applicable", unmet
    return ("undecided", undeclared) if undeclared else ("applies", [])


def condition_reason(unmet: Iterable[dict[str, Any]], lang: str = "fr") -> str:
    """Why a proof does not apply, quoting its text: « Si le système est référentiel d'identité » → non."""
    if lang == "en":
        return "; ".join(f"“{c.get('quote') or c.get('label')}”: declared {c['id']}={','.join(c['declared'])}, "
                         f"applies for {','.join(c.get('when', ()))}" for c in unmet)
    return "; ".join(f"« {c.get('quote') or c.get('label')} » : déclaré {c['id']}={','.join(c['declared'])}, "
                     f"s'applique pour {','.join(c.get('when', ()))}" for c in unmet)


@dataclass
class DossierEntry:
    proof: str  # as written by the editor
    path: Path


@dataclass
class Dossier:
    rem: str | None
    profiles: list[str]
    entries: list[DossierEntry]
    unmatched: list[Path] = field(default_factory=list)
    root: Path | None = None
    conditions: dict[str, list[str]] = field(default_factory=dict)  # declared by the manifest (id → values)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
def load_manifest(path: Path) -> Dossier:
    """A JSON or CSV manifest (see the module docstring)."""
    if path.stat().st_size > MANIFEST_MAX_BYTES:
        raise DossierError(f"{path.name} : manifeste trop volumineux", f"{path.name}: manifest too large")
    text = path.read_text(encoding="utf-8-sig")
    base = path.parent
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DossierError(f"{path.name} : JSON invalide ({exc.msg}, ligne {exc.lineno})",
                               f"{path.name}: invalid JSON ({exc.msg}, line {exc.lineno})") from exc
        return _from_json(data, base)
    return _from_csv(text, base, path.name)


def _from_json(data: Any, base: Path) -> Dossier:
    if isinstance(data, list):
        data = {"proofs": data}
    if not isinstance(data, dict) or "proofs" not in data:
        raise DossierError("manifeste JSON : clé « proofs » attendue", "JSON manifest: a “proofs” key is expected")
    proofs = data["proofs"]
    pairs: list[tuple[str, str]] = []
    if isinstance(proofs, dict):
        for proof, files in proofs.items():
            for file in [files] if isinstance(files, str) else (files or []):
                pairs.append((str(proof), str(file)))
    elif isinstance(proofs, list):
        for item in proofs:
            if not isinstance(item, dict) or "proof" not in item or "file" not in item:
                raise DossierError("manifeste JSON : chaque entrée doit avoir « proof » et « file »",
                                   "JSON manifest: every entry needs “proof” and “file”")
            pairs.append((str(item["proof"]), str(item["file"])))
    else:
        raise DossierError("manifeste JSON : « proofs » doit être un objet ou une liste",
                           "JSON manifest: “proofs” must be an object or a list")
    profiles = data.get("profiles") or []
    if isinstance(profiles, str):
        profiles = [profiles]
    return Dossier(rem=data.get("rem"), profiles=[str(p) for p in profiles],
                   entries=[DossierEntry(p, _resolve(base, f)) for p, f in pairs], root=base,
                   conditions=_conditions_from_json(data.get("conditions")))


def _from_csv(text: str, base: Path, name: str) -> Dossier:
    # The delimiter is the header's: the cells below may hold commas and line breaks (a checklist's texts).
    sample = text.split("\n", 1)[0][:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
    if "proof" not in fields or "file" not in fields:
        raise DossierError(f"{name} : colonnes « proof » et « file » attendues (en-tête CSV)",
                           f"{name}: “proof” and “file” columns expected (CSV header)")
    entries, rems, profiles = [], set(), []
    for row in reader:
        proof, file = (row.get(fields["proof"]) or "").strip(), (row.get(fields["file"]) or "").strip()
        if not file:  # an empty line, or a checklist row (checklist_csv) not filled in yet
            continue
        if not proof:
            raise DossierError(f"{name} : ligne {reader.line_num} incomplète", f"{name}: line {reader.line_num} incomplete")
        entries.append(DossierEntry(proof, _resolve(base, file)))
        if "rem" in fields and (rem := (row.get(fields["rem"]) or "").strip()):
            rems.add(rem)
        if "profile" in fields and (profile := (row.get(fields["profile"]) or "").strip()) and profile not in profiles:
            profiles.append(profile)
    if len(rems) > 1:
        raise DossierError(f"{name} : plusieurs REM ({', '.join(sorted(rems))})", f"{name}: several REMs")
    return Dossier(rem=next(iter(rems), None), profiles=profiles, entries=entries, root=base)


def _resolve(base: Path, file: str) -> Path:
    path = Path(file)
    return path if path.is_absolute() else base / path


def scan_folder(root: Path, catalogue: Catalogue, rem: str | None) -> Dossier:
    """A folder laid out by proof id: each file is matched to the longest proof id its path starts with."""
    paths = sorted(_walk(root, 0))
    if len(paths) > MAX_FILES:
        raise DossierError(f"{root} : plus de {MAX_FILES} fichiers, ce n'est pas un dossier de preuves",
                           f"{root}: more than {MAX_FILES} files, not a proof dossier")
    dossier = match_files(catalogue, rem, [(path.relative_to(root).as_posix(), path) for path in paths])
    dossier.root = root
    return dossier


def match_files(catalogue: Catalogue, rem: str | None, files: Iterable[tuple[str, Path]]) -> Dossier:
    """Files named by their proof, ``(name, path)``: each name is matched to the longest proof id it
    starts with (:class:`ProofMatcher`); its path is what gets validated, and listed when unmatched."""
    matcher = ProofMatcher(catalogue.select(rem))
    entries, unmatched = [], []
    for name, path in files:
        proof = matcher.match(name)
        if proof is None:
            unmatched.append(path)
        else:
            entries.append(DossierEntry(proof.id, path))
    return Dossier(rem=rem, profiles=[], entries=entries, unmatched=unmatched)


def _walk(folder: Path, depth: int) -> Iterable[Path]:
    for child in folder.iterdir():
        if child.name.startswith(".") or child.name.lower() in SKIPPED_NAMES or child.is_symlink():
            continue
        if child.is_dir():
            if depth < MAX_DEPTH:
                yield from _walk(child, depth + 1)
        elif child.is_file():
            yield child


class ProofMatcher:
    """Find the proof a relative path names, leniently (``/`` of the id as ``/``, ``_``, ``-``, space)."""

    def __init__(self, proofs: Iterable[ProofSpec]) -> None:
        self._patterns: list[tuple[int, re.Pattern[str], ProofSpec]] = []
        for proof in proofs:
            for written in filter(None, (proof.id, proof.raw_id)):
                tokens = [t for t in re.split(r"[/\-\s]+", written) if t]
                pattern = re.compile(
                    "^" + _SEP.join(re.escape(t) for t in tokens) + r"(?![0-9]|\.[0-9])", re.IGNORECASE
                )
                self._patterns.append((len(written), pattern, proof))
        self._patterns.sort(key=lambda item: -item[0])  # longest id first: .01.01.10 before .01.01.1

    def match(self, relative: str) -> ProofSpec | None:
        parts = relative.split("/")
        for start in range(len(parts)):  # the id may begin any path component ("BIO/DOC_va1…")
            candidate = "/".join(parts[start:])
            for _length, pattern, proof in self._patterns:
                if pattern.match(candidate):
                    return proof
        return None


# ---------------------------------------------------------------------------------------------
# The result of a check (validator_core.service.check_dossier)
# ---------------------------------------------------------------------------------------------
@dataclass
class FileResult:
    path: str
    report: Report | None = None
    error: str | None = None  # a request error (unreadable file …), not a verdict

    @property
    def status(self) -> str:
        return "rejected" if self.report is None else self.report.verdict.value


@dataclass
class ProofResult:
    proof: ProofSpec | None
    written_id: str
    files: list[FileResult] = field(default_factory=list)
    in_scope: bool = True
    unknown_reason: str | None = None

    @property
    def status(self) -> str:
        if self.proof is None:
            return "unknown"
        if not self.files:
            return "missing"
        return min((f.status for f in self.files), key=STATUS_ORDER.index)


@dataclass
class ConditionalProof:
    """A proof of the scope not filed, whose conditions say it does not apply or are not all declared."""

    proof: ProofSpec
    conditions: list[dict[str, Any]]  # the unmet ones (with "declared") or the undeclared ones


@dataclass
class DossierResult:
    rem: str | None
    profiles: list[str]
    proofs: list[ProofResult]
    missing: list[ProofSpec]
    unmatched: list[str]
    unknown: list[ProofResult]
    not_applicable: list[ConditionalProof] = field(default_factory=list)
    undecided: list[ConditionalProof] = field(default_factory=list)  # conditions to declare
    conditions: dict[str, list[str]] = field(default_factory=dict)  # as declared
    findings: list[Finding] = field(default_factory=list)  # about the dossier as a whole (dossier.*)

    def summary(self) -> dict[str, Any]:
        statuses = [p.status for p in self.proofs]
        # Expected: filed in scope, missing, and those whose conditions are still to declare (not the ones
        # that do not apply).
        scope = len([p for p in self.proofs if p.in_scope]) + len(self.missing) + len(self.undecided)
        return {
            "rem": self.rem, "profiles": self.profiles, "expected_proofs": scope,
            "filed_proofs": len(self.proofs), "files": sum(len(p.files) for p in self.proofs),
            "accepted": statuses.count("accepted"), "accepted_with_warnings": statuses.count("accepted_with_warnings"),
            "rejected": statuses.count("rejected"), "missing": len(self.missing),
            "not_applicable": len(self.not_applicable), "undecided": len(self.undecided),
            "unknown_proofs": len(self.unknown), "unmatched_files": len(self.unmatched),
            "warnings": sum(1 for f in self.findings if f.severity == Severity.WARNING),
            "ready": not self.missing and "rejected" not in statuses and not self.unknown and not self.undecided,
        }

    def by_requirement(self) -> list[dict[str, Any]]:
        """Per requirement of the scope (or with a filed proof): its proofs' statuses, and each proof still
        missing (or whose conditions are to declare) with the text of its scenario — what to do next."""
        groups: dict[tuple[str, str], dict[str, Any]] = {}

        def group(spec: ProofSpec) -> dict[str, Any]:
            return groups.setdefault((spec.requirement, spec.profile), {
                "requirement": spec.requirement, "profile": spec.profile, "text": spec.requirement_text,
                "statuses": {}, "missing": [], "undecided": [], "not_applicable": []})

        for result in self.proofs:
            if result.proof is not None:
                statuses = group(result.proof)["statuses"]
                statuses[result.status] = statuses.get(result.status, 0) + 1
        for spec in self.missing:
            group(spec)["missing"].append(_proof_entry(spec))
        for item in self.undecided:
            group(item.proof)["undecided"].append({**_proof_entry(item.proof), "conditions": item.conditions})
        for item in self.not_applicable:
            group(item.proof)["not_applicable"].append({**_proof_entry(item.proof), "conditions": item.conditions})
        for entry in groups.values():
            entry["status"] = ("missing" if entry["missing"] or entry["undecided"] else
                               min(entry["statuses"], key=STATUS_ORDER.index) if entry["statuses"] else "not_applicable")
        return sorted(groups.values(), key=lambda g: (g["requirement"], g["profile"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "proofs": [
                {"proof": p.proof.id if p.proof else p.written_id, "status": p.status, "in_scope": p.in_scope,
                 "requirement": p.proof.requirement if p.proof else None,
                 "profile": p.proof.profile if p.proof else None,
                 "text": p.proof.text if p.proof else None,
                 "admits": list(p.proof.admits) if p.proof else [],
                 "files": [{"path": f.path, "status": f.status, "error": f.error,
                            "report": f.report.to_dict() if f.report else None} for f in p.files]}
                for p in self.proofs
            ],
            "unknown": [{"proof": p.written_id, "reason": p.unknown_reason, "files": [f.path for f in p.files]}
                        for p in self.unknown],
            "missing": [_proof_entry(m) for m in self.missing],
            "not_applicable": [{**_proof_entry(c.proof), "conditions": c.conditions} for c in self.not_applicable],
            "undecided": [{**_proof_entry(c.proof), "conditions": c.conditions} for c in self.undecided],
            "conditions": self.conditions,
            "findings": [f.to_dict() for f in self.findings],
            "requirements": self.by_requirement(),
            "unmatched_files": self.unmatched,
        }


def _proof_entry(spec: ProofSpec) -> dict[str, Any]:
    return {"proof": spec.id, "requirement": spec.requirement, "profile": spec.profile, "text": spec.text,
            "admits": list(spec.admits), "scenario": spec.scenario, "scenario_text": spec.scenario_text}


def scope_profiles(profiles: Iterable[str] | None) -> list[str]:
    """The profiles in scope: "Général" always, plus the ones chosen."""
    chosen = [p for p in (profiles or []) if p]
    return [GENERAL_PROFILE] + [p for p in chosen if id_key(p) != id_key(GENERAL_PROFILE)]


# ---------------------------------------------------------------------------------------------
# Markdown report (a file the editor can keep with the dossier)
# ---------------------------------------------------------------------------------------------
STATUS_LABELS = {
    "fr": {"accepted": "acceptée", "accepted_with_warnings": "acceptée avec avertissements", "rejected": "rejetée",
           "missing": "manquante", "unknown": "inconnue"},
    "en": {"accepted": "accepted", "accepted_with_warnings": "accepted with warnings", "rejected": "rejected",
           "missing": "missing", "unknown": "unknown"},
}


def summary_line(result: DossierResult, lang: str = "fr") -> str:
    s = result.summary()
    n, count = wording.number, wording.count
    if lang == "en":
        return (f"REM {s['rem']} ({', '.join(s['profiles'])}): {count(s['filed_proofs'], 'proof', 'proofs', lang)} filed "
                f"of {n(s['expected_proofs'], lang)} expected — {n(s['accepted'], lang)} accepted, "
                f"{n(s['accepted_with_warnings'], lang)} with warnings, {n(s['rejected'], lang)} rejected, "
                f"{n(s['missing'], lang)} missing; {n(s['not_applicable'], lang)} not applicable, "
                f"{n(s['undecided'], lang)} depending on undeclared conditions; "
                f"{count(s['unmatched_files'], 'unmatched file', 'unmatched files', lang)}. "
                + ("Ready to file." if s["ready"] else "Not ready to file."))
    expected = "attendue" if wording.singular(s["expected_proofs"]) else "attendues"
    return (f"REM {s['rem']} ({', '.join(s['profiles'])}) : {count(s['filed_proofs'], 'preuve déposée', 'preuves déposées')} "
            f"sur {n(s['expected_proofs'])} {expected} — {count(s['accepted'], 'acceptée', 'acceptées')}, "
            f"{n(s['accepted_with_warnings'])} avec avertissements, {count(s['rejected'], 'rejetée', 'rejetées')}, "
            f"{count(s['missing'], 'manquante', 'manquantes')} ; {count(s['not_applicable'], 'non applicable', 'non applicables')}, "
            f"{n(s['undecided'])} selon des conditions non déclarées ; "
            f"{count(s['unmatched_files'], 'fichier sans preuve', 'fichiers sans preuve')}. "
            + ("Prêt pour le dépôt." if s["ready"] else "Pas prêt pour le dépôt."))


# -- Markdown ----------------------------------------------------------------------------------
# Every string that comes from outside the code (file names, ids as written, finding messages that quote
# file content, catalogue texts) goes through md_text(): a file named "<img src=x onerror=…>",
# "[x](javascript:…)" or "a\n# Dossier prêt" must show as that text, never become HTML, a link or a
# heading in whatever renders the report (GitLab, GitHub, an intranet wiki).
_MD_BREAKS = frozenset("\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Inline syntax (emphasis, code, links, images, autolinks and HTML, entities, tables, strikethrough,
# math): escaped wherever it appears. Backslash escapes of ASCII punctuation are CommonMark's own.
_MD_INLINE = frozenset("\\`*_[]<>|~&!$")
# Block syntax only counts at the start of a block: headings, quotes, lists, thematic breaks.
_MD_BLOCK_START = frozenset("#>+-=:")
_MD_ORDERED = re.compile(r"^(\d{1,9})([.)])")
_KEEP_FORMAT = frozenset("\u200c\u200d")  # zero-width (non-)joiners: part of some scripts and emoji


def md_text(value: object) -> str:
    """``value`` as literal Markdown text on one line (table cell or list item)."""
    out: list[str] = []
    for ch in str(value):
        if ch in _MD_BREAKS:
            out.append(" ")  # a line break would end the cell or start a block (a forged heading)
        elif ch in _MD_INLINE:
            out.append("\\" + ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in _KEEP_FORMAT:
            out.append("\ufffd")  # controls, bidi overrides, unassigned: shown as replaced, never obeyed
        else:
            out.append(ch)
    text = "".join(out).strip()
    if text[:1] in _MD_BLOCK_START:
        text = "\\" + text
    return _MD_ORDERED.sub(r"\1\\\2", text, count=1)


def to_markdown(result: DossierResult, lang: str = "fr") -> str:
    fr = lang == "fr"
    labels = STATUS_LABELS[lang]
    out = [f"# {'Vérification du dossier' if fr else 'Dossier check'} — REM {md_text(result.rem)}", "",
           md_text(summary_line(result, lang)), ""]
    if result.findings:  # about the dossier as a whole, under its summary (the report keeps its four sections)
        out += [f"{'Constats sur le dossier' if fr else 'Dossier findings'} :", ""]
        out += [f"- {wording.severity(f.severity, lang)}{' :' if fr else ':'} {md_text(f.message)} ({f.code})"
                for f in result.findings] + [""]
    out += [f"## {'Preuves déposées' if fr else 'Filed proofs'}", "",
            "| Preuve | Statut | Fichier | Constats |" if fr else "| Proof | Status | File | Findings |",
            "|---|---|---|---|"]
    for proof in result.proofs:
        for file in proof.files:
            findings = "; ".join(f"{wording.severity(f.severity, lang)}{' :' if fr else ':'} {f.message} ({f.code})"
                                 for f in (file.report.findings if file.report else [])
                                 if f.code != "type.inferred") or (file.error or "—")
            out.append(f"| {md_text(proof.proof.id)} | {labels[file.status]} | {md_text(Path(file.path).name)} "
                       f"| {md_text(findings)} |")
    if result.unknown:
        out += ["", f"## {'Identifiants inconnus' if fr else 'Unknown ids'}", ""]
        out += [f"- {md_text(u.written_id)} : {md_text(u.unknown_reason or '')}" for u in result.unknown]
    out += ["", f"## {'Preuves manquantes, par exigence' if fr else 'Missing proofs, by requirement'} ({len(result.missing)})", ""]
    for group in result.by_requirement():
        if group["missing"]:
            out.append(f"- {md_text(group['requirement'])} ({md_text(group['profile'])}) — {md_text(group['text'][:300])}")
            out += [f"  - {md_text(m['proof'])} — {md_text(m['text'])} [{md_text(', '.join(m['admits']) or '?')}] ; "
                    f"{'scénario' if fr else 'scenario'} : {md_text(m['scenario_text'][:300])}" for m in group["missing"]]
    if not result.missing:
        out.append("—")
    # Not missing, yet not done: listed with the missing ones (the report keeps its four sections).
    if result.undecided:
        out += ["", f"{'Preuves selon des conditions à déclarer' if fr else 'Proofs depending on conditions to declare'} "
                    f"({len(result.undecided)}) :", ""]
        out += [f"- {md_text(c.proof.id)} — {md_text(', '.join(d['id'] + ' : ' + (d.get('quote') or '') for d in c.conditions))}"
                for c in result.undecided]
    if result.not_applicable:
        out += ["", f"{'Preuves non applicables' if fr else 'Proofs not applicable'} ({len(result.not_applicable)}) :", ""]
        out += [f"- {md_text(c.proof.id)} — {md_text(condition_reason(c.conditions, lang))}" for c in result.not_applicable]
    out += ["", f"## {'Fichiers sans preuve' if fr else 'Files matching no proof'} ({len(result.unmatched)})", ""]
    out += [f"- {md_text(u)}" for u in result.unmatched] or ["—"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Checklist: the proofs of a REM/profile set, for an editor to fill (CSV: also a dossier manifest)
# ---------------------------------------------------------------------------------------------
CHECKLIST_COLUMNS = ("proof", "file", "requirement", "profile", "admits", "conditions", "proof_text",
                     "scenario", "scenario_text", "requirement_text")


def _conditions_cell(spec: ProofSpec) -> str:
    return "; ".join(f"{c['id']}={','.join(c.get('when', ()))} ({c.get('quote') or c.get('label', '')})"
                     for c in spec.conditions)


def checklist_csv(proofs: Iterable[ProofSpec]) -> str:
    """One row per proof, ``;``-separated, ``file`` left empty: once filled, the file is a dossier
    manifest (:func:`load_manifest` skips the rows still without a file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CHECKLIST_COLUMNS)
    for spec in proofs:
        writer.writerow([csv_cell(v) for v in (
            spec.id, "", spec.requirement, spec.profile, ", ".join(spec.admits), _conditions_cell(spec),
            spec.text, spec.scenario, spec.scenario_text, spec.requirement_text)])
    return buffer.getvalue()


def csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run: one opening with = + - @ (or a tab/CR) is a formula to it
    (catalogue texts start with "- " lists), so it gets a leading apostrophe, as OWASP advises for CSV
    injection. Every CSV the tool writes (checklists, ``preuves check --format csv``) goes through it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def checklist_markdown(proofs: Iterable[ProofSpec], rem: str, profiles: Iterable[str], lang: str = "fr") -> str:
    """The checklist as Markdown, by requirement: a box to tick per proof, what it admits, its conditions."""
    fr = lang == "fr"
    proofs = list(proofs)
    out = [f"# {'Liste des preuves' if fr else 'Proof checklist'} — REM {md_text(rem)} ({md_text(', '.join(profiles))})", "",
           f"{len(proofs)} {'preuves' if fr else 'proofs'}.", ""]
    current = None
    for spec in proofs:
        if (spec.requirement, spec.profile) != current:
            current = (spec.requirement, spec.profile)
            out += ["", f"## {md_text(spec.requirement)} ({md_text(spec.profile)})", "", md_text(spec.requirement_text), ""]
        line = f"- [ ] **{md_text(spec.id)}** — {md_text(spec.text)} [{md_text(', '.join(spec.admits) or '?')}]"
        if spec.conditions:
            line += f" — {'si' if fr else 'if'} {md_text(_conditions_cell(spec))}"
        out.append(line)
        out.append(f"  - {'fichier' if fr else 'file'} : ")
    return "\n".join(out) + "\n"
