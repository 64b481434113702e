"""The core's fallback answer to "which proof type is this file?" (a ``trylast`` hook implementation).

Plugins may answer first through ``preuves_infer_proof_type`` (the report-link plugin recognises
Gazelle XML reports and link files, say); when none does, the rules decide: the first proof type whose
``infer_media_types`` match the detected media type, else ``[inference] default_proof_type``. The core
names no proof type itself.
"""

from __future__ import annotations

from validator_core.hookspecs import hookimpl
from validator_core.proof import Proof


@hookimpl(trylast=True)
def preuves_infer_proof_type(proof: Proof) -> str:
    rules = proof.rules
    return rules.proof_type_for_media_type(proof.media_type) or rules.default_proof_type
