"""The ``preuves`` command: ``check``, ``types``, and the commands plugins add (``serve``, ``requirements`` …).

Plugins add commands through ``preuves_register_commands(cli)``: the plugin registry is loaded once
when the command starts, before the command line is read, and the command's engine reuses it.

``check`` takes files and folders (a folder stands for the files under it: :mod:`validator_core.cli_paths`)
and prints its reports as a table (plain text when stdout is not a terminal), JSON, CSV, JUnit XML or
SARIF (:mod:`validator_core.report_formats`). Exit status of ``check``: 0 when no file is rejected, 1
when at least one is, 2 for usage or I/O errors (a missing or unreadable path, an empty folder: all are
reported before anything is checked) and when the engine cannot examine the files
(:class:`~validator_core.EngineUnavailable`: no verdict is given).

A cold ``preuves check`` is a one-shot process: it imports only what the command needs (rich only for a
table on a terminal, the progress bar only on a terminal with several files, the proof types' rules only
to show ``--help``), starts as many workers as there are files (up to ``PREUVES_WORKERS``) by a plain
``fork`` of itself while it is still single-threaded (no second interpreter to start, no pebble:
:mod:`validator_core.isolation.forkpool`; ``PREUVES_WORKER_START=forkserver`` to choose), and stops them
before exiting. Run as the ``preuves`` script (:mod:`validator_core.console`, :func:`run`), it pauses
the garbage collector during start-up and ends without the interpreter's teardown (:func:`_exit`).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import click

from validator_core.cli_dossier import dossier
from validator_core.cli_support import (
    BAD_PATH, EXIT_OK, EXIT_REJECTED, LANG_ENV, REGISTRY_KEY, LocalHelp, LocalOption, PreuvesCommand,
    command_engine, engine_unavailable, fail, fail_error, help_lang, help_words, load_registry, set_output,
)
from validator_core.console import start_up_done
from validator_core.errors import EngineUnavailable, PreuvesError
from validator_core.messages import LANGS
from validator_core.report_formats import FORMATS  # stdlib only: every check prints through it anyway

if TYPE_CHECKING:
    from validator_core.cli_paths import Target
    from validator_core.engine import BatchProgress, Engine
    from validator_core.models import Report
    from validator_core.report_formats import Rendering

VERDICT_STYLES = {"accepted": "green", "accepted_with_warnings": "yellow", "rejected": "bold red"}
SEVERITY_STYLES = {"error": "red", "warning": "yellow", "info": "dim"}


class PluginCommands(LocalHelp, click.Group):
    """The ``preuves`` group: loads the plugins when it starts and lets them add their commands.

    Done in :meth:`make_context`, before the command line is parsed, so that ``--help`` lists the
    plugins' commands and a plugin's command can be run. Each start begins from the core's own
    commands (a process may run ``preuves`` several times: tests, embedding applications), whatever
    the plugins of an earlier start added or broke.
    """

    _core_commands: dict[str, click.Command] | None = None

    def __init__(self, *args: Any, help_en: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help_en = help_en

    def make_context(self, info_name, args, parent=None, **extra):
        from validator_core.registry import PluginError

        if self._core_commands is None:  # the first start: only the core's commands are here
            self._core_commands = dict(self.commands)
        self.commands = dict(self._core_commands)
        registry = load_registry()
        try:
            registry.register_commands(self)
        except PluginError as exc:
            fail(str(exc))
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta[REGISTRY_KEY] = registry
        return ctx

    def resolve_command(self, ctx, args):
        try:
            name, command, rest = super().resolve_command(ctx, args)
        except click.NoSuchCommand as exc:  # it may belong to a plugin left out
            config = ctx.meta[REGISTRY_KEY].config
            names = ", ".join(sorted(self.commands))
            fr, en = f"commande inconnue : {args[0]} (commandes : {names}).", f"no such command: {args[0]} (commands: {names})."
            if config.allow is not None or config.block:
                fr += " PREUVES_PLUGINS / PREUVES_DISABLE_PLUGINS écartent peut-être le plugin qui l'ajoute."
                en += " PREUVES_PLUGINS / PREUVES_DISABLE_PLUGINS may leave out the plugin that adds it."
            fail(fr, en=en)
            raise exc  # pragma: no cover - fail() exits
        if command is not check:  # check resumes the collector once its workers are forked
            start_up_done()
        return name, command, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, command.get_short_help_str(formatter.width - 6 - max(map(len, self.commands))))
                for name in self.list_commands(ctx)
                if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        if rows:
            with formatter.section(help_words(ctx)["commands"]):
                formatter.write_dl(rows)


@click.group(cls=PluginCommands, context_settings={"help_option_names": ["-h", "--help"]},
             help_en="Checks Ségur conformity proofs before they are filed (formats, sizes, content). "
                     "(PREUVES_LANG=fr: help in French.)")
@click.version_option(package_name="segur-preuves", prog_name="preuves", cls=LocalOption,
                      help="Affiche la version et quitte.", help_en="Show the version and exit.")
def main() -> None:
    """Vérifie les preuves de conformité Ségur avant leur dépôt (formats, tailles, contenu).
    Aide en anglais : PREUVES_LANG=en."""


class TypeOption(LocalOption):
    """``--type``: its help lists the proof types of the rules in force, read only when help is shown
    (a plain ``check`` reads the rules once, in its engine)."""

    def get_help_record(self, ctx: click.Context):
        record = super().get_help_record(ctx)
        if record is None:
            return None
        from validator_core.rules import RulesError, load_rules

        en = help_lang(ctx) == "en"
        try:
            rows = load_rules(os.environ.get("PREUVES_RULES") or None).to_dict()["proof_types"]
        except (RulesError, OSError):
            return record
        listed = ", ".join(f"{row['id']} ({row['label_en' if en else 'label_fr']})" for row in rows)
        return record[0], f"{record[1]} Choices: {listed}." if en else f"{record[1]} Choix : {listed}."


@main.command(cls=PreuvesCommand, help_en="Check one or more proof files. A folder stands for every file in it.")
@click.option("--type", "proof_type", cls=TypeOption, metavar="TYPE",
              help="Type de preuve (par défaut : déduit du contenu de chaque fichier).",
              help_en="Proof type (default: inferred from each file's content).")
@click.option("--format", "fmt", cls=LocalOption, type=click.Choice(FORMATS), default=None,
              help="Sortie : table (défaut ; texte simple hors terminal), json, csv, junit (XML JUnit) ou sarif "
                   "(SARIF 2.1.0) — junit et sarif pour la CI.",
              help_en="Output: table (default; plain text when not a terminal), json, csv, junit (JUnit XML) or "
                      "sarif (SARIF 2.1.0) — junit and sarif for CI.")
@click.option("--json", "as_json", cls=LocalOption, is_flag=True,
              help="Comme --format json : un tableau JSON de rapports, un par fichier, dans l'ordre.",
              help_en="Same as --format json: a JSON array of reports, one per file, in order.")
@click.option("--only-problems", cls=LocalOption, is_flag=True,
              help="N'affiche que les fichiers rejetés ou avec avertissements (le résumé et le code de sortie "
                   "comptent tous les fichiers).",
              help_en="Show only the files rejected or with warnings (the summary and exit status count every file).")
@click.option("--lang", cls=LocalOption, type=click.Choice(LANGS), default="fr", envvar=LANG_ENV,
              help="Langue de tout ce qu'affiche la commande (défaut : fr, ou PREUVES_LANG).",
              help_en="Language of everything the command prints (default: fr, or PREUVES_LANG).")
@click.option("--rules", cls=LocalOption, type=click.Path(dir_okay=False), envvar="PREUVES_RULES",
              help="Fichier de règles TOML.", help_en="TOML rules file.")
@click.option("--requirement", cls=LocalOption, metavar="PREUVE",
              help="La preuve du REM que ces fichiers fournissent (DOC/va1.01.01.01).",
              help_en="The REM proof these files provide (DOC/va1.01.01.01).")
@click.option("--rem", cls=LocalOption, metavar="REM", help="Le REM de la preuve (BIO, RIS, LGC, DPI, PFI, DB).",
              help_en="The proof's REM (BIO, RIS, LGC, DPI, PFI, DB).")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def check(proof_type: str | None, fmt: str | None, as_json: bool, only_problems: bool, lang: str, rules: str | None,
          requirement: str | None, rem: str | None, paths: tuple[str, ...]) -> None:
    """Vérifie un ou plusieurs fichiers de preuve. Un dossier vaut pour tous les fichiers qu'il contient."""
    if as_json and fmt not in (None, "json"):
        set_output(lang, False)
        fail(f"--json et --format {fmt} s'excluent (--json vaut --format json).",
             en=f"--json and --format {fmt} exclude each other (--json means --format json).")
    fmt = "json" if as_json else fmt or "table"
    set_output(lang, fmt == "json")
    from validator_core.cli_paths import PROBLEMS, expand

    targets, problems = expand(paths, lang)
    if problems:  # nothing is checked half-way: say every bad path, then stop
        message = "\n  ".join([PROBLEMS[lang]["header"], *problems])
        fail(message, en=message, code=BAD_PATH)
    from validator_core.engine import BatchItem

    engine = command_engine(rules, files=len(targets))
    try:
        if proof_type or rem or requirement:  # (the use cases module, and the dossier's, only when needed)
            from validator_core.service import check_fields

            # An unknown type, REM or proof id fails now (with close ids), before any worker starts.
            check_fields(engine, proof_types=[proof_type], rems=[rem], requirements=[requirement])
        # Workers start now, from the main thread, before any other thread exists (fork is safe).
        engine.start()
        start_up_done()
    except EngineUnavailable as exc:
        engine.close()
        engine_unavailable(exc, lang)
    except PreuvesError as exc:
        engine.close()
        fail_error(exc)
    try:
        # The batch use case of POST /v1/validations/batch: as many files at once as there are workers.
        with _progress(len(targets), lang) as advance:
            outcomes = engine.validate_many([BatchItem(t.path, proof_type, requirement) for t in targets], lang=lang,
                                            rem=rem, on_done=advance)
    except EngineUnavailable as exc:
        engine_unavailable(exc, lang)
    finally:
        engine.close()
    for target, outcome in zip(targets, outcomes):
        if isinstance(outcome, OSError):
            fail(f"{target.path} : lecture impossible ({outcome.strerror})",
                 en=f"{target.path}: cannot be read ({outcome.strerror})", code=BAD_PATH)
    reports = [outcome for outcome in outcomes if not isinstance(outcome, OSError)]
    _print_reports(reports, tuple(t.path for t in targets), lang, fmt=fmt, engine=engine, only_problems=only_problems)
    hint = _dossier_hint(engine, targets, rem, lang)
    if hint:
        click.echo(hint, err=True)
    sys.exit(EXIT_REJECTED if any(r.verdict == "rejected" for r in reports) else EXIT_OK)


