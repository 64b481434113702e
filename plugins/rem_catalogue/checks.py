"""``preuves_check_requirement``: what a proof's text expects, checked on the report's data.

Runs in the service process after every plugin inspected the file, and opens nothing: it reads the
facts and findings the other plugins reported.

- PDF/A-1 ("au format PDF/A-1", ``expectations["pdfa"]``): the claim is read from the ``pdf_report``
  plugin's facts; its warning about a missing or wrong claim becomes an error for a proof that
  requires PDF/A-1, and information for a proof known not to ask for PDF/A;
- a full-screen capture (``full_screen``): the picture's size and shape, against
  ``[thresholds.rem_catalogue]`` of the rules;
- a file name imposed by the requirement (``file_name``) and a CSV or ZIP content (``file_format``).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from validator_core import Finding, finding, hookimpl
from validator_core.catalogue import ProofSpec

# Plugin warnings about a missing or wrong PDF/A claim: raised to errors when the proof requires PDF/A-1.
PDFA_WARNING_CODES = ("pdf_report.pdfa_missing", "pdf_report.pdfa_not_1", "pdf_report.pdfa_*")

# What a file proof's stated format looks like once detected (libmagic media types).
FILE_FORMAT_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "csv": ("text/csv", "text/plain", "application/csv"),
    "zip": ("application/zip", "application/x-zip-compressed"),
}
FILE_FORMAT_LABELS = {"csv": "CSV", "zip": "ZIP"}


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


def looks_full_screen(width: int, height: int, limits: dict[str, Any]) -> bool:
    """A screen's size and shape: long × short side at least the minimum, and a screen's aspect ratio."""
    long_side, short_side = max(width, height), min(width, height)
    if long_side < int(limits["full_screen_min_long_side"]) or short_side < int(limits["full_screen_min_short_side"]):
        return False
    ratio, tolerance = long_side / short_side, float(limits["full_screen_ratio_tolerance"])
    return any(abs(ratio - float(r)) <= tolerance * float(r) for r in limits["full_screen_ratios"])


def file_name_regex(pattern: str) -> re.Pattern[str]:
    """``LOINC_1_export_chapitres_[AAAAMMJJ].csv`` → a regex matching ``…_20230315.csv``."""
    parts = re.split(r"\[AAAAMMJJ\]", pattern)
    return re.compile("^" + r"\d{8}".join(re.escape(p) for p in parts) + "$", re.IGNORECASE)


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
            out.append(finding("requirement.pdfa_unverified", "warning", part=part, **ref))
        elif found != part:
            warnings = [f for f in findings if any(fnmatch.fnmatch(f.code, c) for c in PDFA_WARNING_CODES)]
            for warning in warnings:  # same code → replaces the plugin's warning in the report
                out.append(Finding(code=warning.code, severity="error", plugin=warning.plugin,
                                   details={**warning.details, **ref, "required_by_requirement": True}))
            if not warnings:
                out.append(finding("requirement.pdfa_required", "error", part=part,
                                   found=f"PDF/A-{found}" if found else "—", **ref))

    elif requirement.classified and proof_type == "pdf_report":
        # The pdf_report plugin warns on a missing PDF/A claim by requirement family (a guess); the
        # catalogue knows this proof does not ask for PDF/A: the remark stays, as information.
        for warning in findings:
            if warning.severity == "warning" and any(fnmatch.fnmatch(warning.code, c) for c in PDFA_WARNING_CODES):
                out.append(Finding(code=warning.code, severity="info", plugin=warning.plugin,
                                   details={**warning.details, **ref, "required_by_requirement": False}))

    if expected.get("full_screen") and proof_type in ("video", "screenshot"):
        section = facts.get(proof_type) or facts.get("video") or facts.get("screenshot") or {}
        width, height = section.get("width"), section.get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            limits = rules.thresholds("rem_catalogue")  # [thresholds.rem_catalogue]: the only home of its numbers
            if not looks_full_screen(width, height, limits):
                out.append(finding("requirement.not_full_screen", "warning", width=width, height=height,
                                   min_width=int(limits["full_screen_min_long_side"]),
                                   min_height=int(limits["full_screen_min_short_side"]), **ref))

    if pattern := expected.get("file_name"):
        if not file_name_regex(pattern).match(file.name or ""):
            out.append(finding("requirement.file_name_mismatch", "warning", expected=pattern, name=file.name, **ref))

    file_format = expected.get("file_format")
    if file_format in FILE_FORMAT_MEDIA_TYPES and proof_type == "logs" and file.media_type:
        if file.media_type not in FILE_FORMAT_MEDIA_TYPES[file_format]:
            out.append(finding("requirement.file_format_mismatch", "warning", expected=FILE_FORMAT_LABELS[file_format],
                               media_type=file.media_type, **ref))
    return out
