"""What a visual proof shows, against what it asks for: read from the text on screen.

The ``screenshot`` and ``video`` plugins read the text of the picture by OCR (``plugins/screen_text.py``)
and report what it shows in ``facts[<plugin>]["screen_text"]``. Two expectations are checked on it:

- ``identity_status`` (« montrant le statut de l'identité », « l'identité au statut qualifiée »): no
  identity status word (« qualifiée », « récupérée », « provisoire », « validée ») read;
- ``clock_visible`` (the scenario's « URL et date Windows en bas à droite incluses »): no date nor time read.

Warnings only: OCR can miss a word, and a proof without ``screen_text`` facts (OCR off or unavailable,
a blank video) is not judged at all.
"""

from __future__ import annotations

from typing import Any

from plugins.rem_catalogue.expectations import asked
from validator_core import Finding, finding


def screen_text(facts: dict, proof_type: str) -> dict | None:
    """The OCR facts of whichever visual plugin inspected the file, or None when no text was read."""
    for plugin in (proof_type, "screenshot", "video"):
        section = facts.get(plugin)
        if isinstance(section, dict) and isinstance(section.get("screen_text"), dict):
            return section["screen_text"]
    return None


def check_screen(requirement: Any, proof_type: str, file: Any, facts: dict, rules: Any) -> list[Finding]:
    expected = requirement.expectations
    if proof_type not in ("video", "screenshot") or not (expected.get("identity_status") or expected.get("clock_visible")):
        return []
    shown = screen_text(facts, proof_type)
    if shown is None or not shown.get("images_read"):
        return []
    out: list[Finding] = []
    if expected.get("identity_status") and not shown.get("identity_status"):
        out.append(finding("requirement.identity_status_not_seen", "warning", images=shown["images_read"],
                           **asked(requirement, "identity_status")))
    if expected.get("clock_visible") and not shown.get("dates") and not shown.get("times"):
        out.append(finding("requirement.clock_not_seen", "warning", images=shown["images_read"],
                           **asked(requirement, "clock_visible")))
    return out