def _rendering(engine: "Engine | None", lang: str) -> "Rendering":
    from validator_core.report_formats import Rendering

    if engine is None:
        return Rendering(lang)
    key = "label_en" if lang == "en" else "label_fr"
    labels = {row["id"]: row[key] for row in engine.proof_types()["proof_types"]}
    return Rendering(lang, labels, engine.message)


def _print_reports(reports: list["Report"], paths: tuple[str, ...], lang: str, *, fmt: str = "table",
                   engine: "Engine | None" = None, only_problems: bool = False) -> None:
    """Write the reports to stdout in ``fmt``: a rich table on a terminal, else plain text for ``table``."""
    from validator_core import report_formats as formats

    rendering = _rendering(engine, lang)
    files = [(path, r) for path, r in zip(paths, reports) if not only_problems or formats.is_problem(r)]
    if fmt != "table":
        sys.stdout.write(formats.render(fmt, files, rendering))
        return
    if not sys.stdout.isatty():  # a pipe, a file, CI: no table to build
        if files or not only_problems:
            sys.stdout.write(formats.text(files, rendering))
        else:
            sys.stdout.write(formats.NO_PROBLEM["fr" if rendering.fr else "en"] + "\n")
        sys.stdout.write(formats.summary(reports, lang) + "\n")
        return
    _print_table(files, reports, rendering)


