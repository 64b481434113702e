"""What every ``preuves`` command shares: exit codes, usage errors, the run's plugin registry and engine,
and the language and shape of what a command prints.

Plugins that add commands (``preuves_register_commands``) use these too: ``fail`` for a usage error
(exit 2, message on stderr), ``command_engine`` for an engine built from the ``PREUVES_*`` settings
that reuses the registry this run loaded at start, ``engine_unavailable`` when the engine cannot
examine the files (exit 2, no verdict); ``requirements_scope``, ``rem_profiles`` and
``requirements_checklist`` for a catalogue's command (the use cases of :mod:`validator_core.service`).

One language per output: a command built on :class:`PreuvesCommand` prints its help, click's own usage
errors and ``fail``'s messages in the language of its ``--lang`` (else ``PREUVES_LANG``, else French),
and, when its output is JSON (``--json``, ``--format json``), its usage errors as one JSON object on
stderr, ``{"code": …, "message": …}`` (stdout stays empty).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Sequence

import click

from validator_core.errors import EngineUnavailable

if TYPE_CHECKING:
    from validator_core.registry import PluginRegistry

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2

LANG_ENV = "PREUVES_LANG"  # the language of help and messages when a command is given no --lang
OUTPUT_KEY = "preuves.output"  # in the root context's meta: {"lang": …, "json": …} of this run's output

# Usage-error codes of the command line (the engine's errors keep their own: request.unknown_proof_type…).
USAGE, BAD_PATH, BAD_SETTINGS = "cli.usage", "cli.bad_path", "cli.bad_settings"


def fail(message: str, *, en: str | None = None, code: str = USAGE) -> None:
    """A usage error: exit 2 with the message on stderr (``en``: the English one, for ``--lang en``);
    one JSON object ``{"code", "message"}`` instead when the command prints JSON."""
    output = _output()
    text = en if en is not None and output["lang"] == "en" else message
    if output["json"]:
        click.echo(json.dumps({"code": code, "message": text}, ensure_ascii=False), err=True)
    else:
        click.echo(f"preuves: {text}", err=True)
    sys.exit(EXIT_USAGE)


def fail_error(exc: Exception) -> None:
    """:func:`fail` for a :class:`~validator_core.errors.PreuvesError`: its code, its message in the run's language."""
    fail(exc.message, en=exc.message_en, code=exc.code)


def engine_unavailable(exc: EngineUnavailable, lang: str) -> None:
    """The engine could not examine the files: exit 2, no verdict; said in ``lang`` unless the command
    already said how it prints (:func:`set_output`)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and OUTPUT_KEY not in ctx.find_root().meta:
        set_output(lang, False)
    fail(f"{exc.message} ({exc.reason})", en=f"{exc.message_en} ({exc.reason})", code=exc.code)


def set_output(lang: str, as_json: bool) -> None:
    """Say how this run prints (called by a command once its options are read)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta[OUTPUT_KEY] = {"lang": lang, "json": as_json}


def _output() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    found = ctx.find_root().meta.get(OUTPUT_KEY) if ctx is not None else None
    return found or {"lang": env_lang(), "json": False}


def env_lang() -> str:
    """``PREUVES_LANG`` when it names a language the messages have (``fr``, ``en``), else French."""
    value = os.environ.get(LANG_ENV, "").strip().lower()
    return value if value in ("fr", "en") else "fr"


# -- commands that speak one language -----------------------------------------------------------------
_CHROME = {  # click's own words, which it only has in English
    "fr": {"usage": "Utilisation : ", "help": "Affiche cette aide et quitte.", "commands": "Commandes",
           "see": "Aide : {command} --help", "no_option": "option inconnue : {name}",
           "close": " (proches : {names})", "missing": "{what} manquant : {name}", "argument": "argument",
           "option": "option", "needs_value": "l'option {name} attend une valeur",
           "bad_value": "valeur invalide pour {name} : {value} (choix : {choices})",
           "bad_path": "{name} : chemin introuvable ou inutilisable : {value}"},
    "en": {"usage": "Usage: ", "help": "Show this message and exit.", "commands": "Commands",
           "see": "Help: {command} --help", "no_option": "no such option: {name}",
           "close": " (close: {names})", "missing": "missing {what}: {name}", "argument": "argument",
           "option": "option", "needs_value": "option {name} requires a value",
           "bad_value": "invalid value for {name}: {value} (choose from: {choices})",
           "bad_path": "{name}: path not found or unusable: {value}"},
}


