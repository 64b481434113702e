"""``preuves dossier``: check a whole dossier at once (a manifest, or a folder sorted by proof).

Exit status of ``dossier``: 0 when every filed proof is accepted (warnings allowed) and none of the
chosen REM/profiles is missing; 1 when a proof is rejected, missing or unknown; 2 for usage or I/O
errors (unreadable manifest, unknown REM).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
import sys
from pathlib import Path

import click

from validator_core.cli_support import (
    BAD_PATH, EXIT_OK, EXIT_REJECTED, LANG_ENV, LocalOption, PreuvesCommand, command_engine, engine_unavailable, fail,
    fail_error, set_output,
)
from validator_core.errors import EngineUnavailable, PreuvesError
from validator_core.messages import LANGS

STATUS_STYLES = {"accepted": "green", "accepted_with_warnings": "yellow", "rejected": "bold red",
                 "missing": "magenta", "unknown": "red"}


def _dump(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


@click.command(cls=PreuvesCommand, help_en="Check a whole dossier at once: a manifest (JSON/CSV: proof → file) or "
                                           "a folder sorted by proof.")
@click.argument("source", type=click.Path(exists=True))
@click.option("--rem", cls=LocalOption, help="Le REM du dossier (sinon celui du manifeste).",
              help_en="The dossier's REM (else the manifest's).")
@click.option("--profile", "profiles", cls=LocalOption, multiple=True, help="Profil en plus de « Général » (répétable).",
              help_en="A profile besides « Général » (repeatable).")
@click.option("--condition", "conditions", cls=LocalOption, multiple=True, metavar="ID[=VALEUR]",
              help="Condition qui vaut pour le système (répétable) : « referentiel_identite », "
                   "« referentiel_identite=non », « psc_modalite=web,ciba » ; liste : preuves requirements --rem X --profiles.",
              help_en="A condition that holds for the system (repeatable): « referentiel_identite », "
                      "« referentiel_identite=non », « psc_modalite=web,ciba »; list: preuves requirements --rem X --profiles.")
@click.option("--json", "as_json", cls=LocalOption, is_flag=True,
              help="Le résultat en JSON (avec le rapport de chaque fichier).",
              help_en="The result as JSON (with each file's report).")
@click.option("--report-md", cls=LocalOption, type=click.Path(dir_okay=False, writable=True),
              help="Écrit un rapport Markdown.", help_en="Write a Markdown report.")
@click.option("--show-missing/--hide-missing", cls=LocalOption, default=True,
              help="Lister les preuves manquantes (défaut : oui).", help_en="List the missing proofs (default: yes).")
@click.option("--lang", cls=LocalOption, type=click.Choice(LANGS), default="fr", envvar=LANG_ENV,
              help="Langue des messages (défaut : fr, ou PREUVES_LANG).",
              help_en="Language of the messages (default: fr, or PREUVES_LANG).")
@click.option("--rules", cls=LocalOption, type=click.Path(dir_okay=False), envvar="PREUVES_RULES",
              help="Fichier de règles TOML.", help_en="TOML rules file.")
def dossier(source: str, rem: str | None, profiles: tuple[str, ...], conditions: tuple[str, ...], as_json: bool,
            report_md: str | None, show_missing: bool, lang: str, rules: str | None) -> None:
    """Vérifie un dossier entier : un manifeste (JSON/CSV : preuve → fichier) ou un dossier rangé par preuve."""
    set_output(lang, as_json)
    from rich.console import Console

    from validator_core.dossier import load_manifest, parse_conditions, scan_folder, to_markdown
    from validator_core.service import check_dossier

    path = Path(source)
    engine = command_engine(rules)
    try:
        try:
            loaded = scan_folder(path, engine.catalogue(), rem) if path.is_dir() else load_manifest(path)
            missing_files = [str(e.path) for e in loaded.entries if not e.path.is_file()]
            if missing_files:
                fail("\n  ".join(["fichiers introuvables :", *missing_files]),
                     en="\n  ".join(["files not found:", *missing_files]), code=BAD_PATH)
            console = Console(stderr=True)
            with console.status("", spinner="dots") if console.is_terminal else nullcontext() as status:
                def progress(done) -> None:
                    if status is not None:
                        status.update(f"{done.done}/{done.total} {Path(done.item.path).name}")

                result = check_dossier(engine, loaded, rem=rem, profiles=profiles, conditions=parse_conditions(conditions),
                                       lang=lang, on_done=progress)
        except EngineUnavailable as exc:
            engine_unavailable(exc, lang)
        except PreuvesError as exc:
            fail_error(exc)
        except OSError as exc:
            fail(f"{source} : lecture impossible ({exc.strerror})", en=f"{source}: cannot be read ({exc.strerror})",
                 code=BAD_PATH)
    finally:
        engine.close()
    if report_md:
        Path(report_md).write_text(to_markdown(result, lang), encoding="utf-8")
    if as_json:
        _dump(result.to_dict())
    else:
        _print_dossier(result, lang, show_missing)
    summary = result.summary()
    sys.exit(EXIT_OK if summary["ready"] else EXIT_REJECTED)


def _print_dossier(result, lang: str, show_missing: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from validator_core.dossier import STATUS_LABELS, summary_line

    fr = lang == "fr"
    labels = STATUS_LABELS[lang]
    console = Console(highlight=False)
    table = Table(title=("Dossier" if fr else "Dossier") + f" — REM {result.rem}", show_lines=True)
    for column in (("Preuve", "Statut", "Fichier(s)", "Constats") if fr else ("Proof", "Status", "File(s)", "Findings")):
        table.add_column(column, overflow="fold")
    for proof in result.proofs:
        findings = []
        for file in proof.files:
            for f in (file.report.findings if file.report else []):
                if f.code != "type.inferred" and f.severity.value != "info":
                    findings.append(f"{Path(file.path).name}: [{'red' if f.severity.value == 'error' else 'yellow'}]"
                                    f"{f.message}[/] [dim]({f.code})[/]")
            if file.error:
                findings.append(f"{Path(file.path).name}: [red]{file.error}[/]")
        status = proof.status
        table.add_row(proof.proof.id + ("" if proof.in_scope else " [dim](hors profils)[/]"),
                      f"[{STATUS_STYLES[status]}]{labels[status]}[/]",
                      "\n".join(Path(f.path).name for f in proof.files), "\n".join(findings) or "—")
    for unknown in result.unknown:
        table.add_row(unknown.written_id, f"[red]{labels['unknown']}[/]", "\n".join(Path(f.path).name for f in unknown.files),
                      unknown.unknown_reason or "")
    console.print(table)
    if show_missing and result.missing:
        console.print(f"[magenta]{'Preuves manquantes, par exigence' if fr else 'Missing proofs, by requirement'} "
                      f"({len(result.missing)}) :[/]")
        for group in result.by_requirement():
            if not group["missing"]:
                continue
            console.print(f"  [bold]{group['requirement']}[/] [dim]({group['profile']})[/] {group['text'][:100]}")
            for m in group["missing"]:
                console.print(f"    {m['proof']} [dim]({', '.join(m['admits']) or '?'})[/] {m['text'][:100]}")
                console.print(f"      [dim]{'scénario' if fr else 'scenario'} : {m['scenario_text'][:160]}[/]")
    if result.undecided:
        console.print(f"[yellow]{'Preuves selon des conditions non déclarées' if fr else 'Proofs depending on undeclared conditions'} "
                      f"({len(result.undecided)}) — --condition ID=oui|non :[/]")
        for item in result.undecided:
            named = ", ".join(f"{c['id']} (« {c.get('quote') or c.get('label')} »)" for c in item.conditions)
            console.print(f"  {item.proof.id} : {named}")
    if result.not_applicable:
        console.print(f"[dim]{'Preuves non applicables' if fr else 'Proofs not applicable'} ({len(result.not_applicable)})[/]")
    for finding in result.findings:
        console.print(f"[yellow]{finding.message}[/] [dim]({finding.code})[/]")
    if result.unmatched:
        console.print(f"[yellow]{'Fichiers sans preuve' if fr else 'Files matching no proof'} ({len(result.unmatched)}) :[/]")
        for u in result.unmatched:
            console.print(f"  {u}")
    console.print(summary_line(result, lang))
