"""A plugin that takes its time on logs containing ``SLOW``: a job is caught mid-way (killed, cancelled)."""

import time

from validator_core import Inspection, hookimpl

DELAY_S = 1.5


@hookimpl
def preuves_register_checks(register):
    register(proof_types=["logs"], media_types=["text/*"], version="0.0.1")


@hookimpl
def preuves_inspect(proof):
    if b"SLOW" in proof.head:
        time.sleep(DELAY_S)
    # When it looked: a resumed job's files checked before the restart keep their first report.
    return Inspection(facts={"slow_looked": True, "looked_at": time.time()})
