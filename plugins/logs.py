"""Built-in plugin `logs` (skeleton: declares its scope; the checks arrive with its issue)."""

from validator_core import Inspection, Proof, hookimpl

__version__ = "0.1.0"


@hookimpl
def preuves_register_checks(register):
    register(proof_types=("logs",), media_types=None)


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    return Inspection()