def _print_table(files, reports: list["Report"], rendering: "Rendering") -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from validator_core import report_formats as formats
    from validator_core.wording import severity

    # Styled Text, never markup: file names and messages (which quote file content) are shown as they
    # are, "[bold]" or ":smile:" included — and nothing is parsed for markup or emoji codes.
    console = Console(highlight=False, markup=False, emoji=False)
    fr, lang = rendering.fr, rendering.lang
    table = Table(show_lines=True, title="Vérification des preuves" if fr else "Proof check")
    table.add_column("Fichier" if fr else "File", overflow="fold")
    table.add_column("Type")
    table.add_column("Verdict")
    table.add_column("Constats" if fr else "Findings", overflow="fold")
    for path, report in files:
        verdict = report.verdict.value
        findings = Text()
        for f in formats.shown_findings(report):
            if findings:
                findings.append("\n")
            findings.append(severity(f.severity.value, lang), style=SEVERITY_STYLES[f.severity.value])
            findings.append(f" {f.message} ")
            findings.append(f"({f.code})", style="dim")
        verdict_cell = Text().append(formats.verdict_label(verdict, lang), style=VERDICT_STYLES[verdict])
        table.add_row(Text(path), Text(formats.type_label(report, rendering)), verdict_cell, findings or Text("—"))
    if files:
        console.print(table)
    else:
        console.print(formats.NO_PROBLEM["fr" if fr else "en"])
    console.print(formats.summary(reports, lang))


