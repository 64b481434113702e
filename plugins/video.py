"""Built-in plugin `video` (skeleton: declares its scope; the checks arrive with its issue)."""

from validator_core import Inspection, Proof, hookimpl

__version__ = "0.1.0"


@hookimpl
def preuves_register_checks(register):
    register(proof_types=("video", "screenshot"), media_types=("video/*",))


@hookimpl
def preuves_inspect(proof: Proof) -> Inspection:
    return Inspection()
