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
from typing import Callable, Iterable, Mapping, Sequence

from validator_core.dossier import (
    STATUS_ORDER, Dossier, DossierEntry, DossierError, DossierResult, FileResult, ProofResult, UnknownProfile,
    scope_profiles,
)
from validator_core.engine import BatchItem, BatchProgress, Engine
from validator_core.errors import PreuvesError, UnknownRem, UnsupportedLanguage
from validator_core.messages import LANGS
from validator_core.models import Report
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


def resolve_profiles(engine: Engine, rem: str, values: Iterable[str]) -> list[str]:
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


# -- a dossier --------------------------------------------------------------------------------------
def check_dossier(engine: Engine, dossier: Dossier, *, rem: str | None = None, profiles: Iterable[str] | None = None,
                  lang: str = "fr", received: Mapping[str, BatchItem] | None = None,
                  on_done: Callable[[BatchProgress], None] | None = None) -> DossierResult:
    """Validate every file of ``dossier`` against its proof; list the missing and unmatched ones.

    The files are validated together (:meth:`Engine.validate_many`: as many at once as there are
    workers); a file that cannot be read is listed with its error, not a verdict.

    :param rem: overrides the dossier's REM; required when neither gives one.
    :param profiles: profiles beyond "Général" (added to the dossier's own).
    :param received: what an upload layer knows of each file beyond its path, by path: the client's
        name (shown, and judged for its extension), the digest computed while receiving, the real size
        of a file stored only in part.
    :param on_done: called as each file is validated (a progress line, metrics).
    """
    catalogue = engine.catalogue()
    rem = rem or dossier.rem
    if not rem:
        raise DossierError("précisez le REM du dossier (--rem BIO, ou « rem » dans le manifeste)",
                           "say the dossier's REM (--rem BIO, or “rem” in the manifest)")
    rem = resolve_rem(engine, rem)
    chosen = scope_profiles([*dossier.profiles, *(profiles or [])])
    in_scope = {id_key(p) for p in chosen}

    by_proof, unknown, filed = _sort_entries(catalogue, dossier, rem, in_scope, lang)
    items = [replace((received or {}).get(str(entry.path)) or BatchItem(entry.path), requirement=spec.id)
             for entry, spec, _result in filed]
    outcomes = engine.validate_many(items, lang=lang, rem=rem, on_done=on_done)
    for (entry, _spec, result), outcome in zip(filed, outcomes):
        if isinstance(outcome, Report):
            result.files.append(FileResult(str(entry.path), report=outcome))
        else:
            result.files.append(FileResult(str(entry.path), error=outcome.strerror or type(outcome).__name__))
    expected = [p for p in catalogue.select(rem) if id_key(p.profile) in in_scope]
    missing = [p for p in expected if p.id not in by_proof]
    ordered = sorted(by_proof.values(), key=lambda r: (STATUS_ORDER.index(r.status), r.proof.id if r.proof else ""))
    return DossierResult(rem=rem, profiles=chosen, proofs=ordered, missing=missing,
                         unmatched=[str(p) for p in dossier.unmatched], unknown=list(unknown.values()))


def _sort_entries(catalogue: Catalogue, dossier: Dossier, rem: str, in_scope: set[str], lang: str) -> tuple[
        dict[str, ProofResult], dict[str, ProofResult], list[tuple[DossierEntry, ProofSpec, ProofResult]]]:
    """Each entry under its proof (by proof id), or under the id as written when the REM has no such
    proof; the entries to validate, with their proof and the result their file goes to."""
    by_proof: dict[str, ProofResult] = {}
    unknown: dict[str, ProofResult] = {}
    filed: list[tuple[DossierEntry, ProofSpec, ProofResult]] = []
    for entry in dossier.entries:
        try:
            spec = catalogue.find(entry.proof, rem)
        except PreuvesError as exc:
            result = unknown.setdefault(entry.proof, ProofResult(None, entry.proof,
                                                                 unknown_reason=exc.message if lang == "fr" else exc.message_en))
            result.files.append(FileResult(str(entry.path)))
            continue
        result = by_proof.setdefault(spec.id, ProofResult(spec, entry.proof, in_scope=id_key(spec.profile) in in_scope))
        filed.append((entry, spec, result))
    return by_proof, unknown, filed
