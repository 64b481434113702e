"""An MSSanté execution id filed alone, for a proof that asks for one (``report_link`` plugin).

Forty REM proofs read « Identifiant de l'exécution du cas de test MSS-LPS-SEGUR-GEN … Il s'agit d'un
numéro d'ordre entier présent dans les URL du type : …/project/MSSante/execution/show/<identifiant> »:
they ask for the number itself. When the proof's requirement says so
(``proof.context["requirement"]["expectations"]["mssante_execution_id"]``), a file holding only that
number — alone or after a short label (« Identifiant : 4242 », « #4242 ») — is the proof, and the
execution's address is built from it for the reviewer; without that requirement a bare number is no
link (``report_link.no_link``), as before.
"""

from __future__ import annotations

import re
from typing import Any

from validator_core import Proof, finding
from validator_core.toolkit.text import decode_text

EXECUTION_PATH = "/project/MSSante/execution/show/{id}"
MAX_CHARS = 200  # a label and a number: anything longer is not an id filed alone
_ID_RE = re.compile(r"(?:[^\d\r\n]{1,80}[:#]\s*|#?)(\d{1,12})")


def expects_execution_id(proof: Proof) -> bool:
    requirement = proof.context.get("requirement") or {}
    return bool((requirement.get("expectations") or {}).get("mssante_execution_id"))


def execution_id(text: str) -> str | None:
    """``"4242"`` for ``"4242"``, ``"Identifiant : 4242"`` or ``"#4242"``; else ``None``."""
    text = text.strip().lstrip("\ufeff")
    if len(text) > MAX_CHARS:
        return None
    match = _ID_RE.fullmatch(text)
    return match.group(1) if match else None


def accept_execution_id(proof: Proof, data: bytes, hosts: dict[str, str]) -> tuple[dict[str, Any], Any] | None:
    """``(facts, finding)`` when ``proof`` asks for an MSSanté execution id and ``data`` is one; else ``None``."""
    if not expects_execution_id(proof) or len(data) > 4 * MAX_CHARS:
        return None
    value = execution_id(decode_text(data).text)
    if value is None:
        return None
    # The host is the rules' ([plugin_data.report_link] hosts, platform "mssante"): without one, no
    # address can be given to the reviewer and the number is no link, as for any other proof.
    host = next((h for h, platform in hosts.items() if platform == "mssante"), None)
    if host is None:
        return None
    url = f"https://{host}{EXECUTION_PATH.format(id=value)}"
    facts = {"source": "execution_id", "execution_id": value, "platform": "mssante", "url": url}
    return facts, finding("report_link.execution_id", "info", id=value, url=url)
