"""When a REM proof applies: the conditions its texts state, read for the build.

Two kinds, both recorded on the proof as ``"conditions"`` (a proof applies when every one holds;
``validator_core.dossier`` decides from what the editor declares):

- **a condition on the system**, stated by the requirement text: « Si le système est référentiel
  d'identité, il DOIT … », « Si l'industriel ou un tiers sous sa responsabilité assure l'hébergement … »
  → ``{"id": "referentiel_identite", "when": ["oui"], "values": ["oui", "non"]}``. Only the clauses of
  :data:`SYSTEM_CONDITIONS` count: « Si le patient ne s'est pas opposé … » describes a behaviour the
  system must have, not a situation an editor may be out of (its proofs are due from everyone);
- **a modality alternative**, the « [Si modalité de type : …] » of the PSC proofs and the scenario
  each modality has (« Scénario - mode web », « … client lourd en CIBA »): the requirement asks for
  one modality at least (« au moins par l'une des 4 modalités suivantes »), and the proofs of the
  others do not apply → ``{"id": "psc_modalite", "when": ["ciba"], "values": [the four]}``.

Each condition carries its ``label`` (the question an editor answers), the words quoted (``quote``)
and the text it was read from (``from``: ``proof``, ``scenario`` or ``requirement``).
"""

from __future__ import annotations

import re
from typing import Any

from plugins.rem_catalogue.folding import Folded

YES_NO = ("oui", "non")

# (id, label, pattern on the folded "si …" clause of a requirement text). Every "Si le système …" /
# "Si l'industriel …" / "Si la PFI …" clause of the vague-2 export that states a situation is here
# (tests/test_dossier_conditions.py checks that no other such clause starts a requirement text), but
# those of :data:`PROFILE_CLAUSES`. "Si A et si B, alors …" states two conditions.
SYSTEM_CONDITIONS: tuple[tuple[str, str, str], ...] = (
    ("referentiel_identite", "Le système est (ou fait fonction de) référentiel d'identités",
     r"^si le systeme (est|fait fonction de) referentiel d'identites?"),
    ("hebergement", "L'industriel ou un tiers sous sa responsabilité héberge tout ou partie des composants",
     r"^si l'industriel ou un tiers sous sa responsabilite assure l'hebergement"),
    ("ins_autre_domaine", "Le système intègre des données de santé référencées avec l'INS venant d'ailleurs",
     r"^si le systeme integre des donnees de sante referencees avec l'ins"),
    ("wifi", "Le système intègre des points d'accès Wifi ou l'interconnexion d'équipements en Wifi",
     r"^si le systeme integre des points d'acces wifi"),
    ("identification_psc", "L'utilisateur s'identifie sur le système par Pro Santé Connect",
     r"^si le moyen d'identification electronique de l'utilisateur sur le systeme est pro sante connect"),
    ("piece_identite", "Le système conserve une version électronique de la pièce d'identité du patient",
     r"^si le systeme a comme fonctionnalite la conservation d'une version electronique de la piece d'identite"),
    ("base_medicamenteuse", "Le système permet l'utilisation d'une base médicamenteuse",
     r"^si le systeme permet l'utilisation d'une base medicamenteuse"),
    ("ihm_messages_recus", "Le système propose une IHM présentant des messages reçus",
     r"^si le systeme propose une ihm presentant des messages recus"),
    ("centres_sante", "Le système est déployé en centres de santé",
     r"^si le systeme doit etre deploye en centres de sante"),
    ("pfi_dmp_mss", "La PFI alimente le DMP et transmet par MSSanté les comptes rendus des plateaux techniques",
     r"^si la pfi est en capacite d'alimenter le dmp et de transmettre"),
    ("authentification_rpps_rang", "Le système gère des moyens d'authentification unipersonnels (certificat ORG RPPS-Rang)",
     r"^si le systeme a une capacite de gerer des moyens d'authentification electronique unipersonnel"),
    ("authentification_propre", "Le système propose son propre dispositif d'authentification (clé FIDO, TOTP …)",
     r"^si (le systeme|il) propose son propre dispositif d'authentification"),
    ("mot_de_passe_seul", "Le système propose un mot de passe comme facteur unique d'authentification",
     r"^si le systeme propose un mot de passe comme facteur unique"),
    ("identite_coordonnees", "Le système associe l'identité du professionnel et ses coordonnées",
     r"^si le systeme realise une association entre l'identite du professionnel et ses coordonnees"),
    ("connexion_structure_tierce", "Le système permet l'ouverture d'une connexion par une structure tierce",
     r"^si le systeme permet l'ouverture d'une connexion par une structure tierce"),
    ("appel_insi", "Le système appelle le téléservice INSi", r"^si le systeme appelle le teleservice insi"),
)
# Clauses that restate a profile: the requirements saying them belong to that profile, and choosing the
# profile declares them (« Environnement hospitalier », « IE Usagers »).
PROFILE_CLAUSES = (r"^si le systeme est destine a etre installe en environnement hospitalier",
                   r"^si le systeme permet la connexion d'un (patient|usager)")
