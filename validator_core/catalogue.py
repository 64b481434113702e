"""The requirement catalogue's machinery, shared by every catalogue plugin.

Vocabulary (``docs/requirements.md``): a *requirement* ``SECTION[/SUB][/va1].NN`` has *scenarios*
``<requirement>.NN``; a scenario has *proofs* ``<scenario>.NN``. Editors file one proof at a time:
"DOC/va1.01.01.01 of REM BIO". Plugins supply the content (the built-in REM catalogue is the plugin
package ``plugins/rem_catalogue/``); the core holds only what any catalogue needs:

- the model: :class:`ProofSpec` (one proof and what it admits once classified) and
  :class:`ProofClassification` (what ``preuves_classify_proof`` returns);
- :class:`RegisterRequirement`, the callback of ``preuves_register_requirements``, and
  :func:`build_catalogue`, which calls those hooks then classifies every proof (:class:`CatalogueCache`
  builds it once per registry);
- :class:`Catalogue`: lenient lookup by id (:func:`id_key`, close ids in :class:`UnknownRequirement`,
  :class:`UnknownRem`), selection by REM, profile and text, statistics;
- pipeline helpers for ``Engine.validate(requirement=…)``: :func:`choose_proof_type`,
  :func:`apply_requirement_findings`;
- the ``requirement.*`` code family (:data:`REQUIREMENT_CODE_FAMILY`) and the message of the one code
  the core emits itself, ``requirement.type_not_admitted``.
"""

from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

from validator_core.errors import UnknownRem, UnknownRequirement
from validator_core.messages import Message

GENERAL_PROFILE = "Général"  # the profile of requirements every editor of a REM meets (a dossier always has it)


