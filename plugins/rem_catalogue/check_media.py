"""Pictures against what a visual proof asks for: a moving or a still picture, a whole screen.

- ``medium`` ``"video"`` (« Vidéo montrant … », « Capture vidéo … »): a still image is an **error** —
  the ANS format row admits PNG for videos, but the text makes the mismatch certain;
- ``medium`` ``"screenshot"`` (« Capture d'écran … »): a video is a **warning** — a reviewer asks back
  for the still picture, though the video may show what is asked;
- ``full_screen`` / ``browser_visible`` (« capture réalisée en plein écran … », the scenario's « la vidéo
  doit être en plein écran », « le navigateur doit être entièrement visible, URL et date Windows … »):
  the picture's size and shape must be a whole screen's (``[thresholds.rem_catalogue]``).

The medium is judged only for a file checked as a type the proof admits (a type it does not admit is
already the core's ``requirement.type_not_admitted``); the screen size whatever type the file is
checked as.
"""

from __future__ import annotations

from typing import Any

from plugins.rem_catalogue.expectations import asked
from validator_core import Finding, finding

def looks_full_screen(width: int, height: int, limits: dict[str, Any]) -> bool:
    """A screen's size and shape: long × short side at least the minimum, and a screen's aspect ratio."""
    long_side, short_side = max(width, height), min(width, height)
    if long_side < int(limits["full_screen_min_long_side"]) or short_side < int(limits["full_screen_min_short_side"]):
        return False
    ratio, tolerance = long_side / short_side, float(limits["full_screen_ratio_tolerance"])
    return any(abs(ratio - float(r)) <= tolerance * float(r) for r in limits["full_screen_ratios"])


def format_kind(file: Any, rules: Any) -> tuple[str | None, str]:
    """``("video" | "image" | …, label)`` of the file's detected format, from the rules' format table."""
    format_id = rules.format_for_media_type(file.media_type) if file.media_type else None
    if format_id is None or format_id not in rules.formats:
        return None, file.media_type or "?"
    fmt = rules.formats[format_id]
    return fmt.kind, fmt.label


def check_media(requirement: Any, proof_type: str, file: Any, facts: dict, rules: Any) -> list[Finding]:
    expected = requirement.expectations
    if proof_type not in ("video", "screenshot"):
        return []
    out: list[Finding] = []
    kind, label = format_kind(file, rules)
    admitted = not requirement.admits or proof_type in requirement.admits
    if admitted and expected.get("medium") == "video" and kind == "image":
        out.append(finding("requirement.video_expected", "error", detected=label, **asked(requirement, "medium")))
    elif admitted and expected.get("medium") == "screenshot" and kind == "video":
        out.append(finding("requirement.screenshot_expected", "warning", detected=label,
                           **asked(requirement, "medium")))
    key = "full_screen" if expected.get("full_screen") else "browser_visible" if expected.get("browser_visible") else None
    if key:
        section = facts.get(proof_type) or facts.get("video") or facts.get("screenshot") or {}
        width, height = section.get("width"), section.get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            limits = rules.thresholds("rem_catalogue")  # [thresholds.rem_catalogue]: the only home of its numbers
            if not looks_full_screen(width, height, limits):
                out.append(finding("requirement.not_full_screen", "warning", width=width, height=height,
                                   min_width=int(limits["full_screen_min_long_side"]),
                                   min_height=int(limits["full_screen_min_short_side"]), **asked(requirement, key)))
    return out
