"""segur-preuves: validation of Ségur *preuves de conformité* — engine and library API.

    >>> from validator_core import validate
    >>> report = validate("demo.mp4", "video")
    >>> report.verdict, report.to_dict()["findings"]
"""

__version__ = "0.1.0"

from validator_core.hookspecs import hookimpl  # noqa: E402
from validator_core.models import FileFacts, Finding, Inspection, Report, Severity, Verdict  # noqa: E402
from validator_core.proof import Proof, finding  # noqa: E402
from validator_core.errors import EngineUnavailable, PreuvesError, UnknownProofType, UnsupportedLanguage  # noqa: E402
from validator_core.engine import Engine, default_engine, validate  # noqa: E402

__all__ = [
    "__version__",
    "validate",
    "Engine",
    "default_engine",
    "Report",
    "Finding",
    "FileFacts",
    "Inspection",
    "Verdict",
    "Severity",
    "Proof",
    "finding",
    "hookimpl",
    "PreuvesError",
    "EngineUnavailable",
    "UnknownProofType",
    "UnsupportedLanguage",
]
