"""The hooks a segur-preuves plugin can implement.

Plugin authors import one thing::

    from validator_core import hookimpl

and implement any of the functions below (same name, any subset of the parameters). Built-in plugins
(``plugins/``) are ordinary plugins written against these same hooks. Every hook is documented with
an example in ``docs/plugins.md``; a test fails when one is not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

if TYPE_CHECKING:
    from validator_core.models import Inspection
    from validator_core.proof import Proof
    from validator_core.registry import RegisterCheck, RegisterMessage

PROJECT_NAME = "preuves"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def preuves_register_checks(register: "RegisterCheck") -> None:
    """Declare which proofs this plugin inspects.

    Call ``register(proof_types=[...], media_types=[...], version="1.0")`` once. The engine then calls
    this plugin's :func:`preuves_inspect` only for proofs of one of ``proof_types`` whose detected
    media type matches one of ``media_types`` (``fnmatch`` patterns such as ``"video/*"``; ``None``
    for any content). The core owns the names: the plugin's name is the name it was registered under
    (the module name for built-ins, the entry-point name for third-party plugins), and its finding
    codes must start with that name and a dot.

    :param register: the callback; calling it twice from one plugin is an error.
    """


@hookspec
def preuves_register_messages(register: "RegisterMessage") -> None:
    """Give the French and English message of every finding code this plugin emits.

    Call ``register("video.too_short", fr="Vidéo trop courte ({duration_s} s)", en="…")`` per code.
    Templates are ``str.format`` strings filled from the finding's ``details``. A code registered
    twice, or without both languages, fails at start.

    :param register: the callback.
    """


@hookspec
def preuves_inspect(proof: "Proof") -> "Inspection | None":
    """Inspect one proof and return its findings and facts.

    Runs in a worker process, under the engine's wall-clock timeout and memory cap: a plugin that
    hangs, crashes or raises yields ``check.timeout`` / ``check.crashed`` for that file only. Called
    once per proof for each plugin whose :func:`preuves_register_checks` declaration matches.

    :param proof: the file (a local path the engine created), its size, detected media type and
        format, the proof type, and the rules (``proof.thresholds("myplugin")``).
    :return: an :class:`~validator_core.Inspection`; ``facts`` appear in the report under the
        plugin's name. ``None`` means "nothing to say".
    """


@hookspec(firstresult=True)
def preuves_infer_proof_type(proof: "Proof") -> str | None:
    """Say which proof type a file is, when the caller gave none.

    Only the first non-``None`` result counts. The core's fallback (``trylast``) maps PDF to
    ``pdf_report``, video to ``video``, images to ``screenshot``, short text holding URLs to
    ``report_link`` and anything else to ``logs``. Runs in a worker process; ``proof.proof_type`` is
    ``None`` and only ``proof.head`` (the first bytes) should be looked at — keep it cheap.

    :param proof: the file, with its detected media type and its first bytes.
    :return: a proof type id from the rules, or ``None`` to let the next plugin decide.
    """


# Hook names, for the documentation test and the tracing switch.
HOOK_NAMES: tuple[str, ...] = tuple(
    name for name, value in list(globals().items()) if name.startswith("preuves_") and callable(value)
)

__all__ = ["hookimpl", "hookspec", "PROJECT_NAME", "HOOK_NAMES", "Callable"]