def _dossier_hint(engine: "Engine", targets: list["Target"], rem: str | None, lang: str) -> str | None:
    """When files found in a folder are named by proof id, say that ``preuves dossier`` checks each
    against its requirement (and lists the missing proofs). Only for folders: a file's check pays nothing."""
    folders = list(dict.fromkeys(t.folder for t in targets if t.folder is not None))
    if not folders:
        return None
    from validator_core.dossier import MAX_FILES, match_files
    from validator_core.service import resolve_rem

    catalogue = engine.catalogue()
    rem = resolve_rem(engine, rem) if rem else None  # « bio » → « BIO », as the catalogue spells it
    for folder in folders:
        inside = [(t.relative, Path(t.path)) for t in targets if t.folder == folder]
        if len(inside) > MAX_FILES:  # more than `preuves dossier` takes: nothing to suggest
            continue
        named = match_files(catalogue, rem, inside)
        if not named.entries:
            continue
        from validator_core import wording

        n = len(named.entries)
        example = next(Path(t.path).name for t in targets if t.folder == folder and Path(t.path) == named.entries[0].path)
        rem_arg = rem or "|".join(catalogue.rems)
        one = wording.singular(n, lang)
        if lang == "en":
            return (f"{wording.count(n, 'file', 'files', 'en')} of {folder} {'is' if one else 'are'} named by proof id "
                    f"({'' if one else 'e.g. '}« {example} »): `preuves dossier {folder} --rem {rem_arg}` checks "
                    f"{'it' if one else 'each one'} against its requirement and lists the missing proofs.")
        return (f"{wording.count(n, 'fichier', 'fichiers')} de {folder} {'porte' if one else 'portent'} un identifiant "
                f"de preuve dans {'son' if one else 'leur'} nom ({'' if one else 'ex. '}« {example} ») : `preuves "
                f"dossier {folder} --rem {rem_arg}` {'le vérifie' if one else 'vérifie chacun'} contre son exigence "
                f"et liste les preuves manquantes.")
    return None


@contextmanager
def _progress(total: int, lang: str) -> Iterator[Callable[["BatchProgress"], None] | None]:
    """A progress bar on a terminal when there are several files (silent in pipes and CI): yields the
    ``on_done`` that advances it, or ``None``."""
    if total < 2 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task("Vérification" if lang == "fr" else "Checking", total=total)
    with progress:
        yield lambda _done: progress.advance(task)


@main.command(cls=PreuvesCommand, help_en="List the proof types, accepted formats and maximum sizes (the ANS table).")
@click.option("--json", "as_json", cls=LocalOption, is_flag=True, help="Les règles en JSON.", help_en="The rules as JSON.")
@click.option("--rules", cls=LocalOption, type=click.Path(dir_okay=False), envvar="PREUVES_RULES",
              help="Fichier de règles TOML.", help_en="TOML rules file.")
def types(as_json: bool, rules: str | None) -> None:
    """Liste les types de preuve, formats acceptés et tailles maximales (tableau de l'ANS)."""
    import json

    from rich.console import Console
    from rich.table import Table

    from validator_core.rules import RulesError, load_rules
    from validator_core.wording import size

    set_output("fr", as_json)
    try:
        loaded = load_rules(rules)
    except RulesError as exc:
        fail(str(exc))
    data = loaded.to_dict()
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(title=f"Règles : {data['rules']}")
    for column in ("Type", "Libellé", "Formats", "Taille max.", "Source (ligne du tableau ANS)"):
        table.add_column(column, overflow="fold")
    for row in data["proof_types"]:
        formats = "tout format" if row["any_format"] else ", ".join(row["formats"])
        table.add_row(row["id"], row["label_fr"], formats, size(row["max_bytes"]), row["ans_row"])
    Console(highlight=False).print(table)


main.add_command(dossier)


def run() -> None:
    """The ``preuves`` command (console script, ``python -m validator_core.cli``): :func:`main`, then
    :func:`_exit`. Tests and embedding applications call :func:`main` (click's ``CliRunner``): never this."""
    try:
        main(prog_name="preuves")
    except SystemExit as exc:
        _exit(exc)


def _exit(exc: SystemExit) -> None:
    """End the command with ``exc``'s status, skipping the interpreter's teardown when nothing needs it.

    Tearing down the modules and objects of a one-shot command frees memory the kernel frees anyway
    (~6 ms of a cold ``preuves check``). What must run still runs: the ``atexit`` callbacks (logging's
    flush among them), then stdout and stderr are flushed, then ``os._exit`` with the same status. The
    ordinary exit is kept when multiprocessing is loaded (a fork server's pool: its exit hook joins
    children and releases semaphores), when a non-daemon thread still runs (it would be cut short),
    when the status is not a number (Python prints it), and when flushing fails (Python reports it).
    """
    code = 0 if exc.code is None else exc.code
    if (not isinstance(code, int) or "multiprocessing" in sys.modules
            or any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread())):
        raise exc
    atexit._run_exitfuncs()  # what the interpreter would run first at exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (| head): Python's own exit says so, with its status
        raise exc from None
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover - python -m validator_core.cli: named as the installed command
    run()
