"""A plugin that kills its own process (like a segfaulting C parser) or raises."""

import os

from validator_core import Inspection, hookimpl


@hookimpl
def preuves_register_checks(register):
    register(proof_types=["logs"], media_types=["text/*"], version="0.0.1")


@hookimpl
def preuves_inspect(proof):
    if b"ABORT" in proof.head:
        os.abort()
    if b"RAISE" in proof.head:
        raise ValueError("secret file content must not reach the report")
    if b"HOG" in proof.head:
        hog = bytearray(8 * 1024 * 1024 * 1024)  # over the worker's address-space cap
        return Inspection(facts={"size": len(hog)})
    return Inspection(facts={"looked": True})
