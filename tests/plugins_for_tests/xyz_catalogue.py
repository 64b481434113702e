"""A second catalogue plugin, for a fictitious DSR "XYZ", written only against the hooks.

It provides two proofs, classifies one itself (the other is left to the built-in rules, which answer
last) and checks an expectation of its own with a code of the shared ``requirement.*`` family.
"""

from validator_core import finding, hookimpl
from validator_core.catalogue import ProofClassification


@hookimpl
def preuves_register_requirements(register):
    register(rem="XYZ", requirement="SIG/va1.01", section="SIG", text="Le système DOIT signer le compte rendu.",
             scenarios=[{"id": "SIG/va1.01.01", "text": "Signer un compte rendu.", "proofs": [
                 {"id": "SIG/va1.01.01.01", "text": "Le compte rendu signé au format PDF/A-1"},
                 {"id": "SIG/va1.01.01.02", "text": "Le certificat de signature utilisé"},
             ]}])


@hookimpl
def preuves_classify_proof(proof):
    if proof.rem == "XYZ" and "certificat de signature" in proof.text:
        return ProofClassification(admits=("logs",), expectations={"signature_certificate": True})
    return None


@hookimpl
def preuves_register_messages(register):
    register("requirement.certificate_unchecked",
             fr="La preuve {requirement} attend le certificat de signature : il n'est pas vérifié ici.",
             en="Proof {requirement} expects the signing certificate: it is not checked here.")


@hookimpl
def preuves_check_requirement(requirement):
    if requirement.expectations.get("signature_certificate"):
        return [finding("requirement.certificate_unchecked", "info", requirement=requirement.id)]
    return None
