"""``preuves_register_requirements``: the packaged catalogue, ``data/rem-catalogue.json``, registered.

Every approved requirement, scenario and proof of the DB, LGC, BIO, RIS, DPI and PFI REMs, and the
source fragments the build could not read as proofs (listed by ``preuves requirements --stats``). The
file is generated: ``python -m plugins.rem_catalogue.build`` (see :mod:`plugins.rem_catalogue.build`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from validator_core import hookimpl

DATA_FILE = Path(__file__).with_name("data") / "rem-catalogue.json"


def load_data(path: Path = DATA_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


@hookimpl
def preuves_register_requirements(register) -> None:
    data = load_data()
    register.edition(data["description"].split(" — ")[0])  # « REM vague 2, pré-publication de mars 2023 (…) »
    for req in data["requirements"]:
        register(rem=req["rem"], requirement=req["id"], text=req.get("text", ""), section=req.get("section", ""),
                 profile=req.get("profile", ""), scenarios=req["scenarios"])
    for item in data.get("unparsed", ()):
        register.unparsed(rem=item["rem"], requirement=item.get("requirement", ""),
                          scenario=item.get("scenario", ""), fragment=item.get("fragment", ""))
