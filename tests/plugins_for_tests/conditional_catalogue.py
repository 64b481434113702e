"""A small catalogue plugin, REM "CND", whose proofs have conditions: a dossier of three files can be
complete, so that « prêt pour le dépôt » is reachable in a test.

- ``LOG/va1.01.01.01`` applies to everyone;
- ``LOG/va1.02.01.01`` only when the system has Wifi access points (``wifi`` = ``oui``);
- ``LOG/va1.03.01.01`` / ``.02`` one per modality (``psc_modalite`` = ``web`` / ``ciba``).
"""

from validator_core import hookimpl

WIFI = {"id": "wifi", "label": "Le système intègre des points d'accès Wifi", "when": ["oui"], "values": ["oui", "non"],
        "from": "requirement", "quote": "Si le système intègre des points d'accès Wifi"}
MODALITIES = ["web", "ciba"]


def _modality(value: str) -> dict:
    return {"id": "psc_modalite", "label": "Modalité PSC", "when": [value], "values": MODALITIES, "from": "scenario",
            "quote": f"Scénario - {value}"}


def _proof(proof_id: str, conditions=()) -> dict:
    return {"id": proof_id, "text": "Logs de connexion", "admits": ["logs"], "conditions": list(conditions)}


@hookimpl
def preuves_register_requirements(register):
    register(rem="CND", requirement="LOG/va1.01", text="Le système DOIT journaliser les connexions.",
             scenarios=[{"id": "LOG/va1.01.01", "text": "Se connecter.", "proofs": [_proof("LOG/va1.01.01.01")]}])
    register(rem="CND", requirement="LOG/va1.02", text="Si le système intègre des points d'accès Wifi, il DOIT …",
             scenarios=[{"id": "LOG/va1.02.01", "text": "Se connecter en Wifi.",
                         "proofs": [_proof("LOG/va1.02.01.01", [WIFI])]}])
    register(rem="CND", requirement="LOG/va1.03", text="Le système DOIT implémenter PSC par l'une des modalités.",
             scenarios=[{"id": "LOG/va1.03.01", "text": "Scénario - web",
                         "proofs": [_proof("LOG/va1.03.01.01", [_modality("web")])]},
                        {"id": "LOG/va1.03.02", "text": "Scénario - ciba",
                         "proofs": [_proof("LOG/va1.03.02.01", [_modality("ciba")])]}])
