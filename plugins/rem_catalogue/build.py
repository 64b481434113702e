"""Build the packaged catalogue from the ANS export: ``source/rem-prepub-2023.json`` → ``data/rem-catalogue.json``.

Run from a source checkout after the export changes::

    python -m plugins.rem_catalogue.build [SOURCE] [--output PATH]

The export (the approved rows of the vague-2 REM pre-publication, March 2023, from the ANS's public
repository ansforge/segur-squash-plugins, ``macros/import_gsheet/import_gsheet_sans_modele.xlsx``) has
one object per scenario: ``rem``, ``section``, ``requirement``, ``profile``, ``chapter``, ``block``,
``function``, ``requirement_text``, ``scenario``, ``scenario_text`` and ``proofs_text`` (the proofs of
that scenario, each introduced by its id and a colon). Its ids have typos (``PSC.01.01.02`` filed
under scenario ``PSC.01.02``, a bare ``07.01.01``, proofs without an id): they are read leniently and
repaired (:func:`parse_proofs_text`); what cannot be read is kept and listed, never dropped. Each
proof is classified as it is stored (:func:`plugins.rem_catalogue.classify.classify_text` on its proof,
scenario and requirement texts): the packaged file holds the types it admits, its expectations and
where each was read, and the conditions under which it applies
(:func:`plugins.rem_catalogue.conditions.read_conditions`), so that a change of rule shows as a
change of data. Two requirements sharing an id in different profiles stay two requirements. A test checks that this
build reproduces the packaged file byte for byte.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugins.rem_catalogue.classify import classify_text
from plugins.rem_catalogue.conditions import read_conditions
from plugins.rem_catalogue.register import DATA_FILE
from validator_core.catalogue import GENERAL_PROFILE

DEFAULT_SOURCE = Path(__file__).with_name("source") / "rem-prepub-2023.json"
ORIGIN = "ansforge/segur-squash-plugins macros/import_gsheet/import_gsheet_sans_modele.xlsx"

# A proof id as written in the source: optional section path, then 2-digit groups. The trailing
# letter admits "ORDN/CONF.01p"-style typos.
_ID = r"(?:[A-Za-z][A-Za-z0-9\-]*(?:/[A-Za-z0-9\-]+)*\.)?\d{2}(?:\.\d{2}){1,4}[a-z]?"
PROOF_HEAD_RE = re.compile(r"(?m)^[ \t\u00a0'\"*]*(" + _ID + r")?[ \t\u00a0]*:")
# A full proof id alone at the end of a line, after the colon of an empty head or inside another proof's
# text (DB ``CO.50``: "01.04 : CO.01.04.01\nLog du message … (ITI-18) …\u00a0CO.01.04.02\nLog du message
# … (ITI-43)"): it introduces a proof of its own, as if written "ID :" on its own line.
_INLINE_ID_RE = re.compile(r"(?m)(?:^|(?<=[ \t\u00a0:]))([A-Za-z][A-Za-z0-9\-]*(?:/[A-Za-z0-9\-]+)*\.\d{2}(?:\.\d{2}){1,4})"
                           r"[ \t\u00a0]*$")
_LAST_GROUP_RE = re.compile(r"(\d{2})[a-z]?$")


def _child_id(parent: str, raw: str) -> str:
    """The canonical id of a child of ``parent`` written as ``raw`` (repaired when it disagrees)."""
    if raw.startswith(parent + ".") and re.fullmatch(r"\d{2}", raw[len(parent) + 1:]):
        return raw
    if raw == parent:  # the parent's id written in place of the child's: the first child
        return f"{parent}.01"
    match = _LAST_GROUP_RE.search(raw)
    return f"{parent}.{match.group(1) if match else raw}"


@dataclass
class ParsedProofs:
    proofs: list[dict[str, str]]  # {"id", "text"} (+ "raw_id" when the id was repaired)
    unparsed: list[str]  # fragments with no usable id (kept and reported, never dropped silently)


def parse_proofs_text(scenario: str, text: str) -> ParsedProofs:
    """Split a scenario's ``proofs_text`` into proofs (each introduced by its id and a colon).

    Lenient: an id that does not extend ``scenario`` is repaired to ``scenario + "." + its last
    two digits`` (the written id is kept as ``raw_id``); a full id alone at the end of a line starts a
    proof too; a proof written after a colon with no id gets the next free number of its scenario
    (``"unnumbered": true``); text before the first id, and editors' questions (``"?? …"``), are
    returned in ``unparsed``.
    """
    proofs: list[dict[str, str]] = []
    unparsed: list[str] = []
    unnumbered: list[str] = []
    text = _INLINE_ID_RE.sub(lambda m: "\n" + m.group(1) + " :", text)
    heads = list(PROOF_HEAD_RE.finditer(text))
    preamble = text[: heads[0].start()] if heads else text
    if preamble.strip():
        unparsed.append(_squash(preamble))
    seen: set[str] = set()
    for index, head in enumerate(heads):
        end = heads[index + 1].start() if index + 1 < len(heads) else len(text)
        body = _squash(text[head.end():end])
        raw = head.group(1)
        if not body:  # a head with nothing after it ("01.04 :" before the ids it announces): no text lost
            continue
        if raw is None:
            # A proof written without its id (" : Lister toutes les méthodes …", 4 REMs' SSI/IE.44.01) is
            # still a proof the editor files: numbered after its siblings below. An editor's question
            # ("?? copie écran …") is not one: kept as unread text.
            (unparsed if body.startswith("?") or not scenario else unnumbered).append(body)
            continue
        proof_id = _child_id(scenario, raw) if scenario else raw
        if proof_id in seen and scenario:  # a repaired id colliding with a sibling: next free number
            proof_id = next(f"{scenario}.{n:02d}" for n in range(1, 100) if f"{scenario}.{n:02d}" not in seen)
        if proof_id in seen:
            unparsed.append(f"{raw} : {body}")
            continue
        seen.add(proof_id)
        entry = {"id": proof_id, "text": body}
        if proof_id != raw:
            entry["raw_id"] = raw
        proofs.append(entry)
    for body in unnumbered:
        proof_id = next(f"{scenario}.{n:02d}" for n in range(1, 100) if f"{scenario}.{n:02d}" not in seen)
        seen.add(proof_id)
        proofs.append({"id": proof_id, "text": body, "unnumbered": True})  # the id is ours, not the ANS's
    return ParsedProofs(proofs, unparsed)


def _squash(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split()).strip(" '")


def classify_entry(proof: dict[str, Any], requirement_text: str, scenario_text: str) -> None:
    """Store in ``proof`` what the built-in rules read: admitted types, expectations, their sources."""
    result = classify_text(proof["text"], requirement_text, scenario_text)
    if result is not None:
        proof["admits"] = list(result.admits)
        if result.expectations:
            proof["expectations"] = result.expectations
            proof["sources"] = result.sources


def build_data(rows: list[dict[str, Any]], source: str) -> dict[str, Any]:
    """Group the export's scenario rows into requirements → scenarios → parsed proofs."""
    # Keyed by profile too: two requirements of a REM may share an id in different profiles (RIS
    # MSS/va1.30 and MSS/va1.31 of « Général » and of another profile have their own texts and proofs).
    requirements: dict[tuple[str, str, str], dict[str, Any]] = {}
    unparsed: list[dict[str, str]] = []
    repaired_scenarios = 0
    for row in rows:
        rem, req_id, profile = row["rem"].strip(), row["requirement"].strip(), row.get("profile") or GENERAL_PROFILE
        req = requirements.setdefault((rem, req_id, profile), {
            "rem": rem, "id": req_id, "section": row.get("section", ""), "profile": profile,
            "chapter": row.get("chapter", ""), "block": row.get("block", ""), "function": row.get("function", ""),
            "text": (row.get("requirement_text") or "").strip(), "scenarios": [],
        })
        raw_scenario = (row.get("scenario") or "").strip()
        proofs_text = row.get("proofs_text") or ""
        if not raw_scenario and not proofs_text.strip():
            continue  # a requirement without a compliance scenario in this export
        scenario_id = _child_id(req_id, raw_scenario) if raw_scenario else f"{req_id}.01"
        scenario: dict[str, Any] = {"id": scenario_id, "text": _squash(row.get("scenario_text") or "")}
        if scenario_id != raw_scenario:
            scenario["raw_id"] = raw_scenario
            repaired_scenarios += 1
        parsed = parse_proofs_text(scenario_id, proofs_text)
        for proof in parsed.proofs:
            classify_entry(proof, req["text"], scenario["text"])
            if conditions := read_conditions(proof["text"], row.get("scenario_text") or "", req["text"]):
                proof["conditions"] = conditions
        scenario["proofs"] = parsed.proofs
        if not parsed.proofs and not parsed.unparsed:
            unparsed.append({"rem": rem, "requirement": req_id, "scenario": scenario_id, "fragment": "(aucune preuve)"})
        for fragment in parsed.unparsed:
            unparsed.append({"rem": rem, "requirement": req_id, "scenario": scenario_id, "fragment": fragment})
        req["scenarios"].append(scenario)
    reqs = list(requirements.values())
    proofs = [p for r in reqs for s in r["scenarios"] for p in s["proofs"]]
    return {
        "source": source,
        "description": "REM vague 2, pré-publication de mars 2023 (lignes approuvées) — exigences, scénarios, preuves",
        "stats": {
            "rows": len(rows), "requirements": len(reqs),
            "scenarios": sum(len(r["scenarios"]) for r in reqs), "proofs": len(proofs),
            "repaired_proof_ids": sum(1 for p in proofs if "raw_id" in p),
            "repaired_scenario_ids": repaired_scenarios, "unparsed_fragments": len(unparsed),
            "classified": sum(1 for p in proofs if "admits" in p),
            "conditional": sum(1 for p in proofs if "conditions" in p),
            "unnumbered_proofs": sum(1 for p in proofs if p.get("unnumbered")),
        },
        "requirements": reqs,
        "unparsed": unparsed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugins.rem_catalogue.build",
                                     description="Regenerate the packaged REM catalogue from the ANS export.")
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                        help="the export's rows (JSON; default: source/rem-prepub-2023.json next to this module)")
    parser.add_argument("--output", type=Path, default=DATA_FILE, help="where to write (default: the packaged file)")
    args = parser.parse_args(argv)
    if not args.source.is_file():  # an installed wheel ships the catalogue, not its source
        parser.error(f"source not found: {args.source}")
    rows = json.loads(args.source.read_text(encoding="utf-8"))
    data = build_data(rows, f"{ORIGIN} (via {args.source.name})")
    args.output.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(data["stats"], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
