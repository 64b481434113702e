"""The ``preuves`` command: ``check``, ``types``, and the commands plugins add (``serve``, ``requirements`` …).

Plugins add commands through ``preuves_register_commands(cli)``: the plugin registry is loaded once
when the command starts, before the command line is read, and the command's engine reuses it.

Exit status of ``check``: 0 when no file is rejected, 1 when at least one is, 2 for usage or I/O
errors (a missing or unreadable path is reported before anything is checked) and when the engine
cannot examine the files (:class:`~validator_core.EngineUnavailable`: no verdict is given).

A cold ``preuves check`` is a one-shot process: it imports only what the command needs (rich when it
prints a table, the progress bar only on a terminal with several files), starts as many workers as
there are files (up to ``PREUVES_WORKERS``) by a plain ``fork`` of itself while it is still
single-threaded (no second interpreter to start; ``PREUVES_WORKER_START=forkserver`` to choose), and
stops them before exiting.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import click

from validator_core.cli_dossier import dossier
from validator_core.cli_support import (
    EXIT_OK, EXIT_REJECTED, REGISTRY_KEY, command_engine, engine_unavailable, fail, load_registry,
)
from validator_core.errors import EngineUnavailable, PreuvesError
from validator_core.messages import LANGS

if TYPE_CHECKING:
    from validator_core.engine import BatchProgress
    from validator_core.models import Report


# Keyed by the values of Verdict / Severity (str enums): no model import to print a table.
VERDICT_LABELS = {
    "fr": {"accepted": "accepté", "accepted_with_warnings": "accepté avec avertissements", "rejected": "rejeté"},
    "en": {"accepted": "accepted", "accepted_with_warnings": "accepted with warnings", "rejected": "rejected"},
}
VERDICT_STYLES = {"accepted": "green", "accepted_with_warnings": "yellow", "rejected": "bold red"}
SEVERITY_STYLES = {"error": "red", "warning": "yellow", "info": "dim"}


class PluginCommands(click.Group):
    """The ``preuves`` group: loads the plugins when it starts and lets them add their commands.

    Done in :meth:`make_context`, before the command line is parsed, so that ``--help`` lists the
    plugins' commands and a plugin's command can be run. Each start begins from the core's own
    commands (a process may run ``preuves`` several times: tests, embedding applications), whatever
    the plugins of an earlier start added or broke.
    """

    _core_commands: dict[str, click.Command] | None = None

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
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:  # "No such command": it may belong to a plugin left out
            config = ctx.meta[REGISTRY_KEY].config
            if config.allow is not None or config.block:
                exc.message += (" PREUVES_PLUGINS / PREUVES_DISABLE_PLUGINS écartent peut-être le plugin qui l'ajoute"
                                " (they may leave out the plugin that adds it).")
            raise


@click.group(cls=PluginCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="segur-preuves", prog_name="preuves")
def main() -> None:
    """Vérifie les preuves de conformité Ségur avant leur dépôt (formats, tailles, contenu)."""


@main.command()
@click.option("--type", "proof_type", metavar="TYPE", help="Type de preuve (par défaut : déduit du contenu).")
@click.option("--json", "as_json", is_flag=True, help="Un tableau JSON de rapports, un par fichier, dans l'ordre.")
@click.option("--lang", type=click.Choice(LANGS), default="fr", show_default=True, help="Langue des messages.")
@click.option("--rules", type=click.Path(dir_okay=False), envvar="PREUVES_RULES", help="Fichier de règles TOML.")
@click.option("--requirement", metavar="PREUVE", help="La preuve du REM que ces fichiers fournissent (DOC/va1.01.01.01).")
@click.option("--rem", metavar="REM", help="Le REM de la preuve (BIO, RIS, LGC, DPI, PFI, DB).")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def check(proof_type: str | None, as_json: bool, lang: str, rules: str | None, requirement: str | None,
          rem: str | None, paths: tuple[str, ...]) -> None:
    """Vérifie un ou plusieurs fichiers de preuve."""
    problems = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            problems.append(f"{raw} : fichier introuvable")
        elif not path.is_file():
            problems.append(f"{raw} : ce n'est pas un fichier")
        elif not os.access(path, os.R_OK):
            problems.append(f"{raw} : lecture impossible (droits)")
    if problems:  # nothing is checked half-way: say every bad path, then stop
        fail("\n  ".join(["chemins invalides :", *problems]))
    from validator_core.engine import BatchItem
    from validator_core.service import check_fields

    engine = command_engine(rules, files=len(paths))
    try:
        # An unknown type, REM or proof id fails now (with close ids), before any worker starts.
        check_fields(engine, proof_types=[proof_type], rems=[rem], requirements=[requirement])
        # Workers start now, from the main thread, before any other thread exists (fork is safe).
        engine.start()
    except EngineUnavailable as exc:
        engine.close()
        engine_unavailable(exc, lang)
    except PreuvesError as exc:
        engine.close()
        fail(exc.message if lang == "fr" else exc.message_en)
    try:
        # The batch use case of POST /v1/validations/batch: as many files at once as there are workers.
        with _progress(len(paths), lang) as advance:
            outcomes = engine.validate_many([BatchItem(raw, proof_type, requirement) for raw in paths], lang=lang,
                                            rem=rem, on_done=advance)
    except EngineUnavailable as exc:
        engine_unavailable(exc, lang)
    finally:
        engine.close()
    for raw, outcome in zip(paths, outcomes):
        if isinstance(outcome, OSError):
            fail(f"{raw} : lecture impossible ({outcome.strerror})")
    reports = [outcome for outcome in outcomes if not isinstance(outcome, OSError)]
    if as_json:
        json.dump([r.to_dict() for r in reports], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_reports(reports, paths, lang)
    sys.exit(EXIT_REJECTED if any(r.verdict == "rejected" for r in reports) else EXIT_OK)


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


def _print_reports(reports: list["Report"], paths: tuple[str, ...], lang: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Styled Text, never markup: file names and messages (which quote file content) are shown as they
    # are, "[bold]" or ":smile:" included — and nothing is parsed for markup or emoji codes.
    console = Console(highlight=False, markup=False, emoji=False)
    fr = lang == "fr"
    table = Table(show_lines=True, title="Vérification des preuves" if fr else "Proof check")
    table.add_column("Fichier" if fr else "File", overflow="fold")
    table.add_column("Type")
    table.add_column("Verdict")
    table.add_column("Constats" if fr else "Findings", overflow="fold")
    for raw, report in zip(paths, reports):
        verdict = report.verdict.value
        type_cell = (report.proof_type or "—") + (" (déduit)" if fr and report.proof_type_inferred else
                                                   " (inferred)" if report.proof_type_inferred else "")
        findings = Text()
        for f in report.findings:
            if f.code == "type.inferred":  # the Type column already says "(déduit)"
                continue
            if findings:
                findings.append("\n")
            findings.append(f.severity.value, style=SEVERITY_STYLES[f.severity.value])
            findings.append(f" {f.message} ")
            findings.append(f"({f.code})", style="dim")
        verdict_cell = Text().append(VERDICT_LABELS[lang][verdict], style=VERDICT_STYLES[verdict])
        table.add_row(Text(raw), Text(type_cell), verdict_cell, findings or Text("—"))
    console.print(table)
    labels = VERDICT_LABELS[lang]
    counts = {v: sum(1 for r in reports if r.verdict.value == v) for v in labels}
    console.print(", ".join(f"{counts[v]} {label}" for v, label in labels.items()))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Les règles en JSON.")
@click.option("--rules", type=click.Path(dir_okay=False), envvar="PREUVES_RULES", help="Fichier de règles TOML.")
def types(as_json: bool, rules: str | None) -> None:
    """Liste les types de preuve, formats acceptés et tailles maximales (tableau de l'ANS)."""
    from rich.console import Console
    from rich.table import Table

    from validator_core.rules import RulesError, load_rules

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
        table.add_row(row["id"], row["label_fr"], formats, f"{row['max_bytes'] / 1_000_000:g} Mo", row["ans_row"])
    Console(highlight=False).print(table)


main.add_command(dossier)

if __name__ == "__main__":  # pragma: no cover
    main()
