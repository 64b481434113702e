"""Use cases the CLI and the HTTP service share, so that both faces check a request and run it alike.

- **Request fields** — :func:`request_lang`, :func:`check_fields` (proof types, REM, requirements),
  :func:`resolve_rem`, :func:`resolve_profiles`: a bad value is refused before any file is read
  (``preuves check`` before its workers start, the HTTP service as soon as the field arrives).
- **Several files** — :meth:`Engine.validate_many <validator_core.engine.Engine.validate_many>` on
  the engine façade: ``preuves check PATH...`` and ``POST /v1/validations[/batch]``.
- **A dossier** — :func:`check_dossier`: every file against the proof it answers, the proofs still
  missing, the files matching none (``preuves dossier`` and ``POST /v1/dossiers``).

Nothing here knows HTTP or the terminal: a face parses its input, calls these, and shapes the answer
(a table and an exit status, or JSON and a status code).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from validator_core.dossier import (
    STATUS_ORDER, ConditionalProof, Dossier, DossierEntry, DossierError, DossierResult, FileResult, ProofResult,
    UnknownCondition, UnknownProfile, applicability, checklist_csv, checklist_markdown, scope_profiles,
)
from validator_core.engine import BatchItem, BatchProgress, Engine
from validator_core.errors import PreuvesError, UnknownRem, UnsupportedLanguage
from validator_core.messages import LANGS, render
from validator_core.models import Finding, Report, Severity
from validator_core.proof import DOSSIER_CONTEXT
from validator_core.catalogue import Catalogue, ProofSpec, id_key


# -- request fields ---------------------------------------------------------------------------------
def request_lang(lang: str | None) -> str:
    """The language of the messages: ``fr`` when not given; :class:`UnsupportedLanguage` when unknown."""
    lang = lang or "fr"
    if lang not in LANGS:
        raise UnsupportedLanguage(lang, LANGS)
    return lang


def check_fields(engine: Engine, *, proof_types: Iterable[str | None] = (), rems: Sequence[str | None] = (),
                 requirements: Iterable[str | None] = ()) -> None:
    """Raise for an unknown proof type, REM or requirement (empty values are skipped).

    ``rems`` is every value the request gave: one is checked (and the requirements looked up in it);
    several are left to the caller, who says a field was repeated. Cheap (dict lookups, once the
    catalogue is built), so the HTTP service runs it on the event loop as the fields arrive.
    """
    for type_id in proof_types:
        engine.check_proof_type(type_id or None)
    given = [r for r in rems if r]
    rem = given[0] if len(given) == 1 else None
    if rem:
        resolve_rem(engine, rem)
    for requirement in requirements:
        if requirement:
            engine.requirement(requirement, rem)


def resolve_rem(engine: Engine, rem: str) -> str:
    """``rem`` as the catalogue spells it (``bio`` → ``BIO``); :class:`UnknownRem` with the valid ones."""
    rems = engine.catalogue().rems
    found = next((r for r in rems if r.upper() == rem.upper()), None)
    if found is None:
        raise UnknownRem(rem, rems)
    return found


def resolve_profiles(engine: Engine, rem: str | None, values: Iterable[str]) -> list[str]:
    """Profiles named by a client (each value may list several, comma-separated), as the catalogue
    spells them, without repeats; :class:`~validator_core.dossier.UnknownProfile` for one the REM lacks."""
    known = {id_key(p): p for p in engine.catalogue().profiles(rem)}
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if id_key(part) not in known:
                raise UnknownProfile(part, rem, sorted(known.values()))
            if known[id_key(part)] not in out:
                out.append(known[id_key(part)])
    return out


def resolve_conditions(engine: Engine, rem: str, declared: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Declared conditions checked against those the REM's proofs state (:meth:`Catalogue.conditions`):
    :class:`~validator_core.dossier.UnknownCondition` for an id or a value they do not have."""
    known = engine.catalogue().conditions(rem)
    by_key = {id_key(k): k for k in known}
    out: dict[str, list[str]] = {}
    for name, values in declared.items():
        if id_key(name) not in by_key:
            raise UnknownCondition(name, rem, list(known))
        condition = known[by_key[id_key(name)]]
        for value in values:
            if value not in condition["values"]:
                raise UnknownCondition(condition["id"], rem, condition["values"], value)
        out[condition["id"]] = list(dict.fromkeys(values))
    return out


def rem_profiles(engine: Engine, rem: str) -> dict[str, object]:
    """A REM's profiles (with their proof counts) and the conditions its proofs state
    (``preuves requirements --rem X --profiles``, ``GET /v1/requirements/profiles``)."""
    rem = resolve_rem(engine, rem)
    catalogue = engine.catalogue()
    proofs = catalogue.select(rem)
    return {"rem": rem,
            "profiles": [{"profile": profile, "proofs": sum(1 for p in proofs if p.profile == profile)}
                         for profile in catalogue.profiles(rem)],
            "conditions": list(catalogue.conditions(rem).values())}


