"""Report links against the platform and the test case their proof asks for.

Read from the ``report_link`` plugin's facts (``facts["report_link"]``: each link's host and platform,
an MSSanté execution id filed alone, a Gazelle report's validator), never from the file. All warnings:
a reviewer asks back, the proof may still be right.

- the platform: ``mssante_execution_id`` (« l'identifiant de l'exécution du cas de test MSS-LPS-SEGUR-…
  de l'outil de tests éditeurs MSSanté ») wants the MSSanté test tool, ``gazelle_link`` (« Lien
  permanent de l'espace de tests d'interopérabilité du CI-SIS … ») Gazelle; ``platform_host`` (the
  scenario's « Pour collecter la preuve de conformité … : https://interopsegur.esante.gouv.fr ») that
  host;
- the test case: a Gazelle report whose validator checks another kind of document than the expected
  test case's (``CI-SIS-CR-BIO-…`` is a biology report; a validator naming imaging is another).
"""

from __future__ import annotations

import re
from typing import Any

from plugins.rem_catalogue.expectations import asked
from validator_core import Finding, finding

PLATFORM_OF = {"mssante_execution_id": "mssante", "gazelle_link": "gazelle"}
PLATFORM_LABELS = {"mssante": "MSSanté (tests-editeur.espacedeconfiance.mssante.fr)",
                   "gazelle": "Gazelle (interop.esante.gouv.fr, interopsegur.esante.gouv.fr)"}
# CI-SIS document families, as test case names and Gazelle validator names spell them (tokens of the
# name split on non-alphanumerics, upper case). A family is compared only when both sides name one.
FAMILIES: dict[str, frozenset[str]] = {
    "CR-BIO": frozenset({"BIO", "BIOLOGIE"}),
    "CR-IMA": frozenset({"IMA", "IMAGERIE"}),
    "IHE-XDM": frozenset({"XDM"}),
    "HL7v2": frozenset({"HL7V2", "HL7"}),
    "VSM": frozenset({"VSM"}),
}
# An IHE XDM test case validates the archive and the documents in it: any document validator fits.
CONTAINER_FAMILIES = frozenset({"IHE-XDM"})


def families(text: str) -> set[str]:
    tokens = set(re.split(r"[^A-Z0-9]+", text.upper()))
    return {family for family, marks in FAMILIES.items() if tokens & marks}


def check_links(requirement: Any, proof_type: str, file: Any, facts: dict, rules: Any) -> list[Finding]:
    report = facts.get("report_link")
    if proof_type != "report_link" or not isinstance(report, dict):
        return []
    expected = requirement.expectations
    out: list[Finding] = []
    key = next((k for k in PLATFORM_OF if expected.get(k)), None)
    links = [link for link in report.get("links") or () if isinstance(link, dict) and link.get("host")]
    permalinks = [link for link in links if link.get("kind")] or links
    if key and permalinks and report.get("source") != "gazelle_report":
        wanted = PLATFORM_OF[key]
        platforms = {link.get("platform") for link in permalinks}
        if wanted not in platforms and platforms - {None}:
            other = next(link for link in permalinks if link.get("platform"))
            out.append(finding("requirement.platform_mismatch", "warning", expected=PLATFORM_LABELS[wanted],
                               found=other["host"], **asked(requirement, key)))
        elif (host := expected.get("platform_host")) and wanted in platforms:
            hosts = {link["host"] for link in permalinks if link.get("platform") == wanted}
            if host not in hosts:
                out.append(finding("requirement.platform_mismatch", "warning", expected=host,
                                   found=", ".join(sorted(hosts)), **asked(requirement, "platform_host")))
    gazelle = report.get("gazelle_report")
    if isinstance(gazelle, dict) and (test_case := expected.get("test_case")):
        wanted_families = set().union(*(families(t) for t in expected.get("test_cases") or [test_case]))
        named = " ".join(str(gazelle.get(k) or "") for k in ("validator", "service"))
        found_families = families(named)
        if (wanted_families and found_families and not wanted_families & found_families
                and not wanted_families & CONTAINER_FAMILIES):
            out.append(finding("requirement.test_case_mismatch", "warning", test_case=test_case,
                               validator=named.strip(), found=", ".join(sorted(found_families)),
                               **asked(requirement, "test_case")))
    return out
