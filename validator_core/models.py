"""The report and its parts: the public JSON every face returns (README.md, « Le rapport »).

The same classes serve the library, the CLI ``--json``, the HTTP body and the published JSON Schema
(``validator_core/schema/report.schema.json``, generated from these classes by pydantic when asked).
They are checked dataclasses (:mod:`validator_core.checked`), not pydantic models, so that a cold
``preuves check`` does not import pydantic: construction converts and checks each field the same way
(``severity="error"`` becomes :attr:`Severity.ERROR`; a bad code raises ``ValueError``), constructors
take keywords only, and ``Inspection.model_validate(dict)`` accepts what a plugin's ``preuves_inspect``
returns as a dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from validator_core.checked import Check, Checked


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    REJECTED = "rejected"

    @classmethod
    def from_findings(cls, findings: list["Finding"]) -> "Verdict":
        severities = {f.severity for f in findings}
        if Severity.ERROR in severities:
            return cls.REJECTED
        if Severity.WARNING in severities:
            return cls.ACCEPTED_WITH_WARNINGS
        return cls.ACCEPTED


@dataclass(slots=True, kw_only=True)
class Finding(Checked):
    """One observation about a file.

    Plugins create findings with a ``code`` (prefixed with the plugin's name), a ``severity`` and
    ``details`` (JSON values, also used to fill the message template); the engine fills ``message``
    in the requested language and ``plugin``.
    """

    code: Annotated[str, Check(pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$", examples=["video.resolution_low"])]
    severity: Severity
    message: str = ""
    plugin: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class FileFacts(Checked):
    name: Annotated[str, Check(description="Nom du fichier tel que donné par l'appelant (jamais utilisé sur disque)")]
    size: Annotated[int, Check(ge=0, description="Taille en octets")]
    sha256: Annotated[str | None, Check(description="Empreinte SHA-256 du contenu reçu")] = None
    media_type: Annotated[str | None, Check(description="Type détecté d'après le contenu (libmagic)")] = None
    extension: Annotated[str | None, Check(description="Extension du nom, en minuscules, sans point")] = None


@dataclass(slots=True, kw_only=True)
class EngineInfo(Checked):
    version: str
    rules: str
    plugins: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class Report(Checked):
    verdict: Verdict
    proof_type: str | None
    proof_type_inferred: bool = False
    file: FileFacts
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: EngineInfo
    elapsed_ms: float = 0.0

    # to_dict() (from Checked): the contract's JSON, as plain Python values.

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


@dataclass(slots=True, kw_only=True)
class Inspection(Checked):
    """What a plugin's ``preuves_inspect`` returns: findings and facts about one proof."""

    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
