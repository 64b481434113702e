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

from validator_core.cli_support import EXIT_OK, EXIT_REJECTED, command_engine, engine_unavailable, fail
from validator_core.errors import EngineUnavailable, PreuvesError
from validator_core.messages import LANGS

STATUS_STYLES = {"accepted": "green", "accepted_with_warnings": "yellow", "rejected": "bold red",
                 "missing": "magenta", "unknown": "red"}


def _dump(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


@click.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--rem", help="Le REM du dossier (sinon celui du manifeste).")
@click.option("--profile", "profiles", multiple=True, help="Profil en plus de « Général » (répétable).")
@click.option("--condition", "conditions", multiple=True, metavar="ID[=VALEUR]",
              help="Condition qui vaut pour le système (répétable) : « referentiel_identite », "
                   "« referentiel_identite=non », « psc_modalite=web,ciba » ; liste : preuves requirements --rem X --profiles.")
@click.option("--json", "as_json", is_flag=True, help="Le résultat en JSON (avec le rapport de chaque fichier).")
@click.option("--report-md", type=click.Path(dir_okay=False, writable=True), help="Écrit un rapport Markdown.")
@click.option("--show-missing/--hide-missing", default=True, show_default=True, help="Lister les preuves manquantes.")
@click.option("--lang", type=click.Choice(LANGS), default="fr", show_default=True, help="Langue des messages.")
@click.option("--rules", type=click.Path(dir_okay=False), envvar="PREUVES_RULES", help="Fichier de règles TOML.")
def dossier(source: str, rem: str | None, profiles: tuple[str, ...], conditions: tuple[str, ...], as_json: bool,
            report_md: str | None, show_missing: bool, lang: str, rules: str | None) -> None:
    """Vérifie un dossier entier : un manifeste (JSON/CSV : preuve → fichier) ou un dossier rangé par preuve."""
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
                fail("\n  ".join(["fichiers introuvables :", *missing_files]))
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
            fail(exc.message if lang == "fr" else exc.message_en)
        except OSError as exc:
            fail(f"{source} : lecture impossible ({exc.strerror})")
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
