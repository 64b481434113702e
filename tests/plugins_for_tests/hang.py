"""A plugin that never returns: the engine must answer check.timeout within its timeout."""

import time

from validator_core import Inspection, hookimpl


@hookimpl
def preuves_register_checks(register):
    register(proof_types=["logs"], media_types=["text/*"], version="0.0.1")


@hookimpl
def preuves_inspect(proof):
    if b"HANG" in proof.head:
        while True:
            time.sleep(1)
    return Inspection(facts={"looked": True})