class LocalOption(click.Option):
    """An option whose help has an English version (``help_en``), shown when the help is in English."""

    def __init__(self, *args: Any, help_en: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help_fr, self.help_en = self.help, help_en

    def get_help_record(self, ctx: click.Context):
        self.help = self.help_en if self.help_en and help_lang(ctx) == "en" else self.help_fr
        return super().get_help_record(ctx)


def help_words(ctx: click.Context) -> dict[str, str]:
    """Click's own words (« Utilisation : », « Commandes »…) in the language of this run's help."""
    return _CHROME[help_lang(ctx)]


def help_lang(ctx: click.Context) -> str:
    """The language of this run's help and usage errors: ``--lang`` if the command line has it, else
    ``PREUVES_LANG``, else French (help is shown before the options are read: the raw arguments decide)."""
    return ctx.find_root().meta.get("preuves.help_lang") or env_lang()


def _lang_in(args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        value = arg.split("=", 1)[1] if arg.startswith("--lang=") else (
            args[i + 1] if arg == "--lang" and i + 1 < len(args) else None)
        if value in ("fr", "en"):
            return value
    return None


def _wants_json(args: Sequence[str]) -> bool:
    return "--json" in args or "--format=json" in args or any(
        a == "--format" and b == "json" for a, b in zip(args, args[1:]))


class LocalHelp:
    """Help pages in one language (mixed into the ``preuves`` group and :class:`PreuvesCommand`)."""

    help_en: str | None = None

    def get_help_option(self, ctx: click.Context):
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = help_words(ctx)["help"]
        return option

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=help_words(ctx)["usage"])

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help_en and help_lang(ctx) == "en":
            french, self.help = self.help, self.help_en  # type: ignore[has-type]
            try:
                super().format_help_text(ctx, formatter)  # type: ignore[misc]
            finally:
                self.help = french
        else:
            super().format_help_text(ctx, formatter)  # type: ignore[misc]

    def get_short_help_str(self, limit: int = 45) -> str:
        ctx = click.get_current_context(silent=True)
        if self.help_en and ctx is not None and help_lang(ctx) == "en":
            return click.utils.make_default_short_help(self.help_en, limit)
        return super().get_short_help_str(limit)  # type: ignore[misc]


class PreuvesCommand(LocalHelp, click.Command):
    """A command that speaks one language: help (``help_en``, :class:`LocalOption`) and usage errors in
    the run's language; usage errors as JSON when the command line asks for JSON output."""

    def __init__(self, *args: Any, help_en: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help_en = help_en

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        raw = list(args)  # click's parser consumes the list it is given
        lang = _lang_in(raw)
        if lang:
            ctx.find_root().meta["preuves.help_lang"] = lang
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            ctx.find_root().meta[OUTPUT_KEY] = {"lang": help_lang(ctx), "json": _wants_json(raw)}
            fail(usage_message(exc, "fr", ctx, raw), en=usage_message(exc, "en", ctx, raw), code=USAGE)
            raise  # pragma: no cover - fail() exits


def usage_message(exc: click.UsageError, lang: str, ctx: click.Context, args: Sequence[str] = ()) -> str:
    """Click's usage error said in ``lang``, with where to find help (click words it in English only)."""
    words = _CHROME[lang]
    if isinstance(exc, click.NoSuchOption):
        text = words["no_option"].format(name=exc.option_name)
        if exc.possibilities:
            text += words["close"].format(names=", ".join(sorted(exc.possibilities)))
    elif isinstance(exc, click.MissingParameter) and exc.param is not None:
        kind = "argument" if isinstance(exc.param, click.Argument) else "option"
        name = exc.param.human_readable_name if kind == "argument" else exc.param.opts[0]
        text = words["missing"].format(what=words[kind], name=name)
    elif isinstance(exc, click.BadParameter) and isinstance(getattr(exc.param, "type", None), click.Choice):
        param = exc.param
        text = words["bad_value"].format(name=param.opts[0] if param.opts else param.human_readable_name,
                                         value=_given_value(args, param),
                                         choices=", ".join(map(str, param.type.choices)))
    elif isinstance(exc, click.BadParameter) and isinstance(getattr(exc.param, "type", None), click.Path):
        quoted = re.search(r"'(.*)'", exc.message)  # click names the path it refused, quoted
        text = words["bad_path"].format(name=exc.param.human_readable_name, value=quoted.group(1) if quoted else "?")
    elif isinstance(exc, click.BadOptionUsage) and "requires an argument" in exc.message:
        text = words["needs_value"].format(name=exc.option_name)
    else:  # the rarer cases (a bad integer, a path click refused): click's own words
        text = exc.format_message()
    return f"{text}\n{words['see'].format(command=ctx.command_path)}"


def _given_value(args: Sequence[str], param: click.Parameter) -> str:
    """The value the command line gave ``param`` (click's exception does not carry it)."""
    for opt in param.opts:
        for i, arg in enumerate(args):
            if arg == opt and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(opt + "="):
                return arg.split("=", 1)[1]
    return "?"


def command_engine(rules: str | None, *, files: int | None = None):
    """Build the engine, turning start-up errors (rules, plugins) into exit 2 with the reason.

    ``files``: how many files this command checks (a one-shot run starts no more workers than that,
    and forks them from this process unless ``PREUVES_WORKER_START`` says otherwise).
    """
    from dataclasses import replace

    from validator_core.engine import Engine
    from validator_core.registry import PluginError
    from validator_core.rules import RulesError
    from validator_core.settings import CoreSettings

    overrides: dict[str, object] = {"rules": rules} if rules else {}
    if files is not None and "PREUVES_WORKER_START" not in os.environ:
        overrides["worker_start"] = "fork"
    try:
        settings = CoreSettings(**overrides)
        if files is not None:
            settings = replace(settings, workers=min(settings.worker_count(), max(1, files)))
        return Engine(settings, registry=plugin_registry())
    except (RulesError, PluginError) as exc:
        fail(str(exc), code=BAD_SETTINGS)
    except ValueError as exc:  # a bad PREUVES_* value (the message names the variable)
        fail(f"réglage invalide : {exc}", en=f"invalid setting: {exc}", code=BAD_SETTINGS)


REGISTRY_KEY = "preuves.registry"  # in the click context's meta: the registry this run started with


def plugin_registry() -> "PluginRegistry":
    """The plugin registry this run of ``preuves`` loaded at start (commands and the engine share it)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:  # a command called on its own (a test's CliRunner, an embedding application)
        return load_registry()
    root = ctx.find_root()
    if REGISTRY_KEY not in root.meta:
        root.meta[REGISTRY_KEY] = load_registry()
    return root.meta[REGISTRY_KEY]


def load_registry() -> "PluginRegistry":
    from validator_core.registry import PluginError, PluginRegistry
    from validator_core.settings import CoreSettings

    try:
        return PluginRegistry.load(CoreSettings().plugin_config())
    except PluginError as exc:
        fail(str(exc), code=BAD_SETTINGS)
    except ValueError as exc:  # a bad PREUVES_* value (the message names the variable)
        fail(f"réglage invalide : {exc}", en=f"invalid setting: {exc}", code=BAD_SETTINGS)


# -- the catalogue use cases a plugin's command shows (validator_core.service, imported when called:
# loading the commands stays cheap) --------------------------------------------------------------------
def requirements_scope(engine, rem: str, profiles) -> tuple[str, list[str]]:
    """``rem`` and ``profiles`` as the catalogue spells them; an unknown one raises (with the valid ones)."""
    from validator_core.service import resolve_profiles, resolve_rem

    rem = resolve_rem(engine, rem)
    return rem, resolve_profiles(engine, rem, profiles)


def rem_profiles(engine, rem: str) -> dict:
    """:func:`validator_core.service.rem_profiles`: a REM's profiles and the conditions of its proofs."""
    from validator_core.service import rem_profiles as profiles_of

    return profiles_of(engine, rem)


def requirements_checklist(engine, rem: str, profiles, fmt: str, lang: str = "fr") -> str:
    """:func:`validator_core.service.requirements_checklist`: the checklist to fill, CSV or Markdown."""
    from validator_core.service import requirements_checklist as checklist

    return checklist(engine, rem, profiles, fmt, lang)