def requirements_checklist(engine: Engine, rem: str, profiles: Iterable[str] = (), fmt: str = "csv",
                           lang: str = "fr") -> str:
    """The checklist of a REM's proofs ("Général" and ``profiles``), ``csv`` or ``md``, for an editor to fill
    (``preuves requirements --checklist``, ``GET /v1/requirements/checklist``)."""
    rem = resolve_rem(engine, rem)
    chosen = scope_profiles(resolve_profiles(engine, rem, profiles))
    proofs = sorted(engine.catalogue().select(rem, chosen), key=lambda p: (p.requirement, p.profile, p.id))
    return checklist_csv(proofs) if fmt == "csv" else checklist_markdown(proofs, rem, chosen, lang)


# -- a dossier --------------------------------------------------------------------------------------
def check_dossier(engine: Engine, dossier: Dossier, *, rem: str | None = None, profiles: Iterable[str] | None = None,
                  conditions: Mapping[str, Sequence[str]] | None = None,
                  lang: str = "fr", received: Mapping[str, BatchItem] | None = None,
                  earlier: Mapping[str, Report] | None = None,
                  on_done: Callable[[BatchProgress], None] | None = None) -> DossierResult:
    """Validate every file of ``dossier`` against its proof; list the missing and unmatched ones.

    The files are validated together (:meth:`Engine.validate_many`: as many at once as there are
    workers); a file that cannot be read is listed with its error, not a verdict.

    :param rem: overrides the dossier's REM; required when neither gives one.
    :param profiles: profiles beyond "Général" (added to the dossier's own); an unknown one is refused
        (:class:`~validator_core.dossier.UnknownProfile`, with the REM's profiles).
    :param conditions: the conditions that hold (``{"referentiel_identite": ["non"]}``), over the
        dossier's own: a proof not filed whose conditions are not met is not applicable, one whose
        conditions are not declared is listed apart (``undecided``), neither is missing.
    :param received: what an upload layer knows of each file beyond its path, by path: the client's
        name (shown, and judged for its extension), the digest computed while receiving, the real size
        of a file stored only in part.
    :param earlier: reports already made for some files of this same check, by path (a job resumed
        after its process stopped): those files are not validated again. The caller vouches that
        they come from the same request and an engine with the same rules and plugins.
    :param on_done: called as each file is validated (a progress line, metrics); not for ``earlier``'s.
    """
    catalogue = engine.catalogue()
    rem = rem or dossier.rem
    if not rem:
        raise DossierError("précisez le REM du dossier (--rem BIO, ou « rem » dans le manifeste)",
                           "say the dossier's REM (--rem BIO, or “rem” in the manifest)")
    rem = resolve_rem(engine, rem)
    chosen = scope_profiles(resolve_profiles(engine, rem, [*dossier.profiles, *(profiles or [])]))
    in_scope = {id_key(p) for p in chosen}
    declared = resolve_conditions(engine, rem, {**dossier.conditions, **(conditions or {})})

    by_proof, unknown, filed = _sort_entries(catalogue, dossier, rem, chosen, lang)
    # ``dossier``: plugins compute what a dossier compares across files (the screenshot's perceptual
    # hash), which a single check does not pay for.
    items = [replace((received or {}).get(str(entry.path)) or BatchItem(entry.path), requirement=spec.id,
                     context={DOSSIER_CONTEXT: True})
             for entry, spec, _result in filed]
    earlier = earlier or {}
    todo = [index for index, item in enumerate(items) if str(item.path) not in earlier]
    outcomes: list[Report | OSError] = [earlier.get(str(item.path)) for item in items]  # type: ignore[misc]
    for index, outcome in zip(todo, engine.validate_many([items[i] for i in todo], lang=lang, rem=rem,
                                                         on_done=on_done)):
        outcomes[index] = outcome
    for (entry, _spec, result), outcome in zip(filed, outcomes):
        if isinstance(outcome, Report):
            result.files.append(FileResult(str(entry.path), report=outcome))
        else:
            result.files.append(FileResult(str(entry.path), error=outcome.strerror or type(outcome).__name__))
    expected = [p for p in catalogue.select(rem) if id_key(p.profile) in in_scope and _key(p) not in by_proof]
    missing, not_applicable, undecided = [], [], []
    for spec in expected:
        state, involved = applicability(spec, declared)
        if state == "applies":
            missing.append(spec)
        else:
            (not_applicable if state == "not_applicable" else undecided).append(ConditionalProof(spec, involved))
    ordered = sorted(by_proof.values(), key=lambda r: (STATUS_ORDER.index(r.status), r.proof.id if r.proof else ""))
    return DossierResult(rem=rem, profiles=chosen, proofs=ordered, missing=missing,
                         unmatched=[str(p) for p in dossier.unmatched], unknown=list(unknown.values()),
                         not_applicable=not_applicable, undecided=undecided, conditions=declared,
                         findings=duplicate_findings(engine, ordered, lang))


