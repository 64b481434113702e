"""Built-in plugin `rem_catalogue`: the vague-2 REM catalogue (ANS pre-publication, March 2023).

An ordinary plugin, written against the same hooks a new DSR's requirements plugin would use:

- ``preuves_register_requirements``: every approved requirement, scenario and proof of the DB, LGC,
  BIO, RIS, DPI and PFI REMs, from the package data ``validator_core/data/rem-catalogue.json``
  (rebuilt with ``python -m validator_core.requirements build``);
- ``preuves_classify_proof`` (``trylast``: another plugin may classify a proof first): the built-in
  text rules of :func:`validator_core.requirements.classify_text`;
- ``preuves_check_requirement``: what a proof's text expects and the report can show — a PDF/A-1
  claim (a ``pdf_report`` warning becomes an error when the proof requires PDF/A-1), a full-screen
  capture, a file name pattern, a file format;
- ``preuves_register_commands``: ``preuves requirements`` (the catalogue) and ``preuves dossier``.

It inspects no file itself: it reads the facts the other plugins reported.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from validator_core import Finding, finding, hookimpl
from validator_core.requirements import (
    ProofClassification,
    ProofSpec,
    classify_text,
    file_name_regex,
    load_data,
    pdfa_part_from_facts,
)

__version__ = "1.0.0"

# Used when rules.toml has no [thresholds.rem_catalogue] (the rules file says why).
DEFAULTS: dict[str, Any] = {
    "full_screen_min_long_side": 1280,
    "full_screen_min_short_side": 720,
    "full_screen_ratios": [4 / 3, 5 / 4, 16 / 9, 16 / 10, 21 / 9, 64 / 27, 32 / 9],
    "full_screen_ratio_tolerance": 0.02,
}

# Plugin warnings about a missing or wrong PDF/A claim: raised to errors when the proof requires PDF/A-1.
PDFA_WARNING_CODES = ("pdf_report.pdfa_missing", "pdf_report.pdfa_not_1", "pdf_report.pdfa_*")

# What a file proof's stated format looks like once detected (libmagic media types).
FILE_FORMAT_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "csv": ("text/csv", "text/plain", "application/csv"),
    "zip": ("application/zip", "application/x-zip-compressed"),
}
FILE_FORMAT_LABELS = {"csv": "CSV", "zip": "ZIP"}


@hookimpl
def preuves_register_requirements(register) -> None:
    data = load_data()
    for req in data["requirements"]:
        register(rem=req["rem"], requirement=req["id"], text=req.get("text", ""), section=req.get("section", ""),
                 profile=req.get("profile", ""), scenarios=req["scenarios"])
    for item in data.get("unparsed", ()):
        register.unparsed(rem=item["rem"], requirement=item.get("requirement", ""),
                          scenario=item.get("scenario", ""), fragment=item.get("fragment", ""))


@hookimpl
def preuves_register_commands(cli) -> None:
    from validator_core.cli_requirements import dossier, requirements

    cli.add_command(requirements)
    cli.add_command(dossier)


@hookimpl(trylast=True)
def preuves_classify_proof(proof: ProofSpec) -> ProofClassification | None:
    return classify_text(proof.text, proof.requirement_text, proof.scenario_text)


def _settings(rules: Any) -> dict[str, Any]:
    values = dict(DEFAULTS)
    try:
        values.update(rules.thresholds("rem_catalogue"))
    except Exception:  # noqa: BLE001 - no rules at hand: defaults
        pass
    return values


def looks_full_screen(width: int, height: int, limits: dict[str, Any]) -> bool:
    """A screen's size and shape: long × short side at least the minimum, and a screen's aspect ratio."""
    long_side, short_side = max(width, height), min(width, height)
    if long_side < int(limits["full_screen_min_long_side"]) or short_side < int(limits["full_screen_min_short_side"]):
        return False
    ratio, tolerance = long_side / short_side, float(limits["full_screen_ratio_tolerance"])
    return any(abs(ratio - float(r)) <= tolerance * float(r) for r in limits["full_screen_ratios"])


@hookimpl
def preuves_check_requirement(requirement: ProofSpec, proof_type: str, file, facts: dict, findings: list[Finding],
                              rules):
    expected = requirement.expectations
    out: list[Finding] = []
    ref = {"requirement": requirement.id}

    if expected.get("pdfa") and proof_type == "pdf_report" and file.media_type == "application/pdf":
        part = str(expected["pdfa"])
        known, found = pdfa_part_from_facts(facts)
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
            limits = _settings(rules)
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
