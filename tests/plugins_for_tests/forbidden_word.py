"""A plugin written from docs/plugins.md alone: warns when a log holds a forbidden word.

It uses the toolkit as a third-party plugin would (text decoding, secrets masking) and is tested with
``validator_core.testing`` (tests/test_testing.py).
"""

from validator_core import Inspection, finding, hookimpl

WORD = "INTERDIT"


@hookimpl
def preuves_register_checks(register):
    register(proof_types=["logs"], media_types=["text/*"], version="1.0.0")


@hookimpl
def preuves_register_messages(register):
    register("forbidden_word.found", fr="Mot interdit trouvé ligne {line} : {context}",
             en="Forbidden word found on line {line}: {context}")


@hookimpl
def preuves_inspect(proof):
    from validator_core.toolkit.text import decode_text, mask_secrets

    text = decode_text(proof.read(proof.max_bytes)).text
    for number, line in enumerate(text.splitlines(), start=1):
        if WORD in line:
            # The line is file content: masked before it enters the report.
            found = finding("forbidden_word.found", "warning", line=number, context=mask_secrets(line, 80))
            return Inspection(findings=[found], facts={"line": number})
    return Inspection(facts={"line": None})