def _key(spec: ProofSpec) -> tuple[str, str]:
    # A proof of a dossier: its id and profile (two requirements of a REM may share an id, RIS MSS/va1.31).
    return spec.id, id_key(spec.profile)


def duplicate_findings(engine: Engine, proofs: Sequence[ProofResult], lang: str = "fr") -> list[Finding]:
    """``dossier.duplicate_file`` for one content (same sha256) filed for two proofs or more,
    ``dossier.duplicate_image`` for one picture (perceptual hashes from the files' facts, within the
    distance the plugin that computed them gives) under different files: a reviewer sends back a
    dossier that answers two requirements with one capture. Hashes come from the workers' inspection
    (``facts[plugin]["phash"]``); nothing here opens a file."""
    by_digest: dict[str, list[tuple[str, str]]] = {}
    pictures: list[tuple[int, int, str, str, str]] = []  # (hash, tolerance, digest, proof, file)
    for result in proofs:
        for file in result.files:
            if file.report is None or result.proof is None:
                continue
            digest = file.report.file.sha256 or ""
            if digest:
                by_digest.setdefault(digest, []).append((result.proof.id, file.path))
            for facts in file.report.facts.values():
                if isinstance(facts, dict) and isinstance(facts.get("phash"), str):
                    try:
                        pictures.append((int(facts["phash"], 16), int(facts.get("phash_same_picture_bits", 0)),
                                         digest, result.proof.id, file.path))
                    except ValueError:
                        continue
    asked = {r.proof.id: r.proof.text for r in proofs if r.proof is not None}

    def quoted(ids: Iterable[str]) -> str:  # what each proof asks for, in the ANS's words
        return " ; ".join(f"{i} : « {asked[i][:160]}{'…' if len(asked[i]) > 160 else ''} »" for i in ids)

    out: list[Finding] = []
    for digest, where in by_digest.items():
        if len({proof for proof, _ in where}) > 1:
            out.append(_dossier_finding(engine, "dossier.duplicate_file", lang, sha256=digest,
                                        proofs=", ".join(dict.fromkeys(p for p, _ in where)),
                                        asked=quoted(dict.fromkeys(p for p, _ in where)),
                                        files=", ".join(Path(f).name for _, f in where)))
    seen: set[tuple[str, str]] = set()
    for i, (hash_a, tolerance, digest_a, proof_a, file_a) in enumerate(pictures):
        for hash_b, _tol, digest_b, proof_b, file_b in pictures[i + 1:]:
            if proof_a == proof_b or digest_a == digest_b or (proof_a, proof_b) in seen:
                continue  # the same proof, or the same bytes (already dossier.duplicate_file)
            distance = bin(hash_a ^ hash_b).count("1")
            if distance <= tolerance:
                seen.add((proof_a, proof_b))
                out.append(_dossier_finding(engine, "dossier.duplicate_image", lang, distance=distance,
                                            proofs=f"{proof_a}, {proof_b}", asked=quoted((proof_a, proof_b)),
                                            files=f"{Path(file_a).name}, {Path(file_b).name}"))
    return out


def _dossier_finding(engine: Engine, code: str, lang: str, **details: object) -> Finding:
    message = engine.message(code)
    text = render(message.template(lang), details, lang, message.words) if message else code
    return Finding(code=code, severity=Severity.WARNING, message=text, plugin="core", details=details)


def _sort_entries(catalogue: Catalogue, dossier: Dossier, rem: str, profiles: list[str], lang: str) -> tuple[
        dict[tuple[str, str], ProofResult], dict[str, ProofResult], list[tuple[DossierEntry, ProofSpec, ProofResult]]]:
    """Each entry under its proof (by proof id), or under the id as written when the REM has no such
    proof; the entries to validate, with their proof and the result their file goes to."""
    in_scope = {id_key(p) for p in profiles}
    by_proof: dict[tuple[str, str], ProofResult] = {}
    unknown: dict[str, ProofResult] = {}
    filed: list[tuple[DossierEntry, ProofSpec, ProofResult]] = []
    for entry in dossier.entries:
        try:
            specs = catalogue.find_all(entry.proof, rem, profiles)
        except PreuvesError as exc:
            result = unknown.setdefault(entry.proof, ProofResult(None, entry.proof,
                                                                 unknown_reason=exc.message if lang == "fr" else exc.message_en))
            result.files.append(FileResult(str(entry.path)))
            continue
        # A file answers every proof its id names in the dossier's profiles (homonyms: Catalogue.find_all).
        for spec in specs:
            result = by_proof.setdefault(_key(spec), ProofResult(spec, entry.proof,
                                                                 in_scope=id_key(spec.profile) in in_scope))
            filed.append((entry, spec, result))
    return by_proof, unknown, filed
