"""The hooks a segur-preuves plugin can implement.

Plugin authors import one thing::

    from validator_core import hookimpl

and implement any of the functions below (same name, any subset of the parameters). Built-in plugins
(``plugins/``, and ``api.commands`` for ``preuves serve``) are ordinary plugins written against these
same hooks. Every hook is documented with an example in ``docs/plugins.md``; a test fails when one is not.

The registry calls every hook through pluggy: ``tryfirst`` / ``trylast`` order the implementations
(otherwise the plugin loaded last answers first) and ``@hookimpl(wrapper=True)`` wraps them. Hooks
whose calls the core attributes to a plugin (the ``register`` callbacks, ``preuves_classify_proof``,
``preuves_inspect``, ``preuves_check_requirement``, ``preuves_register_commands``) are called plugin
by plugin, in that order: a wrapper of one of them wraps each plugin's implementation in turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import pluggy

if TYPE_CHECKING:
    import click

    from validator_core.models import FileFacts, Finding, Inspection
    from validator_core.proof import Proof
    from validator_core.registry import RegisterCheck, RegisterMessage
    from validator_core.catalogue import ProofClassification, ProofSpec, RegisterRequirement
    from validator_core.rules import Rules

PROJECT_NAME = "preuves"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def preuves_register_checks(register: "RegisterCheck") -> None:
    """Declare which proofs this plugin inspects.

    Call ``register(proof_types=[...], media_types=[...], version="1.0", preload=[...])`` once. The engine then calls
    this plugin's :func:`preuves_inspect` only for proofs of one of ``proof_types`` whose detected
    media type matches one of ``media_types`` (``fnmatch`` patterns such as ``"video/*"``; ``None``
    for any content). The core owns the names: the plugin's name is the name it was registered under
    (the module name for built-ins, the entry-point name for third-party plugins), and its finding
    codes must start with that name and a dot. ``preload`` names the modules the inspection imports
    (``("pikepdf",)``): import them inside ``preuves_inspect`` and the engine's fork server imports them
    once, so that a new worker does not pay for them on its first file.

    :param register: the callback; calling it twice from one plugin is an error.
    """


@hookspec
def preuves_register_messages(register: "RegisterMessage") -> None:
    """Give the French and English message of every finding code this plugin emits.

    Call ``register("video.too_short", fr="Vidéo trop courte ({duration_s} s)", en="…")`` per code.
    Templates are ``str.format`` strings filled from the finding's ``details``. A detail that is a
    key the check chose (``reason="no_video_stream"``) is said through ``words={"no_video_stream":
    ("aucun flux vidéo", "no video stream")}`` and read as ``{reason:word}``. A code registered
    twice, or without both languages (its words too), fails at start.

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


@hookspec
def preuves_register_requirements(register: "RegisterRequirement") -> None:
    """Provide REM requirements: their scenarios and the proofs each scenario asks for.

    Call ``register(rem="BIO", requirement="DOC/va1.01", text="…", section="DOC", profile="Général",
    scenarios=[{"id": "DOC/va1.01.01", "text": "…", "proofs": [{"id": "DOC/va1.01.01.01",
    "text": "La prescription au format PDF/A-1"}]}])`` per requirement, and
    ``register.unparsed(rem=, requirement=, scenario=, fragment=)`` for source text that could not be
    read as a proof (it is counted and listed, never dropped silently); ``register.edition("…")`` names
    the edition of the source (« REM vague 2, pré-publication de mars 2023 »). A proof id already provided
    for the same REM (by this plugin or an earlier one) is ignored and counted as a duplicate. The
    built-in catalogue (``plugins.rem_catalogue``) is an ordinary implementation of this hook. Called
    once, in the service process, the first time the catalogue is needed.

    :param register: the callback.
    """


@hookspec(firstresult=True)
def preuves_classify_proof(proof: "ProofSpec") -> "ProofClassification | None":
    """Say which proof types a catalogue proof admits, and what else its text expects.

    Only the first non-``None`` result counts. The built-in catalogue's rules answer last
    (``trylast``): "vidéo ou copies d'écran" → ``video`` + ``screenshot``, "Lien …" → ``report_link``,
    DUMP / logs / SMTP / ZIP / CSV → ``logs``, "au format PDF/A-1" → ``pdf_report`` with
    ``expectations={"pdfa": "1"}`` … (see ``docs/requirements.md``). A proof nobody classifies admits
    every type and is listed by ``preuves requirements --unclassified``.

    :param proof: the proof: ``id``, ``rem``, ``text``, ``requirement_text``, ``scenario_text``.
    :return: ``ProofClassification(admits=("pdf_report",), expectations={...})`` or ``None``.
    """


@hookspec
def preuves_check_requirement(
    requirement: "ProofSpec",
    proof_type: str,
    file: "FileFacts",
    facts: dict,
    findings: "list[Finding]",
    rules: "Rules",
) -> "list[Finding] | None":
    """Check a validated file against what its requirement expects (PDF/A-1, full screen, file name …).

    Called after every plugin has inspected the file, when the caller named the requirement
    (``validate(..., requirement="DOC/va1.01.01.01", rem="BIO")``). Runs in the service process and
    sees only the report's data (``file``, ``facts``, ``findings``): it must not open the file. Returned
    findings are added to the report; a returned finding whose code is already in the report replaces
    it (that is how a plugin's warning becomes an error when the requirement demands it). Codes follow
    the usual rule (the plugin's name and a dot) or belong to the ``requirement.*`` family every
    catalogue plugin shares (register their messages with :func:`preuves_register_messages`).

    :param requirement: the catalogue proof (``requirement.expectations``, ``requirement.admits``).
    :param proof_type: the proof type the file was validated as.
    :param file: the file's facts (name, size, detected media type).
    :param facts: the plugins' facts, by plugin name (read-only).
    :param findings: the findings so far (read-only).
    :param rules: the rules in force (``rules.thresholds("myplugin")``).
    :return: findings to add (or replace), or ``None``.
    """


@hookspec
def preuves_register_commands(cli: "click.Group") -> None:
    """Add commands to the ``preuves`` command line (``preuves mycommand …``).

    Called once each time ``preuves`` starts, before the command line is read (``preuves --help`` lists
    the commands added). Add commands with ``@cli.command()`` or ``cli.add_command(...)``; a plugin
    that replaces a command the core or another plugin added fails at start. Every ``preuves`` run
    loads every plugin: import what the command needs inside the command, not at module level. The
    HTTP service's ``preuves serve`` (``api.commands``) and the catalogue's ``preuves requirements``
    are added this way.

    :param cli: the ``preuves`` :class:`click.Group`.
    """


# Hook names, for the documentation test and the tracing switch.
HOOK_NAMES: tuple[str, ...] = tuple(
    name for name, value in list(globals().items()) if name.startswith("preuves_") and callable(value)
)

__all__ = ["hookimpl", "hookspec", "PROJECT_NAME", "HOOK_NAMES", "Callable"]
