"""The report and its parts: the public JSON every face returns (README.md, « Le rapport »).

The same models serve the library (``Report.to_dict()``), the CLI ``--json``, the HTTP body and the
published JSON Schema (``validator_core/schema/report.schema.json``, generated from these classes).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


class Finding(BaseModel):
    """One observation about a file.

    Plugins create findings with a ``code`` (prefixed with the plugin's name), a ``severity`` and
    ``details`` (JSON values, also used to fill the message template); the engine fills ``message``
    in the requested language and ``plugin``.
    """

    model_config = ConfigDict(use_enum_values=False)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z0-9_.]+$", examples=["video.resolution_low"])
    severity: Severity
    message: str = ""
    plugin: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class FileFacts(BaseModel):
    name: str = Field(description="Nom du fichier tel que donné par l'appelant (jamais utilisé sur disque)")
    size: int = Field(ge=0, description="Taille en octets")
    sha256: str | None = Field(default=None, description="Empreinte SHA-256 du contenu reçu")
    media_type: str | None = Field(default=None, description="Type détecté d'après le contenu (libmagic)")
    extension: str | None = Field(default=None, description="Extension du nom, en minuscules, sans point")


class EngineInfo(BaseModel):
    version: str
    rules: str
    plugins: dict[str, str] = Field(default_factory=dict)


class Report(BaseModel):
    verdict: Verdict
    proof_type: str | None
    proof_type_inferred: bool = False
    file: FileFacts
    findings: list[Finding] = Field(default_factory=list)
    facts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    engine: EngineInfo
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON, as plain Python values."""
        return self.model_dump(mode="json")

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


class Inspection(BaseModel):
    """What a plugin's ``preuves_inspect`` returns: findings and facts about one proof."""

    findings: list[Finding] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)
