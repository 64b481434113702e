"""``preuves_check_requirement``: what a proof's texts expect, checked on the report's data.

Runs in the service process after every plugin inspected the file, and opens nothing: it reads the
facts and findings the other plugins reported. One module per family of expectations:

- PDF/A-1 ("au format PDF/A-1", ``expectations["pdfa"]``), here: the claim is read from the
  ``pdf_report`` plugin's facts; its warning about a missing or wrong claim becomes an error for a
  proof that requires PDF/A-1, and information for a proof known not to ask for PDF/A;
- :mod:`~plugins.rem_catalogue.check_media`: a video or a still picture (``medium``), a whole screen
  (``full_screen``, ``browser_visible``);
- :mod:`~plugins.rem_catalogue.check_screen`: what the text on screen shows (an identity status, the
  taskbar clock), from the OCR facts of ``screenshot`` and ``video``;
- :mod:`~plugins.rem_catalogue.check_files`: a file name, a CSV or ZIP content, an SMTP message and the
  headers and attachments its requirement names, an HL7 v2 message type, what a ZIP holds;
- :mod:`~plugins.rem_catalogue.check_links`: the platform and the test case of a report link.

Every finding quotes what the proof asks for (``details.asked``, from ``details.asked_in``: the
proof, scenario or requirement text).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from plugins.rem_catalogue.check_files import check_files
from plugins.rem_catalogue.check_links import check_links
from plugins.rem_catalogue.check_media import check_media
from plugins.rem_catalogue.check_screen import check_screen
from plugins.rem_catalogue.expectations import asked
from validator_core import Finding, finding, hookimpl
from validator_core.catalogue import ProofSpec

# Plugin warnings about a missing or wrong PDF/A claim: raised to errors when the proof requires PDF/A-1.
PDFA_WARNING_CODES = ("pdf_report.pdfa_missing", "pdf_report.pdfa_not_1", "pdf_report.pdfa_*")
# A file that claims PDF/A-1 without conforming: pdf_report gives the severity (error when required).
PDFA_CONFORMANCE_CODES = ("pdf_report.pdfa_nonconformant", "pdf_report.pdfa_incomplete")


def pdfa_claim(facts: dict[str, Any]) -> tuple[bool, str | None]:
    """What the ``pdf_report`` plugin found about the PDF/A claim: ``(known, part)``.

    ``facts["pdf_report"]["pdfa"]`` is a dict with ``part`` (a string such as ``"1B"`` or
    ``"PDF/A-1b"``, a number, or ``None``/``False`` when there is no claim). ``known`` is false when
    the plugin said nothing (disabled, or it failed on this file).
    """
    section = facts.get("pdf_report")
    if not isinstance(section, dict) or "pdfa" not in section:
        return False, None
    value = section["pdfa"]
    if isinstance(value, dict):
        value = value.get("part", value.get("version"))
    if value in (None, False, "", 0):
        return True, None
    match = re.search(r"(\d)", str(value))
    return True, match.group(1) if match else None


@hookimpl
def preuves_check_requirement(requirement: ProofSpec, proof_type: str, file, facts: dict, findings: list[Finding],
                              rules):
    expected = requirement.expectations
    out: list[Finding] = []
    ref = {"requirement": requirement.id}

    if expected.get("pdfa") and proof_type == "pdf_report" and file.media_type == "application/pdf":
        part = str(expected["pdfa"])
        known, found = pdfa_claim(facts)
        if not known:
            out.append(finding("requirement.pdfa_unverified", "warning", part=part, **asked(requirement, "pdfa")))
        elif found != part:
            warnings = [f for f in findings if any(fnmatch.fnmatch(f.code, c) for c in PDFA_WARNING_CODES)]
            for warning in warnings:  # same code → replaces the plugin's warning in the report
                out.append(Finding(code=warning.code, severity="error", plugin=warning.plugin,
                                   details={**warning.details, **ref, "required_by_requirement": True}))
            if not warnings:
                out.append(finding("requirement.pdfa_required", "error", part=part,
                                   found=f"PDF/A-{found}" if found else "—", **asked(requirement, "pdfa")))

    elif requirement.classified and proof_type == "pdf_report":
        # The pdf_report plugin warns on a missing PDF/A claim by requirement family (a guess); the
        # catalogue knows this proof does not ask for PDF/A: the remark stays, as information.
        for warning in findings:
            if warning.severity == "warning" and any(fnmatch.fnmatch(warning.code, c) for c in PDFA_WARNING_CODES) \
                    and warning.code not in PDFA_CONFORMANCE_CODES:  # a false claim stays a warning
                out.append(Finding(code=warning.code, severity="info", plugin=warning.plugin,
                                   details={**warning.details, **ref, "required_by_requirement": False}))

    for check in (check_media, check_screen, check_files, check_links):
        out += check(requirement, proof_type, file, facts, rules)
    return out
