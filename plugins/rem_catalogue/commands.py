"""``preuves requirements``: the REM catalogue on the command line, added by ``preuves_register_commands``.

Lists the proofs of the catalogue (every catalogue plugin's, not only this one's) with the proof types
each admits and what its texts expect; ``--stats`` gives the build's figures, the source text that
could not be read, and how many proofs carry each expectation (by the text it was read from, and by
value) — the counts of ``docs/requirements.md``; ``--json`` prints the same data as ``GET /v1/requirements``. Exit status 2 for an
unknown REM or an engine that cannot start (bad settings, a broken plugin).
"""

from __future__ import annotations

import json

import click

from validator_core import hookimpl

SOURCE_LABELS = {"proof": "preuve", "scenario": "scénario", "requirement": "exigence"}


@click.command()
@click.option("--rem", help="Un REM (BIO, RIS, LGC, DPI, PFI, DB).")
@click.option("--profile", "profiles", multiple=True, help="Profil (répétable) ; par défaut : tous.")
@click.option("--search", help="Texte cherché dans l'identifiant, la preuve, l'exigence ou le scénario.")
@click.option("--unclassified", is_flag=True, help="Seulement les preuves dont le type n'a pas pu être déduit.")
@click.option("--stats", is_flag=True, help="Chiffres du catalogue : preuves lues, classées, textes non lus.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def requirements(rem: str | None, profiles: tuple[str, ...], search: str | None, unclassified: bool, stats: bool,
                 as_json: bool) -> None:
    """Liste les exigences des REM, leurs preuves et les types de preuve attendus."""
    from validator_core.cli_support import command_engine, fail

    engine = command_engine(None)  # no file is checked: its workers never start
    try:
        catalogue = engine.catalogue()
    finally:
        engine.close()
    if rem and rem.upper() not in {r.upper() for r in catalogue.rems}:
        fail(f"REM inconnu : « {rem} ». REM disponibles : {', '.join(catalogue.rems)}.")
    if stats:
        data = {**catalogue.stats(), "unparsed": catalogue.unparsed, "duplicates_ignored": catalogue.duplicate_entries}
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            s = catalogue.stats()
            click.echo(f"{s['proofs']} preuves lues ({s['repaired_ids']} identifiants réparés, {s['duplicates']} doublons ignorés), "
                       f"{s['classified']} classées ({s['classified_share']:.1%}), {s['unclassified']} non classées ; "
                       f"{s['unparsed_fragments']} fragments de texte non lus :")
            for item in catalogue.unparsed:
                click.echo(f"  {item['rem']} {item['scenario'] or item['requirement']} : {item['fragment'][:120]}")
            for item in catalogue.duplicate_entries:
                click.echo(f"  doublon ignoré, {item['rem']} {item['fragment'][:120]}")
            click.echo("Attendus (preuves qui les portent ; texte d'où ils sont lus ; valeurs) :")
            for key, entry in s["expectations"].items():
                sources = ", ".join(f"{SOURCE_LABELS.get(k, k)} {v}" for k, v in sorted(entry["from"].items()))
                values = ", ".join(f"{k} {v}" for k, v in sorted(entry.get("values", {}).items()))
                click.echo(f"  {key} : {entry['proofs']} ({sources})" + (f" — {values}" if values else ""))
        return
    from rich.console import Console
    from rich.table import Table

    proofs = catalogue.select(rem, profiles or None, search)
    if unclassified:
        proofs = [p for p in proofs if not p.classified]
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in proofs], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Catalogue des exigences — {len(proofs)} preuves", show_lines=False)
    for column in ("REM", "Preuve", "Profil", "Types admis", "Attendus", "Texte"):
        table.add_column(column, overflow="fold")
    for p in proofs:
        expectations = ", ".join(k if v is True else f"{k}={v}" for k, v in p.expectations.items())
        table.add_row(p.rem, p.id, p.profile, ", ".join(p.admits) or "[red]non classée[/]", expectations, p.text[:160])
    Console(highlight=False).print(table)


@hookimpl
def preuves_register_commands(cli: click.Group) -> None:
    cli.add_command(requirements)

