"""A plugin whose ``preuves_inspect`` returns a plain dict: the engine validates it like an Inspection."""

from validator_core import hookimpl


@hookimpl
def preuves_register_checks(register):
    register(proof_types=["logs"], media_types=["text/*"], version="0.0.1")


@hookimpl
def preuves_register_messages(register):
    register("dict_result.seen", fr="Vu : {what}", en="Seen: {what}")


@hookimpl
def preuves_inspect(proof):
    code = "Not A Code" if b"BAD" in proof.head else "dict_result.seen"
    return {"findings": [{"code": code, "severity": "warning", "details": {"what": "dict"}}],
            "facts": {"lines": proof.head.count(b"\n")}}