_PROFILE_RES = tuple(re.compile(pattern) for pattern in PROFILE_CLAUSES)
_SYSTEM_RES = tuple((cid, label, re.compile(pattern)) for cid, label, pattern in SYSTEM_CONDITIONS)
# A "si" clause opening the requirement text, or one of its lines ("Afin de … :\nSI le système …").
# The clause runs to its "alors" or its comma, parentheses included ("(clé FIDO, TOTP, etc.), alors").
_LEADING_SI = re.compile(r"(?:^|(?<=: )|(?<=\n))\s*(si\b(?:\([^)]*\)|(?!\balors\b)[^,(])*)", re.IGNORECASE)
_AND_IF = re.compile(r" et (?=si\b)")

# The PSC modalities, as the requirement lists them (« au moins par l'une des 4 modalités suivantes »).
MODALITY = "psc_modalite"
MODALITY_LABEL = "Modalité(s) d'implémentation de Pro Santé Connect"
MODALITIES: tuple[tuple[str, str], ...] = (  # (value, pattern on folded text naming it)
    ("web", r"mode web"),
    ("navigateur_externe", r"navigateur externe"),
    ("ciba", r"\bciba\b"),
    ("navigateur_interne", r"navigateur interne"),
)
_MODALITY_REQUIREMENT = re.compile(r"au moins par l'une des \d+ modalites suivantes")
_MODALITY_BRACKET = re.compile(r"\[si modalite de type ?: ?([^\]]*)\]")
_SCENARIO_TITLE_END = re.compile(r"verifie|\*|prerequis")


def read_conditions(proof_text: str, scenario_text: str, requirement_text: str) -> list[dict[str, Any]]:
    """The conditions under which a proof applies (none: it applies to every editor of its profile)."""
    out: list[dict[str, Any]] = []
    requirement = Folded(requirement_text)
    for match in _LEADING_SI.finditer(requirement.text):
        found = False
        start = match.start(1)
        for part in _AND_IF.split(match.group(1)):  # "si A et si B": A, then B
            for cid, label, pattern in _SYSTEM_RES:
                if pattern.match(part) and cid not in {c["id"] for c in out}:
                    out.append({"id": cid, "label": label, "when": ["oui"], "values": list(YES_NO),
                                "from": "requirement", "quote": requirement.quote(start, start + len(part.rstrip()))})
                    found = True
                    break
            found = found or any(r.match(part) for r in _PROFILE_RES)
            start += len(part) + len(" et ")
        if found:
            break  # the requirement's situation: its first "si" clause that states one
    if _MODALITY_REQUIREMENT.search(requirement.text):
        modality = _modality(Folded(proof_text), "proof") or _modality(Folded(scenario_text), "scenario")
        if modality:
            out.append(modality)
    return out


def _modality(folded: Folded, where: str) -> dict[str, Any] | None:
    """The modalities a proof's « [Si modalité de type : …] », or its scenario's title, names."""
    if where == "proof":
        match = _MODALITY_BRACKET.search(folded.text)
        span = (match.start(), match.end()) if match else None
        named = match.group(1) if match else ""
    else:
        end = _SCENARIO_TITLE_END.search(folded.text)
        span = (0, end.start() if end else min(len(folded.text), 120))
        named = folded.text[span[0]:span[1]]
    values = [value for value, pattern in MODALITIES if re.search(pattern, named)]
    if not span or not values:
        return None
    return {"id": MODALITY, "label": MODALITY_LABEL, "when": values, "values": [v for v, _ in MODALITIES],
            "from": where, "quote": folded.quote(*span)}
