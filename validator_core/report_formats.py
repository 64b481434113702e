"""A check's reports as the formats people and CI tools read: plain text, JSON, CSV, JUnit XML, SARIF 2.1.0.

One place for every output of a batch of reports (the CLI's ``--format``; the HTTP service can serve
the same): each renderer takes the checked files as ``(path, Report)`` pairs, in order, and returns
the text to write. The words (verdicts, severities, plurals, sizes) come from
:mod:`validator_core.wording` and :data:`VERDICT_WORDS`, so every format says them alike.

- **text**: what a terminal or a log shows (the CLI's table when it writes to a terminal: ``cli.py``);
- **json**: the contract's array of reports, one per file, in order (``preuves check --json``);
- **csv**: one row per file (``;``-separated, a spreadsheet's cells never read as formulas);
- **junit**: one ``<testsuite>``, one ``<testcase>`` per file; a rejected file is a ``<failure>`` (its
  errors), warnings and information go to the test case's ``<system-out>`` — what GitLab and Jenkins
  show for a failed test;
- **sarif**: one result per finding (level ``error``/``warning``/``note``, ``ruleId`` the finding code,
  the file's path as ``artifactLocation``), one rule per code with its description in the output's
  language — GitHub code scanning and other SARIF readers fail a build on an ``error``.

Only the standard library is imported here (``xml.etree`` for JUnit, when asked for).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from validator_core import wording

if TYPE_CHECKING:
    from validator_core.messages import Message
    from validator_core.models import Report

FORMATS = ("table", "json", "csv", "junit", "sarif")

# Keyed by the values of Verdict (a str enum): (singular, plural) in each language.
VERDICT_WORDS = {
    "fr": {"accepted": ("accepté", "acceptés"),
           "accepted_with_warnings": ("accepté avec avertissements", "acceptés avec avertissements"),
           "rejected": ("rejeté", "rejetés")},
    "en": {"accepted": ("accepted", "accepted"),
           "accepted_with_warnings": ("accepted with warnings", "accepted with warnings"),
           "rejected": ("rejected", "rejected")},
}
NO_PROBLEM = {"fr": "Aucun problème.", "en": "No problem."}  # what --only-problems shows when all is accepted
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
TOOL_NAME = "preuves"


class Rendering:
    """What a renderer needs besides the reports: the language, the proof types' labels in it (their
    ids are not for people) and the message templates of the finding codes (SARIF's rules)."""

    __slots__ = ("lang", "type_labels", "templates")  # a plain class: every check's output builds one

    def __init__(self, lang: str = "fr", type_labels: Mapping[str, str] | None = None,
                 templates: Callable[[str], "Message | None"] | None = None) -> None:
        self.lang = lang
        self.type_labels = type_labels or {}
        self.templates = templates or (lambda code: None)

    @property
    def fr(self) -> bool:
        return self.lang != "en"


Files = Sequence[tuple[str, "Report"]]


def render(fmt: str, files: Files, rendering: Rendering) -> str:
    """``files`` in format ``fmt`` (one of :data:`FORMATS`; ``table`` is the plain text)."""
    renderers = {"table": text, "json": lambda f, _r: to_json(f), "csv": to_csv, "junit": junit, "sarif": sarif}
    return renderers[fmt](files, rendering)


# -- words shared by the formats --------------------------------------------------------------------------
def verdict_label(verdict: str, lang: str = "fr", n: int = 1) -> str:
    one, many = VERDICT_WORDS["en" if lang == "en" else "fr"][str(verdict)]
    return one if wording.singular(n, lang) else many


def type_label(report: "Report", rendering: Rendering) -> str:
    """The proof type as people name it, and whether it was inferred (« Vidéo (déduit du contenu) »)."""
    if not report.proof_type:
        return "—"
    label = rendering.type_labels.get(report.proof_type, report.proof_type)
    if report.proof_type_inferred:
        label += " (déduit du contenu)" if rendering.fr else " (inferred from the content)"
    return label


def is_problem(report: "Report") -> bool:
    """A file to look at: rejected, or accepted with warnings."""
    return str(report.verdict) != "accepted"


def shown_findings(report: "Report"):
    """The findings a person reads (the inferred type is said with the type, not as a finding)."""
    return [f for f in report.findings if f.code != "type.inferred"]


def summary(reports: Iterable["Report"], lang: str = "fr") -> str:
    """« 3 fichiers : 1 accepté, 0 accepté avec avertissements, 2 rejetés » (French plurals)."""
    reports = list(reports)
    counts = {v: sum(1 for r in reports if str(r.verdict) == v) for v in VERDICT_WORDS["fr"]}
    files = wording.count(len(reports), "file", "files", lang) if lang == "en" else \
        wording.count(len(reports), "fichier", "fichiers", lang)
    parts = ", ".join(f"{wording.number(n, lang)} {verdict_label(v, lang, n)}" for v, n in counts.items())
    return f"{files}: {parts}" if lang == "en" else f"{files} : {parts}"


def finding_line(finding, lang: str = "fr") -> str:
    """« erreur : <message> (code) »."""
    sep = ": " if lang == "en" else " : "
    return f"{wording.severity(finding.severity, lang)}{sep}{finding.message} ({finding.code})"


# -- plain text -------------------------------------------------------------------------------------------
def text(files: Files, rendering: Rendering) -> str:
    """A heading, each file with its verdict and type, its findings indented; no summary line (the
    caller adds :func:`summary` over every file, the ones it left out too)."""
    lang = rendering.lang
    out = ["Vérification des preuves" if rendering.fr else "Proof check"]
    for path, report in files:
        out.append(f"{path} — {verdict_label(report.verdict, lang)} — {type_label(report, rendering)}")
        out += [f"  {finding_line(f, lang)}" for f in shown_findings(report)]
    return "\n".join(out) + "\n"


# -- JSON -------------------------------------------------------------------------------------------------
def to_json(files: Files) -> str:
    """The contract's JSON: an array of reports, one per file, in order."""
    return json.dumps([report.to_dict() for _path, report in files], ensure_ascii=False, indent=2) + "\n"


# -- CSV --------------------------------------------------------------------------------------------------
CSV_COLUMNS = ("file", "proof_type", "proof_type_label", "proof_type_inferred", "verdict", "verdict_label",
               "errors", "warnings", "codes", "messages")


def to_csv(files: Files, rendering: Rendering) -> str:
    """One row per file, ``;``-separated with a header (the columns of :data:`CSV_COLUMNS`); ``messages``
    holds one finding a line, in the output's language."""
    import csv
    import io

    from validator_core.dossier import csv_cell as cell  # the dossier checklist's guard against formulas

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for path, report in files:
        findings = shown_findings(report)
        severities = [str(f.severity) for f in findings]
        writer.writerow([cell(str(v)) for v in (
            path, report.proof_type or "", type_label(report, rendering), "1" if report.proof_type_inferred else "0",
            report.verdict, verdict_label(report.verdict, rendering.lang), severities.count("error"),
            severities.count("warning"), " ".join(f.code for f in findings),
            "\n".join(finding_line(f, rendering.lang) for f in findings))])
    return buffer.getvalue()


# -- JUnit XML --------------------------------------------------------------------------------------------
# Characters XML 1.0 cannot carry (a message may quote a file's bytes): replaced, never written.
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"


def _xml(value: object) -> str:
    return re.sub(_NOT_XML, "\ufffd", str(value))


def junit(files: Files, rendering: Rendering) -> str:
    """A ``<testsuites>`` holding one ``<testsuite>`` (``preuves check``), one ``<testcase>`` per file:
    ``name`` its path, ``classname`` its proof type, ``time`` the check's duration. A rejected file has
    one ``<failure>`` (``type`` its first error's code, the errors one a line); its warnings and
    information are in ``<system-out>``."""
    from xml.etree import ElementTree as ET

    lang = rendering.lang
    failures = sum(1 for _p, r in files if str(r.verdict) == "rejected")
    total = sum(r.elapsed_ms for _p, r in files) / 1000
    counts = {"tests": str(len(files)), "failures": str(failures), "errors": "0", "time": f"{total:.3f}"}
    root = ET.Element("testsuites", name=TOOL_NAME, **counts)
    suite = ET.SubElement(root, "testsuite", name=f"{TOOL_NAME} check", skipped="0", **counts)
    for path, report in files:
        case = ET.SubElement(suite, "testcase", name=_xml(path), classname=f"{TOOL_NAME}.{report.proof_type or 'unknown'}",
                             time=f"{report.elapsed_ms / 1000:.3f}")
        findings = shown_findings(report)
        errors = [f for f in findings if str(f.severity) == "error"]
        others = [f for f in findings if str(f.severity) != "error"]
        if errors:
            failure = ET.SubElement(case, "failure", type=errors[0].code, message=_xml(errors[0].message))
            failure.text = _xml("\n".join(finding_line(f, lang) for f in errors))
        out = [f"{verdict_label(report.verdict, lang)} — {type_label(report, rendering)}",
               *(finding_line(f, lang) for f in others)]
        ET.SubElement(case, "system-out").text = _xml("\n".join(out))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- SARIF 2.1.0 ------------------------------------------------------------------------------------------
def _uri(path: str) -> str:
    """A file path as a SARIF ``uri``: relative paths stay relative (to the directory the check ran
    in), absolute ones become ``file://`` URIs; both percent-encoded."""
    from pathlib import PurePath
    from urllib.parse import quote

    posix = PurePath(path).as_posix()
    return "file://" + quote(posix) if posix.startswith("/") else quote(posix)


def rule_text(template: str) -> tuple[str, str]:
    """A message template as a rule's (short, full) description: placeholders become « … », the short
    one is the first sentence (up to its colon when the sentence is long)."""
    full = re.sub(r"\{[^{}]*\}", "…", template).strip()
    short = re.split(r"(?<=[.!?])\s", full, maxsplit=1)[0]
    colon = re.search(r"\s?: ", short)
    if len(short) > 140 and colon:
        short = short[:colon.start()]
    return short, full


def sarif(files: Files, rendering: Rendering, *, version: str | None = None) -> str:
    """One SARIF 2.1.0 log, one run: every file an artifact (with its verdict and proof type in its
    properties), every finding a result on that artifact."""
    lang = rendering.lang
    rules: dict[str, dict] = {}
    results, artifacts = [], []
    for index, (path, report) in enumerate(files):
        uri = _uri(path)
        artifact: dict = {"location": {"uri": uri}, "length": report.file.size,
                          "properties": {"verdict": str(report.verdict), "proofType": report.proof_type,
                                         "proofTypeLabel": type_label(report, rendering)}}
        if report.file.media_type and "/" in report.file.media_type:
            artifact["mimeType"] = report.file.media_type
        if report.file.sha256:
            artifact["hashes"] = {"sha-256": report.file.sha256}
        artifacts.append(artifact)
        version = version or report.engine.version
        for finding in shown_findings(report):
            if finding.code not in rules:
                message = rendering.templates(finding.code)
                short, full = rule_text(message.template(lang)) if message else (finding.code, finding.code)
                rules[finding.code] = {"id": finding.code, "shortDescription": {"text": short},
                                       "fullDescription": {"text": full},
                                       "defaultConfiguration": {"level": SARIF_LEVELS[str(finding.severity)]},
                                       "properties": {"plugin": finding.plugin} if finding.plugin else {}}
            results.append({
                "ruleId": finding.code, "ruleIndex": list(rules).index(finding.code),
                "level": SARIF_LEVELS[str(finding.severity)],
                "message": {"text": finding.message or finding.code},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri, "index": index}}}],
            })
    rejected = any(str(r.verdict) == "rejected" for _p, r in files)
    driver: dict = {"name": TOOL_NAME, "rules": list(rules.values()),
                    "fullName": "segur-preuves — vérification des preuves de conformité Ségur"
                    if rendering.fr else "segur-preuves — Ségur conformity proof check"}
    if version:
        driver["version"] = version
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": True, "exitCode": 1 if rejected else 0}],
        "language": "fr-FR" if rendering.fr else "en-US",
        "artifacts": artifacts,
        "results": results,
    }]}
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"
