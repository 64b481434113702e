"""``preuves requirements``: the REM catalogue on the command line, added by ``preuves_register_commands``.

Lists the proofs of the catalogue (every catalogue plugin's, not only this one's) with the proof types
each admits and what its texts expect; ``--stats`` gives the build's figures, the source text that
could not be read, and how many proofs carry each expectation (by the text it was read from, and by
value) — the counts of ``docs/requirements.md``, in ``PREUVES_LANG``'s language (counts agreed, the
percentage as each language writes it); ``--json`` prints the same data as ``GET /v1/requirements``. Exit status 2 for an
unknown REM or an engine that cannot start (bad settings, a broken plugin).

Every output names the catalogue's edition (« REM vague 2, pré-publication de mars 2023 … », what each
catalogue plugin registered): a line or the table's caption in text, ``"editions"`` in the JSON of
``--stats`` and ``--profiles`` (the list of proofs stays the array ``GET /v1/requirements`` returns).
"""

from __future__ import annotations

import json

import click

from validator_core import hookimpl
from validator_core.cli_support import LocalOption, PreuvesCommand, set_output

SOURCE_LABELS = {"proof": ("preuve", "proof"), "scenario": ("scénario", "scenario"), "requirement": ("exigence", "requirement")}


@click.command(cls=PreuvesCommand, help_en="List the REMs' requirements, their proofs and the proof types expected.")
@click.option("--rem", cls=LocalOption, help="Un REM (BIO, RIS, LGC, DPI, PFI, DB).", help_en="A REM (BIO, RIS, LGC, DPI, PFI, DB).")
@click.option("--profile", "profiles", cls=LocalOption, multiple=True, help="Profil (répétable) ; par défaut : tous.",
              help_en="Profile (repeatable); default: all.")
@click.option("--search", cls=LocalOption, help="Texte cherché dans l'identifiant, la preuve, l'exigence ou le scénario.",
              help_en="Text searched in the id, the proof, the requirement or the scenario.")
@click.option("--unclassified", cls=LocalOption, is_flag=True,
              help="Seulement les preuves dont le type n'a pas pu être déduit.",
              help_en="Only the proofs whose type could not be inferred.")
@click.option("--stats", cls=LocalOption, is_flag=True,
              help="Chiffres du catalogue : preuves lues, classées, textes non lus.",
              help_en="The catalogue's figures: proofs read, classified, texts not read.")
@click.option("--profiles", "list_profiles", cls=LocalOption, is_flag=True,
              help="Les profils du REM (avec --rem) et les conditions que ses preuves posent (--condition de preuves dossier).",
              help_en="The REM's profiles (with --rem) and the conditions its proofs set (--condition of preuves dossier).")
@click.option("--checklist", cls=LocalOption, type=click.Choice(("csv", "md")),
              help="La liste à remplir des preuves du REM (« Général » et --profile) : CSV (un manifeste une fois "
                   "la colonne « file » remplie) ou Markdown.",
              help_en="The checklist of the REM's proofs (« Général » and --profile): CSV (a manifest once the "
                      "« file » column is filled) or Markdown.")
@click.option("--json", "as_json", cls=LocalOption, is_flag=True, help="Sortie JSON.", help_en="JSON output.")
def requirements(rem: str | None, profiles: tuple[str, ...], search: str | None, unclassified: bool, stats: bool,
                 list_profiles: bool, checklist: str | None, as_json: bool) -> None:
    """Liste les exigences des REM, leurs preuves et les types de preuve attendus."""
    from validator_core import PreuvesError
    from validator_core.cli_support import command_engine, fail, rem_profiles, requirements_checklist, requirements_scope

    set_output("fr", as_json)  # the listing is French; with --json, a usage error is JSON too
    engine = command_engine(None)  # no file is checked: its workers never start
    try:
        catalogue = engine.catalogue()
        if (list_profiles or checklist) and not rem:
            fail("précisez le REM : --rem BIO (REM disponibles : " + ", ".join(catalogue.rems) + ").",
                 en="give the REM: --rem BIO (REMs: " + ", ".join(catalogue.rems) + ").")
        try:
            if rem:
                rem, chosen = requirements_scope(engine, rem, profiles)  # an unknown one: the valid ones
                profiles = tuple(chosen)
            if checklist:
                click.echo(requirements_checklist(engine, rem, profiles, checklist), nl=False)
                return
            if list_profiles:
                _print_profiles({**rem_profiles(engine, rem), "editions": editions(catalogue)}, as_json)
                return
        except PreuvesError as exc:
            fail(exc.message, en=exc.message_en, code=exc.code)
    finally:
        engine.close()
    if stats:
        data = {**catalogue.stats(), "unparsed": catalogue.unparsed, "duplicates_ignored": catalogue.duplicate_entries,
                "editions": editions(catalogue)}
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            _print_stats(catalogue)
        return
    from rich.console import Console
    from rich.table import Table

    proofs = catalogue.select(rem, profiles or None, search)
    if unclassified:
        proofs = [p for p in proofs if not p.classified]
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in proofs], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Catalogue des exigences — {len(proofs)} preuves", caption=edition_line(editions(catalogue)),
                  show_lines=False)
    for column in ("REM", "Preuve", "Profil", "Types admis", "Attendus", "Texte"):
        table.add_column(column, overflow="fold")
    for p in proofs:
        expectations = ", ".join(k if v is True else f"{k}={v}" for k, v in p.expectations.items())
        table.add_row(p.rem, p.id, p.profile, ", ".join(p.admits) or "[red]non classée[/]", expectations, p.text[:160])
    Console(highlight=False).print(table)


