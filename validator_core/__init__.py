"""segur-preuves: validation of Ségur *preuves de conformité* — engine and library API.

    >>> from validator_core import validate
    >>> report = validate("demo.mp4", "video")
    >>> report.verdict, report.to_dict()["findings"]

The public names are imported on first use (PEP 562): ``import validator_core`` alone costs almost
nothing, which keeps a cold ``preuves`` command and the worker start-up short.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "validate": "validator_core.engine",
    "Engine": "validator_core.engine",
    "default_engine": "validator_core.engine",
    "EngineHealth": "validator_core.isolation",
    "Report": "validator_core.models",
    "Finding": "validator_core.models",
    "FileFacts": "validator_core.models",
    "Inspection": "validator_core.models",
    "Verdict": "validator_core.models",
    "Severity": "validator_core.models",
    "Proof": "validator_core.proof",
    "finding": "validator_core.proof",
    "DOSSIER_CONTEXT": "validator_core.proof",
    "hookimpl": "validator_core.hookspecs",
    "PreuvesError": "validator_core.errors",
    "EngineUnavailable": "validator_core.errors",
    "UnknownProofType": "validator_core.errors",
    "UnsupportedLanguage": "validator_core.errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from validator_core.engine import Engine, default_engine, validate
    from validator_core.errors import EngineUnavailable, PreuvesError, UnknownProofType, UnsupportedLanguage
    from validator_core.hookspecs import hookimpl
    from validator_core.isolation import EngineHealth
    from validator_core.models import FileFacts, Finding, Inspection, Report, Severity, Verdict
    from validator_core.proof import DOSSIER_CONTEXT, Proof, finding


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'validator_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # next time: a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
