"""The core's fallback answer to "which proof type is this file?" (a ``trylast`` hook implementation).

Plugins may answer first through ``preuves_infer_proof_type`` (the report-link plugin recognises
Gazelle XML reports, say); when none does, these content rules decide.
"""

from __future__ import annotations

from validator_core.hookspecs import hookimpl
from validator_core.proof import Proof
from validator_core.textscan import WEB_URL_RE

LINK_FILE_EXTENSIONS = {"url", "webloc", "website"}
LINK_TEXT_MAX_BYTES = 64 * 1024


def _looks_like_link_file(proof: Proof) -> bool:
    """Short text whose non-empty lines are mostly URLs (a link pasted into a file)."""
    if proof.extension in LINK_FILE_EXTENSIONS:
        return True
    if not proof.media_type.startswith("text/") or proof.size > LINK_TEXT_MAX_BYTES:
        return False
    text = proof.head.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()][:200]
    if not lines:
        return False
    with_url = sum(1 for line in lines if WEB_URL_RE.search(line))
    return with_url > 0 and (with_url * 2 >= len(lines) or (len(lines) <= 5))


@hookimpl(trylast=True)
def preuves_infer_proof_type(proof: Proof) -> str | None:
    media_type = proof.media_type
    if media_type == "application/pdf":
        return "pdf_report"
    if media_type.startswith("video/"):
        return "video"
    if media_type.startswith("image/"):
        return "screenshot"
    if _looks_like_link_file(proof):
        return "report_link"
    return "logs"