# ---------------------------------------------------------------------------------------------
# Ids
# ---------------------------------------------------------------------------------------------
def id_key(raw: str) -> str:
    """The lookup key of an id typed by a person: case, spaces, ``SC.`` prefix and quotes ignored.

    ``"doc/VA1.01.01.01 "`` → ``"doc/va1.01.01.01"``; ``"PSC 01.01"`` → ``"psc.01.01"``.
    """
    text = unicodedata.normalize("NFKC", raw).strip().strip("'\"«» ").strip()
    text = re.sub(r"^SC\.", "", text, flags=re.IGNORECASE)
    text = re.sub(r"(?<=[A-Za-z])\s+(?=\d)", ".", text)  # "PSC 01.01"
    text = re.sub(r"\s+", "", text)
    return text.casefold()


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
    # Where each expectation was read: ``{"full_screen": {"from": "scenario", "quote": "la vidéo doit
    # être en plein écran"}}`` ("proof", "scenario" or "requirement" text, and the words quoted).
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    classified_by: str | None = None
    # When the proof applies (none: to every editor of its profile), each ``{"id", "label", "when",
    # "values", "from", "quote"}``: it applies when, for every condition, the value the editor declares
    # is one of ``when`` (``validator_core.dossier.applicability``). A catalogue plugin reads them.
    conditions: tuple[dict[str, Any], ...] = ()

    @property
    def classified(self) -> bool:
        return bool(self.admits)

    def context(self) -> dict[str, Any]:
        """What plugins see in ``Proof.context["requirement"]`` (plain, picklable values)."""
        return {
            "id": self.id, "rem": self.rem, "requirement": self.requirement, "scenario": self.scenario,
            "profile": self.profile, "text": self.text, "admits": list(self.admits),
            "expectations": dict(self.expectations), "sources": {k: dict(v) for k, v in self.sources.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["admits"] = list(self.admits)
        for key in ("requirement_text", "scenario_text"):
            data.pop(key)
        return data


@dataclass(frozen=True)
class ProofClassification:
    """What ``preuves_classify_proof`` returns: the admitted proof types (in the order the text names
    them), the expectations the texts state, and where each was read (:attr:`ProofSpec.sources`)."""

    admits: tuple[str, ...]
    expectations: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)


class RegisterRequirement:
    """The callback given to ``preuves_register_requirements``.

    ``register(rem="BIO", requirement="DOC/va1.01", scenarios=[...], ...)`` where each scenario is
    ``{"id": "DOC/va1.01.01", "text": "…", "proofs": [{"id": "DOC/va1.01.01.01", "text": "…"}]}``
    (a scenario may carry its own ``"profile"``, which wins over the requirement's; a proof its
    ``"conditions"``, :attr:`ProofSpec.conditions`). A proof may come
    classified already (``"admits"``, and optionally ``"expectations"`` and ``"sources"``, as a
    catalogue built ahead of time stores them): it is classified by the plugin that registered it,
    unless a ``preuves_classify_proof`` hook answers for it.
    ``register.unparsed(rem=, requirement=, scenario=, fragment=)`` records source text that could not
    be parsed into a proof (it is counted and listed, not dropped). ``register.edition("…")`` names the
    edition of the source (« REM vague 2, pré-publication de mars 2023 »), shown with the catalogue.
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
                admits = tuple(proof.get("admits") or ())
                self._catalogue._add(ProofSpec(
                    id=proof["id"], text=proof.get("text", ""), rem=rem, requirement=requirement,
                    scenario=scenario.get("id", ""), profile=scenario.get("profile") or profile or GENERAL_PROFILE,
                    section=section,
                    requirement_text=text, scenario_text=scenario.get("text", ""),
                    raw_id=proof.get("raw_id"), source=self._plugin, admits=admits,
                    expectations=dict(proof.get("expectations") or {}) if admits else {},
                    sources=dict(proof.get("sources") or {}) if admits else {},
                    classified_by=self._plugin if admits else None,
                    conditions=tuple(dict(c) for c in proof.get("conditions") or ()),
                ))

    def edition(self, text: str) -> None:
        self._catalogue.editions[self._plugin] = text

    def unparsed(self, *, rem: str, requirement: str = "", scenario: str = "", fragment: str = "") -> None:
        self._catalogue.unparsed.append(
            {"rem": rem, "requirement": requirement, "scenario": scenario, "fragment": fragment, "source": self._plugin}
        )


MAX_COUNTED_VALUES = 8


class Catalogue:
    """Every proof registered by plugins, by REM; lenient lookup by id."""

    def __init__(self) -> None:
        self.proofs: list[ProofSpec] = []
        self.unparsed: list[dict[str, str]] = []
        self.editions: dict[str, str] = {}  # plugin → the edition of its source (RegisterRequirement.edition)
        self.duplicate_entries: list[dict[str, str]] = []  # same (REM, id, profile) given twice: first one kept
        self._by_key: dict[tuple[str, str], ProofSpec] = {}  # (REM, id_key) → proof (the first of homonyms)
        # Two requirements of a REM may share an id in different profiles (RIS MSS/va1.31): every proof
        # of that id, by profile, so that a dossier files a file for the one of its profiles.
        self._homonyms: dict[tuple[str, str], list[ProofSpec]] = {}
        self._aliases: dict[tuple[str, str], ProofSpec] = {}  # raw (written) ids of repaired proofs

    def _add(self, spec: ProofSpec) -> None:
        key = (spec.rem.upper(), id_key(spec.id))
        homonyms = self._homonyms.setdefault(key, [])
        if any(id_key(h.profile) == id_key(spec.profile) for h in homonyms):
            self.duplicate_entries.append({"rem": spec.rem, "requirement": spec.requirement, "scenario": spec.scenario,
                                           "fragment": f"{spec.id} : {spec.text}", "source": spec.source})
            return
        homonyms.append(spec)
        self._by_key.setdefault(key, spec)
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

    def find_all(self, proof_id: str, rem: str | None = None, profiles: Iterable[str] | None = None) -> list[ProofSpec]:
        """Every proof ``proof_id`` names (:meth:`find`): its homonyms of other profiles too, only those
        of ``profiles`` when some are (a dossier's scope); raises like :meth:`find`."""
        spec = self.find(proof_id, rem)
        homonyms = self._homonyms.get((spec.rem.upper(), id_key(spec.id)), [spec])
        if profiles is None:
            return list(homonyms)
        wanted = {id_key(p) for p in profiles}
        return [h for h in homonyms if id_key(h.profile) in wanted] or [spec]

    def conditions(self, rem: str | None = None) -> dict[str, dict[str, Any]]:
        """The conditions the proofs of ``rem`` state, by id: ``{"label", "values", "proofs"}`` (how many
        proofs depend on it), ids sorted — what an editor may declare for a dossier."""
        out: dict[str, dict[str, Any]] = {}
        for spec in self.select(rem):
            for condition in spec.conditions:
                entry = out.setdefault(condition["id"], {"id": condition["id"], "label": condition.get("label", ""),
                                                         "values": [], "proofs": 0})
                entry["values"] += [v for v in condition.get("values", ()) if v not in entry["values"]]
                entry["proofs"] += 1
        return {key: out[key] for key in sorted(out)}

    def close_matches(self, proof_id: str, rem: str | None = None, n: int = 5) -> list[str]:
        ids = sorted({p.id for p in self.select(rem)})
        by_key = {id_key(i): i for i in ids}
        return [by_key[k] for k in difflib.get_close_matches(id_key(proof_id), list(by_key), n=n, cutoff=0.6)]

    @property
    def duplicates(self) -> int:
        return len(self.duplicate_entries)

    def expectation_counts(self) -> dict[str, dict[str, Any]]:
        """Per expectation key: the proofs carrying it, by source and, for a string value taking at most
        :data:`MAX_COUNTED_VALUES` values (a format, not a test case name), by value.

        ``{"full_screen": {"proofs": 67, "from": {"proof": 55, "scenario": 12}}, "medium": {"proofs": 227,
        "values": {"video": 148, "screenshot": 79}, "from": {"proof": 227}}, …}``, keys sorted.
        """
        out: dict[str, dict[str, Any]] = {}
        for spec in self.proofs:
            for key, value in spec.expectations.items():
                entry = out.setdefault(key, {"proofs": 0, "from": {}})
                entry["proofs"] += 1
                if isinstance(value, str):
                    values = entry.setdefault("values", {})
                    values[value] = values.get(value, 0) + 1
                where = spec.sources.get(key, {}).get("from", "?")
                entry["from"][where] = entry["from"].get(where, 0) + 1
        for entry in out.values():
            if len(entry.get("values", ())) > MAX_COUNTED_VALUES:
                del entry["values"]
        return {key: out[key] for key in sorted(out)}

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
            "conditional": sum(1 for p in self.proofs if p.conditions),
            "by_rem": {r: len(self.select(r)) for r in self.rems},
            "expectations": self.expectation_counts(),
        }


def _fold(text: str) -> str:
    return strip_accents(text).casefold()


def strip_accents(text: str) -> str:
    """``"Démonstration d'écran"`` → ``"Demonstration d'ecran"``: catalogue texts are compared without accents."""
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
            spec.sources = {key: dict(value) for key, value in result.sources.items()}
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
# requirement.* codes
# ---------------------------------------------------------------------------------------------
# Codes about what a catalogue proof expects form one family whatever plugin checks them, so that a
# client reads ``requirement.pdfa_required`` the same way whichever catalogue supplied the proof. The
# core emits ``requirement.type_not_admitted`` (its message is below); a plugin that checks a
# requirement (``preuves_check_requirement``) registers the messages of the ``requirement.*`` codes it
# emits through ``preuves_register_messages``, like its own codes (each code once). Findings of the
# family are reported as the core's (``plugin: "core"``).
REQUIREMENT_CODE_FAMILY = "requirement."

CORE_REQUIREMENT_MESSAGES: dict[str, Message] = {
    "requirement.type_not_admitted": Message(
        fr="La preuve {requirement} attend {admitted_labels}. Ce fichier est de type « {type_label} », "
        "que cette exigence n'admet pas : déposez un fichier du type attendu.",
        en="Proof {requirement} expects {admitted_labels}. This file is a “{type_label}”, which this "
        "requirement does not admit: file one of the expected type.",
    ),
}


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