def _print_stats(catalogue) -> None:
    """The catalogue's figures in the language of ``PREUVES_LANG``, counts agreed and percent as the
    language writes it (« 1 479 classées (99,7 %) », "1,479 classified (99.7%)")."""
    from validator_core.cli_support import env_lang
    from validator_core.toolkit import wording

    lang = env_lang()
    en = lang == "en"

    def n(value: int, fr_one: str, fr_many: str, en_one: str, en_many: str) -> str:
        return wording.count(value, en_one, en_many, lang) if en else wording.count(value, fr_one, fr_many, lang)

    s = catalogue.stats()
    click.echo(edition_line(editions(catalogue), lang))
    click.echo(f"{n(s['proofs'], 'preuve lue', 'preuves lues', 'proof read', 'proofs read')} "
               f"({n(s['repaired_ids'], 'identifiant réparé', 'identifiants réparés', 'id repaired', 'ids repaired')}, "
               f"{n(s['duplicates'], 'doublon ignoré', 'doublons ignorés', 'duplicate ignored', 'duplicates ignored')}), "
               f"{n(s['classified'], 'classée', 'classées', 'classified', 'classified')} "
               f"({wording.percent(s['classified_share'], lang)}), "
               f"{n(s['unclassified'], 'non classée', 'non classées', 'unclassified', 'unclassified')}"
               + ("; " if en else " ; ")
               + n(s['unparsed_fragments'], 'fragment de texte non lu', 'fragments de texte non lus',
                   'text fragment not read', 'text fragments not read') + (":" if en else " :"))
    for item in catalogue.unparsed:
        click.echo(f"  {item['rem']} {item['scenario'] or item['requirement']}{':' if en else ' :'} {item['fragment'][:120]}")
    for item in catalogue.duplicate_entries:
        click.echo(f"  {'duplicate ignored' if en else 'doublon ignoré'}, {item['rem']} {item['fragment'][:120]}")
    click.echo("Expectations (proofs carrying them; text they are read from; values):" if en else
               "Attendus (preuves qui les portent ; texte d'où ils sont lus ; valeurs) :")
    for key, entry in s["expectations"].items():
        sources = ", ".join(f"{SOURCE_LABELS.get(k, (k, k))[en]} {wording.number(v, lang)}"
                            for k, v in sorted(entry["from"].items()))
        values = ", ".join(f"{k} {wording.number(v, lang)}" for k, v in sorted(entry.get("values", {}).items()))
        click.echo(f"  {key}{':' if en else ' :'} {wording.number(entry['proofs'], lang)} ({sources})"
                   + (f" — {values}" if values else ""))


def editions(catalogue) -> list[str]:
    """The editions of the catalogue's sources, as each catalogue plugin named its own."""
    return list(catalogue.editions.values())


def edition_line(names: list[str], lang: str = "fr") -> str:
    """« Catalogue : REM vague 2, pré-publication de mars 2023 (lignes approuvées) » (the edition's name
    is the catalogue's own, in French)."""
    if lang == "en":
        return "Catalogue: " + ("; ".join(names) or "edition not given")
    return "Catalogue : " + ("; ".join(names) or "édition non précisée")


def _print_profiles(data: dict, as_json: bool) -> None:
    from validator_core.toolkit import wording

    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(edition_line(data["editions"]))
    click.echo(f"REM {data['rem']} — profils (preuves) :")
    for item in data["profiles"]:
        click.echo(f"  {item['profile']} ({item['proofs']})")
    click.echo("Conditions (preuves dossier --condition ID=VALEUR) :")
    for condition in data["conditions"]:
        click.echo(f"  {condition['id']} = {'|'.join(condition['values'])} — {condition['label']} "
                   f"({wording.count(condition['proofs'], 'preuve', 'preuves')})")


@hookimpl
def preuves_register_commands(cli: click.Group) -> None:
    cli.add_command(requirements)

