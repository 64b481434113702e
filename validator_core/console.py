"""The ``preuves`` console script: a one-shot process's start-up, then the command (:func:`validator_core.cli.run`).

Start-up makes some hundred thousand objects (modules, classes, the rules, the plugins) that all live
until the process ends; the cyclic garbage collector would walk them again and again while they are
made (~7 ms of a cold ``preuves check``, for nothing to free). So the collector is off from the first
import until the command's own work begins: :func:`start_up_done`, called by ``preuves check`` once
its workers are forked (the pool freezes what start-up made, and a forked worker turns its collector
back on), and for every other command before it runs (``preuves serve`` lives for days). Tests and
embedding applications that call :func:`validator_core.cli.main` never pass here.
"""

from __future__ import annotations

import gc

_PAUSED = False


def run() -> None:
    global _PAUSED
    if gc.isenabled():
        gc.disable()
        _PAUSED = True
    from validator_core.cli import run as command

    command()


def start_up_done() -> None:
    """The command's work begins: the collector runs again (if :func:`run` turned it off)."""
    global _PAUSED
    if _PAUSED:
        _PAUSED = False
        gc.enable()
